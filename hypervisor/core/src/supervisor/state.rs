//! The states of a partition and the reasons for the stopped ones.

use super::{Micros, Trigger};

/// The incarnation of a partition: 0 at boot, one more on every restart.
/// A request (a CPU_ON, a hypercall in flight) tagged with an older
/// generation is refused instead of reaching the new incarnation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Generation(pub u64);

impl Generation {
    pub const FIRST: Generation = Generation(0);

    /// The next incarnation (saturates at `u64::MAX`, which no partition
    /// reaches: a restart a microsecond for 500 000 years).
    pub fn next(self) -> Generation {
        Generation(self.0.saturating_add(1))
    }
}

/// Why a partition is stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The guest called PSCI SYSTEM_OFF.
    SystemOff,
    /// A management `stop`.
    Management,
    /// Its fault policy stopped it.
    Policy(Trigger),
}

impl StopReason {
    pub fn name(self) -> &'static str {
        match self {
            StopReason::SystemOff => "system off",
            StopReason::Management => "stopped by management",
            StopReason::Policy(t) => t.name(),
        }
    }
}

/// Why a partition is held: it failed more than `max` times within
/// `window_ms`; `trigger` is the failure that crossed the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldReason {
    pub trigger: Trigger,
    /// Restarts already within the window when it failed again.
    pub restarts: u32,
    pub window_ms: u32,
}

/// A partition's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Running {
        generation: Generation,
        started_at: Micros,
    },
    /// Between a restart decision and `Supervisor::started`: the cores are
    /// parked, the image is being reloaded, and the back-off may be running.
    Restarting {
        generation: Generation,
        not_before: Micros,
    },
    /// Not running; cores and memory stay reserved. `start` runs it again.
    Stopped { reason: StopReason },
    /// Stopped after a crash loop, reported; only `start` runs it again.
    Held { reason: HoldReason },
}

impl State {
    /// One word for status lines.
    pub fn name(&self) -> &'static str {
        match self {
            State::Running { .. } => "running",
            State::Restarting { .. } => "restarting",
            State::Stopped { .. } => "stopped",
            State::Held { .. } => "held",
        }
    }
}
