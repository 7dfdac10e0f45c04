//! Iterating over every leaf mapping, in input address order.

use super::descriptor::{self, Entry};
use super::error::Error;
use super::geometry::{level_size, ENTRIES, LAST_LEVEL};
use super::regime::{Mapping, Regime};
use super::source::{TableId, TableSource};
use super::table::{lookup, read, TranslationTable};
use crate::addr::PhysAddr;

/// What the iterator yields.
type Item<R> = Result<Mapping<<R as Regime>::Input, <R as Regime>::Attrs>, Error>;

/// Lookup levels: at most 4 tables are open at once.
const MAX_DEPTH: usize = 4;

#[derive(Clone, Copy)]
struct Frame {
    /// The table (first of the group for a concatenated root).
    table: TableId,
    level: u8,
    /// Input address translated by entry 0.
    base: u64,
    next: usize,
    count: usize,
}

const NO_FRAME: Frame = Frame {
    table: TableId(0),
    level: 0,
    base: 0,
    next: 0,
    count: 0,
};

/// Iterator over the leaf mappings of a [`TranslationTable`], from
/// [`TranslationTable::mappings`]. Yields an error (and then stops) if the
/// tables or the source are inconsistent.
pub struct Mappings<'a, R: Regime, S: TableSource> {
    src: &'a S,
    stack: [Frame; MAX_DEPTH],
    depth: usize,
    regime: core::marker::PhantomData<fn() -> R>,
}

impl<R: Regime> TranslationTable<R> {
    /// Every block and page descriptor, in input address order.
    pub fn mappings<'a, S: TableSource>(&self, src: &'a S) -> Mappings<'a, R, S> {
        let root = Frame {
            table: self.root,
            level: self.layout.start_level,
            base: 0,
            next: 0,
            count: self.layout.root_entries(),
        };
        Mappings {
            src,
            stack: [root, NO_FRAME, NO_FRAME, NO_FRAME],
            depth: 1,
            regime: core::marker::PhantomData,
        }
    }
}

impl<R: Regime, S: TableSource> Mappings<'_, R, S> {
    fn fail(&mut self, e: Error) -> Option<Item<R>> {
        self.depth = 0;
        Some(Err(e))
    }
}

impl<R: Regime, S: TableSource> Iterator for Mappings<'_, R, S> {
    type Item = Item<R>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let top = self.depth.checked_sub(1)?;
            let frame = self.stack.get_mut(top)?;
            if frame.next >= frame.count {
                self.depth = top;
                continue;
            }
            let i = frame.next;
            frame.next += 1;
            let Frame { table, level, .. } = *frame;
            let size = level_size(level);
            let input = frame.base + i as u64 * size;
            let id = TableId(table.0.saturating_add(i / ENTRIES));
            let index = i % ENTRIES;
            let desc = match read(self.src, id, index) {
                Ok(desc) => desc,
                Err(e) => return self.fail(e),
            };
            match descriptor::decode(desc, level) {
                Entry::Invalid => {}
                Entry::Leaf { pa, desc } => {
                    return Some(Ok(Mapping {
                        input: R::input_from_raw(input),
                        pa: PhysAddr(pa),
                        size,
                        level,
                        attrs: R::decode(desc),
                    }))
                }
                Entry::Table(pa) if level < LAST_LEVEL && self.depth < MAX_DEPTH => {
                    let child = match lookup(self.src, pa) {
                        Ok(child) => child,
                        Err(e) => return self.fail(e),
                    };
                    if let Some(slot) = self.stack.get_mut(self.depth) {
                        *slot = Frame {
                            table: child,
                            level: level + 1,
                            base: input,
                            next: 0,
                            count: ENTRIES,
                        };
                        self.depth += 1;
                    }
                }
                _ => return self.fail(Error::Corrupt { level, index }),
            }
        }
    }
}
