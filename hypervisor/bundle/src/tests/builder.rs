use crate::format::{Kind, MAX_ENTRIES, MAX_PARTITIONS};
use crate::{BundleBuilder, BundleError};

#[test]
fn config_with_a_partition_is_refused() {
    let err = BundleBuilder::new()
        .add(Kind::Config, Some(0), vec![1])
        .err()
        .unwrap();
    assert!(matches!(err, BundleError::BadPartition { .. }));
    assert_eq!(
        err.to_string(),
        "bundle: entry 0 (config of partition 0): this kind belongs to no partition"
    );
}

#[test]
fn kernel_without_a_partition_is_refused() {
    let err = BundleBuilder::new()
        .add(Kind::Kernel, None, vec![1])
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "bundle: entry 0 (kernel): this kind must name a partition"
    );
}

#[test]
fn partition_index_is_bounded() {
    let err = BundleBuilder::new()
        .add(Kind::Kernel, Some(MAX_PARTITIONS), vec![1])
        .err()
        .unwrap();
    assert!(matches!(err, BundleError::PartitionOutOfRange { .. }));
}

#[test]
fn dtb_may_belong_to_the_system_or_a_partition() {
    let mut b = BundleBuilder::new();
    b.add(Kind::Dtb, None, vec![1]).unwrap();
    b.add(Kind::Dtb, Some(2), vec![2]).unwrap();
    assert!(crate::Bundle::parse(&b.build().unwrap()).is_ok());
}

#[test]
fn empty_and_duplicate_payloads_are_refused() {
    let mut b = BundleBuilder::new();
    assert!(matches!(
        b.add(Kind::Ramdisk, Some(0), vec![]),
        Err(BundleError::Empty { .. })
    ));
    b.add(Kind::Ramdisk, Some(0), vec![1]).unwrap();
    let err = b.add(Kind::Ramdisk, Some(0), vec![2]).err().unwrap();
    assert_eq!(
        err,
        BundleError::Duplicate {
            entry: crate::EntryLabel {
                index: 1,
                kind: Some(Kind::Ramdisk),
                partition: Some(0)
            },
            first: 0
        }
    );
}

#[test]
fn entry_count_is_bounded() {
    let mut b = BundleBuilder::new();
    for p in 0..MAX_ENTRIES as u32 {
        b.add(Kind::Kernel, Some(p % MAX_PARTITIONS), vec![1])
            .map(|_| ())
            .or_else(|_| {
                b.add(Kind::Ramdisk, Some(p % MAX_PARTITIONS), vec![1])
                    .map(|_| ())
            })
            .unwrap();
    }
    let err = b.add(Kind::Dtb, Some(0), vec![1]).err().unwrap();
    assert_eq!(
        err,
        BundleError::TooManyEntries {
            count: MAX_ENTRIES as u64 + 1
        }
    );
    // A full table builds and parses.
    assert!(crate::Bundle::parse(&b.build().unwrap()).is_ok());
}
