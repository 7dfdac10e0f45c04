//! Hypercall results: status codes in x0, and PARTITION_INFO's packed word.

use crate::snapshot::SnapshotError;
use crate::supervisor::FaultKind;
use crate::supervisor::{State, Status, StopReason, Trigger};

/// x0 of a hypercall's result. Negative values are errors; -1 and -3 are
/// the SMC Calling Convention's own NOT_SUPPORTED and INVALID_PARAMETER.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i64)]
pub enum HvcStatus {
    Ok = 0,
    NotSupported = -1,
    InvalidParameter = -3,
    /// The caller is not the manager partition.
    NotManager = -4,
    NoSuchPartition = -5,
    /// The partition is restarting, or another operation is under way.
    Busy = -6,
    /// The partition has no such snapshot slot.
    NoSuchSlot = -7,
    /// Not in a state the operation applies to (start of a running
    /// partition, restart of a held one).
    WrongState = -8,
    /// The operation failed: an empty or corrupt snapshot slot (a restore
    /// or verify), one too small (a snapshot), ...; for a verify (since
    /// 1.2), x1 says which ([`failure_code`]).
    Failed = -9,
}

impl HvcStatus {
    /// The value for x0.
    pub fn to_x0(self) -> u64 {
        self as i64 as u64
    }

    /// A few words for logs: `ok`, `not the manager`, `wrong state`, ...
    pub fn name(self) -> &'static str {
        match self {
            HvcStatus::Ok => "ok",
            HvcStatus::NotSupported => "not supported",
            HvcStatus::InvalidParameter => "invalid parameter",
            HvcStatus::NotManager => "not the manager",
            HvcStatus::NoSuchPartition => "no such partition",
            HvcStatus::Busy => "busy",
            HvcStatus::NoSuchSlot => "no such slot",
            HvcStatus::WrongState => "wrong state",
            HvcStatus::Failed => "failed",
        }
    }

    pub fn from_x0(x0: u64) -> Option<Self> {
        use HvcStatus as S;
        [
            S::Ok,
            S::NotSupported,
            S::InvalidParameter,
            S::NotManager,
            S::NoSuchPartition,
            S::Busy,
            S::NoSuchSlot,
            S::WrongState,
            S::Failed,
        ]
        .into_iter()
        .find(|s| s.to_x0() == x0)
    }
}

/// PARTITION_INFO's state codes (x1 bits 7:0).
pub mod state_code {
    pub const RUNNING: u8 = 0;
    pub const RESTARTING: u8 = 1;
    pub const STOPPED: u8 = 2;
    pub const HELD: u8 = 3;
}

/// PARTITION_INFO's reason codes (x1 bits 15:8): why it is stopped or held.
pub mod reason_code {
    pub const NONE: u8 = 0;
    pub const SYSTEM_OFF: u8 = 1;
    pub const MANAGEMENT: u8 = 2;
    pub const STAGE_TWO: u8 = 3;
    pub const EXCEPTION_STORM: u8 = 4;
    pub const GUEST_PANIC: u8 = 5;
    pub const UNHANDLED: u8 = 6;
    pub const WATCHDOG: u8 = 7;
    pub const GUEST_RESET: u8 = 8;
}

/// MGMT_COMMAND's x1 when a verify (since interface 1.2) answers FAILED:
/// what was wrong with the snapshot slot.
pub mod failure_code {
    /// Anything else (Bulkhead's console says what).
    pub const OTHER: u8 = 0;
    /// Nothing was saved in the slot.
    pub const EMPTY: u8 = 1;
    /// The slot's bytes fail a check: magic, lengths, a CRC-32C, ...
    pub const CORRUPT: u8 = 2;
    /// A snapshot format version this Bulkhead does not read.
    pub const VERSION: u8 = 3;
    /// A snapshot of another partition or shape.
    pub const MISMATCH: u8 = 4;
    /// The slot cannot hold the snapshot.
    pub const TOO_SMALL: u8 = 5;
}

/// The [`failure_code`] for a snapshot error.
pub fn failure_of(e: &SnapshotError) -> u8 {
    use SnapshotError as E;
    match e {
        E::EmptySlot => failure_code::EMPTY,
        E::TooShort { .. }
        | E::BadMagic
        | E::BadLength { .. }
        | E::HeaderChecksum { .. }
        | E::SectionChecksum { .. }
        | E::BadPadding { .. }
        | E::BadHeader(_)
        | E::BadSection { .. }
        | E::TooMany { .. }
        | E::BadName
        | E::BadSectionLength { .. }
        | E::State { .. } => failure_code::CORRUPT,
        E::UnsupportedVersion { .. } => failure_code::VERSION,
        E::Mismatch(_) | E::NothingToResume => failure_code::MISMATCH,
        E::SlotTooSmall { .. } => failure_code::TOO_SMALL,
        E::OutOfOrder { .. } | E::Incomplete { .. } | E::Unsupported(_) => failure_code::OTHER,
    }
}

