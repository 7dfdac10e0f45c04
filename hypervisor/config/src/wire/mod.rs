//! The binary form of a configuration, as stored in the boot bundle.
//!
//! It carries the raw form ([`crate::RawSystem`]), not the checked one: the
//! hypervisor decodes it and validates it again against the device tree the
//! board really handed over, so a [`crate::SystemConfig`] on the target is
//! always the product of validation there. What the host tool encodes is
//! [`crate::SystemConfig::encode`], the pinned form with every choice made,
//! so the board cannot quietly choose differently.
//!
//! Layout (little-endian), version 2:
//!
//! ```text
//! header   magic "BKHDCONF" (8 bytes), version u32 = 2, body length u32
//! body     hypervisor.console  opt<str>
//!          partition count     u32, then per partition:
//!            name str, cpus opt<list<str>>, mpidrs opt<list<u64>>,
//!            memory list<{ size u64, base opt<u64>, identity opt<bool>,
//!                          guest_base opt<u64> }>,
//!            devices list<str>, kernel str, ramdisk opt<str>, dtb opt<str>,
//!            bootargs opt<str>, boot_protocol u8 (0 linux, 1 bare-metal),
//!            entry_offset opt<u64>, console opt<str>,
//!            on_fault u8 (0 stop, 1 restart, 2 inject-abort),
//!            restart opt<{ max u32, window_ms u64, min_uptime_ms u64 }>,
//!            watchdog_ms opt<u64>, manager bool, snapshot_slots u32,
//!            reset_on_restore list<str>
//! str      u32 byte length, UTF-8 bytes
//! opt<T>   u8 0 (absent) or 1 followed by T
//! list<T>  u32 count, then the items
//! bool     u8 0 or 1
//! ```
//!
//! Every count and length is bounded by [`crate::limits`]; the body must
//! end exactly where the header says.

mod error;
mod reader;
mod writer;

pub use error::DecodeError;
pub use reader::decode;
pub use writer::encode_raw;

/// First eight bytes of an encoded configuration.
pub const MAGIC: [u8; 8] = *b"BKHDCONF";
/// The encoding's version: 2 added `reset_on_restore`. A bundle always
/// carries the encoding of the host tool built with the hypervisor, so an
/// older version is refused rather than read.
pub const VERSION: u32 = 2;
/// Size of the header: magic, version, body length.
pub const HEADER_SIZE: usize = 16;
