//! Property tests of the management protocol: nothing an operator or a
//! guest sends can panic it or break its framing.

mod mgmt_common;

use bulkhead_core::mgmt::{
    decode_hypercall, execute, execute_hypercall, is_final_line, parse_command, Command,
    ConsoleMux, HvcStatus, Hypercall, MuxAction, Op, PartitionName, Response, Target, CTRL_A,
    LINE_MAX, MAX_SLOTS,
};
use mgmt_common::FakeHost;
use proptest::prelude::*;

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        prop_oneof![Just("linux0"), Just("rtos"), Just("mgr")]
            .prop_map(|s| Target::Name(PartitionName::new(s).unwrap())),
        (0usize..4).prop_map(Target::Index),
        "[!-~]{1,32}"
            .prop_filter("not an index", |s| !s.starts_with('#'))
            .prop_map(|s| Target::Name(PartitionName::new(&s).unwrap())),
        (0usize..10_000).prop_map(Target::Index),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    let op = prop_oneof![
        Just(Op::Stop),
        Just(Op::Start),
        Just(Op::Restart),
        Just(Op::Snapshot),
        Just(Op::Restore),
        Just(Op::Verify)
    ];
    prop_oneof![
        Just(Command::List),
        Just(Command::Help),
        prop::option::of(target()).prop_map(Command::Status),
        (op, target(), 0..MAX_SLOTS).prop_map(|(op, target, slot)| Command::Manage {
            op,
            target,
            slot: if op.takes_slot() { slot } else { 0 },
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn commands_print_and_parse_back(c in command()) {
        let line = c.to_string();
        prop_assert_eq!(parse_command(&line), Ok(c));
    }

    #[test]
    fn parsing_never_panics(line in ".{0,200}") {
        let _ = parse_command(&line);
    }

    #[test]
    fn parsing_byte_soup_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..150)) {
        let line = String::from_utf8_lossy(&bytes);
        if let Ok(c) = parse_command(&line) {
            prop_assert!(line.len() <= LINE_MAX);
            prop_assert_eq!(parse_command(&c.to_string()), Ok(c));
        }
    }

    /// Exactly one line of an answer ends it: its last.
    #[test]
    fn answers_have_exactly_one_final_line(
        body in prop::collection::vec(".{0,40}", 0..6),
        error in prop::option::of(".{0,40}"),
    ) {
        let mut r = match &error {
            Some(m) => Response::error(m),
            None => Response::ok(),
        };
        for l in &body {
            r.line(l);
        }
        let text = r.render();
        prop_assert!(text.ends_with("\r\n"));
        let lines: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
        prop_assert_eq!(lines.len(), body.len() + 1);
        for (i, l) in lines.iter().enumerate() {
            prop_assert_eq!(is_final_line(l), i == lines.len() - 1, "line {}: {:?}", i, l);
            prop_assert!(l.bytes().all(|b| (0x20..0x7f).contains(&b)));
        }
    }

    /// Any command against the simulated system answers with a framed
    /// response and never panics.
    #[test]
    fn executing_anything_answers(cmds in prop::collection::vec(command(), 0..20), dt in 0u64..5_000_000) {
        let mut h = FakeHost::new();
        for c in cmds {
            h.now += dt;
            let r = execute(&mut h, &c);
            let text = r.render();
            prop_assert!(text.lines().last().is_some_and(is_final_line));
            for i in 0..3 { h.boot(i); }
        }
    }

    /// The mux never panics, delivers only to real partitions, and hands
    /// out only printable, non-empty, bounded command lines.
    #[test]
    fn the_mux_is_well_behaved(n in 0usize..12, bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut m = ConsoleMux::new(n);
        for b in bytes {
            match m.feed(b) {
                MuxAction::ToPartition(i, _) | MuxAction::Switch(i) => prop_assert!(i < n),
                MuxAction::Command(line) => {
                    prop_assert!(!line.trim().is_empty());
                    prop_assert!(line.len() <= LINE_MAX);
                    prop_assert!(line.bytes().all(|c| (0x20..0x7f).contains(&c)));
                }
                MuxAction::Echo(e) => prop_assert!(!e.as_bytes().is_empty()),
                MuxAction::Nothing => {}
            }
        }
    }

    /// Without Ctrl-A the mux is transparent.
    #[test]
    fn without_ctrl_a_every_byte_passes(bytes in prop::collection::vec(any::<u8>().prop_filter("no ctrl-a", |&b| b != CTRL_A), 0..200)) {
        let mut m = ConsoleMux::new(1);
        for b in bytes {
            prop_assert_eq!(m.feed(b), MuxAction::ToPartition(0, b));
        }
    }

    #[test]
    fn decoding_never_panics(x in any::<[u64; 4]>()) {
        let _ = decode_hypercall(x);
    }

    /// Whatever a partition that is not the manager calls, the other
    /// partitions are untouched, and unknown calls get NOT_SUPPORTED.
    #[test]
    fn a_guest_cannot_touch_others(
        caller in 0usize..2,
        calls in prop::collection::vec((
            prop_oneof![Just(0xC600_0000u64), Just(0x8600_0000u64), any::<u64>()],
            0u64..0x30,
            any::<u64>(), 0u64..8, 0u64..8,
        ), 0..30),
    ) {
        let mut h = FakeHost::new();
        let before: Vec<_> = (0..3).map(|i| h.state(i)).collect();
        for (base, n, x1, x2, x3) in calls {
            let x = [base | n, x1, x2, x3];
            let r = execute_hypercall(&mut h, caller, x);
            if let Hypercall::Unknown { .. } = decode_hypercall(x) {
                prop_assert_eq!(r, [HvcStatus::NotSupported.to_x0(), 0, 0, 0]);
            }
            h.now += 1000;
        }
        for (i, b) in before.iter().enumerate() {
            if i != caller {
                prop_assert_eq!(&h.state(i), b);
            }
        }
        prop_assert!(h.decisions.iter().all(|(i, _)| *i == caller));
    }
}
