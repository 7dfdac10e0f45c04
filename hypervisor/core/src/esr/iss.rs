//! Instruction specific syndromes (ESR_ELx.ISS) of the classes a
//! hypervisor handles: aborts, system register traps and WFx traps.

use super::fault::FaultStatus;
use core::fmt;

/// Bits `lo..=hi` of `value`.
pub(crate) const fn bits(value: u64, hi: u32, lo: u32) -> u64 {
    (value >> lo) & ((1u64 << (hi - lo + 1)) - 1)
}

pub(crate) const fn bit(value: u64, n: u32) -> bool {
    (value >> n) & 1 == 1
}

/// A general-purpose register as an instruction names it: `x0`..`x30` or
/// `w0`..`w30`, and number 31 as the zero register.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Register {
    pub number: u8,
    pub sixty_four: bool,
}

impl fmt::Display for Register {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = if self.sixty_four { 'x' } else { 'w' };
        if self.number == 31 {
            write!(f, "{prefix}zr")
        } else {
            write!(f, "{prefix}{}", self.number)
        }
    }
}

/// What a data abort's syndrome says about the access, valid when ISV is
/// set (single loads and stores of general-purpose registers).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AccessSyndrome {
    /// Access size in bytes: 1, 2, 4 or 8 (SAS).
    pub size: u8,
    /// The load sign-extends (SSE).
    pub sign_extend: bool,
    /// The transfer register (SRT, and SF for its width).
    pub register: Register,
    /// Load-acquire or store-release (AR).
    pub acquire_release: bool,
}

/// A data abort's ISS.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DataAbort {
    pub status: FaultStatus,
    /// WnR: a write (or a read-modify-write); false for a read.
    pub write: bool,
    /// S1PTW: stage-2 fault on the stage-1 table walk.
    pub stage1_walk: bool,
    /// CM: a cache maintenance or address translation instruction.
    pub cache_maintenance: bool,
    /// EA: external abort type (implementation defined).
    pub external: bool,
    /// FnV: FAR_ELx does not hold the faulting address.
    pub far_not_valid: bool,
    /// Present when ISV is set.
    pub syndrome: Option<AccessSyndrome>,
}

impl DataAbort {
    pub fn from_iss(iss: u64) -> Self {
        let syndrome = bit(iss, 24).then(|| AccessSyndrome {
            size: 1 << bits(iss, 23, 22),
            sign_extend: bit(iss, 21),
            register: Register {
                number: bits(iss, 20, 16) as u8,
                sixty_four: bit(iss, 15),
            },
            acquire_release: bit(iss, 14),
        });
        DataAbort {
            status: FaultStatus(bits(iss, 5, 0) as u8),
            write: bit(iss, 6),
            stage1_walk: bit(iss, 7),
            cache_maintenance: bit(iss, 8),
            external: bit(iss, 9),
            far_not_valid: bit(iss, 10),
            syndrome,
        }
    }
}

impl fmt::Display for DataAbort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}",
            self.status,
            if self.write { "write" } else { "read" }
        )?;
        match self.syndrome {
            Some(s) => {
                write!(f, ", {}-bit", u32::from(s.size) * 8)?;
                if s.sign_extend {
                    f.write_str(" sign-extending")?;
                }
                if s.acquire_release {
                    f.write_str(" acquire/release")?;
                }
                let dir = if self.write { "from" } else { "to" };
                write!(f, " access {dir} {}", s.register)?;
            }
            None => f.write_str(", no access syndrome")?,
        }
        if self.stage1_walk {
            f.write_str(", on stage-1 table walk")?;
        }
        if self.cache_maintenance {
            f.write_str(", cache maintenance")?;
        }
        if self.external {
            f.write_str(", external abort")?;
        }
        if self.far_not_valid {
            f.write_str(", FAR not valid")?;
        }
        Ok(())
    }
}

/// An instruction abort's ISS.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct InstructionAbort {
    pub status: FaultStatus,
    pub stage1_walk: bool,
    pub external: bool,
    pub far_not_valid: bool,
}

