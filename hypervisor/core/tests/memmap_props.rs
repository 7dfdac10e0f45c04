//! Property tests of `memmap::free_ranges` over small address spaces, both
//! at the bottom and at the very top of the 64-bit space.

use bulkhead_core::addr::MemRange;
use bulkhead_core::memmap::free_ranges;
use proptest::prelude::*;

/// Addresses are `offset + n` with n below `SPACE`.
const SPACE: u64 = 256;

fn ranges(max: usize) -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::vec((0..SPACE, 0..SPACE / 2), 0..max)
}

fn at(offset: u64, list: &[(u64, u64)]) -> Vec<MemRange> {
    list.iter()
        .map(|&(b, s)| {
            let base = offset + b;
            // Cut at the top the way MemRange::end does.
            MemRange::new(base, s.min(u64::MAX - base))
        })
        .collect()
}

fn in_any(ranges: &[MemRange], addr: u64) -> bool {
    ranges.iter().any(|r| r.contains(addr))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn free_is_exactly_the_aligned_pages_of_banks_minus_taken(
        banks in ranges(5),
        taken in ranges(6),
        align in prop::sample::select(vec![1u64, 2, 3, 4, 8, 16, 32]),
        top in any::<bool>(),
    ) {
        // At the top, the space ends at u64::MAX (which is never free).
        let offset = if top { u64::MAX - SPACE } else { 0 };
        let banks = at(offset, &banks);
        let taken = at(offset, &taken);
        let free = free_ranges(&banks, &taken, align);

        for pair in free.windows(2) {
            prop_assert!(pair[0].end() < pair[1].base.0, "not sorted and apart: {pair:?}");
        }
        for f in &free {
            prop_assert!(f.size > 0);
            prop_assert_eq!(f.base.0 % align, 0);
            prop_assert_eq!(f.size % align, 0);
            prop_assert!(f.base.0.checked_add(f.size).is_some());
        }
        // Byte by byte: free implies in a bank and in no taken range.
        for n in 0..=SPACE {
            let addr = offset.wrapping_add(n);
            if in_any(&free, addr) {
                prop_assert!(in_any(&banks, addr), "{addr:#x} free but in no bank");
                prop_assert!(!in_any(&taken, addr), "{addr:#x} free but taken");
            }
        }
        // Page by page: every aligned page wholly in banks and clear of
        // taken ranges is wholly free.
        let first = offset.div_ceil(align) * align;
        let mut page = first;
        while let Some(end) = page.checked_add(align) {
            if end > offset.saturating_add(SPACE) {
                break;
            }
            let usable = (page..end).all(|a| in_any(&banks, a) && !in_any(&taken, a));
            if usable {
                prop_assert!(
                    (page..end).all(|a| in_any(&free, a)),
                    "page {page:#x}..{end:#x} usable but not free: {free:?}"
                );
            }
            page = end;
        }
    }

    #[test]
    fn any_input_is_handled(
        banks in prop::collection::vec((any::<u64>(), any::<u64>()), 0..6),
        taken in prop::collection::vec((any::<u64>(), any::<u64>()), 0..6),
        align in any::<u64>(),
    ) {
        let banks: Vec<MemRange> = banks.iter().map(|&(b, s)| MemRange::new(b, s)).collect();
        let taken: Vec<MemRange> = taken.iter().map(|&(b, s)| MemRange::new(b, s)).collect();
        let free = free_ranges(&banks, &taken, align);
        for f in &free {
            prop_assert!(banks.iter().any(|b| b.overlaps(f)));
            prop_assert!(!taken.iter().any(|t| t.overlaps(f)));
        }
    }
}
