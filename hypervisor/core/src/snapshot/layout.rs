//! The slot format's header, region table and section table (version 2).
//!
//! ```text
//! offset size  field
//!  0      8    magic "BKSNAP01"
//!  8      4    version (2)
//! 12      4    header_len: 96 + 16 * regions + 32 * sections
//! 16      8    total_len: bytes of the whole snapshot, header included
//! 24      4    header_crc: CRC-32C of bytes [28, header_len)
//! 28      4    zero
//! 32      8    generation of the partition when saved
//! 40      8    counter_at_save: physical counter (CNTPCT) when saved
//! 48      4    counter_freq: CNTFRQ, Hz
//! 52      2    vcpu_count
//! 54      2    region_count
//! 56      2    device_count
//! 58      2    section_count: 2 * vcpus + 1 + devices + regions
//! 60      1    name_len
//! 61      3    zero
//! 64     32    name, zero-padded
//! 96           regions: guest_base u64, size u64
//!              sections: kind u16, zero u16, index u32, offset u64,
//!                        length u64, crc u32, zero u32
//! ```
//!
//! Every section has its own CRC-32C (`crc`, of its `length` bytes) in its
//! table entry, and the header checksum covers the tables: once the header
//! checks, every section's expected CRC is known, so a restore can check
//! the small state sections first and each memory region as it copies it
//! (one pass). Bytes [0, 24) are checked exactly (magic, version, and the
//! lengths, which must agree with the counts and the table).
//!
//! Sections come in one canonical order, the order the table lists them
//! and the order they lie in the slot: for each vCPU its state then its
//! GIC CPU interface, the distributor, the devices, the memory regions.
//! Each starts at the first boundary after the previous one ends: 16 bytes
//! for state sections, 4 KiB for memory. The padding must be zero (the
//! reader checks it), so every byte of a snapshot is covered by a checksum
//! or by an exact check.

use super::SnapshotError;

pub const MAGIC: [u8; 8] = *b"BKSNAP01";
pub const VERSION: u32 = 2;
pub const HEADER_FIXED_LEN: usize = 96;
pub const REGION_ENTRY_LEN: usize = 16;
pub const SECTION_ENTRY_LEN: usize = 32;
/// Where the header checksum field is.
pub const HEADER_CRC_AT: usize = 24;
/// The header checksum covers the header and tables from here on.
pub const HEADER_CRC_FROM: usize = 28;
pub const NAME_MAX: usize = 32;

/// Limits of this build (the configuration's: 16 cores, 8 regions, 64
/// devices per partition).
pub const MAX_VCPUS: usize = 16;
pub const MAX_REGIONS: usize = 8;
pub const MAX_DEVICES: usize = 64;
/// The largest state section (a vCPU, a GIC CPU interface, the
/// distributor, one device).
pub const MAX_STATE_SECTION: usize = 64 * 1024;
/// What a slot sets aside beyond the memory for header and state: the
/// configuration's "plus 64 KiB of vCPU and interrupt-controller state".
pub const STATE_AREA: u64 = 64 * 1024;

pub(crate) const STATE_ALIGN: usize = 16;
pub(crate) const MEMORY_ALIGN: usize = 4096;

/// What a section holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    /// A `VcpuState` (index: the vCPU).
    Vcpu,
    /// A `GicCpuState` (index: the vCPU).
    GicCpu,
    /// The distributor (and redistributors), opaque to this module.
    Distributor,
    /// One emulated device's state, opaque (index: the device).
    Device,
    /// A memory region's bytes (index: the region).
    Memory,
}

impl SectionKind {
    pub fn code(self) -> u16 {
        match self {
            SectionKind::Vcpu => 1,
            SectionKind::GicCpu => 2,
            SectionKind::Distributor => 3,
            SectionKind::Device => 4,
            SectionKind::Memory => 5,
        }
    }

