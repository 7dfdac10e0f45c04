//! Partition configuration.
//!
//! A system is described by one TOML file ([`RawSystem`], schema in
//! `docs/configuration.md`). [`validate`] checks it against the board
//! ([`bulkhead_core::hw::Hardware`], from the device tree) and the
//! hypervisor's own [`Constraints`], places memory, and returns either a
//! [`SystemConfig`] — which nothing else can build — or every error found
//! ([`ConfigErrors`]).
//!
//! The host tool encodes the checked configuration into the boot bundle
//! ([`SystemConfig::encode`]); the hypervisor decodes it ([`decode`]) into
//! the raw form and validates it again against the device tree the board
//! really handed over. A [`SystemConfig`] therefore always means "checked
//! against this board", on either side.
//!
//! The crate is `no_std` + `alloc`; the `host` feature adds TOML parsing
//! and file loading.
#![cfg_attr(not(any(test, feature = "host")), no_std)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
#![warn(missing_docs)]

extern crate alloc;

mod checked;
mod constraints;
pub mod error;
pub mod limits;
mod pin;
pub mod raw;
mod size;
#[cfg(any(test, feature = "host"))]
mod toml;
mod validate;
mod wire;

pub use checked::{
    AssignedCpu, Boot, Console, ConsoleUart, FaultPolicy, Images, MemoryRegion, PartitionConfig,
    PassthroughDevice, ResetMethod, RestartPolicy, SnapshotStore, SystemConfig,
};
pub use constraints::{Constraints, KeepOut};
pub use error::{ConfigError, ConfigErrors, ErrorKind};
pub use raw::{
    BootProtocol, FaultAction, RawHypervisor, RawMemory, RawPartition, RawRestart, RawSystem,
};
pub use size::{parse_size, ByteSize, SizeError};
#[cfg(any(test, feature = "host"))]
pub use toml::ParseError;
pub use validate::validate;
pub use wire::{decode, encode_raw, DecodeError};

#[cfg(test)]
mod tests;
