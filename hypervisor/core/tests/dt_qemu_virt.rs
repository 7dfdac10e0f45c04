//! Device trees dumped from QEMU 10.0's `virt` machine (see
//! tests/fixtures/README.md for the commands), checked value by value
//! against `dtc -I dtb -O dts` of the same files.

use bulkhead_core::addr::MemRange;
use bulkhead_core::dt::{self, Summary};
use bulkhead_core::hw::{
    Conduit, EnableMethod, Gic, Hardware, Interrupt, Intid, Trigger, UartKind,
};

const GICV3_SMP4_1G: &[u8] = include_bytes!("fixtures/virt-gicv3-smp4-1g.dtb");
const GICV2_SMP1_2G: &[u8] = include_bytes!("fixtures/virt-gicv2-smp1-2g.dtb");
const GICV3_SMP2_4G_CHOSEN: &[u8] = include_bytes!("fixtures/virt-gicv3-smp2-4g-chosen.dtb");

fn level(intid: u32) -> Interrupt {
    Interrupt {
        intid: Intid(intid),
        trigger: Trigger::Level,
    }
}

fn edge(intid: u32) -> Interrupt {
    Interrupt {
        intid: Intid(intid),
        trigger: Trigger::Edge,
    }
}

/// What every `virt` tree has in common.
fn check_common(hw: &Hardware) {
    assert_eq!(hw.model, "linux,dummy-virt");
    assert_eq!(hw.compatible, ["linux,dummy-virt"]);
    assert!(hw.reserved.is_empty());

    let psci = hw.psci.expect("psci");
    assert_eq!(psci.conduit, Conduit::Smc);
    assert!(psci.v0_2_or_later);
    assert_eq!(psci.cpu_on, 0xc400_0003);

    // timer { interrupts = <1 13 4>, <1 14 4>, <1 11 4>, <1 10 4> } (v3)
    // or 0x104 flags (v2, CPU mask in bits 15:8).
    let timer = hw.timer.expect("timer");
    assert_eq!(timer.secure_phys, level(29));
    assert_eq!(timer.nonsecure_phys, level(30));
    assert_eq!(timer.virt, level(27));
    assert_eq!(timer.hyp_phys, level(26));
    assert_eq!(timer.frequency, None);

    // pl011@9000000 { interrupts = <0 1 4>; } and stdout-path names it.
    let console = hw.console().expect("console");
    assert_eq!(console.kind, UartKind::Pl011);
    assert_eq!(console.base, MemRange::new(0x0900_0000, 0x1000));
    assert_eq!(console.interrupt, Some(level(33)));
    assert_eq!(hw.stdout, Some(0));
    assert_eq!(hw.chosen.stdout_path.as_deref(), Some("/pl011@9000000"));
    assert_eq!(hw.devices[console.device].path, "/pl011@9000000");

    // 32 transports at 0x0a000000 + n * 0x200, SPI 16 + n, edge.
    assert_eq!(hw.virtio_mmio.len(), 32);
    for (n, t) in hw.virtio_mmio.iter().enumerate() {
        assert_eq!(t.base, MemRange::new(0x0a00_0000 + n as u64 * 0x200, 0x200));
        assert_eq!(t.interrupt, Some(edge(48 + n as u32)));
        assert!(hw.devices[t.device]
            .compatible
            .contains(&"virtio,mmio".into()));
    }

    // Devices keep their full path, every reg entry and their interrupts.
    let flash = hw.device_by_path("/flash@0").expect("flash");
    assert_eq!(
        flash.regs,
        [
            MemRange::new(0, 0x400_0000),
            MemRange::new(0x400_0000, 0x400_0000)
        ]
    );
    assert!(flash.interrupts.is_empty());
    assert!(flash.enabled);
    let rtc = hw.device_by_path("/pl031@9010000").expect("rtc");
    assert_eq!(rtc.compatible, ["arm,pl031", "arm,primecell"]);
    assert_eq!(rtc.interrupts, [level(34)]);
    // pcie's reg is in the root's space: the ECAM window above 4 GiB.
    let pcie = hw.device_by_path("/pcie@10000000").expect("pcie");
    assert_eq!(pcie.regs, [MemRange::new(0x40_1000_0000, 0x1000_0000)]);
    // Nothing from /cpus, the memory node or nodes without reg.
    assert!(hw.devices.iter().all(|d| !d.path.starts_with("/cpus")
        && !d.path.starts_with("/memory")
        && d.path != "/timer"
        && d.path != "/psci"));
}

