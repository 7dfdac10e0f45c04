//! `bulkhead-mgmt` against the hypervisor's own hypercall code
//! (`bulkhead_core::mgmt::execute_hypercall`) over a simulated system.

use crate::cli::{run, Caller, Failure, USAGE};
use bulkhead_core::mgmt::hypercall::{MGMT_COMMAND, REVISION};
use bulkhead_core::mgmt::{execute_hypercall, info_flags, op_code, Host, HvcStatus, Op};
use bulkhead_core::snapshot::{SectionKind, SnapshotError, Summary};
use bulkhead_core::supervisor::{Decision, Event, OnFault, Policy, Status, Supervisor};

struct System {
    names: Vec<&'static str>,
    sups: Vec<Supervisor>,
    manager: usize,
    /// Polls left until a snapshot finishes, and whether it fails.
    pending: u32,
    fails: bool,
    snapshots: Vec<(usize, u8)>,
    /// Slots whose memory no longer matches its CRC-32C.
    corrupt: Vec<(usize, u8)>,
    /// Every verify the hypervisor was asked for.
    verifies: Vec<(usize, u8)>,
}

impl System {
    fn new() -> Self {
        let policy = Policy {
            on_fault: OnFault::Stop,
            watchdog_ms: None,
        };
        System {
            names: vec!["linux0", "beat", "mgr"],
            sups: (0..3).map(|_| Supervisor::new(policy, 0)).collect(),
            manager: 2,
            pending: 0,
            fails: false,
            snapshots: Vec::new(),
            corrupt: Vec::new(),
            verifies: Vec::new(),
        }
    }
}

impl Host for System {
    fn partition_count(&self) -> usize {
        self.names.len()
    }
    fn name(&self, index: usize) -> Option<&str> {
        self.names.get(index).copied()
    }
    fn status(&self, index: usize) -> Option<Status> {
        self.sups.get(index).map(|s| s.status(5_000_000))
    }
    fn slots(&self, index: usize) -> u8 {
        if index == 0 {
            2
        } else {
            0
        }
    }
    fn is_manager(&self, index: usize) -> bool {
        index == self.manager
    }
    fn control(&mut self, index: usize, event: Event) -> Decision {
        self.sups[index].handle(1_000_000, event)
    }
    fn snapshot(&mut self, index: usize, slot: u8) -> Result<(), SnapshotError> {
        self.snapshots.push((index, slot));
        self.pending = 3;
        Ok(())
    }
    fn restore(&mut self, _index: usize, _slot: u8) -> Result<(), SnapshotError> {
        Err(SnapshotError::EmptySlot)
    }
    fn verify(&mut self, index: usize, slot: u8) -> Result<Summary, SnapshotError> {
        self.verifies.push((index, slot));
        if !self.snapshots.contains(&(index, slot)) {
            return Err(SnapshotError::EmptySlot);
        }
        if self.corrupt.contains(&(index, slot)) {
            return Err(SnapshotError::SectionChecksum {
                kind: SectionKind::Memory,
                index: 0,
                stored: 0x1234_5678,
                computed: 0x9abc_def0,
            });
        }
        Ok(Summary {
            name: self.names[index].into(),
            generation: 3,
            vcpus: 2,
            devices: 1,
            regions: 1,
            memory: 256 << 20,
            total_len: (256 << 20) + 8192,
            counter_at_save: 0,
        })
    }
    fn info_flags(&self, index: usize) -> u8 {
        match index {
            0 if self.pending > 0 => info_flags::OP_PENDING,
            0 if self.fails => info_flags::OP_FAILED,
            _ => 0,
        }
    }
}

/// Calls as partition `caller`; every pause lets a pending snapshot move on.
struct As<'a> {
    system: &'a mut System,
    caller: usize,
    pauses: u32,
}

impl Caller for As<'_> {
    fn call(&mut self, x: [u64; 4]) -> [u64; 4] {
        execute_hypercall(self.system, self.caller, x)
    }
    fn pause(&mut self) {
        self.pauses += 1;
        self.system.pending = self.system.pending.saturating_sub(1);
    }
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

