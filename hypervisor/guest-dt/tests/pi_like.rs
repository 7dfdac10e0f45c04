//! A board shaped like the Raspberry Pi 4's tree (buses whose `ranges`
//! move devices from 0x7e... bus addresses to 0xfe... CPU addresses, a
//! `dma-ranges` on /soc, a GIC-400 under /soc, clocks from a clock
//! controller, pin control, a legacy interrupt controller), written here
//! with vm-fdt so the test needs no Pi firmware files.

mod common;

use bulkhead_core::addr::MemRange;
use bulkhead_guest_dt::{generate, node_paths, GuestDtError, GuestDtSpec, GuestGic, GuestRange};
use common::*;
use vm_fdt::FdtWriter;

const GIC: u32 = 1;
const CPRMAN: u32 = 2;
const LOCAL_INTC: u32 = 3;
const PINCTRL: u32 = 4;

fn s(list: &[&str]) -> Vec<String> {
    list.iter().map(|x| x.to_string()).collect()
}

fn pi_like_board() -> Vec<u8> {
    let mut f = FdtWriter::new().unwrap();
    let root = f.begin_node("").unwrap();
    f.property_u32("#address-cells", 2).unwrap();
    f.property_u32("#size-cells", 1).unwrap();
    f.property_string_list("compatible", s(&["raspberrypi,4-model-b", "brcm,bcm2711"]))
        .unwrap();
    f.property_string("model", "Raspberry Pi 4 Model B")
        .unwrap();
    f.property_u32("interrupt-parent", GIC).unwrap();

    let cpus = f.begin_node("cpus").unwrap();
    f.property_u32("#address-cells", 1).unwrap();
    f.property_u32("#size-cells", 0).unwrap();
    for i in 0..4u32 {
        let cpu = f.begin_node(&format!("cpu@{i}")).unwrap();
        f.property_string("device_type", "cpu").unwrap();
        f.property_string("compatible", "arm,cortex-a72").unwrap();
        f.property_u32("reg", i).unwrap();
        f.property_string("enable-method", "spin-table").unwrap();
        f.property_array_u32("cpu-release-addr", &[0, 0xd8 + 8 * i])
            .unwrap();
        f.end_node(cpu).unwrap();
    }
    f.end_node(cpus).unwrap();

    let mem = f.begin_node("memory@0").unwrap();
    f.property_string("device_type", "memory").unwrap();
    f.property_array_u32("reg", &[0, 0, 0x3b40_0000]).unwrap();
    f.end_node(mem).unwrap();

    let timer = f.begin_node("timer").unwrap();
    f.property_string("compatible", "arm,armv8-timer").unwrap();
    f.property_array_u32(
        "interrupts",
        &[1, 13, 0xf08, 1, 14, 0xf08, 1, 11, 0xf08, 1, 10, 0xf08],
    )
    .unwrap();
    f.end_node(timer).unwrap();

    let soc = f.begin_node("soc").unwrap();
    f.property_string("compatible", "simple-bus").unwrap();
    f.property_u32("#address-cells", 1).unwrap();
    f.property_u32("#size-cells", 1).unwrap();
    f.property_array_u32(
        "ranges",
        &[
            0x7e00_0000,
            0,
            0xfe00_0000,
            0x180_0000, //
            0x4000_0000,
            0,
            0xff80_0000,
            0x80_0000,
        ],
    )
    .unwrap();
    f.property_array_u32("dma-ranges", &[0xc000_0000, 0, 0, 0x4000_0000])
        .unwrap();
    let cprman = f.begin_node("cprman@7e101000").unwrap();
    f.property_string("compatible", "brcm,bcm2711-cprman")
        .unwrap();
    f.property_u32("#clock-cells", 1).unwrap();
    f.property_array_u32("reg", &[0x7e10_1000, 0x2000]).unwrap();
    f.property_phandle(CPRMAN).unwrap();
    f.end_node(cprman).unwrap();
    let gpio = f.begin_node("gpio@7e200000").unwrap();
    f.property_string("compatible", "brcm,bcm2711-gpio")
        .unwrap();
    f.property_array_u32("reg", &[0x7e20_0000, 0xb4]).unwrap();
    f.property_phandle(PINCTRL).unwrap();
    f.end_node(gpio).unwrap();
    let uart0 = f.begin_node("serial@7e201000").unwrap();
    f.property_string_list("compatible", s(&["arm,pl011", "arm,primecell"]))
        .unwrap();
    f.property_array_u32("reg", &[0x7e20_1000, 0x200]).unwrap();
    f.property_array_u32("interrupts", &[0, 121, 4]).unwrap();
    f.property_array_u32("clocks", &[CPRMAN, 19, CPRMAN, 20])
        .unwrap();
    f.end_node(uart0).unwrap();
    // A bus inside /soc whose own DMA window stacks on /soc's.
    let axi = f.begin_node("axi").unwrap();
    f.property_string("compatible", "simple-bus").unwrap();
    f.property_u32("#address-cells", 1).unwrap();
    f.property_u32("#size-cells", 1).unwrap();
    f.property_null("ranges").unwrap();
    f.property_array_u32("dma-ranges", &[0x8000_0000, 0xc000_0000, 0x4000_0000])
        .unwrap();
    let dma = f.begin_node("dma@7e007000").unwrap();
    f.property_string("compatible", "brcm,bcm2711-dma").unwrap();
    f.property_array_u32("reg", &[0x7e00_7000, 0xb00]).unwrap();
    f.property_array_u32("interrupts", &[0, 80, 4]).unwrap();
    f.end_node(dma).unwrap();
    f.end_node(axi).unwrap();
    let gic = f.begin_node("interrupt-controller@40041000").unwrap();
    f.property_string("compatible", "arm,gic-400").unwrap();
    f.property_null("interrupt-controller").unwrap();
    f.property_u32("#interrupt-cells", 3).unwrap();
    f.property_array_u32(
        "reg",
        &[
            0x4004_1000,
            0x1000,
            0x4004_2000,
            0x2000, //
            0x4004_4000,
            0x2000,
            0x4004_6000,
            0x2000,
        ],
    )
    .unwrap();
    f.property_array_u32("interrupts", &[1, 9, 0xf04]).unwrap();
    f.property_phandle(GIC).unwrap();
    f.end_node(gic).unwrap();
    f.end_node(soc).unwrap();

    let scb = f.begin_node("scb").unwrap();
    f.property_string("compatible", "simple-bus").unwrap();
    f.property_u32("#address-cells", 2).unwrap();
    f.property_u32("#size-cells", 1).unwrap();
    f.property_array_u32("ranges", &[0, 0x7c00_0000, 0, 0xfc00_0000, 0x380_0000])
        .unwrap();
    f.property_null("dma-coherent").unwrap();
    let aux = f.begin_node("serial@7e215040").unwrap();
    f.property_string("compatible", "brcm,bcm2835-aux-uart")
        .unwrap();
    f.property_array_u32("reg", &[0, 0x7e21_5040, 0x40])
        .unwrap();
    f.property_array_u32("interrupts", &[0, 93, 4]).unwrap();
    f.property_array_u32("clocks", &[CPRMAN, 21]).unwrap();
    f.property_u32("pinctrl-0", PINCTRL).unwrap();
    f.property_string("pinctrl-names", "default").unwrap();
    f.property_string("status", "okay").unwrap();
    let bt = f.begin_node("bluetooth").unwrap();
    f.property_string("compatible", "brcm,bcm43438-bt").unwrap();
    f.end_node(bt).unwrap();
    f.end_node(aux).unwrap();
    let intc = f.begin_node("local_intc@7c000000").unwrap();
    f.property_string("compatible", "brcm,bcm2836-l1-intc")
        .unwrap();
    f.property_array_u32("reg", &[0, 0x7c00_0000, 0x100])
        .unwrap();
    f.property_null("interrupt-controller").unwrap();
    f.property_u32("#interrupt-cells", 2).unwrap();
    f.property_phandle(LOCAL_INTC).unwrap();
    f.end_node(intc).unwrap();
    let mbox = f.begin_node("mailbox@7e00b880").unwrap();
    f.property_string("compatible", "brcm,bcm2835-mbox")
        .unwrap();
    f.property_array_u32("reg", &[0, 0x7e00_b880, 0x40])
        .unwrap();
    f.property_u32("interrupt-parent", LOCAL_INTC).unwrap();
    f.property_array_u32("interrupts", &[8, 4]).unwrap();
    f.end_node(mbox).unwrap();
    f.end_node(scb).unwrap();

    f.end_node(root).unwrap();
    f.finish().unwrap()
}

