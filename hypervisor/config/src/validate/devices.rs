//! Devices passed through: existing, enabled, not the hypervisor's, given
//! once, on pages and interrupts no other partition has.

use super::{align_down, align_up, place, Checker};
use crate::checked::{ConsoleUart, PassthroughDevice};
use crate::error::{ErrorKind, PartRef, Place};
use crate::limits::{MAX_DEVICES, MAX_PATH, PAGE};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;
use bulkhead_core::hw::{Device, Gic, Hardware};

/// A device some partition owns, for the checks of later partitions.
pub(crate) struct Owned {
    pub place: Place,
    pub path: String,
    pub pages: Vec<MemRange>,
    pub spis: Vec<u32>,
}

/// `r` rounded out to whole pages.
pub(crate) fn pages_of(r: &MemRange) -> MemRange {
    let base = align_down(r.base.0, PAGE);
    let end = align_up(r.end(), PAGE).unwrap_or(u64::MAX);
    MemRange::new(base, end.saturating_sub(base))
}

/// Every frame of the interrupt controller.
pub(crate) fn gic_frames(hw: &Hardware) -> Vec<MemRange> {
    match &hw.gic {
        Some(Gic::V2 {
            distributor,
            cpu_interface,
            hyp_interface,
            virt_cpu_interface,
            ..
        }) => [
            Some(*distributor),
            Some(*cpu_interface),
            *hyp_interface,
            *virt_cpu_interface,
        ]
        .into_iter()
        .flatten()
        .collect(),
        Some(Gic::V3 {
            distributor,
            redistributors,
            ..
        }) => core::iter::once(*distributor)
            .chain(redistributors.iter().copied())
            .collect(),
        None => Vec::new(),
    }
}

/// The GIC (any frame of it, or a node whose compatible names it, such as
/// the ITS or a GICv2m frame) and other interrupt controllers recognised by
/// compatible (`...-intc`, such as the Pi's ARM local controller).
fn is_interrupt_controller(dev: &Device, gic: &[MemRange]) -> bool {
    dev.compatible
        .iter()
        .any(|c| c.contains("gic") || c.contains("intc"))
        || dev
            .regs
            .iter()
            .any(|r| gic.iter().any(|g| pages_of(r).overlaps(&pages_of(g))))
}

/// Resolves the partition's `devices` list. `owned` holds every device
/// given so far (this partition's included) and grows with this one's.
pub(super) fn resolve(
    c: &mut Checker<'_>,
    part: &PartRef,
    paths: &[String],
    hyp_console: Option<&ConsoleUart>,
    owned: &mut Vec<Owned>,
) -> Vec<PassthroughDevice> {
    if paths.len() > MAX_DEVICES {
        c.part(
            part,
            "devices",
            ErrorKind::TooMany {
                count: paths.len(),
                max: MAX_DEVICES,
            },
        );
        return Vec::new();
    }
    let gic = gic_frames(c.hw);
    let mut out = Vec::with_capacity(paths.len());
    for (i, path) in paths.iter().enumerate() {
        let field = format!("devices[{i}]");
        if !super::names::string(c, part, &field, path, MAX_PATH) {
            continue;
        }
        let Some(dev) = c.hw.device_by_path(path) else {
            c.part(part, field, ErrorKind::UnknownDevice { path: path.clone() });
            continue;
        };
        if let Some(first) = owned.iter().find(|o| o.path == *path) {
            let first = first.place.clone();
            c.part(
                part,
                field,
                ErrorKind::DeviceTaken {
                    path: path.clone(),
                    first,
                },
            );
            continue;
        }
        let pages: Vec<MemRange> = dev.regs.iter().map(pages_of).collect();
        let spis: Vec<u32> = dev
            .interrupts
            .iter()
            .filter(|i| i.intid.is_spi())
            .map(|i| i.intid.0)
            .collect();
        let mut errors = Vec::new();
        check_device(dev, &pages, &gic, hyp_console, &mut errors);
        for o in owned.iter().filter(|o| o.place.part.index != part.index) {
            if let Some(page) = shared_page(&pages, &o.pages) {
                errors.push(ErrorKind::DevicePageShared {
                    path: path.clone(),
                    page,
                    other: o.place.clone(),
                    other_path: o.path.clone(),
                });
            }
            if let Some(intid) = spis.iter().find(|s| o.spis.contains(s)) {
                errors.push(ErrorKind::InterruptShared {
                    path: path.clone(),
                    intid: *intid,
                    other: format!("{} {:?}", o.place, o.path),
                });
            }
        }
        for e in errors {
            c.part(part, field.clone(), e);
        }
        owned.push(Owned {
            place: place(part, field),
            path: path.clone(),
            pages: pages.clone(),
            spis: spis.clone(),
        });
        out.push(PassthroughDevice {
            path: path.clone(),
            regs: dev.regs.clone(),
            pages,
            interrupts: dev.interrupts.clone(),
            dma: dev.compatible.iter().any(|c| c == "virtio,mmio"),
            reset_on_restore: None,
        });
    }
    out
}

/// The checks on one device that involve only the board and the
/// hypervisor.
fn check_device(
    dev: &Device,
    pages: &[MemRange],
    gic: &[MemRange],
    hyp_console: Option<&ConsoleUart>,
    errors: &mut Vec<ErrorKind>,
) {
    let path = || dev.path.clone();
    if !dev.enabled {
        errors.push(ErrorKind::DeviceDisabled { path: path() });
    }
    if is_interrupt_controller(dev, gic) {
        errors.push(ErrorKind::DeviceReserved {
            path: path(),
            why: "the interrupt controller, which the hypervisor drives",
        });
    }
    if let Some(con) = hyp_console {
        if con.path == dev.path {
            errors.push(ErrorKind::DeviceReserved {
                path: path(),
                why: "the hypervisor's console ([hypervisor] console, or the board's stdout-path)",
            });
        } else if shared_page(pages, &[pages_of(&con.base)]).is_some() {
            errors.push(ErrorKind::DeviceReserved {
                path: path(),
                why: "on the same 4 KiB page as the hypervisor's console",
            });
        } else if let Some(irq) = con
            .interrupt
            .filter(|i| dev.interrupts.iter().any(|d| d.intid == i.intid))
        {
            errors.push(ErrorKind::InterruptShared {
                path: path(),
                intid: irq.intid.0,
                other: String::from("the hypervisor's console"),
            });
        }
    }
    if let Some(i) = dev.interrupts.iter().find(|i| !i.intid.is_spi()) {
        errors.push(ErrorKind::PerCoreInterrupt {
            path: path(),
            intid: i.intid.0,
        });
    }
}

/// The first page of `a` that is also in `b`.
fn shared_page(a: &[MemRange], b: &[MemRange]) -> Option<MemRange> {
    a.iter().find_map(|x| {
        b.iter().find(|y| x.overlaps(y)).map(|y| {
            let base = x.base.0.max(y.base.0);
            MemRange::new(base, PAGE)
        })
    })
}
