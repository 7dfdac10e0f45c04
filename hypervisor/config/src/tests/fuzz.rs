//! Properties: decoding never panics; encoding round-trips; validation
//! never panics, and what it accepts is sound.

use super::board;
use crate::{
    decode, encode_raw, validate, BootProtocol, ByteSize, FaultAction, RawHypervisor, RawMemory,
    RawPartition, RawRestart, RawSystem,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::sample::select;

fn s(options: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(options).prop_map(String::from)
}

const NAMES: &[&str] = &["linux0", "rtos", "a", "", "bad name", "linux0"];
const CPUS: &[&str] = &["cpu@0", "cpu@1", "cpu@2", "cpu@3", "cpu@4"];
const DEVICES: &[&str] = &[
    "/virtio_mmio@a003e00",
    "/virtio_mmio@a003c00",
    "/virtio_mmio@a000000",
    "/pl011@9040000",
    "/pl011@9000000",
    "/pl031@9010000",
    "/intc@8000000",
    "/pmu-like@9050000",
    "/nope",
];
const CONSOLES: &[&str] = &[
    "emulated",
    "none",
    "/pl011@9040000",
    "/pl011@9000000",
    "tty",
    "/pl031@9010000",
];

fn memory() -> impl Strategy<Value = RawMemory> {
    let size = prop_oneof![
        select(&[0x1000u64, 0x20_0000, 0x100_0000, 0x1000_0000, 0x4000_0000][..]),
        any::<u64>(),
        (0u64..0x1000).prop_map(|n| n * 0x1000),
    ];
    let base = prop_oneof![
        select(
            &[
                0x4000_0000u64,
                0x4800_0000,
                0x4810_0000,
                0x7fe0_0000,
                0x9000_0000
            ][..]
        ),
        any::<u64>(),
        (0x4000u64..0x8000).prop_map(|n| n * 0x1_0000),
    ];
    (
        size,
        of(base),
        of(any::<bool>()),
        of(prop_oneof![Just(0u64), Just(0x8000_0000), any::<u64>()]),
    )
        .prop_map(|(size, base, identity, guest_base)| RawMemory {
            size: ByteSize(size),
            base,
            identity,
            guest_base,
        })
}

fn restart() -> impl Strategy<Value = RawRestart> {
    (0u32..1002, 0u64..20_000, 0u64..20_000).prop_map(|(max, window_ms, min_uptime_ms)| {
        RawRestart {
            max,
            window_ms,
            min_uptime_ms,
        }
    })
}

fn partition() -> impl Strategy<Value = RawPartition> {
    (
        (
            s(NAMES),
            of(vec(s(CPUS), 0..4)),
            of(vec(0u64..6, 0..4)),
            vec(memory(), 0..4),
        ),
        (
            vec(s(DEVICES), 0..4),
            s(&["k", ""]),
            of(s(&["r"])),
            of(s(&["console=ttyAMA0"])),
            vec(s(DEVICES), 0..3),
        ),
        (
            select(&[BootProtocol::Linux, BootProtocol::BareMetal][..]),
            of(prop_oneof![Just(0u64), Just(0x102), 0u64..0x20_0000]),
            of(s(CONSOLES)),
        ),
        (
            select(
                &[
                    FaultAction::Stop,
                    FaultAction::Restart,
                    FaultAction::InjectAbort,
                ][..],
            ),
            of(restart()),
            of(0u64..4_000_000),
            any::<bool>(),
            0u32..6,
        ),
    )
        .prop_map(
            |(
                (name, cpus, mpidrs, memory),
                (devices, kernel, ramdisk, bootargs, reset_on_restore),
                (boot_protocol, entry_offset, console),
                (on_fault, restart, watchdog_ms, manager, snapshot_slots),
            )| RawPartition {
                name,
                cpus,
                mpidrs,
                memory,
                devices,
                kernel,
                ramdisk,
                dtb: None,
                bootargs,
                boot_protocol,
                entry_offset,
                console,
                on_fault,
                restart,
                watchdog_ms,
                manager,
                snapshot_slots,
                reset_on_restore,
            },
        )
}

fn system() -> impl Strategy<Value = RawSystem> {
    (
        of(s(&["/pl011@9000000", "/pl011@9040000", "none", "x"])),
        vec(partition(), 0..4),
    )
        .prop_map(|(console, partitions)| RawSystem {
            hypervisor: RawHypervisor { console },
            partitions,
        })
}

/// Partitions that are mostly valid, so the soundness property sees many
/// accepted systems: distinct names and cores, devices per partition,
/// sensible sizes; a fixed base now and then to make conflicts possible.
fn plausible_partition(i: usize) -> BoxedStrategy<RawPartition> {
    let nice = select(&[0x1000u64, 0x20_0000, 0x100_0000, 0x400_0000, 0x1000_0000][..]);
    let region = prop_oneof![
        3 => nice.clone().prop_map(|size| (size, None)),
        1 => (nice, (0x4000u64..0x8000)).prop_map(|(size, b)| (size, Some(b * 0x1_0000))),
    ]
    .prop_map(|(size, base)| RawMemory {
        size: ByteSize(size),
        base,
        identity: None,
        guest_base: None,
    });
    let devices: &'static [&'static str] = match i {
        0 => &["/virtio_mmio@a003e00", "/virtio_mmio@a003c00"],
        1 => &["/pl011@9040000", "/virtio_mmio@a000000"],
        _ => &["/pl031@9010000", "/virtio_mmio@a001000"],
    };
    (
        vec(region, 1..3),
        proptest::sample::subsequence(devices, 0..=2),
        any::<bool>(),
        prop_oneof![Just(0u64), Just(0x100)],
        select(&[None, Some("none"), Some("emulated")][..]),
        select(
            &[
                FaultAction::Stop,
                FaultAction::Restart,
                FaultAction::InjectAbort,
            ][..],
        ),
        (
            of(1u64..10_000),
            any::<bool>(),
            0u32..2,
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            move |(
                memory,
                devices,
                bare,
                entry,
                console,
                on_fault,
                (watchdog_ms, manager, snapshot_slots, shared_cpu, reset),
            )| {
                let cpu = if shared_cpu && i > 0 { i - 1 } else { i };
                // Its virtio-mmio devices, reset on restore.
                let reset_on_restore = devices
                    .iter()
                    .filter(|d| reset && d.starts_with("/virtio"))
                    .map(|d| String::from(*d))
                    .collect();
                RawPartition {
                    name: format!("p{i}"),
                    cpus: Some(vec![format!("cpu@{cpu}")]),
                    mpidrs: None,
                    memory,
                    devices: devices.into_iter().map(String::from).collect(),
                    kernel: "k".into(),
                    boot_protocol: if bare {
                        BootProtocol::BareMetal
                    } else {
                        BootProtocol::Linux
                    },
                    entry_offset: bare.then_some(entry),
                    console: console.map(String::from),
                    on_fault,
                    watchdog_ms,
                    manager: manager && i == 0,
                    snapshot_slots,
                    reset_on_restore,
                    ..RawPartition::default()
                }
            },
        )
        .boxed()
}

fn plausible_system() -> impl Strategy<Value = RawSystem> {
    (1usize..4).prop_flat_map(|n| {
        (0..n)
            .map(plausible_partition)
            .collect::<Vec<_>>()
            .prop_map(|partitions| RawSystem {
                hypervisor: RawHypervisor::default(),
                partitions,
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn decode_never_panics(bytes in vec(any::<u8>(), 0..2048)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_of_a_damaged_encoding_never_panics(
        sys in system(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = encode_raw(&sys);
        for (at, v) in edits {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        let _ = decode(&bytes);
        let n = cut.index(bytes.len() + 1);
        let _ = decode(&bytes[..n]);
    }

    #[test]
    fn encoding_round_trips(sys in system()) {
        prop_assert_eq!(decode(&encode_raw(&sys)).unwrap(), sys);
    }

    #[test]
    fn validation_never_panics_and_what_it_accepts_is_sound(
        sys in prop_oneof![1 => system(), 3 => plausible_system()],
    ) {
        let hw = board::qemu_virt();
        let cons = board::constraints();
        let Ok(checked) = validate(&sys, &hw, &cons) else { return Ok(()) };
        let mut taken: Vec<bulkhead_core::addr::MemRange> = cons.keep_out.iter().map(|k| k.range).collect();
        let mut cpus = Vec::new();
        let mut devices = Vec::new();
        for p in checked.partitions() {
            prop_assert!(!p.cpus().is_empty() && !p.memory().is_empty());
            for m in p.memory() {
                prop_assert!(hw.memory.iter().any(|b| b.covers(&m.host)));
                prop_assert!(m.host.base.0 % 0x1000 == 0 && m.host.size % 0x1000 == 0 && m.host.size > 0);
                prop_assert!(taken.iter().all(|t| !t.overlaps(&m.host)), "{:?} overlaps", m.host);
                taken.push(m.host);
            }
            if let Some(s) = p.snapshots() {
                prop_assert!(taken.iter().all(|t| !t.overlaps(&s.area)));
                taken.push(s.area);
            }
            for c in p.cpus() {
                prop_assert!(!cpus.contains(&c.mpidr));
                cpus.push(c.mpidr);
            }
            for d in p.devices() {
                prop_assert!(!devices.contains(&d.path));
                devices.push(d.path.clone());
                // Only a device with a known reset method is reset.
                if d.reset_on_restore.is_some() {
                    prop_assert!(d.dma && d.path.starts_with("/virtio_mmio"));
                }
            }
        }
        // And the checked form survives the trip through the bundle.
        let again = validate(&decode(&checked.encode()).unwrap(), &hw, &cons).unwrap();
        prop_assert_eq!(again, checked);
    }
}

#[test]
fn plausible_systems_are_often_accepted() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let accepted = (0..500)
        .filter(|_| {
            let sys = plausible_system().new_tree(&mut runner).unwrap().current();
            validate(&sys, &board::qemu_virt(), &board::constraints()).is_ok()
        })
        .count();
    // Otherwise the soundness property above tests little.
    assert!(accepted > 100, "only {accepted} of 500 accepted");
    eprintln!("accepted {accepted} of 500");
}
