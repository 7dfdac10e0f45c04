//! Property tests of the supervisor over random event sequences.

use bulkhead_core::supervisor::{
    Decision, Event, FaultKind, Generation, OnFault, Policy, RestartLimits, State, Supervisor,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Event(Event),
    /// Start a restart in progress as soon as its back-off allows.
    Started,
    Tick,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => Just(Event::GuestReset),
        1 => Just(Event::SystemOff),
        4 => prop_oneof![
            Just(FaultKind::StageTwo),
            Just(FaultKind::ExceptionStorm),
            any::<u64>().prop_map(|code| FaultKind::GuestPanic { code }),
            Just(FaultKind::Unhandled),
        ]
        .prop_map(Event::Fault),
        1 => Just(Event::WatchdogExpired),
        2 => Just(Event::WatchdogKick),
        1 => Just(Event::ManagementRestart),
        1 => Just(Event::ManagementStop),
        1 => Just(Event::ManagementStart),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => event().prop_map(Op::Event),
        4 => Just(Op::Started),
        1 => Just(Op::Tick),
    ]
}

fn limits() -> impl Strategy<Value = RestartLimits> {
    (1u32..6, 1u32..20_000).prop_flat_map(|(max, window_ms)| {
        (0..window_ms).prop_map(move |min_uptime_ms| RestartLimits {
            max,
            window_ms,
            min_uptime_ms,
        })
    })
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        prop_oneof![
            Just(OnFault::Stop),
            Just(OnFault::InjectAbort),
            limits().prop_map(OnFault::Restart),
        ],
        prop::option::of(1u32..5_000),
    )
        .prop_map(|(on_fault, watchdog_ms)| Policy {
            on_fault,
            watchdog_ms,
        })
}

/// Microseconds between two operations: often close together, sometimes
/// far apart.
fn gap() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..2_000, 0u64..3_000_000, 0u64..30_000_000]
}

fn automatic(e: Event) -> bool {
    matches!(
        e,
        Event::GuestReset | Event::Fault(_) | Event::WatchdogExpired
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn invariants_hold_over_any_sequence(
        policy in policy(),
        ops in prop::collection::vec((gap(), op()), 0..200),
    ) {
        let limits = policy.limits();
        let window = u64::from(limits.window_ms) * 1000;
        let min_uptime = u64::from(limits.min_uptime_ms) * 1000;
        let mut s = Supervisor::new(policy, 0);
        let mut now = 0u64;
        // Times of automatic restart decisions since the last operator start.
        let mut automatic_restarts: Vec<u64> = Vec::new();
        let mut generation = Generation(0);
        let mut faults = 0u64;

        for (dt, op) in ops {
            now += dt;
            let before = s.state();
            match op {
                Op::Tick => {
                    let r = s.tick(now);
                    if let Some(e) = r {
                        prop_assert_eq!(e, Event::WatchdogExpired);
                        prop_assert!(policy.watchdog_ms.is_some());
                        prop_assert!(matches!(before, State::Running { .. }), "{:?}", before);
                    }
                }
                Op::Started => {
                    if let State::Restarting { generation: g, not_before } = before {
                        now = now.max(not_before);
                        prop_assert_eq!(s.started(now), Ok(g));
                        prop_assert!(s.accepts(g));
                    } else {
                        prop_assert!(s.started(now).is_err());
                        prop_assert_eq!(s.state(), before);
                    }
                }
                Op::Event(e) => {
                    let d = s.handle(now, e);
                    let after = s.state();
                    if matches!(before, State::Running { .. })
                        && matches!(e, Event::Fault(_) | Event::WatchdogExpired)
                    {
                        faults += 1;
                    }
                    // Held stays held until a management start.
                    if let State::Held { .. } = before {
                        if e == Event::ManagementStart {
                            prop_assert!(matches!(d, Decision::Restart { .. }), "{:?}", d);
                        } else {
                            prop_assert_eq!(d, Decision::Nothing);
                            prop_assert_eq!(after, before);
                        }
                    }
                    // Injection only for an injectable fault under inject-abort.
                    if d == Decision::InjectAbort {
                        prop_assert_eq!(policy.on_fault, OnFault::InjectAbort);
                        prop_assert_eq!(e, Event::Fault(FaultKind::StageTwo));
                        prop_assert_eq!(after, before);
                    }
                    match d {
                        Decision::Restart { generation: g, not_before } => {
                            // Generations go up by exactly one per restart.
                            prop_assert_eq!(g, generation.next());
                            generation = g;
                            prop_assert!(!s.accepts(Generation(g.0 - 1)));
                            prop_assert!(not_before >= now);
                            prop_assert_eq!(after, State::Restarting { generation: g, not_before });
                            // An operator's start (or restart) of a stopped or
                            // held partition forgets the window.
                            if matches!(before, State::Stopped { .. } | State::Held { .. }) {
                                automatic_restarts.clear();
                            }
                            if automatic(e) {
                                if let State::Running { started_at, .. } = before {
                                    // The back-off.
                                    prop_assert!(not_before >= started_at + min_uptime);
                                }
                                automatic_restarts.push(now);
                            }
                        }
                        Decision::Hold => {
                            prop_assert!(automatic(e));
                            prop_assert!(matches!(after, State::Held { .. }), "{:?}", after);
                            // It was held because the window was full.
                            let recent = automatic_restarts
                                .iter()
                                .filter(|&&t| now - t < window)
                                .count();
                            prop_assert_eq!(recent, limits.max as usize);
                        }
                        Decision::Stop => {
                            prop_assert!(matches!(after, State::Stopped { .. }), "{:?}", after);
                        }
                        Decision::Nothing | Decision::InjectAbort => {}
                    }
                }
            }
            prop_assert_eq!(s.generation(), generation);
            prop_assert_eq!(s.counters().faults, faults);
        }

        // Never more than `max` automatic restarts in any window.
        for (i, &t) in automatic_restarts.iter().enumerate() {
            let in_window = automatic_restarts[i..]
                .iter()
                .take_while(|&&u| u - t < window)
                .count();
            prop_assert!(in_window <= limits.max as usize,
                "{} restarts within {} ms from {}", in_window, limits.window_ms, t);
        }
    }

    /// A partition that keeps failing as soon as it starts is restarted no
    /// more than once per `min_uptime`, and held after exactly `max`
    /// restarts when those fit in one window.
    #[test]
    fn a_tight_crash_loop_is_held_after_max_restarts(limits in limits(), fault_after in 0u64..1_000) {
        let mut s = Supervisor::new(
            Policy { on_fault: OnFault::Restart(limits), watchdog_ms: None },
            0,
        );
        let min_uptime = u64::from(limits.min_uptime_ms) * 1000;
        let mut started_at = 0u64;
        let mut restarts = 0u32;
        let mut held = false;
        for _ in 0..(limits.max * 3 + 3) {
            let now = started_at + fault_after;
            match s.handle(now, Event::Fault(FaultKind::Unhandled)) {
                Decision::Restart { not_before, .. } => {
                    // The back-off: never sooner than min_uptime after the start.
                    prop_assert!(not_before >= started_at + min_uptime);
                    restarts += 1;
                    s.started(not_before).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
                    started_at = not_before;
                }
                Decision::Hold => {
                    held = true;
                    break;
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        let spacing = min_uptime.max(fault_after);
        if spacing * u64::from(limits.max) < u64::from(limits.window_ms) * 1000 {
            prop_assert!(held);
            prop_assert_eq!(restarts, limits.max);
        }
    }
}
