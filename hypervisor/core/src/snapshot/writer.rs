//! Writing a snapshot into a slot, section by section, in canonical order.

use super::hash::{crc32c, Crc32cFn};
use super::layout::{
    check_name, section_start, SectionEntry, SectionKind, Shape, HEADER_CRC_AT, HEADER_CRC_FROM,
    HEADER_FIXED_LEN, MAGIC, MAX_STATE_SECTION, VERSION,
};
use super::{GicCpuState, MemoryRegion, SnapshotError, VcpuState};
use alloc::vec::Vec;

/// What the header records about the partition and the moment.
#[derive(Clone, Copy, Debug)]
pub struct SnapshotInfo<'a> {
    /// The partition's name (1 to 32 bytes of printable ASCII).
    pub name: &'a str,
    pub generation: u64,
    /// The physical counter (CNTPCT_EL0) when the vCPUs were paused.
    pub counter_at_save: u64,
    /// CNTFRQ_EL0.
    pub counter_freq: u32,
    pub vcpus: u16,
    /// Emulated devices with a state blob.
    pub devices: u16,
    pub regions: &'a [MemoryRegion],
}

/// Writes one snapshot into a caller's slot. Sections go in the canonical
/// order (per vCPU: `vcpu`, `gic_cpu`; then `distributor`, each `device`,
/// each `memory` region); `finish` writes the tables and the header with
/// its checksum. Each section's CRC-32C goes into its table entry: the
/// writer computes it for state sections, and a memory section's filler
/// returns the CRC of what it copied (the hypervisor's fused
/// copy-and-checksum loop computes it in the same pass). The slot's bytes
/// before `finish` are not a snapshot (the magic is written last), so a
/// snapshot interrupted half-way reads as empty, not as a plausible
/// partial state.
pub struct SnapshotWriter<'s> {
    slot: &'s mut [u8],
    crc: Crc32cFn,
    shape: Shape,
    name: Vec<u8>,
    generation: u64,
    counter_at_save: u64,
    counter_freq: u32,
    regions: Vec<MemoryRegion>,
    table: Vec<SectionEntry>,
    /// Where the last section ended.
    end: usize,
}

impl core::fmt::Debug for SnapshotWriter<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SnapshotWriter")
            .field("slot_len", &self.slot.len())
            .field("written", &self.end)
            .field("next", &self.next_section())
            .finish()
    }
}

fn too_small(needed: u64, slot: &[u8]) -> SnapshotError {
    SnapshotError::SlotTooSmall {
        needed,
        available: slot.len() as u64,
    }
}

impl<'s> SnapshotWriter<'s> {
    /// Starts a snapshot, checksummed with the portable CRC-32C. Refuses a
    /// bad name, counts over the limits, and a slot that cannot hold even
    /// the header and the memory.
    pub fn new(slot: &'s mut [u8], info: &SnapshotInfo<'_>) -> Result<Self, SnapshotError> {
        Self::with_crc(slot, info, crc32c)
    }

    /// [`SnapshotWriter::new`] with another implementation of CRC-32C for
    /// the header and state sections (the hypervisor's, on the CPU's CRC
    /// instructions); it must give the same values as
    /// [`super::hash::crc32c`].
    pub fn with_crc(
        slot: &'s mut [u8],
        info: &SnapshotInfo<'_>,
        crc: Crc32cFn,
    ) -> Result<Self, SnapshotError> {
        check_name(info.name)?;
        let count = |what, n: usize| {
            u16::try_from(n).map_err(|_| SnapshotError::TooMany {
                what,
                count: n,
                max: usize::from(u16::MAX),
            })
        };
        let shape = Shape {
            vcpus: info.vcpus,
            devices: info.devices,
            regions: count("memory regions", info.regions.len())?,
        };
        shape.check()?;

        // The least the slot must hold: header, then the memory regions at
        // their alignment (state sections only add to this).
        let mut needed = shape.header_len() as u64;
        for r in info.regions {
            if r.size == 0 {
                return Err(SnapshotError::Mismatch("a memory region of size 0"));
            }
            needed = needed
                .checked_add(4095)
                .map(|v| v & !4095)
                .and_then(|v| v.checked_add(r.size))
                .ok_or(SnapshotError::BadHeader("memory sizes overflow"))?;
        }
        if needed > slot.len() as u64 {
            return Err(too_small(needed, slot));
        }

        count("sections", shape.section_count())?;

        // Wipe the old magic now: the new one only appears at `finish`.
        let header_len = shape.header_len();
        if let Some(h) = slot.get_mut(..header_len) {
            h.fill(0);
        }
        Ok(SnapshotWriter {
            slot,
            crc,
            shape,
            name: info.name.as_bytes().to_vec(),
            generation: info.generation,
            counter_at_save: info.counter_at_save,
            counter_freq: info.counter_freq,
            regions: info.regions.to_vec(),
            table: Vec::with_capacity(shape.section_count()),
            end: header_len,
        })
    }

