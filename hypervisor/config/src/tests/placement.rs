//! Where regions without a base go, and what the checked form holds.

use super::{ok, LINUX0};
use crate::{AssignedCpu, Console, FaultPolicy, MemoryRegion, SnapshotStore};
use bulkhead_core::addr::{GuestPhysAddr, MemRange};

fn region(base: u64, size: u64) -> MemoryRegion {
    MemoryRegion {
        host: MemRange::new(base, size),
        guest: GuestPhysAddr(base),
        identity: true,
    }
}

#[test]
fn fixed_region_is_kept_and_everything_resolved() {
    let sys = ok(LINUX0);
    assert_eq!(sys.console().unwrap().path, "/pl011@9000000");
    let p = &sys.partitions()[0];
    assert_eq!(p.name(), "linux0");
    assert_eq!(
        p.cpus(),
        &[
            AssignedCpu {
                name: "cpu@0".into(),
                mpidr: 0,
                board_index: 0
            },
            AssignedCpu {
                name: "cpu@1".into(),
                mpidr: 1,
                board_index: 1
            },
        ]
    );
    assert_eq!(p.memory(), &[region(0x4800_0000, 0x1000_0000)]);
    assert_eq!(p.memory_size(), 0x1000_0000);
    let d = &p.devices()[0];
    assert_eq!(d.path, "/virtio_mmio@a003e00");
    assert_eq!(d.regs, vec![MemRange::new(0xa00_3e00, 0x200)]);
    assert_eq!(d.pages, vec![MemRange::new(0xa00_3000, 0x1000)]);
    assert_eq!(d.interrupts[0].intid.0, 79);
    assert!(d.dma);
    assert_eq!(p.images().kernel, "images/Image");
    assert_eq!(p.bootargs(), "console=ttyAMA0");
    assert_eq!(p.console(), Console::Emulated);
    assert_eq!(p.on_fault(), FaultPolicy::Stop);
    assert!(!p.is_manager());
    assert!(p.snapshots().is_none());
}

#[test]
fn first_fit_on_2mib_boundaries_in_file_order() {
    // Free RAM: [0x40000000, 0x40200000) below the hypervisor, then
    // [0x42200000, 0x48000000) and [0x58000000, 0x80000000) around linux0.
    let toml = format!(
        "{LINUX0}\n[[partition]]\nname = \"b\"\ncpus = [\"cpu@2\"]\n\
         memory = [{{ size = \"1M\" }}, {{ size = \"64M\" }}, {{ size = \"8K\" }}, {{ size = \"100M\" }}]\n\
         kernel = \"k\"\nboot_protocol = \"bare-metal\"\n"
    );
    let sys = ok(&toml);
    assert_eq!(
        sys.partitions()[1].memory(),
        &[
            region(0x4000_0000, 0x10_0000),
            region(0x4220_0000, 0x400_0000),
            // Only a 2 MiB boundary is tried first: 0x40100000 is free but
            // 0x46200000 is the first aligned fit.
            region(0x4620_0000, 0x2000),
            region(0x5800_0000, 0x640_0000),
        ]
    );
}

#[test]
fn falls_back_to_4kib_alignment() {
    // Keep-outs leave a single hole with no 2 MiB boundary in it.
    let toml = "[[partition]]\nname = \"b\"\ncpus = [\"cpu@2\"]\nmemory = [{ size = \"8K\" }]\n\
                kernel = \"k\"\nboot_protocol = \"bare-metal\"\n";
    let cons = crate::Constraints::new()
        .keep_out("low", MemRange::new(0x4000_0000, 0x1000))
        .keep_out("rest", MemRange::new(0x4020_0000, 0x3fe0_0000));
    let sys = crate::validate(&super::raw(toml), &super::board::qemu_virt(), &cons).unwrap();
    assert_eq!(sys.partitions()[0].memory(), &[region(0x4000_1000, 0x2000)]);
}

#[test]
fn non_identity_region() {
    let toml = LINUX0
        .replace("devices = [\"/virtio_mmio@a003e00\"]\n", "")
        .replace(
            "memory = [{ size = \"256M\", base = 0x48000000 }]",
            "memory = [{ size = \"16M\", identity = false, guest_base = 0x80000000 }]",
        );
    let m = ok(&toml).partitions()[0].memory()[0];
    assert_eq!(m.host, MemRange::new(0x4220_0000, 0x100_0000));
    assert_eq!(m.guest, GuestPhysAddr(0x8000_0000));
    assert!(!m.identity);
    assert_eq!(m.guest_range(), MemRange::new(0x8000_0000, 0x100_0000));
}

#[test]
fn snapshot_store_is_set_aside() {
    let sys = ok(&format!("{LINUX0}snapshot_slots = 2\n"));
    assert_eq!(
        sys.partitions()[0].snapshots(),
        Some(&SnapshotStore {
            slots: 2,
            slot_size: 0x1001_0000,
            area: MemRange::new(0x5800_0000, 0x2002_0000),
        })
    );
}

#[test]
fn placement_is_deterministic() {
    let toml = format!(
        "{LINUX0}\n[[partition]]\nname = \"b\"\ncpus = [\"cpu@2\"]\nmemory = [{{ size = \"32M\" }}]\nkernel = \"k\"\n"
    );
    assert_eq!(ok(&toml), ok(&toml));
}
