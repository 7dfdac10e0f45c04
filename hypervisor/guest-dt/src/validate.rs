//! Checks on the spec before anything is written: counts, strings, ranges,
//! interrupt numbers, and that nothing in the partition's address space or
//! interrupt space is claimed twice.

use crate::error::GuestDtError;
use crate::irq::{describable, specifier, IrqContext, PPIS, SPIS};
use crate::mpidr::{MAX_VCPUS_GICV2, MAX_VCPUS_GICV3};
use crate::passthrough::DevicePlan;
use crate::spec::{GuestDtSpec, GuestGic, GuestRange};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Granule of stage-2 mappings: what the hypervisor maps or emulates must
/// be aligned to it.
const PAGE: u64 = 0x1000;
/// One GICv3 redistributor: RD_base and SGI_base frames.
pub const REDISTRIBUTOR_SIZE: u64 = 0x2_0000;

fn range_ok(what: &str, r: GuestRange, aligned: bool) -> Result<(), GuestDtError> {
    let (base, size) = (r.base.0, r.size);
    if size == 0 {
        return Err(GuestDtError::EmptyRange { what: what.into() });
    }
    if r.end().is_none() {
        return Err(GuestDtError::WrappingRange {
            what: what.into(),
            base,
            size,
        });
    }
    if aligned && !(base.is_multiple_of(PAGE) && size.is_multiple_of(PAGE)) {
        return Err(GuestDtError::Misaligned {
            what: what.into(),
            base,
            size,
        });
    }
    Ok(())
}

fn intid_in(
    what: &str,
    intid: u32,
    range: core::ops::RangeInclusive<u32>,
    expected: &'static str,
) -> Result<(), GuestDtError> {
    if range.contains(&intid) {
        Ok(())
    } else {
        Err(GuestDtError::Intid {
            what: what.into(),
            intid,
            expected,
        })
    }
}

pub fn irq_context(spec: &GuestDtSpec) -> IrqContext {
    use crate::irq::GicVersion;
    IrqContext {
        gic: match spec.gic {
            GuestGic::V2 { .. } => GicVersion::V2,
            GuestGic::V3 { .. } => GicVersion::V3,
        },
        vcpus: spec.vcpus,
    }
}

/// Everything about the spec that does not depend on the board.
pub fn check_spec(spec: &GuestDtSpec) -> Result<(), GuestDtError> {
    let (max, version) = match spec.gic {
        GuestGic::V2 { .. } => (MAX_VCPUS_GICV2, 2),
        GuestGic::V3 { .. } => (MAX_VCPUS_GICV3, 3),
    };
    if spec.vcpus == 0 {
        return Err(GuestDtError::NoVcpus);
    }
    if spec.vcpus > max {
        return Err(GuestDtError::TooManyVcpus {
            vcpus: spec.vcpus,
            max,
            gic: version,
        });
    }
    if spec.name.contains('\0') {
        return Err(GuestDtError::Nul { field: "the name" });
    }
    if spec.bootargs.as_deref().is_some_and(|b| b.contains('\0')) {
        return Err(GuestDtError::Nul { field: "bootargs" });
    }
    if spec.memory.is_empty() {
        return Err(GuestDtError::NoMemory);
    }
    for (i, m) in spec.memory.iter().enumerate() {
        range_ok(&format!("memory region {i}"), *m, true)?;
    }
    check_gic(spec)?;
    if let Some(c) = &spec.console {
        range_ok("the console", c.range, true)?;
        intid_in("the console", c.intid, SPIS, "an SPI (32-1019)")?;
    }
    let t = &spec.timer;
    for (what, irq) in [
        ("the secure physical timer", t.secure_phys),
        ("the physical timer", t.nonsecure_phys),
        ("the virtual timer", t.virt),
        ("the hypervisor timer", t.hyp_phys),
    ] {
        intid_in(what, irq.intid.0, PPIS, "a PPI (16-31)")?;
    }
    if let Some(initrd) = spec.initrd {
        range_ok("the initrd", initrd, false)?;
        let inside = spec.memory.iter().any(|m| {
            initrd.base >= m.base && initrd.end().unwrap_or(u64::MAX) <= m.end().unwrap_or(0)
        });
        if !inside {
            return Err(GuestDtError::InitrdOutsideMemory {
                base: initrd.base.0,
                size: initrd.size,
            });
        }
    }
    Ok(())
}

fn check_gic(spec: &GuestDtSpec) -> Result<(), GuestDtError> {
    match spec.gic {
        GuestGic::V3 {
            distributor,
            redistributors,
            maintenance_intid,
        } => {
            range_ok("the GIC distributor", distributor, true)?;
            range_ok("the GIC redistributors", redistributors, true)?;
            let needed = (spec.vcpus as u64).saturating_mul(REDISTRIBUTOR_SIZE);
            if redistributors.size < needed {
                return Err(GuestDtError::Redistributors {
                    size: redistributors.size,
                    needed,
                    vcpus: spec.vcpus,
                });
            }
            if let Some(m) = maintenance_intid {
                intid_in("the GIC maintenance interrupt", m, PPIS, "a PPI (16-31)")?;
            }
        }
        GuestGic::V2 {
            distributor,
            cpu_interface,
        } => {
            range_ok("the GIC distributor", distributor, true)?;
            range_ok("the GIC CPU interface", cpu_interface, true)?;
        }
    }
    Ok(())
}

