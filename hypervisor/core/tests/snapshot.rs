//! The snapshot slot format: writing, reading back, and refusing what is
//! wrong.

use bulkhead_core::snapshot::hash::copy_crc32c;
use bulkhead_core::snapshot::layout::{MAX_STATE_SECTION, STATE_AREA};
use bulkhead_core::snapshot::{
    crc32c, slot_len_for, GicCpuState, GicVersion, MemoryRegion, SectionKind, Snapshot,
    SnapshotError, SnapshotInfo, SnapshotWriter, StateError, Summary, VcpuState,
};

const REGIONS: [MemoryRegion; 2] = [
    MemoryRegion {
        guest_base: 0x4000_0000,
        size: 0x3000,
    },
    MemoryRegion {
        guest_base: 0x8000_0000,
        size: 100,
    },
];

fn info() -> SnapshotInfo<'static> {
    SnapshotInfo {
        name: "linux0",
        generation: 7,
        counter_at_save: 123_456_789,
        counter_freq: 62_500_000,
        vcpus: 2,
        devices: 2,
        regions: &REGIONS,
    }
}

fn vcpu(i: u16) -> VcpuState {
    let mut v = VcpuState::default();
    for (n, x) in v.x.iter_mut().enumerate() {
        *x = u64::from(i) << 32 | n as u64;
    }
    v.pc = 0x4008_0000 + u64::from(i);
    v.sys.ttbr1_el1 = 0xdead_beef;
    v.fp.q[31] = u128::MAX - u128::from(i);
    v.timer.cntvoff = 1000;
    v.vmpidr = u64::from(i);
    v
}

fn gic(i: u16) -> GicCpuState {
    GicCpuState {
        version: GicVersion::V3,
        hcr: 1,
        vmcr: 0xf0 + u32::from(i),
        ap0r: [0; 4],
        ap1r: [1, 0, 0, 0],
        lrs: vec![0x5000_0000_0000_001b, 0],
    }
}

fn memory(region: u16) -> Vec<u8> {
    let size = REGIONS[usize::from(region)].size as usize;
    (0..size)
        .map(|n| (n as u8) ^ (region as u8 * 0x55))
        .collect()
}

/// Writes the sample snapshot into `slot`; returns its length.
fn write(slot: &mut [u8]) -> Result<usize, SnapshotError> {
    let mut w = SnapshotWriter::new(slot, &info())?;
    for i in 0..2 {
        w.write_vcpu(i, &vcpu(i))?;
        w.write_gic_cpu(i, &gic(i))?;
    }
    w.write_distributor(b"distributor state")?;
    w.write_device(0, b"uart")?;
    w.write_device(1, b"")?;
    w.write_memory(0, &memory(0))?;
    let m1 = memory(1);
    w.write_memory_with(1, |dst| copy_crc32c(0, &m1, dst))?;
    w.finish()
}

fn sample() -> (Vec<u8>, usize) {
    let mut slot = vec![0xAAu8; 64 * 1024];
    let len = write(&mut slot).expect("fits");
    (slot, len)
}

#[test]
fn round_trip() {
    let (slot, len) = sample();
    let s = Snapshot::parse(&slot).expect("valid");
    assert_eq!(s.total_len(), len);
    assert_eq!(s.name(), "linux0");
    assert_eq!(s.generation(), 7);
    assert_eq!(s.counter_at_save(), 123_456_789);
    assert_eq!(s.counter_freq(), 62_500_000);
    assert_eq!(s.vcpu_count(), 2);
    assert_eq!(s.device_count(), 2);
    assert_eq!(s.regions(), &REGIONS);
    for i in 0..2 {
        assert_eq!(s.vcpu(i), Some(&vcpu(i)));
        assert_eq!(s.gic_cpu(i), Some(&gic(i)));
        assert_eq!(s.memory(i), Some(memory(i).as_slice()));
    }
    assert_eq!(s.vcpu(2), None);
    assert_eq!(s.distributor(), b"distributor state");
    assert_eq!(s.device(0), Some(&b"uart"[..]));
    assert_eq!(s.device(1), Some(&b""[..]));
    assert_eq!(s.device(2), None);
    assert_eq!(s.memory(2), None);
    s.check_fits("linux0", &REGIONS, 2, 62_500_000)
        .expect("fits");
}

