//! Where table memory comes from: the trait the builder allocates through,
//! and the table type itself.

use super::geometry::ENTRIES;
use crate::addr::PhysAddr;
use core::fmt;

/// One translation table: 512 descriptors in 4 KiB, aligned to 4 KiB so that
/// a pool of them in identity-mapped memory meets the hardware's alignment.
#[derive(Clone, PartialEq, Eq)]
#[repr(C, align(4096))]
pub struct Table(pub [u64; ENTRIES]);

impl Table {
    pub const ZERO: Table = Table([0; ENTRIES]);
}

impl Default for Table {
    fn default() -> Self {
        Table::ZERO
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let valid = self.0.iter().filter(|d| *d & 1 == 1).count();
        write!(f, "Table({valid} valid)")
    }
}

/// A source's handle on one of its tables.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct TableId(pub usize);

/// Table memory for the builder.
///
/// The builder keeps only ids and physical addresses. It writes the physical
/// address of a child table into its parent's descriptor, and when it walks
/// it turns that address back into an id with [`table_at`](Self::table_at).
/// So a source must be able to answer both ways; the builder checks that
/// `table_at(phys_addr(id)) == Some(id)` for every table it is given.
///
/// The builder zeroes every table it allocates and frees only tables it
/// allocated. One source may serve many translation tables at once.
pub trait TableSource {
    /// A free table, or `None` when exhausted. Its contents may be anything.
    fn alloc_table(&mut self) -> Option<TableId>;

    /// `count` tables with consecutive ids (`id.0 .. id.0 + count`) whose
    /// physical addresses are contiguous, the first aligned to
    /// `count * 4096`. Used only for a concatenated stage-2 root, with
    /// `count` a power of two up to 16. The default handles `count == 1`.
    fn alloc_contiguous(&mut self, count: usize) -> Option<TableId> {
        if count == 1 {
            self.alloc_table()
        } else {
            None
        }
    }

    /// Gives a table back. The hardware may still hold stale walk-cache
    /// entries for it until the caller's TLB invalidation.
    fn free_table(&mut self, id: TableId);

    /// The table behind `id`.
    fn table(&self, id: TableId) -> Option<&Table>;

    /// The table behind `id`, writable.
    fn table_mut(&mut self, id: TableId) -> Option<&mut Table>;

    /// The machine-physical address of the table (what descriptors and
    /// TTBR/VTTBR hold). Must be 4 KiB aligned.
    fn phys_addr(&self, id: TableId) -> Option<PhysAddr>;

    /// The id of the table at physical address `pa`, if it is one of ours.
    fn table_at(&self, pa: PhysAddr) -> Option<TableId>;
}
