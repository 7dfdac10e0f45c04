//! Every kind of damage is refused, with a message that says what it is.

use super::{
    edit_entry_u32, edit_entry_u64, entry_field, get_u64, rehash, sample, set_u32, set_u64,
};
use crate::format::{entry as ent, header as hdr, HEADER_SIZE, MAX_BUNDLE_SIZE, MAX_ENTRIES};
use crate::{Bundle, BundleError};

fn err(bytes: &[u8]) -> BundleError {
    Bundle::parse(bytes).expect_err("parse should fail")
}

#[test]
fn bad_magic() {
    let mut b = sample();
    b[0] = b'X';
    assert!(matches!(err(&b), BundleError::BadMagic { .. }));
    assert!(err(&b).to_string().contains("not a bundle"));
}

#[test]
fn unknown_version() {
    let mut b = sample();
    set_u32(&mut b, hdr::VERSION, 2);
    rehash(&mut b);
    assert_eq!(err(&b), BundleError::UnsupportedVersion { found: 2 });
    assert_eq!(
        err(&b).to_string(),
        "bundle: format version 2 is not supported (this reader knows version 1)"
    );
}

#[test]
fn wrong_header_or_entry_size() {
    let mut b = sample();
    set_u32(&mut b, hdr::HEADER_SIZE, 128);
    assert_eq!(err(&b), BundleError::BadHeaderSize { found: 128 });
    let mut b = sample();
    set_u32(&mut b, hdr::ENTRY_SIZE, 32);
    assert_eq!(err(&b), BundleError::BadEntrySize { found: 32 });
}

#[test]
fn truncated_anywhere() {
    let b = sample();
    for cut in 0..b.len() {
        match err(&b[..cut]) {
            BundleError::TooShortForHeader { present } => {
                assert!(cut < HEADER_SIZE);
                assert_eq!(present, cut);
            }
            BundleError::Truncated {
                header_says,
                present,
            } => {
                assert_eq!(header_says, b.len() as u64);
                assert_eq!(present, cut);
            }
            other => panic!("cut at {cut}: {other}"),
        }
    }
}

#[test]
fn truncation_message() {
    let b = sample();
    assert_eq!(
        err(&b[..4096]).to_string(),
        format!(
            "bundle: truncated: header says {} bytes, 4096 present",
            b.len()
        )
    );
    assert_eq!(
        err(&b[..10]).to_string(),
        "bundle: truncated: 10 bytes present, the header alone is 64"
    );
}

#[test]
fn any_flipped_bit_in_header_or_table_is_refused() {
    let b = sample();
    let table_end = HEADER_SIZE + 5 * 64;
    for at in 0..table_end {
        for bit in 0..8 {
            let mut c = b.clone();
            c[at] ^= 1 << bit;
            assert!(
                Bundle::parse(&c).is_err(),
                "flipping bit {bit} of byte {at} went unnoticed"
            );
        }
    }
}

#[test]
fn flipped_table_byte_is_a_hash_mismatch() {
    let mut b = sample();
    b[entry_field(2, ent::SIZE)] ^= 0x01;
    assert_eq!(err(&b), BundleError::TableHashMismatch);
}

#[test]
fn flipped_payload_byte_fails_verification() {
    let mut b = sample();
    let off = get_u64(&b, entry_field(1, ent::OFFSET)) as usize;
    b[off + 1234] ^= 0x80;
    let parsed = Bundle::parse(&b).unwrap();
    let e = &parsed.entries()[1];
    let failure = e.verify().err().unwrap();
    assert_eq!(
        failure.to_string(),
        "bundle: entry 1 (kernel of partition 0): sha-256 mismatch"
    );
    assert_eq!(parsed.verify_all(), Err(failure));
    // The others are intact.
    assert!(parsed.entries()[0].verify().is_ok());
    assert!(parsed.entries()[4].verify().is_ok());
}

#[test]
fn flipped_padding_byte_is_harmless() {
    let mut b = sample();
    // Entry 3 is a one-byte dtb; the rest of its page is padding.
    let off = get_u64(&b, entry_field(3, ent::OFFSET)) as usize;
    b[off + 100] ^= 0xFF;
    Bundle::parse(&b).unwrap().verify_all().unwrap();
}

