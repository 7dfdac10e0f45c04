//! The supervisor's rules, scenario by scenario.

use bulkhead_core::supervisor::{
    Decision, Event, FaultKind, Generation, HoldReason, OnFault, Policy, RestartLimits, StartError,
    State, StopReason, Supervisor, Trigger,
};

const MS: u64 = 1000;
const S: u64 = 1_000_000;

const LIMITS: RestartLimits = RestartLimits {
    max: 3,
    window_ms: 10_000,
    min_uptime_ms: 1_000,
};

fn restart_policy() -> Policy {
    Policy {
        on_fault: OnFault::Restart(LIMITS),
        watchdog_ms: None,
    }
}

fn policy(on_fault: OnFault) -> Policy {
    Policy {
        on_fault,
        watchdog_ms: None,
    }
}

const STAGE2: Event = Event::Fault(FaultKind::StageTwo);

/// Handles `event` at `now`, expects a restart, and starts it as soon as the
/// back-off allows; returns the time it started.
fn restart_now(s: &mut Supervisor, now: u64, event: Event) -> u64 {
    match s.handle(now, event) {
        Decision::Restart { not_before, .. } => {
            s.started(not_before).expect("restarting");
            not_before
        }
        other => panic!("expected a restart, got {other:?}"),
    }
}

#[test]
fn starts_running_generation_zero() {
    let s = Supervisor::new(restart_policy(), 5);
    assert_eq!(
        s.state(),
        State::Running {
            generation: Generation(0),
            started_at: 5
        }
    );
    assert!(s.accepts(Generation(0)));
    assert!(!s.accepts(Generation(1)));
    assert_eq!(s.uptime(5 + S), S);
    assert_eq!(s.counters().restarts, 0);
}

#[test]
fn stop_policy_stops_and_records_the_fault() {
    let mut s = Supervisor::new(policy(OnFault::Stop), 0);
    assert_eq!(s.handle(2 * S, STAGE2), Decision::Stop);
    assert_eq!(
        s.state(),
        State::Stopped {
            reason: StopReason::Policy(Trigger::Fault(FaultKind::StageTwo))
        }
    );
    let c = s.counters();
    assert_eq!(c.faults, 1);
    let last = c.last_fault.expect("recorded");
    assert_eq!(last.at, 2 * S);
    assert_eq!(last.generation, Generation(0));
    assert_eq!(s.uptime(3 * S), 0);
    assert!(!s.accepts(Generation(0)));
    // Further faults of a stopped partition change nothing.
    assert_eq!(s.handle(3 * S, STAGE2), Decision::Nothing);
    assert_eq!(s.counters().faults, 1);
}

#[test]
fn inject_abort_injects_stage_two_and_escalates_the_rest() {
    let mut s = Supervisor::new(policy(OnFault::InjectAbort), 0);
    assert_eq!(s.handle(S, STAGE2), Decision::InjectAbort);
    assert!(matches!(s.state(), State::Running { .. }));
    assert_eq!(s.counters().faults, 1);
    for kind in [
        FaultKind::ExceptionStorm,
        FaultKind::GuestPanic { code: 7 },
        FaultKind::Unhandled,
    ] {
        let mut s = Supervisor::new(policy(OnFault::InjectAbort), 0);
        assert_eq!(s.handle(S, Event::Fault(kind)), Decision::Stop, "{kind:?}");
        assert_eq!(
            s.state(),
            State::Stopped {
                reason: StopReason::Policy(Trigger::Fault(kind))
            }
        );
    }
    let mut s = Supervisor::new(policy(OnFault::InjectAbort), 0);
    assert_eq!(s.handle(S, Event::WatchdogExpired), Decision::Stop);
}

#[test]
fn restart_after_a_healthy_run_is_immediate() {
    let mut s = Supervisor::new(restart_policy(), 0);
    assert_eq!(
        s.handle(5 * S, STAGE2),
        Decision::Restart {
            generation: Generation(1),
            not_before: 5 * S
        }
    );
    assert_eq!(
        s.state(),
        State::Restarting {
            generation: Generation(1),
            not_before: 5 * S
        }
    );
    // The old incarnation's requests are refused from the decision on.
    assert!(!s.accepts(Generation(0)));
    assert_eq!(s.started(5 * S + 10), Ok(Generation(1)));
    assert!(s.accepts(Generation(1)));
    assert_eq!(s.uptime(6 * S), S - 10);
    assert_eq!(s.counters().restarts, 1);
}

#[test]
fn a_quick_fault_is_restarted_only_after_min_uptime() {
    let mut s = Supervisor::new(restart_policy(), 0);
    assert_eq!(
        s.handle(100 * MS, STAGE2),
        Decision::Restart {
            generation: Generation(1),
            not_before: S
        }
    );
    assert_eq!(
        s.started(999 * MS),
        Err(StartError::TooEarly { not_before: S })
    );
    assert_eq!(s.started(S), Ok(Generation(1)));
    assert_eq!(s.started(S), Err(StartError::NotRestarting));
}

