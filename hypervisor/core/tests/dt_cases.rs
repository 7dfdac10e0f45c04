//! Device tree corner cases and refusals, one small built tree each.

mod common;

use bulkhead_core::addr::MemRange;
use bulkhead_core::dt::{self, DtError};
use bulkhead_core::hw::{Conduit, EnableMethod, Gic, Interrupt, Intid, Trigger};
use common::{bootable, Dtb};

fn err(blob: &[u8]) -> DtError {
    dt::parse(blob).unwrap_err()
}

fn intid(i: &Interrupt) -> u32 {
    i.intid.0
}

#[test]
fn unbootable_trees_are_errors() {
    let mut t = Dtb::new();
    t.bus(2, 2).one_gib();
    assert_eq!(err(&t.finish()), DtError::NoCpus);

    let mut t = Dtb::new();
    t.bus(2, 2)
        .one_gib()
        .node("cpus")
        .bus(1, 0)
        .node("cpu-map")
        .end();
    assert_eq!(err(&t.finish()), DtError::NoCpuNodes);

    let mut t = Dtb::new();
    t.bus(2, 2).one_cpu();
    assert_eq!(err(&t.finish()), DtError::NoMemory);

    // A memory node whose only bank is empty is no memory either.
    let mut t = Dtb::new();
    t.bus(2, 2)
        .one_cpu()
        .node("memory@0")
        .str("device_type", "memory");
    t.cells("reg", &[0, 0, 0, 0]);
    assert_eq!(err(&t.finish()), DtError::NoMemory);
}

#[test]
fn cpu_errors_read_as_messages() {
    let mut t = Dtb::new();
    t.bus(2, 2).one_gib().node("cpus").bus(1, 0);
    t.node("cpu@0")
        .str("device_type", "cpu")
        .cells("reg", &[0])
        .end();
    t.node("cpu@1")
        .str("device_type", "cpu")
        .cells("reg", &[0, 0, 1]);
    assert_eq!(
        err(&t.finish()).to_string(),
        "device tree: /cpus/cpu@1: reg has 3 cells, expected 1"
    );

    let mut t = Dtb::new();
    t.bus(2, 2).one_gib().node("cpus").bus(3, 0);
    t.node("cpu@0")
        .str("device_type", "cpu")
        .cells("reg", &[0, 0, 0]);
    assert_eq!(
        err(&t.finish()).to_string(),
        "device tree: /cpus: #address-cells 0x3 is not 1 or 2"
    );

    let mut t = Dtb::new();
    t.bus(2, 2).one_gib().node("cpus").bus(1, 0);
    t.node("cpu@0")
        .str("device_type", "cpu")
        .cells("reg", &[0])
        .end();
    t.node("cpu@1")
        .str("device_type", "cpu")
        .cells("reg", &[0])
        .end();
    assert_eq!(
        err(&t.finish()).to_string(),
        "device tree: /cpus/cpu@1: reg 0x0 is the MPIDR of an earlier cpu node too"
    );

    let mut t = Dtb::new();
    t.bus(2, 2).one_gib().node("cpus").bus(2, 0);
    t.node("cpu@0")
        .str("device_type", "cpu")
        .cells("reg", &[1, 0x100_0000]);
    assert_eq!(
        err(&t.finish()).to_string(),
        "device tree: /cpus/cpu@0: reg 0x101000000 has bits outside the MPIDR affinity fields"
    );

    let mut t = Dtb::new();
    t.bus(2, 2).one_gib().node("cpus").bus(1, 0);
    t.node("cpu@0").str("device_type", "cpu").cells("reg", &[0]);
    t.str("enable-method", "spin-table");
    assert_eq!(
        err(&t.finish()).to_string(),
        "device tree: /cpus/cpu@0: no cpu-release-addr property"
    );
}

