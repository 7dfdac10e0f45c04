//! The manager's hypercall ABI: decoding, results, and the rules.

mod mgmt_common;

use bulkhead_core::mgmt::hypercall::{
    is_vendor_hyp_call, CALL_UID, GUEST_PANIC, MGMT_COMMAND, PARTITION_COUNT, PARTITION_INFO,
    PARTITION_NAME, REVISION, UID, WATCHDOG_KICK,
};
use bulkhead_core::mgmt::{
    decode_hypercall, execute_hypercall, execute_hypercall_explained, failure_code, failure_name,
    failure_of, info_flags, op_code, parse_command, reason_code, state_code, Command, Host,
    HvcStatus, Hypercall, Op, PackedInfo, Refusal, Target, VerifiedSlot,
};
use bulkhead_core::snapshot::SnapshotError;
use bulkhead_core::supervisor::{Decision, Event, FaultKind, State, StopReason, Trigger};
use mgmt_common::{FakeHost, S};

const OK: u64 = 0;

fn st(s: HvcStatus) -> u64 {
    s.to_x0()
}

#[test]
fn function_ids_are_vendor_hypervisor_fast_calls() {
    for f in [
        WATCHDOG_KICK,
        GUEST_PANIC,
        PARTITION_COUNT,
        PARTITION_INFO,
        PARTITION_NAME,
        MGMT_COMMAND,
    ] {
        assert_eq!(f & 0xFFFF_0000, 0xC600_0000, "{f:#x}: SMC64 fast, OEN 6");
        assert!(is_vendor_hyp_call(u64::from(f)));
    }
    assert_eq!(CALL_UID, 0x8600_FF01);
    assert_eq!(REVISION, 0x8600_FF03);
    // PSCI (OEN 4) and the standard hypervisor service (OEN 5) are not ours.
    assert!(!is_vendor_hyp_call(0xC400_0003));
    assert!(!is_vendor_hyp_call(0xC500_0001));
    // A yielding call (bit 31 clear) is not ours either.
    assert!(!is_vendor_hyp_call(0x4600_0001));
}

#[test]
fn decodes_each_call() {
    let d = |x0: u32, x1, x2, x3| decode_hypercall([u64::from(x0), x1, x2, x3]);
    assert_eq!(d(WATCHDOG_KICK, 9, 9, 9), Hypercall::WatchdogKick);
    assert_eq!(
        d(GUEST_PANIC, 0xdead, 0, 0),
        Hypercall::GuestPanic { code: 0xdead }
    );
    assert_eq!(d(PARTITION_COUNT, 0, 0, 0), Hypercall::PartitionCount);
    assert_eq!(
        d(PARTITION_INFO, 3, 0, 0),
        Hypercall::PartitionInfo { index: 3 }
    );
    assert_eq!(
        d(PARTITION_NAME, 1, 1, 0),
        Hypercall::PartitionName { index: 1, chunk: 1 }
    );
    for op in Op::ALL {
        assert_eq!(
            d(MGMT_COMMAND, op_code(op), 4, 2),
            Hypercall::Manage {
                op,
                index: 4,
                slot: 2
            }
        );
    }
    assert_eq!(
        d(MGMT_COMMAND, 0, 0, 0),
        Hypercall::InvalidParameter {
            function: MGMT_COMMAND
        }
    );
    assert_eq!(d(CALL_UID, 0, 0, 0), Hypercall::CallUid);
    assert_eq!(d(REVISION, 0, 0, 0), Hypercall::Revision);
    // The upper half of x0 is ignored; the SVE hint bit 16 too.
    assert_eq!(
        decode_hypercall([0xFFFF_FFFF_0000_0000 | u64::from(WATCHDOG_KICK), 0, 0, 0]),
        Hypercall::WatchdogKick
    );
    assert_eq!(
        d(WATCHDOG_KICK | 0x1_0000, 0, 0, 0),
        Hypercall::WatchdogKick
    );
    // Bits 23:17 set, an unknown number, the SMC32 form of a 64-bit call.
    assert_eq!(
        d(WATCHDOG_KICK | 0x2_0000, 0, 0, 0),
        Hypercall::Unknown {
            function: WATCHDOG_KICK | 0x2_0000
        }
    );
    assert_eq!(
        d(0xC600_0099, 0, 0, 0),
        Hypercall::Unknown {
            function: 0xC600_0099
        }
    );
    assert_eq!(
        d(0x8600_0001, 0, 0, 0),
        Hypercall::Unknown {
            function: 0x8600_0001
        }
    );
}

