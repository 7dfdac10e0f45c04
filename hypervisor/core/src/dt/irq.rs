//! Interrupt specifiers, decoded for the Arm GIC.
//!
//! A node's interrupt controller is found the way Linux finds it: the
//! node's `interrupt-parent`, or else its tree parent, repeated until a node
//! with `#interrupt-cells` is reached. `interrupts-extended` names the
//! controller of each specifier directly. Only specifiers whose controller
//! is a GIC are decoded; interrupts routed through other controllers (GPIO
//! banks, PCI interrupt maps, the Pi's legacy controller) are left out, since
//! Bulkhead only deals with GIC INTIDs.
//!
//! The GIC binding's cells are `<type number flags>`: type 0 is an SPI
//! (INTID = number + 32), 1 a PPI (number + 16), 2 and 3 GICv3's extended
//! SPI (4096 + number) and PPI (1056 + number) ranges. The low four flag
//! bits give the trigger: 1 and 2 are edges, 4 and 8 levels; 0 ("none") is
//! read as level, the GIC's reset configuration.

use super::cells::cells;
use super::error::DtError;
use super::tree::Tree;
use crate::hw::{Interrupt, Intid, Trigger};
use alloc::vec::Vec;

/// GICv2 and earlier compatibles that share the `arm,gic` binding.
pub const GIC_V2: &[&str] = &[
    "arm,gic-400",
    "arm,cortex-a15-gic",
    "arm,cortex-a9-gic",
    "arm,cortex-a7-gic",
    "arm,cortex-a5-gic",
    "arm,arm11mp-gic",
    "arm,arm1176jzf-devchip-gic",
    "arm,eb11mp-gic",
    "arm,tc11mp-gic",
    "arm,pl390",
];
pub const GIC_V3: &[&str] = &["arm,gic-v3"];

/// Bounds the interrupt-parent walk, which a hostile tree could make
/// circular.
const MAX_HOPS: usize = 64;

fn is_gic(tree: &Tree<'_, '_>, index: usize) -> bool {
    tree.get(index)
        .is_some_and(|n| n.is_compatible(GIC_V2) || n.is_compatible(GIC_V3))
}

fn interrupt_cells(tree: &Tree<'_, '_>, index: usize) -> Result<Option<u32>, DtError> {
    match tree.get(index) {
        Some(n) => n.u32_prop("#interrupt-cells"),
        None => Ok(None),
    }
}

/// The interrupt controller that node `index`'s `interrupts` refer to.
pub fn interrupt_parent(tree: &Tree<'_, '_>, index: usize) -> Result<Option<usize>, DtError> {
    let mut at = index;
    for _ in 0..MAX_HOPS {
        let Some(node) = tree.get(at) else {
            return Ok(None);
        };
        let next = match node.u32_prop("interrupt-parent")? {
            Some(handle) => tree.by_phandle(handle),
            None => node.parent,
        };
        let Some(next) = next else {
            return Ok(None);
        };
        if interrupt_cells(tree, next)?.is_some() {
            return Ok(Some(next));
        }
        at = next;
    }
    Ok(None)
}

/// Decode one GIC specifier (at least three cells).
fn gic_specifier(path: &str, spec: &[u32]) -> Result<Option<Interrupt>, DtError> {
    let [kind, number, flags, ..] = *spec else {
        return Ok(None);
    };
    let (base, count) = match kind {
        0 => (32, 988),
        1 => (16, 16),
        2 => (4096, 1024),
        3 => (1056, 64),
        _ => return Ok(None),
    };
    if number >= count {
        return Err(DtError::Value {
            path: path.into(),
            property: "interrupts",
            value: u64::from(number),
            problem: "is out of range for its interrupt type",
        });
    }
    let trigger = if flags & 0x3 != 0 {
        Trigger::Edge
    } else {
        Trigger::Level
    };
    Ok(Some(Interrupt {
        intid: Intid(base + number),
        trigger,
    }))
}

/// The GIC interrupts of node `index`, in property order. Empty when the
/// node has none or its controller is not a GIC.
pub fn interrupts(tree: &Tree<'_, '_>, index: usize) -> Result<Vec<Interrupt>, DtError> {
    let Some(node) = tree.get(index) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    if let Some(value) = node.prop("interrupts-extended") {
        let list: Vec<u32> = cells(value).collect();
        let mut rest = list.as_slice();
        while let [handle, tail @ ..] = rest {
            let controller = tree.by_phandle(*handle);
            let n = match controller {
                Some(c) => interrupt_cells(tree, c)?,
                None => None,
            };
            let (Some(controller), Some(n)) = (controller, n) else {
                return Err(DtError::Invalid {
                    path: node.path.clone(),
                    property: "interrupts-extended",
                    problem: "names a phandle that is not an interrupt controller",
                });
            };
            let Some(spec) = tail.get(..n as usize) else {
                return Err(DtError::Invalid {
                    path: node.path.clone(),
                    property: "interrupts-extended",
                    problem: "ends inside a specifier",
                });
            };
            if is_gic(tree, controller) {
                out.extend(gic_specifier(&node.path, spec)?);
            }
            rest = tail.get(n as usize..).unwrap_or_default();
        }
        return Ok(out);
    }
    let Some(value) = node.prop("interrupts") else {
        return Ok(out);
    };
    let Some(controller) = interrupt_parent(tree, index)? else {
        return Ok(out);
    };
    let n = interrupt_cells(tree, controller)?.unwrap_or(0) as usize;
    if !is_gic(tree, controller) || n < 3 {
        return Ok(out);
    }
    let unit = n.saturating_mul(4);
    if !value.len().is_multiple_of(unit) {
        return Err(DtError::Length {
            path: node.path.clone(),
            property: "interrupts",
            len: value.len(),
            unit,
        });
    }
    let list: Vec<u32> = cells(value).collect();
    for spec in list.chunks_exact(n) {
        out.extend(gic_specifier(&node.path, spec)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gic_specifiers() {
        let d = |s: &[u32]| gic_specifier("/x", s).unwrap();
        let int = |intid, trigger| {
            Some(Interrupt {
                intid: Intid(intid),
                trigger,
            })
        };
        assert_eq!(d(&[0, 1, 4]), int(33, Trigger::Level));
        assert_eq!(d(&[0, 16, 1]), int(48, Trigger::Edge));
        assert_eq!(d(&[1, 9, 4]), int(25, Trigger::Level));
        // GICv2 PPIs carry a CPU mask in bits 15:8.
        assert_eq!(d(&[1, 14, 0xf08]), int(30, Trigger::Level));
        assert_eq!(d(&[1, 14, 0xf02]), int(30, Trigger::Edge));
        assert_eq!(d(&[0, 987, 0]), int(1019, Trigger::Level));
        assert_eq!(d(&[2, 5, 4]), int(4101, Trigger::Level));
        assert_eq!(d(&[3, 1, 4, 0]), int(1057, Trigger::Level));
        assert_eq!(d(&[7, 1, 4]), None);
        assert_eq!(d(&[0, 1]), None);
        assert!(gic_specifier("/x", &[1, 16, 4]).is_err());
        assert!(gic_specifier("/x", &[0, 988, 4]).is_err());
    }
}
