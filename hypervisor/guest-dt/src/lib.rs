//! The device tree a partition boots with.
//!
//! [`generate`] takes the board's device tree and a [`GuestDtSpec`] (what
//! the partition's configuration says, in plain types) and writes a new
//! tree that describes only what the partition has: its vCPUs, its memory,
//! the virtual GIC, the architected timer, PSCI through `hvc`, an emulated
//! console, and the board devices passed through to it, copied from the
//! board's nodes. `docs/guest-device-tree.md` describes the result and the
//! reasons for it.
//!
//! This runs in the host tool, which holds the board's tree; the crate is
//! `no_std` with `alloc` all the same, so that the hypervisor can share
//! [`vcpu_mpidr`] and could one day write trees itself.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

mod board;
mod clocks;
mod dma;
mod error;
mod irq;
mod mpidr;
mod output;
mod passthrough;
mod props;
mod spec;
mod validate;
mod write;

pub use error::GuestDtError;
pub use mpidr::{vcpu_mpidr, MAX_VCPUS_GICV2, MAX_VCPUS_GICV3};
pub use output::{GuestDt, Omitted};
pub use spec::{ConsoleCompat, GuestConsole, GuestDtSpec, GuestGic, GuestRange};
pub use validate::REDISTRIBUTOR_SIZE;
pub use write::{HYPERVISOR_COMPATIBLE, PARTITION_COMPATIBLE};

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use board::Board;
use bulkhead_core::hw::Hardware;

/// Linux's arm64 boot protocol limit on the tree's size.
pub const MAX_DTB_SIZE: usize = 2 << 20;

/// Write the device tree for the partition `spec` describes, on the board
/// whose tree is `board_dtb`.
pub fn generate(board_dtb: &[u8], spec: &GuestDtSpec) -> Result<GuestDt, GuestDtError> {
    validate::check_spec(spec)?;
    let hw = bulkhead_core::dt::parse(board_dtb)?;
    let board = Board::read(board_dtb)?;
    let plan = passthrough::plan(&board, &hw, &spec.passthrough, write::FIRST_COPIED_PHANDLE)?;
    validate::check_layout(spec, &plan.devices)?;

    let mut names = write::fixed_names(spec);
    for d in &plan.devices {
        let name = match &d.dma_bus {
            None => d.name.clone(),
            Some(bus) => format!("{}/{}", bus.name, d.name),
        };
        names.push((name, d.board_path.clone()));
    }
    for (bus, members) in passthrough::dma_groups(&plan.devices) {
        let first = members
            .first()
            .map(|d| d.board_path.as_str())
            .unwrap_or("?");
        names.push((bus.name.clone(), format!("the DMA bus node for {first}")));
    }
    for c in &plan.clocks.copied {
        let from = board.get(c.board).map(|n| n.path.as_str()).unwrap_or("?");
        names.push((c.name.into(), format!("the clock copied from {from}")));
    }
    validate::check_names(&names)?;

    let cpu = first_cpu_compatible(&board, &hw);
    let from_board = write::FromBoard {
        compatible: &hw.compatible,
        cpu: cpu.as_deref().unwrap_or(write::GENERIC_CPU),
    };
    let dtb = write::write(spec, &from_board, &plan, validate::irq_context(spec))?;
    if dtb.len() > MAX_DTB_SIZE {
        return Err(GuestDtError::TooLarge { size: dtb.len() });
    }
    Ok(GuestDt {
        dtb,
        omitted: plan.omitted,
    })
}

/// The first `compatible` string of the board's first cpu node.
fn first_cpu_compatible(board: &Board<'_>, hw: &Hardware) -> Option<String> {
    let cpu = hw.cpus.first()?;
    let node = board.get(board.find(&format!("/cpus/{}", cpu.name))?)?;
    let first = node.prop("compatible")?.split(|b| *b == 0).next()?;
    let s = core::str::from_utf8(first).ok()?;
    (!s.is_empty()).then(|| s.into())
}

/// The paths of every node of a blob, depth first: for tests and the host
/// tool's diagnostics.
pub fn node_paths(dtb: &[u8]) -> Result<Vec<String>, GuestDtError> {
    Ok(Board::read(dtb)?
        .nodes
        .into_iter()
        .map(|n| n.path)
        .collect())
}
