//! One entry of the table: its 64 bytes, and the checked view handed out.

use crate::error::{BundleError, EntryLabel};
use crate::format::{entry as at, Kind, PartitionRule, ENTRY_SIZE, MAX_PARTITIONS, NO_PARTITION};
use crate::hash::{sha256, Sha256Digest};
use crate::le;

/// An entry as stored: the fields with nothing checked yet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct TableEntry {
    pub kind: u32,
    pub partition: u32,
    pub offset: u64,
    pub size: u64,
    pub sha256: Sha256Digest,
    pub reserved: [u8; 8],
}

impl TableEntry {
    /// Reads the entry from exactly [`ENTRY_SIZE`] bytes.
    pub(crate) fn read(raw: &[u8]) -> Option<TableEntry> {
        if raw.len() != ENTRY_SIZE {
            return None;
        }
        Some(TableEntry {
            kind: le::u32_at(raw, at::KIND)?,
            partition: le::u32_at(raw, at::PARTITION)?,
            offset: le::u64_at(raw, at::OFFSET)?,
            size: le::u64_at(raw, at::SIZE)?,
            sha256: le::bytes::<32>(raw, at::SHA256)?,
            reserved: le::bytes::<8>(raw, at::RESERVED)?,
        })
    }

    pub(crate) fn to_bytes(self) -> [u8; ENTRY_SIZE] {
        let mut out = [0u8; ENTRY_SIZE];
        le::put(&mut out, at::KIND, &self.kind.to_le_bytes());
        le::put(&mut out, at::PARTITION, &self.partition.to_le_bytes());
        le::put(&mut out, at::OFFSET, &self.offset.to_le_bytes());
        le::put(&mut out, at::SIZE, &self.size.to_le_bytes());
        le::put(&mut out, at::SHA256, &self.sha256);
        le::put(&mut out, at::RESERVED, &self.reserved);
        out
    }

    pub(crate) fn partition(&self) -> Option<u32> {
        (self.partition != NO_PARTITION).then_some(self.partition)
    }

    pub(crate) fn label(&self, index: usize) -> EntryLabel {
        EntryLabel {
            index,
            kind: Kind::from_number(self.kind),
            partition: self.partition(),
        }
    }

    /// The checks that need nothing but the entry itself: a known kind,
    /// a partition that fits the kind, zero reserved bytes, a non-empty
    /// payload.
    pub(crate) fn check_alone(&self, index: usize) -> Result<Kind, BundleError> {
        let entry = self.label(index);
        let kind = Kind::from_number(self.kind).ok_or(BundleError::UnknownKind {
            entry,
            found: self.kind,
        })?;
        check_partition(kind, self.partition(), entry)?;
        if self.reserved != [0; 8] {
            return Err(BundleError::ReservedNotZero { entry });
        }
        if self.size == 0 {
            return Err(BundleError::Empty { entry });
        }
        Ok(kind)
    }
}

/// Whether `partition` suits `kind`. Shared by the reader and the builder.
pub(crate) fn check_partition(
    kind: Kind,
    partition: Option<u32>,
    entry: EntryLabel,
) -> Result<(), BundleError> {
    let fits = match (kind.partition_rule(), partition) {
        (PartitionRule::Never, Some(_)) | (PartitionRule::Always, None) => false,
        (PartitionRule::Never, None)
        | (PartitionRule::Always, Some(_))
        | (PartitionRule::Either, _) => true,
    };
    if !fits {
        return Err(BundleError::BadPartition { entry });
    }
    if partition.is_some_and(|p| p >= MAX_PARTITIONS) {
        return Err(BundleError::PartitionOutOfRange { entry });
    }
    Ok(())
}

/// A payload of a parsed bundle. Its bounds were checked by
/// [`crate::Bundle::parse`]; its contents are not trusted until
/// [`Entry::verify`] says so.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Entry<'a> {
    pub(crate) index: usize,
    pub(crate) kind: Kind,
    pub(crate) partition: Option<u32>,
    pub(crate) offset: u64,
    pub(crate) sha256: Sha256Digest,
    pub(crate) payload: &'a [u8],
}

impl<'a> Entry<'a> {
    /// Position in the table.
    pub fn index(&self) -> usize {
        self.index
    }

    /// What the payload is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The partition (index into the configuration's partitions) this
    /// entry belongs to, or `None` for system-wide entries.
    pub fn partition(&self) -> Option<u32> {
        self.partition
    }

    /// Offset of the payload from the start of the bundle.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Payload size in bytes.
    pub fn size(&self) -> u64 {
        self.payload.len() as u64
    }

    /// The SHA-256 the table gives for the payload.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// The payload, checked against its SHA-256. Use this, not
    /// [`Entry::unverified_payload`], for anything that will run.
    pub fn verify(&self) -> Result<&'a [u8], BundleError> {
        self.verify_with(&sha256)
    }

    /// [`Entry::verify`] with the caller's SHA-256: `hash` must return the
    /// SHA-256 of the bytes it is given (the hypervisor passes one that
    /// uses the CPU's SHA-256 instructions when the core has them). The
    /// payload is accepted only if that digest equals the table's.
    pub fn verify_with(&self, hash: &dyn Fn(&[u8]) -> [u8; 32]) -> Result<&'a [u8], BundleError> {
        if hash(self.payload) == self.sha256 {
            Ok(self.payload)
        } else {
            Err(BundleError::HashMismatch {
                entry: self.label(),
            })
        }
    }

    /// The payload without checking its hash (for tools that show a bundle).
    pub fn unverified_payload(&self) -> &'a [u8] {
        self.payload
    }

    /// How messages name this entry.
    pub fn label(&self) -> EntryLabel {
        EntryLabel {
            index: self.index,
            kind: Some(self.kind),
            partition: self.partition,
        }
    }
}
