use crate::{Carveout, Platform, SecondaryStart};

/// Raspberry Pi 4 Model B (BCM2711, four Cortex-A72, GIC-400), as started by
/// the Pi firmware with `arm_64bit=1` and `kernel=kernel8.img`, and as QEMU
/// 10's `raspi4b` machine models it. The firmware loads the image at
/// 0x80000, enters every core at EL2, and parks the secondaries on a spin
/// table whose release addresses the device tree gives (`cpu-release-addr`).
pub const RPI4: Platform = Platform {
    name: "rpi4",
    compatible: &["raspberrypi,4-model-b", "brcm,bcm2711"],
    load_address: 0x8_0000,
    text_offset: 0x8_0000,
    max_cpus: 4,
    secondary_start: SecondaryStart::SpinTable,
    carveouts: &[Carveout {
        base: 0,
        size: 0x8_0000,
        why: "armstub: the firmware's EL3 stub and the spin table live below the image",
    }],
    early_uart: Some(0xfe20_1000),
};
