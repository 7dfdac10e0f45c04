//! PSCI function numbers and the meaning of its return values (pure; the
//! call itself is in `arch::psci`).

pub const PSCI_VERSION: u32 = 0x8400_0000;
pub const CPU_ON_64: u32 = 0xc400_0003;
pub const AFFINITY_INFO_64: u32 = 0xc400_0004;
pub const SYSTEM_OFF: u32 = 0x8400_0008;
pub const SYSTEM_RESET: u32 = 0x8400_0009;

/// PSCI_VERSION's result as "major.minor".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
}

impl Version {
    /// None for NOT_SUPPORTED (or any other negative value).
    pub fn from_ret(ret: i64) -> Option<Self> {
        (0..=u32::MAX as i64).contains(&ret).then_some(Version {
            major: (ret >> 16) as u16,
            minor: ret as u16,
        })
    }
}

impl core::fmt::Display for Version {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Name of a PSCI return code (negative values are errors).
pub fn ret_name(ret: i64) -> &'static str {
    match ret {
        0 => "SUCCESS",
        -1 => "NOT_SUPPORTED",
        -2 => "INVALID_PARAMETERS",
        -3 => "DENIED",
        -4 => "ALREADY_ON",
        -5 => "ON_PENDING",
        -6 => "INTERNAL_FAILURE",
        -7 => "NOT_PRESENT",
        -8 => "DISABLED",
        -9 => "INVALID_ADDRESS",
        _ => "unknown",
    }
}

/// AFFINITY_INFO's result as a word.
pub fn affinity_state(ret: i64) -> &'static str {
    match ret {
        0 => "on",
        1 => "off",
        2 => "on_pending",
        _ => ret_name(ret),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version() {
        assert_eq!(
            Version::from_ret(0x1_0001),
            Some(Version { major: 1, minor: 1 })
        );
        assert_eq!(Version::from_ret(0x2).unwrap().to_string(), "0.2");
        assert_eq!(Version::from_ret(-1), None);
    }

    #[test]
    fn names() {
        assert_eq!(ret_name(-4), "ALREADY_ON");
        assert_eq!(ret_name(-42), "unknown");
        assert_eq!(affinity_state(0), "on");
        assert_eq!(affinity_state(1), "off");
        assert_eq!(affinity_state(2), "on_pending");
        assert_eq!(affinity_state(-2), "INVALID_PARAMETERS");
    }
}