fn cmd(system: &mut System, caller: usize, line: &str) -> Result<String, Failure> {
    let mut c = As {
        system,
        caller,
        pauses: 0,
    };
    run(&mut c, &words(line))
}

#[test]
fn list_and_status_read_the_partitions() {
    let mut s = System::new();
    let out = cmd(&mut s, 2, "list").unwrap();
    assert_eq!(
        out,
        "0 linux0 running gen 0 up 5000 ms\n1 beat running gen 0 up 5000 ms\n2 mgr running gen 0 up 5000 ms\n"
    );
    let out = cmd(&mut s, 2, "status beat").unwrap();
    assert!(
        out.starts_with("name: beat\nindex: 1\nstate: running\n"),
        "{out}"
    );
    assert!(out.contains("restarts: 0\nfaults: 0\n"), "{out}");
    assert_eq!(
        cmd(&mut s, 2, "status").unwrap().matches("name: ").count(),
        3
    );
}

#[test]
fn stop_and_start_change_the_target_only() {
    let mut s = System::new();
    assert_eq!(cmd(&mut s, 2, "stop beat").unwrap(), "stop beat: ok\n");
    let out = cmd(&mut s, 2, "status #1").unwrap();
    assert!(
        out.contains("state: stopped (stopped by management)"),
        "{out}"
    );
    assert!(cmd(&mut s, 2, "status linux0")
        .unwrap()
        .contains("state: running"));
    let again = cmd(&mut s, 2, "stop beat").unwrap_err();
    assert_eq!(again.code, 1);
    assert!(
        again.message.starts_with("stop beat: not in a state"),
        "{}",
        again.message
    );
    assert_eq!(cmd(&mut s, 2, "start beat").unwrap(), "start beat: ok\n");
    assert!(cmd(&mut s, 2, "list")
        .unwrap()
        .contains("1 beat restarting"));
}

#[test]
fn a_partition_that_is_not_the_manager_is_refused() {
    let mut s = System::new();
    let e = cmd(&mut s, 0, "stop beat").unwrap_err();
    assert_eq!(e.code, 1);
    assert!(e.message.contains("not the manager"), "{}", e.message);
    assert!(cmd(&mut s, 2, "status beat")
        .unwrap()
        .contains("state: running"));
    assert!(cmd(&mut s, 1, "list")
        .unwrap_err()
        .message
        .contains("not the manager"));
}

#[test]
fn snapshot_waits_until_the_hypervisor_is_done() {
    let mut s = System::new();
    let mut c = As {
        system: &mut s,
        caller: 2,
        pauses: 0,
    };
    assert_eq!(
        run(&mut c, &words("snapshot linux0 1")).unwrap(),
        "snapshot linux0 slot 1: ok\n"
    );
    assert_eq!(c.pauses, 3);
    assert_eq!(s.snapshots, [(0, 1)]);
    s.fails = true;
    let e = cmd(&mut s, 2, "snapshot linux0").unwrap_err();
    assert!(e.message.contains("failed"), "{}", e.message);
    let e = cmd(&mut s, 2, "snapshot linux0 2").unwrap_err();
    assert!(e.message.contains("no such snapshot slot"), "{}", e.message);
    let e = cmd(&mut s, 2, "restore linux0").unwrap_err();
    assert!(
        e.message.starts_with("restore linux0 slot 0: failed"),
        "{}",
        e.message
    );
}

#[test]
fn bad_command_lines_are_usage_errors() {
    let mut s = System::new();
    for line in [
        "",
        "frobnicate",
        "stop",
        "list extra",
        "snapshot a 1 2",
        "verify",
        "verify linux0 4",
        "verify linux0 1 2",
        "verify #x",
    ] {
        let e = cmd(&mut s, 2, line).unwrap_err();
        assert_eq!(e.code, USAGE, "{line:?}");
        assert!(e.message.contains("usage: bulkhead-mgmt"), "{line:?}");
    }
    let e = cmd(&mut s, 2, "stop nosuch").unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (1, "nosuch: no such partition (try list)")
    );
    let e = cmd(&mut s, 2, "stop #7").unwrap_err();
    assert_eq!(e.code, 1);
}