fn pi_spec(passthrough: &[&str]) -> GuestDtSpec {
    GuestDtSpec {
        name: "pi".into(),
        memory: vec![GuestRange::new(0x1000_0000, 0x1000_0000)],
        initrd: None,
        gic: GuestGic::V2 {
            distributor: GuestRange::new(0xff84_1000, 0x1000),
            cpu_interface: GuestRange::new(0xff84_2000, 0x2000),
        },
        passthrough: passthrough.iter().map(|p| p.to_string()).collect(),
        mgmt_doorbell: false,
        ..small_spec()
    }
}

#[test]
fn the_board_is_what_it_claims() {
    let hw = bulkhead_core::dt::parse(&pi_like_board()).unwrap();
    let aux = hw.device_by_path("/scb/serial@7e215040").unwrap();
    assert_eq!(aux.regs, [MemRange::new(0xfe21_5040, 0x40)]);
    assert!(hw.gic.is_some());
}

#[test]
fn a_device_moves_to_the_root_at_its_cpu_address() {
    let out = generate(&pi_like_board(), &pi_spec(&["/scb/serial@7e215040"])).unwrap();
    let hw = bulkhead_core::dt::parse(&out.dtb).unwrap();
    let dev = hw.device_by_path("/serial@fe215040").unwrap();
    assert_eq!(dev.regs, [MemRange::new(0xfe21_5040, 0x40)]);
    assert_eq!(dev.interrupts.len(), 1);
    assert_eq!(dev.interrupts[0].intid.0, 93 + 32);
    assert_eq!(dev.compatible, ["brcm,bcm2835-aux-uart"]);
    let fdt = fdt::Fdt::new(&out.dtb).unwrap();
    let node = fdt.find_node("/serial@fe215040").unwrap();
    // Inherited from /scb, since the node no longer sits under it.
    assert!(node.property("dma-coherent").is_some());
    assert_eq!(node.property("status").unwrap().as_str(), Some("okay"));
    for gone in ["clocks", "pinctrl-0", "pinctrl-names", "interrupt-parent"] {
        assert!(node.property(gone).is_none(), "{gone} copied");
    }
    let omitted: Vec<String> = out.omitted.iter().map(|o| o.to_string()).collect();
    assert_eq!(
        omitted,
        [
            "/scb/serial@7e215040: clocks left out: names clocks other than fixed-rate ones, \
             which the partition does not have",
            "/scb/serial@7e215040: pinctrl-0 left out: refers to nodes the partition does not \
             have",
            "/scb/serial@7e215040: pinctrl-names left out: names the entries of a property that \
             was left out",
            "/scb/serial@7e215040: bluetooth/ left out: subnodes are not copied",
        ]
    );
    assert!(!node_paths(&out.dtb)
        .unwrap()
        .iter()
        .any(|p| p.contains("bluetooth")));
    // The Pi's timer PPIs are level-low; the partition's GIC knows no
    // polarity and gets them as level-high, with a two-vCPU mask.
    let (dts, warnings) = dtc(&out.dtb);
    assert_eq!(warnings, "");
    assert!(dts.contains("0x01 0x0d 0x304"), "{dts}");
    assert!(
        dts.contains("compatible = \"bulkhead,partition\\0raspberrypi,4-model-b\\0brcm,bcm2711\";")
    );
    assert!(dts.contains("compatible = \"arm,cortex-a72\";"));
}

