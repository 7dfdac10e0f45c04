//! Fault status codes (DFSC/IFSC, ISS bits 5:0 of instruction and data
//! aborts), with the lookup levels of FEAT_LPA2 (level -1, and level 0 for
//! access flag and permission faults).

use core::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FaultKind {
    AddressSize,
    Translation,
    AccessFlag,
    Permission,
    /// Synchronous external abort, not on a translation table walk.
    External,
    /// Synchronous external abort on a translation table walk or update.
    ExternalOnWalk,
    /// MTE synchronous tag check fault.
    TagCheck,
    /// Synchronous parity or ECC error, not on a walk.
    ParityEcc,
    ParityEccOnWalk,
    Alignment,
    /// Granule protection fault (RME), not on a walk.
    GranuleProtection,
    GranuleProtectionOnWalk,
    TlbConflict,
    UnsupportedAtomicUpdate,
    /// IMPLEMENTATION DEFINED: lockdown.
    Lockdown,
    /// IMPLEMENTATION DEFINED: unsupported exclusive or atomic access.
    UnsupportedExclusive,
    /// A code with no meaning assigned.
    Reserved,
}

use FaultKind as K;

/// (first code, kind, level of the first code, number of codes); levels
/// rise by one per code within a run.
const RUNS: &[(u8, FaultKind, i8, u8)] = &[
    (0x00, K::AddressSize, 0, 4),
    (0x04, K::Translation, 0, 4),
    (0x08, K::AccessFlag, 0, 4),
    (0x0c, K::Permission, 0, 4),
    (0x13, K::ExternalOnWalk, -1, 5),
    (0x1b, K::ParityEccOnWalk, -1, 5),
    (0x23, K::GranuleProtectionOnWalk, -1, 5),
    (0x29, K::AddressSize, -1, 1),
    (0x2b, K::Translation, -1, 1),
];

/// Codes that name no level.
const SINGLES: &[(u8, FaultKind)] = &[
    (0x10, K::External),
    (0x11, K::TagCheck),
    (0x18, K::ParityEcc),
    (0x21, K::Alignment),
    (0x28, K::GranuleProtection),
    (0x30, K::TlbConflict),
    (0x31, K::UnsupportedAtomicUpdate),
    (0x34, K::Lockdown),
    (0x35, K::UnsupportedExclusive),
];

/// A DFSC/IFSC value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FaultStatus(pub u8);

impl FaultStatus {
    pub fn kind(self) -> FaultKind {
        self.decode().0
    }

    /// The translation table level the fault happened at, for the kinds
    /// that have one.
    pub fn level(self) -> Option<i8> {
        self.decode().1
    }

    fn decode(self) -> (FaultKind, Option<i8>) {
        let code = self.0 & 0x3f;
        for &(first, kind, level, count) in RUNS {
            if (first..first + count).contains(&code) {
                // `code - first` < count <= 5.
                return (kind, Some(level + (code - first) as i8));
            }
        }
        SINGLES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or((K::Reserved, None), |&(_, kind)| (kind, None))
    }
}

impl fmt::Display for FaultStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.kind() {
            K::AddressSize => "address size fault",
            K::Translation => "translation fault",
            K::AccessFlag => "access flag fault",
            K::Permission => "permission fault",
            K::External => "synchronous external abort",
            K::ExternalOnWalk => "synchronous external abort on table walk",
            K::TagCheck => "tag check fault",
            K::ParityEcc => "parity/ECC error",
            K::ParityEccOnWalk => "parity/ECC error on table walk",
            K::Alignment => "alignment fault",
            K::GranuleProtection => "granule protection fault",
            K::GranuleProtectionOnWalk => "granule protection fault on table walk",
            K::TlbConflict => "TLB conflict abort",
            K::UnsupportedAtomicUpdate => "unsupported atomic hardware update fault",
            K::Lockdown => "lockdown abort",
            K::UnsupportedExclusive => "unsupported exclusive or atomic access",
            K::Reserved => return write!(f, "reserved fault status {:#04x}", self.0 & 0x3f),
        };
        f.write_str(name)?;
        match self.level() {
            Some(level) => write!(f, " level {level}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn show(code: u8) -> alloc::string::String {
        FaultStatus(code).to_string()
    }

    #[test]
    fn names_and_levels() {
        assert_eq!(show(0x00), "address size fault level 0");
        assert_eq!(show(0x06), "translation fault level 2");
        assert_eq!(show(0x07), "translation fault level 3");
        assert_eq!(show(0x0b), "access flag fault level 3");
        assert_eq!(show(0x0f), "permission fault level 3");
        assert_eq!(show(0x0c), "permission fault level 0");
        assert_eq!(show(0x10), "synchronous external abort");
        assert_eq!(
            show(0x13),
            "synchronous external abort on table walk level -1"
        );
        assert_eq!(
            show(0x17),
            "synchronous external abort on table walk level 3"
        );
        assert_eq!(show(0x1c), "parity/ECC error on table walk level 0");
        assert_eq!(show(0x21), "alignment fault");
        assert_eq!(show(0x24), "granule protection fault on table walk level 0");
        assert_eq!(show(0x29), "address size fault level -1");
        assert_eq!(show(0x2b), "translation fault level -1");
        assert_eq!(show(0x30), "TLB conflict abort");
        assert_eq!(show(0x35), "unsupported exclusive or atomic access");
        assert_eq!(show(0x3f), "reserved fault status 0x3f");
        assert_eq!(show(0x12), "reserved fault status 0x12");
        // Only the low six bits count.
        assert_eq!(FaultStatus(0x46).level(), Some(2));
    }

    #[test]
    fn every_code_decodes() {
        for code in 0..=255u8 {
            let s = FaultStatus(code);
            let _ = s.to_string();
            if let Some(level) = s.level() {
                assert!((-1..=3).contains(&level));
            }
        }
    }
}
