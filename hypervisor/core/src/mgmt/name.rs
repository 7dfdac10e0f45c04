//! Partition names as management commands take them.

use alloc::string::String;
use core::fmt;

/// The longest name (the configuration's limit).
pub const NAME_MAX: usize = 32;

/// A checked name: 1 to 32 bytes of printable ASCII without spaces. (The
/// configuration allows fewer characters; anything it allows passes here.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionName(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong {
        len: usize,
    },
    /// A byte that is not printable ASCII (or a space).
    NotPrintable {
        byte: u8,
    },
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => write!(f, "empty partition name"),
            NameError::TooLong { len } => {
                write!(f, "partition name {len} bytes long, at most {NAME_MAX}")
            }
            NameError::NotPrintable { byte } => {
                write!(f, "partition name contains byte {byte:#04x}, not printable")
            }
        }
    }
}

impl PartitionName {
    pub fn new(name: &str) -> Result<Self, NameError> {
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if name.len() > NAME_MAX {
            return Err(NameError::TooLong { len: name.len() });
        }
        if let Some(byte) = name.bytes().find(|b| !b.is_ascii_graphic()) {
            return Err(NameError::NotPrintable { byte });
        }
        Ok(PartitionName(String::from(name)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartitionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
