//! Partition snapshots: the slot format and the state it carries.
//!
//! A slot is a range of hypervisor RAM set aside per partition
//! (`snapshot_slots` in the configuration). `SnapshotWriter` fills one,
//! section by section, from a paused partition; `Snapshot::parse` checks
//! one completely (magic, version, lengths, header checksum, section
//! table, padding, every section's checksum, every state section's
//! decoding), and `Snapshot::parse_state_with` all of that but the memory
//! sections, which a restore checks as it copies them. The byte layout is
//! in [`layout`]; the checksums are CRC-32C ([`hash`]); time across a
//! restore follows [`restored_cntvoff`]. Each state structure has `save`/`restore`
//! with an explicit little-endian, versioned encoding, as Firecracker's
//! `persist.rs` files do.
//!
//! What a snapshot does not hold: passthrough devices' state (their
//! registers belong to the hardware, not to the hypervisor), physical
//! interrupts in flight, anything outside the partition's memory regions.

pub(crate) mod bytes;
mod error;
mod gic_cpu;
pub mod hash;
pub mod layout;
mod reader;
mod sysregs;
mod timer;
mod vcpu;
mod writer;

pub use error::{SnapshotError, StateError};
pub use gic_cpu::{GicCpuState, GicVersion, MAX_LIST_REGISTERS_V2, MAX_LIST_REGISTERS_V3};
pub use hash::{crc32c, Crc32cFn};
pub use layout::{slot_len_for, MemoryRegion, SectionKind};
pub use reader::{Snapshot, Summary};
pub use sysregs::El1SysRegs;
pub use timer::restored_cntvoff;
pub use vcpu::{FpState, TimerState, VcpuState};
pub use writer::{SnapshotInfo, SnapshotWriter};
