//! A two-vCPU partition on QEMU virt (GICv3) with one virtio-mmio
//! transport, read back with `bulkhead_core::dt::parse` and `fdt`.

mod common;

use bulkhead_core::addr::MemRange;
use bulkhead_core::hw::{
    Conduit, EnableMethod, Gic, Hardware, Interrupt, Intid, Trigger, UartKind,
};
use bulkhead_guest_dt::{generate, node_paths, vcpu_mpidr, GuestDt};
use common::*;

fn generated() -> (GuestDt, Hardware) {
    let out = generate(&virt_v3(), &small_spec()).unwrap();
    let hw = bulkhead_core::dt::parse(&out.dtb).unwrap();
    (out, hw)
}

fn level(intid: u32) -> Interrupt {
    Interrupt {
        intid: Intid(intid),
        trigger: Trigger::Level,
    }
}

#[test]
fn only_the_partitions_cpus() {
    let (_, hw) = generated();
    let ids: Vec<u64> = hw.cpus.iter().map(|c| c.mpidr).collect();
    assert_eq!(ids, [0, 1]);
    assert!(hw
        .cpus
        .iter()
        .all(|c| c.enable_method == EnableMethod::Psci));
    let psci = hw.psci.unwrap();
    assert_eq!(psci.conduit, Conduit::Hvc);
    assert!(psci.v0_2_or_later);
}

#[test]
fn cpus_keep_the_boards_core_compatible() {
    let (out, _) = generated();
    let fdt = fdt::Fdt::new(&out.dtb).unwrap();
    let cpu = fdt.find_node("/cpus/cpu@1").unwrap();
    assert_eq!(
        cpu.property("compatible").unwrap().as_str(),
        Some("arm,cortex-a72")
    );
    assert_eq!(
        cpu.property("reg").unwrap().as_usize(),
        Some(vcpu_mpidr(1) as usize)
    );
}

#[test]
fn memory_is_exactly_the_specs() {
    let (out, hw) = generated();
    assert_eq!(
        hw.memory,
        [
            MemRange::new(0x4000_0000, 0x1000_0000),
            MemRange::new(0x6000_0000, 0x100_0000)
        ]
    );
    let paths = node_paths(&out.dtb).unwrap();
    assert_eq!(paths.iter().filter(|p| p.starts_with("/memory")).count(), 1);
}

#[test]
fn console_at_its_ipa_with_its_spi() {
    let (out, hw) = generated();
    let console = hw.console().unwrap();
    assert_eq!(console.kind, UartKind::Pl011);
    assert_eq!(console.base, MemRange::new(0x0900_0000, 0x1000));
    assert_eq!(console.interrupt, Some(level(33)));
    assert_eq!(hw.devices[console.device].compatible, ["arm,sbsa-uart"]);
    assert_eq!(hw.chosen.stdout_path.as_deref(), Some("/serial@9000000"));
    let fdt = fdt::Fdt::new(&out.dtb).unwrap();
    let node = fdt.find_node("/serial@9000000").unwrap();
    assert_eq!(
        node.property("current-speed").unwrap().as_usize(),
        Some(115_200)
    );
    let alias = fdt
        .find_node("/aliases")
        .unwrap()
        .property("serial0")
        .unwrap();
    assert_eq!(alias.as_str(), Some("/serial@9000000"));
}

#[test]
fn passed_through_virtio_keeps_its_registers_and_interrupt() {
    let (out, hw) = generated();
    assert_eq!(hw.virtio_mmio.len(), 1);
    let v = &hw.virtio_mmio[0];
    assert_eq!(v.base, MemRange::new(0x0a00_0000, 0x200));
    assert_eq!(
        v.interrupt,
        Some(Interrupt {
            intid: Intid(48),
            trigger: Trigger::Edge
        })
    );
    assert_eq!(hw.devices[v.device].path, VIRTIO0);
    let fdt = fdt::Fdt::new(&out.dtb).unwrap();
    assert!(fdt
        .find_node(VIRTIO0)
        .unwrap()
        .property("dma-coherent")
        .is_some());
    assert!(out.omitted.is_empty(), "{:?}", out.omitted);
}

