//! The builder: one set of translation tables (a root and what hangs from
//! it), its constructors, lookups and table bookkeeping. Mapping lives in
//! `map.rs`, removal in `unmap.rs`, iteration in `iter.rs`.

use super::descriptor::{self, Entry};
use super::el2::{El2Attrs, El2Stage1, HypVirtAddr};
use super::error::Error;
use super::geometry::{level_shift, level_size, Layout, ENTRIES, LAST_LEVEL, PAGE_SIZE};
use super::parange::PaRange;
use super::regime::{Regime, Translation};
use super::registers;
use super::source::{TableId, TableSource};
use super::stage2::Stage2;
use super::stage2_config::Stage2Config;
use crate::addr::{MemRange, PhysAddr};
use core::marker::PhantomData;

/// Translation tables for regime `R`, stored in a [`TableSource`] that is
/// passed to every call (one source may hold many of these). Using a
/// different source than the one it was built in gives errors, not
/// undefined behaviour.
#[derive(Debug)]
pub struct TranslationTable<R: Regime> {
    pub(super) root: TableId,
    pub(super) root_pa: PhysAddr,
    pub(super) layout: Layout,
    pub(super) tables: usize,
    regime: PhantomData<fn() -> R>,
}

/// The hypervisor's EL2 stage-1 tables.
pub type El2Table = TranslationTable<El2Stage1>;
/// One partition's stage-2 tables.
pub type Stage2Table = TranslationTable<Stage2>;

impl TranslationTable<El2Stage1> {
    /// Empty EL2 tables (48-bit VA, start level 0) for a machine with PA
    /// range `pa`: takes one table for the root.
    pub fn new<S: TableSource>(src: &mut S, pa: PaRange) -> Result<Self, Error> {
        Self::with_layout(
            src,
            Layout {
                start_level: 0,
                input_bits: 48,
                output_bits: pa.output_bits(),
                root_tables: 1,
            },
        )
    }

    /// Maps `range` to itself.
    pub fn map_identity<S: TableSource>(
        &mut self,
        src: &mut S,
        range: MemRange,
        attrs: El2Attrs,
    ) -> Result<(), Error> {
        self.map(
            src,
            HypVirtAddr(range.base.0),
            range.base,
            range.size,
            attrs,
        )
    }

    /// The TTBR0_EL2 value for these tables.
    pub fn ttbr0_el2(&self) -> u64 {
        registers::ttbr0_el2(self.root_pa)
    }
}

impl TranslationTable<Stage2> {
    /// Empty stage-2 tables shaped by `config`: takes
    /// `config.root_tables()` contiguous tables for the root.
    pub fn new<S: TableSource>(src: &mut S, config: Stage2Config) -> Result<Self, Error> {
        Self::with_layout(src, config.layout())
    }

    /// The VTTBR_EL2 value for these tables and `vmid`.
    pub fn vttbr_el2(&self, vmid: u8) -> u64 {
        registers::vttbr_el2(self.root_pa, vmid)
    }
}

impl<R: Regime> TranslationTable<R> {
    fn with_layout<S: TableSource>(src: &mut S, layout: Layout) -> Result<Self, Error> {
        let count = layout.root_tables;
        let root = src.alloc_contiguous(count).ok_or(Error::OutOfTables)?;
        let mut table = TranslationTable {
            root,
            root_pa: PhysAddr(0),
            layout,
            tables: 0,
            regime: PhantomData,
        };
        match table.adopt_root(src) {
            Ok(pa) => {
                table.root_pa = pa;
                table.tables = count;
                Ok(table)
            }
            Err(e) => {
                for k in 0..count {
                    src.free_table(TableId(root.0.saturating_add(k)));
                }
                Err(e)
            }
        }
    }

