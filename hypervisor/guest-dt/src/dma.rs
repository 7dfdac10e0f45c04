//! DMA address windows that a passed-through device inherits from the
//! buses above it.
//!
//! On the Raspberry Pi 4, `/soc` says `dma-ranges = <0xc0000000 0x0 0x0
//! 0x40000000>`: a device there reaches the first GiB of RAM at bus
//! address 0xc0000000 onwards, and Linux adds that offset when it hands
//! the device a buffer address. Moved to the root of the partition's tree,
//! the device would lose the offset and DMA to the wrong place, so such
//! devices are put under a bus node of their own that carries the same
//! windows, composed through every level between the device and the root
//! and written with two address and two size cells. Empty `dma-ranges`
//! and absent ones are one-to-one, as Linux reads them.

use crate::board::Board;
use crate::error::GuestDtError;
use alloc::vec::Vec;

/// Addresses `[bus, bus + size)` the device puts on its bus reach CPU
/// physical addresses `[cpu, cpu + size)`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DmaWindow {
    pub bus: u64,
    pub cpu: u64,
    pub size: u64,
}

/// The bus node the device is put under.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DmaBus {
    /// Named after the nearest board bus with `dma-ranges`.
    pub name: alloc::string::String,
    pub windows: Vec<DmaWindow>,
}

const PROBLEM: &str = "a bus above it has a dma-ranges property that cannot be read";

fn read_cells(cells: &[u32]) -> Option<u64> {
    match *cells {
        [] => Some(0),
        [one] => Some(u64::from(one)),
        [hi, lo] => Some((u64::from(hi) << 32) | u64::from(lo)),
        _ => None,
    }
}

/// The entries of `node`'s `dma-ranges`, as (child, parent, size).
fn entries(board: &Board<'_>, index: usize, path: &str) -> Result<Vec<DmaWindow>, GuestDtError> {
    let unsupported = || GuestDtError::Unsupported {
        path: path.into(),
        problem: PROBLEM,
    };
    let node = board.get(index).ok_or_else(unsupported)?;
    let parent = node.parent.and_then(|p| board.get(p));
    let child_address = node.u32_prop("#address-cells").unwrap_or(2) as usize;
    let child_size = node.u32_prop("#size-cells").unwrap_or(1) as usize;
    let parent_address = parent
        .and_then(|p| p.u32_prop("#address-cells"))
        .unwrap_or(2) as usize;
    let value = node.prop("dma-ranges").unwrap_or_default();
    let unit = child_address + parent_address + child_size;
    if unit == 0 || !value.len().is_multiple_of(4 * unit) {
        return Err(unsupported());
    }
    let cells: Vec<u32> = value
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut out = Vec::new();
    for entry in cells.chunks_exact(unit) {
        let (child, rest) = entry.split_at(child_address);
        let (parent, size) = rest.split_at(parent_address);
        out.push(DmaWindow {
            bus: read_cells(child).ok_or_else(unsupported)?,
            cpu: read_cells(parent).ok_or_else(unsupported)?,
            size: read_cells(size).ok_or_else(unsupported)?,
        });
    }
    Ok(out)
}

/// Windows `inner` (bus to the next level's bus) followed by `outer`
/// (that level's bus to the one above): the parts of `inner` that `outer`
/// maps.
pub fn compose(inner: &[DmaWindow], outer: &[DmaWindow]) -> Vec<DmaWindow> {
    let mut out = Vec::new();
    for w in inner {
        for o in outer {
            let lo = w.cpu.max(o.bus);
            let hi = w
                .cpu
                .saturating_add(w.size)
                .min(o.bus.saturating_add(o.size));
            if lo >= hi {
                continue;
            }
            let (Some(bus), Some(cpu)) =
                (w.bus.checked_add(lo - w.cpu), o.cpu.checked_add(lo - o.bus))
            else {
                continue;
            };
            out.push(DmaWindow {
                bus,
                cpu,
                size: hi - lo,
            });
        }
    }
    out
}

/// The DMA bus node board node `index` needs in the partition's tree, or
/// None when every bus above it maps DMA addresses one to one.
pub fn dma_bus(
    board: &Board<'_>,
    index: usize,
    path: &str,
) -> Result<Option<DmaBus>, GuestDtError> {
    let mut result: Option<DmaBus> = None;
    let mut at = board.get(index).and_then(|n| n.parent);
    while let Some(i) = at {
        let Some(node) = board.get(i) else { break };
        // The root has no parent to translate into.
        if node.parent.is_none() {
            break;
        }
        if node.prop("dma-ranges").is_some_and(|v| !v.is_empty()) {
            let level = entries(board, i, path)?;
            result = Some(match result {
                None => DmaBus {
                    name: node.base_name().into(),
                    windows: level,
                },
                Some(bus) => DmaBus {
                    windows: compose(&bus.windows, &level),
                    ..bus
                },
            });
        }
        at = node.parent;
    }
    if result.as_ref().is_some_and(|b| b.windows.is_empty()) {
        return Err(GuestDtError::Unsupported {
            path: path.into(),
            problem: "the dma-ranges of the buses above it map no bus address to a CPU address",
        });
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(bus: u64, cpu: u64, size: u64) -> DmaWindow {
        DmaWindow { bus, cpu, size }
    }

    #[test]
    fn composes_offsets_and_clips() {
        // A bus whose 0x8000_0000.. reaches its parent's 0xc000_0000..,
        // which the parent maps to CPU 0 for 1 GiB.
        let inner = [w(0x8000_0000, 0xc000_0000, 0x8000_0000)];
        let outer = [w(0xc000_0000, 0, 0x4000_0000)];
        assert_eq!(compose(&inner, &outer), [w(0x8000_0000, 0, 0x4000_0000)]);
        // Nothing in common.
        assert_eq!(compose(&[w(0, 0, 0x1000)], &[w(0x2000, 0, 0x1000)]), []);
        // One inner window split across two outer ones.
        let outer = [w(0, 0x10_0000, 0x1000), w(0x1000, 0x20_0000, 0x1000)];
        assert_eq!(
            compose(&[w(0x500, 0x800, 0x1000)], &outer),
            [w(0x500, 0x10_0800, 0x800), w(0xd00, 0x20_0000, 0x800)]
        );
    }
}
