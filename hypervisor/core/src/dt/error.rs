//! Why a device tree was refused. Every variant reads as a message when
//! displayed, prefixed with "device tree:" so a boot log line says where it
//! comes from.

use alloc::string::String;
use core::fmt;

/// Size of the flattened device tree header in bytes.
pub const HEADER_LEN: usize = 40;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DtError {
    /// The blob is shorter than the header.
    Truncated {
        len: usize,
    },
    BadMagic(u32),
    /// A format version this parser does not read (it needs 17, the
    /// version that carries `size_dt_struct`).
    Version {
        version: u32,
        last_compatible: u32,
    },
    /// `totalsize` is smaller than the header or larger than the bytes given.
    TotalSize {
        totalsize: u32,
        available: usize,
    },
    /// A block the header points at lies outside `totalsize`.
    Block {
        block: &'static str,
        offset: u32,
        size: u32,
        totalsize: u32,
    },
    /// The structure block is not a well-formed token stream.
    Structure {
        offset: usize,
        problem: &'static str,
    },
    /// The tree goes past one of the parser's size limits (which keep the
    /// memory a hostile tree can make it allocate small).
    Limit {
        what: &'static str,
        limit: usize,
    },
    /// The /memreserve/ list runs to the end of the blob without its
    /// terminating zero entry.
    MemReserve {
        offset: u32,
    },
    NoCpus,
    NoCpuNodes,
    NoMemory,
    /// A property has the wrong number of 32-bit cells.
    Cells {
        path: String,
        property: &'static str,
        cells: usize,
        expected: &'static str,
    },
    /// A property's length is not a whole number of entries.
    Length {
        path: String,
        property: &'static str,
        len: usize,
        unit: usize,
    },
    /// A property holds a number that makes no sense where it is.
    Value {
        path: String,
        property: &'static str,
        value: u64,
        problem: &'static str,
    },
    /// A property the node cannot do without is absent.
    Missing {
        path: String,
        property: &'static str,
    },
    /// A property holds something other than what its binding allows.
    Invalid {
        path: String,
        property: &'static str,
        problem: &'static str,
    },
}

impl fmt::Display for DtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("device tree: ")?;
        match self {
            DtError::Truncated { len } => write!(
                f,
                "blob is {len} bytes, smaller than the {HEADER_LEN}-byte header"
            ),
            DtError::BadMagic(magic) => {
                write!(f, "bad magic {magic:#x} (expected 0xd00dfeed)")
            }
            DtError::Version {
                version,
                last_compatible,
            } => write!(
                f,
                "format version {version} (last compatible {last_compatible}) is not supported, \
                 version 17 is"
            ),
            DtError::TotalSize {
                totalsize,
                available,
            } => write!(
                f,
                "header says the blob is {totalsize} bytes but {available} are given"
            ),
            DtError::Block {
                block,
                offset,
                size,
                totalsize,
            } => write!(
                f,
                "{block} block at {offset:#x} ({size} bytes) lies outside the {totalsize}-byte blob"
            ),
            DtError::Structure { offset, problem } => {
                write!(f, "structure block offset {offset:#x}: {problem}")
            }
            DtError::Limit { what, limit } => write!(f, "more than {limit} {what}"),
            DtError::MemReserve { offset } => write!(
                f,
                "memory reservation block at {offset:#x} has no terminating entry"
            ),
            DtError::NoCpus => f.write_str("no /cpus node"),
            DtError::NoCpuNodes => f.write_str("/cpus has no cpu nodes"),
            DtError::NoMemory => f.write_str("no memory node with a non-empty reg"),
            DtError::Cells {
                path,
                property,
                cells,
                expected,
            } => write!(
                f,
                "{path}: {property} has {cells} cells, expected {expected}"
            ),
            DtError::Length {
                path,
                property,
                len,
                unit,
            } => write!(
                f,
                "{path}: {property} is {len} bytes, not a multiple of {unit}"
            ),
            DtError::Value {
                path,
                property,
                value,
                problem,
            } => write!(f, "{path}: {property} {value:#x} {problem}"),
            DtError::Missing { path, property } => write!(f, "{path}: no {property} property"),
            DtError::Invalid {
                path,
                property,
                problem,
            } => write!(f, "{path}: {property} {problem}"),
        }
    }
}
