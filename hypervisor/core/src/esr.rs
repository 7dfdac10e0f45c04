//! ESR_ELx decoding: what the exception syndrome register says about an
//! exception taken to EL2.
//!
//! Layout (Arm ARM, ESR_EL2): ISS2 in bits 55:32, EC in 31:26, IL in 25,
//! ISS in 24:0. Everything here is tables and bit fields; the tests check
//! hand-computed syndrome values.

mod class;
mod fault;
mod iss;

pub use class::ExceptionClass;
pub use fault::{FaultKind, FaultStatus};
pub use iss::{
    sys_reg, AccessSyndrome, DataAbort, InstructionAbort, Register, SysRegAccess, Wfx, WfxKind,
};

use core::fmt;
use iss::{bit, bits};

/// An ESR_ELx value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Esr(pub u64);

impl Esr {
    /// The EC field.
    pub fn ec(self) -> u8 {
        bits(self.0, 31, 26) as u8
    }

    pub fn class(self) -> ExceptionClass {
        ExceptionClass::from_ec(self.ec())
    }

    /// IL: the trapped instruction was 32 bits long (false: a 16-bit T32
    /// instruction). Set for exceptions that are not about an instruction.
    pub fn il(self) -> bool {
        bit(self.0, 25)
    }

    /// Length in bytes of the instruction that trapped: what to add to
    /// ELR_EL2 to step over it.
    pub fn instruction_len(self) -> u64 {
        if self.il() {
            4
        } else {
            2
        }
    }

    /// The ISS field (bits 24:0).
    pub fn iss(self) -> u64 {
        bits(self.0, 24, 0)
    }

    /// The ISS2 field (bits 55:32; FEAT_LS64 and others).
    pub fn iss2(self) -> u64 {
        bits(self.0, 55, 32)
    }

    pub fn data_abort(self) -> Option<DataAbort> {
        self.class()
            .is_data_abort()
            .then(|| DataAbort::from_iss(self.iss()))
    }

    pub fn instruction_abort(self) -> Option<InstructionAbort> {
        self.class()
            .is_instruction_abort()
            .then(|| InstructionAbort::from_iss(self.iss()))
    }

    /// The fault status of an instruction or data abort.
    pub fn fault_status(self) -> Option<FaultStatus> {
        self.data_abort()
            .map(|d| d.status)
            .or_else(|| self.instruction_abort().map(|i| i.status))
    }

    /// A trapped MSR/MRS or system instruction (EC 0x18).
    pub fn sys_reg(self) -> Option<SysRegAccess> {
        (self.class() == ExceptionClass::SysReg).then(|| SysRegAccess::from_iss(self.iss()))
    }

    pub fn wfx(self) -> Option<Wfx> {
        (self.class() == ExceptionClass::Wfx).then(|| Wfx::from_iss(self.iss()))
    }

    /// The immediate of SVC, HVC, SMC (AArch64 and AArch32) and BRK.
    pub fn imm16(self) -> Option<u16> {
        use ExceptionClass as C;
        matches!(
            self.class(),
            C::Svc64 | C::Hvc64 | C::Smc64 | C::Svc32 | C::Hvc32 | C::Smc32 | C::Brk64
        )
        .then_some(bits(self.0, 15, 0) as u16)
    }
}

