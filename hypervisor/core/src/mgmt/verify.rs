//! `verify NAME [SLOT]`: the complete check of a snapshot slot, for an
//! operator who wants it before a restore (which checks the header and
//! state first and each memory region as it copies it). Reads only; any
//! partition state. A text command and, since interface 1.2, MGMT_COMMAND
//! op 6, whose OK carries a [`VerifiedSlot`].

use super::command::MAX_SLOTS;
use super::exec::{Host, Refusal};
use crate::snapshot::Summary;
use alloc::format;
use alloc::string::String;

/// What a whole slot holds, as a verify through MGMT_COMMAND returns it in
/// x1..x3: x1 the snapshot's generation, x2 its memory in bytes over all
/// regions, x3 bits 15:0 vCPUs, 31:16 memory regions, 47:32 devices,
/// 63:48 zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedSlot {
    pub generation: u64,
    pub memory: u64,
    pub vcpus: u16,
    pub regions: u16,
    pub devices: u16,
}

impl VerifiedSlot {
    pub fn of(s: &Summary) -> Self {
        VerifiedSlot {
            generation: s.generation,
            memory: s.memory,
            vcpus: s.vcpus,
            regions: s.regions,
            devices: s.devices,
        }
    }

    /// x1..x3.
    pub fn pack(&self) -> [u64; 3] {
        [
            self.generation,
            self.memory,
            u64::from(self.vcpus) | u64::from(self.regions) << 16 | u64::from(self.devices) << 32,
        ]
    }

    pub fn unpack(x: [u64; 3]) -> Self {
        let [generation, memory, counts] = x;
        VerifiedSlot {
            generation,
            memory,
            vcpus: counts as u16,
            regions: (counts >> 16) as u16,
            devices: (counts >> 32) as u16,
        }
    }
}

/// `bytes` as KiB or MiB when it is a whole number of them.
fn size(bytes: u64) -> String {
    match bytes {
        b if b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// The answer's body line for a good slot of partition `name`: the
/// console's (with the snapshot's length) and `bulkhead-mgmt`'s (without:
/// MGMT_COMMAND does not return it).
pub fn verified_line(slot: u8, name: &str, v: &VerifiedSlot, total_len: Option<u64>) -> String {
    let mut line = format!(
        "slot {slot} of {name}: good, every CRC-32C matches: generation {}, {} vCPU(s), {} in {} region(s), {} device(s)",
        v.generation,
        v.vcpus,
        size(v.memory),
        v.regions,
        v.devices,
    );
    if let Some(n) = total_len {
        line.push_str(&format!(", {n} bytes"));
    }
    line
}

/// The console's body line for a good slot.
pub(super) fn summary_line(slot: u8, s: &Summary) -> String {
    verified_line(slot, &s.name, &VerifiedSlot::of(s), Some(s.total_len))
}

/// Checks slot `slot` of partition `index` completely (any state; nothing
/// changes).
pub(super) fn check<H: Host>(host: &mut H, index: usize, slot: u8) -> Result<Summary, Refusal> {
    let slots = host.slots(index).min(MAX_SLOTS);
    if slot >= slots {
        return Err(Refusal::NoSuchSlot { slots });
    }
    host.verify(index, slot).map_err(Refusal::Snapshot)
}
