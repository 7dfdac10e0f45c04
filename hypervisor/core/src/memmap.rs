//! Free-memory computation: the RAM the frame allocator may hand out.
//!
//! [`free_ranges`] takes the RAM banks and every range that is already
//! spoken for (the hypervisor image, the device tree blob, reserved memory,
//! the initrd, board carve-outs) and returns what is left, cut inward to an
//! alignment so that every byte of every result is usable in whole pages.
//!
//! Ranges are `[base, base + size)`. A range whose end would pass the top of
//! the 64-bit address space is cut at `u64::MAX` (so the byte at
//! `u64::MAX` itself is never free), matching [`MemRange::end`].

use crate::addr::MemRange;
use alloc::vec::Vec;

/// `[start, end)` with an exclusive end that may be `u64::MAX`.
type Span = (u64, u64);

/// Sorted, merged spans of the non-empty ranges; overlapping and touching
/// ranges become one span.
fn merged(ranges: &[MemRange]) -> Vec<Span> {
    let mut spans: Vec<Span> = ranges
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| (r.base.0, r.end()))
        .filter(|(start, end)| start < end)
        .collect();
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// Round up to a multiple of `align`, or None past the top.
fn align_up(value: u64, align: u64) -> Option<u64> {
    match value % align {
        0 => Some(value),
        rem => value.checked_add(align - rem),
    }
}

fn align_down(value: u64, align: u64) -> u64 {
    value - value % align
}

/// The banks minus every taken range, each piece cut inward to multiples
/// of `align` (any non-zero value; 0 is taken as 1), empty pieces dropped,
/// sorted by base. Overlapping or touching banks count as one stretch of
/// RAM, so a page that straddles two adjacent banks is free.
pub fn free_ranges(banks: &[MemRange], taken: &[MemRange], align: u64) -> Vec<MemRange> {
    let align = align.max(1);
    let taken = merged(taken);
    let mut free = Vec::new();
    for (bank_start, bank_end) in merged(banks) {
        let mut cursor = bank_start;
        for &(t_start, t_end) in &taken {
            if t_end <= cursor || t_start >= bank_end {
                continue;
            }
            push_aligned(&mut free, cursor, t_start, align);
            cursor = t_end;
            if cursor >= bank_end {
                break;
            }
        }
        push_aligned(&mut free, cursor, bank_end, align);
    }
    free
}

/// Push `[start, end)` cut inward to `align`, if anything is left.
fn push_aligned(out: &mut Vec<MemRange>, start: u64, end: u64, align: u64) {
    let Some(start) = align_up(start, align) else {
        return;
    };
    let end = align_down(end, align);
    if start < end {
        out.push(MemRange::new(start, end - start));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: u64 = 0x1000;

    fn r(base: u64, size: u64) -> MemRange {
        MemRange::new(base, size)
    }

    #[test]
    fn qemu_virt_boot_layout() {
        // 1 GiB of RAM; the DTB at the base, the hypervisor at +2 MiB, an
        // initrd at 0x48000000 that ends mid-page.
        let banks = [r(0x4000_0000, 0x4000_0000)];
        let taken = [
            r(0x4000_0000, 0x10_0000),
            r(0x4020_0000, 0x40_0000),
            r(0x4800_0000, 300_000),
        ];
        assert_eq!(
            free_ranges(&banks, &taken, PAGE),
            [
                r(0x4010_0000, 0x10_0000),
                r(0x4060_0000, 0x4800_0000 - 0x4060_0000),
                r(0x4804_a000, 0x8000_0000 - 0x4804_a000),
            ]
        );
    }

    #[test]
    fn unaligned_banks_shrink_inward_and_tiny_pieces_vanish() {
        let banks = [r(0x1001, 0x3000), r(0x10_0000, 0x800)];
        assert_eq!(free_ranges(&banks, &[], PAGE), [r(0x2000, 0x2000)]);
        // A taken range that leaves less than a page on each side.
        assert!(free_ranges(&[r(0, 0x2000)], &[r(0x800, 0x1000)], PAGE).is_empty());
    }

    #[test]
    fn banks_and_taken_ranges_in_any_order_and_overlapping() {
        let banks = [r(0x8000, 0x4000), r(0, 0x4000), r(0x2000, 0x4000)];
        let taken = [r(0x9000, 0x1000), r(0x1000, 0x800), r(0x1200, 0x1000)];
        assert_eq!(
            free_ranges(&banks, &taken, PAGE),
            [
                r(0, 0x1000),
                r(0x3000, 0x3000),
                r(0x8000, 0x1000),
                r(0xa000, 0x2000)
            ]
        );
    }

    #[test]
    fn adjacent_banks_form_one_stretch() {
        let banks = [r(0, 0x1800), r(0x1800, 0x1800)];
        assert_eq!(free_ranges(&banks, &[], PAGE), [r(0, 0x3000)]);
    }

    #[test]
    fn taken_covering_everything_or_nothing() {
        let banks = [r(0x4000_0000, 0x1000_0000)];
        assert!(free_ranges(&banks, &[r(0, u64::MAX)], PAGE).is_empty());
        assert_eq!(free_ranges(&banks, &[r(0, 0x1000)], PAGE), banks);
        assert_eq!(free_ranges(&banks, &[r(0x4000_0000, 0)], PAGE), banks);
        assert!(free_ranges(&[], &[], PAGE).is_empty());
    }

    #[test]
    fn top_of_the_address_space() {
        // A bank running to the top: cut at u64::MAX, then aligned down.
        let top = u64::MAX - 0x3fff; // 0xffff_ffff_ffff_c000
        let banks = [r(top, u64::MAX)];
        assert_eq!(free_ranges(&banks, &[], PAGE), [r(top, 0x3000)]);
        let taken = [r(top + 0x1000, 0x1000)];
        assert_eq!(
            free_ranges(&banks, &taken, PAGE),
            [r(top, 0x1000), r(top + 0x2000, 0x1000)]
        );
        // Aligning up past the top leaves nothing.
        assert!(free_ranges(&[r(u64::MAX - 0x10, 0x10)], &[], PAGE).is_empty());
    }

    #[test]
    fn odd_alignments() {
        assert_eq!(free_ranges(&[r(1, 10)], &[], 0), [r(1, 10)]);
        assert_eq!(free_ranges(&[r(1, 10)], &[], 1), [r(1, 10)]);
        assert_eq!(
            free_ranges(&[r(1, 20)], &[r(10, 1)], 3),
            [r(3, 6), r(12, 9)]
        );
    }
}
