//! RAM banks (/memory nodes) and reserved memory (/memreserve/ entries and
//! /reserved-memory children).

use super::error::DtError;
use super::translate::regs;
use super::tree::Tree;
use crate::addr::MemRange;
use crate::hw::Reserved;
use alloc::string::String;
use alloc::vec::Vec;

/// Root children that describe RAM: `device_type = "memory"`, or named
/// `memory` / `memory@...` without a device_type (older trees).
pub fn memory_nodes(tree: &Tree<'_, '_>) -> Vec<usize> {
    tree.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.parent == Some(0))
        .filter(|(_, n)| match n.str_prop("device_type") {
            Some(t) => t == "memory",
            None => !n.has("device_type") && n.base_name() == "memory",
        })
        .map(|(i, _)| i)
        .collect()
}

/// Every `reg` entry of every enabled memory node, sorted by base, empty
/// entries dropped and overlapping entries merged (so the banks are
/// disjoint and their sizes add up without overflow). An error if there is
/// no RAM at all.
pub fn banks(tree: &Tree<'_, '_>) -> Result<Vec<MemRange>, DtError> {
    let mut found = Vec::new();
    for index in memory_nodes(tree) {
        let Some(node) = tree.get(index) else {
            continue;
        };
        if !node.enabled() {
            continue;
        }
        let Some(ranges) = regs(tree, index)? else {
            return Err(DtError::Invalid {
                path: node.path.clone(),
                property: "reg",
                problem: "does not fit 64-bit physical addresses",
            });
        };
        found.extend(ranges.into_iter().filter(|r| !r.is_empty()));
    }
    let merged = merge_overlapping(found);
    if merged.is_empty() {
        return Err(DtError::NoMemory);
    }
    Ok(merged)
}

/// Sort and merge ranges that share at least one byte. Ranges that only
/// touch stay separate, so a tree's two adjacent banks stay two.
pub fn merge_overlapping(mut ranges: Vec<MemRange>) -> Vec<MemRange> {
    ranges.sort_unstable();
    let mut out: Vec<MemRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if last.overlaps(&r) => {
                let end = last.end().max(r.end());
                last.size = end - last.base.0;
            }
            _ => out.push(r),
        }
    }
    out
}

/// The header's /memreserve/ entries followed by every enabled
/// /reserved-memory child with a translatable `reg` (children that only ask
/// for a `size` to be allocated somewhere are not reservations yet).
pub fn reserved(tree: &Tree<'_, '_>, header: &[MemRange]) -> Result<Vec<Reserved>, DtError> {
    let mut out: Vec<Reserved> = header
        .iter()
        .map(|&range| Reserved {
            name: String::from("/memreserve/"),
            range,
        })
        .collect();
    let Some(parent) = tree.top_level("reserved-memory").next() else {
        return Ok(out);
    };
    for child in tree.children(parent) {
        let Some(node) = tree.get(child) else {
            continue;
        };
        if !node.enabled() {
            continue;
        }
        for range in regs(tree, child)?.unwrap_or_default() {
            if !range.is_empty() {
                out.push(Reserved {
                    name: String::from(node.name),
                    range,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_ranges_merge_touching_ones_do_not() {
        let r = MemRange::new;
        assert_eq!(
            merge_overlapping(vec![r(0x3000, 0x1000), r(0, 0x2000), r(0x1000, 0x1800)]),
            [r(0, 0x2800), r(0x3000, 0x1000)]
        );
        assert_eq!(
            merge_overlapping(vec![r(u64::MAX - 10, 10), r(u64::MAX - 20, 15)]),
            [r(u64::MAX - 20, 20)]
        );
    }
}
