//! The sliding window of automatic restarts, for crash-loop protection.

use super::{Micros, RestartLimits};
use alloc::collections::VecDeque;

/// When the recent automatic restarts were decided, oldest first. Holds at
/// most `max` entries: older ones have left the window.
#[derive(Clone, Debug, Default)]
pub(crate) struct RestartHistory {
    times: VecDeque<Micros>,
}

impl RestartHistory {
    /// Records a restart at `now` if fewer than `limits.max` restarts were
    /// decided within the window `(now - window, now]`; otherwise records
    /// nothing and returns how many there were.
    ///
    /// So no half-open interval of `window_ms` ever holds more than `max`
    /// recorded restarts.
    pub(crate) fn try_record(&mut self, now: Micros, limits: RestartLimits) -> Result<(), u32> {
        let window = limits.window_us();
        while let Some(&oldest) = self.times.front() {
            if now.saturating_sub(oldest) >= window {
                self.times.pop_front();
            } else {
                break;
            }
        }
        let count = u32::try_from(self.times.len()).unwrap_or(u32::MAX);
        if count >= limits.max {
            return Err(count);
        }
        self.times.push_back(now);
        Ok(())
    }

    /// Forgets every restart (an operator's `start` acknowledges the loop).
    pub(crate) fn clear(&mut self) {
        self.times.clear();
    }

    /// Restarts within the window ending at `now`.
    pub(crate) fn within(&self, now: Micros, limits: RestartLimits) -> u32 {
        let window = limits.window_us();
        let n = self
            .times
            .iter()
            .filter(|&&t| now.saturating_sub(t) < window)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: RestartLimits = RestartLimits {
        max: 2,
        window_ms: 10,
        min_uptime_ms: 1,
    };

    #[test]
    fn refuses_the_third_within_the_window_and_forgets_old_ones() {
        let mut h = RestartHistory::default();
        assert_eq!(h.try_record(0, L), Ok(()));
        assert_eq!(h.try_record(5_000, L), Ok(()));
        assert_eq!(h.try_record(9_999, L), Err(2));
        assert_eq!(h.within(9_999, L), 2);
        // At 10 000 µs the first has left the window.
        assert_eq!(h.try_record(10_000, L), Ok(()));
        assert_eq!(h.within(10_000, L), 2);
        h.clear();
        assert_eq!(h.within(10_000, L), 0);
    }
}
