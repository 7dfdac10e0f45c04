use crate::validate::free::FreeList;
use bulkhead_core::addr::MemRange;

fn r(base: u64, size: u64) -> MemRange {
    MemRange::new(base, size)
}

#[test]
fn merges_and_sorts() {
    let f = FreeList::new(&[r(0x3000, 0x1000), r(0x1000, 0x1000), r(0x2000, 0x1000)]);
    assert_eq!(f.ranges(), &[r(0x1000, 0x3000)]);
    let f = FreeList::new(&[r(0x5000, 0x1000), r(0x1000, 0x2000), r(0x1800, 0x100)]);
    assert_eq!(f.ranges(), &[r(0x1000, 0x2000), r(0x5000, 0x1000)]);
}

#[test]
fn remove_splits() {
    let mut f = FreeList::new(&[r(0x0, 0x10000)]);
    f.remove(r(0x4000, 0x1000));
    assert_eq!(f.ranges(), &[r(0, 0x4000), r(0x5000, 0xb000)]);
    f.remove(r(0x0, 0x1000));
    f.remove(r(0xf000, 0x5000));
    assert_eq!(f.ranges(), &[r(0x1000, 0x3000), r(0x5000, 0xa000)]);
    f.remove(r(0, 0x100000));
    assert!(f.ranges().is_empty());
    assert_eq!(f.largest(), 0);
}

#[test]
fn take_first_fit_with_alignment() {
    let mut f = FreeList::new(&[r(0x1000, 0x1000), r(0x10_1000, 0x40_0000)]);
    // 2 MiB aligned: the first block boundary inside the second range.
    assert_eq!(f.take(0x1000, 0x20_0000), Some(0x20_0000));
    // 4 KiB aligned: the first range.
    assert_eq!(f.take(0x1000, 0x1000), Some(0x1000));
    assert_eq!(f.take(0x1000, 0x1000), Some(0x10_1000));
    assert_eq!(f.take(0x100_0000, 0x1000), None);
    assert_eq!(f.largest(), 0x30_0000);
}

#[test]
fn top_of_the_address_space() {
    let mut f = FreeList::new(&[r(u64::MAX - 0xfff, 0x1000)]);
    assert_eq!(f.take(0x1000, 0x20_0000), None);
    assert_eq!(f.take(0x2000, 0x1000), None);
}
