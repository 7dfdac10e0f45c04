//! What the configuration is checked against besides the board: ranges
//! nothing may use, and the hypervisor image's own limits.

use crate::limits;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;

/// A range of memory no partition may use.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KeepOut {
    /// Named in messages: `overlaps the hypervisor image [..)`.
    pub name: String,
    /// The range.
    pub range: MemRange,
}

/// Limits and keep-out ranges for [`crate::validate`]. The board's own
/// reserved memory (`/memreserve/`, `/reserved-memory`) and the initrd
/// range in `/chosen` (where the Pi firmware puts the bundle) come from
/// [`bulkhead_core::hw::Hardware`] and need not be repeated here.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Constraints {
    /// Ranges nothing may overlap: the hypervisor image (with its BSS,
    /// stacks and heap), the bundle (kept for restarts), the device tree,
    /// firmware carve-outs the tree does not list.
    pub keep_out: Vec<KeepOut>,
    /// Most partitions; capped at [`limits::MAX_PARTITIONS`].
    pub max_partitions: usize,
    /// Cores the hypervisor image supports (per-core stacks): a core whose
    /// position among the board's cores is at or past this is refused.
    pub max_cpus: usize,
    /// Stage-2 input size in bits: guest-physical addresses stay below
    /// 2^ipa_bits.
    pub ipa_bits: u8,
}

impl Default for Constraints {
    fn default() -> Self {
        Self {
            keep_out: Vec::new(),
            max_partitions: limits::MAX_PARTITIONS,
            max_cpus: 8,
            ipa_bits: 40,
        }
    }
}

impl Constraints {
    /// Defaults: no keep-out, 16 partitions, 8 cores, 40-bit guest space.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a keep-out range.
    pub fn keep_out(mut self, name: &str, range: MemRange) -> Self {
        self.keep_out.push(KeepOut {
            name: String::from(name),
            range,
        });
        self
    }

    /// Sets the number of cores the hypervisor supports.
    pub fn max_cpus(mut self, n: usize) -> Self {
        self.max_cpus = n;
        self
    }

    /// Sets the partition limit (capped at [`limits::MAX_PARTITIONS`]).
    pub fn max_partitions(mut self, n: usize) -> Self {
        self.max_partitions = n;
        self
    }

    /// Sets the stage-2 input size.
    pub fn ipa_bits(mut self, bits: u8) -> Self {
        self.ipa_bits = bits;
        self
    }
}
