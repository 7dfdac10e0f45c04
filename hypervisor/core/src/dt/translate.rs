//! `reg` decoding and address translation through every parent's `ranges`.
//!
//! Following the DT specification (section 2.3.8):
//! * `ranges;` (empty) maps the bus one to one into its parent;
//! * a `ranges` list maps windows `<child-address parent-address length>`,
//!   with the bus's `#address-cells` for the child address, its parent's for
//!   the parent address and the bus's `#size-cells` for the length;
//! * no `ranges` at all means the children's addresses are not in the
//!   parent's address space (I2C and SPI buses, PCI functions, /chosen
//!   modules). Such a node is not a memory-mapped device for the CPU: it is
//!   reported as untranslatable, and the device list leaves it out.

use super::cells::{cells, number};
use super::error::DtError;
use super::tree::Tree;
use crate::addr::MemRange;
use alloc::vec::Vec;

/// One `reg` entry in the parent bus's address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawReg {
    pub address: u128,
    pub size: u128,
}

/// The `reg` entries of node `index`, as its parent's cell sizes lay them
/// out. Empty when the node has no `reg`.
pub fn raw_regs(tree: &Tree<'_, '_>, index: usize) -> Result<Vec<RawReg>, DtError> {
    let Some(node) = tree.get(index) else {
        return Ok(Vec::new());
    };
    let Some(value) = node.prop("reg") else {
        return Ok(Vec::new());
    };
    let c = tree.cells_of(node.parent.unwrap_or(0))?;
    let (a, s) = (c.address as usize, c.size as usize);
    entries(value, &node.path, "reg", a + s)?
        .map(|e| {
            Ok(RawReg {
                address: number(e.get(..a).unwrap_or_default()),
                size: number(e.get(a..).unwrap_or_default()),
            })
        })
        .collect()
}

/// The value cut into entries of `cells_per_entry` cells, or an error
/// naming `path` if it does not divide evenly.
fn entries<'v>(
    value: &'v [u8],
    path: &str,
    property: &'static str,
    cells_per_entry: usize,
) -> Result<impl Iterator<Item = Vec<u32>> + 'v, DtError> {
    let unit = cells_per_entry * 4;
    if unit == 0 && !value.is_empty() {
        return Err(DtError::Invalid {
            path: path.into(),
            property,
            problem: "has entries but the address and size cells are both 0",
        });
    }
    if !value.len().is_multiple_of(unit) {
        return Err(DtError::Length {
            path: path.into(),
            property,
            len: value.len(),
            unit,
        });
    }
    Ok(value.chunks_exact(unit.max(4)).map(|e| cells(e).collect()))
}

/// Translate `address`, an address on the bus that node `index` sits on,
/// to a CPU physical address. `Ok(None)` when some bus on the way has no
/// `ranges` or no window covers the address.
pub fn translate(
    tree: &Tree<'_, '_>,
    index: usize,
    mut address: u128,
) -> Result<Option<u128>, DtError> {
    let mut bus = tree.parent(index);
    while let Some(b) = bus {
        let Some(up) = tree.parent(b) else {
            // `b` is the root: its address space is the CPU's.
            return Ok(Some(address));
        };
        let Some(node) = tree.get(b) else {
            return Ok(None);
        };
        match node.prop("ranges") {
            None => return Ok(None),
            Some([]) => {}
            Some(ranges) => {
                let child = tree.cells_of(b)?;
                let parent = tree.cells_of(up)?;
                if child.size == 0 {
                    return Err(DtError::Invalid {
                        path: node.path.clone(),
                        property: "ranges",
                        problem: "lists windows but #size-cells is 0",
                    });
                }
                let (ca, pa) = (child.address as usize, parent.address as usize);
                let unit = ca + pa + child.size as usize;
                let mut mapped = None;
                for e in entries(ranges, &node.path, "ranges", unit)? {
                    let child_base = number(e.get(..ca).unwrap_or_default());
                    let parent_base = number(e.get(ca..ca + pa).unwrap_or_default());
                    let len = number(e.get(ca + pa..).unwrap_or_default());
                    let inside = address >= child_base
                        && child_base.checked_add(len).is_none_or(|end| address < end);
                    if inside {
                        mapped = parent_base.checked_add(address - child_base);
                        break;
                    }
                }
                match mapped {
                    Some(a) => address = a,
                    None => return Ok(None),
                }
            }
        }
        bus = Some(up);
    }
    // `index` was the root itself.
    Ok(Some(address))
}

/// The `reg` of node `index` as CPU physical ranges. `Ok(None)` when any
/// entry does not translate or does not fit 64 bits; `Ok(Some(empty))`
/// when the node has no `reg`. Sizes that would run past the top of the
/// address space are clipped.
pub fn regs(tree: &Tree<'_, '_>, index: usize) -> Result<Option<Vec<MemRange>>, DtError> {
    let mut out = Vec::new();
    for raw in raw_regs(tree, index)? {
        let Some(base) = translate(tree, index, raw.address)? else {
            return Ok(None);
        };
        let (Ok(base), Ok(size)) = (u64::try_from(base), u64::try_from(raw.size)) else {
            return Ok(None);
        };
        out.push(MemRange::new(base, size.min(u64::MAX - base)));
    }
    Ok(Some(out))
}
