//! What the guest sees: regions clear of devices, apart from each other in
//! guest-physical space, inside the stage-2 input range.

use super::RegionDraft;
use crate::checked::{Boot, MemoryRegion};
use crate::error::ErrorKind;
use crate::limits::BLOCK;
use crate::validate::devices::{gic_frames, pages_of, Owned};
use crate::validate::{Checker, Draft};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;
use bulkhead_core::mgmt::doorbell::{GUEST_BASE as DOORBELL_BASE, SIZE as DOORBELL_SIZE};

/// No region covers a page of any partition's device (RAM and MMIO are
/// apart on sane boards; a tree can still describe a device inside RAM).
pub(super) fn devices_clear(c: &mut Checker<'_>, d: &Draft, devices: &[Owned]) {
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
pub(super) fn guest_layout(c: &mut Checker<'_>, d: &Draft) {
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
        // The manager's doorbell page is emulated at a fixed guest-physical
        // address: its memory must leave it free.
        let doorbell = MemRange::new(DOORBELL_BASE, DOORBELL_SIZE);
        if d.manager && doorbell.overlaps(&g) {
            errors.push(ErrorKind::GuestOverlapsDevice {
                range: g,
                device: String::from("the manager's management doorbell"),
                device_range: doorbell,
            });
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
