//! Reading a snapshot slot: everything is checked before anything is
//! handed out, so a restore that starts cannot fail half-way on a bad byte.

use super::bytes::Dec;
use super::hash::xxh64;
use super::layout::{
    check_name, SectionEntry, SectionKind, Shape, CHECKSUMMED_FROM, HEADER_FIXED_LEN, MAGIC,
    MAX_STATE_SECTION, NAME_MAX, VERSION,
};
use super::{GicCpuState, MemoryRegion, SnapshotError, VcpuState};
use alloc::string::String;
use alloc::vec::Vec;

/// A parsed, verified snapshot borrowing its slot.
#[derive(Clone, Debug)]
pub struct Snapshot<'a> {
    bytes: &'a [u8],
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

const TRUNCATED: SnapshotError = SnapshotError::BadHeader("truncated");

impl<'a> Snapshot<'a> {
    /// Checks magic, version, lengths, checksum, counts, the section table
    /// (canonical order, in bounds, no overlap, memory sizes) and decodes
    /// every vCPU and GIC CPU interface state.
    pub fn parse(slot: &'a [u8]) -> Result<Self, SnapshotError> {
        Self::parse_with(slot, &xxh64)
    }

    /// [`Snapshot::parse`] with the checksum function the writer used
    /// ([`super::SnapshotWriter::finish_with`]).
    pub fn parse_with(slot: &'a [u8], sum: &dyn Fn(&[u8]) -> u64) -> Result<Self, SnapshotError> {
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
        let stored = d.u64().map_err(|_| TRUNCATED)?;
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
        let computed = sum(bytes.get(CHECKSUMMED_FROM..).ok_or(bad_length)?);
        if computed != stored {
            return Err(SnapshotError::ChecksumMismatch { stored, computed });
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

        let tables = bytes.get(HEADER_FIXED_LEN..header_usize).ok_or(TRUNCATED)?;
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
        let sections = Self::section_table(&mut d, &shape, &region_list, header_len, total)?;
        d.end().map_err(|_| TRUNCATED)?;

        let mut s = Snapshot {
            bytes,
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
        header_len: u32,
        total: u64,
    ) -> Result<Vec<SectionEntry>, SnapshotError> {
        let count = shape.section_count();
        let mut sections = Vec::with_capacity(count);
        let mut end = u64::from(header_len);
        for n in 0..count {
            let bad = |problem| SnapshotError::BadSection { index: n, problem };
            let code = d.u16().map_err(|_| TRUNCATED)?;
            let reserved = d.u16().map_err(|_| TRUNCATED)?;
            let index = d.u32().map_err(|_| TRUNCATED)?;
            let offset = d.u64().map_err(|_| TRUNCATED)?;
            let length = d.u64().map_err(|_| TRUNCATED)?;
            let kind = SectionKind::from_code(code).ok_or(bad("unknown kind"))?;
            let index = u16::try_from(index).map_err(|_| bad("index out of range"))?;
            if shape.nth(n) != Some((kind, index)) || reserved != 0 {
                return Err(bad("not the section the format puts here"));
            }
            if offset < end {
                return Err(bad("overlaps the header or the previous section"));
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
            });
        }
        if end != total {
            return Err(SnapshotError::BadHeader("bytes after the last section"));
        }
        Ok(sections)
    }

    fn section(&self, kind: SectionKind, index: u16) -> Option<&'a [u8]> {
        let e = self
            .sections
            .iter()
            .find(|e| e.kind == kind && e.index == index)?;
        let start = usize::try_from(e.offset).ok()?;
        let end = usize::try_from(e.offset.checked_add(e.length)?).ok()?;
        self.bytes.get(start..end)
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
    pub fn memory(&self, region: u16) -> Option<&'a [u8]> {
        self.section(SectionKind::Memory, region)
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
