//! Reading a bundle: [`Bundle::parse`].

use crate::entry::{Entry, TableEntry};
use crate::error::BundleError;
use crate::format::{header as hdr, Kind, ENTRY_SIZE, HEADER_SIZE, PAYLOAD_ALIGN};
use crate::hash::{sha256, sha256_of};
use crate::header::{table_end, Header};
use alloc::vec::Vec;

/// A parsed bundle: the header and every entry checked, payloads not yet
/// hashed (see [`Entry::verify`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Bundle<'a> {
    bytes: &'a [u8],
    entries: Vec<Entry<'a>>,
}

impl<'a> Bundle<'a> {
    /// Checks `bytes` as a bundle: magic, version, header and entry sizes,
    /// the total size against `bytes.len()` (bytes past the total size are
    /// ignored: a loader may pad), the SHA-256 over the header and table,
    /// then each entry: known kind, a partition that suits it, zero
    /// reserved bytes, non-empty, 4 KiB-aligned offset past the table,
    /// within the total size, overlapping no other payload, and no two
    /// entries of the same kind for the same partition.
    ///
    /// Never panics, whatever the bytes.
    pub fn parse(bytes: &'a [u8]) -> Result<Bundle<'a>, BundleError> {
        let header = Header::parse(bytes)?;
        let total = usize::try_from(header.total_size).map_err(|_| BundleError::TooLarge {
            size: header.total_size,
        })?;
        let bytes = bytes.get(..total).ok_or(BundleError::Truncated {
            header_says: header.total_size,
            present: bytes.len(),
        })?;
        let table_end_u64 = table_end(header.entry_count);
        let truncated = BundleError::Truncated {
            header_says: header.total_size,
            present: bytes.len(),
        };
        let table_end = usize::try_from(table_end_u64).map_err(|_| truncated.clone())?;
        let table = bytes.get(HEADER_SIZE..table_end).ok_or(truncated.clone())?;
        let hashed = bytes.get(..hdr::HASHED).ok_or(truncated)?;
        if sha256_of(&[hashed, table]) != header.table_sha256 {
            return Err(BundleError::TableHashMismatch);
        }

        let mut entries: Vec<Entry<'a>> = Vec::with_capacity(header.entry_count);
        for (index, raw) in table.chunks_exact(ENTRY_SIZE).enumerate() {
            let stored = TableEntry::read(raw).ok_or(BundleError::TableHashMismatch)?;
            let entry = check_entry(bytes, index, &stored, table_end_u64)?;
            if let Some(first) = entries
                .iter()
                .find(|e| e.kind == entry.kind && e.partition == entry.partition)
            {
                return Err(BundleError::Duplicate {
                    entry: entry.label(),
                    first: first.index,
                });
            }
            entries.push(entry);
        }
        check_no_overlap(&entries)?;
        Ok(Bundle { bytes, entries })
    }

    /// The whole bundle, up to its total size.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Total size from the header.
    pub fn total_size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Every entry, in table order.
    pub fn entries(&self) -> &[Entry<'a>] {
        &self.entries
    }

    /// The entry of `kind` for `partition` (`None`: system-wide), if any.
    pub fn find(&self, kind: Kind, partition: Option<u32>) -> Option<&Entry<'a>> {
        self.entries
            .iter()
            .find(|e| e.kind == kind && e.partition == partition)
    }

    /// The configuration entry, if any.
    pub fn config(&self) -> Option<&Entry<'a>> {
        self.find(Kind::Config, None)
    }

    /// Checks every payload's SHA-256; the first mismatch is returned.
    pub fn verify_all(&self) -> Result<(), BundleError> {
        self.entries.iter().try_for_each(|e| e.verify().map(|_| ()))
    }

    /// [`Bundle::verify_all`] with the caller's SHA-256 (see
    /// [`Entry::verify_with`]); the first mismatch is returned.
    pub fn verify_all_with(&self, hash: &dyn Fn(&[u8]) -> [u8; 32]) -> Result<(), BundleError> {
        self.entries
            .iter()
            .try_for_each(|e| e.verify_with(hash).map(|_| ()))
    }

    /// The SHA-256 that [`Bundle::verify_all`] uses (the portable `sha2`
    /// code): the fallback for a caller whose own implementation cannot
    /// run on this CPU.
    pub fn sha256(data: &[u8]) -> [u8; 32] {
        sha256(data)
    }
}