impl fmt::Display for Esr {
    /// One line: "EC 0x24 data abort from a lower EL: translation fault
    /// level 3, write, 32-bit access from x3".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = self.class();
        write!(f, "EC {:#04x} {}", self.ec(), class.description())?;
        if let Some(d) = self.data_abort() {
            write!(f, ": {d}")?;
        } else if let Some(i) = self.instruction_abort() {
            write!(f, ": {i}")?;
        } else if let Some(s) = self.sys_reg() {
            write!(f, ": {s}")?;
        } else if let Some(w) = self.wfx() {
            write!(f, ": {w}")?;
        } else if let Some(imm) = self.imm16() {
            write!(f, ": #{imm:#x}")?;
        } else if self.iss() != 0 {
            write!(f, ": ISS {:#x}", self.iss())?;
        }
        if !self.il() {
            f.write_str(" (16-bit instruction)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    /// Build a syndrome: EC, IL = 1, ISS.
    fn esr(ec: u64, iss: u64) -> Esr {
        Esr((ec << 26) | (1 << 25) | iss)
    }

    #[test]
    fn fields() {
        // HVC #0 from AArch64: EC 0x16, IL 1.
        let e = Esr(0x5a00_0000);
        assert_eq!(e.ec(), 0x16);
        assert_eq!(e.class(), ExceptionClass::Hvc64);
        assert!(e.il());
        assert_eq!(e.instruction_len(), 4);
        assert_eq!(e.iss(), 0);
        assert_eq!(e.imm16(), Some(0));
        assert_eq!(e.to_string(), "EC 0x16 HVC from AArch64: #0x0");
        // SMC #0x1234.
        assert_eq!(Esr(0x5e00_1234).imm16(), Some(0x1234));
        assert_eq!(Esr(0x5e00_1234).data_abort(), None);
        // ISS2 lives above bit 32.
        assert_eq!(Esr(0x0000_00ab_9200_0000).iss2(), 0xab);
        // A 16-bit T32 SVC: IL clear.
        let t32 = Esr(0x4400_0005);
        assert_eq!(t32.class(), ExceptionClass::Svc32);
        assert_eq!(t32.instruction_len(), 2);
        assert_eq!(
            t32.to_string(),
            "EC 0x11 SVC from AArch32: #0x5 (16-bit instruction)"
        );
    }

    #[test]
    fn data_abort_with_syndrome() {
        // ISV, SAS = 2 (word), SRT = 3, SF, WnR, DFSC = 0x07.
        let iss = (1 << 24) | (2 << 22) | (3 << 16) | (1 << 15) | (1 << 6) | 0x07;
        let e = esr(0x24, iss);
        assert_eq!(e.0, 0x9383_8047);
        let d = e.data_abort().unwrap();
        assert!(d.write);
        assert_eq!(d.status.kind(), FaultKind::Translation);
        assert_eq!(d.status.level(), Some(3));
        let s = d.syndrome.unwrap();
        assert_eq!(s.size, 4);
        assert_eq!(
            s.register,
            Register {
                number: 3,
                sixty_four: true
            }
        );
        assert!(!s.sign_extend && !s.acquire_release);
        assert_eq!(
            e.to_string(),
            "EC 0x24 data abort from a lower EL: translation fault level 3, write, \
             32-bit access from x3"
        );
        assert_eq!(e.fault_status(), Some(FaultStatus(0x07)));
        assert_eq!(e.instruction_abort(), None);
    }

    #[test]
    fn data_abort_read_variants() {
        // LDRSH w7 with acquire: ISV, SAS = 1, SSE, SRT = 7, SF = 0, AR,
        // read, permission fault level 2.
        let iss = (1 << 24) | (1 << 22) | (1 << 21) | (7 << 16) | (1 << 14) | 0x0e;
        assert_eq!(
            esr(0x24, iss).to_string(),
            "EC 0x24 data abort from a lower EL: permission fault level 2, read, \
             16-bit sign-extending acquire/release access to w7"
        );
        // 64-bit load into xzr.
        let iss = (1 << 24) | (3 << 22) | (31 << 16) | (1 << 15) | 0x05;
        assert_eq!(
            esr(0x24, iss).to_string(),
            "EC 0x24 data abort from a lower EL: translation fault level 1, read, \
             64-bit access to xzr"
        );
        // No ISV (a load pair), stage-2 fault on the stage-1 walk, FnV,
        // external abort, cache maintenance: 0x9200_0794.
        let e = Esr(0x9200_0794);
        let d = e.data_abort().unwrap();
        assert_eq!(d.syndrome, None);
        assert!(d.stage1_walk && d.far_not_valid && d.external && d.cache_maintenance);
        assert_eq!(
            e.to_string(),
            "EC 0x24 data abort from a lower EL: synchronous external abort on table walk \
             level 0, read, no access syndrome, on stage-1 table walk, cache maintenance, \
             external abort, FAR not valid"
        );
        // Same EL: alignment fault.
        assert_eq!(
            esr(0x25, 0x21).to_string(),
            "EC 0x25 data abort from the same EL: alignment fault, read, no access syndrome"
        );
    }

    #[test]
    fn instruction_abort() {
        // IFSC 0x0f with S1PTW: 0x8200_008f.
        let e = Esr(0x8200_008f);
        let i = e.instruction_abort().unwrap();
        assert_eq!(i.status.kind(), FaultKind::Permission);
        assert!(i.stage1_walk && !i.external && !i.far_not_valid);
        assert_eq!(
            e.to_string(),
            "EC 0x20 instruction abort from a lower EL: permission fault level 3, \
             on stage-1 table walk"
        );
        assert_eq!(e.fault_status(), Some(FaultStatus(0x0f)));
        assert_eq!(e.data_abort(), None);
    }

    #[test]
    #[allow(clippy::identity_op)] // The zero fields are spelled out.
    fn sysreg_trap() {
        // MRS x2, ID_AA64PFR0_EL1 (op0 3, op1 0, CRn 0, CRm 4, op2 0).
        let iss = (3 << 20) | (0 << 17) | (0 << 14) | (0 << 10) | (2 << 5) | (4 << 1) | 1;
        let e = esr(0x18, iss);
        assert_eq!(e.0, 0x6230_0049);
        let s = e.sys_reg().unwrap();
        assert_eq!((s.op0, s.op1, s.crn, s.crm, s.op2), (3, 0, 0, 4, 0));
        assert_eq!((s.rt, s.read), (2, true));
        assert_eq!(s.encoding(), sys_reg(3, 0, 0, 4, 0));
        assert_eq!(
            e.to_string(),
            "EC 0x18 trapped MSR/MRS/system instruction: read of S3_0_C0_C4_0 into x2"
        );
        // MSR ICC_SGI1R_EL1, x5 (op0 3, op1 0, CRn 12, CRm 11, op2 5).
        let iss = (3 << 20) | (5 << 17) | (12 << 10) | (5 << 5) | (11 << 1);
        let s = esr(0x18, iss).sys_reg().unwrap();
        assert_eq!(s.encoding(), sys_reg(3, 0, 12, 11, 5));
        assert!(!s.read);
        assert_eq!(s.to_string(), "write of S3_0_C12_C11_5 from x5");
        // Write from xzr.
        let s = esr(0x18, (3 << 20) | (31 << 5)).sys_reg().unwrap();
        assert_eq!(s.to_string(), "write of S3_0_C0_C0_0 from xzr");
    }

    #[test]
    fn wfx_traps() {
        assert_eq!(esr(0x01, 0).wfx().unwrap().kind, WfxKind::Wfi);
        assert_eq!(esr(0x01, 0).to_string(), "EC 0x01 trapped WFI/WFE: WFI");
        assert_eq!(esr(0x01, 1).to_string(), "EC 0x01 trapped WFI/WFE: WFE");
        // WFIT with RV set and the timeout in x9.
        let w = esr(0x01, (9 << 5) | (1 << 2) | 2).wfx().unwrap();
        assert_eq!(w.kind, WfxKind::Wfit);
        assert_eq!(w.timeout_register, Some(9));
        assert_eq!(w.to_string(), "WFIT x9");
        assert_eq!(esr(0x01, 3).wfx().unwrap().timeout_register, None);
    }

    #[test]
    fn other_classes() {
        assert_eq!(
            Esr(0).to_string(),
            "EC 0x00 unknown reason (16-bit instruction)"
        );
        assert_eq!(Esr(1 << 25).to_string(), "EC 0x00 unknown reason");
        assert_eq!(
            esr(0x07, 0).to_string(),
            "EC 0x07 trapped SME/SVE/SIMD/FP access"
        );
        assert_eq!(esr(0x3c, 0x800).to_string(), "EC 0x3c AArch64 BRK: #0x800");
        assert_eq!(esr(0x3c, 0x800).imm16(), Some(0x800));
        // SError with IDS and an implementation defined syndrome.
        assert_eq!(
            esr(0x2f, (1 << 24) | 0x1234).to_string(),
            "EC 0x2f SError: ISS 0x1001234"
        );
        assert_eq!(esr(0x22, 0).to_string(), "EC 0x22 PC alignment fault");
        assert_eq!(esr(0x1a, 2).to_string(), "EC 0x1a trapped ERET: ISS 0x2");
        assert_eq!(
            esr(0x3f, 0).to_string(),
            "EC 0x3f unallocated exception class"
        );
        assert_eq!(esr(0x3f, 0).class(), ExceptionClass::Unallocated(0x3f));
    }

    #[test]
    fn any_value_displays() {
        let mut v: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..10_000 {
            v ^= v << 13;
            v ^= v >> 7;
            v ^= v << 17;
            let e = Esr(v);
            let s = e.to_string();
            assert!(s.starts_with("EC 0x"));
            assert_eq!(e.class().ec(), e.ec());
        }
    }
}
