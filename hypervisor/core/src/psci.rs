//! PSCI as a partition sees it: decoding the function a guest asked for and
//! the return codes. The hypervisor acts on the decoded call (starting a
//! vCPU, stopping a partition); the decision of what is allowed is here so
//! that it is tested on the host.

/// PSCI return codes (PSCI 1.1, table 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum PsciError {
    NotSupported = -1,
    InvalidParameters = -2,
    Denied = -3,
    AlreadyOn = -4,
    OnPending = -5,
    InternalFailure = -6,
    NotPresent = -7,
    Disabled = -8,
    InvalidAddress = -9,
}

impl PsciError {
    /// The value a guest finds in x0.
    pub fn to_x0(self) -> u64 {
        self as i32 as i64 as u64
    }
}

pub const VERSION: u32 = 0x8400_0000;
pub const CPU_SUSPEND_32: u32 = 0x8400_0001;
pub const CPU_SUSPEND_64: u32 = 0xC400_0001;
pub const CPU_OFF: u32 = 0x8400_0002;
pub const CPU_ON_32: u32 = 0x8400_0003;
pub const CPU_ON_64: u32 = 0xC400_0003;
pub const AFFINITY_INFO_32: u32 = 0x8400_0004;
pub const AFFINITY_INFO_64: u32 = 0xC400_0004;
pub const MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
pub const SYSTEM_OFF: u32 = 0x8400_0008;
pub const SYSTEM_RESET: u32 = 0x8400_0009;
pub const FEATURES: u32 = 0x8400_000A;
/// SMCCC_VERSION (SMC Calling Convention 1.1+), which Linux probes.
pub const SMCCC_VERSION: u32 = 0x8000_0000;

/// PSCI 1.1 as reported by VERSION (major << 16 | minor).
pub const PSCI_VERSION_1_1: u64 = (1 << 16) | 1;
/// MIGRATE_INFO_TYPE: "Trusted OS not present or does not require migration".
pub const MIGRATE_NOT_REQUIRED: u64 = 2;

/// A call decoded from x0..x3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PsciCall {
    Version,
    Features {
        function: u32,
    },
    CpuOn {
        target: u64,
        entry: u64,
        context: u64,
    },
    CpuOff,
    CpuSuspend,
    AffinityInfo {
        target: u64,
        level: u64,
    },
    MigrateInfoType,
    SystemOff,
    SystemReset,
    SmcccVersion,
    /// Anything else: answered NOT_SUPPORTED.
    Unknown {
        function: u32,
    },
}

/// Decodes a guest's call. 32-bit variants have their arguments truncated
/// to 32 bits, as the SMC Calling Convention says.
pub fn decode(x: [u64; 4]) -> PsciCall {
    let function = x[0] as u32;
    let a32 = |v: u64| v & 0xFFFF_FFFF;
    match function {
        VERSION => PsciCall::Version,
        FEATURES => PsciCall::Features {
            function: x[1] as u32,
        },
        CPU_ON_64 => PsciCall::CpuOn {
            target: x[1],
            entry: x[2],
            context: x[3],
        },
        CPU_ON_32 => PsciCall::CpuOn {
            target: a32(x[1]),
            entry: a32(x[2]),
            context: a32(x[3]),
        },
        CPU_OFF => PsciCall::CpuOff,
        CPU_SUSPEND_32 | CPU_SUSPEND_64 => PsciCall::CpuSuspend,
        AFFINITY_INFO_64 => PsciCall::AffinityInfo {
            target: x[1],
            level: x[2],
        },
        AFFINITY_INFO_32 => PsciCall::AffinityInfo {
            target: a32(x[1]),
            level: a32(x[2]),
        },
        MIGRATE_INFO_TYPE => PsciCall::MigrateInfoType,
        SYSTEM_OFF => PsciCall::SystemOff,
        SYSTEM_RESET => PsciCall::SystemReset,
        SMCCC_VERSION => PsciCall::SmcccVersion,
        other => PsciCall::Unknown { function: other },
    }
}