#[test]
fn a_crash_loop_is_held_until_start() {
    let mut s = Supervisor::new(restart_policy(), 0);
    let mut now = 0;
    for _ in 0..3 {
        now = restart_now(&mut s, now + 10 * MS, STAGE2);
    }
    // The fourth failure within 10 s: held, not restarted.
    assert_eq!(
        s.handle(now + 10 * MS, Event::Fault(FaultKind::Unhandled)),
        Decision::Hold
    );
    let held = State::Held {
        reason: HoldReason {
            trigger: Trigger::Fault(FaultKind::Unhandled),
            restarts: 3,
            window_ms: 10_000,
        },
    };
    assert_eq!(s.state(), held);
    assert_eq!(s.counters().holds, 1);
    assert_eq!(s.counters().faults, 4);
    // Nothing but start gets it out, not even long after.
    for e in [
        Event::ManagementRestart,
        Event::ManagementStop,
        Event::GuestReset,
        STAGE2,
        Event::WatchdogExpired,
        Event::SystemOff,
        Event::WatchdogKick,
    ] {
        assert_eq!(s.handle(now + 100 * S, e), Decision::Nothing, "{e:?}");
        assert_eq!(s.state(), held);
    }
    assert_eq!(s.tick(now + 200 * S), None);
    assert_eq!(s.started(now + 200 * S), Err(StartError::NotRestarting));
    let start_at = now + 300 * S;
    assert_eq!(
        s.handle(start_at, Event::ManagementStart),
        Decision::Restart {
            generation: Generation(4),
            not_before: start_at
        }
    );
    s.started(start_at).expect("restarting");
    // The window was forgotten: three more restarts before the next hold.
    let mut now = start_at;
    for _ in 0..3 {
        now = restart_now(&mut s, now + 10 * MS, STAGE2);
    }
    assert_eq!(s.handle(now + 10 * MS, STAGE2), Decision::Hold);
}

#[test]
fn failures_spread_beyond_the_window_are_never_held() {
    let mut s = Supervisor::new(restart_policy(), 0);
    let mut now = 0;
    for _ in 0..50 {
        // One failure every 4 s: at most 3 in any 10 s.
        now = restart_now(&mut s, now + 4 * S, STAGE2);
    }
    assert_eq!(s.counters().restarts, 50);
    assert_eq!(s.generation(), Generation(50));
}

#[test]
fn guest_reset_restarts_under_any_policy_and_counts_toward_the_loop() {
    for on_fault in [
        OnFault::Stop,
        OnFault::InjectAbort,
        OnFault::Restart(LIMITS),
    ] {
        let mut s = Supervisor::new(policy(on_fault), 0);
        let mut now = 0;
        for _ in 0..3 {
            now = restart_now(&mut s, now + 2 * S, Event::GuestReset);
        }
        assert_eq!(s.handle(now + 2 * S, Event::GuestReset), Decision::Hold);
        assert!(matches!(
            s.state(),
            State::Held {
                reason: HoldReason {
                    trigger: Trigger::GuestReset,
                    ..
                }
            }
        ));
        let c = s.counters();
        assert_eq!((c.guest_resets, c.faults, c.restarts), (4, 0, 3));
        assert_eq!(c.last_fault, None);
    }
}

#[test]
fn an_orderly_reboot_now_and_then_is_never_held() {
    let mut s = Supervisor::new(policy(OnFault::Stop), 0);
    let mut now = 0;
    for _ in 0..20 {
        now = restart_now(&mut s, now + 60 * S, Event::GuestReset);
    }
    assert_eq!(s.counters().restarts, 20);
}

#[test]
fn management_restarts_are_not_counted() {
    let mut s = Supervisor::new(restart_policy(), 0);
    let mut now = 0;
    for _ in 0..10 {
        now = restart_now(&mut s, now + 10 * MS, Event::ManagementRestart);
    }
    assert_eq!(s.status(now).restarts_in_window, 0);
    now = restart_now(&mut s, now + 10 * MS, STAGE2);
    assert_eq!(s.status(now).restarts_in_window, 1);
}

