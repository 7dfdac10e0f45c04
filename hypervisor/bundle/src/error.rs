//! Why a bundle was refused. Every variant prints as a sentence that starts
//! with `bundle:` and names the entry concerned.

use crate::format::Kind;
use core::fmt;

/// Names an entry in messages: `entry 3 (kernel of partition 1)`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EntryLabel {
    /// Position in the table.
    pub index: usize,
    /// The entry's kind, when it is a known one.
    pub kind: Option<Kind>,
    /// The partition the entry names, if any.
    pub partition: Option<u32>,
}

impl fmt::Display for EntryLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {}", self.index)?;
        match (self.kind, self.partition) {
            (Some(k), Some(p)) => write!(f, " ({k} of partition {p})"),
            (Some(k), None) => write!(f, " ({k})"),
            (None, Some(p)) => write!(f, " (partition {p})"),
            (None, None) => Ok(()),
        }
    }
}

/// A bundle the reader refuses, or one the builder cannot write.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum BundleError {
    /// Fewer bytes than the header itself.
    TooShortForHeader {
        /// Bytes present.
        present: usize,
    },
    /// The header announces more bytes than are present.
    Truncated {
        /// Total size the header gives.
        header_says: u64,
        /// Bytes present.
        present: usize,
    },
    /// The first eight bytes are not `BULKHEAD`.
    BadMagic {
        /// What was found instead.
        found: [u8; 8],
    },
    /// A format version this reader does not know.
    UnsupportedVersion {
        /// The version found.
        found: u32,
    },
    /// The header-size field is not the one version 1 defines.
    BadHeaderSize {
        /// The value found.
        found: u32,
    },
    /// The entry-size field is not the one version 1 defines.
    BadEntrySize {
        /// The value found.
        found: u32,
    },
    /// More entries than [`crate::format::MAX_ENTRIES`].
    TooManyEntries {
        /// Entries the header (or the builder) has.
        count: u64,
    },
    /// A total size over [`crate::format::MAX_BUNDLE_SIZE`].
    TooLarge {
        /// The size.
        size: u64,
    },
    /// The total size does not even cover the header and the table.
    TotalSmallerThanTable {
        /// Total size the header gives.
        total: u64,
        /// End of the entry table.
        table_end: u64,
    },
    /// The hash over the header and table does not match.
    TableHashMismatch,
    /// An entry's kind number is not one of [`Kind`].
    UnknownKind {
        /// The entry.
        entry: EntryLabel,
        /// The number found.
        found: u32,
    },
    /// The entry's reserved bytes are not zero.
    ReservedNotZero {
        /// The entry.
        entry: EntryLabel,
    },
    /// A kind that belongs to a partition names none, or the reverse.
    BadPartition {
        /// The entry.
        entry: EntryLabel,
    },
    /// The partition index is at or above [`crate::format::MAX_PARTITIONS`].
    PartitionOutOfRange {
        /// The entry.
        entry: EntryLabel,
    },
    /// Two entries of the same kind for the same partition.
    Duplicate {
        /// The later entry.
        entry: EntryLabel,
        /// The earlier entry it repeats.
        first: usize,
    },
    /// An empty payload.
    Empty {
        /// The entry.
        entry: EntryLabel,
    },
    /// A payload offset that is not 4 KiB aligned.
    Misaligned {
        /// The entry.
        entry: EntryLabel,
        /// The offset.
        offset: u64,
    },
    /// A payload that starts inside the header or the entry table.
    InsideTable {
        /// The entry.
        entry: EntryLabel,
        /// The offset.
        offset: u64,
        /// Where the table ends.
        table_end: u64,
    },
    /// A payload that ends past the bundle's total size.
    OutOfBounds {
        /// The entry.
        entry: EntryLabel,
        /// The offset.
        offset: u64,
        /// The size.
        size: u64,
        /// The bundle's total size.
        total: u64,
    },
    /// Two payloads share bytes.
    Overlap {
        /// One entry.
        entry: EntryLabel,
        /// The other entry's index.
        other: usize,
    },
    /// A payload whose SHA-256 is not the one in the table.
    HashMismatch {
        /// The entry.
        entry: EntryLabel,
    },
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::format::{HEADER_SIZE, MAX_BUNDLE_SIZE, MAX_ENTRIES, MAX_PARTITIONS};
        f.write_str("bundle: ")?;
        match self {
            Self::TooShortForHeader { present } => write!(
                f,
                "truncated: {present} bytes present, the header alone is {HEADER_SIZE}"
            ),
            Self::Truncated {
                header_says,
                present,
            } => write!(
                f,
                "truncated: header says {header_says} bytes, {present} present"
            ),
            Self::BadMagic { found } => write!(
                f,
                "bad magic {:02x?} (expected \"BULKHEAD\"): not a bundle",
                found
            ),
            Self::UnsupportedVersion { found } => write!(
                f,
                "format version {found} is not supported (this reader knows version {})",
                crate::format::VERSION
            ),
            Self::BadHeaderSize { found } => {
                write!(f, "header size {found}, version 1 has {HEADER_SIZE}")
            }
            Self::BadEntrySize { found } => write!(
                f,
                "entry size {found}, version 1 has {}",
                crate::format::ENTRY_SIZE
            ),
            Self::TooManyEntries { count } => {
                write!(f, "{count} entries, at most {MAX_ENTRIES} allowed")
            }
            Self::TooLarge { size } => {
                write!(f, "{size} bytes, at most {MAX_BUNDLE_SIZE} allowed")
            }
            Self::TotalSmallerThanTable { total, table_end } => write!(
                f,
                "header says {total} bytes in all, but the entry table alone ends at {table_end}"
            ),
            Self::TableHashMismatch => {
                f.write_str("sha-256 over the header and entry table mismatch: table corrupt")
            }
            Self::UnknownKind { entry, found } => write!(f, "{entry}: unknown kind {found}"),
            Self::ReservedNotZero { entry } => {
                write!(f, "{entry}: reserved bytes are not zero")
            }
            Self::BadPartition { entry } => match entry.kind.map(Kind::partition_rule) {
                Some(crate::format::PartitionRule::Never) => {
                    write!(f, "{entry}: this kind belongs to no partition")
                }
                _ => write!(f, "{entry}: this kind must name a partition"),
            },
            Self::PartitionOutOfRange { entry } => write!(
                f,
                "{entry}: partition index out of range (at most {})",
                MAX_PARTITIONS.saturating_sub(1)
            ),
            Self::Duplicate { entry, first } => {
                write!(f, "{entry}: repeats entry {first} (same kind and partition)")
            }
            Self::Empty { entry } => write!(f, "{entry}: empty payload"),
            Self::Misaligned { entry, offset } => write!(
                f,
                "{entry}: offset {offset:#x} is not 4 KiB aligned"
            ),
            Self::InsideTable {
                entry,
                offset,
                table_end,
            } => write!(
                f,
                "{entry}: offset {offset:#x} lies inside the header and table (which end at {table_end:#x})"
            ),
            Self::OutOfBounds {
                entry,
                offset,
                size,
                total,
            } => write!(
                f,
                "{entry}: [{offset:#x}, +{size:#x}) runs past the end of the bundle ({total:#x} bytes)"
            ),
            Self::Overlap { entry, other } => {
                write!(f, "{entry}: payload overlaps entry {other}'s")
            }
            Self::HashMismatch { entry } => write!(f, "{entry}: sha-256 mismatch"),
        }
    }
}

impl core::error::Error for BundleError {}
