//! Management commands: parsing, answers, and carrying them out against a
//! small simulated system.

mod mgmt_common;

use bulkhead_core::mgmt::{
    execute, is_final_line, parse_command, Command, NameError, Op, ParseError, PartitionName,
    Response, Target, HELP,
};
use bulkhead_core::supervisor::{FaultKind, State};
use mgmt_common::{FakeHost, S};

fn name(n: &str) -> Target {
    Target::Name(PartitionName::new(n).unwrap())
}

fn manage(op: Op, target: Target, slot: u8) -> Command {
    Command::Manage { op, target, slot }
}

#[test]
fn parses_every_command() {
    assert_eq!(parse_command("list"), Ok(Command::List));
    assert_eq!(parse_command("help\r\n"), Ok(Command::Help));
    assert_eq!(parse_command("status"), Ok(Command::Status(None)));
    assert_eq!(
        parse_command("  status   linux0 "),
        Ok(Command::Status(Some(name("linux0"))))
    );
    assert_eq!(
        parse_command("stop rtos"),
        Ok(manage(Op::Stop, name("rtos"), 0))
    );
    assert_eq!(
        parse_command("start\trtos"),
        Ok(manage(Op::Start, name("rtos"), 0))
    );
    assert_eq!(
        parse_command("restart #2"),
        Ok(manage(Op::Restart, Target::Index(2), 0))
    );
    assert_eq!(
        parse_command("snapshot linux0"),
        Ok(manage(Op::Snapshot, name("linux0"), 0))
    );
    assert_eq!(
        parse_command("snapshot linux0 3"),
        Ok(manage(Op::Snapshot, name("linux0"), 3))
    );
    assert_eq!(
        parse_command("restore linux0 1\n"),
        Ok(manage(Op::Restore, name("linux0"), 1))
    );
    assert_eq!(
        parse_command("verify linux0"),
        Ok(manage(Op::Verify, name("linux0"), 0))
    );
    assert_eq!(
        parse_command("verify #0 3"),
        Ok(manage(Op::Verify, Target::Index(0), 3))
    );
}

#[test]
fn verify_refuses_bad_lines() {
    let err = |l: &str| parse_command(l).unwrap_err();
    assert_eq!(err("verify"), ParseError::MissingName { command: "verify" });
    assert_eq!(err("verify a 4"), ParseError::BadSlot("4".into()));
    assert_eq!(
        err("verify a 1 2"),
        ParseError::TooManyArguments { command: "verify" }
    );
    assert_eq!(manage(Op::Verify, name("a"), 2).to_string(), "verify a 2");
}

#[test]
fn verify_checks_a_slot_completely_and_touches_nothing() {
    let mut h = FakeHost::new();
    h.now = S;
    assert_eq!(
        run(&mut h, "verify linux0 1").final_line(),
        "error: verify linux0: empty slot: no snapshot was saved there"
    );
    h.memory[0][10] = 42;
    assert_eq!(run(&mut h, "snapshot linux0 1").final_line(), "ok");
    let decisions = h.decisions.len();
    let r = run(&mut h, "verify linux0 1");
    assert_eq!(r.final_line(), "ok");
    assert_eq!(
        r.lines(),
        &["slot 1 of linux0: good, every CRC-32C matches: generation 0, 1 vCPU(s), 4 KiB in 1 region(s), 0 device(s), 8192 bytes".to_string()]
    );
    // A byte of the memory section: the state checks pass, verify does not.
    let len = h.slots[0][1].len();
    let at = (0..len - 1)
        .rev()
        .find(|&i| h.slots[0][1][i] == 42)
        .expect("the saved byte");
    h.slots[0][1][at] ^= 1;
    let r = run(&mut h, "verify #0 1");
    assert!(
        r.final_line()
            .starts_with("error: verify #0: corrupt slot: memory region 0: CRC-32C 0x"),
        "{}",
        r.final_line()
    );
    assert!(r.final_line().contains("the slot's table says 0x"));
    assert_eq!(
        run(&mut h, "verify linux0 2").final_line(),
        "error: verify linux0: no such snapshot slot: this partition has slots 0 to 1"
    );
    assert_eq!(
        run(&mut h, "verify nosuch").final_line(),
        "error: verify nosuch: no such partition (try list)"
    );
    // Nothing was asked of any supervisor, nothing changed.
    assert_eq!(h.decisions.len(), decisions);
    assert!(matches!(h.state(0), State::Running { .. }));
    assert_eq!(h.memory[0][10], 42);
}

