//! The hypercall ABI: SMC Calling Convention fast calls in the range of
//! the **Vendor Specific Hypervisor Service** (owning entity number 6,
//! function IDs 0xC600_0000..=0xC600_FFFF for SMC64/HVC64; OEN 5 is the
//! Arm-defined "Standard Hypervisor Service", which Bulkhead does not
//! claim). Arguments in x1..x3, results in x0..x3, x0 < 0 an error
//! ([`HvcStatus`](super::HvcStatus)).
//!
//! | function ID | name | arguments | results | who |
//! | --- | --- | --- | --- | --- |
//! | 0x8600_FF01 | CALL_UID (SMC32) | — | w0..w3: Bulkhead's UUID | any |
//! | 0x8600_FF03 | REVISION (SMC32) | — | x0 major, x1 minor | any |
//! | 0xC600_0001 | WATCHDOG_KICK | — | x0 OK | any |
//! | 0xC600_0002 | GUEST_PANIC | x1 code | does not return | any |
//! | 0xC600_0010 | PARTITION_COUNT | — | x0 OK, x1 count | manager |
//! | 0xC600_0011 | PARTITION_INFO | x1 index | x0 OK, x1 packed state, x2 generation, x3 uptime ms | manager |
//! | 0xC600_0012 | PARTITION_NAME | x1 index, x2 chunk (0, 1) | x0 OK, x1 x2 16 name bytes, x3 name length | manager |
//! | 0xC600_0020 | MGMT_COMMAND | x1 op, x2 index, x3 slot | x0 status (verify: x1..x3 what the slot holds) | manager |
//!
//! MGMT_COMMAND ops: 1 stop, 2 start, 3 restart, 4 snapshot, 5 restore,
//! 6 verify (since 1.2). Stop, start and restart take effect at once;
//! snapshot and restore return as soon as they are under way
//! (PARTITION_INFO's flags say when they are done); verify is answered
//! when the check is done, as it only reads: OK with x1..x3 a
//! [`VerifiedSlot`](super::VerifiedSlot), or FAILED for an empty or corrupt
//! slot with x1 what was wrong with it
//! ([`failure_code`](super::failure_code)).

use super::command::Op;

/// Fast call, SMC64, OEN 6.
pub const VENDOR_HYP_64: u32 = 0xC600_0000;
/// Fast call, SMC32, OEN 6.
pub const VENDOR_HYP_32: u32 = 0x8600_0000;

pub const CALL_UID: u32 = VENDOR_HYP_32 | 0xFF01;
pub const REVISION: u32 = VENDOR_HYP_32 | 0xFF03;
pub const WATCHDOG_KICK: u32 = VENDOR_HYP_64 | 0x01;
pub const GUEST_PANIC: u32 = VENDOR_HYP_64 | 0x02;
pub const PARTITION_COUNT: u32 = VENDOR_HYP_64 | 0x10;
pub const PARTITION_INFO: u32 = VENDOR_HYP_64 | 0x11;
pub const PARTITION_NAME: u32 = VENDOR_HYP_64 | 0x12;
pub const MGMT_COMMAND: u32 = VENDOR_HYP_64 | 0x20;

/// This interface's revision (REVISION): 1.2 (1.1 added PARTITION_INFO's
/// flags and the MMIO doorbell, `super::doorbell`; 1.2 the verify op).
pub const REVISION_MAJOR: u64 = 1;
pub const REVISION_MINOR: u64 = 2;

/// Bulkhead's UUID, f4371927-bce0-4294-b3c5-289bbe592bb4, as CALL_UID
/// returns it: four little-endian 32-bit words of its bytes.
pub const UID: [u32; 4] = {
    const B: [u8; 16] = [
        0xf4, 0x37, 0x19, 0x27, 0xbc, 0xe0, 0x42, 0x94, 0xb3, 0xc5, 0x28, 0x9b, 0xbe, 0x59, 0x2b,
        0xb4,
    ];
    [
        u32::from_le_bytes([B[0], B[1], B[2], B[3]]),
        u32::from_le_bytes([B[4], B[5], B[6], B[7]]),
        u32::from_le_bytes([B[8], B[9], B[10], B[11]]),
        u32::from_le_bytes([B[12], B[13], B[14], B[15]]),
    ]
};

/// Bits 29:24 of a function ID: the owning entity.
pub fn owning_entity(function: u32) -> u32 {
    (function >> 24) & 0x3F
}

/// Whether x0 names a Bulkhead call (a fast call to OEN 6), so that the
/// trap handler sends it here rather than to PSCI.
pub fn is_vendor_hyp_call(x0: u64) -> bool {
    let f = x0 as u32;
    f & 0x8000_0000 != 0 && owning_entity(f) == 6
}

/// A decoded hypercall. Indices and slots stay as the guest gave them;
/// the caller checks them against the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hypercall {
    CallUid,
    Revision,
    WatchdogKick,
    GuestPanic {
        code: u64,
    },
    PartitionCount,
    PartitionInfo {
        index: u64,
    },
    PartitionName {
        index: u64,
        chunk: u64,
    },
    Manage {
        op: Op,
        index: u64,
        slot: u64,
    },
    /// A known function with an argument it cannot take (an unknown op).
    InvalidParameter {
        function: u32,
    },
    /// Anything else: NOT_SUPPORTED, as the SMC Calling Convention wants.
    Unknown {
        function: u32,
    },
}

fn op(code: u64) -> Option<Op> {
    Some(match code {
        1 => Op::Stop,
        2 => Op::Start,
        3 => Op::Restart,
        4 => Op::Snapshot,
        5 => Op::Restore,
        6 => Op::Verify,
        _ => return None,
    })
}

/// The code MGMT_COMMAND takes for `op`.
pub fn op_code(op: Op) -> u64 {
    match op {
        Op::Stop => 1,
        Op::Start => 2,
        Op::Restart => 3,
        Op::Snapshot => 4,
        Op::Restore => 5,
        Op::Verify => 6,
    }
}

/// Decodes x0..x3. The function ID is w0 (the upper half of x0 is
/// ignored, as the convention says); bit 16, SMCCC 1.3's "no live SVE
/// state" hint, is ignored; bits 23:17 must be zero.
pub fn decode_hypercall(x: [u64; 4]) -> Hypercall {
    let [x0, x1, x2, x3] = x;
    let raw = x0 as u32;
    let function = raw & !0x0001_0000;
    match function {
        CALL_UID => Hypercall::CallUid,
        REVISION => Hypercall::Revision,
        WATCHDOG_KICK => Hypercall::WatchdogKick,
        GUEST_PANIC => Hypercall::GuestPanic { code: x1 },
        PARTITION_COUNT => Hypercall::PartitionCount,
        PARTITION_INFO => Hypercall::PartitionInfo { index: x1 },
        PARTITION_NAME => Hypercall::PartitionName {
            index: x1,
            chunk: x2,
        },
        MGMT_COMMAND => match op(x1) {
            Some(op) => Hypercall::Manage {
                op,
                index: x2,
                slot: x3,
            },
            None => Hypercall::InvalidParameter { function: raw },
        },
        _ => Hypercall::Unknown { function: raw },
    }
}
