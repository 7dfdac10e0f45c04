//! Reading a snapshot slot. Everything but the memory sections is checked
//! before anything is handed out (header, tables, padding, every state
//! section's checksum and decoding), so a restore cannot fail half-way on
//! a bad state byte; the memory sections are checked either up front
//! ([`Snapshot::parse`], [`Snapshot::verify_memory`]) or by the restore as
//! it copies them ([`Snapshot::check_memory`]), which saves a pass over
//! the partition's memory.

use super::bytes::Dec;
use super::hash::{crc32c, Crc32cFn};
use super::layout::{
    check_name, section_start, SectionEntry, SectionKind, Shape, HEADER_CRC_FROM, HEADER_FIXED_LEN,
    MAGIC, MAX_STATE_SECTION, NAME_MAX, VERSION,
};
use super::{GicCpuState, MemoryRegion, SnapshotError, VcpuState};
use alloc::string::String;
use alloc::vec::Vec;

/// A parsed snapshot borrowing its slot: header, tables and state sections
/// verified; memory sections verified too if it came from
/// [`Snapshot::parse`] / [`Snapshot::parse_with`].
#[derive(Clone)]
pub struct Snapshot<'a> {
    bytes: &'a [u8],
    crc: Crc32cFn,
    name: String,
    generation: u64,
    counter_at_save: u64,
    counter_freq: u32,
    shape: Shape,
    regions: Vec<MemoryRegion>,
    sections: Vec<SectionEntry>,
    vcpus: Vec<VcpuState>,
    gic_cpus: Vec<GicCpuState>,
}

impl core::fmt::Debug for Snapshot<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Not the bytes: a slot holds the partition's memory.
        f.debug_struct("Snapshot")
            .field("len", &self.bytes.len())
            .field("name", &self.name)
            .field("generation", &self.generation)
            .field("shape", &self.shape)
            .field("regions", &self.regions)
            .field("sections", &self.sections)
            .finish_non_exhaustive()
    }
}

/// What `verify` reports about a good slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub name: String,
    pub generation: u64,
    pub vcpus: u16,
    pub devices: u16,
    pub regions: u16,
    /// Bytes of memory over all regions.
    pub memory: u64,
    /// The snapshot's length in its slot.
    pub total_len: u64,
    pub counter_at_save: u64,
}

const TRUNCATED: SnapshotError = SnapshotError::BadHeader("truncated");

impl<'a> Snapshot<'a> {
    /// Checks the whole snapshot with the portable CRC-32C: magic,
    /// version, lengths, header checksum, counts, the section table
    /// (canonical order and placement, memory sizes), zero padding, every
    /// section's checksum, and decodes every vCPU and GIC CPU interface.
    pub fn parse(slot: &'a [u8]) -> Result<Self, SnapshotError> {
        Self::parse_with(slot, crc32c)
    }

    /// [`Snapshot::parse`] with another CRC-32C implementation (the
    /// hypervisor's, on the CPU's CRC instructions).
    pub fn parse_with(slot: &'a [u8], crc: Crc32cFn) -> Result<Self, SnapshotError> {
        let s = Self::parse_state_with(slot, crc)?;
        s.verify_memory()?;
        Ok(s)
    }