#[test]
fn gicv3_four_cores_one_gib() {
    let hw = dt::parse(GICV3_SMP4_1G).unwrap();
    check_common(&hw);
    assert_eq!(hw.memory, [MemRange::new(0x4000_0000, 0x4000_0000)]);
    assert_eq!(hw.total_memory(), 1 << 30);
    let mpidrs: Vec<u64> = hw.cpus.iter().map(|c| c.mpidr).collect();
    assert_eq!(mpidrs, [0, 1, 2, 3]);
    assert!(hw
        .cpus
        .iter()
        .all(|c| c.enable_method == EnableMethod::Psci));
    assert_eq!(hw.cpus[1].name, "cpu@1");
    assert_eq!(
        hw.gic,
        Some(Gic::V3 {
            distributor: MemRange::new(0x0800_0000, 0x1_0000),
            redistributors: vec![MemRange::new(0x080a_0000, 0xf6_0000)],
            maintenance: Some(level(25)),
        })
    );
    // The ITS is a child of the GIC node, whose `ranges;` maps one to one.
    let its = hw.device_by_path("/intc@8000000/its@8080000").expect("its");
    assert_eq!(its.regs, [MemRange::new(0x0808_0000, 0x2_0000)]);
    assert_eq!(hw.chosen.bootargs, None);
    assert_eq!(hw.chosen.initrd, None);
    assert_eq!(hw.uarts.len(), 1);
}

#[test]
fn gicv2_one_core_two_gib() {
    let hw = dt::parse(GICV2_SMP1_2G).unwrap();
    check_common(&hw);
    assert_eq!(hw.memory, [MemRange::new(0x4000_0000, 0x8000_0000)]);
    assert_eq!(hw.cpus.len(), 1);
    assert_eq!(hw.cpus[0].mpidr, 0);
    // QEMU leaves out enable-method when there is a single core.
    assert_eq!(hw.cpus[0].enable_method, EnableMethod::None);
    assert_eq!(
        hw.gic,
        Some(Gic::V2 {
            distributor: MemRange::new(0x0800_0000, 0x1_0000),
            cpu_interface: MemRange::new(0x0801_0000, 0x1_0000),
            hyp_interface: Some(MemRange::new(0x0803_0000, 0x1_0000)),
            virt_cpu_interface: Some(MemRange::new(0x0804_0000, 0x1_0000)),
            maintenance: Some(level(25)),
        })
    );
    assert!(hw.device_by_path("/intc@8000000/v2m@8020000").is_some());
}

#[test]
fn gicv3_with_kernel_initrd_and_two_uarts() {
    let hw = dt::parse(GICV3_SMP2_4G_CHOSEN).unwrap();
    check_common(&hw);
    // -m 4G: one bank whose size needs both size cells.
    assert_eq!(hw.memory, [MemRange::new(0x4000_0000, 0x1_0000_0000)]);
    assert_eq!(hw.cpus.len(), 2);
    assert_eq!(
        hw.chosen.bootargs.as_deref(),
        Some("console=ttyAMA0 earlycon")
    );
    // linux,initrd-start/-end are two cells each; the initrd is 300000 bytes.
    assert_eq!(hw.chosen.initrd, Some(MemRange::new(0x4800_0000, 300_000)));
    assert_eq!(hw.uarts.len(), 2);
    assert_eq!(hw.uarts[1].base.base.0, 0x0904_0000);
    assert_eq!(hw.uarts[1].interrupt, Some(level(40)));
    assert_eq!(hw.console().map(|u| u.base.base.0), Some(0x0900_0000));
}

#[test]
fn summary_lines() {
    let text = Summary(&dt::parse(GICV3_SMP4_1G).unwrap()).to_string();
    let expected = "\
board: linux,dummy-virt [linux,dummy-virt]
memory: 1024 MiB in 1 bank(s): [0x40000000..0x80000000)
cpus: 4 (mpidrs 0x0 0x1 0x2 0x3), start via psci/smc
gic: v3, distributor 0x8000000, 1 redistributor region(s) [0x80a0000..0x9000000), maintenance intid 25
timer: virt intid 27, hyp intid 26, phys intid 30
uarts: pl011 0x9000000 (console)
virtio-mmio: 32 transports at 0xa000000..0xa004000, intids 48..79
chosen: stdout /pl011@9000000
";
    assert_eq!(text, expected);

    let text = Summary(&dt::parse(GICV2_SMP1_2G).unwrap()).to_string();
    assert!(text.contains("memory: 2048 MiB in 1 bank(s)"), "{text}");
    assert!(text.contains("cpus: 1 "), "{text}");
    assert!(text.contains(
        "gic: v2, GICD 0x8000000, GICC 0x8010000, GICH 0x8030000, GICV 0x8040000, \
         maintenance intid 25"
    ));

    let text = Summary(&dt::parse(GICV3_SMP2_4G_CHOSEN).unwrap()).to_string();
    assert!(text.contains("memory: 4096 MiB in 1 bank(s)"), "{text}");
    assert!(text.contains("uarts: pl011 0x9000000 (console), pl011 0x9040000\n"));
    assert!(text.contains(
        "chosen: bootargs \"console=ttyAMA0 earlycon\", initrd [0x48000000..0x480493e0), \
         stdout /pl011@9000000\n"
    ));
}

#[test]
fn every_node_is_indexed_with_its_path() {
    let paths = dt::node_paths(GICV3_SMP4_1G).unwrap();
    assert_eq!(paths[0], "/");
    for p in [
        "/psci",
        "/memory@40000000",
        "/cpus/cpu-map/socket0/cluster0/core3",
        "/cpus/cpu@3",
        "/gpio-keys/poweroff",
        "/chosen",
    ] {
        assert!(paths.iter().any(|q| q == p), "{p} missing");
    }
}