#[test]
fn no_other_board_devices() {
    let (out, hw) = generated();
    let paths = node_paths(&out.dtb).unwrap();
    let want = [
        "/",
        "/chosen",
        "/aliases",
        "/memory@40000000",
        "/cpus",
        "/cpus/cpu@0",
        "/cpus/cpu@1",
        "/psci",
        "/interrupt-controller@8000000",
        "/timer",
        "/hypervisor",
        "/serial@9000000",
        VIRTIO0,
    ];
    assert_eq!(paths, want);
    let devices: Vec<&str> = hw.devices.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        devices,
        ["/interrupt-controller@8000000", "/serial@9000000", VIRTIO0]
    );
}

#[test]
fn chosen_carries_bootargs_and_initrd() {
    let (_, hw) = generated();
    assert_eq!(
        hw.chosen.bootargs.as_deref(),
        Some("console=ttyAMA0 earlycon rdinit=/init")
    );
    assert_eq!(
        hw.chosen.initrd,
        Some(MemRange::new(0x4800_0000, 0x12_3456))
    );
}

#[test]
fn gic_and_timer_as_specified() {
    let (_, hw) = generated();
    assert_eq!(
        hw.gic,
        Some(Gic::V3 {
            distributor: MemRange::new(0x0800_0000, 0x1_0000),
            redistributors: vec![MemRange::new(0x080a_0000, 0x4_0000)],
            maintenance: Some(level(25)),
        })
    );
    assert_eq!(hw.timer, Some(virt_timer()));
}

#[test]
fn root_names_the_partition_and_the_board() {
    let (out, hw) = generated();
    assert_eq!(hw.compatible, ["bulkhead,partition", "linux,dummy-virt"]);
    assert_eq!(hw.model, "Bulkhead partition linux0");
    let fdt = fdt::Fdt::new(&out.dtb).unwrap();
    let hyp = fdt.find_node("/hypervisor").unwrap();
    assert_eq!(
        hyp.property("compatible").unwrap().as_str(),
        Some("bulkhead,hypervisor-1")
    );
    let root = fdt.find_node("/").unwrap();
    let gic = fdt.find_node("/interrupt-controller@8000000").unwrap();
    assert_eq!(
        root.property("interrupt-parent").unwrap().as_usize(),
        gic.property("phandle").unwrap().as_usize()
    );
}

#[test]
fn dtc_reads_it_without_warnings() {
    let (out, _) = generated();
    let (dts, warnings) = dtc(&out.dtb);
    assert_eq!(warnings, "", "dtc warned:\n{warnings}");
    assert!(dts.contains("method = \"hvc\";"));
}

#[test]
fn without_console_initrd_or_bootargs() {
    let spec = bulkhead_guest_dt::GuestDtSpec {
        console: None,
        initrd: None,
        bootargs: None,
        passthrough: vec![],
        mgmt_doorbell: false,
        ..small_spec()
    };
    let out = generate(&virt_v3(), &spec).unwrap();
    let hw = bulkhead_core::dt::parse(&out.dtb).unwrap();
    assert!(hw.uarts.is_empty());
    assert_eq!(hw.chosen, Default::default());
    assert!(hw.virtio_mmio.is_empty());
    let (_, warnings) = dtc(&out.dtb);
    assert_eq!(warnings, "");
}

#[test]
fn only_the_manager_has_the_doorbell() {
    use bulkhead_core::mgmt::doorbell::{COMPATIBLE, GUEST_BASE, SIZE};
    let plain = generate(&virt_v3(), &small_spec()).unwrap();
    let fdt = fdt::Fdt::new(&plain.dtb).unwrap();
    assert!(fdt.find_compatible(&[COMPATIBLE]).is_none());

    let spec = bulkhead_guest_dt::GuestDtSpec {
        mgmt_doorbell: true,
        ..small_spec()
    };
    let out = generate(&virt_v3(), &spec).unwrap();
    let fdt = fdt::Fdt::new(&out.dtb).unwrap();
    let node = fdt.find_compatible(&[COMPATIBLE]).expect("doorbell node");
    assert_eq!(node.name, "bulkhead-mgmt@7fffff000");
    let reg: Vec<_> = node.reg().unwrap().collect();
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].starting_address as u64, GUEST_BASE);
    assert_eq!(reg[0].size, Some(SIZE as usize));
    // The doorbell is not RAM and not a device the partition owns.
    let hw = bulkhead_core::dt::parse(&out.dtb).unwrap();
    assert!(hw.memory.iter().all(|m| !m.contains(GUEST_BASE)));
}