#[test]
fn status_codes_round_trip_and_follow_smccc() {
    assert_eq!(HvcStatus::NotSupported.to_x0(), u64::MAX);
    assert_eq!(HvcStatus::InvalidParameter.to_x0(), (-3i64) as u64);
    for x0 in [0u64, u64::MAX, (-3i64) as u64, (-9i64) as u64] {
        assert_eq!(HvcStatus::from_x0(x0).map(|s| s.to_x0()), Some(x0));
    }
    assert_eq!(HvcStatus::from_x0(5), None);
}

#[test]
fn identification() {
    let mut h = FakeHost::new();
    let r = execute_hypercall(&mut h, 0, [u64::from(CALL_UID), 0, 0, 0]);
    assert_eq!(r, UID.map(u64::from));
    assert_eq!(r[0], 0x2719_37f4);
    let r = execute_hypercall(&mut h, 0, [u64::from(REVISION), 0, 0, 0]);
    assert_eq!(r, [1, 2, 0, 0], "interface 1.2: the verify op");
    let r = execute_hypercall(&mut h, 0, [0xC600_0077, 0, 0, 0]);
    assert_eq!(r[0], st(HvcStatus::NotSupported));
}

#[test]
fn only_the_manager_may_manage() {
    let mut h = FakeHost::new();
    for call in [
        [u64::from(PARTITION_COUNT), 0, 0, 0],
        [u64::from(PARTITION_INFO), 0, 0, 0],
        [u64::from(PARTITION_NAME), 0, 0, 0],
        [u64::from(MGMT_COMMAND), op_code(Op::Stop), 1, 0],
        [u64::from(MGMT_COMMAND), op_code(Op::Verify), 0, 0],
    ] {
        assert_eq!(
            execute_hypercall(&mut h, 0, call),
            [st(HvcStatus::NotManager), 0, 0, 0]
        );
    }
    assert!(h.decisions.is_empty());
    assert!(matches!(h.state(1), State::Running { .. }));
}

#[test]
fn watchdog_kick_and_guest_panic_act_on_the_caller() {
    let mut h = FakeHost::new();
    h.now = 900_000;
    let r = execute_hypercall(&mut h, 0, [u64::from(WATCHDOG_KICK), 0, 0, 0]);
    assert_eq!(r[0], OK);
    assert_eq!(h.sups[0].watchdog_deadline(), Some(1_900_000));
    let r = execute_hypercall(&mut h, 2, [u64::from(GUEST_PANIC), 77, 0, 0]);
    assert_eq!(r[0], OK);
    assert_eq!(
        h.state(2),
        State::Stopped {
            reason: StopReason::Policy(Trigger::Fault(FaultKind::GuestPanic { code: 77 }))
        }
    );
}

#[test]
fn partition_count_info_and_name() {
    let mut h = FakeHost::new();
    let mgr = h.manager;
    assert_eq!(
        execute_hypercall(&mut h, mgr, [u64::from(PARTITION_COUNT), 0, 0, 0]),
        [OK, 3, 0, 0]
    );
    h.now = 5 * S;
    h.fault(1, FaultKind::StageTwo);
    h.boot(1);
    h.now += 2 * S;
    let r = execute_hypercall(&mut h, mgr, [u64::from(PARTITION_INFO), 1, 0, 0]);
    assert_eq!(r[0], OK);
    assert_eq!(
        PackedInfo::unpack(r[1]),
        PackedInfo {
            state: state_code::RUNNING,
            reason: reason_code::NONE,
            restarts: 1,
            faults: 1,
            flags: 0
        }
    );
    assert_eq!(r[2], 1, "generation");
    assert_eq!(r[3], 2000, "uptime in ms");
    h.control(0, Event::SystemOff);
    let r = execute_hypercall(&mut h, mgr, [u64::from(PARTITION_INFO), 0, 0, 0]);
    let info = PackedInfo::unpack(r[1]);
    assert_eq!(
        (info.state, info.reason),
        (state_code::STOPPED, reason_code::SYSTEM_OFF)
    );
    assert_eq!(r[1] >> 48, 0);
    assert_eq!(
        execute_hypercall(&mut h, mgr, [u64::from(PARTITION_INFO), 3, 0, 0])[0],
        st(HvcStatus::NoSuchPartition)
    );
    assert_eq!(
        execute_hypercall(&mut h, mgr, [u64::from(PARTITION_INFO), u64::MAX, 0, 0])[0],
        st(HvcStatus::NoSuchPartition)
    );

    h.names[1] = "a-partition-with-a-long-name.123";
    let r0 = execute_hypercall(&mut h, mgr, [u64::from(PARTITION_NAME), 1, 0, 0]);
    let r1 = execute_hypercall(&mut h, mgr, [u64::from(PARTITION_NAME), 1, 1, 0]);
    assert_eq!((r0[0], r0[3]), (OK, 32));
    let mut bytes = Vec::new();
    for w in [r0[1], r0[2], r1[1], r1[2]] {
        bytes.extend_from_slice(&w.to_le_bytes());
    }
    assert_eq!(&bytes[..], b"a-partition-with-a-long-name.123");
    let r = execute_hypercall(&mut h, mgr, [u64::from(PARTITION_NAME), 0, 0, 0]);
    assert_eq!(r, [OK, u64::from_le_bytes(*b"linux0\0\0"), 0, 6]);
    assert_eq!(
        execute_hypercall(&mut h, mgr, [u64::from(PARTITION_NAME), 0, 2, 0])[0],
        st(HvcStatus::InvalidParameter)
    );
}

