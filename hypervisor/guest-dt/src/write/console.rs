//! The emulated console UART and, for the full PL011 binding, the fixed
//! clock its AMBA driver asks for.

use super::{interrupt_cells, reg_cells, CONSOLE_CLOCK_PHANDLE};
use crate::error::GuestDtError;
use crate::irq::IrqContext;
use crate::spec::{ConsoleCompat, GuestConsole};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use bulkhead_core::hw::{Interrupt, Intid, Trigger};
use vm_fdt::FdtWriter;

/// Name of the console's clock node.
pub const CLOCK_NAME: &str = "console-pclk";
/// The rate QEMU's virt gives its PL011 (`apb-pclk`).
const CLOCK_HZ: u32 = 24_000_000;
/// What the SBSA binding asks for in `current-speed`.
const BAUD: u32 = 115_200;

pub fn name(console: &GuestConsole) -> String {
    format!("serial@{:x}", console.range.base.0)
}

/// The fixed clock, for [`ConsoleCompat::Pl011`] only.
pub fn clock(fdt: &mut FdtWriter, console: &GuestConsole) -> Result<(), GuestDtError> {
    if console.compatible != ConsoleCompat::Pl011 {
        return Ok(());
    }
    let node = fdt.begin_node(CLOCK_NAME)?;
    fdt.property_string("compatible", "fixed-clock")?;
    fdt.property_u32("#clock-cells", 0)?;
    fdt.property_u32("clock-frequency", CLOCK_HZ)?;
    fdt.property_string("clock-output-names", "console-pclk")?;
    fdt.property_phandle(CONSOLE_CLOCK_PHANDLE)?;
    fdt.end_node(node)?;
    Ok(())
}

pub fn console(
    fdt: &mut FdtWriter,
    console: &GuestConsole,
    cx: IrqContext,
) -> Result<(), GuestDtError> {
    let node = fdt.begin_node(&name(console))?;
    match console.compatible {
        ConsoleCompat::Sbsa => fdt.property_string("compatible", "arm,sbsa-uart")?,
        ConsoleCompat::Pl011 => fdt.property_string_list(
            "compatible",
            vec![String::from("arm,pl011"), String::from("arm,primecell")],
        )?,
    }
    let r = console.range;
    fdt.property_array_u64("reg", &reg_cells([(r.base.0, r.size)].into_iter()))?;
    let irq = Interrupt {
        intid: Intid(console.intid),
        trigger: Trigger::Level,
    };
    fdt.property_array_u32("interrupts", &interrupt_cells("the console", &[irq], cx)?)?;
    match console.compatible {
        ConsoleCompat::Sbsa => fdt.property_u32("current-speed", BAUD)?,
        ConsoleCompat::Pl011 => {
            fdt.property_array_u32("clocks", &[CONSOLE_CLOCK_PHANDLE, CONSOLE_CLOCK_PHANDLE])?;
            fdt.property_string_list(
                "clock-names",
                vec![String::from("uartclk"), String::from("apb_pclk")],
            )?;
        }
    }
    fdt.end_node(node)?;
    Ok(())
}
