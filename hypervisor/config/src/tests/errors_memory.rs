//! Errors about memory.

use super::{board, errors, raw, single, LINUX0};
use crate::{validate, Constraints, ErrorKind as E};
use bulkhead_core::addr::MemRange;
use bulkhead_core::hw::Reserved;

/// LINUX0 with its memory line replaced.
fn with_memory(line: &str) -> String {
    LINUX0.replace("memory = [{ size = \"256M\", base = 0x48000000 }]", line)
}

/// LINUX0 without devices (so identity = false is allowed), memory replaced.
fn plain(line: &str) -> String {
    with_memory(line).replace("devices = [\"/virtio_mmio@a003e00\"]\n", "")
}

/// LINUX0 plus a bare-metal "rtos" partition on cpu@2 with `memory`.
fn with_rtos(memory: &str) -> String {
    format!(
        "{LINUX0}\n[[partition]]\nname = \"rtos\"\ncpus = [\"cpu@2\"]\n{memory}\nkernel = \"rtos.bin\"\nboot_protocol = \"bare-metal\"\n"
    )
}

#[test]
fn no_memory() {
    single(
        &with_memory(""),
        |k| *k == E::NoMemory,
        "partition \"linux0\": memory: no memory regions: give at least one",
    );
}

#[test]
fn zero_size() {
    single(
        &with_memory("memory = [{ size = 0 }]"),
        |k| *k == E::ZeroSize,
        "partition \"linux0\": memory[0]: size is zero",
    );
}

#[test]
fn unaligned_size_base_and_guest_base() {
    single(
        &with_memory("memory = [{ size = 0x1800 }]"),
        |k| matches!(k, E::Unaligned { what: "size", .. }),
        "partition \"linux0\": memory[0]: size 0x1800 is not a multiple of 4 KiB (the smallest page stage 2 maps)",
    );
    single(
        &with_memory("memory = [{ size = \"16M\", base = 0x48000200 }]"),
        |k| matches!(k, E::Unaligned { what: "base", .. }),
        "partition \"linux0\": memory[0]: base 0x48000200 is not a multiple of 4 KiB (the smallest page stage 2 maps)",
    );
    single(
        &plain("memory = [{ size = \"16M\", identity = false, guest_base = 0x10 }]"),
        |k| matches!(k, E::Unaligned { what: "guest_base", .. }),
        "partition \"linux0\": memory[0]: guest_base 0x10 is not a multiple of 4 KiB (the smallest page stage 2 maps)",
    );
}

#[test]
fn range_wrapping_the_address_space() {
    single(
        &with_memory("memory = [{ size = \"16M\", base = 0x7fffffffffff0000 }]"),
        |k| matches!(k, E::OutsideRam { .. }),
        "partition \"linux0\": memory[0]: [0x7fffffffffff0000..0x8000000000ff0000) is not inside RAM \
         (the board has [0x40000000..0x80000000))",
    );
    // Sizes can exceed what TOML integers hold only as strings.
    let e = errors(&with_memory(
        "memory = [{ size = \"15T\", base = 0x7ffffffffffff000 }]",
    ));
    assert!(e.any(|k| matches!(k, E::OutsideRam { .. })), "{e}");
    let e = errors(&plain(
        "memory = [{ size = \"16777215T\", identity = false, guest_base = 0x7ffffffffffff000 }]",
    ));
    assert_eq!(
        e.to_string(),
        "partition \"linux0\": memory[0]: guest_base 0x7ffffffffffff000 + size 0xffffff0000000000 \
         runs past the top of the address space"
    );
}

#[test]
fn outside_ram() {
    single(
        &with_memory("memory = [{ size = \"256M\", base = 0x78000000 }]"),
        |k| matches!(k, E::OutsideRam { .. }),
        "partition \"linux0\": memory[0]: [0x78000000..0x88000000) is not inside RAM \
         (the board has [0x40000000..0x80000000))",
    );
}

