//! What generate refuses, and how the refusal reads.

mod common;

use bulkhead_guest_dt::{
    generate, node_paths, GuestConsole, GuestDtError, GuestDtSpec, GuestGic, GuestRange,
};
use common::*;

fn refuse(spec: &GuestDtSpec) -> GuestDtError {
    generate(&virt_v3(), spec).unwrap_err()
}

fn passthrough(paths: &[&str]) -> GuestDtSpec {
    GuestDtSpec {
        passthrough: paths.iter().map(|p| p.to_string()).collect(),
        mgmt_doorbell: false,
        ..small_spec()
    }
}

#[test]
fn unknown_passthrough_path_is_named() {
    let err = refuse(&passthrough(&[VIRTIO0, "/virtio_mmio@b000000"]));
    assert_eq!(
        err.to_string(),
        "partition device tree: passthrough device /virtio_mmio@b000000: the board's device \
         tree has no such node"
    );
}

#[test]
fn nodes_without_registers_are_not_devices() {
    for path in ["/psci", "/cpus/cpu@0", "/timer"] {
        let err = refuse(&passthrough(&[path]));
        assert_eq!(err, GuestDtError::NotADevice { path: path.into() });
    }
}

#[test]
fn a_path_listed_twice() {
    let err = refuse(&passthrough(&[VIRTIO0, "/virtio_mmio@a000200", VIRTIO0]));
    assert_eq!(
        err,
        GuestDtError::DuplicatePassthrough {
            path: VIRTIO0.into()
        }
    );
}

#[test]
fn the_boards_gic_and_buses_stay_home() {
    for path in ["/intc@8000000", "/intc@8000000/its@8080000"] {
        let err = refuse(&passthrough(&[path]));
        assert!(
            err.to_string()
                .contains("is the board's interrupt controller"),
            "{path}: {err}"
        );
    }
    let err = refuse(&passthrough(&["/pcie@10000000"]));
    assert!(err.to_string().contains("is a bus"), "{err}");
}

#[test]
fn vcpu_counts() {
    let spec = |vcpus| GuestDtSpec {
        vcpus,
        gic: GuestGic::V3 {
            distributor: GuestRange::new(0x0800_0000, 0x1_0000),
            redistributors: GuestRange::new(0x080a_0000, 0xf6_0000),
            maintenance_intid: None,
        },
        ..small_spec()
    };
    assert_eq!(refuse(&spec(0)), GuestDtError::NoVcpus);
    assert_eq!(
        refuse(&spec(256)).to_string(),
        "partition device tree: 256 vCPUs asked for, a GICv3 partition can have at most 255"
    );
    // 123 frames fit in virt's 0xf60000 bytes of redistributors.
    let out = generate(&virt_v3(), &spec(123)).unwrap();
    let hw = bulkhead_core::dt::parse(&out.dtb).unwrap();
    assert_eq!(hw.cpus.len(), 123);
    let last = hw.cpus.last().unwrap();
    assert_eq!((last.name.as_str(), last.mpidr), ("cpu@70a", 0x70a));
    assert!(matches!(
        refuse(&spec(124)),
        GuestDtError::Redistributors {
            size: 0xf6_0000,
            needed: 0xf8_0000,
            vcpus: 124
        }
    ));
}

#[test]
fn address_space_claimed_twice() {
    let mut spec = small_spec();
    spec.memory.push(GuestRange::new(0x0900_0000, 0x1000));
    assert_eq!(
        refuse(&spec).to_string(),
        "partition device tree: memory region 2 overlaps the console"
    );
    let mut spec = small_spec();
    spec.memory = vec![GuestRange::new(0x0a00_0000, 0x10_0000)];
    spec.initrd = None;
    assert_eq!(
        refuse(&spec),
        GuestDtError::Overlap {
            first: "memory region 0".into(),
            second: VIRTIO0.into()
        }
    );
    let mut spec = small_spec();
    spec.memory.push(GuestRange::new(0x4fff_f000, 0x2000));
    assert!(matches!(refuse(&spec), GuestDtError::Overlap { .. }));
}

#[test]
fn ranges_must_be_whole_pages_and_not_wrap() {
    let mut spec = small_spec();
    spec.memory[0] = GuestRange::new(0x6000_0800, 0x1000);
    assert_eq!(
        refuse(&spec).to_string(),
        "partition device tree: memory region 0 at 0x60000800 with size 0x1000 is not 4 KiB \
         aligned"
    );
    spec.memory[0] = GuestRange::new(0xffff_ffff_ffff_f000, 0x2000);
    assert!(matches!(refuse(&spec), GuestDtError::WrappingRange { .. }));
    spec.memory[0] = GuestRange::new(0x6000_0000, 0);
    assert!(matches!(refuse(&spec), GuestDtError::EmptyRange { .. }));
    spec.memory.clear();
    assert_eq!(refuse(&spec), GuestDtError::NoMemory);
}

#[test]
fn interrupt_numbers() {
    let mut spec = small_spec();
    spec.console = Some(GuestConsole {
        intid: 27,
        ..spec.console.unwrap()
    });
    assert_eq!(
        refuse(&spec).to_string(),
        "partition device tree: the console: INTID 27 is not an SPI (32-1019)"
    );
    let mut spec = small_spec();
    spec.gic = GuestGic::V3 {
        distributor: GuestRange::new(0x0800_0000, 0x1_0000),
        redistributors: GuestRange::new(0x080a_0000, 0x4_0000),
        maintenance_intid: Some(40),
    };
    assert!(refuse(&spec)
        .to_string()
        .contains("maintenance interrupt: INTID 40"));
    let mut spec = small_spec();
    spec.timer.virt = ppi(20);
    assert!(refuse(&spec)
        .to_string()
        .contains("the virtual timer: INTID 36"));
    // virtio_mmio@a000000 raises SPI 16 (INTID 48).
    let mut spec = small_spec();
    spec.console = Some(GuestConsole {
        intid: 48,
        ..spec.console.unwrap()
    });
    assert_eq!(
        refuse(&spec).to_string(),
        "partition device tree: INTID 48 is used by both the console and /virtio_mmio@a000000"
    );
}

#[test]
fn initrd_must_lie_in_memory() {
    let mut spec = small_spec();
    spec.initrd = Some(GuestRange::new(0x4fff_0000, 0x2_0000));
    assert_eq!(
        refuse(&spec).to_string(),
        "partition device tree: the initrd at 0x4fff0000 with size 0x20000 does not lie inside \
         one memory region"
    );
}

#[test]
fn strings_with_nul() {
    let mut spec = small_spec();
    spec.bootargs = Some("console=ttyAMA0\0evil".into());
    assert_eq!(refuse(&spec), GuestDtError::Nul { field: "bootargs" });
    let mut spec = small_spec();
    spec.name = "a\0b".into();
    assert_eq!(refuse(&spec), GuestDtError::Nul { field: "the name" });
}

#[test]
fn a_board_blob_that_is_not_a_device_tree() {
    let err = generate(b"not a device tree at all, just some bytes", &small_spec()).unwrap_err();
    assert!(matches!(err, GuestDtError::Board(_)));
    assert!(
        err.to_string().starts_with("the board's device tree: "),
        "{err}"
    );
    assert!(node_paths(&[0u8; 8]).is_err());
}
