//! `/timer`: the architected timer's PPIs, as on the board.

use super::interrupt_cells;
use crate::error::GuestDtError;
use crate::irq::IrqContext;
use crate::spec::GuestDtSpec;
use vm_fdt::FdtWriter;

pub fn timer(fdt: &mut FdtWriter, spec: &GuestDtSpec, cx: IrqContext) -> Result<(), GuestDtError> {
    let t = &spec.timer;
    let node = fdt.begin_node("timer")?;
    fdt.property_string("compatible", "arm,armv8-timer")?;
    // Binding order: secure physical, non-secure physical, virtual,
    // hypervisor physical.
    let irqs = [t.secure_phys, t.nonsecure_phys, t.virt, t.hyp_phys];
    fdt.property_array_u32("interrupts", &interrupt_cells("the timer", &irqs, cx)?)?;
    fdt.property_null("always-on")?;
    if let Some(hz) = t.frequency {
        fdt.property_u32("clock-frequency", hz)?;
    }
    fdt.end_node(node)?;
    Ok(())
}
