//! What can go wrong writing or reading a snapshot. Every variant reads as
//! a message (`Display`), because an operator sees it.

use super::SectionKind;
use core::fmt;

/// Decoding one state structure (a vCPU's registers, a GIC CPU interface).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateError {
    /// Fewer bytes than the structure needs.
    Truncated { needed: usize, found: usize },
    /// More bytes than the structure has.
    TrailingBytes { extra: usize },
    /// A format version this build does not read.
    UnsupportedVersion { found: u16, supported: u16 },
    /// A field with a value the structure cannot hold.
    Invalid(&'static str),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Truncated { needed, found } => {
                write!(f, "truncated: {found} bytes, {needed} needed")
            }
            StateError::TrailingBytes { extra } => write!(f, "{extra} bytes too many"),
            StateError::UnsupportedVersion { found, supported } => {
                write!(f, "format version {found}, this build reads {supported}")
            }
            StateError::Invalid(what) => write!(f, "invalid {what}"),
        }
    }
}

/// Writing or reading a snapshot slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// The slot cannot hold the snapshot.
    SlotTooSmall {
        needed: u64,
        available: u64,
    },
    /// The slot is all zeros where the header should be: nothing saved.
    EmptySlot,
    /// The slot is shorter than a header.
    TooShort {
        len: usize,
    },
    /// The slot does not start with `BKSNAP01`.
    BadMagic,
    UnsupportedVersion {
        found: u32,
        supported: u32,
    },
    /// The header's total length does not fit the slot or the header.
    BadLength {
        total: u64,
        slot: u64,
    },
    /// The header and tables do not match their checksum.
    HeaderChecksum {
        stored: u32,
        computed: u32,
    },
    /// A section's bytes do not match the CRC-32C its table entry records
    /// (for a memory region, found while or after copying it).
    SectionChecksum {
        kind: SectionKind,
        index: u16,
        stored: u32,
        computed: u32,
    },
    /// A padding byte between sections is not zero.
    BadPadding {
        at: u64,
    },
    /// A header field out of range.
    BadHeader(&'static str),
    /// Section `index` of the table is not what the format requires there.
    BadSection {
        index: usize,
        problem: &'static str,
    },
    /// A count over this build's limit.
    TooMany {
        what: &'static str,
        count: usize,
        max: usize,
    },
    /// The partition name is empty, too long, or not printable ASCII.
    BadName,
    /// The writer was given a section out of the canonical order.
    OutOfOrder {
        expected: Option<(SectionKind, u16)>,
        got: (SectionKind, u16),
    },
    /// A section's length is not the one the header implies (a memory
    /// region's size) or is over the limit for state sections.
    BadSectionLength {
        kind: SectionKind,
        index: u16,
        len: u64,
    },
    /// `finish` before every section was written.
    Incomplete {
        next: (SectionKind, u16),
    },
    /// A state section does not decode.
    State {
        kind: SectionKind,
        index: u16,
        error: StateError,
    },
    /// The snapshot does not fit the partition it is restored into.
    Mismatch(&'static str),
    /// The operation is not available where it was asked for.
    Unsupported(&'static str),
    /// A restore of a slot taken of a stopped partition: no vCPU in it was
    /// running, so there is nothing to resume.
    NothingToResume,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SnapshotError as E;
        match self {
            E::SlotTooSmall { needed, available } => write!(
                f,
                "slot too small: the snapshot needs {needed} bytes, the slot has {available}"
            ),
            E::EmptySlot => write!(f, "empty slot: no snapshot was saved there"),
            E::TooShort { len } => write!(f, "corrupt slot: {len} bytes, shorter than a header"),
            E::BadMagic => write!(f, "corrupt slot: no BKSNAP01 magic"),
            E::UnsupportedVersion { found: 1, supported } => write!(
                f,
                "version 1 slot: written by an earlier Bulkhead in a format this one does \
                 not read (it reads version {supported}); take a new snapshot"
            ),
            E::UnsupportedVersion { found, supported } => write!(
                f,
                "snapshot format version {found}, this hypervisor reads {supported}"
            ),
            E::BadLength { total, slot } => write!(
                f,
                "corrupt slot: snapshot length {total} does not fit the slot of {slot} bytes"
            ),
            E::HeaderChecksum { stored, computed } => write!(
                f,
                "corrupt slot: header CRC-32C {computed:#010x}, the header says {stored:#010x}"
            ),
            E::SectionChecksum {
                kind: SectionKind::Memory,
                index,
                stored,
                computed,
            } => write!(
                f,
                "corrupt slot: memory region {index}: CRC-32C {computed:#010x}, the slot's table says {stored:#010x}"
            ),
            E::SectionChecksum {
                kind,
                index,
                stored,
                computed,
            } => write!(
                f,
                "corrupt slot: section {} {index}: CRC-32C {computed:#010x}, the slot's table says {stored:#010x}",
                kind.name()
            ),
            E::BadPadding { at } => write!(f, "corrupt slot: padding byte {at} is not zero"),
            E::BadHeader(what) => write!(f, "corrupt slot: header: {what}"),
            E::BadSection { index, problem } => {
                write!(f, "corrupt slot: section {index}: {problem}")
            }
            E::TooMany { what, count, max } => write!(f, "{count} {what}, at most {max}"),
            E::BadName => write!(f, "partition name must be 1 to 32 bytes of printable ASCII"),
            E::OutOfOrder { expected, got } => match expected {
                Some((k, i)) => write!(
                    f,
                    "section {} {} written where {} {} comes",
                    got.0.name(),
                    got.1,
                    k.name(),
                    i
                ),
                None => write!(
                    f,
                    "section {} {} written after the last one",
                    got.0.name(),
                    got.1
                ),
            },
            E::BadSectionLength { kind, index, len } => write!(
                f,
                "section {} {}: {len} bytes is not a valid length",
                kind.name(),
                index
            ),
            E::Incomplete { next } => write!(
                f,
                "snapshot incomplete: section {} {} not written",
                next.0.name(),
                next.1
            ),
            E::State { kind, index, error } => write!(
                f,
                "corrupt slot: section {} {}: {error}",
                kind.name(),
                index
            ),
            E::Mismatch(what) => write!(f, "snapshot does not fit this partition: {what}"),
            E::Unsupported(what) => write!(f, "not supported here: {what}"),
            E::NothingToResume => write!(
                f,
                "the slot was taken of a stopped partition: no vCPU in it was running, so there is nothing to resume (start boots the partition from its images)"
            ),
        }
    }
}
