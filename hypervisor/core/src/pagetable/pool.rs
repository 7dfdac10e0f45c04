//! A [`TableSource`] over a slice of [`Table`]s at a known physical base:
//! a `Vec<Table>` with a made-up base in host tests, a reserved
//! identity-mapped pool in the hypervisor (base = the slice's address).

use super::error::Error;
use super::geometry::PAGE_SIZE;
use super::source::{Table, TableId, TableSource};
use crate::addr::PhysAddr;

/// Tables `tables[i]` at physical address `base + i * 4096`.
///
/// Ids are slice indexes. Allocation bumps through the slice and reuses
/// freed tables through a free list threaded through the freed tables
/// themselves: entry 0 of a free table holds `(next + 1) << 1`, an even
/// value, so a stale hardware walk still sees an invalid descriptor. No
/// heap allocation, so nothing here can fail other than by returning `None`.
pub struct TablePool<M> {
    tables: M,
    base: PhysAddr,
    /// Tables at and after this index have never been handed out.
    next: usize,
    /// Most recently freed table.
    free_head: Option<usize>,
    in_use: usize,
}

impl<M: AsRef<[Table]> + AsMut<[Table]>> TablePool<M> {
    /// A pool over `tables`, the first of which is at physical `base`.
    /// Refuses a base that is not 4 KiB aligned or a pool that would reach
    /// beyond 48-bit physical addresses.
    pub fn new(tables: M, base: PhysAddr) -> Result<Self, Error> {
        let len = tables.as_ref().len() as u64;
        let end = len
            .checked_mul(PAGE_SIZE)
            .and_then(|bytes| base.0.checked_add(bytes));
        match end {
            Some(end) if base.0.is_multiple_of(PAGE_SIZE) && end <= 1 << 48 => Ok(TablePool {
                tables,
                base,
                next: 0,
                free_head: None,
                in_use: 0,
            }),
            _ => Err(Error::BadTableAddress { pa: base }),
        }
    }

    /// Tables in the pool.
    pub fn capacity(&self) -> usize {
        self.tables.as_ref().len()
    }

    /// Tables handed out and not freed.
    pub fn in_use(&self) -> usize {
        self.in_use
    }

    /// Physical address of the first table.
    pub fn base(&self) -> PhysAddr {
        self.base
    }

    fn push_free(&mut self, index: usize) {
        let link = match self.free_head {
            Some(next) => (next as u64 + 1) << 1,
            None => 0,
        };
        if let Some(table) = self.tables.as_mut().get_mut(index) {
            if let Some(first) = table.0.first_mut() {
                *first = link;
            }
            self.free_head = Some(index);
        }
    }

    fn pop_free(&mut self) -> Option<usize> {
        let index = self.free_head?;
        let link = self.tables.as_ref().get(index)?.0.first().copied()?;
        self.free_head = match link >> 1 {
            0 => None,
            n => Some(n as usize - 1),
        };
        Some(index)
    }
}

impl<M: AsRef<[Table]> + AsMut<[Table]>> TableSource for TablePool<M> {
    fn alloc_table(&mut self) -> Option<TableId> {
        let index = match self.pop_free() {
            Some(index) => index,
            None if self.next < self.capacity() => {
                self.next += 1;
                self.next - 1
            }
            None => return None,
        };
        self.in_use += 1;
        Some(TableId(index))
    }

    fn alloc_contiguous(&mut self, count: usize) -> Option<TableId> {
        if count == 1 {
            return self.alloc_table();
        }
        if count == 0 || !count.is_power_of_two() {
            return None;
        }
        // Physical frame number of `next`; round it up to a multiple of
        // `count` so the group is aligned to `count` tables.
        let frame = self.base.0 / PAGE_SIZE + self.next as u64;
        let count64 = count as u64;
        let skip = ((count64 - frame % count64) % count64) as usize;
        let first = self.next.checked_add(skip)?;
        let end = first.checked_add(count)?;
        if end > self.capacity() {
            return None;
        }
        for index in self.next..first {
            self.push_free(index);
        }
        self.next = end;
        self.in_use += count;
        Some(TableId(first))
    }