#[test]
fn overlaps_another_partition() {
    single(
        &with_rtos("memory = [{ size = \"1M\" }, { size = \"1M\", base = 0x48000000 }]"),
        |k| matches!(k, E::OverlapsPartition { .. }),
        "partition \"rtos\": memory[1]: [0x48000000..0x48100000) overlaps partition \"linux0\" memory[0] \
         [0x48000000..0x58000000)",
    );
}

#[test]
fn overlaps_itself() {
    single(
        &with_memory(
            "memory = [{ size = \"256M\", base = 0x48000000 }, { size = \"4K\", base = 0x48001000 }]",
        ),
        |k| matches!(k, E::OverlapsPartition { .. }),
        "partition \"linux0\": memory[1]: [0x48001000..0x48002000) overlaps partition \"linux0\" memory[0] \
         [0x48000000..0x58000000)",
    );
}

#[test]
fn overlaps_the_hypervisor() {
    single(
        &with_memory("memory = [{ size = \"4M\", base = 0x40000000 }]"),
        |k| matches!(k, E::OverlapsKeepOut { .. }),
        "partition \"linux0\": memory[0]: [0x40000000..0x40400000) overlaps the hypervisor image \
         [0x40200000..0x40400000)",
    );
}

#[test]
fn overlaps_reserved_memory_and_the_chosen_initrd() {
    let mut hw = board::qemu_virt();
    hw.reserved.push(Reserved {
        name: "secmon@48100000".into(),
        range: MemRange::new(0x4810_0000, 0x1_0000),
    });
    hw.chosen.initrd = Some(MemRange::new(0x5000_0000, 0x10_0000));
    let e = validate(&raw(LINUX0), &hw, &board::constraints()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition \"linux0\": memory[0]: [0x48000000..0x58000000) overlaps reserved memory \
         \"secmon@48100000\" [0x48100000..0x48110000) (from the device tree)\n\
         partition \"linux0\": memory[0]: [0x48000000..0x58000000) overlaps the initrd named in /chosen \
         [0x50000000..0x50100000)"
    );
}

#[test]
fn not_enough_free_ram() {
    single(
        &with_rtos("memory = [{ size = \"900M\" }]"),
        |k| matches!(k, E::OutOfMemory { .. }),
        "partition \"rtos\": memory[0]: no free RAM for 0x38400000 bytes \
         (the largest free block left is 0x28000000 bytes)",
    );
}

#[test]
fn guest_base_with_identity() {
    single(
        &with_memory("memory = [{ size = \"16M\", guest_base = 0x80000000 }]"),
        |k| *k == E::GuestBaseWithIdentity,
        "partition \"linux0\": memory[0]: guest_base applies only with identity = false",
    );
}

#[test]
fn identity_false_needs_guest_base() {
    single(
        &plain("memory = [{ size = \"16M\", identity = false }]"),
        |k| *k == E::GuestBaseMissing,
        "partition \"linux0\": memory[0]: identity = false needs a guest_base",
    );
}

#[test]
fn guest_regions_overlap() {
    single(
        &plain(
            "memory = [{ size = \"16M\", base = 0x48000000 }, \
             { size = \"16M\", identity = false, guest_base = 0x48800000 }]",
        ),
        |k| matches!(k, E::GuestOverlap { .. }),
        "partition \"linux0\": memory[1]: guest-physical [0x48800000..0x49800000) overlaps memory[0] \
         at guest-physical [0x48000000..0x49000000)",
    );
}

#[test]
fn guest_region_over_a_device_or_the_gic() {
    let toml = plain(
        "memory = [{ size = \"2M\", identity = false, guest_base = 0x40000000 }, \
         { size = \"2M\", identity = false, guest_base = 0x9000000 }]\ndevices = [\"/pl011@9040000\"]",
    );
    let e = errors(&toml.replace("0x9000000", "0x8000000"));
    assert_eq!(
        e.to_string(),
        "partition \"linux0\": memory[1]: guest-physical [0x8000000..0x8200000) covers the interrupt \
         controller [0x8000000..0x8010000), which the guest sees at that address"
    );
    let e = errors(&toml);
    assert_eq!(
        e.to_string(),
        "partition \"linux0\": memory[1]: guest-physical [0x9000000..0x9200000) covers \"/pl011@9040000\" \
         [0x9040000..0x9041000), which the guest sees at that address"
    );
}