#[test]
fn mgmt_command_statuses() {
    let mut h = FakeHost::new();
    let mgr = h.manager;
    let call = |h: &mut FakeHost, op: Op, index: u64, slot: u64| {
        execute_hypercall(h, mgr, [u64::from(MGMT_COMMAND), op_code(op), index, slot])[0]
    };
    h.now = 3 * S;
    assert_eq!(call(&mut h, Op::Stop, 1, 0), OK);
    assert_eq!(h.decisions.last(), Some(&(1, Decision::Stop)));
    assert_eq!(call(&mut h, Op::Stop, 1, 0), st(HvcStatus::WrongState));
    assert_eq!(call(&mut h, Op::Start, 1, 0), OK);
    assert_eq!(call(&mut h, Op::Restart, 1, 0), st(HvcStatus::Busy));
    assert_eq!(
        call(&mut h, Op::Start, 9, 0),
        st(HvcStatus::NoSuchPartition)
    );
    assert_eq!(call(&mut h, Op::Snapshot, 0, 2), st(HvcStatus::NoSuchSlot));
    assert_eq!(
        call(&mut h, Op::Snapshot, 0, 256),
        st(HvcStatus::NoSuchSlot)
    );
    assert_eq!(call(&mut h, Op::Restore, 0, 0), st(HvcStatus::Failed));
    assert_eq!(call(&mut h, Op::Snapshot, 0, 0), OK);
    assert_eq!(call(&mut h, Op::Restore, 0, 0), OK);
    assert_eq!(
        execute_hypercall(&mut h, mgr, [u64::from(MGMT_COMMAND), 7, 0, 0])[0],
        st(HvcStatus::InvalidParameter)
    );
    h.boot(1);
    h.crash_loop(1);
    assert_eq!(call(&mut h, Op::Restart, 1, 0), st(HvcStatus::WrongState));
    assert_eq!(call(&mut h, Op::Start, 1, 0), OK);
}

/// FakeHost with a snapshot under way on partition 0.
struct Busy(FakeHost);

impl Host for Busy {
    fn partition_count(&self) -> usize {
        self.0.partition_count()
    }
    fn name(&self, index: usize) -> Option<&str> {
        self.0.name(index)
    }
    fn status(&self, index: usize) -> Option<bulkhead_core::supervisor::Status> {
        self.0.status(index)
    }
    fn slots(&self, index: usize) -> u8 {
        self.0.slots(index)
    }
    fn is_manager(&self, index: usize) -> bool {
        self.0.is_manager(index)
    }
    fn control(&mut self, index: usize, event: Event) -> Decision {
        self.0.control(index, event)
    }
    fn snapshot(
        &mut self,
        index: usize,
        slot: u8,
    ) -> Result<(), bulkhead_core::snapshot::SnapshotError> {
        self.0.snapshot(index, slot)
    }
    fn restore(
        &mut self,
        index: usize,
        slot: u8,
    ) -> Result<(), bulkhead_core::snapshot::SnapshotError> {
        self.0.restore(index, slot)
    }
    fn info_flags(&self, index: usize) -> u8 {
        if index == 0 {
            info_flags::OP_PENDING | info_flags::OP_FAILED
        } else {
            0
        }
    }
}

