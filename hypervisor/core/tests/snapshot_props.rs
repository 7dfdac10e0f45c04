//! Property tests of the snapshot state encodings and the slot format.

use bulkhead_core::snapshot::hash::copy_crc32c;
use bulkhead_core::snapshot::{
    crc32c, El1SysRegs, FpState, GicCpuState, GicVersion, MemoryRegion, SectionKind, Snapshot,
    SnapshotError, SnapshotInfo, SnapshotWriter, StateError, TimerState, VcpuState,
};
use proptest::prelude::*;

fn vcpu_state() -> impl Strategy<Value = VcpuState> {
    (
        prop::collection::vec(any::<u64>(), 31 + 6 + El1SysRegs::COUNT + 6),
        prop::collection::vec(any::<u128>(), 32),
    )
        .prop_map(|(w, q)| {
            let mut w = w.into_iter();
            let mut next = || w.next().unwrap_or(0);
            let mut x = [0u64; 31];
            x.iter_mut().for_each(|r| *r = next());
            let (pc, pstate, sp_el0, sp_el1, elr_el1, spsr_el1) =
                (next(), next(), next(), next(), next(), next());
            let mut sys = [0u64; El1SysRegs::COUNT];
            sys.iter_mut().for_each(|r| *r = next());
            let mut qs = [0u128; 32];
            qs.copy_from_slice(&q);
            VcpuState {
                x,
                pc,
                pstate,
                sp_el0,
                sp_el1,
                elr_el1,
                spsr_el1,
                sys: El1SysRegs::from_array(sys),
                fp: FpState {
                    q: qs,
                    fpsr: next(),
                    fpcr: next(),
                },
                timer: TimerState {
                    cntv_ctl: next(),
                    cntv_cval: next(),
                    cntvoff: next(),
                },
                vmpidr: next(),
            }
        })
}

fn gic_state() -> impl Strategy<Value = GicCpuState> {
    prop_oneof![
        (
            any::<[u32; 6]>(),
            prop::collection::vec(any::<u32>().prop_map(u64::from), 0..=64)
        )
            .prop_map(|(r, lrs)| GicCpuState {
                version: GicVersion::V2,
                hcr: r[0],
                vmcr: r[1],
                ap0r: [r[2], 0, 0, 0],
                ap1r: [0; 4],
                lrs,
            }),
        (
            any::<[u32; 10]>(),
            prop::collection::vec(any::<u64>(), 0..=16)
        )
            .prop_map(|(r, lrs)| GicCpuState {
                version: GicVersion::V3,
                hcr: r[0],
                vmcr: r[1],
                ap0r: [r[2], r[3], r[4], r[5]],
                ap1r: [r[6], r[7], r[8], r[9]],
                lrs,
            }),
    ]
}

#[derive(Debug, Clone)]
struct Contents {
    name: String,
    generation: u64,
    counter: u64,
    vcpus: Vec<(VcpuState, GicCpuState)>,
    distributor: Vec<u8>,
    devices: Vec<Vec<u8>>,
    regions: Vec<(u64, Vec<u8>)>,
}

fn contents() -> impl Strategy<Value = Contents> {
    (
        "[!-~]{1,32}",
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec((vcpu_state(), gic_state()), 1..4),
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..4),
        prop::collection::vec(
            (any::<u64>(), prop::collection::vec(any::<u8>(), 1..5000)),
            1..4,
        ),
    )
        .prop_map(
            |(name, generation, counter, vcpus, distributor, devices, regions)| Contents {
                name,
                generation,
                counter,
                vcpus,
                distributor,
                devices,
                regions,
            },
        )
}

fn regions_of(c: &Contents) -> Vec<MemoryRegion> {
    c.regions
        .iter()
        .map(|(base, m)| MemoryRegion {
            guest_base: *base,
            size: m.len() as u64,
        })
        .collect()
}

fn write(c: &Contents, slot: &mut [u8]) -> usize {
    let regions = regions_of(c);
    let info = SnapshotInfo {
        name: &c.name,
        generation: c.generation,
        counter_at_save: c.counter,
        counter_freq: 1_000_000,
        vcpus: c.vcpus.len() as u16,
        devices: c.devices.len() as u16,
        regions: &regions,
    };
    let mut w = SnapshotWriter::new(slot, &info).expect("fits");
    for (i, (v, g)) in c.vcpus.iter().enumerate() {
        w.write_vcpu(i as u16, v).expect("vcpu");
        w.write_gic_cpu(i as u16, g).expect("gic");
    }
    w.write_distributor(&c.distributor).expect("distributor");
    for (i, d) in c.devices.iter().enumerate() {
        w.write_device(i as u16, d).expect("device");
    }
    for (i, (_, m)) in c.regions.iter().enumerate() {
        w.write_memory(i as u16, m).expect("memory");
    }
    w.finish().expect("complete")
}

const SLOT: usize = 64 * 1024;

/// The restore's order: header and state checked, then each region copied
/// with its CRC computed on the way and compared (what the hypervisor's
/// `snapshot::read_slot` does with its fused loop).
fn restore_like(slot: &[u8]) -> Result<(), SnapshotError> {
    let s = Snapshot::parse_state_with(slot, crc32c)?;
    for (i, r) in s.regions().iter().enumerate() {
        let src = s.memory(i as u16).unwrap_or(&[]);
        let mut dst = vec![0u8; r.size as usize];
        let crc = copy_crc32c(0, src, &mut dst);
        s.check_memory(i as u16, crc)?;
    }
    Ok(())
}

