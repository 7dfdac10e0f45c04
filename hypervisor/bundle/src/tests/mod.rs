//! Tests of the bundle format: helpers shared by the topic modules.

mod builder;
mod corruption;
mod fuzz;
mod roundtrip;

use crate::format::{header as hdr, Kind, ENTRY_SIZE, HEADER_SIZE};
use crate::hash::sha256_of;
use crate::BundleBuilder;

/// A bundle like the ones xtask writes: a config, two partitions (one Linux
/// with kernel, ramdisk and dtb, one bare-metal), payloads of odd sizes.
pub(super) fn sample() -> Vec<u8> {
    let mut b = BundleBuilder::new();
    b.add(Kind::Config, None, b"config bytes".to_vec()).unwrap();
    b.add(Kind::Kernel, Some(0), pattern(10_000, 1)).unwrap();
    b.add(Kind::Ramdisk, Some(0), pattern(4096, 2)).unwrap();
    b.add(Kind::Dtb, Some(0), pattern(1, 3)).unwrap();
    b.add(Kind::BareMetalImage, Some(1), pattern(5000, 4))
        .unwrap();
    b.build().unwrap()
}

pub(super) fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Recomputes the header/table hash after a test edited the table, so the
/// edit reaches the entry checks instead of stopping at the hash.
pub(super) fn rehash(bytes: &mut [u8]) {
    let count = u32::from_le_bytes(bytes[hdr::ENTRY_COUNT..][..4].try_into().unwrap()) as usize;
    let table_end = HEADER_SIZE + count * ENTRY_SIZE;
    let digest = sha256_of(&[&bytes[..hdr::HASHED], &bytes[HEADER_SIZE..table_end]]);
    bytes[hdr::TABLE_SHA256..][..32].copy_from_slice(&digest);
}

/// Byte offset of field `field` of entry `index`.
pub(super) fn entry_field(index: usize, field: usize) -> usize {
    HEADER_SIZE + index * ENTRY_SIZE + field
}

pub(super) fn set_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

pub(super) fn set_u64(bytes: &mut [u8], at: usize, v: u64) {
    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

pub(super) fn get_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// Sets an entry field and fixes the table hash.
pub(super) fn edit_entry_u64(bytes: &mut [u8], index: usize, field: usize, v: u64) {
    set_u64(bytes, entry_field(index, field), v);
    rehash(bytes);
}

pub(super) fn edit_entry_u32(bytes: &mut [u8], index: usize, field: usize, v: u32) {
    set_u32(bytes, entry_field(index, field), v);
    rehash(bytes);
}