/// A failure code in words, as the snapshot errors begin (empty for
/// [`failure_code::OTHER`] and for codes this build does not know).
pub fn failure_name(code: u8) -> &'static str {
    match code {
        failure_code::EMPTY => "empty slot: no snapshot was saved there",
        failure_code::CORRUPT => "corrupt slot",
        failure_code::VERSION => "snapshot format version this Bulkhead does not read",
        failure_code::MISMATCH => "snapshot does not fit this partition",
        failure_code::TOO_SMALL => "slot too small",
        _ => "",
    }
}

/// A state code in words, as `list` and `status` print it.
pub fn state_name(code: u8) -> &'static str {
    match code {
        state_code::RUNNING => "running",
        state_code::RESTARTING => "restarting",
        state_code::STOPPED => "stopped",
        state_code::HELD => "held",
        _ => "unknown",
    }
}

/// A reason code in words, as the supervisor names the reason (empty for
/// none).
pub fn reason_name(code: u8) -> &'static str {
    match code {
        reason_code::NONE => "",
        reason_code::SYSTEM_OFF => StopReason::SystemOff.name(),
        reason_code::MANAGEMENT => StopReason::Management.name(),
        reason_code::STAGE_TWO => FaultKind::StageTwo.name(),
        reason_code::EXCEPTION_STORM => FaultKind::ExceptionStorm.name(),
        reason_code::GUEST_PANIC => FaultKind::GuestPanic { code: 0 }.name(),
        reason_code::UNHANDLED => FaultKind::Unhandled.name(),
        reason_code::WATCHDOG => Trigger::Watchdog.name(),
        reason_code::GUEST_RESET => Trigger::GuestReset.name(),
        _ => "unknown reason",
    }
}

fn trigger_code(t: Trigger) -> u8 {
    match t {
        Trigger::Fault(FaultKind::StageTwo) => reason_code::STAGE_TWO,
        Trigger::Fault(FaultKind::ExceptionStorm) => reason_code::EXCEPTION_STORM,
        Trigger::Fault(FaultKind::GuestPanic { .. }) => reason_code::GUEST_PANIC,
        Trigger::Fault(FaultKind::Unhandled) => reason_code::UNHANDLED,
        Trigger::Watchdog => reason_code::WATCHDOG,
        Trigger::GuestReset => reason_code::GUEST_RESET,
    }
}

/// PARTITION_INFO's x1, unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackedInfo {
    pub state: u8,
    pub reason: u8,
    /// Restarts since boot, saturated at 0xFFFF.
    pub restarts: u16,
    /// Faults since boot, saturated at 0xFFFF.
    pub faults: u16,
    /// Bits 55:48: [`info_flags`] (a snapshot or restore under way, the
    /// last one failed).
    pub flags: u8,
}

/// PARTITION_INFO's flags (x1 bits 55:48), from interface revision 1.1.
pub mod info_flags {
    /// A snapshot or restore was accepted and is not finished yet.
    pub const OP_PENDING: u8 = 1 << 0;
    /// The last snapshot or restore of this partition failed (the console
    /// says why).
    pub const OP_FAILED: u8 = 1 << 1;
}

impl PackedInfo {
    pub fn of(status: &Status) -> Self {
        let (state, reason) = match status.state {
            State::Running { .. } => (state_code::RUNNING, reason_code::NONE),
            State::Restarting { .. } => (state_code::RESTARTING, reason_code::NONE),
            State::Stopped { reason } => (
                state_code::STOPPED,
                match reason {
                    StopReason::SystemOff => reason_code::SYSTEM_OFF,
                    StopReason::Management => reason_code::MANAGEMENT,
                    StopReason::Policy(t) => trigger_code(t),
                },
            ),
            State::Held { reason } => (state_code::HELD, trigger_code(reason.trigger)),
        };
        let sat = |n: u64| u16::try_from(n).unwrap_or(u16::MAX);
        PackedInfo {
            state,
            reason,
            restarts: sat(status.counters.restarts),
            faults: sat(status.counters.faults),
            flags: 0,
        }
    }

    /// Bits 7:0 state, 15:8 reason, 31:16 restarts, 47:32 faults, 55:48
    /// flags, 63:56 zero.
    pub fn pack(&self) -> u64 {
        u64::from(self.state)
            | u64::from(self.reason) << 8
            | u64::from(self.restarts) << 16
            | u64::from(self.faults) << 32
            | u64::from(self.flags) << 48
    }

    pub fn unpack(x1: u64) -> Self {
        PackedInfo {
            state: x1 as u8,
            reason: (x1 >> 8) as u8,
            restarts: (x1 >> 16) as u16,
            faults: (x1 >> 32) as u16,
            flags: (x1 >> 48) as u8,
        }
    }
}
