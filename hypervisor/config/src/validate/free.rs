//! Free RAM as a sorted list of disjoint ranges, and first-fit placement.

use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;

/// Disjoint, non-empty ranges sorted by base.
#[derive(Clone, Debug, Default)]
pub(crate) struct FreeList(Vec<MemRange>);

/// `n` rounded up to a multiple of `align` (a power of two), if it fits.
pub(crate) fn align_up(n: u64, align: u64) -> Option<u64> {
    let mask = align.checked_sub(1)?;
    n.checked_add(mask).map(|v| v & !mask)
}

/// `n` rounded down to a multiple of `align` (a power of two).
pub(crate) fn align_down(n: u64, align: u64) -> u64 {
    n & !align.saturating_sub(1)
}

impl FreeList {
    /// Starts from the given ranges (in any order, possibly overlapping).
    pub(crate) fn new(ranges: &[MemRange]) -> Self {
        let mut list = FreeList(Vec::new());
        for r in ranges {
            list.add(*r);
        }
        list
    }

    fn add(&mut self, r: MemRange) {
        if r.is_empty() {
            return;
        }
        let (mut base, mut end) = (r.base.0, r.end());
        // Absorb every range that touches or overlaps the new one.
        self.0.retain(|f| {
            let touches = f.base.0 <= end && base <= f.end();
            if touches {
                base = base.min(f.base.0);
                end = end.max(f.end());
            }
            !touches
        });
        let at = self.0.partition_point(|f| f.base.0 < base);
        self.0
            .insert(at, MemRange::new(base, end.saturating_sub(base)));
    }

    /// Removes `r` (or whatever part of it is free).
    pub(crate) fn remove(&mut self, r: MemRange) {
        if r.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(self.0.len().saturating_add(1));
        for f in &self.0 {
            if !f.overlaps(&r) {
                out.push(*f);
                continue;
            }
            if f.base.0 < r.base.0 {
                out.push(MemRange::new(f.base.0, r.base.0.saturating_sub(f.base.0)));
            }
            if r.end() < f.end() {
                out.push(MemRange::new(r.end(), f.end().saturating_sub(r.end())));
            }
        }
        self.0 = out;
    }

    /// The lowest `align`-aligned base with `size` free bytes above it,
    /// taken out of the list.
    pub(crate) fn take(&mut self, size: u64, align: u64) -> Option<u64> {
        let base = self.0.iter().find_map(|f| {
            let base = align_up(f.base.0, align)?;
            let end = base.checked_add(size)?;
            (end <= f.end()).then_some(base)
        })?;
        self.remove(MemRange::new(base, size));
        Some(base)
    }

    /// The largest free range's size.
    pub(crate) fn largest(&self) -> u64 {
        self.0.iter().map(|f| f.size).max().unwrap_or(0)
    }

    #[cfg(test)]
    pub(crate) fn ranges(&self) -> &[MemRange] {
        &self.0
    }
}