/// The checks on one entry that need the bundle's bytes.
fn check_entry<'a>(
    bytes: &'a [u8],
    index: usize,
    stored: &TableEntry,
    table_end: u64,
) -> Result<Entry<'a>, BundleError> {
    let kind = stored.check_alone(index)?;
    let entry = stored.label(index);
    let (offset, size) = (stored.offset, stored.size);
    if !offset.is_multiple_of(PAYLOAD_ALIGN) {
        return Err(BundleError::Misaligned { entry, offset });
    }
    if offset < table_end {
        return Err(BundleError::InsideTable {
            entry,
            offset,
            table_end,
        });
    }
    let total = bytes.len() as u64;
    let out_of_bounds = BundleError::OutOfBounds {
        entry,
        offset,
        size,
        total,
    };
    let payload = offset
        .checked_add(size)
        .filter(|end| *end <= total)
        .and_then(|end| {
            let start = usize::try_from(offset).ok()?;
            let end = usize::try_from(end).ok()?;
            bytes.get(start..end)
        })
        .ok_or(out_of_bounds)?;
    Ok(Entry {
        index,
        kind,
        partition: stored.partition(),
        offset,
        sha256: stored.sha256,
        payload,
    })
}

/// No two payloads share a byte (all are non-empty and in bounds).
fn check_no_overlap(entries: &[Entry<'_>]) -> Result<(), BundleError> {
    let mut by_offset: Vec<&Entry<'_>> = entries.iter().collect();
    by_offset.sort_by_key(|e| e.offset);
    for pair in by_offset.windows(2) {
        if let [a, b] = pair {
            if a.offset.saturating_add(a.size()) > b.offset {
                let (first, later) = if a.index < b.index { (a, b) } else { (b, a) };
                return Err(BundleError::Overlap {
                    entry: later.label(),
                    other: first.index,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Bundle;
    use crate::{BundleBuilder, BundleError, Kind};
    use core::cell::Cell;

    fn two_entries() -> Vec<u8> {
        let mut b = BundleBuilder::new();
        b.add(Kind::Config, None, b"config".to_vec()).unwrap();
        b.add(Kind::Kernel, Some(0), vec![7u8; 5000]).unwrap();
        b.build().unwrap()
    }

    #[test]
    fn verify_all_with_uses_the_given_hash() {
        let bytes = two_entries();
        let b = Bundle::parse(&bytes).unwrap();
        let calls = Cell::new(0usize);
        let seen = Cell::new(0usize);
        let counting = |data: &[u8]| {
            calls.set(calls.get() + 1);
            seen.set(seen.get() + data.len());
            Bundle::sha256(data)
        };
        b.verify_all_with(&counting).unwrap();
        assert_eq!(calls.get(), 2);
        assert_eq!(seen.get(), 6 + 5000);
        let k = b.find(Kind::Kernel, Some(0)).unwrap();
        assert_eq!(k.verify_with(&counting).unwrap(), &[7u8; 5000][..]);
        assert_eq!(calls.get(), 3);
        // The plain forms still agree.
        b.verify_all().unwrap();
        assert_eq!(Bundle::sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
    }

    #[test]
    fn a_wrong_hash_is_refused() {
        let bytes = two_entries();
        let b = Bundle::parse(&bytes).unwrap();
        let wrong = |data: &[u8]| {
            let mut d = Bundle::sha256(data);
            d[31] ^= 1;
            d
        };
        match b.verify_all_with(&wrong) {
            Err(BundleError::HashMismatch { entry }) => assert_eq!(entry.index, 0),
            other => panic!("expected a mismatch, got {other:?}"),
        }
        let k = b.find(Kind::Kernel, Some(0)).unwrap();
        assert!(matches!(
            k.verify_with(&|_: &[u8]| [0u8; 32]),
            Err(BundleError::HashMismatch { .. })
        ));
    }
}