    /// The section `finish` expects next.
    pub fn next_section(&self) -> Option<(SectionKind, u16)> {
        self.shape.nth(self.table.len())
    }

    /// Reserves the next section, which must be `(kind, index)`, of `len`
    /// bytes, zeroes the padding before it, and returns its bytes (its
    /// table entry's CRC is set by the caller).
    fn reserve(
        &mut self,
        kind: SectionKind,
        index: u16,
        len: usize,
    ) -> Result<&mut [u8], SnapshotError> {
        let expected = self.next_section();
        if expected != Some((kind, index)) {
            return Err(SnapshotError::OutOfOrder {
                expected,
                got: (kind, index),
            });
        }
        let overflow = SnapshotError::BadSectionLength {
            kind,
            index,
            len: len as u64,
        };
        let start = section_start(kind, self.end).ok_or(overflow)?;
        let end = start.checked_add(len).ok_or(overflow)?;
        if end > self.slot.len() {
            return Err(too_small(end as u64, self.slot));
        }
        if let Some(pad) = self.slot.get_mut(self.end..start) {
            pad.fill(0);
        }
        self.table.push(SectionEntry {
            kind,
            index,
            offset: start as u64,
            length: len as u64,
            crc: 0,
        });
        self.end = end;
        self.slot.get_mut(start..end).ok_or(overflow)
    }

    fn state_section(
        &mut self,
        kind: SectionKind,
        index: u16,
        bytes: &[u8],
    ) -> Result<(), SnapshotError> {
        if bytes.len() > MAX_STATE_SECTION {
            return Err(SnapshotError::BadSectionLength {
                kind,
                index,
                len: bytes.len() as u64,
            });
        }
        self.reserve(kind, index, bytes.len())?
            .copy_from_slice(bytes);
        let crc = (self.crc)(0, bytes);
        self.set_last_crc(crc);
        Ok(())
    }

    fn set_last_crc(&mut self, crc: u32) {
        if let Some(e) = self.table.last_mut() {
            e.crc = crc;
        }
    }

    pub fn write_vcpu(&mut self, vcpu: u16, state: &VcpuState) -> Result<(), SnapshotError> {
        let mut bytes = Vec::with_capacity(VcpuState::ENCODED_LEN);
        state.save(&mut bytes);
        self.state_section(SectionKind::Vcpu, vcpu, &bytes)
    }

    pub fn write_gic_cpu(&mut self, vcpu: u16, state: &GicCpuState) -> Result<(), SnapshotError> {
        let mut bytes = Vec::new();
        state
            .save(&mut bytes)
            .map_err(|error| SnapshotError::State {
                kind: SectionKind::GicCpu,
                index: vcpu,
                error,
            })?;
        self.state_section(SectionKind::GicCpu, vcpu, &bytes)
    }

    /// The distributor's state, as the interrupt controller module encodes it.
    pub fn write_distributor(&mut self, blob: &[u8]) -> Result<(), SnapshotError> {
        self.state_section(SectionKind::Distributor, 0, blob)
    }

    /// Device `index`'s state, as its own module encodes it.
    pub fn write_device(&mut self, index: u16, blob: &[u8]) -> Result<(), SnapshotError> {
        self.state_section(SectionKind::Device, index, blob)
    }

