//! Passed-through devices and the fixed clocks copied for them, as
//! planned by [`crate::passthrough`].

use super::{interrupt_cells, reg_cells};
use crate::error::GuestDtError;
use crate::irq::IrqContext;
use crate::passthrough::{Passthrough, Value};
use vm_fdt::FdtWriter;

pub fn clocks(fdt: &mut FdtWriter, plan: &Passthrough<'_>) -> Result<(), GuestDtError> {
    for clock in &plan.clocks.copied {
        let node = fdt.begin_node(clock.name)?;
        for (name, value) in &clock.props {
            fdt.property(name, value)?;
        }
        fdt.property_phandle(clock.phandle)?;
        fdt.end_node(node)?;
    }
    Ok(())
}

pub fn devices(
    fdt: &mut FdtWriter,
    plan: &Passthrough<'_>,
    cx: IrqContext,
) -> Result<(), GuestDtError> {
    for device in &plan.devices {
        let node = fdt.begin_node(&device.name)?;
        let mut wrote_location = false;
        for (name, value) in &device.props {
            // reg and interrupts go right after compatible, which the plan
            // puts first when there is one.
            if !wrote_location && *name != "compatible" {
                location(fdt, device, cx)?;
                wrote_location = true;
            }
            match value {
                Value::Bytes(bytes) => fdt.property(name, bytes)?,
                Value::Cells(cells) => fdt.property_array_u32(name, cells)?,
                Value::Empty => fdt.property_null(name)?,
            }
        }
        if !wrote_location {
            location(fdt, device, cx)?;
        }
        fdt.end_node(node)?;
    }
    Ok(())
}

fn location(
    fdt: &mut FdtWriter,
    device: &crate::passthrough::DevicePlan<'_>,
    cx: IrqContext,
) -> Result<(), GuestDtError> {
    let regs = reg_cells(device.regs.iter().map(|r| (r.base.0, r.size)));
    fdt.property_array_u64("reg", &regs)?;
    if !device.interrupts.is_empty() {
        let cells = interrupt_cells(&device.board_path, &device.interrupts, cx)?;
        fdt.property_array_u32("interrupts", &cells)?;
    }
    Ok(())
}
