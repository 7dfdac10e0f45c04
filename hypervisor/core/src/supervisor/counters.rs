//! What the status view shows about a partition's history.

use super::{Generation, Micros, State, Trigger};

/// The most recent fault or watchdog expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastFault {
    pub trigger: Trigger,
    /// When it happened.
    pub at: Micros,
    /// The incarnation it happened in.
    pub generation: Generation,
}

/// Totals since boot (never reset, not even by `start`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Restarts of every kind (automatic, guest-requested, management).
    pub restarts: u64,
    /// Faults and watchdog expiries.
    pub faults: u64,
    /// Guest-requested resets (PSCI SYSTEM_RESET).
    pub guest_resets: u64,
    /// Times the partition was held for a crash loop.
    pub holds: u64,
    /// Requests refused because they came from an older generation.
    pub stale_refused: u64,
    pub last_fault: Option<LastFault>,
}

impl Counters {
    pub(crate) fn bump(n: &mut u64) {
        *n = n.saturating_add(1);
    }
}

/// A snapshot of one partition's supervisor for status reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    pub state: State,
    /// The current (or, when stopped, the last) generation.
    pub generation: Generation,
    /// Time since the current start, 0 unless running.
    pub uptime: Micros,
    /// Automatic restarts within the current window.
    pub restarts_in_window: u32,
    pub counters: Counters,
}
