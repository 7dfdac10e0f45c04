//! The boot bundle: one file holding everything a Bulkhead system boots
//! from — the checked partition configuration, each partition's kernel or
//! bare-metal image, ramdisks and device trees — with a SHA-256 per payload.
//!
//! QEMU loads it beside the hypervisor (`-device loader,file=...,addr=...`);
//! the Raspberry Pi firmware loads it as the initramfs. The format is
//! described byte by byte in `docs/bundle-format.md`:
//!
//! * a 64-byte [header](format) (magic `BULKHEAD`, version, sizes, and a
//!   SHA-256 over the header's first 32 bytes and the entry table),
//! * a table of 64-byte entries (kind, partition, offset, size, SHA-256),
//! * payloads, each starting on a 4 KiB boundary.
//!
//! [`BundleBuilder`] writes one; [`Bundle::parse`] reads one back, checking
//! every size and offset against the bytes really present before it hands
//! out a payload. Parsing checks the table's hash but not the payloads':
//! call [`Entry::verify`] before using an image (the hypervisor checks every
//! image before booting it).
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

mod builder;
mod entry;
mod error;
pub mod format;
mod hash;
mod header;
mod le;
mod reader;

pub use builder::BundleBuilder;
pub use entry::Entry;
pub use error::{BundleError, EntryLabel};
pub use format::Kind;
pub use reader::Bundle;

#[cfg(test)]
mod tests;
