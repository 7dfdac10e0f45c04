//! The manager's hypercall ABI: decoding, results, and the rules.

mod mgmt_common;

use bulkhead_core::mgmt::hypercall::{
    is_vendor_hyp_call, CALL_UID, GUEST_PANIC, MGMT_COMMAND, PARTITION_COUNT, PARTITION_INFO,
    PARTITION_NAME, REVISION, UID, WATCHDOG_KICK,
};
use bulkhead_core::mgmt::{
    decode_hypercall, execute_hypercall, info_flags, op_code, reason_code, state_code, Host,
    HvcStatus, Hypercall, Op, PackedInfo,
};
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
    for op in [Op::Stop, Op::Start, Op::Restart, Op::Snapshot, Op::Restore] {
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
    assert_eq!(r, [1, 1, 0, 0]);
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
        execute_hypercall(&mut h, mgr, [u64::from(MGMT_COMMAND), 6, 0, 0])[0],
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
