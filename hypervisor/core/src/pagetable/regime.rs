//! What differs between the EL2 stage-1 and the stage-2 regimes: the input
//! address type and the leaf attribute encoding. Everything else (levels,
//! descriptor types, block choice) is shared.

use super::geometry::level_size;
use crate::addr::PhysAddr;
use core::fmt::Debug;

/// A translation regime.
pub trait Regime {
    /// Input addresses ([`HypVirtAddr`](super::HypVirtAddr) or
    /// [`GuestPhysAddr`](crate::addr::GuestPhysAddr)).
    type Input: Copy + Debug;
    /// Leaf attributes.
    type Attrs: Copy + PartialEq + Debug;

    fn input_to_raw(input: Self::Input) -> u64;
    fn input_from_raw(raw: u64) -> Self::Input;

    /// The attribute bits of a block or page descriptor (bits 11:2 and
    /// 63:50; anything else is masked off).
    fn encode(attrs: Self::Attrs) -> u64;

    /// The attributes of a block or page descriptor. Total: every bit
    /// pattern decodes to something.
    fn decode(desc: u64) -> Self::Attrs;
}

/// Where one input address goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Translation<A> {
    /// Output address of the input address itself (block offset included).
    pub pa: PhysAddr,
    pub attrs: A,
    /// Level of the leaf: 1 (1 GiB block), 2 (2 MiB block) or 3 (4 KiB page).
    pub level: u8,
}

impl<A> Translation<A> {
    /// Bytes the leaf descriptor maps.
    pub fn leaf_size(&self) -> u64 {
        level_size(self.level)
    }
}

/// One leaf descriptor: `size` bytes from `input` go to `pa`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mapping<I, A> {
    pub input: I,
    pub pa: PhysAddr,
    pub size: u64,
    pub level: u8,
    pub attrs: A,
}
