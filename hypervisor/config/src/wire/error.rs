//! Why an encoded configuration was refused.

use core::fmt;

/// A corrupt, truncated, oversized or foreign encoding.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DecodeError {
    /// Fewer bytes than a field needs.
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Byte offset of the field.
        at: usize,
    },
    /// Not `BKHDCONF`.
    BadMagic,
    /// An unknown version.
    UnsupportedVersion {
        /// The version found.
        found: u32,
    },
    /// The header's body length is not the number of bytes that follow.
    LengthMismatch {
        /// What the header says.
        header: u32,
        /// What is there.
        actual: usize,
    },
    /// A body over [`crate::limits::MAX_ENCODED`] bytes.
    TooLarge {
        /// The body length the header gives.
        size: u32,
    },
    /// Bytes left over after the last field.
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// A count over its bound.
    TooMany {
        /// The list.
        field: &'static str,
        /// The count found.
        count: u32,
        /// The bound.
        max: usize,
    },
    /// A string over its bound.
    TooLong {
        /// The string.
        field: &'static str,
        /// Its length.
        len: u32,
        /// The bound.
        max: usize,
    },
    /// A string that is not UTF-8.
    BadUtf8 {
        /// The string.
        field: &'static str,
    },
    /// A tag (option, boolean, enumeration) with an unknown value.
    BadTag {
        /// The field.
        field: &'static str,
        /// The value.
        value: u8,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("encoded configuration: ")?;
        match self {
            Self::Truncated { field, at } => {
                write!(f, "truncated: {field} at byte {at} runs past the end")
            }
            Self::BadMagic => f.write_str("bad magic (expected \"BKHDCONF\")"),
            Self::UnsupportedVersion { found } => write!(
                f,
                "version {found} is not supported (this reader knows version {})",
                super::VERSION
            ),
            Self::LengthMismatch { header, actual } => {
                write!(f, "header says {header} body bytes, {actual} present")
            }
            Self::TooLarge { size } => write!(
                f,
                "{size} body bytes, at most {}",
                crate::limits::MAX_ENCODED
            ),
            Self::TrailingBytes { count } => {
                write!(f, "{count} bytes left over after the last field")
            }
            Self::TooMany { field, count, max } => {
                write!(f, "{field}: {count} items, at most {max}")
            }
            Self::TooLong { field, len, max } => {
                write!(f, "{field}: {len} bytes long, at most {max}")
            }
            Self::BadUtf8 { field } => write!(f, "{field}: not UTF-8"),
            Self::BadTag { field, value } => write!(f, "{field}: unknown value {value}"),
        }
    }
}

impl core::error::Error for DecodeError {}