#[test]
fn cpus_with_two_address_cells_and_other_nodes_under_cpus() {
    let mut t = Dtb::new();
    t.bus(2, 2).one_gib().node("cpus").bus(2, 0);
    t.node("l2-cache0").strs("compatible", &["cache"]).end();
    t.node("cpu@0")
        .str("device_type", "cpu")
        .cells("reg", &[0, 0])
        .end();
    t.node("cpu@100000000")
        .str("device_type", "cpu")
        .cells("reg", &[1, 0x0001_0203])
        .str("enable-method", "spin-table")
        .cells("cpu-release-addr", &[0xfff8])
        .end();
    // Named like a cpu but typed otherwise: not a cpu.
    t.node("cpu@9")
        .str("device_type", "cache")
        .cells("reg", &[0, 9])
        .end();
    let hw = dt::parse(&t.finish()).unwrap();
    assert_eq!(hw.cpus.len(), 2);
    assert_eq!(hw.cpus[1].mpidr, 0x1_0001_0203);
    assert_eq!(hw.cpus[1].name, "cpu@100000000");
    assert_eq!(hw.cpus[0].enable_method, EnableMethod::None);
    assert_eq!(
        hw.cpus[1].enable_method,
        EnableMethod::SpinTable {
            release_addr: 0xfff8
        }
    );
}

#[test]
fn psci_bindings() {
    let psci = |compat: &[&str], method: &str, cpu_on: Option<u32>| {
        dt::parse(&bootable(|t| {
            t.node("psci")
                .strs("compatible", compat)
                .str("method", method);
            if let Some(id) = cpu_on {
                t.cells("cpu_on", &[id]);
            }
            t.end();
        }))
    };
    let p = psci(&["arm,psci-0.2"], "hvc", None).unwrap().psci.unwrap();
    assert_eq!(
        (p.conduit, p.v0_2_or_later, p.cpu_on),
        (Conduit::Hvc, true, 0xc400_0003)
    );
    // The legacy binding takes its function ids from the node.
    let p = psci(&["arm,psci"], "smc", Some(0x9500_0001))
        .unwrap()
        .psci
        .unwrap();
    assert_eq!(
        (p.conduit, p.v0_2_or_later, p.cpu_on),
        (Conduit::Smc, false, 0x9500_0001)
    );
    assert_eq!(
        psci(&["arm,psci"], "smc", None).unwrap_err().to_string(),
        "device tree: /psci: no cpu_on property"
    );
    assert_eq!(
        psci(&["arm,psci-1.0"], "svc", None)
            .unwrap_err()
            .to_string(),
        "device tree: /psci: method is neither \"smc\" nor \"hvc\""
    );
}

#[test]
fn all_memory_nodes_and_banks_sorted() {
    let mut t = Dtb::new();
    t.bus(2, 1).one_cpu();
    t.node("memory@80000000")
        .str("device_type", "memory")
        .cells(
            "reg",
            &[0, 0x8000_0000, 0x1000_0000, 0, 0x6000_0000, 0x1000_0000],
        )
        .end();
    // Older trees: the name alone.
    t.node("memory")
        .cells("reg", &[0, 0x4000_0000, 0x1000_0000])
        .end();
    // Any name with device_type memory.
    t.node("ram@1")
        .str("device_type", "memory")
        .cells("reg", &[1, 0, 0x1000_0000])
        .end();
    t.node("memory@2")
        .str("device_type", "memory")
        .str("status", "disabled")
        .cells("reg", &[2, 0, 0x1000_0000])
        .end();
    // Overlapping banks merge; these two overlap the first node's.
    t.node("memory@88000000")
        .str("device_type", "memory")
        .cells("reg", &[0, 0x8800_0000, 0x1000_0000])
        .end();
    let hw = dt::parse(&t.finish()).unwrap();
    assert_eq!(
        hw.memory,
        [
            MemRange::new(0x4000_0000, 0x1000_0000),
            MemRange::new(0x6000_0000, 0x1000_0000),
            MemRange::new(0x8000_0000, 0x1800_0000),
            MemRange::new(0x1_0000_0000, 0x1000_0000),
        ]
    );
    assert!(hw.devices.is_empty(), "{:?}", hw.devices);
}