#[test]
fn partition_info_carries_the_operation_flags() {
    let mut h = Busy(FakeHost::new());
    let mgr = h.0.manager;
    let r0 = execute_hypercall(&mut h, mgr, [u64::from(PARTITION_INFO), 0, 0, 0]);
    let r1 = execute_hypercall(&mut h, mgr, [u64::from(PARTITION_INFO), 1, 0, 0]);
    assert_eq!(PackedInfo::unpack(r0[1]).flags, 3);
    assert_eq!(r0[1] >> 48, 3);
    assert_eq!(PackedInfo::unpack(r1[1]).flags, 0);
    let p = PackedInfo {
        state: 3,
        reason: 7,
        restarts: 0xFFFF,
        faults: 2,
        flags: 0x81,
    };
    assert_eq!(PackedInfo::unpack(p.pack()), p);
    assert_eq!(p.pack() >> 56, 0);
}

#[test]
fn a_paused_partition_refuses_everything_but_verify_as_busy() {
    use bulkhead_core::mgmt::{execute, parse_command};
    let mut h = Busy(FakeHost::new());
    let mgr = h.0.manager;
    let call = |h: &mut Busy, op: Op, index: u64| {
        execute_hypercall(h, mgr, [u64::from(MGMT_COMMAND), op_code(op), index, 0])[0]
    };
    for op in [Op::Stop, Op::Start, Op::Restart, Op::Snapshot, Op::Restore] {
        assert_eq!(call(&mut h, op, 0), st(HvcStatus::Busy), "{op:?}");
    }
    // Partition 1 is not paused.
    assert_eq!(call(&mut h, Op::Stop, 1), OK);
    let line = format!("restart {}", h.0.name(0).expect("partition 0"));
    let r = execute(&mut h, &parse_command(&line).expect("parses"));
    assert!(!r.is_ok());
    assert!(
        r.render()
            .contains("busy: a snapshot or restore of it is under way"),
        "{}",
        r.render()
    );
}

#[test]
fn state_and_reason_codes_have_the_supervisors_words() {
    use bulkhead_core::mgmt::{reason_name, state_name};
    assert_eq!(state_name(state_code::RUNNING), "running");
    assert_eq!(state_name(state_code::HELD), "held");
    assert_eq!(state_name(9), "unknown");
    assert_eq!(reason_name(reason_code::NONE), "");
    assert_eq!(
        reason_name(reason_code::MANAGEMENT),
        "stopped by management"
    );
    assert_eq!(reason_name(reason_code::STAGE_TWO), "stage-2 abort");
    assert_eq!(reason_name(reason_code::WATCHDOG), "watchdog expiry");
    assert_eq!(reason_name(reason_code::GUEST_RESET), "guest reset");
    assert_eq!(reason_name(200), "unknown reason");
    // What PARTITION_INFO packs for a stopped partition reads back as the
    // supervisor's own reason.
    let mut h = FakeHost::new();
    h.control(1, Event::ManagementStop);
    let mgr = h.manager;
    let r = execute_hypercall(&mut h, mgr, [u64::from(PARTITION_INFO), 1, 0, 0]);
    let info = PackedInfo::unpack(r[1]);
    assert_eq!(state_name(info.state), "stopped");
    assert_eq!(reason_name(info.reason), StopReason::Management.name());
}

#[test]
fn every_op_has_one_code_and_one_name() {
    // A new Op fails to compile here until it is listed in Op::ALL.
    for op in Op::ALL {
        match op {
            Op::Stop | Op::Start | Op::Restart | Op::Snapshot | Op::Restore | Op::Verify => {}
        }
    }
    let table: Vec<(u64, &str)> = Op::ALL.iter().map(|&op| (op_code(op), op.name())).collect();
    assert_eq!(
        table,
        [
            (1, "stop"),
            (2, "start"),
            (3, "restart"),
            (4, "snapshot"),
            (5, "restore"),
            (6, "verify"),
        ]
    );
    for op in Op::ALL {
        // The code decodes back to the op, and the name is the command.
        assert_eq!(
            decode_hypercall([u64::from(MGMT_COMMAND), op_code(op), 1, 0]),
            Hypercall::Manage {
                op,
                index: 1,
                slot: 0
            }
        );
        assert_eq!(
            parse_command(&format!("{} #1", op.name())),
            Ok(Command::Manage {
                op,
                target: Target::Index(1),
                slot: 0
            })
        );
        assert_eq!(
            op.takes_slot(),
            matches!(op, Op::Snapshot | Op::Restore | Op::Verify)
        );
    }
    // Op codes 1 to 6 and nothing else.
    for code in [0, 7, 8, 0x100, u64::MAX] {
        assert_eq!(
            decode_hypercall([u64::from(MGMT_COMMAND), code, 0, 0]),
            Hypercall::InvalidParameter {
                function: MGMT_COMMAND
            },
            "op {code}"
        );
    }
}