#[test]
fn memory_sections_are_page_aligned() {
    let (slot, _) = sample();
    let s = Snapshot::parse(&slot).expect("valid");
    for r in 0..2 {
        let m = s.memory(r).expect("region");
        let offset = m.as_ptr() as usize - slot.as_ptr() as usize;
        assert_eq!(offset % 4096, 0);
    }
}

const HEADER_LEN: usize = 96 + 16 * 2 + 32 * (2 * 2 + 1 + 2 + 2);
const TABLE: usize = 96 + 16 * 2;

fn u32_at(slot: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(slot[at..at + 4].try_into().unwrap())
}

fn u64_at(slot: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(slot[at..at + 8].try_into().unwrap())
}

#[test]
fn the_header_is_where_the_documentation_says() {
    let (slot, len) = sample();
    assert_eq!(&slot[0..8], b"BKSNAP01");
    assert_eq!(u32_at(&slot, 8), 2);
    assert_eq!(u32_at(&slot, 12) as usize, HEADER_LEN);
    assert_eq!(u64_at(&slot, 16) as usize, len);
    assert_eq!(u32_at(&slot, 24), crc32c(0, &slot[28..HEADER_LEN]));
    assert_eq!(u32_at(&slot, 28), 0);
    assert_eq!(u64_at(&slot, 32), 7);
    assert_eq!(&slot[52..60], &[2, 0, 2, 0, 2, 0, 9, 0]);
    assert_eq!(slot[60], 6);
    assert_eq!(&slot[64..70], b"linux0");
    assert!(slot[70..96].iter().all(|&b| b == 0));
    // First section: vCPU 0 right after the header, 16-byte aligned, with
    // the CRC-32C of its bytes.
    let t = TABLE;
    assert_eq!(&slot[t..t + 8], &[1, 0, 0, 0, 0, 0, 0, 0]);
    let first = u64_at(&slot, t + 8) as usize;
    assert_eq!(first, HEADER_LEN.div_ceil(16) * 16);
    assert_eq!(u64_at(&slot, t + 16) as usize, VcpuState::ENCODED_LEN);
    let mut v = Vec::new();
    vcpu(0).save(&mut v);
    assert_eq!(&slot[first..first + v.len()], v.as_slice());
    assert_eq!(u32_at(&slot, t + 24), crc32c(0, &v));
    assert_eq!(u32_at(&slot, t + 28), 0);
    // Last section: memory region 1, on a page boundary, its CRC in the
    // table.
    let m = TABLE + 32 * 8;
    assert_eq!(&slot[m..m + 8], &[5, 0, 0, 0, 1, 0, 0, 0]);
    let at = u64_at(&slot, m + 8) as usize;
    assert_eq!(at % 4096, 0);
    assert_eq!(at + 100, len);
    assert_eq!(u32_at(&slot, m + 24), crc32c(0, &memory(1)));
}

#[test]
fn a_slot_too_small_is_refused_with_the_size_needed() {
    let (_, len) = sample();
    // Too small for the header and memory: refused at once.
    let mut tiny = vec![0u8; 4096];
    match SnapshotWriter::new(&mut tiny, &info()) {
        Err(SnapshotError::SlotTooSmall { needed, available }) => {
            assert!(needed > 4096);
            assert_eq!(available, 4096);
        }
        other => panic!("{other:?}"),
    }
    // Big enough for the memory, not for the state: refused at a section.
    let mut short = vec![0u8; len - 1];
    assert!(matches!(
        write(&mut short),
        Err(SnapshotError::SlotTooSmall { available, .. }) if available == (len - 1) as u64
    ));
    let mut exact = vec![0u8; len];
    assert_eq!(write(&mut exact), Ok(len));
}