#[test]
fn memory_at_the_top_of_the_address_space_does_not_overflow() {
    let mut t = Dtb::new();
    t.bus(2, 2).one_cpu();
    t.node("memory@0")
        .str("device_type", "memory")
        .cells("reg", &[0xffff_ffff, 0xffff_0000, 0xffff_ffff, 0xffff_ffff])
        .end();
    t.node("memory@1")
        .str("device_type", "memory")
        .cells("reg", &[0, 0, 0xffff_ffff, 0xffff_ffff])
        .end();
    let hw = dt::parse(&t.finish()).unwrap();
    assert_eq!(hw.total_memory(), u64::MAX);
    assert!(dt::Summary(&hw).to_string().contains("in 1 bank(s)"));
}

#[test]
fn gic_v3_with_two_redistributor_regions_and_four_cells() {
    let blob = bootable(|t| {
        t.node("interrupt-controller@2f000000")
            .strs("compatible", &["arm,gic-v3"])
            .cells("#interrupt-cells", &[4])
            .cells("#redistributor-regions", &[2])
            .cells(
                "reg",
                &[
                    0,
                    0x2f00_0000,
                    0,
                    0x1_0000, //
                    0,
                    0x2f10_0000,
                    0,
                    0x10_0000, //
                    0,
                    0x3f10_0000,
                    0,
                    0x10_0000, //
                    0,
                    0x2c00_0000,
                    0,
                    0x2000,
                ],
            )
            .cells("interrupts", &[1, 9, 4, 0])
            .cells("phandle", &[1])
            .end();
        t.node("uart@1c090000")
            .strs("compatible", &["arm,sbsa-uart"])
            .cells("reg", &[0, 0x1c09_0000, 0, 0x1000])
            .cells("interrupts", &[0, 5, 4, 0, 0, 6, 1, 0])
            .end();
    });
    let hw = dt::parse(&blob).unwrap();
    let Some(Gic::V3 {
        distributor,
        redistributors,
        maintenance,
    }) = hw.gic
    else {
        panic!("{:?}", hw.gic)
    };
    assert_eq!(distributor.base.0, 0x2f00_0000);
    assert_eq!(
        redistributors,
        [
            MemRange::new(0x2f10_0000, 0x10_0000),
            MemRange::new(0x3f10_0000, 0x10_0000)
        ]
    );
    assert_eq!(maintenance.map(|m| m.intid), Some(Intid(25)));
    let uart = &hw.devices[hw.uarts[0].device];
    let ids: Vec<(u32, Trigger)> = uart
        .interrupts
        .iter()
        .map(|i| (intid(i), i.trigger))
        .collect();
    assert_eq!(ids, [(37, Trigger::Level), (38, Trigger::Edge)]);

    let blob = bootable(|t| {
        t.node("intc@0")
            .strs("compatible", &["arm,gic-v3"])
            .cells("#interrupt-cells", &[3])
            .cells("#redistributor-regions", &[3])
            .cells("reg", &[0, 0, 0, 0x1000, 0, 0x1000, 0, 0x1000])
            .end();
    });
    assert_eq!(
        err(&blob).to_string(),
        "device tree: /intc@0: #redistributor-regions 0x3 is 0 or more than the reg entries \
         after the distributor"
    );
}

