use crate::{Platform, SecondaryStart};

/// QEMU's `virt` machine (tested with QEMU 10.0), entered at EL2 with
/// `virtualization=on`. RAM starts at 1 GiB; QEMU loads an image that carries
/// the arm64 Image header at RAM base + text_offset and puts the device tree
/// it built at the top of the first GiB of RAM (x0 says where). With no EL3,
/// QEMU implements PSCI itself behind `smc`; secondaries start powered off.
pub const QEMU_VIRT: Platform = Platform {
    name: "qemu-virt",
    compatible: &["linux,dummy-virt"],
    load_address: 0x4020_0000,
    text_offset: 0x20_0000,
    max_cpus: 8,
    secondary_start: SecondaryStart::Psci,
    carveouts: &[],
    early_uart: Some(0x0900_0000),
};