#[test]
fn verify_op_answers_at_once_and_touches_nothing() {
    let mut h = FakeHost::new();
    let mgr = h.manager;
    let verify = |h: &mut FakeHost, index: u64, slot: u64| {
        execute_hypercall(
            h,
            mgr,
            [u64::from(MGMT_COMMAND), op_code(Op::Verify), index, slot],
        )
    };
    h.now = 2 * S;
    // Nothing saved yet: FAILED, and x1 says the slot is empty.
    assert_eq!(
        verify(&mut h, 0, 1),
        [st(HvcStatus::Failed), u64::from(failure_code::EMPTY), 0, 0]
    );
    // Out of range: the slot, then the partition; never a panic.
    for slot in [2, 3, 4, 255, 256, u64::MAX] {
        assert_eq!(
            verify(&mut h, 0, slot),
            [st(HvcStatus::NoSuchSlot), 0, 0, 0],
            "slot {slot}"
        );
    }
    assert_eq!(
        verify(&mut h, 1, 0)[0],
        st(HvcStatus::NoSuchSlot),
        "no slots"
    );
    for index in [3, 1 << 32, u64::MAX] {
        assert_eq!(
            verify(&mut h, index, 0),
            [st(HvcStatus::NoSuchPartition), 0, 0, 0]
        );
    }

    h.memory[0][7] = 0x5a;
    let snap = execute_hypercall(
        &mut h,
        mgr,
        [u64::from(MGMT_COMMAND), op_code(Op::Snapshot), 0, 1],
    );
    assert_eq!(snap[0], OK);
    let decisions = h.decisions.len();
    let states: Vec<_> = (0..3).map(|i| h.state(i)).collect();
    let r = verify(&mut h, 0, 1);
    assert_eq!(r[0], OK);
    assert_eq!(
        VerifiedSlot::unpack([r[1], r[2], r[3]]),
        VerifiedSlot {
            generation: 0,
            memory: 4096,
            vcpus: 1,
            regions: 1,
            devices: 0
        }
    );
    assert_eq!(r[3] >> 48, 0);
    // Read only: no decision, no state change, the other slot still empty.
    assert_eq!(h.decisions.len(), decisions);
    assert_eq!((0..3).map(|i| h.state(i)).collect::<Vec<_>>(), states);
    assert_eq!(verify(&mut h, 0, 0)[1], u64::from(failure_code::EMPTY));

    // Any state: stopped, and restarting (where the other ops are busy).
    h.control(0, Event::ManagementStop);
    assert_eq!(verify(&mut h, 0, 1)[0], OK);
    h.control(0, Event::ManagementStart);
    assert!(matches!(h.state(0), State::Restarting { .. }));
    assert_eq!(
        execute_hypercall(
            &mut h,
            mgr,
            [u64::from(MGMT_COMMAND), op_code(Op::Restart), 0, 0]
        )[0],
        st(HvcStatus::Busy)
    );
    assert_eq!(verify(&mut h, 0, 1)[0], OK);

    // One flipped byte of the memory section: FAILED, corrupt, with the
    // reason for the hypervisor's log.
    let at = h.slots[0][1]
        .iter()
        .rposition(|&b| b == 0x5a)
        .expect("the saved byte");
    h.slots[0][1][at] ^= 1;
    let call = [u64::from(MGMT_COMMAND), op_code(Op::Verify), 0, 1];
    let (r, why) = execute_hypercall_explained(&mut h, mgr, call);
    assert_eq!(
        r,
        [
            st(HvcStatus::Failed),
            u64::from(failure_code::CORRUPT),
            0,
            0
        ]
    );
    let why = why.expect("a reason").to_string();
    assert!(
        why.starts_with("corrupt slot: memory region 0: CRC-32C 0x"),
        "{why}"
    );
    // The manager role is checked on every call, verify included.
    assert_eq!(
        execute_hypercall_explained(&mut h, 0, call),
        ([st(HvcStatus::NotManager), 0, 0, 0], None)
    );
    assert_eq!(
        execute_hypercall_explained(
            &mut h,
            mgr,
            [u64::from(MGMT_COMMAND), op_code(Op::Verify), 0, 2]
        ),
        (
            [st(HvcStatus::NoSuchSlot), 0, 0, 0],
            Some(Refusal::NoSuchSlot { slots: 2 })
        )
    );
}

