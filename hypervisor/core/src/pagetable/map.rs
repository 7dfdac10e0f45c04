//! Adding mappings: checks, block choice, and undo on failure.

use super::descriptor::{self, Entry};
use super::error::Error;
use super::geometry::{leaf_allowed, level_size, LAST_LEVEL, PAGE_SIZE};
use super::regime::Regime;
use super::source::{TableId, TableSource};
use super::table::{lookup, read, write, TranslationTable};
use crate::addr::PhysAddr;

/// A piece of the request: input `[va, end)` goes to `pa`.
#[derive(Clone, Copy)]
struct Span {
    va: u64,
    pa: u64,
    end: u64,
}

/// State shared by the whole request.
struct Job {
    /// Attribute bits for every leaf.
    attrs: u64,
    /// Leaves written so far cover input `[start, done)`.
    done: u64,
}

impl<R: Regime> TranslationTable<R> {
    /// Maps `size` bytes from `input` to `pa` with `attrs`, using the
    /// largest blocks that alignment and size allow.
    ///
    /// Refuses a zero size, anything not 4 KiB aligned, ranges beyond the
    /// input or output size, and any overlap with an existing mapping.
    /// When refused (running out of tables included) nothing is changed:
    /// the leaves and tables this call added are removed again.
    pub fn map<S: TableSource>(
        &mut self,
        src: &mut S,
        input: R::Input,
        pa: PhysAddr,
        size: u64,
        attrs: R::Attrs,
    ) -> Result<(), Error> {
        let start = R::input_to_raw(input);
        let end = self.check_input(start, size)?;
        check_aligned("output address", pa.0)?;
        let limit = self.layout.output_limit();
        if pa.0.checked_add(size).is_none_or(|e| e > limit) {
            return Err(Error::OutputOutOfRange {
                start: pa.0,
                size,
                limit,
            });
        }
        let mut job = Job {
            attrs: R::encode(attrs),
            done: start,
        };
        let span = Span {
            va: start,
            pa: pa.0,
            end,
        };
        let (root, level) = (self.root, self.layout.start_level);
        let result = self.map_in(src, root, level, span, &mut job);
        if result.is_err() {
            // Everything in [start, done) was written by this call; tables
            // it created elsewhere in [start, end) are empty. An error here
            // could only come from a misbehaving source; the first error
            // is the one worth reporting.
            let _ = self.clear_in(src, root, level, start, end, job.done);
        }
        result
    }

    /// Checks an input range and returns its end.
    pub(super) fn check_input(&self, start: u64, size: u64) -> Result<u64, Error> {
        if size == 0 {
            return Err(Error::EmptyRange);
        }
        check_aligned("input address", start)?;
        check_aligned("size", size)?;
        let limit = self.layout.input_limit();
        match start.checked_add(size) {
            Some(end) if end <= limit => Ok(end),
            _ => Err(Error::InputOutOfRange { start, size, limit }),
        }
    }

    /// Maps `span`, which lies inside the part of the input space that
    /// `table` (at `level`) translates.
    fn map_in<S: TableSource>(
        &mut self,
        src: &mut S,
        table: TableId,
        level: u8,
        span: Span,
        job: &mut Job,
    ) -> Result<(), Error> {
        let size = level_size(level);
        let Span {
            mut va,
            mut pa,
            end,
        } = span;
        while va < end {
            // Addresses are below 2^48 here, so nothing overflows.
            let stop = ((va & !(size - 1)) + size).min(end);
            let (id, index) = self.slot(table, level, va);
            let fits = leaf_allowed(level)
                && va & (size - 1) == 0
                && pa & (size - 1) == 0
                && end - va >= size;
            let inner = Span { va, pa, end: stop };
            match descriptor::decode(read(src, id, index)?, level) {
                Entry::Invalid if fits => {
                    write(src, id, index, descriptor::leaf(level, pa, job.attrs))?;
                    job.done = stop;
                }
                Entry::Invalid if level < LAST_LEVEL => {
                    let (child, child_pa) = self.new_table(src)?;
                    write(src, id, index, descriptor::table(child_pa.0))?;
                    self.map_in(src, child, level + 1, inner, job)?;
                }
                // Only reachable with unaligned spans, which `map` refuses.
                Entry::Invalid => {
                    return Err(Error::Unaligned {
                        what: "input address",
                        value: va,
                    })
                }
                Entry::Table(child_pa) => {
                    let child = lookup(src, child_pa)?;
                    self.map_in(src, child, level + 1, inner, job)?;
                }
                Entry::Leaf { .. } => return Err(Error::AlreadyMapped { input: va }),
                Entry::Reserved => return Err(Error::Corrupt { level, index }),
            }
            pa += stop - va;
            va = stop;
        }
        Ok(())
    }
}

pub(super) fn check_aligned(what: &'static str, value: u64) -> Result<(), Error> {
    if value.is_multiple_of(PAGE_SIZE) {
        Ok(())
    } else {
        Err(Error::Unaligned { what, value })
    }
}
