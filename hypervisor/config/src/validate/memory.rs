//! Memory: each region's shape, then all regions together — fixed regions
//! inside RAM and clear of everything else, the others placed first fit,
//! snapshot storage, and each partition's guest-physical layout.

use super::devices::{gic_frames, pages_of, Owned};
use super::free::FreeList;
use super::{place, Checker, Draft};
use crate::checked::{Boot, MemoryRegion, SnapshotStore};
use crate::error::{ErrorKind, PartRef, Place};
use crate::limits::{BLOCK, MAX_MEMORY_REGIONS, PAGE, SNAPSHOT_STATE_SIZE};
use crate::raw::RawMemory;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::addr::{GuestPhysAddr, MemRange};

/// A region while it is being checked.
pub(crate) struct RegionDraft {
    pub field: String,
    pub size: u64,
    /// Given in the file, or chosen by placement.
    pub base: Option<u64>,
    /// Whether the file gave the base.
    pub fixed: bool,
    pub identity: bool,
    pub guest_base: Option<u64>,
    /// Whether the region passed the shape checks (only those are placed).
    pub ok: bool,
    /// Whether its machine-physical range passed the checks against RAM,
    /// keep-outs and other regions (only those are checked further, so one
    /// mistake does not draw a cascade of errors).
    pub phys_ok: bool,
}

impl RegionDraft {
    /// The finished region, once it has a base.
    pub(crate) fn placed(&self) -> Option<MemoryRegion> {
        let base = self.base.filter(|_| self.ok)?;
        let guest = if self.identity {
            base
        } else {
            self.guest_base?
        };
        Some(MemoryRegion {
            host: MemRange::new(base, self.size),
            guest: GuestPhysAddr(guest),
            identity: self.identity,
        })
    }
}

fn aligned(v: u64) -> bool {
    v.is_multiple_of(PAGE)
}

/// The checks each region passes on its own.
pub(super) fn shape(c: &mut Checker<'_>, part: &PartRef, raw: &[RawMemory]) -> Vec<RegionDraft> {
    if raw.is_empty() {
        c.part(part, "memory", ErrorKind::NoMemory);
        return Vec::new();
    }
    if raw.len() > MAX_MEMORY_REGIONS {
        c.part(
            part,
            "memory",
            ErrorKind::TooMany {
                count: raw.len(),
                max: MAX_MEMORY_REGIONS,
            },
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, m) in raw.iter().enumerate() {
        let field = format!("memory[{i}]");
        let mut errors = Vec::new();
        let size = m.size.0;
        if size == 0 {
            errors.push(ErrorKind::ZeroSize);
        } else if !aligned(size) {
            errors.push(ErrorKind::Unaligned {
                what: "size",
                value: size,
            });
        }
        let identity = m.identity.unwrap_or(true);
        for (what, value) in [("base", m.base), ("guest_base", m.guest_base)] {
            match value {
                Some(v) if !aligned(v) => errors.push(ErrorKind::Unaligned { what, value: v }),
                Some(v) if v.checked_add(size).is_none() => {
                    errors.push(ErrorKind::Wraps { base: v, size })
                }
                _ => {}
            }
        }
        match (identity, m.guest_base) {
            (true, Some(_)) => errors.push(ErrorKind::GuestBaseWithIdentity),
            (false, None) => errors.push(ErrorKind::GuestBaseMissing),
            _ => {}
        }
        let ok = errors.is_empty();
        for e in errors {
            c.part(part, field.clone(), e);
        }
        out.push(RegionDraft {
            field,
            size,
            base: m.base,
            fixed: m.base.is_some(),
            identity,
            guest_base: m.guest_base,
            ok,
            phys_ok: ok,
        });
    }
    out
}

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
pub(super) fn place_and_check(c: &mut Checker<'_>, drafts: &mut [Draft], devices: &[Owned]) {
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

/// No region covers a page of any partition's device (RAM and MMIO are
/// apart on sane boards; a tree can still describe a device inside RAM).
fn devices_clear(c: &mut Checker<'_>, d: &Draft, devices: &[Owned]) {
    for r in d.regions.iter().filter(|r| r.phys_ok) {
        let Some(region) = r.placed() else { continue };
        for o in devices {
            if let Some(page) = o.pages.iter().find(|p| p.overlaps(&region.host)) {
                c.part(
                    &d.part,
                    r.field.clone(),
                    ErrorKind::OverlapsPartition {
                        range: region.host,
                        other: o.place.clone(),
                        other_range: *page,
                    },
                );
            }
        }
    }
}

/// The partition as its guest sees it: regions apart, clear of its devices
/// and of the interrupt controller, inside the stage-2 input range; Linux
/// at a 2 MiB boundary; identity mapping where a device does DMA.
fn guest_layout(c: &mut Checker<'_>, d: &Draft) {
    let gic: Vec<MemRange> = gic_frames(c.hw).iter().map(pages_of).collect();
    let limit = 1u64
        .checked_shl(u32::from(c.cons.ipa_bits))
        .unwrap_or(u64::MAX);
    let dma = d.devices.iter().find(|dev| dev.dma);
    let placed: Vec<(&RegionDraft, MemoryRegion)> = d
        .regions
        .iter()
        .filter(|r| r.phys_ok)
        .filter_map(|r| r.placed().map(|m| (r, m)))
        .collect();
    for (i, (r, m)) in placed.iter().enumerate() {
        let g = m.guest_range();
        let mut errors = Vec::new();
        if g.end() > limit || g.base.0.checked_add(g.size).is_none() {
            errors.push(ErrorKind::GuestAddressTooHigh {
                end: g.end(),
                bits: c.cons.ipa_bits,
            });
        }
        // Two identity regions that overlap were reported as a physical
        // overlap already.
        for (other, om) in placed.iter().take(i) {
            if !(m.identity && om.identity) && om.guest_range().overlaps(&g) {
                errors.push(ErrorKind::GuestOverlap {
                    range: g,
                    other_field: other.field.clone(),
                    other_range: om.guest_range(),
                });
            }
        }
        if !m.identity {
            for dev in &d.devices {
                if let Some(p) = dev.pages.iter().find(|p| p.overlaps(&g)) {
                    errors.push(ErrorKind::GuestOverlapsDevice {
                        range: g,
                        device: format!("{:?}", dev.path),
                        device_range: *p,
                    });
                }
            }
            if let Some(p) = gic.iter().find(|p| p.overlaps(&g)) {
                errors.push(ErrorKind::GuestOverlapsDevice {
                    range: g,
                    device: String::from("the interrupt controller"),
                    device_range: *p,
                });
            }
            if let Some(dev) = dma {
                errors.push(ErrorKind::NeedsIdentity {
                    device: dev.path.clone(),
                });
            }
        }
        for e in errors {
            c.part(&d.part, r.field.clone(), e);
        }
    }
    if let (Boot::Linux, Some((r, m))) = (d.boot, placed.first()) {
        if r.field == "memory[0]" && !m.guest.0.is_multiple_of(BLOCK) {
            c.part(
                &d.part,
                r.field.clone(),
                ErrorKind::LinuxBaseUnaligned { base: m.guest.0 },
            );
        }
    }
}
