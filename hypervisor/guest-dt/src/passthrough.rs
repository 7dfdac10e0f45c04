//! Passed-through devices: from a board path to the node the partition
//! gets.
//!
//! The node moves to the root of the partition's tree (memory is
//! identity-mapped for a partition that owns devices, so machine-physical
//! addresses are its guest-physical ones): `reg` is written in two address
//! and two size cells from the translated registers, `interrupts` in the
//! GIC's three-cell form, which the root `interrupt-parent` (the virtual
//! GIC) covers. The node keeps its name with the unit address recomputed
//! from the translated base (a Pi `serial@7e201000` becomes
//! `serial@fe201000`). DMA coherency inherited from a bus is written on the
//! node itself; DMA address windows inherited from buses put the node under
//! a bus of its own (see [`crate::dma`]). Other properties follow [`crate::props`]; subnodes are not
//! copied.

use crate::board::{Board, Node};
use crate::clocks::Clocks;
use crate::dma::{dma_bus, DmaBus};
use crate::error::GuestDtError;
use crate::output::Omitted;
use crate::props::{disposition, Disposition};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;
use bulkhead_core::hw::{Device, Gic, Hardware, Interrupt};

/// A property value to write.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Value<'a> {
    Bytes(&'a [u8]),
    Cells(Vec<u32>),
    Empty,
}

/// One passed-through device as the partition's tree will show it.
pub struct DevicePlan<'a> {
    pub board_path: String,
    /// Node name in the partition's tree.
    pub name: String,
    pub regs: Vec<MemRange>,
    pub interrupts: Vec<Interrupt>,
    /// The bus node to put the device under, when buses above it on the
    /// board translate its DMA addresses; None puts it at the root.
    pub dma_bus: Option<DmaBus>,
    /// Copied properties other than `reg` and `interrupts`.
    pub props: Vec<(&'a str, Value<'a>)>,
}

pub struct Passthrough<'a> {
    pub devices: Vec<DevicePlan<'a>>,
    pub clocks: Clocks<'a>,
    pub omitted: Vec<Omitted>,
}

const GIC_COMPATIBLE_PREFIX: &str = "arm,gic";

fn unsupported(path: &str, problem: &'static str) -> GuestDtError {
    GuestDtError::Unsupported {
        path: path.into(),
        problem,
    }
}

fn gic_frames(hw: &Hardware) -> Vec<MemRange> {
    match &hw.gic {
        Some(Gic::V2 {
            distributor,
            cpu_interface,
            hyp_interface,
            virt_cpu_interface,
            ..
        }) => [Some(*distributor), Some(*cpu_interface)]
            .into_iter()
            .chain([*hyp_interface, *virt_cpu_interface])
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

/// Plan every passed-through device. Copied clocks get phandles from
/// `first_clock_phandle` on.
pub fn plan<'a>(
    board: &Board<'a>,
    hw: &Hardware,
    paths: &[String],
    first_clock_phandle: u32,
) -> Result<Passthrough<'a>, GuestDtError> {
    let mut out = Passthrough {
        devices: Vec::new(),
        clocks: Clocks::new(first_clock_phandle),
        omitted: Vec::new(),
    };
    let gic = gic_frames(hw);
    for (i, path) in paths.iter().enumerate() {
        if paths.iter().take(i).any(|p| p == path) {
            return Err(GuestDtError::DuplicatePassthrough { path: path.clone() });
        }
        let index = board
            .find(path)
            .ok_or_else(|| GuestDtError::NoSuchNode { path: path.clone() })?;
        let device = hw
            .device_by_path(path)
            .filter(|d| !d.regs.is_empty())
            .ok_or_else(|| GuestDtError::NotADevice { path: path.clone() })?;
        let node = board
            .get(index)
            .ok_or_else(|| GuestDtError::NoSuchNode { path: path.clone() })?;
        check_movable(node, device, &gic)?;
        let plan = plan_one(board, index, node, device, &mut out)?;
        out.devices.push(plan);
    }
    Ok(out)
}

