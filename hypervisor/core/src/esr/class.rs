//! Exception classes (ESR_ELx.EC, bits 31:26): every class that can be
//! taken to EL2, named after the Arm ARM's descriptions.

/// The exception class of a syndrome.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ExceptionClass {
    Unknown,
    Wfx,
    Cp15McrMrc,
    Cp15McrrMrrc,
    Cp14McrMrc,
    Cp14LdcStc,
    FpSimdAccess,
    Cp10Vmrs,
    PointerAuth,
    OtherInstruction,
    Cp14Mrrc,
    BranchTarget,
    IllegalState,
    Svc32,
    Hvc32,
    Smc32,
    Svc64,
    Hvc64,
    Smc64,
    SysReg,
    SveAccess,
    Eret,
    PacFailure,
    SmeAccess,
    InstructionAbortLower,
    InstructionAbortSame,
    PcAlignment,
    DataAbortLower,
    DataAbortSame,
    SpAlignment,
    MemoryOperation,
    FpException32,
    FpException64,
    GuardedControlStack,
    SError,
    BreakpointLower,
    BreakpointSame,
    SoftwareStepLower,
    SoftwareStepSame,
    WatchpointLower,
    WatchpointSame,
    Bkpt32,
    VectorCatch32,
    Brk64,
    /// An EC value with no class this decoder knows (unallocated, or only
    /// ever reported to EL3).
    Unallocated(u8),
}

use ExceptionClass as C;

/// (EC value, class, description), in EC order.
const CLASSES: &[(u8, ExceptionClass, &str)] = &[
    (0x00, C::Unknown, "unknown reason"),
    (0x01, C::Wfx, "trapped WFI/WFE"),
    (0x03, C::Cp15McrMrc, "trapped AArch32 MCR/MRC (cp15)"),
    (0x04, C::Cp15McrrMrrc, "trapped AArch32 MCRR/MRRC (cp15)"),
    (0x05, C::Cp14McrMrc, "trapped AArch32 MCR/MRC (cp14)"),
    (0x06, C::Cp14LdcStc, "trapped AArch32 LDC/STC (cp14)"),
    (0x07, C::FpSimdAccess, "trapped SME/SVE/SIMD/FP access"),
    (0x08, C::Cp10Vmrs, "trapped AArch32 VMRS"),
    (
        0x09,
        C::PointerAuth,
        "trapped pointer authentication instruction",
    ),
    (
        0x0a,
        C::OtherInstruction,
        "trapped LD64B/ST64B or other instruction",
    ),
    (0x0c, C::Cp14Mrrc, "trapped AArch32 MRRC (cp14)"),
    (0x0d, C::BranchTarget, "branch target exception"),
    (0x0e, C::IllegalState, "illegal execution state"),
    (0x11, C::Svc32, "SVC from AArch32"),
    (0x12, C::Hvc32, "HVC from AArch32"),
    (0x13, C::Smc32, "SMC from AArch32"),
    (0x15, C::Svc64, "SVC from AArch64"),
    (0x16, C::Hvc64, "HVC from AArch64"),
    (0x17, C::Smc64, "SMC from AArch64"),
    (0x18, C::SysReg, "trapped MSR/MRS/system instruction"),
    (0x19, C::SveAccess, "trapped SVE access"),
    (0x1a, C::Eret, "trapped ERET"),
    (0x1c, C::PacFailure, "pointer authentication failure"),
    (0x1d, C::SmeAccess, "trapped SME access"),
    (
        0x20,
        C::InstructionAbortLower,
        "instruction abort from a lower EL",
    ),
    (
        0x21,
        C::InstructionAbortSame,
        "instruction abort from the same EL",
    ),
    (0x22, C::PcAlignment, "PC alignment fault"),
    (0x24, C::DataAbortLower, "data abort from a lower EL"),
    (0x25, C::DataAbortSame, "data abort from the same EL"),
    (0x26, C::SpAlignment, "SP alignment fault"),
    (0x27, C::MemoryOperation, "memory copy/set exception"),
    (0x28, C::FpException32, "AArch32 floating-point exception"),
    (0x2c, C::FpException64, "AArch64 floating-point exception"),
    (
        0x2d,
        C::GuardedControlStack,
        "guarded control stack exception",
    ),
    (0x2f, C::SError, "SError"),
    (0x30, C::BreakpointLower, "breakpoint from a lower EL"),
    (0x31, C::BreakpointSame, "breakpoint from the same EL"),
    (0x32, C::SoftwareStepLower, "software step from a lower EL"),
    (0x33, C::SoftwareStepSame, "software step from the same EL"),
    (0x34, C::WatchpointLower, "watchpoint from a lower EL"),
    (0x35, C::WatchpointSame, "watchpoint from the same EL"),
    (0x38, C::Bkpt32, "AArch32 BKPT"),
    (0x3a, C::VectorCatch32, "AArch32 vector catch"),
    (0x3c, C::Brk64, "AArch64 BRK"),
];

impl ExceptionClass {
    /// The class of an EC value (only its low six bits are looked at).
    pub fn from_ec(ec: u8) -> Self {
        let ec = ec & 0x3f;
        CLASSES
            .iter()
            .find(|(code, _, _)| *code == ec)
            .map_or(C::Unallocated(ec), |&(_, class, _)| class)
    }

    /// The EC value.
    pub fn ec(self) -> u8 {
        match self {
            C::Unallocated(ec) => ec,
            known => CLASSES
                .iter()
                .find(|(_, class, _)| *class == known)
                .map_or(0, |&(code, _, _)| code),
        }
    }

    pub fn description(self) -> &'static str {
        CLASSES
            .iter()
            .find(|(_, class, _)| *class == self)
            .map_or("unallocated exception class", |&(_, _, d)| d)
    }

    pub fn is_data_abort(self) -> bool {
        matches!(self, C::DataAbortLower | C::DataAbortSame)
    }

    pub fn is_instruction_abort(self) -> bool {
        matches!(self, C::InstructionAbortLower | C::InstructionAbortSame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ec_value_round_trips() {
        for ec in 0..64u8 {
            assert_eq!(ExceptionClass::from_ec(ec).ec(), ec);
        }
        assert_eq!(ExceptionClass::from_ec(0x16), ExceptionClass::Hvc64);
        assert_eq!(
            ExceptionClass::from_ec(0x3f),
            ExceptionClass::Unallocated(0x3f)
        );
        assert_eq!(
            ExceptionClass::from_ec(0x1f).description(),
            "unallocated exception class"
        );
        assert_eq!(
            ExceptionClass::from_ec(0x64),
            ExceptionClass::DataAbortLower
        );
    }

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in CLASSES.windows(2) {
            assert!(pair[0].0 < pair[1].0);
        }
    }
}