#[test]
fn interrupt_parents_extended_and_circular() {
    let blob = bootable(|t| {
        t.gic_v3();
        // A nexus without #interrupt-cells passes on to its own parent.
        t.node("bridge")
            .bus(2, 2)
            .flag("ranges")
            .node("dev@1000")
            .cells("reg", &[0, 0x1000, 0, 0x100])
            .cells("interrupts", &[0, 3, 4])
            .end()
            .end();
        t.node("gpio@2000")
            .cells("reg", &[0, 0x2000, 0, 0x100])
            .flag("interrupt-controller")
            .cells("#interrupt-cells", &[2])
            .cells("phandle", &[2])
            .end();
        t.node("mixed@3000")
            .cells("reg", &[0, 0x3000, 0, 0x100])
            .cells("interrupts-extended", &[2, 7, 1, 1, 0, 9, 4, 1, 1, 2, 1])
            .end();
        // interrupt-parent pointing at nodes that point back: no hang.
        t.node("loop-a")
            .cells("phandle", &[10])
            .cells("interrupt-parent", &[11])
            .end();
        t.node("loop-b")
            .cells("phandle", &[11])
            .cells("interrupt-parent", &[10])
            .end();
        t.node("victim@4000")
            .cells("reg", &[0, 0x4000, 0, 0x100])
            .cells("interrupt-parent", &[10])
            .cells("interrupts", &[0, 1, 4])
            .end();
    });
    let hw = dt::parse(&blob).unwrap();
    let ids = |path: &str| -> Vec<u32> {
        hw.device_by_path(path)
            .unwrap()
            .interrupts
            .iter()
            .map(intid)
            .collect()
    };
    assert_eq!(ids("/bridge/dev@1000"), [35]);
    // GPIO specifier skipped, two GIC ones decoded.
    assert_eq!(ids("/mixed@3000"), [41, 18]);
    assert!(ids("/victim@4000").is_empty());

    let blob = bootable(|t| {
        t.gic_v3();
        t.node("bad@1")
            .cells("reg", &[0, 1, 0, 1])
            .cells("interrupts-extended", &[99, 0, 1, 4])
            .end();
    });
    assert_eq!(
        err(&blob).to_string(),
        "device tree: /bad@1: interrupts-extended names a phandle that is not an interrupt \
         controller"
    );
    let blob = bootable(|t| {
        t.gic_v3();
        t.node("bad@1")
            .cells("reg", &[0, 1, 0, 1])
            .cells("interrupts", &[0, 1])
            .end();
    });
    assert_eq!(
        err(&blob).to_string(),
        "device tree: /bad@1: interrupts is 8 bytes, not a multiple of 12"
    );
    let blob = bootable(|t| {
        t.gic_v3();
        t.node("bad@1")
            .cells("reg", &[0, 1, 0, 1])
            .cells("interrupts", &[1, 16, 4])
            .end();
    });
    assert_eq!(
        err(&blob).to_string(),
        "device tree: /bad@1: interrupts 0x10 is out of range for its interrupt type"
    );
}

#[test]
fn ranges_translation() {
    let blob = bootable(|t| {
        // Two levels: 0x100 on `inner` is 0x1100 on `outer`, 0x11100 at
        // the root.
        t.node("outer")
            .bus(1, 1)
            .cells("ranges", &[0x1000, 0, 0x1_1000, 0x1000]);
        t.node("inner")
            .bus(1, 1)
            .cells("ranges", &[0x0, 0x1000, 0x800])
            .node("dev@100")
            .cells("reg", &[0x100, 0x10])
            .end()
            // Outside inner's window: not reachable from the CPU.
            .node("dev@900")
            .cells("reg", &[0x900, 0x10])
            .end()
            .end();
        t.end();
        // A bus without ranges: children are not memory-mapped.
        t.node("mdio")
            .cells("reg", &[0, 0x5000, 0, 0x100])
            .bus(1, 0)
            .node("phy@1")
            .cells("reg", &[1])
            .end()
            .end();
        // ranges on a bus with #size-cells = 0 is malformed.
        t.node("broken").bus(1, 0).cells("ranges", &[0, 0, 0]);
        t.node("dev@0").cells("reg", &[0]).end().end();
    });
    assert_eq!(
        err(&blob).to_string(),
        "device tree: /broken: ranges lists windows but #size-cells is 0"
    );

    let blob = bootable(|t| {
        t.node("outer")
            .bus(1, 1)
            .cells("ranges", &[0x1000, 0, 0x1_1000, 0x1000]);
        t.node("inner")
            .bus(1, 1)
            .cells("ranges", &[0x0, 0x1000, 0x800])
            .node("dev@100")
            .cells("reg", &[0x100, 0x10])
            .end()
            .node("dev@900")
            .cells("reg", &[0x900, 0x10])
            .end()
            .end();
        t.end();
        t.node("mdio")
            .cells("reg", &[0, 0x5000, 0, 0x100])
            .bus(1, 0)
            .node("phy@1")
            .cells("reg", &[1])
            .end()
            .end();
    });
    let hw = dt::parse(&blob).unwrap();
    let dev = hw.device_by_path("/outer/inner/dev@100").unwrap();
    assert_eq!(dev.regs, [MemRange::new(0x1_1100, 0x10)]);
    assert!(hw.device_by_path("/outer/inner/dev@900").is_none());
    assert!(hw.device_by_path("/mdio").is_some());
    assert!(hw.device_by_path("/mdio/phy@1").is_none());
}

