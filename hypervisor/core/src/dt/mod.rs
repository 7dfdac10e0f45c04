//! Device tree discovery: DTB bytes in, [`Hardware`] out.
//!
//! [`parse`] never panics, whatever the bytes: [`blob`] first proves that the
//! blob is well formed (the `fdt` crate 0.1.5, which walks the structure
//! here, panics on malformed blobs), and every property is then decoded by
//! this module's own bounds-checked code rather than `fdt`'s helpers (which
//! panic on some valid trees, give up on three-cell interrupts and more than
//! two address cells, and know no `ranges`).
//!
//! What is an error and what is not: a blob Bulkhead cannot boot from (bad
//! header or structure, no /cpus, no cpu node, no memory) and a property
//! that is present but malformed (wrong length, impossible value) are
//! errors naming the node. Optional things that are absent (GIC, timer,
//! PSCI, /chosen, UARTs) are `None` or empty. Nodes whose `reg` does not
//! translate to CPU addresses (their bus has no `ranges`) are not devices
//! and are skipped; see [`translate`].
//!
//! Limits: at most [`MAX_NODES`] nodes nested at most [`MAX_DEPTH`] deep,
//! paths of at most [`MAX_PATH`] bytes, and at most [`MAX_ITEMS`] reg
//! entries, interrupts and compatible strings over all devices. Real trees
//! stay far below them; they bound what a hostile blob can make the parser
//! allocate to a few MiB, whatever its size.

mod blob;
mod cells;
mod chosen;
mod cpus;
mod devices;
mod error;
mod gic;
mod irq;
mod memory;
mod summary;
mod timer;
mod translate;
mod tree;

pub use blob::{MAX_DEPTH, MAX_NODES};
pub use devices::{MAX_COMPATIBLE, MAX_ITEMS};
pub use error::{DtError, HEADER_LEN};
pub use summary::Summary;
pub use tree::MAX_PATH;

use crate::hw::Hardware;
use alloc::vec::Vec;
use tree::Tree;

/// Read a flattened device tree (DTB) into a [`Hardware`] description.
pub fn parse(blob: &[u8]) -> Result<Hardware, DtError> {
    let checked = blob::check(blob)?;
    let header_reserved = blob::reservations(&checked)?;
    let fdt = fdt::Fdt::new(&checked.bytes).map_err(|_| DtError::Structure {
        offset: 0,
        problem: "refused by the fdt crate",
    })?;
    let tree = Tree::new(&fdt)?;
    let root = tree.root().ok_or(DtError::Structure {
        offset: 0,
        problem: "no root node",
    })?;

    let memory_nodes = memory::memory_nodes(&tree);
    let cpus = cpus::cpus(&tree)?;
    let memory = memory::banks(&tree)?;
    let found = devices::devices(&tree, &memory_nodes)?;
    let uarts = devices::uarts(&found.devices);
    let chosen = chosen::chosen(&tree)?;
    let stdout = chosen
        .stdout_path
        .as_deref()
        .and_then(|p| chosen::stdout(&tree, p, &found, &uarts));
    Ok(Hardware {
        model: root
            .prop("model")
            .map(cells::lossy_string)
            .unwrap_or_default(),
        compatible: cells::string_list(
            root.prop("compatible").unwrap_or_default(),
            devices::MAX_COMPATIBLE,
        ),
        memory,
        reserved: memory::reserved(&tree, &header_reserved)?,
        cpus,
        psci: cpus::psci(&tree)?,
        gic: gic::gic(&tree, &found)?,
        timer: timer::timer(&tree)?,
        virtio_mmio: devices::virtio_mmio(&found.devices),
        uarts,
        stdout,
        devices: found.devices,
        chosen,
    })
}

/// Paths of every node in the blob, depth first. For tests and debugging
/// output; errors as [`parse`] would.
pub fn node_paths(blob: &[u8]) -> Result<Vec<alloc::string::String>, DtError> {
    let checked = blob::check(blob)?;
    let fdt = fdt::Fdt::new(&checked.bytes).map_err(|_| DtError::Structure {
        offset: 0,
        problem: "refused by the fdt crate",
    })?;
    let tree = Tree::new(&fdt)?;
    Ok(tree.nodes.into_iter().map(|n| n.path).collect())
}
