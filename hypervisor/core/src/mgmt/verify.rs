//! `verify NAME [SLOT]`: the complete check of a snapshot slot, for an
//! operator who wants it before a restore (which checks the header and
//! state first and each memory region as it copies it). Reads only; any
//! partition state.

use super::command::{Target, MAX_SLOTS};
use super::exec::{Host, Refusal};
use super::response::Response;
use crate::snapshot::Summary;
use alloc::format;
use alloc::string::String;

/// `bytes` as KiB or MiB when it is a whole number of them.
fn size(bytes: u64) -> String {
    match bytes {
        b if b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// The answer's body line for a good slot.
pub(super) fn summary_line(slot: u8, s: &Summary) -> String {
    format!(
        "slot {slot} of {}: good, every CRC-32C matches: generation {}, {} vCPU(s), {} in {} region(s), {} device(s), {} bytes",
        s.name,
        s.generation,
        s.vcpus,
        size(s.memory),
        s.regions,
        s.devices,
        s.total_len
    )
}

/// Carries out `verify` on partition `index` (`None`: no such partition).
pub(super) fn answer<H: Host>(
    host: &mut H,
    index: Option<usize>,
    target: &Target,
    slot: u8,
) -> Response {
    let result = index.ok_or(Refusal::NoSuchPartition).and_then(|i| {
        let slots = host.slots(i).min(MAX_SLOTS);
        if slot >= slots {
            return Err(Refusal::NoSuchSlot { slots });
        }
        host.verify(i, slot).map_err(Refusal::Snapshot)
    });
    match result {
        Ok(s) => Response::ok().with_line(&summary_line(slot, &s)),
        Err(e) => Response::error(format_args!("verify {target}: {e}")),
    }
}