#[test]
fn malformed_reg_is_an_error() {
    let blob = bootable(|t| {
        t.node("dev@0").cells("reg", &[0, 0, 0]).end();
    });
    assert_eq!(
        err(&blob).to_string(),
        "device tree: /dev@0: reg is 12 bytes, not a multiple of 16"
    );
    let blob = bootable(|t| {
        t.node("bus").bus(7, 1).flag("ranges");
        t.node("dev@0").cells("reg", &[0; 8]).end().end();
    });
    assert_eq!(
        err(&blob).to_string(),
        "device tree: /bus: #address-cells 0x7 is more than 4"
    );
}

#[test]
fn stdout_path_forms() {
    let with = |stdout: &str| {
        dt::parse(&bootable(|t| {
            t.node("aliases").str("serial3", "/soc/uart@1000").end();
            t.node("chosen").str("stdout-path", stdout).end();
            t.node("soc").bus(1, 1).flag("ranges");
            t.node("uart@0")
                .strs("compatible", &["ns16550a"])
                .cells("reg", &[0, 0x100])
                .end();
            t.node("uart@1000")
                .strs("compatible", &["snps,dw-apb-uart"])
                .cells("reg", &[0x1000, 0x100])
                .end();
            t.end();
        }))
        .unwrap()
    };
    assert_eq!(with("serial3:115200n8").stdout, Some(1));
    assert_eq!(with("/soc/uart@1000").stdout, Some(1));
    assert_eq!(with("/soc/uart@0:9600").stdout, Some(0));
    // Without unit address: the first node of that name.
    assert_eq!(with("/soc/uart").stdout, Some(0));
    let hw = with("serial9");
    assert_eq!(hw.stdout, None);
    assert_eq!(hw.chosen.stdout_path.as_deref(), Some("serial9"));
    // No stdout: the console falls back to the first PL011, of which there
    // is none here.
    assert!(hw.console().is_none());
}

#[test]
fn chosen_errors() {
    let with = |start: &[u32], end: &[u32]| {
        dt::parse(&bootable(|t| {
            t.node("chosen");
            if !start.is_empty() {
                t.cells("linux,initrd-start", start);
            }
            if !end.is_empty() {
                t.cells("linux,initrd-end", end);
            }
            t.end();
        }))
    };
    assert_eq!(
        with(&[0, 1, 2], &[5]).unwrap_err().to_string(),
        "device tree: /chosen: linux,initrd-start has 3 cells, expected 1 or 2"
    );
    assert_eq!(
        with(&[0x2000], &[0x1000]).unwrap_err().to_string(),
        "device tree: /chosen: linux,initrd-end 0x1000 lies below linux,initrd-start"
    );
    assert_eq!(
        with(&[0x2000], &[]).unwrap_err().to_string(),
        "device tree: /chosen: no linux,initrd-end property"
    );
    assert_eq!(
        with(&[1, 0], &[1, 0x10]).unwrap().chosen.initrd,
        Some(MemRange::new(0x1_0000_0000, 0x10))
    );
}

