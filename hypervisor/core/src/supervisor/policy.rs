//! What a partition's configuration says about faults, restarts and the
//! watchdog, in the supervisor's own terms (the hypervisor converts the
//! checked configuration into these; `bulkhead-core` does not depend on
//! `bulkhead-config`).

use super::Micros;

/// Restart limits: at most `max` automatic restarts within any `window_ms`;
/// a failure sooner than `min_uptime_ms` after a start is restarted only once
/// `min_uptime_ms` has passed since that start (the back-off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartLimits {
    pub max: u32,
    pub window_ms: u32,
    pub min_uptime_ms: u32,
}

impl RestartLimits {
    /// The configuration's defaults (`restart = {}`): 3 within 10 s, 1 s
    /// minimum uptime. Also the limits on guest-requested resets of a
    /// partition whose `on_fault` is not `restart`.
    pub const DEFAULT: RestartLimits = RestartLimits {
        max: 3,
        window_ms: 10_000,
        min_uptime_ms: 1_000,
    };

    pub(crate) fn window_us(&self) -> Micros {
        ms_to_us(self.window_ms)
    }

    pub(crate) fn min_uptime_us(&self) -> Micros {
        ms_to_us(self.min_uptime_ms)
    }
}

/// What a fault (or a watchdog expiry) does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFault {
    /// Stop the partition; its cores and memory stay reserved.
    Stop,
    /// A stage-2 abort becomes a synchronous external abort in the guest,
    /// which goes on. Anything that cannot be injected (an exception storm,
    /// a guest panic, an unhandled exception, a watchdog expiry) stops it.
    InjectAbort,
    /// Restart within the limits; past them, hold.
    Restart(RestartLimits),
}

/// One partition's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub on_fault: OnFault,
    /// The watchdog period; `None`: no watchdog.
    pub watchdog_ms: Option<u32>,
}

impl Policy {
    /// The limits that apply to automatic restarts: the configured ones with
    /// `on_fault = restart`, else the defaults (which then only ever apply to
    /// guest-requested resets).
    pub fn limits(&self) -> RestartLimits {
        match self.on_fault {
            OnFault::Restart(l) => l,
            OnFault::Stop | OnFault::InjectAbort => RestartLimits::DEFAULT,
        }
    }
}

/// Milliseconds to microseconds (cannot overflow: a `u32` of milliseconds
/// is far below 2^64 microseconds).
pub(crate) fn ms_to_us(ms: u32) -> Micros {
    u64::from(ms).saturating_mul(1000)
}