    /// Region `region`'s memory, copied in by `fill` into a buffer of
    /// exactly the region's size; `fill` returns the CRC-32C of the bytes
    /// it left there (`crc(0, buffer)`). A wrong value does not restore
    /// wrong memory: the slot then fails its check.
    pub fn write_memory_with(
        &mut self,
        region: u16,
        fill: impl FnOnce(&mut [u8]) -> u32,
    ) -> Result<(), SnapshotError> {
        let size = self
            .regions
            .get(usize::from(region))
            .map(|r| r.size)
            .unwrap_or(0);
        let len = usize::try_from(size).map_err(|_| SnapshotError::BadSectionLength {
            kind: SectionKind::Memory,
            index: region,
            len: size,
        })?;
        let crc = fill(self.reserve(SectionKind::Memory, region, len)?);
        self.set_last_crc(crc);
        Ok(())
    }

    /// Region `region`'s memory from a slice of exactly its size.
    pub fn write_memory(&mut self, region: u16, bytes: &[u8]) -> Result<(), SnapshotError> {
        let size = self.regions.get(usize::from(region)).map(|r| r.size);
        if size != Some(bytes.len() as u64) {
            return Err(SnapshotError::BadSectionLength {
                kind: SectionKind::Memory,
                index: region,
                len: bytes.len() as u64,
            });
        }
        let crc = self.crc;
        self.write_memory_with(region, |dst| {
            dst.copy_from_slice(bytes);
            crc(0, dst)
        })
    }

    /// Writes the tables and the header with its checksum, the magic last;
    /// returns the snapshot's length in the slot.
    pub fn finish(self) -> Result<usize, SnapshotError> {
        if let Some(next) = self.next_section() {
            return Err(SnapshotError::Incomplete { next });
        }
        let total = self.end;
        let header_len = self.shape.header_len();
        let bad = SnapshotError::BadHeader("layout");
        // Counts are checked: the header is a few KiB, the name 32 bytes.
        let header_len32 = u32::try_from(header_len).map_err(|_| bad)?;
        let name_len = u8::try_from(self.name.len()).map_err(|_| bad)?;
        let sections = u16::try_from(self.table.len()).map_err(|_| bad)?;

        let mut h = Vec::with_capacity(header_len);
        h.extend_from_slice(&MAGIC);
        h.extend_from_slice(&VERSION.to_le_bytes());
        h.extend_from_slice(&header_len32.to_le_bytes());
        h.extend_from_slice(&(total as u64).to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes()); // header_crc, below
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&self.generation.to_le_bytes());
        h.extend_from_slice(&self.counter_at_save.to_le_bytes());
        h.extend_from_slice(&self.counter_freq.to_le_bytes());
        h.extend_from_slice(&self.shape.vcpus.to_le_bytes());
        h.extend_from_slice(&self.shape.regions.to_le_bytes());
        h.extend_from_slice(&self.shape.devices.to_le_bytes());
        h.extend_from_slice(&sections.to_le_bytes());
        h.push(name_len);
        h.extend_from_slice(&[0; 3]);
        h.extend_from_slice(&self.name);
        h.resize(HEADER_FIXED_LEN, 0);
        for r in &self.regions {
            h.extend_from_slice(&r.guest_base.to_le_bytes());
            h.extend_from_slice(&r.size.to_le_bytes());
        }
        for s in &self.table {
            h.extend_from_slice(&s.kind.code().to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&u32::from(s.index).to_le_bytes());
            h.extend_from_slice(&s.offset.to_le_bytes());
            h.extend_from_slice(&s.length.to_le_bytes());
            h.extend_from_slice(&s.crc.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
        }
        if h.len() != header_len {
            return Err(bad);
        }

        let sum = (self.crc)(0, h.get(HEADER_CRC_FROM..).ok_or(bad)?);
        h.get_mut(HEADER_CRC_AT..HEADER_CRC_FROM)
            .ok_or(bad)?
            .copy_from_slice(&sum.to_le_bytes());
        // Everything but the magic first, then the magic.
        let magic_len = MAGIC.len();
        self.slot
            .get_mut(magic_len..header_len)
            .ok_or(bad)?
            .copy_from_slice(h.get(magic_len..).ok_or(bad)?);
        self.slot
            .get_mut(..magic_len)
            .ok_or(bad)?
            .copy_from_slice(&MAGIC);
        Ok(total)
    }
}