    /// Everything [`Snapshot::parse_with`] checks except the memory
    /// sections' checksums: what a restore verifies before it touches the
    /// partition (a few KiB). The memory is then checked region by region
    /// with [`Snapshot::check_memory`], from the CRC its copy computed.
    pub fn parse_state_with(slot: &'a [u8], crc: Crc32cFn) -> Result<Self, SnapshotError> {
        let fixed = slot
            .get(..HEADER_FIXED_LEN)
            .ok_or(SnapshotError::TooShort { len: slot.len() })?;
        let mut d = Dec::new(fixed);
        let magic: [u8; 8] = d.u64().map_err(|_| TRUNCATED)?.to_le_bytes();
        if magic != MAGIC {
            return Err(if magic == [0; 8] {
                SnapshotError::EmptySlot
            } else {
                SnapshotError::BadMagic
            });
        }
        let version = d.u32().map_err(|_| TRUNCATED)?;
        if version != VERSION {
            return Err(SnapshotError::UnsupportedVersion {
                found: version,
                supported: VERSION,
            });
        }
        let header_len = d.u32().map_err(|_| TRUNCATED)?;
        let total = d.u64().map_err(|_| TRUNCATED)?;
        let stored = d.u32().map_err(|_| TRUNCATED)?;
        let reserved = d.u32().map_err(|_| TRUNCATED)?;
        let bad_length = SnapshotError::BadLength {
            total,
            slot: slot.len() as u64,
        };
        let total_usize = usize::try_from(total).map_err(|_| bad_length)?;
        let header_usize = usize::try_from(header_len).map_err(|_| bad_length)?;
        if total_usize > slot.len() || header_usize > total_usize || header_usize < HEADER_FIXED_LEN
        {
            return Err(bad_length);
        }
        let bytes = slot.get(..total_usize).ok_or(bad_length)?;
        let header = bytes.get(..header_usize).ok_or(bad_length)?;
        let computed = crc(0, header.get(HEADER_CRC_FROM..).ok_or(bad_length)?);
        if computed != stored {
            return Err(SnapshotError::HeaderChecksum { stored, computed });
        }
        if reserved != 0 {
            return Err(SnapshotError::BadHeader("reserved bytes not zero"));
        }

        let generation = d.u64().map_err(|_| TRUNCATED)?;
        let counter_at_save = d.u64().map_err(|_| TRUNCATED)?;
        let counter_freq = d.u32().map_err(|_| TRUNCATED)?;
        let vcpus = d.u16().map_err(|_| TRUNCATED)?;
        let regions = d.u16().map_err(|_| TRUNCATED)?;
        let devices = d.u16().map_err(|_| TRUNCATED)?;
        let section_count = d.u16().map_err(|_| TRUNCATED)?;
        let name_len = usize::from(d.u8().map_err(|_| TRUNCATED)?);
        let shape = Shape {
            vcpus,
            devices,
            regions,
        };
        shape.check()?;
        if usize::from(section_count) != shape.section_count() {
            return Err(SnapshotError::BadHeader(
                "section count does not match the counts",
            ));
        }
        if header_usize != shape.header_len() {
            return Err(SnapshotError::BadHeader(
                "header length does not match the counts",
            ));
        }
        let name = Self::name_field(fixed, name_len)?;

        let tables = header.get(HEADER_FIXED_LEN..).ok_or(TRUNCATED)?;
        let mut d = Dec::new(tables);
        let mut region_list = Vec::with_capacity(usize::from(regions));
        for _ in 0..regions {
            let guest_base = d.u64().map_err(|_| TRUNCATED)?;
            let size = d.u64().map_err(|_| TRUNCATED)?;
            if size == 0 {
                return Err(SnapshotError::BadHeader("a memory region of size 0"));
            }
            region_list.push(MemoryRegion { guest_base, size });
        }
        let sections = Self::section_table(&mut d, &shape, &region_list, header_usize, total)?;
        d.end().map_err(|_| TRUNCATED)?;
        Self::check_padding(bytes, header_usize, &sections)?;

        let mut s = Snapshot {
            bytes,
            crc,
            name,
            generation,
            counter_at_save,
            counter_freq,
            shape,
            regions: region_list,
            sections,
            vcpus: Vec::new(),
            gic_cpus: Vec::new(),
        };
        for e in s.sections.iter().filter(|e| e.kind != SectionKind::Memory) {
            s.check_section(e)?;
        }
        for i in 0..vcpus {
            let state = |kind| SnapshotError::State {
                kind,
                index: i,
                error: super::StateError::Invalid("missing section"),
            };
            let raw = s
                .section(SectionKind::Vcpu, i)
                .ok_or(state(SectionKind::Vcpu))?;
            let v = VcpuState::restore(raw).map_err(|error| SnapshotError::State {
                kind: SectionKind::Vcpu,
                index: i,
                error,
            })?;
            let raw = s
                .section(SectionKind::GicCpu, i)
                .ok_or(state(SectionKind::GicCpu))?;
            let g = GicCpuState::restore(raw).map_err(|error| SnapshotError::State {
                kind: SectionKind::GicCpu,
                index: i,
                error,
            })?;
            s.vcpus.push(v);
            s.gic_cpus.push(g);
        }
        Ok(s)
    }