#[test]
fn a_manager_may_verify_its_own_slot() {
    let mut h = FakeHost::new();
    let mgr = h.manager;
    h.slots[mgr] = vec![vec![0; 64 * 1024]];
    let call = |op: Op| [u64::from(MGMT_COMMAND), op_code(op), mgr as u64, 0];
    assert_eq!(
        execute_hypercall(&mut h, mgr, call(Op::Verify))[0],
        st(HvcStatus::Failed)
    );
    assert_eq!(execute_hypercall(&mut h, mgr, call(Op::Snapshot))[0], OK);
    let r = execute_hypercall(&mut h, mgr, call(Op::Verify));
    assert_eq!(r[0], OK);
    assert_eq!(VerifiedSlot::unpack([r[1], r[2], r[3]]).vcpus, 1);
}

#[test]
fn failure_codes_say_what_was_wrong_with_the_slot() {
    use bulkhead_core::snapshot::SectionKind;
    let cases = [
        (SnapshotError::EmptySlot, failure_code::EMPTY),
        (SnapshotError::BadMagic, failure_code::CORRUPT),
        (
            SnapshotError::HeaderChecksum {
                stored: 1,
                computed: 2,
            },
            failure_code::CORRUPT,
        ),
        (
            SnapshotError::SectionChecksum {
                kind: SectionKind::Memory,
                index: 0,
                stored: 1,
                computed: 2,
            },
            failure_code::CORRUPT,
        ),
        (
            SnapshotError::UnsupportedVersion {
                found: 1,
                supported: 2,
            },
            failure_code::VERSION,
        ),
        (SnapshotError::Mismatch("name"), failure_code::MISMATCH),
        (
            SnapshotError::SlotTooSmall {
                needed: 2,
                available: 1,
            },
            failure_code::TOO_SMALL,
        ),
        (SnapshotError::Unsupported("verify"), failure_code::OTHER),
    ];
    for (e, code) in cases {
        assert_eq!(failure_of(&e), code, "{e}");
        // The words are how the error's own message begins (the version
        // messages have two forms).
        let words = failure_name(code);
        match code {
            failure_code::OTHER => assert_eq!(words, ""),
            failure_code::VERSION => assert!(words.contains("format version")),
            _ => assert!(e.to_string().starts_with(words), "{e} / {words}"),
        }
    }
    assert_eq!(failure_name(200), "");
    // A restore's FAILED has x1 zero, as before 1.2 (some snapshot and
    // restore refusals are not about the slot's bytes); the reason still
    // reaches the hypervisor's log.
    let mut h = FakeHost::new();
    let mgr = h.manager;
    let (r, why) = execute_hypercall_explained(
        &mut h,
        mgr,
        [u64::from(MGMT_COMMAND), op_code(Op::Restore), 0, 0],
    );
    assert_eq!(r, [st(HvcStatus::Failed), 0, 0, 0]);
    assert_eq!(why, Some(Refusal::Snapshot(SnapshotError::EmptySlot)));
}

#[test]
fn verified_slot_packs_into_three_registers() {
    let v = VerifiedSlot {
        generation: u64::MAX - 1,
        memory: 256 << 20,
        vcpus: 0xFFFF,
        regions: 8,
        devices: 0x1234,
    };
    let x = v.pack();
    assert_eq!(x, [u64::MAX - 1, 256 << 20, 0x1234_0008_FFFF]);
    assert_eq!(VerifiedSlot::unpack(x), v);
    // Bits 63:48 of x3 are ignored.
    assert_eq!(VerifiedSlot::unpack([x[0], x[1], x[2] | 0xABCD << 48]), v);
}