    pub fn from_code(code: u16) -> Option<Self> {
        Some(match code {
            1 => SectionKind::Vcpu,
            2 => SectionKind::GicCpu,
            3 => SectionKind::Distributor,
            4 => SectionKind::Device,
            5 => SectionKind::Memory,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Vcpu => "vcpu",
            SectionKind::GicCpu => "gic-cpu",
            SectionKind::Distributor => "distributor",
            SectionKind::Device => "device",
            SectionKind::Memory => "memory",
        }
    }

    fn align(self) -> usize {
        match self {
            SectionKind::Memory => MEMORY_ALIGN,
            _ => STATE_ALIGN,
        }
    }
}

/// A partition memory region as the snapshot records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    pub guest_base: u64,
    pub size: u64,
}

/// One entry of the section table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SectionEntry {
    pub kind: SectionKind,
    pub index: u16,
    pub offset: u64,
    pub length: u64,
    /// CRC-32C of the section's bytes.
    pub crc: u32,
}

/// The shape of a snapshot: everything that decides its section order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub vcpus: u16,
    pub devices: u16,
    pub regions: u16,
}

impl Shape {
    /// Checks the counts against this build's limits.
    pub(crate) fn check(&self) -> Result<(), SnapshotError> {
        let limit = |what, count: u16, max: usize, min: usize| {
            let count = usize::from(count);
            if count > max || count < min {
                Err(SnapshotError::TooMany { what, count, max })
            } else {
                Ok(())
            }
        };
        limit("vCPUs", self.vcpus, MAX_VCPUS, 1)?;
        limit("memory regions", self.regions, MAX_REGIONS, 1)?;
        limit("devices", self.devices, MAX_DEVICES, 0)
    }

    /// Sections in the table (counts checked: no overflow).
    pub(crate) fn section_count(&self) -> usize {
        usize::from(self.vcpus) * 2 + 1 + usize::from(self.devices) + usize::from(self.regions)
    }

    pub(crate) fn header_len(&self) -> usize {
        HEADER_FIXED_LEN
            + REGION_ENTRY_LEN * usize::from(self.regions)
            + SECTION_ENTRY_LEN * self.section_count()
    }

    /// The `n`-th section in canonical order.
    pub(crate) fn nth(&self, n: usize) -> Option<(SectionKind, u16)> {
        let per_vcpu = usize::from(self.vcpus).checked_mul(2)?;
        let index = |i: usize| u16::try_from(i).ok();
        if n < per_vcpu {
            let kind = if n.is_multiple_of(2) {
                SectionKind::Vcpu
            } else {
                SectionKind::GicCpu
            };
            return Some((kind, index(n / 2)?));
        }
        let n = n.checked_sub(per_vcpu)?;
        if n == 0 {
            return Some((SectionKind::Distributor, 0));
        }
        let n = n.checked_sub(1)?;
        if n < usize::from(self.devices) {
            return Some((SectionKind::Device, index(n)?));
        }
        let n = n.checked_sub(usize::from(self.devices))?;
        if n < usize::from(self.regions) {
            return Some((SectionKind::Memory, index(n)?));
        }
        None
    }
}

/// Where a section of `kind` goes after the previous one ended at `end`.
pub(crate) fn section_start(kind: SectionKind, end: usize) -> Option<usize> {
    let a = kind.align();
    end.checked_add(a - 1).map(|v| v / a * a)
}

/// Checks a partition name: 1 to 32 bytes of printable ASCII.
pub(crate) fn check_name(name: &str) -> Result<(), SnapshotError> {
    let ok =
        !name.is_empty() && name.len() <= NAME_MAX && name.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(SnapshotError::BadName)
    }
}

/// The slot size that holds a snapshot of a partition with these memory
/// regions, with `STATE_AREA` for the header and state (what the
/// configuration sets aside per slot). `None` on overflow.
pub fn slot_len_for(regions: &[MemoryRegion]) -> Option<u64> {
    let mut total = STATE_AREA;
    for r in regions {
        total = total.checked_add(
            r.size.checked_add(MEMORY_ALIGN as u64 - 1)? & !(MEMORY_ALIGN as u64 - 1),
        )?;
    }
    Some(total)
}