#[test]
fn manager_memory_over_the_doorbell() {
    let toml = plain(
        "memory = [{ size = \"16M\", identity = false, guest_base = 0x7ff000000 }]\nmanager = true",
    );
    assert_eq!(
        errors(&toml).to_string(),
        "partition \"linux0\": memory[0]: guest-physical [0x7ff000000..0x800000000) covers the \
         manager's management doorbell [0x7fffff000..0x800000000), which the guest sees at that address"
    );
    // Only the manager has the page: elsewhere the address is ordinary.
    assert!(validate(
        &raw(&toml.replace("manager = true", "")),
        &board::qemu_virt(),
        &board::constraints()
    )
    .is_ok());
}

#[test]
fn guest_address_too_high() {
    single(
        &plain("memory = [{ size = \"2M\", identity = false, guest_base = 0x10000000000 }]"),
        |k| matches!(k, E::GuestAddressTooHigh { .. }),
        "partition \"linux0\": memory[0]: guest-physical end 0x10000200000 is beyond the 40-bit stage-2 input range",
    );
    let wide = Constraints {
        ipa_bits: 44,
        ..board::constraints()
    };
    let toml = plain("memory = [{ size = \"2M\", identity = false, guest_base = 0x10000000000 }]");
    assert!(validate(&raw(&toml), &board::qemu_virt(), &wide).is_ok());
}

#[test]
fn dma_device_needs_identity_mapping() {
    single(
        &with_memory("memory = [{ size = \"16M\", identity = false, guest_base = 0x40000000 }]"),
        |k| matches!(k, E::NeedsIdentity { .. }),
        "partition \"linux0\": memory[0]: identity = false, but this partition owns \"/virtio_mmio@a003e00\", \
         which does DMA to machine-physical addresses (no IOMMU): its memory must be identity-mapped",
    );
}

#[test]
fn linux_needs_a_2mib_aligned_first_region() {
    single(
        &with_memory("memory = [{ size = \"16M\", base = 0x48001000 }]"),
        |k| matches!(k, E::LinuxBaseUnaligned { .. }),
        "partition \"linux0\": memory[0]: starts at guest-physical 0x48001000; \
         Linux needs its image on a 2 MiB boundary",
    );
    // Bare-metal images need no such thing.
    let ok = with_rtos("memory = [{ size = \"1M\", base = 0x7f001000 }]");
    assert!(super::check(&ok).is_ok());
}

#[test]
fn snapshot_slots_need_room() {
    single(
        &format!("{LINUX0}snapshot_slots = 4\n"),
        |k| matches!(k, E::SnapshotOutOfMemory { .. }),
        "partition \"linux0\": snapshot_slots: no free RAM for the snapshot slots' 0x40040000 bytes \
         (the largest free block left is 0x28000000 bytes)",
    );
}

#[test]
fn memory_over_a_device_described_inside_ram() {
    let mut hw = board::qemu_virt();
    hw.devices.push(board::device(
        "/shm@48000000",
        "test,shm",
        &[(0x4800_0000, 0x1000)],
        &[],
    ));
    let toml = format!(
        "{LINUX0}\n[[partition]]\nname = \"b\"\ncpus = [\"cpu@2\"]\nmemory = [{{ size = \"2M\" }}]\ndevices = [\"/shm@48000000\"]\nkernel = \"k\"\n"
    );
    let e = validate(&raw(&toml), &hw, &board::constraints()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition \"linux0\": memory[0]: [0x48000000..0x58000000) overlaps partition \"b\" devices[0] \
         [0x48000000..0x48001000)"
    );
}