/// Refuse what cannot be moved out of its place in the board's tree.
fn check_movable(node: &Node<'_>, device: &Device, gic: &[MemRange]) -> Result<(), GuestDtError> {
    let path = &device.path;
    let is_gic = device
        .compatible
        .iter()
        .any(|c| c.starts_with(GIC_COMPATIBLE_PREFIX))
        || device
            .regs
            .iter()
            .any(|r| gic.iter().any(|g| g.overlaps(r)));
    if is_gic {
        return Err(unsupported(
            path,
            "is the board's interrupt controller; a partition has a virtual one",
        ));
    }
    if node.has("ranges") || node.has("dma-ranges") {
        return Err(unsupported(
            path,
            "is a bus (it has ranges or dma-ranges); pass through the devices on it instead",
        ));
    }
    let has_interrupts = node.has("interrupts") || node.has("interrupts-extended");
    if has_interrupts && device.interrupts.is_empty() {
        return Err(unsupported(
            path,
            "its interrupts go to a controller other than the GIC, which a partition does not have",
        ));
    }
    Ok(())
}

/// `dma-coherent` or `dma-noncoherent` from the nearest ancestor saying
/// either, when the node says neither (Linux looks up the tree for them).
fn inherited_coherency<'a>(board: &Board<'a>, index: usize, node: &Node<'a>) -> Option<&'a str> {
    const KINDS: [&str; 2] = ["dma-coherent", "dma-noncoherent"];
    if KINDS.iter().any(|k| node.has(k)) {
        return None;
    }
    board
        .ancestors(index)
        .find_map(|a| KINDS.into_iter().find(|k| a.has(k)))
}

fn plan_one<'a>(
    board: &Board<'a>,
    index: usize,
    node: &Node<'a>,
    device: &Device,
    out: &mut Passthrough<'a>,
) -> Result<DevicePlan<'a>, GuestDtError> {
    let path = &device.path;
    let omit = |item: &str, reason| Omitted {
        device: path.clone(),
        item: item.to_string(),
        reason,
    };
    let mut props: Vec<(&'a str, Value<'a>)> = Vec::new();
    let clocks = node
        .prop("clocks")
        .and_then(|v| out.clocks.resolve(board, v));
    for &(name, value) in &node.props {
        match disposition(name) {
            Disposition::Copy => props.push((name, Value::Bytes(value))),
            Disposition::Replaced => {}
            Disposition::Clocks => match &clocks {
                Some(cells) => props.push((name, Value::Cells(cells.clone()))),
                None => out.omitted.push(omit(
                    name,
                    "names clocks other than fixed-rate ones, which the partition does not have",
                )),
            },
            Disposition::ClockNames if clocks.is_some() => props.push((name, Value::Bytes(value))),
            Disposition::ClockNames | Disposition::Companion => out.omitted.push(omit(
                name,
                "names the entries of a property that was left out",
            )),
            Disposition::Reference => out
                .omitted
                .push(omit(name, "refers to nodes the partition does not have")),
        }
    }
    if let Some(kind) = inherited_coherency(board, index, node) {
        props.push((kind, Value::Empty));
    }
    // compatible first, as people write it.
    props.sort_by_key(|(name, _)| *name != "compatible");
    for child in board.children(index) {
        if let Some(c) = board.get(child) {
            out.omitted
                .push(omit(&format!("{}/", c.name), "subnodes are not copied"));
        }
    }
    let base = device.regs.first().map(|r| r.base.0).unwrap_or_default();
    Ok(DevicePlan {
        board_path: path.clone(),
        name: format!("{}@{base:x}", node.base_name()),
        regs: device.regs.clone(),
        interrupts: device.interrupts.clone(),
        dma_bus: dma_bus(board, index, path)?,
        props,
    })
}

/// The devices that go under DMA bus nodes, one group per distinct bus,
/// in the order the buses are first needed.
pub fn dma_groups<'p, 'a>(
    devices: &'p [DevicePlan<'a>],
) -> Vec<(&'p DmaBus, Vec<&'p DevicePlan<'a>>)> {
    let mut groups: Vec<(&DmaBus, Vec<&DevicePlan<'a>>)> = Vec::new();
    for d in devices {
        let Some(bus) = &d.dma_bus else { continue };
        match groups.iter_mut().find(|(b, _)| *b == bus) {
            Some((_, members)) => members.push(d),
            None => groups.push((bus, alloc::vec![d])),
        }
    }
    groups
}
