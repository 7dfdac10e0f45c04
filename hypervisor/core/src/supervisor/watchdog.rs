//! The per-partition watchdog: the guest kicks it by hypercall; if it goes
//! a whole period without a kick, `tick` reports an expiry, once.

use super::Micros;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Watchdog {
    period: Option<Micros>,
    /// The start of the current period (the start, or the last kick).
    since: Micros,
    /// An expiry was reported for this period.
    fired: bool,
}

impl Watchdog {
    pub(crate) fn new(period: Option<Micros>, now: Micros) -> Self {
        Watchdog {
            period,
            since: now,
            fired: false,
        }
    }

    /// Starts a new period at `now` (a start or a kick).
    pub(crate) fn rearm(&mut self, now: Micros) {
        self.since = now;
        self.fired = false;
    }

    /// When the current period ends, if there is a watchdog.
    pub(crate) fn deadline(&self) -> Option<Micros> {
        self.period.map(|p| self.since.saturating_add(p))
    }

    /// True the first time `now` is at or past the deadline of a period.
    pub(crate) fn poll(&mut self, now: Micros) -> bool {
        match self.deadline() {
            Some(d) if now >= d && !self.fired => {
                self.fired = true;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_once_per_period_and_a_kick_rearms() {
        let mut w = Watchdog::new(Some(100), 0);
        assert_eq!(w.deadline(), Some(100));
        assert!(!w.poll(99));
        assert!(w.poll(100));
        assert!(!w.poll(150));
        w.rearm(150);
        assert_eq!(w.deadline(), Some(250));
        assert!(w.poll(300));
    }

    #[test]
    fn no_period_never_fires() {
        let mut w = Watchdog::new(None, 0);
        assert_eq!(w.deadline(), None);
        assert!(!w.poll(u64::MAX));
    }
}
