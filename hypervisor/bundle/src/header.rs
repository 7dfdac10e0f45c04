//! The 64-byte header: read with every field checked, and written.

use crate::error::BundleError;
use crate::format::{self, header as at, ENTRY_SIZE, HEADER_SIZE, MAX_BUNDLE_SIZE, MAX_ENTRIES};
use crate::hash::Sha256Digest;
use crate::le;

/// The header's variable fields (the others are fixed by the version).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Header {
    pub total_size: u64,
    pub entry_count: usize,
    pub table_sha256: Sha256Digest,
}

/// Where the entry table ends for `count` entries (at most
/// [`MAX_ENTRIES`], so this cannot overflow).
pub(crate) fn table_end(count: usize) -> u64 {
    let table = (count as u64).saturating_mul(ENTRY_SIZE as u64);
    table.saturating_add(HEADER_SIZE as u64)
}

impl Header {
    /// Checks the header at the start of `bytes` against itself and against
    /// `bytes.len()`. Does not check the table hash (see
    /// [`crate::Bundle::parse`]).
    pub(crate) fn parse(bytes: &[u8]) -> Result<Header, BundleError> {
        let present = bytes.len();
        let too_short = BundleError::TooShortForHeader { present };
        let magic = le::bytes::<8>(bytes, at::MAGIC).ok_or(too_short.clone())?;
        if magic != format::MAGIC {
            return Err(BundleError::BadMagic { found: magic });
        }
        let field = |off| le::u32_at(bytes, off).ok_or(too_short.clone());
        let version = field(at::VERSION)?;
        if version != format::VERSION {
            return Err(BundleError::UnsupportedVersion { found: version });
        }
        let header_size = field(at::HEADER_SIZE)?;
        if header_size as usize != HEADER_SIZE {
            return Err(BundleError::BadHeaderSize { found: header_size });
        }
        let entry_size = field(at::ENTRY_SIZE)?;
        if entry_size as usize != ENTRY_SIZE {
            return Err(BundleError::BadEntrySize { found: entry_size });
        }
        let count = field(at::ENTRY_COUNT)?;
        let entry_count = usize::try_from(count)
            .ok()
            .filter(|c| *c <= MAX_ENTRIES)
            .ok_or(BundleError::TooManyEntries {
                count: u64::from(count),
            })?;
        let total_size = le::u64_at(bytes, at::TOTAL_SIZE).ok_or(too_short.clone())?;
        let table_sha256 = le::bytes::<32>(bytes, at::TABLE_SHA256).ok_or(too_short)?;
        if total_size > MAX_BUNDLE_SIZE {
            return Err(BundleError::TooLarge { size: total_size });
        }
        let table_end = table_end(entry_count);
        if total_size < table_end {
            return Err(BundleError::TotalSmallerThanTable {
                total: total_size,
                table_end,
            });
        }
        if (present as u64) < total_size {
            return Err(BundleError::Truncated {
                header_says: total_size,
                present,
            });
        }
        Ok(Header {
            total_size,
            entry_count,
            table_sha256,
        })
    }

    /// The header's first 32 bytes: everything but the hash.
    pub(crate) fn hashed_part(self) -> [u8; at::HASHED] {
        let mut out = [0u8; at::HASHED];
        le::put(&mut out, at::MAGIC, &format::MAGIC);
        le::put(&mut out, at::VERSION, &format::VERSION.to_le_bytes());
        le::put(
            &mut out,
            at::HEADER_SIZE,
            &(HEADER_SIZE as u32).to_le_bytes(),
        );
        le::put(&mut out, at::TOTAL_SIZE, &self.total_size.to_le_bytes());
        le::put(
            &mut out,
            at::ENTRY_COUNT,
            &(self.entry_count as u32).to_le_bytes(),
        );
        le::put(&mut out, at::ENTRY_SIZE, &(ENTRY_SIZE as u32).to_le_bytes());
        out
    }

    /// The full 64 bytes.
    pub(crate) fn to_bytes(self) -> [u8; HEADER_SIZE] {
        let mut out = [0u8; HEADER_SIZE];
        le::put(&mut out, 0, &self.hashed_part());
        le::put(&mut out, at::TABLE_SHA256, &self.table_sha256);
        out
    }
}