#[test]
fn slot_len_for_holds_a_full_partition() {
    let regions = [MemoryRegion {
        guest_base: 0,
        size: 0x10_0000,
    }];
    let len = slot_len_for(&regions).expect("no overflow") as usize;
    assert_eq!(len as u64, 0x10_0000 + STATE_AREA);
    let mut slot = vec![0u8; len];
    let info = SnapshotInfo {
        name: "big",
        generation: 0,
        counter_at_save: 0,
        counter_freq: 1,
        vcpus: 16,
        devices: 4,
        regions: &regions,
    };
    let mut w = SnapshotWriter::new(&mut slot, &info).expect("fits");
    let v2 = GicCpuState {
        version: GicVersion::V2,
        hcr: 0,
        vmcr: 0,
        ap0r: [0; 4],
        ap1r: [0; 4],
        lrs: vec![0; 64],
    };
    for i in 0..16 {
        w.write_vcpu(i, &VcpuState::default()).expect("fits");
        w.write_gic_cpu(i, &v2).expect("fits");
    }
    // About 30 KiB of distributor and device state, as the docs promise.
    w.write_distributor(&[0u8; 28 * 1024]).expect("fits");
    for d in 0..4 {
        w.write_device(d, &[0u8; 512]).expect("fits");
    }
    w.write_memory_with(0, |m| {
        m.fill(1);
        crc32c(0, m)
    })
    .expect("fits");
    w.finish().expect("complete");
    assert!(slot_len_for(&[MemoryRegion {
        guest_base: 0,
        size: u64::MAX
    }])
    .is_none());
}

#[test]
fn sections_must_come_in_canonical_order() {
    let mut slot = vec![0u8; 64 * 1024];
    let mut w = SnapshotWriter::new(&mut slot, &info()).expect("fits");
    assert_eq!(w.next_section(), Some((SectionKind::Vcpu, 0)));
    assert_eq!(
        w.write_gic_cpu(0, &gic(0)),
        Err(SnapshotError::OutOfOrder {
            expected: Some((SectionKind::Vcpu, 0)),
            got: (SectionKind::GicCpu, 0)
        })
    );
    w.write_vcpu(0, &vcpu(0)).expect("in order");
    assert!(matches!(
        w.write_vcpu(1, &vcpu(1)),
        Err(SnapshotError::OutOfOrder { .. })
    ));
    assert_eq!(
        w.finish(),
        Err(SnapshotError::Incomplete {
            next: (SectionKind::GicCpu, 0)
        })
    );
}

#[test]
fn bad_inputs_to_the_writer_are_refused() {
    let mut slot = vec![0u8; 64 * 1024];
    let long = "x".repeat(33);
    for name in ["", "has space", long.as_str(), "é"] {
        let i = SnapshotInfo { name, ..info() };
        assert_eq!(
            SnapshotWriter::new(&mut slot, &i).err(),
            Some(SnapshotError::BadName),
            "{name:?}"
        );
    }
    let i = SnapshotInfo {
        vcpus: 17,
        ..info()
    };
    assert!(matches!(
        SnapshotWriter::new(&mut slot, &i),
        Err(SnapshotError::TooMany { count: 17, .. })
    ));
    let i = SnapshotInfo { vcpus: 0, ..info() };
    assert!(SnapshotWriter::new(&mut slot, &i).is_err());
    let i = SnapshotInfo {
        regions: &[],
        ..info()
    };
    assert!(SnapshotWriter::new(&mut slot, &i).is_err());

    let mut w = SnapshotWriter::new(&mut slot, &info()).expect("fits");
    w.write_vcpu(0, &vcpu(0)).expect("ok");
    let mut bad = gic(0);
    bad.lrs = vec![0; 17];
    assert!(matches!(
        w.write_gic_cpu(0, &bad),
        Err(SnapshotError::State {
            kind: SectionKind::GicCpu,
            error: StateError::Invalid(_),
            ..
        })
    ));
    w.write_gic_cpu(0, &gic(0)).expect("ok");
    w.write_vcpu(1, &vcpu(1)).expect("ok");
    w.write_gic_cpu(1, &gic(1)).expect("ok");
    assert!(matches!(
        w.write_distributor(&vec![0; MAX_STATE_SECTION + 1]),
        Err(SnapshotError::BadSectionLength { .. })
    ));
    w.write_distributor(b"d").expect("ok");
    w.write_device(0, b"").expect("ok");
    w.write_device(1, b"").expect("ok");
    // Memory of the wrong length.
    assert!(matches!(
        w.write_memory(0, &[0; 10]),
        Err(SnapshotError::BadSectionLength { .. })
    ));
}