impl InstructionAbort {
    pub fn from_iss(iss: u64) -> Self {
        InstructionAbort {
            status: FaultStatus(bits(iss, 5, 0) as u8),
            stage1_walk: bit(iss, 7),
            external: bit(iss, 9),
            far_not_valid: bit(iss, 10),
        }
    }
}

impl fmt::Display for InstructionAbort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)?;
        if self.stage1_walk {
            f.write_str(", on stage-1 table walk")?;
        }
        if self.external {
            f.write_str(", external abort")?;
        }
        if self.far_not_valid {
            f.write_str(", FAR not valid")?;
        }
        Ok(())
    }
}

/// A trapped MSR, MRS or system instruction (EC 0x18).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SysRegAccess {
    pub op0: u8,
    pub op1: u8,
    pub crn: u8,
    pub crm: u8,
    pub op2: u8,
    /// The general-purpose register read or written.
    pub rt: u8,
    /// Direction: true for MRS (register read into `rt`), false for MSR.
    pub read: bool,
}

impl SysRegAccess {
    pub fn from_iss(iss: u64) -> Self {
        SysRegAccess {
            op0: bits(iss, 21, 20) as u8,
            op2: bits(iss, 19, 17) as u8,
            op1: bits(iss, 16, 14) as u8,
            crn: bits(iss, 13, 10) as u8,
            rt: bits(iss, 9, 5) as u8,
            crm: bits(iss, 4, 1) as u8,
            read: bit(iss, 0),
        }
    }

    /// The encoding as one number, the same for the read and the write of
    /// one register: op0, op1, CRn, CRm, op2 packed from high to low, so
    /// that a handler can match `sys_reg(3, 0, 1, 0, 0)`-style constants.
    pub fn encoding(&self) -> u32 {
        sys_reg(self.op0, self.op1, self.crn, self.crm, self.op2)
    }
}

/// Pack a system register encoding the way [`SysRegAccess::encoding`]
/// does.
pub const fn sys_reg(op0: u8, op1: u8, crn: u8, crm: u8, op2: u8) -> u32 {
    ((op0 as u32 & 3) << 14)
        | ((op1 as u32 & 7) << 11)
        | ((crn as u32 & 15) << 7)
        | ((crm as u32 & 15) << 3)
        | (op2 as u32 & 7)
}

impl fmt::Display for SysRegAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reg = Register {
            number: self.rt,
            sixty_four: true,
        };
        let name = format_args!(
            "S{}_{}_C{}_C{}_{}",
            self.op0, self.op1, self.crn, self.crm, self.op2
        );
        if self.read {
            write!(f, "read of {name} into {reg}")
        } else {
            write!(f, "write of {name} from {reg}")
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WfxKind {
    Wfi,
    Wfe,
    Wfit,
    Wfet,
}

/// A trapped WFI/WFE (EC 0x01).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Wfx {
    pub kind: WfxKind,
    /// For WFIT/WFET with RV set: the register holding the timeout.
    pub timeout_register: Option<u8>,
}

impl Wfx {
    pub fn from_iss(iss: u64) -> Self {
        let kind = match bits(iss, 1, 0) {
            0 => WfxKind::Wfi,
            1 => WfxKind::Wfe,
            2 => WfxKind::Wfit,
            _ => WfxKind::Wfet,
        };
        let timed = matches!(kind, WfxKind::Wfit | WfxKind::Wfet);
        Wfx {
            kind,
            timeout_register: (timed && bit(iss, 2)).then_some(bits(iss, 9, 5) as u8),
        }
    }
}

impl fmt::Display for Wfx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            WfxKind::Wfi => "WFI",
            WfxKind::Wfe => "WFE",
            WfxKind::Wfit => "WFIT",
            WfxKind::Wfet => "WFET",
        })?;
        if let Some(r) = self.timeout_register {
            write!(f, " x{r}")?;
        }
        Ok(())
    }
}