/// Where memory region sections lie in a good snapshot.
fn memory_ranges(slot: &[u8]) -> Vec<std::ops::Range<usize>> {
    let s = Snapshot::parse(slot).expect("valid");
    (0..s.regions().len())
        .map(|i| {
            let m = s.memory(i as u16).expect("region");
            let at = m.as_ptr() as usize - slot.as_ptr() as usize;
            at..at + m.len()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn vcpu_state_round_trips(v in vcpu_state()) {
        let mut out = Vec::new();
        v.save(&mut out);
        prop_assert_eq!(out.len(), VcpuState::ENCODED_LEN);
        prop_assert_eq!(VcpuState::restore(&out), Ok(v));
        // One byte short, one too many.
        prop_assert!(
            matches!(VcpuState::restore(&out[..out.len() - 1]), Err(StateError::Truncated { .. })),
            "truncated"
        );
        out.push(0);
        prop_assert_eq!(VcpuState::restore(&out), Err(StateError::TrailingBytes { extra: 1 }));
    }

    #[test]
    fn gic_cpu_state_round_trips(g in gic_state()) {
        let mut out = Vec::new();
        g.save(&mut out).expect("valid");
        prop_assert_eq!(GicCpuState::restore(&out), Ok(g));
        out[0] = 2;
        prop_assert!(
            matches!(GicCpuState::restore(&out), Err(StateError::UnsupportedVersion { found: 2, .. })),
            "version checked"
        );
    }

    #[test]
    fn state_decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1200)) {
        let _ = VcpuState::restore(&bytes);
        let _ = GicCpuState::restore(&bytes);
    }

    #[test]
    fn snapshots_round_trip(c in contents()) {
        let mut slot = vec![0x5Au8; SLOT];
        let len = write(&c, &mut slot);
        let s = Snapshot::parse(&slot).expect("valid");
        prop_assert_eq!(s.total_len(), len);
        prop_assert_eq!(s.name(), c.name.as_str());
        prop_assert_eq!(s.generation(), c.generation);
        prop_assert_eq!(s.counter_at_save(), c.counter);
        let regions = regions_of(&c);
        prop_assert_eq!(s.regions(), regions.as_slice());
        for (i, (v, g)) in c.vcpus.iter().enumerate() {
            prop_assert_eq!(s.vcpu(i as u16), Some(v));
            prop_assert_eq!(s.gic_cpu(i as u16), Some(g));
        }
        prop_assert_eq!(s.distributor(), c.distributor.as_slice());
        for (i, d) in c.devices.iter().enumerate() {
            prop_assert_eq!(s.device(i as u16), Some(d.as_slice()));
        }
        for (i, (_, m)) in c.regions.iter().enumerate() {
            prop_assert_eq!(s.memory(i as u16), Some(m.as_slice()));
        }
    }

    /// Any change to any byte of a snapshot is refused.
    #[test]
    fn any_corrupt_byte_is_refused(c in contents(), at in any::<prop::sample::Index>(), flip in 1u8..) {
        let mut slot = vec![0u8; SLOT];
        let len = write(&c, &mut slot);
        let i = at.index(len);
        let ranges = memory_ranges(&slot);
        slot[i] ^= flip;
        prop_assert!(Snapshot::parse(&slot).is_err(), "byte {} of {} changed", i, len);
        // A restore refuses it too: before touching memory if the byte is
        // outside the memory sections, at the copy of its region if inside.
        let in_region = ranges.iter().position(|r| r.contains(&i));
        let state = Snapshot::parse_state_with(&slot, crc32c);
        match in_region {
            None => prop_assert!(state.is_err(), "byte {} outside memory passed the state check", i),
            Some(region) => {
                prop_assert!(state.is_ok(), "a memory byte failed the state check");
                prop_assert!(
                    matches!(
                        restore_like(&slot),
                        Err(SnapshotError::SectionChecksum { kind: SectionKind::Memory, index, .. })
                            if usize::from(index) == region
                    ),
                    "byte {} of region {} not caught at its copy", i, region
                );
            }
        }
    }

    /// Any prefix of a snapshot is refused.
    #[test]
    fn any_truncation_is_refused(c in contents(), at in any::<prop::sample::Index>()) {
        let mut slot = vec![0u8; SLOT];
        let len = write(&c, &mut slot);
        let cut = at.index(len);
        prop_assert!(Snapshot::parse(&slot[..cut]).is_err());
        prop_assert!(Snapshot::parse_state_with(&slot[..cut], crc32c).is_err());
        prop_assert!(restore_like(&slot).is_ok());
    }

    /// A changed header or table byte with a header checksum that matches
    /// (reaching the structural checks behind it): never a panic, and the
    /// restore's order refuses whatever the complete check refuses.
    #[test]
    fn header_changes_behind_a_good_checksum_never_panic(
        c in contents(), at in any::<prop::sample::Index>(), flip in 1u8..
    ) {
        let mut slot = vec![0u8; SLOT];
        write(&c, &mut slot);
        let header_len = u32::from_le_bytes(slot[12..16].try_into().unwrap()) as usize;
        let i = 28 + at.index(header_len - 28);
        slot[i] ^= flip;
        let sum = crc32c(0, &slot[28..header_len]);
        slot[24..28].copy_from_slice(&sum.to_le_bytes());
        let full = Snapshot::parse(&slot).map(|s| s.total_len());
        let staged = restore_like(&slot);
        prop_assert_eq!(full.is_ok(), staged.is_ok(), "byte {}", i);
    }

    #[test]
    fn parse_never_panics(mut bytes in prop::collection::vec(any::<u8>(), 0..2000), magic in any::<bool>()) {
        if magic && bytes.len() >= 12 {
            bytes[..8].copy_from_slice(b"BKSNAP01");
            bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
        }
        let _ = Snapshot::parse(&bytes);
        let _ = restore_like(&bytes);
    }
}