#[test]
fn status_and_timer() {
    let blob = bootable(|t| {
        t.gic_v3();
        t.node("a@1")
            .cells("reg", &[0, 1, 0, 1])
            .str("status", "fail")
            .end();
        t.node("b@2")
            .cells("reg", &[0, 2, 0, 1])
            .str("status", "ok")
            .end();
        t.node("timer")
            .strs("compatible", &["arm,armv8-timer"])
            .cells("interrupts", &[1, 13, 8, 1, 14, 8, 1, 11, 8, 1, 10, 8])
            .cells("clock-frequency", &[54_000_000])
            .end();
    });
    let hw = dt::parse(&blob).unwrap();
    assert!(!hw.device_by_path("/a@1").unwrap().enabled);
    assert!(hw.device_by_path("/b@2").unwrap().enabled);
    assert_eq!(hw.timer.unwrap().frequency, Some(54_000_000));
    assert!(dt::Summary(&hw).to_string().contains(", 54000000 Hz\n"));

    let blob = bootable(|t| {
        t.gic_v3();
        t.node("timer")
            .strs("compatible", &["arm,armv8-timer"])
            .cells("interrupts", &[1, 13, 8, 1, 14, 8])
            .end();
    });
    assert_eq!(
        err(&blob).to_string(),
        "device tree: /timer: interrupts lists fewer than the 4 timer interrupts"
    );
}

#[test]
fn hostile_strings_are_escaped_in_the_summary() {
    let mut t = Dtb::new();
    t.bus(2, 2)
        .bytes("model", b"evil\x1b[2J\xff\0")
        .one_cpu()
        .one_gib();
    let hw = dt::parse(&t.finish()).unwrap();
    assert_eq!(hw.model, "evil\u{1b}[2J\u{fffd}");
    let text = dt::Summary(&hw).to_string();
    assert!(
        text.starts_with("board: evil\\u{1b}[2J\u{fffd}\n"),
        "{text}"
    );
    assert!(text.contains("gic: none\ntimer: none\nuarts: none\n"));
}

#[test]
fn nop_tokens_change_nothing() {
    for blob in [
        &include_bytes!("fixtures/virt-gicv3-smp4-1g.dtb")[..],
        &include_bytes!("fixtures/virt-gicv2-smp1-2g.dtb")[..],
    ] {
        let plain = common::compact(blob);
        let nops = common::with_nops(&plain);
        assert!(nops.len() > plain.len());
        assert_eq!(dt::parse(&nops).unwrap(), dt::parse(blob).unwrap());
    }
}

#[test]
fn size_limits() {
    let limit = |blob: &[u8]| err(blob).to_string();
    let blob = bootable(|t| {
        for n in 0..dt::MAX_NODES {
            t.node(&format!("n@{n}")).end();
        }
    });
    assert_eq!(limit(&blob), "device tree: more than 4096 nodes");

    let long = format!("n@{}", "a".repeat(100));
    let blob = bootable(|t| {
        t.node(&long).node(&long).node(&long).end().end().end();
    });
    assert_eq!(
        limit(&blob),
        "device tree: more than 256 bytes in a node path"
    );

    let blob = bootable(|t| {
        t.node("soc").bus(1, 1).flag("ranges");
        let entries: Vec<u32> = (0..dt::MAX_ITEMS as u32 + 1)
            .flat_map(|i| [i * 16, 16])
            .collect();
        t.node("dev@0").cells("reg", &entries).end().end();
    });
    assert_eq!(
        limit(&blob),
        "device tree: more than 16384 reg entries in devices"
    );

    // Compatible lists are cut, not refused.
    let many: Vec<String> = (0..40).map(|i| format!("vendor,dev{i}")).collect();
    let many: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
    let blob = bootable(|t| {
        t.node("dev@0")
            .strs("compatible", &many)
            .cells("reg", &[0, 0, 0, 16])
            .end();
    });
    let hw = dt::parse(&blob).unwrap();
    assert_eq!(hw.devices[0].compatible.len(), dt::MAX_COMPATIBLE);
}
