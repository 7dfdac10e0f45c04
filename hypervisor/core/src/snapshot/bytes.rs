//! Little-endian encoding helpers: an appender over a `Vec<u8>` for `save`,
//! and a cursor over a byte slice for `restore` that never reads past the
//! end.

use super::StateError;
use alloc::vec::Vec;

/// Appends little-endian values.
pub(crate) struct Enc<'a>(pub(crate) &'a mut Vec<u8>);

impl Enc<'_> {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u128(&mut self, v: u128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
}

/// Reads little-endian values; every read checks the length.
pub(crate) struct Dec<'a> {
    bytes: &'a [u8],
    /// The whole input's length, for messages.
    total: usize,
}

impl<'a> Dec<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Dec {
            bytes,
            total: bytes.len(),
        }
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], StateError> {
        match self.bytes.split_first_chunk::<N>() {
            Some((head, rest)) => {
                self.bytes = rest;
                Ok(*head)
            }
            None => Err(StateError::Truncated {
                needed: self
                    .total
                    .saturating_sub(self.bytes.len())
                    .saturating_add(N),
                found: self.total,
            }),
        }
    }

    pub(crate) fn u8(&mut self) -> Result<u8, StateError> {
        self.take().map(u8::from_le_bytes)
    }
    pub(crate) fn u16(&mut self) -> Result<u16, StateError> {
        self.take().map(u16::from_le_bytes)
    }
    pub(crate) fn u32(&mut self) -> Result<u32, StateError> {
        self.take().map(u32::from_le_bytes)
    }
    pub(crate) fn u64(&mut self) -> Result<u64, StateError> {
        self.take().map(u64::from_le_bytes)
    }
    pub(crate) fn u128(&mut self) -> Result<u128, StateError> {
        self.take().map(u128::from_le_bytes)
    }

    /// Reads the version and refuses any other than `supported`.
    pub(crate) fn version(&mut self, supported: u16) -> Result<(), StateError> {
        let found = self.u16()?;
        if found == supported {
            Ok(())
        } else {
            Err(StateError::UnsupportedVersion { found, supported })
        }
    }

    /// Refuses bytes left over.
    pub(crate) fn end(self) -> Result<(), StateError> {
        match self.bytes.len() {
            0 => Ok(()),
            extra => Err(StateError::TrailingBytes { extra }),
        }
    }
}