#[test]
fn refuses_bad_lines_with_messages() {
    let err = |l: &str| parse_command(l).unwrap_err();
    assert_eq!(err(""), ParseError::Empty);
    assert_eq!(err(" \r\n"), ParseError::Empty);
    assert_eq!(err("reboot"), ParseError::UnknownCommand("reboot".into()));
    assert_eq!(err("LIST"), ParseError::UnknownCommand("LIST".into()));
    assert_eq!(err("stop"), ParseError::MissingName { command: "stop" });
    assert_eq!(
        err("stop a b"),
        ParseError::TooManyArguments { command: "stop" }
    );
    assert_eq!(
        err("list all"),
        ParseError::TooManyArguments { command: "list" }
    );
    assert_eq!(
        err("snapshot a 1 2"),
        ParseError::TooManyArguments {
            command: "snapshot"
        }
    );
    assert_eq!(err("snapshot a 4"), ParseError::BadSlot("4".into()));
    assert_eq!(err("snapshot a -1"), ParseError::BadSlot("-1".into()));
    assert_eq!(err("restore a +1"), ParseError::BadSlot("+1".into()));
    assert_eq!(err("stop #"), ParseError::BadIndex("#".into()));
    assert_eq!(err("stop #x"), ParseError::BadIndex("#x".into()));
    assert_eq!(err("stop #99999"), ParseError::BadIndex("#99999".into()));
    let long = "a".repeat(33);
    assert_eq!(
        err(&format!("stop {long}")),
        ParseError::BadName(NameError::TooLong { len: 33 })
    );
    assert_eq!(
        err("stop a\u{7f}b"),
        ParseError::BadName(NameError::NotPrintable { byte: 0x7f })
    );
    assert_eq!(err(&"x".repeat(200)), ParseError::TooLong { len: 200 });
    // Messages name the problem; long input is cut.
    assert_eq!(
        err("reboot").to_string(),
        "unknown command 'reboot' (try help)"
    );
    assert_eq!(
        err("stop").to_string(),
        "stop: which partition? (stop NAME)"
    );
    assert_eq!(
        err("snapshot a 9").to_string(),
        "'9' is not a snapshot slot (0 to 3)"
    );
    let msg = err(&"z".repeat(100)).to_string();
    assert!(msg.len() < 80, "{msg}");
}

#[test]
fn names_are_checked() {
    assert!(PartitionName::new("linux0").is_ok());
    assert!(PartitionName::new(&"a".repeat(32)).is_ok());
    assert_eq!(PartitionName::new(""), Err(NameError::Empty));
    assert_eq!(
        PartitionName::new("a b"),
        Err(NameError::NotPrintable { byte: b' ' })
    );
    assert_eq!(
        PartitionName::new("é"),
        Err(NameError::NotPrintable { byte: 0xc3 })
    );
}

#[test]
fn answers_end_with_ok_or_error_and_nothing_else_looks_like_it() {
    let mut r = Response::ok();
    r.line("ok");
    r.line("error: not really");
    r.line("two\nlines\x1b[2J");
    assert_eq!(
        r.render(),
        " ok\r\n error: not really\r\ntwo?lines?[2J\r\nok\r\n"
    );
    let e = Response::error("no such\npartition");
    assert_eq!(e.render(), "error: no such?partition\r\n");
    assert!(!e.is_ok());
    let rendered = r.render();
    let lines: Vec<&str> = rendered.split("\r\n").collect();
    let finals: Vec<_> = lines.iter().filter(|l| is_final_line(l)).collect();
    assert_eq!(finals, [&"ok"]);
}

fn run(host: &mut FakeHost, line: &str) -> Response {
    execute(host, &parse_command(line).expect("parses"))
}

#[test]
fn help_and_list() {
    let mut h = FakeHost::new();
    let r = run(&mut h, "help");
    assert!(r.is_ok());
    assert_eq!(r.lines().len(), HELP.len());
    let r = run(&mut h, "list");
    assert_eq!(
        r.lines(),
        [
            "0 linux0 running gen 0 up 0 ms",
            "1 rtos running gen 0 up 0 ms",
            "2 mgr running gen 0 up 0 ms"
        ]
    );
    h.now = 2 * S;
    assert!(run(&mut h, "list").lines()[0].ends_with("up 2000 ms"));
}