    /// Checks and zeroes the root group: contiguous, aligned to its size.
    fn adopt_root<S: TableSource>(&self, src: &mut S) -> Result<PhysAddr, Error> {
        let count = self.layout.root_tables;
        let first = self.adopt(src, self.root)?;
        let group = PAGE_SIZE.saturating_mul(count as u64);
        if !first.0.is_multiple_of(group) {
            return Err(Error::BadTableAddress { pa: first });
        }
        for k in 1..count {
            let id = TableId(self.root.0.saturating_add(k));
            let pa = self.adopt(src, id)?;
            if pa.0 != first.0 + k as u64 * PAGE_SIZE {
                return Err(Error::BadTableAddress { pa });
            }
        }
        Ok(first)
    }

    /// Checks a fresh table's address and zeroes it.
    fn adopt<S: TableSource>(&self, src: &mut S, id: TableId) -> Result<PhysAddr, Error> {
        let pa = src.phys_addr(id).ok_or(Error::MissingTable { id })?;
        let fits =
            pa.0.checked_add(PAGE_SIZE)
                .is_some_and(|end| end <= self.layout.output_limit());
        if !pa.0.is_multiple_of(PAGE_SIZE) || !fits || src.table_at(pa) != Some(id) {
            return Err(Error::BadTableAddress { pa });
        }
        // In place: no 4 KiB temporary on a small EL2 stack.
        src.table_mut(id)
            .ok_or(Error::MissingTable { id })?
            .0
            .fill(0);
        Ok(pa)
    }

    /// Allocates, checks and zeroes a table below the root.
    pub(super) fn new_table<S: TableSource>(
        &mut self,
        src: &mut S,
    ) -> Result<(TableId, PhysAddr), Error> {
        let id = src.alloc_table().ok_or(Error::OutOfTables)?;
        match self.adopt(src, id) {
            Ok(pa) => {
                self.tables += 1;
                Ok((id, pa))
            }
            Err(e) => {
                src.free_table(id);
                Err(e)
            }
        }
    }

    /// Physical address of the root table (of the first one, if
    /// concatenated).
    pub fn root_pa(&self) -> PhysAddr {
        self.root_pa
    }

    /// Tables in use, the root ones included.
    pub fn tables_used(&self) -> usize {
        self.tables
    }

    /// Level of the root table(s).
    pub fn start_level(&self) -> u8 {
        self.layout.start_level
    }

    /// Input addresses are below this.
    pub fn input_limit(&self) -> u64 {
        self.layout.input_limit()
    }

    /// Output addresses are below this.
    pub fn output_limit(&self) -> u64 {
        self.layout.output_limit()
    }

    /// The table and entry index that translate `addr` at `level`, given
    /// the table (or the first root table) at that level.
    pub(super) fn slot(&self, table: TableId, level: u8, addr: u64) -> (TableId, usize) {
        let index = (addr >> level_shift(level)) as usize;
        if level == self.layout.start_level {
            (
                TableId(table.0.saturating_add(index / ENTRIES)),
                index % ENTRIES,
            )
        } else {
            (table, index % ENTRIES)
        }
    }

    /// The leaf translating `addr`: its level and raw descriptor.
    fn leaf_at<S: TableSource>(&self, src: &S, addr: u64) -> Result<Option<(u8, u64)>, Error> {
        if addr >= self.layout.input_limit() {
            return Ok(None);
        }
        let mut table = self.root;
        let mut level = self.layout.start_level;
        loop {
            let (id, index) = self.slot(table, level, addr);
            let desc = read(src, id, index)?;
            match descriptor::decode(desc, level) {
                Entry::Invalid => return Ok(None),
                Entry::Leaf { .. } => return Ok(Some((level, desc))),
                Entry::Table(pa) if level < LAST_LEVEL => {
                    table = lookup(src, pa)?;
                    level += 1;
                }
                _ => return Err(Error::Corrupt { level, index }),
            }
        }
    }

