//! Writing the partition's tree, one file per node kind. Everything was
//! validated before; what can still fail here is the writer itself.

mod chosen;
mod console;
mod cpus;
mod devices;
mod gic;
mod memory;
mod timer;

use crate::error::GuestDtError;
use crate::irq::{describable, specifier, IrqContext};
use crate::passthrough::Passthrough;
use crate::spec::GuestDtSpec;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bulkhead_core::hw::Interrupt;
use vm_fdt::FdtWriter;

pub use cpus::GENERIC_CPU;

pub const GIC_PHANDLE: u32 = 1;
pub const CONSOLE_CLOCK_PHANDLE: u32 = 2;
/// Clocks copied for passed-through devices are numbered from here.
pub const FIRST_COPIED_PHANDLE: u32 = 3;

/// The root's first compatible string; the board's follow it.
pub const PARTITION_COMPATIBLE: &str = "bulkhead,partition";
pub const HYPERVISOR_COMPATIBLE: &str = "bulkhead,hypervisor-1";

/// What the partition's tree takes from the board besides devices.
pub struct FromBoard<'b> {
    /// The board root's `compatible` strings.
    pub compatible: &'b [String],
    /// The board's first cpu node's `compatible`.
    pub cpu: &'b str,
}

/// `(base, size)` pairs as the u64 list of a two-cell/two-cell `reg`.
pub fn reg_cells(ranges: impl Iterator<Item = (u64, u64)>) -> Vec<u64> {
    ranges.flat_map(|(base, size)| [base, size]).collect()
}

/// Three cells per interrupt; `what` names the owner if one has no
/// specifier (validation has normally caught that already).
pub fn interrupt_cells(
    what: &str,
    irqs: &[Interrupt],
    cx: IrqContext,
) -> Result<Vec<u32>, GuestDtError> {
    let mut out = Vec::new();
    for irq in irqs {
        let cells = specifier(*irq, cx).ok_or_else(|| GuestDtError::Intid {
            what: what.to_string(),
            intid: irq.intid.0,
            expected: describable(cx.gic),
        })?;
        out.extend(cells);
    }
    Ok(out)
}

/// The doorbell node's name.
fn doorbell_name() -> String {
    format!(
        "bulkhead-mgmt@{:x}",
        bulkhead_core::mgmt::doorbell::GUEST_BASE
    )
}

fn console_path(spec: &GuestDtSpec) -> Option<String> {
    spec.console
        .as_ref()
        .map(|c| format!("/{}", console::name(c)))
}

/// The names of the root's children the generator writes itself, each
/// with what it is, for [`crate::validate::check_names`].
pub fn fixed_names(spec: &GuestDtSpec) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> =
        ["chosen", "aliases", "cpus", "psci", "timer", "hypervisor"]
            .into_iter()
            .map(|n| (n.to_string(), format!("the /{n} node")))
            .collect();
    names.push((memory::name(spec), "the memory node".into()));
    names.push((gic::name(spec), "the interrupt controller".into()));
    if spec.mgmt_doorbell {
        names.push((doorbell_name(), "the management doorbell".into()));
    }
    if let Some(c) = &spec.console {
        names.push((console::name(c), "the console".into()));
        if c.compatible == crate::spec::ConsoleCompat::Pl011 {
            names.push((console::CLOCK_NAME.into(), "the console's clock".into()));
        }
    }
    names
}

pub fn write(
    spec: &GuestDtSpec,
    board: &FromBoard<'_>,
    plan: &Passthrough<'_>,
    cx: IrqContext,
) -> Result<Vec<u8>, GuestDtError> {
    let mut fdt = FdtWriter::new()?;
    let root = fdt.begin_node("")?;
    fdt.property_u32("#address-cells", 2)?;
    fdt.property_u32("#size-cells", 2)?;
    let compatible: Vec<String> = core::iter::once(PARTITION_COMPATIBLE.to_string())
        .chain(board.compatible.iter().cloned())
        .collect();
    fdt.property_string_list("compatible", compatible)?;
    fdt.property_string("model", &format!("Bulkhead partition {}", spec.name))?;
    fdt.property_u32("interrupt-parent", GIC_PHANDLE)?;

    let console_path = console_path(spec);
    chosen::chosen(&mut fdt, spec, console_path.as_deref())?;
    chosen::aliases(&mut fdt, console_path.as_deref())?;
    memory::memory(&mut fdt, spec)?;
    cpus::cpus(&mut fdt, spec, board.cpu)?;
    cpus::psci(&mut fdt)?;
    gic::gic(&mut fdt, spec, cx)?;
    timer::timer(&mut fdt, spec, cx)?;
    let hypervisor = fdt.begin_node("hypervisor")?;
    fdt.property_string("compatible", HYPERVISOR_COMPATIBLE)?;
    fdt.end_node(hypervisor)?;
    if let Some(c) = &spec.console {
        console::clock(&mut fdt, c)?;
        console::console(&mut fdt, c, cx)?;
    }
    if spec.mgmt_doorbell {
        use bulkhead_core::mgmt::doorbell::{COMPATIBLE, GUEST_BASE, SIZE};
        let node = fdt.begin_node(&doorbell_name())?;
        fdt.property_string("compatible", COMPATIBLE)?;
        fdt.property_array_u64("reg", &[GUEST_BASE, SIZE])?;
        fdt.end_node(node)?;
    }
    devices::clocks(&mut fdt, plan)?;
    devices::devices(&mut fdt, plan, cx)?;

    fdt.end_node(root)?;
    Ok(fdt.finish()?)
}
