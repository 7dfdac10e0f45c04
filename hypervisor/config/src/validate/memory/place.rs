//! Machine-physical placement: fixed regions inside RAM and clear of
//! keep-outs, reserved memory and each other; the others first fit; then
//! snapshot storage.

use super::guest::{devices_clear, guest_layout};
use crate::checked::SnapshotStore;
use crate::error::{ErrorKind, Place};
use crate::limits::{BLOCK, PAGE, SNAPSHOT_STATE_SIZE};
use crate::validate::devices::Owned;
use crate::validate::free::FreeList;
use crate::validate::{place, Checker, Draft};
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;

/// A range no region may touch.
struct Blocker {
    name: String,
    range: MemRange,
    /// From the device tree's reserved memory (else a keep-out).
    reserved: bool,
}

fn blockers(c: &Checker<'_>) -> Vec<Blocker> {
    let keep = c.cons.keep_out.iter().map(|k| Blocker {
        name: k.name.clone(),
        range: k.range,
        reserved: false,
    });
    let reserved = c.hw.reserved.iter().map(|r| Blocker {
        name: r.name.clone(),
        range: r.range,
        reserved: true,
    });
    let initrd = c.hw.chosen.initrd.map(|range| Blocker {
        name: String::from("initrd named in /chosen"),
        range,
        reserved: false,
    });
    keep.chain(reserved).chain(initrd).collect()
}

/// Everything about memory that needs all partitions at once.
pub(crate) fn place_and_check(c: &mut Checker<'_>, drafts: &mut [Draft], devices: &[Owned]) {
    let blockers = blockers(c);
    let banks = c.hw.memory.clone();

    // Regions with a base: inside RAM, clear of keep-outs and of each other.
    let mut fixed: Vec<(Place, MemRange)> = Vec::new();
    for d in drafts.iter_mut() {
        for r in d.regions.iter_mut().filter(|r| r.ok && r.fixed) {
            let Some(base) = r.base else { continue };
            let range = MemRange::new(base, r.size);
            let mut errors = Vec::new();
            if !banks.iter().any(|b| b.covers(&range)) {
                errors.push(ErrorKind::OutsideRam {
                    range,
                    banks: banks.clone(),
                });
            }
            for b in blockers.iter().filter(|b| b.range.overlaps(&range)) {
                errors.push(blocked(range, b));
            }
            for (other, other_range) in fixed.iter().filter(|(_, o)| o.overlaps(&range)) {
                errors.push(ErrorKind::OverlapsPartition {
                    range,
                    other: other.clone(),
                    other_range: *other_range,
                });
            }
            r.phys_ok = errors.is_empty();
            for e in errors {
                c.part(&d.part, r.field.clone(), e);
            }
            fixed.push((place(&d.part, r.field.clone()), range));
        }
    }

    // The others: first fit, on a 2 MiB boundary when one is free.
    let mut free = FreeList::new(&banks);
    for b in &blockers {
        free.remove(b.range);
    }
    for (_, r) in &fixed {
        free.remove(*r);
    }
    for d in drafts.iter_mut() {
        for r in d.regions.iter_mut().filter(|r| r.ok && !r.fixed) {
            r.base = take(&mut free, r.size);
            r.phys_ok = r.base.is_some();
            if r.base.is_none() {
                let largest_free = free.largest();
                c.part(
                    &d.part,
                    r.field.clone(),
                    ErrorKind::OutOfMemory {
                        size: r.size,
                        largest_free,
                    },
                );
            }
        }
    }
    for d in drafts.iter_mut() {
        snapshots(c, d, &mut free);
    }
    for d in drafts.iter() {
        devices_clear(c, d, devices);
        guest_layout(c, d);
    }
}

fn take(free: &mut FreeList, size: u64) -> Option<u64> {
    free.take(size, BLOCK).or_else(|| free.take(size, PAGE))
}

fn blocked(range: MemRange, b: &Blocker) -> ErrorKind {
    if b.reserved {
        ErrorKind::OverlapsReserved {
            range,
            name: b.name.clone(),
            reserved: b.range,
        }
    } else {
        ErrorKind::OverlapsKeepOut {
            range,
            name: b.name.clone(),
            keep_out: b.range,
        }
    }
}

/// Sets aside `slots` copies of the partition's memory plus state.
fn snapshots(c: &mut Checker<'_>, d: &mut Draft, free: &mut FreeList) {
    if d.snapshot_slots == 0 || d.regions.iter().any(|r| r.placed().is_none()) {
        return;
    }
    let memory: u64 = d
        .regions
        .iter()
        .map(|r| r.size)
        .fold(0, u64::saturating_add);
    let slot_size = memory.saturating_add(SNAPSHOT_STATE_SIZE);
    let size = slot_size.saturating_mul(u64::from(d.snapshot_slots));
    match take(free, size) {
        Some(base) => {
            d.snapshot_area = Some(SnapshotStore {
                slots: d.snapshot_slots,
                slot_size,
                area: MemRange::new(base, size),
            })
        }
        None => {
            let largest_free = free.largest();
            c.part(
                &d.part,
                "snapshot_slots",
                ErrorKind::SnapshotOutOfMemory { size, largest_free },
            );
        }
    }
}
