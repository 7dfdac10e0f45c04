//! Writing a bundle: [`BundleBuilder`].

use crate::entry::{check_partition, TableEntry};
use crate::error::{BundleError, EntryLabel};
use crate::format::{align_up, Kind, MAX_BUNDLE_SIZE, MAX_ENTRIES, NO_PARTITION};
use crate::hash::{sha256, sha256_of};
use crate::header::{table_end, Header};
use alloc::vec::Vec;

struct Pending {
    kind: Kind,
    partition: Option<u32>,
    payload: Vec<u8>,
}

/// Collects payloads, then lays them out: header, table, and each payload
/// on the next 4 KiB boundary in the order added; the total is padded to a
/// multiple of 4 KiB. The same checks as the reader apply, so what
/// [`BundleBuilder::build`] returns always parses.
#[derive(Default)]
pub struct BundleBuilder {
    pending: Vec<Pending>,
}

impl BundleBuilder {
    /// An empty bundle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a payload. `partition` is the partition's index in the
    /// configuration, or `None` for system-wide entries (the config).
    pub fn add(
        &mut self,
        kind: Kind,
        partition: Option<u32>,
        payload: Vec<u8>,
    ) -> Result<&mut Self, BundleError> {
        let index = self.pending.len();
        let entry = EntryLabel {
            index,
            kind: Some(kind),
            partition,
        };
        if index >= MAX_ENTRIES {
            return Err(BundleError::TooManyEntries {
                count: index.saturating_add(1) as u64,
            });
        }
        check_partition(kind, partition, entry)?;
        if payload.is_empty() {
            return Err(BundleError::Empty { entry });
        }
        if let Some(first) = self
            .pending
            .iter()
            .position(|p| p.kind == kind && p.partition == partition)
        {
            return Err(BundleError::Duplicate { entry, first });
        }
        self.pending.push(Pending {
            kind,
            partition,
            payload,
        });
        Ok(self)
    }

    /// The bundle's bytes.
    pub fn build(&self) -> Result<Vec<u8>, BundleError> {
        let table_end = table_end(self.pending.len());
        let too_large = |size| BundleError::TooLarge { size };
        let mut cursor = align_up(table_end).ok_or(too_large(u64::MAX))?;
        let mut table = Vec::with_capacity(self.pending.len());
        for p in &self.pending {
            let size = p.payload.len() as u64;
            table.push(TableEntry {
                kind: p.kind.number(),
                partition: p.partition.unwrap_or(NO_PARTITION),
                offset: cursor,
                size,
                sha256: sha256(&p.payload),
                reserved: [0; 8],
            });
            cursor = cursor
                .checked_add(size)
                .and_then(align_up)
                .ok_or(too_large(u64::MAX))?;
        }
        if cursor > MAX_BUNDLE_SIZE {
            return Err(too_large(cursor));
        }
        let total = usize::try_from(cursor).map_err(|_| too_large(cursor))?;

        let table_bytes: Vec<u8> = table.iter().flat_map(|e| e.to_bytes()).collect();
        let mut header = Header {
            total_size: cursor,
            entry_count: table.len(),
            table_sha256: [0; 32],
        };
        header.table_sha256 = sha256_of(&[&header.hashed_part(), &table_bytes]);

        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&header.to_bytes());
        out.extend_from_slice(&table_bytes);
        for (entry, p) in table.iter().zip(&self.pending) {
            let start = usize::try_from(entry.offset).map_err(|_| too_large(cursor))?;
            out.resize(start, 0);
            out.extend_from_slice(&p.payload);
        }
        out.resize(total, 0);
        Ok(out)
    }
}
