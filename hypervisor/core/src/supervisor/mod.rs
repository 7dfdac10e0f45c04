//! The partition supervisor: a pure state machine per partition that turns
//! what happens (a fault, a guest reset, an expired watchdog, an operator's
//! command) into what the hypervisor must do (restart, stop, hold, inject an
//! abort, nothing). Policy here, mechanism in the hypervisor, as in Hubris's
//! `jefe`. Time is passed in, in microseconds of a monotonic clock, so every
//! rule is tested on the host.
//!
//! The rules (see `docs/partition-lifecycle.md` for the diagram):
//!
//! - Every automatic restart (after a fault, a watchdog expiry or a guest's
//!   SYSTEM_RESET) counts toward crash-loop protection: one that would make
//!   more than `max` within `window_ms` is refused and the partition is
//!   **held** instead, until a management `start`.
//! - Back-off: a partition that fails sooner than `min_uptime_ms` after its
//!   start is restarted no earlier than `min_uptime_ms` after that start, so
//!   a crash loop runs at most once per `min_uptime_ms`.
//! - A guest's SYSTEM_RESET always restarts (it is not a fault, whatever
//!   `on_fault` says) but it does count toward crash-loop protection: a
//!   kernel that panics and reboots itself is a crash loop the hypervisor
//!   cannot otherwise see. Without `on_fault = restart` the default limits
//!   (3 within 10 s) apply to resets.
//! - Management restarts and starts are not counted; starting a stopped
//!   or held partition (`start`, or `restart` of a stopped one) forgets the
//!   window: the operator acknowledged the loop. So the "at most `max`
//!   within any window" guarantee holds between two operator starts.

mod counters;
mod event;
mod history;
mod policy;
mod state;
mod watchdog;

pub use counters::{Counters, LastFault, Status};
pub use event::{Decision, Event, FaultKind, Trigger};
pub use policy::{OnFault, Policy, RestartLimits};
pub use state::{Generation, HoldReason, State, StopReason};

use history::RestartHistory;
use policy::ms_to_us;
use watchdog::Watchdog;

/// Microseconds on the hypervisor's monotonic clock.
pub type Micros = u64;

/// Why `Supervisor::started` refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartError {
    /// No restart was decided (the partition is running, stopped or held).
    NotRestarting,
    /// The back-off has not run out.
    TooEarly { not_before: Micros },
}

/// One partition's supervisor.
#[derive(Clone, Debug)]
pub struct Supervisor {
    policy: Policy,
    state: State,
    generation: Generation,
    history: RestartHistory,
    watchdog: Watchdog,
    counters: Counters,
}