/// FEATURES: 0 for the functions we implement, NOT_SUPPORTED otherwise.
pub fn features(function: u32) -> u64 {
    match function {
        VERSION | CPU_ON_32 | CPU_ON_64 | CPU_OFF | AFFINITY_INFO_32 | AFFINITY_INFO_64
        | MIGRATE_INFO_TYPE | SYSTEM_OFF | SYSTEM_RESET | FEATURES | CPU_SUSPEND_32
        | CPU_SUSPEND_64 => 0,
        _ => PsciError::NotSupported.to_x0(),
    }
}

/// The MPIDR affinity of vCPU `i` as the partition sees it (its device
/// tree's cpu `reg` and its VMPIDR_EL2): 16 vCPUs per cluster, Aff0 = i % 16,
/// Aff1 = i / 16, as GICv3's 16-target SGI lists want.
pub fn vcpu_mpidr(i: usize) -> u64 {
    ((i % 16) as u64) | (((i / 16) as u64 & 0xFF) << 8)
}

/// The vCPU index a guest's MPIDR-style target names, if it is one of the
/// partition's `vcpus`. Aff2/Aff3 set, Aff0 >= 16, or out of range: `None`.
pub fn target_vcpu(target: u64, vcpus: usize) -> Option<usize> {
    let affinity = target & 0xFF_00FF_FFFF;
    if affinity > 0xFFFF || affinity & 0xFF >= 16 {
        return None;
    }
    let i = ((affinity >> 8) * 16 + (affinity & 0xFF)) as usize;
    (i < vcpus).then_some(i)
}

/// AFFINITY_INFO answers.
pub const AFFINITY_ON: u64 = 0;
pub const AFFINITY_OFF: u64 = 1;
pub const AFFINITY_ON_PENDING: u64 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_calls_linux_makes() {
        assert_eq!(decode([VERSION as u64, 0, 0, 0]), PsciCall::Version);
        assert_eq!(
            decode([CPU_ON_64 as u64, 1, 0x4808_0000, 7]),
            PsciCall::CpuOn {
                target: 1,
                entry: 0x4808_0000,
                context: 7
            }
        );
        assert_eq!(
            decode([CPU_ON_32 as u64, 0xFFFF_FFFF_0000_0001, 0x1_4808_0000, 0]),
            PsciCall::CpuOn {
                target: 1,
                entry: 0x4808_0000,
                context: 0
            }
        );
        assert_eq!(
            decode([0xC400_0005, 0, 0, 0]),
            PsciCall::Unknown {
                function: 0xC400_0005
            }
        );
        // The upper half of x0 is ignored (SMCCC: function ids are 32-bit).
        assert_eq!(
            decode([0xDEAD_0000_8400_0008, 0, 0, 0]),
            PsciCall::SystemOff
        );
    }

    #[test]
    fn targets_outside_the_partition_are_refused() {
        assert_eq!(target_vcpu(0, 2), Some(0));
        assert_eq!(target_vcpu(1, 2), Some(1));
        assert_eq!(target_vcpu(2, 2), None);
        assert_eq!(target_vcpu(0x100, 4), None); // Aff1 = 1: vCPU 16
        assert_eq!(target_vcpu(0x100, 17), Some(16));
        assert_eq!(target_vcpu(0x10, 40), None); // Aff0 = 16 is never used
        for i in 0..40 {
            assert_eq!(target_vcpu(vcpu_mpidr(i), 40), Some(i));
        }
        assert_eq!(target_vcpu(0x1_0000_0000, 4), None); // Aff3 = 1
        assert_eq!(target_vcpu(0x8000_0001, 4), Some(1)); // U/MT bits ignored
    }

    #[test]
    fn error_codes_are_negative_in_x0() {
        assert_eq!(PsciError::NotSupported.to_x0(), u64::MAX);
        assert_eq!(PsciError::InvalidParameters.to_x0() as i64, -2);
        assert_eq!(features(CPU_ON_64), 0);
        assert_eq!(features(0xC400_0012), u64::MAX);
    }
}
