//! Memory-mapped devices, and the UARTs and virtio-mmio transports among
//! them.

use super::cells::string_list;
use super::error::DtError;
use super::irq::interrupts;
use super::translate::regs;
use super::tree::Tree;
use crate::hw::{Device, Uart, UartKind, VirtioMmio};
use alloc::vec::Vec;

/// Most reg entries, interrupts and compatible strings kept over all
/// devices, of each kind. Real trees have a few hundred; the limit keeps the
/// memory a hostile tree makes the parser allocate small.
pub const MAX_ITEMS: usize = 16384;
/// Most compatible strings kept per device (real lists have one to five).
pub const MAX_COMPATIBLE: usize = 16;

fn spend(left: &mut usize, n: usize, what: &'static str) -> Result<(), DtError> {
    *left = left.checked_sub(n).ok_or(DtError::Limit {
        what,
        limit: MAX_ITEMS,
    })?;
    Ok(())
}

/// The device list and, for each device, the index of its node in the
/// [`Tree`] (the GIC and /chosen need to look at the node again).
pub struct Devices {
    pub devices: Vec<Device>,
    pub nodes: Vec<usize>,
}

/// Every node with a `reg` that translates to CPU physical addresses, in
/// tree order, except what lies under /cpus, /reserved-memory and the
/// memory nodes. Nodes whose `reg` does not translate (a bus on the way has
/// no `ranges`, see [`super::translate`]) are not memory-mapped devices and
/// are left out. Disabled nodes are listed with `enabled: false`.
pub fn devices(tree: &Tree<'_, '_>, memory_nodes: &[usize]) -> Result<Devices, DtError> {
    let mut excluded: Vec<usize> = memory_nodes.to_vec();
    excluded.extend(tree.top_level("cpus"));
    excluded.extend(tree.top_level("reserved-memory"));
    let mut found = Devices {
        devices: Vec::new(),
        nodes: Vec::new(),
    };
    let (mut regs_left, mut interrupts_left, mut strings_left) = (MAX_ITEMS, MAX_ITEMS, MAX_ITEMS);
    for (index, node) in tree.nodes.iter().enumerate() {
        if !node.has("reg") {
            continue;
        }
        if tree
            .top_ancestor(index)
            .is_none_or(|top| excluded.contains(&top))
        {
            continue;
        }
        let Some(ranges) = regs(tree, index)? else {
            continue;
        };
        if ranges.is_empty() {
            continue;
        }
        let compatible = string_list(node.prop("compatible").unwrap_or_default(), MAX_COMPATIBLE);
        let interrupts = interrupts(tree, index)?;
        spend(&mut regs_left, ranges.len(), "reg entries in devices")?;
        spend(
            &mut interrupts_left,
            interrupts.len(),
            "interrupts in devices",
        )?;
        spend(
            &mut strings_left,
            compatible.len(),
            "compatible strings in devices",
        )?;
        found.devices.push(Device {
            path: node.path.clone(),
            compatible,
            regs: ranges,
            interrupts,
            enabled: node.enabled(),
        });
        found.nodes.push(index);
    }
    Ok(found)
}

/// The UART kind a compatible string names, if Bulkhead can drive it.
pub fn uart_kind(compatible: &str) -> Option<UartKind> {
    match compatible {
        "arm,pl011" | "arm,sbsa-uart" => Some(UartKind::Pl011),
        "brcm,bcm2835-aux-uart" => Some(UartKind::Bcm2835Aux),
        "ns16550a" | "ns16550" | "snps,dw-apb-uart" => Some(UartKind::Ns16550),
        _ => None,
    }
}

/// The enabled UARTs, in tree order. The first compatible string Bulkhead
/// knows decides the kind.
pub fn uarts(devices: &[Device]) -> Vec<Uart> {
    devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.enabled)
        .filter_map(|(i, d)| {
            let kind = d.compatible.iter().find_map(|c| uart_kind(c))?;
            Some(Uart {
                device: i,
                kind,
                base: *d.regs.first()?,
                interrupt: d.interrupts.first().copied(),
            })
        })
        .collect()
}

/// The enabled virtio-mmio transports, sorted by base address (QEMU's virt
/// lists them top down).
pub fn virtio_mmio(devices: &[Device]) -> Vec<VirtioMmio> {
    let mut out: Vec<VirtioMmio> = devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.enabled && d.compatible.iter().any(|c| c == "virtio,mmio"))
        .filter_map(|(i, d)| {
            Some(VirtioMmio {
                device: i,
                base: *d.regs.first()?,
                interrupt: d.interrupts.first().copied(),
            })
        })
        .collect();
    out.sort_by_key(|v| v.base);
    out
}
