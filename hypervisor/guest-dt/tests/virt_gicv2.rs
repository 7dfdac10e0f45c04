//! QEMU virt with a GICv2: the GICv2 binding, PPI CPU masks, the full
//! PL011 console binding, and PrimeCell devices whose fixed clock is copied
//! along.

mod common;

use bulkhead_core::addr::MemRange;
use bulkhead_core::hw::Gic;
use bulkhead_guest_dt::{generate, node_paths, ConsoleCompat, GuestConsole, GuestDtError};
use common::*;

#[test]
fn gicv2_binding_and_ppi_masks() {
    let out = generate(&virt_v2(), &small_spec_v2()).unwrap();
    let hw = bulkhead_core::dt::parse(&out.dtb).unwrap();
    let Some(Gic::V2 {
        distributor,
        cpu_interface,
        hyp_interface,
        ..
    }) = hw.gic
    else {
        panic!("no GICv2: {:?}", hw.gic);
    };
    assert_eq!(distributor, MemRange::new(0x0800_0000, 0x1_0000));
    assert_eq!(cpu_interface, MemRange::new(0x0801_0000, 0x1_0000));
    assert_eq!(hyp_interface, None);
    assert_eq!(hw.timer, Some(virt_timer()));
    let (dts, warnings) = dtc(&out.dtb);
    assert_eq!(warnings, "");
    assert!(
        dts.contains("compatible = \"arm,cortex-a15-gic\";"),
        "{dts}"
    );
    // Two vCPUs: CPU mask 0b11 in bits 15:8, level high.
    assert!(
        dts.contains(
            "interrupts = <0x01 0x0d 0x304 0x01 0x0e 0x304 0x01 0x0b 0x304 0x01 0x0a 0x304>;"
        ),
        "{dts}"
    );
}

#[test]
fn gicv2_takes_at_most_eight_vcpus() {
    let spec = bulkhead_guest_dt::GuestDtSpec {
        vcpus: 9,
        ..small_spec_v2()
    };
    let err = generate(&virt_v2(), &spec).unwrap_err();
    assert_eq!(
        err,
        GuestDtError::TooManyVcpus {
            vcpus: 9,
            max: 8,
            gic: 2
        }
    );
    let spec = bulkhead_guest_dt::GuestDtSpec {
        vcpus: 8,
        ..small_spec_v2()
    };
    let out = generate(&virt_v2(), &spec).unwrap();
    let (dts, _) = dtc(&out.dtb);
    assert!(dts.contains("0x01 0x0d 0xff04"), "{dts}");
}

#[test]
fn pl011_console_and_primecell_passthrough_get_fixed_clocks() {
    let spec = bulkhead_guest_dt::GuestDtSpec {
        console: Some(GuestConsole {
            range: bulkhead_guest_dt::GuestRange::new(0x0900_0000, 0x1000),
            intid: 33,
            compatible: ConsoleCompat::Pl011,
        }),
        passthrough: vec!["/pl061@9030000".into(), "/pl031@9010000".into()],
        mgmt_doorbell: false,
        ..small_spec_v2()
    };
    let out = generate(&virt_v2(), &spec).unwrap();
    assert!(out.omitted.is_empty(), "{:?}", out.omitted);
    let paths = node_paths(&out.dtb).unwrap();
    for p in [
        "/console-pclk",
        "/apb-pclk",
        "/pl061@9030000",
        "/pl031@9010000",
    ] {
        assert!(paths.iter().any(|q| q == p), "{p} missing: {paths:?}");
    }
    let fdt = fdt::Fdt::new(&out.dtb).unwrap();
    let phandle = |path: &str| {
        fdt.find_node(path)
            .unwrap()
            .property("phandle")
            .unwrap()
            .as_usize()
            .unwrap()
    };
    let clocks = |path: &str| {
        fdt.find_node(path)
            .unwrap()
            .property("clocks")
            .unwrap()
            .value
    };
    let console_clk = phandle("/console-pclk") as u32;
    let board_clk = phandle("/apb-pclk") as u32;
    assert_ne!(console_clk, board_clk);
    let cells = |v: &[u32]| v.iter().flat_map(|c| c.to_be_bytes()).collect::<Vec<u8>>();
    assert_eq!(
        clocks("/serial@9000000"),
        cells(&[console_clk, console_clk])
    );
    // Both PrimeCells name the one copied clock.
    assert_eq!(clocks("/pl061@9030000"), cells(&[board_clk]));
    assert_eq!(clocks("/pl031@9010000"), cells(&[board_clk]));
    let apb = fdt.find_node("/apb-pclk").unwrap();
    assert_eq!(
        apb.property("clock-frequency").unwrap().as_usize(),
        Some(24_000_000)
    );
    let pl061 = fdt.find_node("/pl061@9030000").unwrap();
    assert!(pl061.property("gpio-controller").is_some());
    assert_eq!(
        pl061.property("clock-names").unwrap().as_str(),
        Some("apb_pclk")
    );
    let (_, warnings) = dtc(&out.dtb);
    assert_eq!(warnings, "");
}
