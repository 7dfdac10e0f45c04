//! What [`crate::generate`] returns: the blob, and what it left out of the
//! passed-through devices so the host tool can say so.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A property or subnode of a passed-through board node that the
/// partition's tree does not carry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Omitted {
    /// The device's path in the board's tree.
    pub device: String,
    /// The property name, or the subnode name followed by `/`.
    pub item: String,
    pub reason: &'static str,
}

impl fmt::Display for Omitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} left out: {}",
            self.device, self.item, self.reason
        )
    }
}

/// A partition's device tree.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct GuestDt {
    /// The flattened device tree (DTB), version 17.
    pub dtb: Vec<u8>,
    /// Everything of the passed-through devices that was not copied.
    pub omitted: Vec<Omitted>,
}