    fn free_table(&mut self, id: TableId) {
        if id.0 < self.next {
            self.push_free(id.0);
            self.in_use = self.in_use.saturating_sub(1);
        }
    }

    fn table(&self, id: TableId) -> Option<&Table> {
        self.tables.as_ref().get(id.0)
    }

    fn table_mut(&mut self, id: TableId) -> Option<&mut Table> {
        self.tables.as_mut().get_mut(id.0)
    }

    fn phys_addr(&self, id: TableId) -> Option<PhysAddr> {
        if id.0 >= self.capacity() {
            return None;
        }
        // Cannot overflow: `new` checked base + capacity * 4096.
        Some(PhysAddr(self.base.0 + id.0 as u64 * PAGE_SIZE))
    }

    fn table_at(&self, pa: PhysAddr) -> Option<TableId> {
        let offset = pa.0.checked_sub(self.base.0)?;
        if !offset.is_multiple_of(PAGE_SIZE) {
            return None;
        }
        let index = usize::try_from(offset / PAGE_SIZE).ok()?;
        (index < self.capacity()).then_some(TableId(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn refuses_unaligned_or_too_high_base() {
        assert!(TablePool::new(vec![Table::ZERO; 1], PhysAddr(0x1001)).is_err());
        assert!(TablePool::new(vec![Table::ZERO; 2], PhysAddr((1 << 48) - 4096)).is_err());
        assert!(TablePool::new(vec![Table::ZERO; 1], PhysAddr((1 << 48) - 4096)).is_ok());
    }

    #[test]
    fn allocates_frees_and_reuses() {
        let mut pool = TablePool::new(vec![Table::ZERO; 3], PhysAddr(0x8000_0000)).unwrap();
        let a = pool.alloc_table().unwrap();
        let b = pool.alloc_table().unwrap();
        let c = pool.alloc_table().unwrap();
        assert_eq!((a, b, c), (TableId(0), TableId(1), TableId(2)));
        assert_eq!(pool.alloc_table(), None);
        assert_eq!(pool.phys_addr(b), Some(PhysAddr(0x8000_1000)));
        assert_eq!(pool.table_at(PhysAddr(0x8000_2000)), Some(c));
        assert_eq!(pool.table_at(PhysAddr(0x8000_2008)), None);
        assert_eq!(pool.table_at(PhysAddr(0x8000_3000)), None);
        assert_eq!(pool.table_at(PhysAddr(0x7fff_f000)), None);
        pool.free_table(a);
        pool.free_table(c);
        assert_eq!(pool.in_use(), 1);
        // The free-list link is never a valid descriptor.
        assert_eq!(pool.table(c).unwrap().0[0] & 1, 0);
        assert_eq!(pool.alloc_table(), Some(c));
        assert_eq!(pool.alloc_table(), Some(a));
        assert_eq!(pool.alloc_table(), None);
        assert_eq!(pool.in_use(), 3);
    }

    #[test]
    fn contiguous_groups_are_aligned() {
        // Base at frame 1: a group of 4 must start at frame 4 (index 3).
        let mut pool = TablePool::new(vec![Table::ZERO; 8], PhysAddr(0x1000)).unwrap();
        let g = pool.alloc_contiguous(4).unwrap();
        assert_eq!(g, TableId(3));
        assert_eq!(pool.phys_addr(g), Some(PhysAddr(0x4000)));
        assert_eq!(pool.in_use(), 4);
        // The three skipped tables are still available, then one more.
        for _ in 0..4 {
            assert!(pool.alloc_table().is_some());
        }
        assert_eq!(pool.alloc_table(), None);
        assert_eq!(pool.alloc_contiguous(3), None);
    }
}
