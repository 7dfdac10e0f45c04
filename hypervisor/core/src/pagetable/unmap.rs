//! Removing mappings, and freeing tables that become empty.

use super::descriptor::{self, Entry};
use super::error::Error;
use super::geometry::{level_size, LAST_LEVEL, PAGE_SIZE};
use super::regime::Regime;
use super::source::{TableId, TableSource};
use super::table::{is_empty, lookup, read, write, TranslationTable};

impl<R: Regime> TranslationTable<R> {
    /// Removes every mapping inside `[input, input + size)` and frees the
    /// tables left empty. Holes are fine. Returns the bytes unmapped.
    ///
    /// Refuses (changing nothing) when a boundary falls inside a block or
    /// page: blocks are never split. On live tables, invalidate the TLB
    /// for the range before the freed tables are reused.
    pub fn unmap<S: TableSource>(
        &mut self,
        src: &mut S,
        input: R::Input,
        size: u64,
    ) -> Result<u64, Error> {
        let start = R::input_to_raw(input);
        let end = self.check_input(start, size)?;
        // Only the leaves holding the first and the last page can stick out.
        for addr in [start, end - PAGE_SIZE] {
            if let Some((level, base)) = self.leaf_base(src, addr)? {
                if base < start || base + level_size(level) > end {
                    return Err(Error::SplitsBlock { input: addr, level });
                }
            }
        }
        let (root, level) = (self.root, self.layout.start_level);
        self.clear_in(src, root, level, start, end, end)
    }

    /// Walks the part of `[va, end)` that `table` (at `level`) translates,
    /// removes the leaves lying wholly inside `[va, leaf_end)`, frees the
    /// tables left empty, and returns the bytes removed.
    pub(super) fn clear_in<S: TableSource>(
        &mut self,
        src: &mut S,
        table: TableId,
        level: u8,
        va: u64,
        end: u64,
        leaf_end: u64,
    ) -> Result<u64, Error> {
        let size = level_size(level);
        let mut removed = 0;
        let mut va = va;
        while va < end {
            let base = va & !(size - 1);
            let stop = (base + size).min(end);
            let (id, index) = self.slot(table, level, va);
            match descriptor::decode(read(src, id, index)?, level) {
                Entry::Invalid => {}
                Entry::Leaf { .. } => {
                    if base >= va && base + size <= leaf_end {
                        write(src, id, index, 0)?;
                        removed += size;
                    }
                }
                Entry::Table(pa) if level < LAST_LEVEL => {
                    let child = lookup(src, pa)?;
                    removed += self.clear_in(src, child, level + 1, va, stop, leaf_end)?;
                    if is_empty(src, child)? {
                        write(src, id, index, 0)?;
                        src.free_table(child);
                        self.tables = self.tables.saturating_sub(1);
                    }
                }
                _ => return Err(Error::Corrupt { level, index }),
            }
            va = stop;
        }
        Ok(removed)
    }
}
