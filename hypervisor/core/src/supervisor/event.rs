//! What happens to a partition (events) and what the hypervisor is told to
//! do about it (decisions).

use super::{Generation, Micros};

/// Why a partition failed, as the hypervisor saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// A stage-2 abort outside the partition's map.
    StageTwo,
    /// Too many exceptions too fast (a guest looping on an abort).
    ExceptionStorm,
    /// The guest reported a panic through the GUEST_PANIC hypercall.
    GuestPanic { code: u64 },
    /// An exception Bulkhead cannot emulate.
    Unhandled,
}

impl FaultKind {
    /// Whether the fault can be turned into an abort the guest handles.
    pub fn injectable(self) -> bool {
        matches!(self, FaultKind::StageTwo)
    }

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::StageTwo => "stage-2 abort",
            FaultKind::ExceptionStorm => "exception storm",
            FaultKind::GuestPanic { .. } => "guest panic",
            FaultKind::Unhandled => "unhandled exception",
        }
    }
}

/// Something that happened to a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The guest called PSCI SYSTEM_RESET.
    GuestReset,
    /// The guest called PSCI SYSTEM_OFF.
    SystemOff,
    Fault(FaultKind),
    /// `tick` found the watchdog not kicked in time.
    WatchdogExpired,
    /// The guest kicked its watchdog (WATCHDOG_KICK hypercall).
    WatchdogKick,
    ManagementRestart,
    ManagementStop,
    ManagementStart,
}

/// What caused an automatic restart, a policy stop or a hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Fault(FaultKind),
    Watchdog,
    /// The guest asked for a reset (only ever a hold's trigger).
    GuestReset,
}

impl Trigger {
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Fault(k) => k.name(),
            Trigger::Watchdog => "watchdog expiry",
            Trigger::GuestReset => "guest reset",
        }
    }
}

/// What the hypervisor must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Nothing,
    /// Park the partition's cores, reload it (or load a snapshot), and
    /// release vCPU 0 no earlier than `not_before`; then call
    /// `Supervisor::started`. Requests tagged with an older generation are
    /// refused from now on.
    Restart {
        generation: Generation,
        not_before: Micros,
    },
    /// Park the partition's cores; resources stay reserved.
    Stop,
    /// Park the cores and report a crash loop: no restart until a
    /// management `start`.
    Hold,
    /// Make the faulting access a synchronous external abort in the guest.
    InjectAbort,
}
