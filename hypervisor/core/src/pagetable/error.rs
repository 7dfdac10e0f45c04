//! Why a table operation was refused.

use super::source::TableId;
use crate::addr::PhysAddr;
use core::fmt;

/// Every refusal of the page-table builder. A refused `map` or `unmap`
/// leaves the tables as they were.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Error {
    /// The size to map or unmap is zero.
    EmptyRange,
    /// `what` ("input address", "output address" or "size") is not a
    /// multiple of 4 KiB.
    Unaligned { what: &'static str, value: u64 },
    /// The input range `[start, start + size)` does not fit below `limit`
    /// (`size` may also overflow).
    InputOutOfRange { start: u64, size: u64, limit: u64 },
    /// The output range does not fit below the output address size.
    OutputOutOfRange { start: u64, size: u64, limit: u64 },
    /// Part of the range is already mapped; `input` is where.
    AlreadyMapped { input: u64 },
    /// An unmap boundary falls inside a block or page mapped at `level`.
    SplitsBlock { input: u64, level: u8 },
    /// The table source has no table left.
    OutOfTables,
    /// The source gave a table at an unusable physical address: not 4 KiB
    /// aligned, beyond the output size, not where `table_at` says, or (for a
    /// concatenated stage-2 root) not contiguous and aligned to the group.
    BadTableAddress { pa: PhysAddr },
    /// A table descriptor holds an address the source does not know.
    UnknownTable { pa: PhysAddr },
    /// The source has no storage behind an id.
    MissingTable { id: TableId },
    /// A descriptor at `level` uses an encoding this builder never writes.
    Corrupt { level: u8, index: usize },
    /// Stage-2 IPA size outside what [`Stage2Config`](super::Stage2Config)
    /// supports (31 to 48 bits).
    UnsupportedIpaSize { bits: u8 },
    /// Stage-2 IPA size larger than the implemented physical address size,
    /// which the architecture makes a translation fault.
    IpaExceedsPaRange { ipa_bits: u8, pa_bits: u8 },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::EmptyRange => write!(f, "empty range"),
            Error::Unaligned { what, value } => {
                write!(f, "{what} {value:#x} is not 4 KiB aligned")
            }
            Error::InputOutOfRange { start, size, limit } => write!(
                f,
                "input range {start:#x} + {size:#x} goes beyond the input limit {limit:#x}"
            ),
            Error::OutputOutOfRange { start, size, limit } => write!(
                f,
                "output range {start:#x} + {size:#x} goes beyond the output limit {limit:#x}"
            ),
            Error::AlreadyMapped { input } => write!(f, "input address {input:#x} is already mapped"),
            Error::SplitsBlock { input, level } => write!(
                f,
                "unmap boundary near {input:#x} would split a level-{level} mapping"
            ),
            Error::OutOfTables => write!(f, "out of translation table memory"),
            Error::BadTableAddress { pa } => write!(f, "table source gave an unusable table at {pa}"),
            Error::UnknownTable { pa } => write!(f, "descriptor points to {pa}, unknown to the table source"),
            Error::MissingTable { id } => write!(f, "table source has no table {}", id.0),
            Error::Corrupt { level, index } => {
                write!(f, "reserved descriptor encoding at level {level}, entry {index}")
            }
            Error::UnsupportedIpaSize { bits } => {
                write!(f, "stage-2 IPA size of {bits} bits is not supported (31 to 48)")
            }
            Error::IpaExceedsPaRange { ipa_bits, pa_bits } => write!(
                f,
                "stage-2 IPA size of {ipa_bits} bits exceeds the {pa_bits}-bit physical address range"
            ),
        }
    }
}