#[test]
fn uid_identifies_bulkhead() {
    let mut s = System::new();
    assert_eq!(
        cmd(&mut s, 0, "uid").unwrap(),
        "Bulkhead f4371927-bce0-4294-b3c5-289bbe592bb4, interface 1.2\n"
    );
}

#[test]
fn verify_answers_like_the_console() {
    let mut s = System::new();
    // Nothing saved yet: refused, exit code 1, and the reason.
    let e = cmd(&mut s, 2, "verify linux0 1").unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            1,
            "verify linux0 slot 1: failed: empty slot: no snapshot was saved there"
        )
    );
    cmd(&mut s, 2, "snapshot linux0 1").unwrap();
    // Answered by the call itself: no waiting.
    let mut c = As {
        system: &mut s,
        caller: 2,
        pauses: 0,
    };
    assert_eq!(
        run(&mut c, &words("verify linux0 1")).unwrap(),
        "slot 1 of linux0: good, every CRC-32C matches: generation 3, 2 vCPU(s), 256 MiB in 1 \
         region(s), 1 device(s)\nverify linux0 slot 1: ok\n"
    );
    assert_eq!(c.pauses, 0);
    // By index: the line names the partition; the slot defaults to 0.
    cmd(&mut s, 2, "snapshot #0").unwrap();
    let out = cmd(&mut s, 2, "verify #0").unwrap();
    assert!(out.starts_with("slot 0 of linux0: good"), "{out}");
    assert!(out.ends_with("\nverify #0 slot 0: ok\n"), "{out}");
    assert_eq!(s.verifies.last(), Some(&(0, 0)));
    // A corrupt slot.
    s.corrupt.push((0, 1));
    let e = cmd(&mut s, 2, "verify linux0 1").unwrap_err();
    assert_eq!(e.code, 1);
    assert!(
        e.message
            .starts_with("verify linux0 slot 1: failed: corrupt slot"),
        "{}",
        e.message
    );
    // No such slot (the hypervisor's check, before any verify), no such
    // partition, not the manager.
    let verifies = s.verifies.len();
    for line in ["verify linux0 2", "verify linux0 3", "verify beat"] {
        let e = cmd(&mut s, 2, line).unwrap_err();
        assert_eq!(e.code, 1, "{line}");
        assert!(
            e.message.ends_with(": no such snapshot slot"),
            "{line}: {}",
            e.message
        );
    }
    let e = cmd(&mut s, 2, "verify #9 0").unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (1, "#9: no such partition (try list)")
    );
    let e = cmd(&mut s, 0, "verify linux0 1").unwrap_err();
    assert_eq!(e.code, 1);
    assert!(e.message.contains("not the manager"), "{}", e.message);
    assert_eq!(s.verifies.len(), verifies);
    // Nothing changed state.
    assert!(cmd(&mut s, 2, "list")
        .unwrap()
        .starts_with("0 linux0 running gen 0"));
}

/// An older Bulkhead (interface 1.1) has no verify op.
struct Older<'a>(As<'a>);

impl Caller for Older<'_> {
    fn call(&mut self, x: [u64; 4]) -> [u64; 4] {
        match x {
            [f, op, _, _] if f == u64::from(MGMT_COMMAND) && op == op_code(Op::Verify) => {
                [HvcStatus::InvalidParameter.to_x0(), 0, 0, 0]
            }
            [f, ..] if f == u64::from(REVISION) => [1, 1, 0, 0],
            _ => self.0.call(x),
        }
    }
    fn pause(&mut self) {
        self.0.pause()
    }
}

#[test]
fn verify_on_an_older_bulkhead_says_so() {
    let mut s = System::new();
    let mut c = Older(As {
        system: &mut s,
        caller: 2,
        pauses: 0,
    });
    let e = run(&mut c, &words("verify linux0")).unwrap_err();
    assert_eq!(e.code, 1);
    assert!(
        e.message.starts_with(
            "verify linux0 slot 0: not offered by Bulkhead's interface 1.1 (verify needs 1.2)"
        ),
        "{}",
        e.message
    );
}
