//! Passed-through devices and the fixed clocks copied for them, as
//! planned by [`crate::passthrough`]: at the root, or under a bus node
//! that carries the DMA windows they inherit (see [`crate::dma`]).

use super::{interrupt_cells, reg_cells};
use crate::error::GuestDtError;
use crate::irq::IrqContext;
use crate::passthrough::{dma_groups, DevicePlan, Passthrough, Value};
use alloc::vec::Vec;
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
    for device in plan.devices.iter().filter(|d| d.dma_bus.is_none()) {
        device_node(fdt, device, cx)?;
    }
    for (bus, members) in dma_groups(&plan.devices) {
        let node = fdt.begin_node(&bus.name)?;
        fdt.property_string("compatible", "simple-bus")?;
        fdt.property_u32("#address-cells", 2)?;
        fdt.property_u32("#size-cells", 2)?;
        fdt.property_null("ranges")?;
        let windows: Vec<u64> = bus
            .windows
            .iter()
            .flat_map(|w| [w.bus, w.cpu, w.size])
            .collect();
        fdt.property_array_u64("dma-ranges", &windows)?;
        for device in members {
            device_node(fdt, device, cx)?;
        }
        fdt.end_node(node)?;
    }
    Ok(())
}

fn device_node(
    fdt: &mut FdtWriter,
    device: &DevicePlan<'_>,
    cx: IrqContext,
) -> Result<(), GuestDtError> {
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
    Ok(())
}

fn location(
    fdt: &mut FdtWriter,
    device: &DevicePlan<'_>,
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