/// Every range of the partition's address space, named for messages.
fn address_space(spec: &GuestDtSpec, devices: &[DevicePlan<'_>]) -> Vec<(String, u64, u64)> {
    let mut all: Vec<(String, u64, u64)> = Vec::new();
    let mut add = |what: String, r: GuestRange| all.push((what, r.base.0, r.size));
    for (i, m) in spec.memory.iter().enumerate() {
        add(format!("memory region {i}"), *m);
    }
    match spec.gic {
        GuestGic::V3 {
            distributor,
            redistributors,
            ..
        } => {
            add("the GIC distributor".into(), distributor);
            add("the GIC redistributors".into(), redistributors);
        }
        GuestGic::V2 {
            distributor,
            cpu_interface,
        } => {
            add("the GIC distributor".into(), distributor);
            add("the GIC CPU interface".into(), cpu_interface);
        }
    }
    if let Some(c) = &spec.console {
        add("the console".into(), c.range);
    }
    for d in devices {
        for r in &d.regs {
            add(d.board_path.clone(), GuestRange::new(r.base.0, r.size));
        }
    }
    all
}

fn overlap(a: &(String, u64, u64), b: &(String, u64, u64)) -> bool {
    let end = |x: &(String, u64, u64)| x.1.saturating_add(x.2);
    a.1 < end(b) && b.1 < end(a)
}

/// Interrupts the partition's tree names, with their owner and whether the
/// owner is a passed-through device.
fn interrupt_space(spec: &GuestDtSpec, devices: &[DevicePlan<'_>]) -> Vec<(u32, String, bool)> {
    let mut all: Vec<(u32, String, bool)> = Vec::new();
    if let Some(c) = &spec.console {
        all.push((c.intid, "the console".into(), false));
    }
    if let GuestGic::V3 {
        maintenance_intid: Some(m),
        ..
    } = spec.gic
    {
        all.push((m, "the GIC maintenance interrupt".into(), false));
    }
    let t = &spec.timer;
    for irq in [t.secure_phys, t.nonsecure_phys, t.virt, t.hyp_phys] {
        all.push((irq.intid.0, "the timer".into(), false));
    }
    for d in devices {
        for irq in &d.interrupts {
            all.push((irq.intid.0, d.board_path.clone(), true));
        }
    }
    all
}

/// Nothing claimed twice: address ranges never, interrupts only between
/// passed-through devices (shared lines on the board stay shared).
pub fn check_layout(spec: &GuestDtSpec, devices: &[DevicePlan<'_>]) -> Result<(), GuestDtError> {
    let cx = irq_context(spec);
    for d in devices {
        for irq in &d.interrupts {
            if specifier(*irq, cx).is_none() {
                return Err(GuestDtError::Intid {
                    what: d.board_path.clone(),
                    intid: irq.intid.0,
                    expected: describable(cx.gic),
                });
            }
        }
    }
    let ranges = address_space(spec, devices);
    for (i, a) in ranges.iter().enumerate() {
        if let Some(b) = ranges
            .iter()
            .skip(i + 1)
            .find(|b| a.0 != b.0 && overlap(a, b))
        {
            return Err(GuestDtError::Overlap {
                first: a.0.clone(),
                second: b.0.clone(),
            });
        }
    }
    let irqs = interrupt_space(spec, devices);
    for (i, a) in irqs.iter().enumerate() {
        let clash = irqs
            .iter()
            .skip(i + 1)
            .find(|b| b.0 == a.0 && !(a.2 && b.2) && a.1 != b.1);
        if let Some(b) = clash {
            return Err(GuestDtError::InterruptClash {
                intid: a.0,
                first: a.1.clone(),
                second: b.1.clone(),
            });
        }
    }
    Ok(())
}

/// No two nodes at the root with one name. `names` pairs each name with
/// what it belongs to.
pub fn check_names(names: &[(String, String)]) -> Result<(), GuestDtError> {
    for (i, (name, owner)) in names.iter().enumerate() {
        if let Some((_, other)) = names.iter().skip(i + 1).find(|(n, _)| n == name) {
            return Err(GuestDtError::NameClash {
                name: name.clone(),
                first: owner.clone(),
                second: other.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn names_must_be_unique() {
        let n = |name: &str, owner: &str| (name.to_string(), owner.to_string());
        let names = [n("cpus", "the /cpus node"), n("soc", "the DMA bus")];
        assert_eq!(check_names(&names), Ok(()));
        let names = [
            n("timer", "the /timer node"),
            n("soc", "the DMA bus"),
            n("timer", "/bus/timer"),
        ];
        assert_eq!(
            check_names(&names),
            Err(GuestDtError::NameClash {
                name: "timer".into(),
                first: "the /timer node".into(),
                second: "/bus/timer".into()
            })
        );
    }
}
