//! Fixtures and helpers shared by the integration tests.
#![allow(dead_code)]

use bulkhead_core::hw::{Interrupt, Intid, Timer, Trigger};
use bulkhead_guest_dt::{ConsoleCompat, GuestConsole, GuestDtSpec, GuestGic, GuestRange};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn virt_v3() -> Vec<u8> {
    fixture("virt-gicv3-smp4-1g.dtb")
}

pub fn virt_v2() -> Vec<u8> {
    fixture("virt-gicv2-smp2-1g.dtb")
}

pub fn ppi(n: u32) -> Interrupt {
    Interrupt {
        intid: Intid(16 + n),
        trigger: Trigger::Level,
    }
}

/// QEMU virt's timer PPIs.
pub fn virt_timer() -> Timer {
    Timer {
        secure_phys: ppi(13),
        nonsecure_phys: ppi(14),
        virt: ppi(11),
        hyp_phys: ppi(10),
        frequency: None,
    }
}

pub const VIRTIO0: &str = "/virtio_mmio@a000000";

/// Two vCPUs, 256 MiB at 0x4000_0000 plus 16 MiB at 0x6000_0000, an SBSA
/// console at 0x0900_0000 on SPI 1 (INTID 33), a GICv3 at virt's
/// addresses, and the first virtio-mmio transport.
pub fn small_spec() -> GuestDtSpec {
    GuestDtSpec {
        name: "linux0".into(),
        vcpus: 2,
        memory: vec![
            GuestRange::new(0x6000_0000, 0x100_0000),
            GuestRange::new(0x4000_0000, 0x1000_0000),
        ],
        bootargs: Some("console=ttyAMA0 earlycon rdinit=/init".into()),
        initrd: Some(GuestRange::new(0x4800_0000, 0x12_3456)),
        gic: GuestGic::V3 {
            distributor: GuestRange::new(0x0800_0000, 0x1_0000),
            redistributors: GuestRange::new(0x080a_0000, 2 * 0x2_0000),
            maintenance_intid: Some(25),
        },
        timer: virt_timer(),
        console: Some(GuestConsole {
            range: GuestRange::new(0x0900_0000, 0x1000),
            intid: 33,
            compatible: ConsoleCompat::Sbsa,
        }),
        passthrough: vec![VIRTIO0.into()],
        mgmt_doorbell: false,
    }
}

/// The same partition on virt's GICv2 layout.
pub fn small_spec_v2() -> GuestDtSpec {
    GuestDtSpec {
        gic: GuestGic::V2 {
            distributor: GuestRange::new(0x0800_0000, 0x1_0000),
            cpu_interface: GuestRange::new(0x0801_0000, 0x1_0000),
        },
        ..small_spec()
    }
}

/// `dtc -I dtb -O dts` of `dtb`: (stdout, stderr). Panics with a hint when
/// dtc is missing (`cargo xtask setup` installs it).
pub fn dtc(dtb: &[u8]) -> (String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("dtc")
        .args(["-I", "dtb", "-O", "dts", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running dtc ({e}); `cargo xtask setup` installs it"));
    child.stdin.take().unwrap().write_all(dtb).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dtc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}
