//! Why a configuration was refused. Every error names where it is (the
//! partition and the field) and what it conflicts with, for example:
//!
//! ```text
//! partition "rtos": memory[1]: [0x48000000..0x48100000) overlaps partition "linux0" memory[0] [0x48000000..0x50000000)
//! ```
//!
//! Validation reports every error it finds ([`ConfigErrors`]), not just the
//! first.

mod kind;
mod message;

pub use kind::ErrorKind;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A partition in messages: `partition "linux0"`, or `partition #2` when
/// it has no usable name.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PartRef {
    /// Position in the file.
    pub index: usize,
    /// The name as written (possibly empty).
    pub name: String,
}

impl fmt::Display for PartRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "partition #{}", self.index)
        } else {
            write!(f, "partition {:?}", self.name)
        }
    }
}

/// A field of a partition: `partition "linux0" memory[0]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Place {
    /// The partition.
    pub part: PartRef,
    /// The field, such as `memory[0]` or `devices[2]`.
    pub field: String,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.part, self.field)
    }
}

/// Where an error is.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Location {
    /// The configuration as a whole.
    System,
    /// A key of `[hypervisor]`.
    Hypervisor(&'static str),
    /// A field of a partition.
    Partition(Place),
}

/// One thing wrong with a configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ConfigError {
    /// Where.
    pub at: Location,
    /// What.
    pub kind: ErrorKind,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Location::System => write!(f, "{}", self.kind),
            Location::Hypervisor(field) => write!(f, "[hypervisor] {field}: {}", self.kind),
            Location::Partition(place) if place.field.is_empty() => {
                write!(f, "{}: {}", place.part, self.kind)
            }
            Location::Partition(place) => {
                write!(f, "{}: {}: {}", place.part, place.field, self.kind)
            }
        }
    }
}

impl core::error::Error for ConfigError {}

/// Every error found in a configuration, in the order found. Never empty.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ConfigErrors(pub(crate) Vec<ConfigError>);

impl ConfigErrors {
    /// The errors.
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `ConfigErrors` holds at least one error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any error is of the kind `pred` accepts.
    pub fn any(&self, pred: impl Fn(&ErrorKind) -> bool) -> bool {
        self.0.iter().any(|e| pred(&e.kind))
    }
}

impl fmt::Display for ConfigErrors {
    /// One error per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl core::error::Error for ConfigErrors {}
