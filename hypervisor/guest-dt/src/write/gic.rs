//! The partition's interrupt controller, the root `interrupt-parent`.

use super::{interrupt_cells, reg_cells, GIC_PHANDLE};
use crate::error::GuestDtError;
use crate::irq::IrqContext;
use crate::spec::{GuestDtSpec, GuestGic, GuestRange};
use alloc::format;
use alloc::string::String;
use bulkhead_core::hw::{Interrupt, Intid, Trigger};
use vm_fdt::FdtWriter;

fn frames(gic: &GuestGic) -> [GuestRange; 2] {
    match *gic {
        GuestGic::V3 {
            distributor,
            redistributors,
            ..
        } => [distributor, redistributors],
        GuestGic::V2 {
            distributor,
            cpu_interface,
        } => [distributor, cpu_interface],
    }
}

pub fn name(spec: &GuestDtSpec) -> String {
    let [distributor, _] = frames(&spec.gic);
    format!("interrupt-controller@{:x}", distributor.base.0)
}

pub fn gic(fdt: &mut FdtWriter, spec: &GuestDtSpec, cx: IrqContext) -> Result<(), GuestDtError> {
    let node = fdt.begin_node(&name(spec))?;
    let (compatible, maintenance) = match spec.gic {
        GuestGic::V3 {
            maintenance_intid, ..
        } => ("arm,gic-v3", maintenance_intid),
        GuestGic::V2 { .. } => ("arm,cortex-a15-gic", None),
    };
    fdt.property_string("compatible", compatible)?;
    fdt.property_u32("#interrupt-cells", 3)?;
    // No children (no ITS), and no interrupt-map reaches through it.
    fdt.property_u32("#address-cells", 0)?;
    fdt.property_null("interrupt-controller")?;
    let reg = reg_cells(frames(&spec.gic).iter().map(|r| (r.base.0, r.size)));
    fdt.property_array_u64("reg", &reg)?;
    if let Some(intid) = maintenance {
        let irq = Interrupt {
            intid: Intid(intid),
            trigger: Trigger::Level,
        };
        let cells = interrupt_cells("the GIC maintenance interrupt", &[irq], cx)?;
        fdt.property_array_u32("interrupts", &cells)?;
    }
    fdt.property_phandle(GIC_PHANDLE)?;
    fdt.end_node(node)?;
    Ok(())
}
