//! Fixed-rate clocks that passed-through devices name in `clocks`.
//!
//! A PrimeCell device (PL011, PL031, PL061, ...) is bound through the AMBA
//! bus, which wants its `apb_pclk` before it reads the ID registers. When
//! every entry of a device's `clocks` is a `fixed-clock` node without
//! cells (QEMU virt's `apb-pclk`), the clock is pure data: it is copied into
//! the partition's tree, once however many devices name it, with a phandle
//! of the partition's own, and `clocks` is rewritten to it. Clocks from a
//! real clock controller (the Pi's CPRMAN) would need the controller, which
//! a partition does not get, so such a `clocks` is left out.

use crate::board::Board;
use alloc::vec::Vec;

const COPIED_PROPS: &[&str] = &[
    "compatible",
    "#clock-cells",
    "clock-frequency",
    "clock-accuracy",
    "clock-output-names",
];

/// A board clock node to write into the partition's tree.
pub struct CopiedClock<'a> {
    /// Index of the node in [`Board::nodes`].
    pub board: usize,
    pub name: &'a str,
    pub phandle: u32,
    pub props: Vec<(&'a str, &'a [u8])>,
}

pub struct Clocks<'a> {
    pub copied: Vec<CopiedClock<'a>>,
    next_phandle: u32,
}

fn cells(value: &[u8]) -> Option<Vec<u32>> {
    if !value.len().is_multiple_of(4) {
        return None;
    }
    Some(
        value
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

fn is_fixed_clock(board: &Board<'_>, index: usize) -> bool {
    board
        .get(index)
        .is_some_and(|n| n.is_compatible("fixed-clock") && n.u32_prop("#clock-cells") == Some(0))
}

impl<'a> Clocks<'a> {
    /// Phandles handed to copied clocks start at `first_phandle`.
    pub fn new(first_phandle: u32) -> Self {
        Self {
            copied: Vec::new(),
            next_phandle: first_phandle,
        }
    }

    /// The rewritten `clocks` cells, or None (and nothing copied) when an
    /// entry is not a fixed clock.
    pub fn resolve(&mut self, board: &Board<'a>, value: &[u8]) -> Option<Vec<u32>> {
        let handles = cells(value)?;
        if handles.is_empty() {
            return None;
        }
        let mut targets = Vec::new();
        for handle in handles {
            let index = board.by_phandle(handle)?;
            if !is_fixed_clock(board, index) {
                return None;
            }
            targets.push(index);
        }
        let mut out = Vec::new();
        for index in targets {
            out.push(self.copy(board, index)?);
        }
        Some(out)
    }

    /// The partition phandle of board clock node `index`, copying it first
    /// if no device named it before.
    fn copy(&mut self, board: &Board<'a>, index: usize) -> Option<u32> {
        if let Some(c) = self.copied.iter().find(|c| c.board == index) {
            return Some(c.phandle);
        }
        let node = board.get(index)?;
        let phandle = self.next_phandle;
        self.next_phandle = phandle.checked_add(1)?;
        self.copied.push(CopiedClock {
            board: index,
            name: node.name,
            phandle,
            props: node
                .props
                .iter()
                .filter(|(n, _)| COPIED_PROPS.contains(n))
                .copied()
                .collect(),
        });
        Some(phandle)
    }
}