#[test]
fn an_unfinished_snapshot_reads_as_no_snapshot() {
    let (mut slot, _) = sample();
    // Start overwriting a good snapshot, then stop.
    let mut w = SnapshotWriter::new(&mut slot, &info()).expect("fits");
    w.write_vcpu(0, &vcpu(0)).expect("ok");
    drop(w);
    assert_eq!(Snapshot::parse(&slot).err(), Some(SnapshotError::EmptySlot));
}

#[test]
fn corrupt_slots_are_refused_with_a_clear_message() {
    let (slot, len) = sample();
    let err = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut s = slot.clone();
        f(&mut s);
        Snapshot::parse(&s).expect_err("corrupt")
    };
    assert_eq!(
        err(&|s| s.iter_mut().for_each(|b| *b = 0)),
        SnapshotError::EmptySlot
    );
    assert_eq!(err(&|s| s[0] = b'X'), SnapshotError::BadMagic);
    assert_eq!(
        err(&|s| s[8] = 3),
        SnapshotError::UnsupportedVersion {
            found: 3,
            supported: 2
        }
    );
    assert!(matches!(
        err(&|s| s.truncate(len - 1)),
        SnapshotError::BadLength { .. }
    ));
    assert_eq!(
        err(&|s| s.truncate(50)),
        SnapshotError::TooShort { len: 50 }
    );
    // The header and tables.
    let e = err(&|s| s[40] ^= 0x40);
    assert!(matches!(e, SnapshotError::HeaderChecksum { .. }));
    assert!(
        e.to_string().starts_with("corrupt slot: header CRC-32C 0x"),
        "{e}"
    );
    // A state section.
    let first = HEADER_LEN.div_ceil(16) * 16;
    assert!(matches!(
        err(&|s| s[first + 3] ^= 1),
        SnapshotError::SectionChecksum {
            kind: SectionKind::Vcpu,
            index: 0,
            ..
        }
    ));
    // Memory: the last byte of region 1.
    let e = err(&|s| s[len - 1] ^= 0x40);
    let SnapshotError::SectionChecksum {
        kind: SectionKind::Memory,
        index: 1,
        stored,
        computed,
    } = e
    else {
        panic!("{e:?}");
    };
    assert_eq!(stored, crc32c(0, &memory(1)));
    assert_ne!(stored, computed);
    assert_eq!(
        e.to_string(),
        format!(
            "corrupt slot: memory region 1: CRC-32C {computed:#010x}, the slot's table says {stored:#010x}"
        )
    );
    // Padding: after a state section, and before a memory section (region
    // 0 starts at 4096, the device sections end far below).
    let pad = first + VcpuState::ENCODED_LEN;
    assert_ne!(pad % 16, 0);
    assert_eq!(
        err(&|s| s[pad] = 1),
        SnapshotError::BadPadding { at: pad as u64 }
    );
    assert_eq!(
        err(&|s| s[4095] = 0x80),
        SnapshotError::BadPadding { at: 4095 }
    );
    assert_eq!(
        SnapshotError::EmptySlot.to_string(),
        "empty slot: no snapshot was saved there"
    );
}

