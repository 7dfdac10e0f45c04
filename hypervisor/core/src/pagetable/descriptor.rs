//! Raw VMSAv8-64 descriptors, 4 KiB granule, shared by both regimes.
//!
//! ```text
//! bits 1:0   0b00/0b10  invalid
//!            0b11       table (levels 0-2) or page (level 3)
//!            0b01       block (levels 1-2); reserved at levels 0 and 3
//! bits 47:12 next-level table address / output address (blocks use only
//!            the bits above their size: 47:30 at level 1, 47:21 at level 2)
//! bits 11:2  lower leaf attributes, bits 63:50 upper leaf attributes
//!            (regime specific, see `el2` and `stage2`)
//! ```
//! Table descriptors are written with the hierarchical attribute bits 63:59
//! (NSTable, APTable, XNTable, PXNTable) clear: no restriction from above.

use super::geometry::{leaf_allowed, level_size, LAST_LEVEL};

/// Bit 0: the descriptor is valid.
pub(crate) const VALID: u64 = 1 << 0;
/// Bit 1: table (levels 0-2) or page (level 3), rather than a block.
pub(crate) const TABLE_OR_PAGE: u64 = 1 << 1;
/// Output / next-table address field, bits 47:12.
pub(crate) const ADDR_MASK: u64 = 0x0000_ffff_ffff_f000;
/// Leaf attribute fields: lower attributes 11:2 and upper attributes 63:50.
pub(crate) const ATTR_MASK: u64 = 0xfffc_0000_0000_0ffc;

/// A descriptor as read at a given level.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Entry {
    Invalid,
    /// Points to the next-level table at this physical address.
    Table(u64),
    /// Block or page: output address of its first byte, and the raw
    /// descriptor for the regime to decode attributes from.
    Leaf {
        pa: u64,
        desc: u64,
    },
    /// An encoding that is reserved at this level.
    Reserved,
}

pub(crate) fn decode(desc: u64, level: u8) -> Entry {
    if desc & VALID == 0 {
        return Entry::Invalid;
    }
    let table_or_page = desc & TABLE_OR_PAGE != 0;
    match (level, table_or_page) {
        (l, true) if l < LAST_LEVEL => Entry::Table(desc & ADDR_MASK),
        (LAST_LEVEL, true) => Entry::Leaf {
            pa: desc & ADDR_MASK,
            desc,
        },
        (l, false) if leaf_allowed(l) && l < LAST_LEVEL => Entry::Leaf {
            pa: desc & ADDR_MASK & !(level_size(l) - 1),
            desc,
        },
        _ => Entry::Reserved,
    }
}

/// A table descriptor pointing at the table at physical `pa`.
pub(crate) fn table(pa: u64) -> u64 {
    (pa & ADDR_MASK) | TABLE_OR_PAGE | VALID
}

/// A block (levels 1-2) or page (level 3) descriptor for output address
/// `pa` with the regime's attribute bits `attrs`.
pub(crate) fn leaf(level: u8, pa: u64, attrs: u64) -> u64 {
    let kind = if level == LAST_LEVEL {
        TABLE_OR_PAGE | VALID
    } else {
        VALID
    };
    (pa & ADDR_MASK & !(level_size(level) - 1)) | (attrs & ATTR_MASK) | kind
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_descriptor() {
        assert_eq!(table(0x4008_1000), 0x4008_1003);
        assert_eq!(decode(0x4008_1003, 0), Entry::Table(0x4008_1000));
        assert_eq!(decode(0x4008_1003, 2), Entry::Table(0x4008_1000));
    }

    #[test]
    fn block_and_page_type_bits() {
        // Level-1 block: bits 1:0 = 0b01, address bits 47:30.
        assert_eq!(leaf(1, 0x8000_0000, 0), 0x8000_0001);
        // Level-2 block.
        assert_eq!(leaf(2, 0x4020_0000, 0), 0x4020_0001);
        // Level-3 page: bits 1:0 = 0b11.
        assert_eq!(leaf(3, 0x4020_3000, 0), 0x4020_3003);
        assert_eq!(
            decode(0x4020_0001, 2),
            Entry::Leaf {
                pa: 0x4020_0000,
                desc: 0x4020_0001
            }
        );
    }

    #[test]
    fn reserved_encodings() {
        // A block at level 0 and a "block" at level 3 are reserved with 4 KiB.
        assert_eq!(decode(0x1, 0), Entry::Reserved);
        assert_eq!(decode(0x1001, 3), Entry::Reserved);
        assert_eq!(decode(0x1002, 3), Entry::Invalid);
        assert_eq!(decode(0, 1), Entry::Invalid);
    }

    #[test]
    fn attrs_cannot_leak_into_type_or_address() {
        assert_eq!(leaf(3, 0x1000, u64::MAX), 0xfffc_0000_0000_1fff);
    }
}
