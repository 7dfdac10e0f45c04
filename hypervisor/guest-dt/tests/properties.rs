//! Property tests: any valid spec comes back as written, and no board blob,
//! however damaged, makes generate panic.

mod common;

use bulkhead_core::addr::MemRange;
use bulkhead_guest_dt::{generate, vcpu_mpidr, GuestDtSpec, GuestGic, GuestRange};
use common::*;
use proptest::prelude::*;

const PAGE: u64 = 0x1000;
const RAM_BASE: u64 = 0x4000_0000;

/// 1-4 RAM regions above virt's devices as (pages, gap pages), listed in a
/// shuffled order.
fn memory() -> impl Strategy<Value = Vec<GuestRange>> {
    prop::collection::vec((1u64..0x4000, 0u64..0x4000), 1..5)
        .prop_map(|parts| {
            let mut at = RAM_BASE;
            let mut out = Vec::new();
            for (pages, gap) in parts {
                out.push(GuestRange::new(at, pages * PAGE));
                at += (pages + gap) * PAGE;
            }
            out
        })
        .prop_shuffle()
}

fn spec() -> impl Strategy<Value = GuestDtSpec> {
    (
        1usize..=64,
        memory(),
        proptest::option::of("[ -~]{0,300}"),
        any::<bool>(),
    )
        .prop_map(|(vcpus, memory, bootargs, with_initrd)| {
            let lowest = *memory.iter().min().unwrap();
            GuestDtSpec {
                vcpus,
                initrd: with_initrd.then(|| GuestRange::new(lowest.base.0, lowest.size / 2 + 1)),
                memory,
                bootargs,
                gic: GuestGic::V3 {
                    distributor: GuestRange::new(0x0800_0000, 0x1_0000),
                    redistributors: GuestRange::new(0x080a_0000, vcpus as u64 * 0x2_0000),
                    maintenance_intid: None,
                },
                ..small_spec()
            }
        })
}

proptest! {
    #[test]
    fn valid_specs_read_back(spec in spec()) {
        let out = generate(&virt_v3(), &spec).unwrap();
        let hw = bulkhead_core::dt::parse(&out.dtb).unwrap();
        let ids: Vec<u64> = hw.cpus.iter().map(|c| c.mpidr).collect();
        let want: Vec<u64> = (0..spec.vcpus).map(vcpu_mpidr).collect();
        prop_assert_eq!(ids, want);
        let mut memory: Vec<MemRange> =
            spec.memory.iter().map(|r| MemRange::new(r.base.0, r.size)).collect();
        memory.sort();
        prop_assert_eq!(hw.memory, memory);
        prop_assert_eq!(hw.chosen.bootargs, spec.bootargs);
        prop_assert_eq!(
            hw.chosen.initrd,
            spec.initrd.map(|r| MemRange::new(r.base.0, r.size))
        );
    }

    #[test]
    fn damaged_boards_are_refused_or_read(
        hits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut blob = virt_v3();
        for (at, byte) in hits {
            let i = at.index(blob.len());
            blob[i] = byte;
        }
        if truncate {
            blob.truncate(cut.index(blob.len()));
        }
        // Ok or Err, never a panic.
        let _ = generate(&blob, &small_spec());
    }
}

/// FDT_NOP tokens (what libfdt leaves when it deletes in place) are legal;
/// the tree read through them is the same tree.
#[test]
fn nop_tokens_change_nothing() {
    let blob = virt_v3();
    let be = |at: usize| u32::from_be_bytes(blob[at..at + 4].try_into().unwrap());
    let (off_struct, off_strings) = (be(8) as usize, be(12) as usize);
    assert!(off_strings > off_struct);
    // After the root's FDT_BEGIN_NODE and its empty, padded name.
    let at = off_struct + 8;
    let mut with_nops = blob[..at].to_vec();
    for _ in 0..3 {
        with_nops.extend(4u32.to_be_bytes());
    }
    with_nops.extend(&blob[at..]);
    let grow = |field: usize, by: u32, b: &mut Vec<u8>| {
        let v = u32::from_be_bytes(b[field..field + 4].try_into().unwrap()) + by;
        b[field..field + 4].copy_from_slice(&v.to_be_bytes());
    };
    grow(4, 12, &mut with_nops); // totalsize
    grow(12, 12, &mut with_nops); // off_dt_strings
    grow(36, 12, &mut with_nops); // size_dt_struct
    let spec = small_spec();
    assert_eq!(
        generate(&with_nops, &spec).unwrap(),
        generate(&blob, &spec).unwrap()
    );
}