#[test]
fn dma_windows_follow_the_device() {
    let out = generate(
        &pi_like_board(),
        &pi_spec(&["/soc/serial@7e201000", "/soc/axi/dma@7e007000"]),
    )
    .unwrap();
    let paths = node_paths(&out.dtb).unwrap();
    assert!(
        paths.iter().any(|p| p == "/soc/serial@fe201000"),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p == "/axi/dma@fe007000"), "{paths:?}");
    let hw = bulkhead_core::dt::parse(&out.dtb).unwrap();
    let uart = hw.device_by_path("/soc/serial@fe201000").unwrap();
    assert_eq!(uart.regs, [MemRange::new(0xfe20_1000, 0x200)]);
    assert_eq!(uart.interrupts[0].intid.0, 121 + 32);
    let fdt = fdt::Fdt::new(&out.dtb).unwrap();
    let cells = |path: &str| -> Vec<u32> {
        fdt.find_node(path)
            .unwrap()
            .property("dma-ranges")
            .unwrap()
            .value
            .chunks(4)
            .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
            .collect()
    };
    // /soc: bus 0xc000_0000 is CPU 0, for 1 GiB.
    assert_eq!(cells("/soc"), [0, 0xc000_0000, 0, 0, 0, 0x4000_0000]);
    // /soc/axi: bus 0x8000_0000 is /soc's 0xc000_0000, so CPU 0.
    assert_eq!(cells("/axi"), [0, 0x8000_0000, 0, 0, 0, 0x4000_0000]);
    let (_, warnings) = dtc(&out.dtb);
    assert_eq!(warnings, "");
}

#[test]
fn interrupts_outside_the_gic_are_refused() {
    let err = generate(&pi_like_board(), &pi_spec(&["/scb/mailbox@7e00b880"])).unwrap_err();
    assert_eq!(
        err,
        GuestDtError::Unsupported {
            path: "/scb/mailbox@7e00b880".into(),
            problem: "its interrupts go to a controller other than the GIC, which a partition \
                      does not have"
        }
    );
}

#[test]
fn the_gic_400_is_refused() {
    let err = generate(
        &pi_like_board(),
        &pi_spec(&["/soc/interrupt-controller@40041000"]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("interrupt controller"), "{err}");
}

#[test]
fn passthrough_may_not_overlap_the_virtual_gic() {
    let mut spec = pi_spec(&["/scb/serial@7e215040"]);
    spec.gic = GuestGic::V2 {
        distributor: GuestRange::new(0xfe21_5000, 0x1000),
        cpu_interface: GuestRange::new(0xff84_2000, 0x2000),
    };
    let err = generate(&pi_like_board(), &spec).unwrap_err();
    assert_eq!(
        err,
        GuestDtError::Overlap {
            first: "the GIC distributor".into(),
            second: "/scb/serial@7e215040".into()
        }
    );
}
