//! A Raspberry Pi 4-like tree, shaped after the bcm2711-rpi-4-b tree the
//! Pi firmware hands over: devices on /soc at VideoCore bus addresses
//! (0x7e......) that `ranges` maps to 0xfe......, the GIC-400 in the
//! 0x40000000 window that maps to 0xff800000, spin-table cores, two RAM
//! banks below the 4 GiB line and serial1 (the mini-UART) as console.

mod common;

use bulkhead_core::addr::MemRange;
use bulkhead_core::dt::{self, Summary};
use bulkhead_core::hw::{EnableMethod, Gic, Hardware, Interrupt, Intid, Trigger, UartKind};
use common::Dtb;

fn pi4() -> Vec<u8> {
    let mut t = Dtb::with_reservations(&[(0, 0x1000)]);
    t.bus(2, 1)
        .str("model", "Raspberry Pi 4 Model B")
        .strs("compatible", &["raspberrypi,4-model-b", "brcm,bcm2711"])
        .cells("interrupt-parent", &[1]);
    t.node("aliases")
        .str("serial0", "/soc/serial@7e201000")
        .str("serial1", "/soc/serial@7e215040")
        .end();
    t.node("chosen")
        .str(
            "bootargs",
            "coherent_pool=1M 8250.nr_uarts=1 console=ttyS0,115200",
        )
        .str("stdout-path", "serial1:115200n8")
        .cells("linux,initrd-start", &[0x2eff_7000])
        .cells("linux,initrd-end", &[0x2fff_f5ee])
        .end();
    t.node("reserved-memory")
        .bus(2, 1)
        .flag("ranges")
        .node("linux,cma")
        .strs("compatible", &["shared-dma-pool"])
        .cells("size", &[0x400_0000])
        .flag("reusable")
        .end()
        .node("ramoops@3b3f0000")
        .cells("reg", &[0, 0x3b3f_0000, 0x1_0000])
        .end()
        .node("unused@3b000000")
        .cells("reg", &[0, 0x3b00_0000, 0x1_0000])
        .str("status", "disabled")
        .end()
        .end();
    t.node("soc")
        .strs("compatible", &["simple-bus"])
        .bus(1, 1)
        .cells(
            "ranges",
            &[
                0x7e00_0000,
                0x0,
                0xfe00_0000,
                0x0180_0000, //
                0x7c00_0000,
                0x0,
                0xfc00_0000,
                0x0200_0000, //
                0x4000_0000,
                0x0,
                0xff80_0000,
                0x0080_0000,
            ],
        );
    t.node("serial@7e201000")
        .strs("compatible", &["arm,pl011", "arm,primecell"])
        .cells("reg", &[0x7e20_1000, 0x200])
        .cells("interrupts", &[0, 121, 4])
        .str("status", "okay")
        .end();
    t.node("serial@7e215040")
        .strs("compatible", &["brcm,bcm2835-aux-uart"])
        .cells("reg", &[0x7e21_5040, 0x40])
        .cells("interrupts", &[0, 93, 4])
        .str("status", "okay")
        .end();
    t.node("serial@7e201400")
        .strs("compatible", &["arm,pl011", "arm,primecell"])
        .cells("reg", &[0x7e20_1400, 0x200])
        .cells("interrupts", &[0, 121, 4])
        .str("status", "disabled")
        .end();
    t.node("interrupt-controller@40041000")
        .strs("compatible", &["arm,gic-400"])
        .flag("interrupt-controller")
        .cells("#interrupt-cells", &[3])
        .cells(
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
        .cells("interrupts", &[1, 9, 0xf04])
        .cells("phandle", &[1])
        .end();
    t.node("gpio@7e200000")
        .strs("compatible", &["brcm,bcm2711-gpio"])
        .cells("reg", &[0x7e20_0000, 0xb4])
        .cells("interrupts", &[0, 113, 4, 0, 114, 4])
        .flag("interrupt-controller")
        .cells("#interrupt-cells", &[2])
        .cells("phandle", &[2])
        .end();
    // A device whose interrupt goes to the GPIO bank, not the GIC.
    t.node("sensor@7e300000")
        .cells("reg", &[0x7e30_0000, 0x100])
        .cells("interrupt-parent", &[2])
        .cells("interrupts", &[5, 2])
        .end();
    // I2C: its children's reg are bus addresses, not memory.
    t.node("i2c@7e804000")
        .strs("compatible", &["brcm,bcm2711-i2c", "brcm,bcm2835-i2c"])
        .cells("reg", &[0x7e80_4000, 0x1000])
        .cells("interrupts", &[0, 117, 4])
        .bus(1, 0)
        .node("eeprom@50")
        .strs("compatible", &["atmel,24c32"])
        .cells("reg", &[0x50])
        .end()
        .end();
    t.end(); // soc
             // A second bus with two-cell child addresses (like emmc2bus).
    t.node("emmc2bus")
        .strs("compatible", &["simple-bus"])
        .bus(2, 1)
        .cells("ranges", &[0x0, 0x7e00_0000, 0x0, 0xfe00_0000, 0x0180_0000])
        .node("mmc@7e340000")
        .cells("reg", &[0x0, 0x7e34_0000, 0x100])
        .cells("interrupts", &[0, 126, 4])
        .end()
        .end();
    t.node("cpus").bus(1, 0);
    for n in 0..4u32 {
        t.node(&format!("cpu@{n}"))
            .str("device_type", "cpu")
            .strs("compatible", &["arm,cortex-a72"])
            .cells("reg", &[n])
            .str("enable-method", "spin-table")
            .cells("cpu-release-addr", &[0, 0xd8 + 8 * n])
            .end();
    }
    t.end();
    t.node("memory@0")
        .str("device_type", "memory")
        .cells("reg", &[0, 0, 0x3b40_0000, 0, 0x4000_0000, 0xbc00_0000])
        .end();
    t.node("timer")
        .strs("compatible", &["arm,armv8-timer"])
        .cells(
            "interrupts",
            &[1, 13, 0xf08, 1, 14, 0xf08, 1, 11, 0xf08, 1, 10, 0xf08],
        )
        .end();
    t.finish()
}

fn level(intid: u32) -> Option<Interrupt> {
    Some(Interrupt {
        intid: Intid(intid),
        trigger: Trigger::Level,
    })
}

fn parse() -> Hardware {
    dt::parse(&pi4()).unwrap()
}

#[test]
fn board_memory_and_reservations() {
    let hw = parse();
    assert_eq!(hw.model, "Raspberry Pi 4 Model B");
    assert_eq!(hw.compatible, ["raspberrypi,4-model-b", "brcm,bcm2711"]);
    assert_eq!(
        hw.memory,
        [
            MemRange::new(0, 0x3b40_0000),
            MemRange::new(0x4000_0000, 0xbc00_0000)
        ]
    );
    let reserved: Vec<(&str, MemRange)> = hw
        .reserved
        .iter()
        .map(|r| (r.name.as_str(), r.range))
        .collect();
    // linux,cma has only a size; the disabled child is left out.
    assert_eq!(
        reserved,
        [
            ("/memreserve/", MemRange::new(0, 0x1000)),
            ("ramoops@3b3f0000", MemRange::new(0x3b3f_0000, 0x1_0000)),
        ]
    );
}

#[test]
fn spin_table_cores_without_psci() {
    let hw = parse();
    assert_eq!(hw.psci, None);
    assert_eq!(hw.cpus.len(), 4);
    for (n, cpu) in hw.cpus.iter().enumerate() {
        assert_eq!(cpu.mpidr, n as u64);
        assert_eq!(
            cpu.enable_method,
            EnableMethod::SpinTable {
                release_addr: 0xd8 + 8 * n as u64
            }
        );
    }
}

#[test]
fn gic_400_through_the_soc_window() {
    let hw = parse();
    assert_eq!(
        hw.gic,
        Some(Gic::V2 {
            distributor: MemRange::new(0xff84_1000, 0x1000),
            cpu_interface: MemRange::new(0xff84_2000, 0x2000),
            hyp_interface: Some(MemRange::new(0xff84_4000, 0x2000)),
            virt_cpu_interface: Some(MemRange::new(0xff84_6000, 0x2000)),
            maintenance: level(25),
        })
    );
    // Flags 0xf08: CPU mask 0xf, level-low.
    let timer = hw.timer.unwrap();
    assert_eq!(Some(timer.virt), level(27));
    assert_eq!(Some(timer.hyp_phys), level(26));
    assert_eq!(Some(timer.nonsecure_phys), level(30));
    assert_eq!(Some(timer.secure_phys), level(29));
}

#[test]
fn uarts_translate_and_the_alias_picks_the_mini_uart() {
    let hw = parse();
    let kinds: Vec<(UartKind, u64)> = hw.uarts.iter().map(|u| (u.kind, u.base.base.0)).collect();
    // The disabled third UART is a device but not a usable UART.
    assert_eq!(
        kinds,
        [
            (UartKind::Pl011, 0xfe20_1000),
            (UartKind::Bcm2835Aux, 0xfe21_5040)
        ]
    );
    assert_eq!(hw.uarts[0].interrupt, level(153));
    assert_eq!(hw.uarts[1].interrupt, level(125));
    assert_eq!(hw.chosen.stdout_path.as_deref(), Some("serial1"));
    assert_eq!(hw.stdout, Some(1));
    assert_eq!(hw.console().unwrap().kind, UartKind::Bcm2835Aux);
    let disabled = hw.device_by_path("/soc/serial@7e201400").unwrap();
    assert!(!disabled.enabled);
    assert_eq!(disabled.regs, [MemRange::new(0xfe20_1400, 0x200)]);
}

#[test]
fn devices_on_buses() {
    let hw = parse();
    let i2c = hw.device_by_path("/soc/i2c@7e804000").unwrap();
    assert_eq!(i2c.regs, [MemRange::new(0xfe80_4000, 0x1000)]);
    assert_eq!(i2c.interrupts, [level(149).unwrap()]);
    // The EEPROM's reg is an I2C address: not a memory-mapped device.
    assert!(hw.device_by_path("/soc/i2c@7e804000/eeprom@50").is_none());
    // Two-cell child addresses on a second bus.
    let mmc = hw.device_by_path("/emmc2bus/mmc@7e340000").unwrap();
    assert_eq!(mmc.regs, [MemRange::new(0xfe34_0000, 0x100)]);
    assert_eq!(mmc.interrupts, [level(158).unwrap()]);
    // Interrupts routed to the GPIO controller are not GIC interrupts.
    let sensor = hw.device_by_path("/soc/sensor@7e300000").unwrap();
    assert!(sensor.interrupts.is_empty());
    let gpio = hw.device_by_path("/soc/gpio@7e200000").unwrap();
    assert_eq!(gpio.interrupts, [level(145).unwrap(), level(146).unwrap()]);
    assert!(hw.virtio_mmio.is_empty());
}

#[test]
fn chosen_with_one_cell_initrd() {
    let hw = parse();
    assert_eq!(
        hw.chosen.initrd,
        Some(MemRange::new(0x2eff_7000, 0x2fff_f5ee - 0x2eff_7000))
    );
    assert_eq!(
        hw.chosen.bootargs.as_deref(),
        Some("coherent_pool=1M 8250.nr_uarts=1 console=ttyS0,115200")
    );
}

#[test]
fn summary() {
    let text = Summary(&parse()).to_string();
    let expected = "\
board: Raspberry Pi 4 Model B [raspberrypi,4-model-b]
memory: 3956 MiB in 2 bank(s): [0x0..0x3b400000) [0x40000000..0xfc000000)
reserved: /memreserve/ [0x0..0x1000)
reserved: ramoops@3b3f0000 [0x3b3f0000..0x3b400000)
cpus: 4 (mpidrs 0x0 0x1 0x2 0x3), start via spin-table at 0xd8 0xe0 0xe8 0xf0
gic: v2, GICD 0xff841000, GICC 0xff842000, GICH 0xff844000, GICV 0xff846000, maintenance intid 25
timer: virt intid 27, hyp intid 26, phys intid 30
uarts: pl011 0xfe201000, bcm2835-aux 0xfe215040 (console)
chosen: bootargs \"coherent_pool=1M 8250.nr_uarts=1 console=ttyS0,115200\", initrd [0x2eff7000..0x2ffff5ee), stdout serial1
";
    assert_eq!(text, expected);
}