    /// The level and input base of the leaf mapping `addr`, if any.
    pub(super) fn leaf_base<S: TableSource>(
        &self,
        src: &S,
        addr: u64,
    ) -> Result<Option<(u8, u64)>, Error> {
        Ok(self
            .leaf_at(src, addr)?
            .map(|(level, _)| (level, addr & !(level_size(level) - 1))))
    }

    /// Where `input` goes, or `Ok(None)` if it is not mapped. Errors only
    /// when the tables or the source are inconsistent.
    pub fn walk<S: TableSource>(
        &self,
        src: &S,
        input: R::Input,
    ) -> Result<Option<Translation<R::Attrs>>, Error> {
        let addr = R::input_to_raw(input);
        let Some((level, desc)) = self.leaf_at(src, addr)? else {
            return Ok(None);
        };
        let Entry::Leaf { pa, desc } = descriptor::decode(desc, level) else {
            return Ok(None);
        };
        let offset = addr & (level_size(level) - 1);
        Ok(Some(Translation {
            pa: PhysAddr(pa | offset),
            attrs: R::decode(desc),
            level,
        }))
    }

    /// [`walk`](Self::walk), with inconsistencies reported as unmapped.
    pub fn translate<S: TableSource>(
        &self,
        src: &S,
        input: R::Input,
    ) -> Option<Translation<R::Attrs>> {
        self.walk(src, input).ok().flatten()
    }

    /// Gives every table, the root included, back to `src`. The hardware
    /// must no longer use them (TTBR/VTTBR switched away and TLBs
    /// invalidated).
    pub fn release<S: TableSource>(self, src: &mut S) -> Result<(), Error> {
        let entries = self.layout.root_entries();
        let result = free_children(src, self.root, self.layout.start_level, entries);
        for k in 0..self.layout.root_tables {
            src.free_table(TableId(self.root.0.saturating_add(k)));
        }
        result
    }
}

/// Frees every table below `table` (`entries` entries at `level`; more
/// than 512 means a concatenated root of consecutive ids).
fn free_children<S: TableSource>(
    src: &mut S,
    table: TableId,
    level: u8,
    entries: usize,
) -> Result<(), Error> {
    for i in 0..entries {
        let id = TableId(table.0.saturating_add(i / ENTRIES));
        let index = i % ENTRIES;
        if let Entry::Table(pa) = descriptor::decode(read(src, id, index)?, level) {
            if level >= LAST_LEVEL {
                return Err(Error::Corrupt { level, index });
            }
            let child = lookup(src, pa)?;
            free_children(src, child, level + 1, ENTRIES)?;
            src.free_table(child);
        }
    }
    Ok(())
}

/// Descriptor `index` of table `id`.
pub(super) fn read<S: TableSource>(src: &S, id: TableId, index: usize) -> Result<u64, Error> {
    let table = src.table(id).ok_or(Error::MissingTable { id })?;
    table
        .0
        .get(index)
        .copied()
        .ok_or(Error::MissingTable { id })
}

/// Sets descriptor `index` of table `id`.
pub(super) fn write<S: TableSource>(
    src: &mut S,
    id: TableId,
    index: usize,
    desc: u64,
) -> Result<(), Error> {
    let table = src.table_mut(id).ok_or(Error::MissingTable { id })?;
    let slot = table.0.get_mut(index).ok_or(Error::MissingTable { id })?;
    *slot = desc;
    Ok(())
}

/// The table at physical `pa`.
pub(super) fn lookup<S: TableSource>(src: &S, pa: u64) -> Result<TableId, Error> {
    src.table_at(PhysAddr(pa))
        .ok_or(Error::UnknownTable { pa: PhysAddr(pa) })
}

/// True when no descriptor of table `id` is valid.
pub(super) fn is_empty<S: TableSource>(src: &S, id: TableId) -> Result<bool, Error> {
    let table = src.table(id).ok_or(Error::MissingTable { id })?;
    Ok(table.0.iter().all(|d| d & descriptor::VALID == 0))
}