#[test]
fn status_of_one_and_of_all() {
    let mut h = FakeHost::new();
    h.now = 3 * S;
    h.fault(1, FaultKind::StageTwo);
    let r = run(&mut h, "status rtos");
    assert!(r.is_ok());
    assert_eq!(r.lines()[0], "name: rtos");
    assert_eq!(r.lines()[1], "index: 1");
    assert!(r.lines().iter().any(|l| l == "faults: 1"));
    assert!(r
        .lines()
        .iter()
        .any(|l| l == "last_fault: stage-2 abort in generation 0 at 3000 ms"));
    assert!(r.lines().iter().any(|l| l == "state: restarting"));
    let all = run(&mut h, "status");
    assert_eq!(all.lines().len(), 3 * r.lines().len());
    let missing = run(&mut h, "status nope");
    assert_eq!(
        missing.final_line(),
        "error: nope: no such partition (try list)"
    );
    assert!(run(&mut h, "status #1").is_ok());
    assert!(!run(&mut h, "status #3").is_ok());
}

#[test]
fn stop_start_restart_follow_the_state() {
    let mut h = FakeHost::new();
    h.now = 5 * S;
    assert_eq!(run(&mut h, "stop rtos").final_line(), "ok");
    assert!(matches!(h.state(1), State::Stopped { .. }));
    assert_eq!(
        run(&mut h, "stop rtos").final_line(),
        "error: stop rtos: not running"
    );
    assert_eq!(run(&mut h, "start rtos").final_line(), "ok");
    assert!(matches!(h.state(1), State::Restarting { .. }));
    assert_eq!(
        run(&mut h, "restart rtos").final_line(),
        "error: restart rtos: busy: the partition is restarting"
    );
    h.boot(1);
    assert_eq!(
        run(&mut h, "start rtos").final_line(),
        "error: start rtos: already running"
    );
    assert_eq!(run(&mut h, "restart #1").final_line(), "ok");
    h.boot(1);
    assert_eq!(h.generation(1), 2);
    assert_eq!(
        run(&mut h, "stop ghost").final_line(),
        "error: stop ghost: no such partition (try list)"
    );
}

#[test]
fn a_held_partition_needs_start() {
    let mut h = FakeHost::new();
    h.crash_loop(1);
    assert!(matches!(h.state(1), State::Held { .. }));
    let r = run(&mut h, "status rtos");
    assert!(
        r.lines()
            .iter()
            .any(|l| l.starts_with("state: held (crash loop")),
        "{:?}",
        r.lines()
    );
    assert_eq!(
        run(&mut h, "restart rtos").final_line(),
        "error: restart rtos: held after a crash loop: use start to run it again"
    );
    assert_eq!(
        run(&mut h, "restore rtos").final_line(),
        "error: restore rtos: held after a crash loop: use start to run it again"
    );
    assert!(run(&mut h, "stop rtos").final_line().starts_with("error:"));
    assert_eq!(run(&mut h, "start rtos").final_line(), "ok");
}

#[test]
fn snapshot_and_restore_through_slots() {
    let mut h = FakeHost::new();
    h.now = S;
    assert_eq!(
        run(&mut h, "restore linux0 1").final_line(),
        "error: restore linux0: empty slot: no snapshot was saved there"
    );
    h.memory[0][10] = 42;
    assert_eq!(run(&mut h, "snapshot linux0 1").final_line(), "ok");
    h.memory[0][10] = 0;
    assert_eq!(run(&mut h, "restore linux0 1").final_line(), "ok");
    assert_eq!(h.memory[0][10], 42);
    assert_eq!(h.generation(0), 1, "a restore is a new incarnation");
    assert!(matches!(h.state(0), State::Restarting { .. }));
    assert_eq!(
        run(&mut h, "snapshot linux0 0").final_line(),
        "error: snapshot linux0: busy: the partition is restarting"
    );
    h.boot(0);
    assert_eq!(
        run(&mut h, "snapshot linux0 2").final_line(),
        "error: snapshot linux0: no such snapshot slot: this partition has slots 0 to 1"
    );
    assert_eq!(
        run(&mut h, "snapshot rtos").final_line(),
        "error: snapshot rtos: this partition has no snapshot slots (snapshot_slots = 0)"
    );
    // A corrupt slot is refused and the partition left alone.
    h.slots[0][1][200] ^= 1;
    let r = run(&mut h, "restore linux0 1");
    assert!(r
        .final_line()
        .starts_with("error: restore linux0: corrupt slot"));
    assert!(matches!(h.state(0), State::Running { .. }));
}