impl Supervisor {
    /// A partition that started (generation 0) at `now`.
    pub fn new(policy: Policy, now: Micros) -> Self {
        Supervisor {
            policy,
            state: State::Running {
                generation: Generation::FIRST,
                started_at: now,
            },
            generation: Generation::FIRST,
            history: RestartHistory::default(),
            watchdog: Watchdog::new(policy.watchdog_ms.map(ms_to_us), now),
            counters: Counters::default(),
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// The current generation (while restarting: the one being started).
    pub fn generation(&self) -> Generation {
        self.generation
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Whether a request tagged with `generation` may act: the partition is
    /// running that very incarnation.
    pub fn accepts(&self, generation: Generation) -> bool {
        matches!(self.state, State::Running { generation: g, .. } if g == generation)
    }

    /// Time since the current start; 0 unless running.
    pub fn uptime(&self, now: Micros) -> Micros {
        match self.state {
            State::Running { started_at, .. } => now.saturating_sub(started_at),
            _ => 0,
        }
    }

    pub fn status(&self, now: Micros) -> Status {
        Status {
            state: self.state,
            generation: self.generation,
            uptime: self.uptime(now),
            restarts_in_window: self.history.within(now, self.policy.limits()),
            counters: self.counters,
        }
    }

    /// When the watchdog expires unless kicked; `None` without a watchdog or
    /// when not running.
    pub fn watchdog_deadline(&self) -> Option<Micros> {
        match self.state {
            State::Running { .. } => self.watchdog.deadline(),
            _ => None,
        }
    }

    /// The next time the hypervisor must look at this partition: the
    /// watchdog's deadline, or the end of a restart's back-off.
    pub fn next_deadline(&self) -> Option<Micros> {
        match self.state {
            State::Running { .. } => self.watchdog.deadline(),
            State::Restarting { not_before, .. } => Some(not_before),
            State::Stopped { .. } | State::Held { .. } => None,
        }
    }

    /// Called periodically: `Some(WatchdogExpired)` once when a running
    /// partition's watchdog period ran out; feed it to `handle`.
    pub fn tick(&mut self, now: Micros) -> Option<Event> {
        match self.state {
            State::Running { .. } if self.watchdog.poll(now) => Some(Event::WatchdogExpired),
            _ => None,
        }
    }

    /// Like `handle`, for a request from the guest tagged with the
    /// generation it came from: one from an older incarnation is refused
    /// (counted, `Decision::Nothing`).
    pub fn handle_from(&mut self, now: Micros, generation: Generation, event: Event) -> Decision {
        if !self.accepts(generation) {
            Counters::bump(&mut self.counters.stale_refused);
            return Decision::Nothing;
        }
        self.handle(now, event)
    }

    /// Decides what `event` does.
    pub fn handle(&mut self, now: Micros, event: Event) -> Decision {
        match self.state {
            State::Running { started_at, .. } => self.running(now, started_at, event),
            State::Restarting { .. } => match event {
                Event::ManagementStop => self.stop(StopReason::Management),
                _ => Decision::Nothing,
            },
            State::Stopped { .. } => match event {
                Event::ManagementStart | Event::ManagementRestart => self.operator_start(now),
                _ => Decision::Nothing,
            },
            // Only `start` ends a hold: the operator acknowledges the loop.
            State::Held { .. } => match event {
                Event::ManagementStart => self.operator_start(now),
                _ => Decision::Nothing,
            },
        }
    }

    /// The hypervisor has reloaded the partition and releases its vCPU 0 at
    /// `now`: it runs the generation the restart decision named.
    pub fn started(&mut self, now: Micros) -> Result<Generation, StartError> {
        match self.state {
            State::Restarting {
                generation,
                not_before,
            } => {
                if now < not_before {
                    return Err(StartError::TooEarly { not_before });
                }
                self.state = State::Running {
                    generation,
                    started_at: now,
                };
                self.watchdog.rearm(now);
                Ok(generation)
            }
            _ => Err(StartError::NotRestarting),
        }
    }

    fn running(&mut self, now: Micros, started_at: Micros, event: Event) -> Decision {
        match event {
            Event::WatchdogKick => {
                self.watchdog.rearm(now);
                Decision::Nothing
            }
            Event::SystemOff => self.stop(StopReason::SystemOff),
            Event::ManagementStop => self.stop(StopReason::Management),
            Event::ManagementRestart => self.begin_restart(now),
            Event::ManagementStart => Decision::Nothing,
            Event::GuestReset => {
                Counters::bump(&mut self.counters.guest_resets);
                self.automatic_restart(now, started_at, Trigger::GuestReset)
            }
            Event::Fault(kind) => self.failure(now, started_at, Trigger::Fault(kind)),
            Event::WatchdogExpired => self.failure(now, started_at, Trigger::Watchdog),
        }
    }

    /// A fault or a watchdog expiry, by policy.
    fn failure(&mut self, now: Micros, started_at: Micros, trigger: Trigger) -> Decision {
        Counters::bump(&mut self.counters.faults);
        self.counters.last_fault = Some(LastFault {
            trigger,
            at: now,
            generation: self.generation,
        });
        match self.policy.on_fault {
            OnFault::Stop => self.stop(StopReason::Policy(trigger)),
            OnFault::InjectAbort => match trigger {
                Trigger::Fault(kind) if kind.injectable() => Decision::InjectAbort,
                _ => self.stop(StopReason::Policy(trigger)),
            },
            OnFault::Restart(_) => self.automatic_restart(now, started_at, trigger),
        }
    }

    /// A counted restart, or a hold past the limits.
    fn automatic_restart(&mut self, now: Micros, started_at: Micros, trigger: Trigger) -> Decision {
        let limits = self.policy.limits();
        match self.history.try_record(now, limits) {
            Ok(()) => {
                let earliest = started_at.saturating_add(limits.min_uptime_us());
                self.begin_restart(earliest.max(now))
            }
            Err(restarts) => {
                Counters::bump(&mut self.counters.holds);
                self.state = State::Held {
                    reason: HoldReason {
                        trigger,
                        restarts,
                        window_ms: limits.window_ms,
                    },
                };
                Decision::Hold
            }
        }
    }

    fn operator_start(&mut self, now: Micros) -> Decision {
        self.history.clear();
        self.begin_restart(now)
    }

    /// Moves to `Restarting` with the next generation.
    fn begin_restart(&mut self, not_before: Micros) -> Decision {
        self.generation = self.generation.next();
        Counters::bump(&mut self.counters.restarts);
        self.state = State::Restarting {
            generation: self.generation,
            not_before,
        };
        Decision::Restart {
            generation: self.generation,
            not_before,
        }
    }

    fn stop(&mut self, reason: StopReason) -> Decision {
        self.state = State::Stopped { reason };
        Decision::Stop
    }
}