#[test]
fn overlapping_entries() {
    let mut b = sample();
    let off1 = get_u64(&b, entry_field(1, ent::OFFSET));
    edit_entry_u64(&mut b, 2, ent::OFFSET, off1 + 0x1000);
    let e = err(&b);
    assert!(matches!(e, BundleError::Overlap { other: 1, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "bundle: entry 2 (ramdisk of partition 0): payload overlaps entry 1's"
    );
}

#[test]
fn offset_out_of_bounds() {
    let mut b = sample();
    let total = b.len() as u64;
    edit_entry_u64(&mut b, 4, ent::OFFSET, total);
    assert!(matches!(err(&b), BundleError::OutOfBounds { .. }));
    // Size running past the end, and offset + size wrapping around u64.
    let mut b = sample();
    edit_entry_u64(&mut b, 4, ent::SIZE, total);
    assert!(matches!(err(&b), BundleError::OutOfBounds { .. }));
    let mut b = sample();
    edit_entry_u64(&mut b, 4, ent::SIZE, u64::MAX - 0xFFF);
    assert!(matches!(err(&b), BundleError::OutOfBounds { .. }));
    assert!(err(&b).to_string().starts_with(
        "bundle: entry 4 (bare-metal image of partition 1): [0x7000, +0xfffffffffffff000) runs past"
    ));
}

#[test]
fn misaligned_offset() {
    let mut b = sample();
    edit_entry_u64(&mut b, 1, ent::OFFSET, 0x2010);
    assert_eq!(
        err(&b).to_string(),
        "bundle: entry 1 (kernel of partition 0): offset 0x2010 is not 4 KiB aligned"
    );
}

#[test]
fn payload_inside_the_table() {
    let mut b = sample();
    edit_entry_u64(&mut b, 0, ent::OFFSET, 0);
    assert!(matches!(err(&b), BundleError::InsideTable { .. }));
}

#[test]
fn unknown_kind_and_reserved_bytes() {
    let mut b = sample();
    edit_entry_u32(&mut b, 3, ent::KIND, 9);
    assert_eq!(
        err(&b).to_string(),
        "bundle: entry 3 (partition 0): unknown kind 9"
    );
    let mut b = sample();
    b[entry_field(0, ent::RESERVED) + 7] = 1;
    rehash(&mut b);
    assert!(matches!(err(&b), BundleError::ReservedNotZero { .. }));
}

#[test]
fn partition_that_does_not_suit_the_kind() {
    let mut b = sample();
    edit_entry_u32(&mut b, 0, ent::PARTITION, 0);
    assert!(matches!(err(&b), BundleError::BadPartition { .. }));
    let mut b = sample();
    edit_entry_u32(&mut b, 1, ent::PARTITION, u32::MAX);
    assert!(matches!(err(&b), BundleError::BadPartition { .. }));
    let mut b = sample();
    edit_entry_u32(&mut b, 1, ent::PARTITION, 64);
    assert!(matches!(err(&b), BundleError::PartitionOutOfRange { .. }));
}

#[test]
fn duplicate_entries() {
    let mut b = sample();
    // Make the ramdisk (entry 2) a second kernel for partition 0.
    edit_entry_u32(&mut b, 2, ent::KIND, 2);
    assert_eq!(
        err(&b).to_string(),
        "bundle: entry 2 (kernel of partition 0): repeats entry 1 (same kind and partition)"
    );
}

#[test]
fn empty_entry() {
    let mut b = sample();
    edit_entry_u64(&mut b, 3, ent::SIZE, 0);
    assert!(matches!(err(&b), BundleError::Empty { .. }));
}

#[test]
fn header_sizes_out_of_range() {
    let mut b = sample();
    set_u32(&mut b, hdr::ENTRY_COUNT, MAX_ENTRIES as u32 + 1);
    assert!(matches!(err(&b), BundleError::TooManyEntries { .. }));
    let mut b = sample();
    set_u64(&mut b, hdr::TOTAL_SIZE, MAX_BUNDLE_SIZE + 1);
    assert!(matches!(err(&b), BundleError::TooLarge { .. }));
    let mut b = sample();
    set_u64(&mut b, hdr::TOTAL_SIZE, 100);
    assert_eq!(
        err(&b),
        BundleError::TotalSmallerThanTable {
            total: 100,
            table_end: 384
        }
    );
    // A smaller total that still covers the table cuts the last payload off.
    let mut b = sample();
    set_u64(&mut b, hdr::TOTAL_SIZE, 0x8000);
    rehash(&mut b);
    assert!(matches!(err(&b), BundleError::OutOfBounds { .. }));
}
