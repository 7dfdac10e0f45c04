//! The numbers that define format version 1. Every offset here is in bytes
//! from the start of the bundle or of the structure named; every field is
//! little-endian.

use core::fmt;

/// The first eight bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"BULKHEAD";
/// The format version this crate writes and reads.
pub const VERSION: u32 = 1;
/// Size of the header; the entry table starts right after it.
pub const HEADER_SIZE: usize = 64;
/// Size of one entry of the table.
pub const ENTRY_SIZE: usize = 64;
/// Payloads start on multiples of this (a stage-2 and stage-1 page).
pub const PAYLOAD_ALIGN: u64 = 4096;
/// Most entries a bundle may have.
pub const MAX_ENTRIES: usize = 64;
/// Largest bundle accepted (2 GiB): bounds every size and offset.
pub const MAX_BUNDLE_SIZE: u64 = 2 << 30;
/// Partition indices run from 0 to this bound, exclusive.
pub const MAX_PARTITIONS: u32 = 64;
/// The partition field of an entry that belongs to no partition.
pub const NO_PARTITION: u32 = u32::MAX;

/// Header field offsets.
pub mod header {
    /// `[u8; 8]`: [`super::MAGIC`].
    pub const MAGIC: usize = 0;
    /// `u32`: [`super::VERSION`].
    pub const VERSION: usize = 8;
    /// `u32`: [`super::HEADER_SIZE`].
    pub const HEADER_SIZE: usize = 12;
    /// `u64`: the whole bundle, header to the end of the last payload's
    /// padding.
    pub const TOTAL_SIZE: usize = 16;
    /// `u32`: number of table entries.
    pub const ENTRY_COUNT: usize = 24;
    /// `u32`: [`super::ENTRY_SIZE`].
    pub const ENTRY_SIZE: usize = 28;
    /// `[u8; 32]`: SHA-256 over header bytes `0..32` followed by the table.
    pub const TABLE_SHA256: usize = 32;
    /// Bytes of the header the table hash covers.
    pub const HASHED: usize = 32;
}

/// Entry field offsets, from the start of the entry.
pub mod entry {
    /// `u32`: [`super::Kind`] as a number.
    pub const KIND: usize = 0;
    /// `u32`: partition index, or [`super::NO_PARTITION`].
    pub const PARTITION: usize = 4;
    /// `u64`: payload offset from the start of the bundle.
    pub const OFFSET: usize = 8;
    /// `u64`: payload size in bytes.
    pub const SIZE: usize = 16;
    /// `[u8; 32]`: SHA-256 of the payload.
    pub const SHA256: usize = 24;
    /// `[u8; 8]`: reserved, zero.
    pub const RESERVED: usize = 56;
}

/// What an entry's payload is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Kind {
    /// The encoded partition configuration (`bulkhead-config`). Belongs to
    /// no partition.
    Config,
    /// A Linux kernel (arm64 Image) for one partition.
    Kernel,
    /// A Linux initial ramdisk for one partition.
    Ramdisk,
    /// A device tree: a partition's, or with no partition, a tree for the
    /// hypervisor itself when the boot loader hands none over.
    Dtb,
    /// A bare-metal image for one partition.
    BareMetalImage,
}

impl Kind {
    /// Every kind, in number order.
    pub const ALL: [Kind; 5] = [
        Kind::Config,
        Kind::Kernel,
        Kind::Ramdisk,
        Kind::Dtb,
        Kind::BareMetalImage,
    ];

    /// The number stored in the table.
    pub const fn number(self) -> u32 {
        match self {
            Kind::Config => 1,
            Kind::Kernel => 2,
            Kind::Ramdisk => 3,
            Kind::Dtb => 4,
            Kind::BareMetalImage => 5,
        }
    }

    /// The kind a table number stands for, if any.
    pub fn from_number(n: u32) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.number() == n)
    }

    /// Whether entries of this kind must, may or must not name a partition.
    pub const fn partition_rule(self) -> PartitionRule {
        match self {
            Kind::Config => PartitionRule::Never,
            Kind::Kernel | Kind::Ramdisk | Kind::BareMetalImage => PartitionRule::Always,
            Kind::Dtb => PartitionRule::Either,
        }
    }
}

/// How an entry kind relates to partitions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PartitionRule {
    /// The entry belongs to the whole system.
    Never,
    /// The entry belongs to exactly one partition.
    Always,
    /// Either.
    Either,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Config => "config",
            Kind::Kernel => "kernel",
            Kind::Ramdisk => "ramdisk",
            Kind::Dtb => "dtb",
            Kind::BareMetalImage => "bare-metal image",
        })
    }
}

/// Rounds `n` up to the payload alignment, or `None` on overflow.
pub fn align_up(n: u64) -> Option<u64> {
    let mask = PAYLOAD_ALIGN.checked_sub(1)?;
    n.checked_add(mask).map(|v| v & !mask)
}