    /// The bytes of section `e` (in bounds: the table was checked).
    fn bytes_of(&self, e: &SectionEntry) -> &'a [u8] {
        let start = usize::try_from(e.offset).unwrap_or(usize::MAX);
        let end = usize::try_from(e.offset.saturating_add(e.length)).unwrap_or(usize::MAX);
        self.bytes.get(start..end).unwrap_or(&[])
    }

    fn check_section(&self, e: &SectionEntry) -> Result<(), SnapshotError> {
        let computed = (self.crc)(0, self.bytes_of(e));
        self.compare(e, computed)
    }

    fn compare(&self, e: &SectionEntry, computed: u32) -> Result<(), SnapshotError> {
        if computed == e.crc {
            Ok(())
        } else {
            Err(SnapshotError::SectionChecksum {
                kind: e.kind,
                index: e.index,
                stored: e.crc,
                computed,
            })
        }
    }

    /// Checks every memory section against its recorded CRC-32C: the
    /// complete check (`verify`), a pass over all the memory.
    pub fn verify_memory(&self) -> Result<(), SnapshotError> {
        self.sections
            .iter()
            .filter(|e| e.kind == SectionKind::Memory)
            .try_for_each(|e| self.check_section(e))
    }

    /// The CRC-32C the table records for memory region `region`.
    pub fn memory_crc(&self, region: u16) -> Option<u32> {
        self.entry(SectionKind::Memory, region).map(|e| e.crc)
    }

    /// Compares `computed`, the CRC-32C of region `region` as a copy read
    /// it, with the one the table records.
    pub fn check_memory(&self, region: u16, computed: u32) -> Result<(), SnapshotError> {
        let e = self
            .entry(SectionKind::Memory, region)
            .ok_or(SnapshotError::BadHeader("no such memory region"))?;
        self.compare(e, computed)
    }

    /// Padding between the header and the first section and between
    /// sections must be zero (the table puts every section at the first
    /// boundary after the previous one, so each gap is under 4 KiB).
    fn check_padding(
        bytes: &[u8],
        header_len: usize,
        sections: &[SectionEntry],
    ) -> Result<(), SnapshotError> {
        let mut end = header_len as u64;
        for e in sections {
            let (from, to) = (
                usize::try_from(end).unwrap_or(usize::MAX),
                usize::try_from(e.offset).unwrap_or(usize::MAX),
            );
            let gap = bytes.get(from..to).ok_or(TRUNCATED)?;
            if let Some(i) = gap.iter().position(|&b| b != 0) {
                return Err(SnapshotError::BadPadding { at: end + i as u64 });
            }
            end = e.offset.saturating_add(e.length);
        }
        Ok(())
    }

    /// The name field: `name_len` printable bytes, then zeros.
    fn name_field(fixed: &[u8], name_len: usize) -> Result<String, SnapshotError> {
        let bad = SnapshotError::BadHeader("partition name");
        let reserved = fixed.get(61..64).ok_or(TRUNCATED)?;
        if reserved != [0, 0, 0] {
            return Err(SnapshotError::BadHeader("reserved bytes not zero"));
        }
        let field = fixed.get(64..64 + NAME_MAX).ok_or(TRUNCATED)?;
        let (name, pad) = field.split_at_checked(name_len).ok_or(bad)?;
        if pad.iter().any(|&b| b != 0) {
            return Err(bad);
        }
        let name = core::str::from_utf8(name).map_err(|_| bad)?;
        check_name(name).map_err(|_| bad)?;
        Ok(String::from(name))
    }

    fn section_table(
        d: &mut Dec<'_>,
        shape: &Shape,
        regions: &[MemoryRegion],
        header_len: usize,
        total: u64,
    ) -> Result<Vec<SectionEntry>, SnapshotError> {
        let count = shape.section_count();
        let mut sections = Vec::with_capacity(count);
        let mut end = header_len as u64;
        for n in 0..count {
            let bad = |problem| SnapshotError::BadSection { index: n, problem };
            let code = d.u16().map_err(|_| TRUNCATED)?;
            let reserved = d.u16().map_err(|_| TRUNCATED)?;
            let index = d.u32().map_err(|_| TRUNCATED)?;
            let offset = d.u64().map_err(|_| TRUNCATED)?;
            let length = d.u64().map_err(|_| TRUNCATED)?;
            let crc = d.u32().map_err(|_| TRUNCATED)?;
            let reserved2 = d.u32().map_err(|_| TRUNCATED)?;
            let kind = SectionKind::from_code(code).ok_or(bad("unknown kind"))?;
            let index = u16::try_from(index).map_err(|_| bad("index out of range"))?;
            if shape.nth(n) != Some((kind, index)) || reserved != 0 || reserved2 != 0 {
                return Err(bad("not the section the format puts here"));
            }
            let expected = usize::try_from(end)
                .ok()
                .and_then(|e| section_start(kind, e))
                .map(|e| e as u64);
            if expected != Some(offset) {
                return Err(bad("not at the first boundary after the previous section"));
            }
            let section_end = offset
                .checked_add(length)
                .filter(|&e| e <= total)
                .ok_or(bad("runs past the end of the snapshot"))?;
            match kind {
                SectionKind::Memory => {
                    let size = regions.get(usize::from(index)).map(|r| r.size);
                    if size != Some(length) {
                        return Err(bad("memory length is not the region's size"));
                    }
                }
                _ => {
                    if length > MAX_STATE_SECTION as u64 {
                        return Err(bad("state section over 64 KiB"));
                    }
                }
            }
            end = section_end;
            sections.push(SectionEntry {
                kind,
                index,
                offset,
                length,
                crc,
            });
        }
        if end != total {
            return Err(SnapshotError::BadHeader("bytes after the last section"));
        }
        Ok(sections)
    }

    fn entry(&self, kind: SectionKind, index: u16) -> Option<&SectionEntry> {
        self.sections
            .iter()
            .find(|e| e.kind == kind && e.index == index)
    }

    fn section(&self, kind: SectionKind, index: u16) -> Option<&'a [u8]> {
        self.entry(kind, index).map(|e| self.bytes_of(e))
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn generation(&self) -> u64 {
        self.generation
    }
    /// The physical counter when the vCPUs were paused.
    pub fn counter_at_save(&self) -> u64 {
        self.counter_at_save
    }
    pub fn counter_freq(&self) -> u32 {
        self.counter_freq
    }
    /// The snapshot's length in its slot.
    pub fn total_len(&self) -> usize {
        self.bytes.len()
    }
    pub fn vcpu_count(&self) -> u16 {
        self.shape.vcpus
    }
    pub fn device_count(&self) -> u16 {
        self.shape.devices
    }
    pub fn regions(&self) -> &[MemoryRegion] {
        &self.regions
    }
    pub fn vcpu(&self, vcpu: u16) -> Option<&VcpuState> {
        self.vcpus.get(usize::from(vcpu))
    }
    pub fn gic_cpu(&self, vcpu: u16) -> Option<&GicCpuState> {
        self.gic_cpus.get(usize::from(vcpu))
    }
    /// The distributor's state as its module wrote it.
    pub fn distributor(&self) -> &'a [u8] {
        self.section(SectionKind::Distributor, 0).unwrap_or(&[])
    }
    pub fn device(&self, index: u16) -> Option<&'a [u8]> {
        self.section(SectionKind::Device, index)
    }
    /// Region `region`'s bytes in the slot. Checked only if the snapshot
    /// came from [`Snapshot::parse`]/[`Snapshot::parse_with`]; after
    /// [`Snapshot::parse_state_with`], check the copy with
    /// [`Snapshot::check_memory`].
    pub fn memory(&self, region: u16) -> Option<&'a [u8]> {
        self.section(SectionKind::Memory, region)
    }

    pub fn summary(&self) -> Summary {
        Summary {
            name: self.name.clone(),
            generation: self.generation,
            vcpus: self.shape.vcpus,
            devices: self.shape.devices,
            regions: self.shape.regions,
            memory: self.regions.iter().map(|r| r.size).sum(),
            total_len: self.bytes.len() as u64,
            counter_at_save: self.counter_at_save,
        }
    }

    /// Refuses to restore into a partition the snapshot was not taken of:
    /// another name, other memory regions, another vCPU count, another
    /// counter frequency (guest time would run at another rate).
    pub fn check_fits(
        &self,
        name: &str,
        regions: &[MemoryRegion],
        vcpus: u16,
        counter_freq: u32,
    ) -> Result<(), SnapshotError> {
        if self.name != name {
            return Err(SnapshotError::Mismatch("it was taken of another partition"));
        }
        if self.regions != regions {
            return Err(SnapshotError::Mismatch("memory regions differ"));
        }
        if self.shape.vcpus != vcpus {
            return Err(SnapshotError::Mismatch("vCPU count differs"));
        }
        if self.counter_freq != counter_freq {
            return Err(SnapshotError::Mismatch("counter frequency differs"));
        }
        Ok(())
    }
}