#[test]
fn system_off_and_management_stop_then_start() {
    let mut s = Supervisor::new(restart_policy(), 0);
    assert_eq!(s.handle(S, Event::SystemOff), Decision::Stop);
    assert_eq!(
        s.state(),
        State::Stopped {
            reason: StopReason::SystemOff
        }
    );
    assert_eq!(s.handle(2 * S, Event::GuestReset), Decision::Nothing);
    assert_eq!(
        s.handle(3 * S, Event::ManagementStart),
        Decision::Restart {
            generation: Generation(1),
            not_before: 3 * S
        }
    );
    s.started(3 * S).expect("restarting");
    assert_eq!(s.handle(4 * S, Event::ManagementStart), Decision::Nothing);
    assert_eq!(s.handle(4 * S, Event::ManagementStop), Decision::Stop);
    assert_eq!(
        s.state(),
        State::Stopped {
            reason: StopReason::Management
        }
    );
    // `restart` of a stopped partition starts it.
    assert!(matches!(
        s.handle(5 * S, Event::ManagementRestart),
        Decision::Restart { .. }
    ));
}

#[test]
fn a_restart_in_progress_can_be_stopped_and_ignores_the_rest() {
    let mut s = Supervisor::new(restart_policy(), 0);
    assert!(matches!(
        s.handle(100 * MS, STAGE2),
        Decision::Restart { .. }
    ));
    for e in [
        Event::ManagementRestart,
        Event::ManagementStart,
        Event::GuestReset,
        STAGE2,
        Event::WatchdogKick,
    ] {
        assert_eq!(s.handle(200 * MS, e), Decision::Nothing, "{e:?}");
    }
    assert_eq!(s.next_deadline(), Some(S));
    assert_eq!(s.handle(300 * MS, Event::ManagementStop), Decision::Stop);
    assert_eq!(s.started(2 * S), Err(StartError::NotRestarting));
}

#[test]
fn stale_requests_are_refused_and_counted() {
    let mut s = Supervisor::new(restart_policy(), 0);
    restart_now(&mut s, 5 * S, Event::ManagementRestart);
    assert_eq!(
        s.handle_from(6 * S, Generation(0), Event::SystemOff),
        Decision::Nothing
    );
    assert!(matches!(s.state(), State::Running { .. }));
    assert_eq!(s.counters().stale_refused, 1);
    assert_eq!(
        s.handle_from(6 * S, Generation(1), Event::SystemOff),
        Decision::Stop
    );
}

#[test]
fn the_watchdog_expires_once_and_a_kick_rearms_it() {
    let mut s = Supervisor::new(
        Policy {
            on_fault: OnFault::Restart(LIMITS),
            watchdog_ms: Some(500),
        },
        0,
    );
    assert_eq!(s.watchdog_deadline(), Some(500 * MS));
    assert_eq!(s.tick(499 * MS), None);
    assert_eq!(s.handle(400 * MS, Event::WatchdogKick), Decision::Nothing);
    assert_eq!(s.watchdog_deadline(), Some(900 * MS));
    assert_eq!(s.tick(899 * MS), None);
    assert_eq!(s.tick(900 * MS), Some(Event::WatchdogExpired));
    assert_eq!(s.tick(901 * MS), None, "reported once");
    let d = s.handle(900 * MS, Event::WatchdogExpired);
    assert_eq!(
        d,
        Decision::Restart {
            generation: Generation(1),
            not_before: S
        }
    );
    assert_eq!(s.counters().faults, 1);
    assert_eq!(
        s.counters().last_fault.map(|f| f.trigger),
        Some(Trigger::Watchdog)
    );
    // Not running: no deadline, no expiry.
    assert_eq!(s.watchdog_deadline(), None);
    assert_eq!(s.tick(10 * S), None);
    // The new incarnation gets a fresh period from its start.
    s.started(2 * S).expect("restarting");
    assert_eq!(s.watchdog_deadline(), Some(2 * S + 500 * MS));
}

#[test]
fn no_watchdog_no_deadline() {
    let mut s = Supervisor::new(restart_policy(), 0);
    assert_eq!(s.watchdog_deadline(), None);
    assert_eq!(s.next_deadline(), None);
    assert_eq!(s.tick(u64::MAX), None);
}

#[test]
fn status_reports_the_counters() {
    let mut s = Supervisor::new(restart_policy(), 0);
    let now = restart_now(&mut s, 5 * S, STAGE2);
    let st = s.status(now + 3 * S);
    assert_eq!(st.generation, Generation(1));
    assert_eq!(st.uptime, 3 * S);
    assert_eq!(st.restarts_in_window, 1);
    assert_eq!(st.counters.restarts, 1);
    assert_eq!(st.counters.faults, 1);
    assert_eq!(st.state.name(), "running");
}

#[test]
fn time_going_backwards_does_not_panic() {
    let mut s = Supervisor::new(restart_policy(), 10 * S);
    assert_eq!(s.uptime(0), 0);
    assert!(matches!(s.handle(0, STAGE2), Decision::Restart { .. }));
    assert!(s.started(u64::MAX).is_ok());
    assert_eq!(s.watchdog_deadline(), None);
}