#[test]
fn a_version_1_slot_is_refused_as_such() {
    let (mut slot, _) = sample();
    slot[8..12].copy_from_slice(&1u32.to_le_bytes());
    let e = Snapshot::parse(&slot).expect_err("version 1");
    assert_eq!(
        e,
        SnapshotError::UnsupportedVersion {
            found: 1,
            supported: 2
        }
    );
    assert!(e.to_string().starts_with("version 1 slot: "), "{e}");
    assert!(e.to_string().contains("take a new snapshot"), "{e}");
}

/// What a restore does: state first, then each region copied with its CRC
/// computed on the way, compared at the end of the region.
fn restore_like(slot: &[u8]) -> Result<Vec<Vec<u8>>, SnapshotError> {
    let s = Snapshot::parse_state_with(slot, crc32c)?;
    let mut out = Vec::new();
    for (i, r) in s.regions().iter().enumerate() {
        let src = s.memory(i as u16).expect("region");
        let mut dst = vec![0u8; r.size as usize];
        let crc = copy_crc32c(0, src, &mut dst);
        s.check_memory(i as u16, crc)?;
        out.push(dst);
    }
    Ok(out)
}

#[test]
fn a_restore_checks_state_first_and_memory_as_it_copies() {
    let (slot, len) = sample();
    assert_eq!(
        restore_like(&slot).expect("good"),
        vec![memory(0), memory(1)]
    );
    // Memory corruption passes the state check and is caught by the copy.
    let mut bad = slot.clone();
    bad[len - 50] ^= 4;
    let s = Snapshot::parse_state_with(&bad, crc32c).expect("the state is fine");
    assert_eq!(s.memory_crc(1), Some(crc32c(0, &memory(1))));
    assert!(matches!(
        s.verify_memory(),
        Err(SnapshotError::SectionChecksum {
            kind: SectionKind::Memory,
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        restore_like(&bad),
        Err(SnapshotError::SectionChecksum {
            kind: SectionKind::Memory,
            index: 1,
            ..
        })
    ));
    assert_eq!(
        s.check_memory(2, 0),
        Err(SnapshotError::BadHeader("no such memory region"))
    );
    // State corruption is caught before any memory is touched.
    let mut bad = slot.clone();
    bad[HEADER_LEN.div_ceil(16) * 16 + 8] ^= 1;
    assert!(Snapshot::parse_state_with(&bad, crc32c).is_err());
}

#[test]
fn a_wrong_memory_crc_from_the_writer_makes_the_slot_fail_its_check() {
    let mut slot = vec![0u8; 64 * 1024];
    let mut w = SnapshotWriter::new(&mut slot, &info()).expect("fits");
    for i in 0..2 {
        w.write_vcpu(i, &vcpu(i)).expect("vcpu");
        w.write_gic_cpu(i, &gic(i)).expect("gic");
    }
    w.write_distributor(b"d").expect("d");
    w.write_device(0, b"").expect("d0");
    w.write_device(1, b"").expect("d1");
    w.write_memory(0, &memory(0)).expect("m0");
    let m1 = memory(1);
    w.write_memory_with(1, |dst| copy_crc32c(0, &m1, dst) ^ 1)
        .expect("m1");
    w.finish().expect("complete");
    assert!(matches!(
        Snapshot::parse(&slot),
        Err(SnapshotError::SectionChecksum {
            kind: SectionKind::Memory,
            index: 1,
            ..
        })
    ));
}

#[test]
fn the_summary_says_what_the_slot_holds() {
    let (slot, len) = sample();
    assert_eq!(
        Snapshot::parse(&slot).expect("valid").summary(),
        Summary {
            name: "linux0".into(),
            generation: 7,
            vcpus: 2,
            devices: 2,
            regions: 2,
            memory: 0x3000 + 100,
            total_len: len as u64,
            counter_at_save: 123_456_789,
        }
    );
}

/// Recomputes section `n`'s CRC in the table (from its offset and length)
/// and the header's, to reach the checks behind the checksums.
fn fix_section_crc(slot: &mut [u8], n: usize) {
    let e = TABLE + 32 * n;
    let at = u64_at(slot, e + 8) as usize;
    let len = u64_at(slot, e + 16) as usize;
    let crc = crc32c(0, &slot[at..at + len]);
    slot[e + 24..e + 28].copy_from_slice(&crc.to_le_bytes());
}

fn with_valid_checksum(slot: &mut [u8]) {
    let header_len = u32_at(slot, 12) as usize;
    let sum = crc32c(0, &slot[28..header_len.min(slot.len())]);
    slot[24..28].copy_from_slice(&sum.to_le_bytes());
}

#[test]
fn structural_checks_behind_the_checksum() {
    let (slot, _) = sample();
    let err = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut s = slot.clone();
        f(&mut s);
        with_valid_checksum(&mut s);
        Snapshot::parse(&s).expect_err("refused")
    };
    // 17 vCPUs.
    assert!(matches!(
        err(&|s| s[52] = 17),
        SnapshotError::TooMany { count: 17, .. }
    ));
    // Section count that does not match the counts.
    assert!(matches!(err(&|s| s[58] = 8), SnapshotError::BadHeader(_)));
    // Reserved bytes.
    assert!(matches!(err(&|s| s[29] = 1), SnapshotError::BadHeader(_)));
    // Name: a space, a length past the padding.
    assert!(matches!(
        err(&|s| s[64] = b' '),
        SnapshotError::BadHeader(_)
    ));
    assert!(matches!(err(&|s| s[60] = 33), SnapshotError::BadHeader(_)));
    let table = TABLE;
    // First section's kind swapped.
    assert!(matches!(
        err(&|s| s[table] = 2),
        SnapshotError::BadSection { index: 0, .. }
    ));
    // First section's offset into the header, or past its boundary.
    assert!(matches!(
        err(&|s| s[table + 8..table + 16].copy_from_slice(&96u64.to_le_bytes())),
        SnapshotError::BadSection { index: 0, .. }
    ));
    let first = HEADER_LEN.div_ceil(16) * 16;
    assert!(matches!(
        err(&|s| s[table + 8..table + 16].copy_from_slice(&(first as u64 + 16).to_le_bytes())),
        SnapshotError::BadSection { index: 0, .. }
    ));
    // The reserved word after a section's CRC.
    assert!(matches!(
        err(&|s| s[table + 28] = 1),
        SnapshotError::BadSection { index: 0, .. }
    ));
    // A vCPU section one byte short, with a CRC that matches it.
    assert!(matches!(
        err(&|s| {
            s[table + 16..table + 24]
                .copy_from_slice(&(VcpuState::ENCODED_LEN as u64 - 1).to_le_bytes());
            fix_section_crc(s, 0);
        }),
        SnapshotError::State {
            kind: SectionKind::Vcpu,
            index: 0,
            error: StateError::Truncated { .. }
        }
    ));
    // A region size that the memory section does not have.
    assert!(matches!(
        err(&|s| s[96 + 8] = 0x20),
        SnapshotError::BadSection { .. }
    ));
}

#[test]
fn restoring_into_another_partition_is_refused() {
    let (slot, _) = sample();
    let s = Snapshot::parse(&slot).expect("valid");
    assert!(matches!(
        s.check_fits("rtos", &REGIONS, 2, 62_500_000),
        Err(SnapshotError::Mismatch(_))
    ));
    assert!(s
        .check_fits("linux0", &REGIONS[..1], 2, 62_500_000)
        .is_err());
    assert!(s.check_fits("linux0", &REGIONS, 1, 62_500_000).is_err());
    assert!(s.check_fits("linux0", &REGIONS, 2, 1).is_err());
}

#[test]
fn a_larger_slot_keeps_bytes_past_the_snapshot_out_of_it() {
    let (mut slot, len) = sample();
    slot[len..].fill(0x11);
    assert_eq!(Snapshot::parse(&slot).expect("valid").total_len(), len);
}
