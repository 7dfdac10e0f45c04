//! Parsing never panics, whatever the bytes.

use super::{rehash, sample};
use crate::format::{header as hdr, ENTRY_SIZE, HEADER_SIZE, MAGIC, VERSION};
use crate::Bundle;
use proptest::prelude::*;

fn exercise(bytes: &[u8]) {
    if let Ok(b) = Bundle::parse(bytes) {
        for e in b.entries() {
            let _ = e.verify();
            assert!(e.offset() + e.size() <= b.total_size());
        }
    }
}

/// A header that passes the first checks, over arbitrary bytes, with the
/// table hash made right, so the fuzzing reaches the entry checks.
fn plausible(mut body: Vec<u8>, count: u8, total: u16) -> Vec<u8> {
    let count = u32::from(count % 8);
    let need = HEADER_SIZE + count as usize * ENTRY_SIZE;
    if body.len() < need {
        body.resize(need, 0);
    }
    body[..8].copy_from_slice(&MAGIC);
    body[hdr::VERSION..][..4].copy_from_slice(&VERSION.to_le_bytes());
    body[hdr::HEADER_SIZE..][..4].copy_from_slice(&(HEADER_SIZE as u32).to_le_bytes());
    body[hdr::ENTRY_SIZE..][..4].copy_from_slice(&(ENTRY_SIZE as u32).to_le_bytes());
    body[hdr::ENTRY_COUNT..][..4].copy_from_slice(&count.to_le_bytes());
    let total = u64::from(total).max(need as u64).min(body.len() as u64);
    body[hdr::TOTAL_SIZE..][..8].copy_from_slice(&total.to_le_bytes());
    rehash(&mut body);
    body
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        exercise(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_a_plausible_header(
        bytes in proptest::collection::vec(any::<u8>(), 0..12_000),
        count in any::<u8>(),
        total in any::<u16>(),
    ) {
        exercise(&plausible(bytes, count, total));
    }

    #[test]
    fn mutated_bundle(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        rehashed in any::<bool>(),
    ) {
        let mut b = sample();
        for (at, v) in edits {
            let i = at.index(b.len());
            b[i] = v;
        }
        if rehashed && b.len() >= HEADER_SIZE {
            // Only meaningful while the count stays small; keep it in range.
            let count = u32::from_le_bytes(b[hdr::ENTRY_COUNT..][..4].try_into().unwrap());
            if count <= 64 {
                rehash(&mut b);
            }
        }
        let n = b.len();
        exercise(&b[..cut.index(n + 1).max(n / 2)]);
        exercise(&b);
    }
}
