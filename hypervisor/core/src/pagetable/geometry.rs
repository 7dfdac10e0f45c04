//! Geometry of the 4 KiB-granule format: what one entry covers at each
//! level, and the shape (start level, address sizes, concatenated root
//! tables) of one set of tables.

/// Granule, page and table size: 4 KiB.
pub const PAGE_SIZE: u64 = 4096;

/// Descriptors in one table (4 KiB / 8 bytes).
pub const ENTRIES: usize = 512;

/// The last lookup level; it holds page descriptors.
pub const LAST_LEVEL: u8 = 3;

/// log2 of the bytes one entry covers at `level`: 39, 30, 21, 12 for levels
/// 0 to 3.
pub(crate) const fn level_shift(level: u8) -> u32 {
    let below = LAST_LEVEL.saturating_sub(level) as u32;
    12 + 9 * below
}

/// Bytes one entry covers at `level`: 512 GiB, 1 GiB, 2 MiB, 4 KiB for
/// levels 0 to 3 (levels above 3 are treated as 3).
pub const fn level_size(level: u8) -> u64 {
    1 << level_shift(level)
}

/// Whether a block or page may sit at `level`. With a 4 KiB granule and no
/// FEAT_LPA2, level 0 holds only table descriptors.
pub(crate) const fn leaf_allowed(level: u8) -> bool {
    level >= 1 && level <= LAST_LEVEL
}

/// The shape of one translation regime instance.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Layout {
    /// Level of the root table(s).
    pub start_level: u8,
    /// Input addresses are below `1 << input_bits`.
    pub input_bits: u8,
    /// Output addresses (and table addresses) are below `1 << output_bits`.
    pub output_bits: u8,
    /// Physically contiguous tables making up the root (stage-2
    /// concatenation); 1 otherwise.
    pub root_tables: usize,
}

impl Layout {
    pub fn input_limit(&self) -> u64 {
        1u64 << self.input_bits.min(48)
    }

    pub fn output_limit(&self) -> u64 {
        1u64 << self.output_bits.min(48)
    }

    /// Entries in the (possibly concatenated) root.
    pub fn root_entries(&self) -> usize {
        ENTRIES.saturating_mul(self.root_tables)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_sizes_per_level() {
        assert_eq!(level_size(0), 512 << 30);
        assert_eq!(level_size(1), 1 << 30);
        assert_eq!(level_size(2), 2 << 20);
        assert_eq!(level_size(3), 4096);
        assert!(!leaf_allowed(0));
        assert!(leaf_allowed(1) && leaf_allowed(2) && leaf_allowed(3));
        assert!(!leaf_allowed(4));
    }
}
