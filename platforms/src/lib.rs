//! Board descriptors.
//!
//! Bulkhead learns nearly everything from the device tree. What is left is
//! here, one small constant per board: where the boot loader puts the image,
//! which memory the firmware keeps for itself without saying so, and named
//! quirks. Adding a board adds data, not logic.
#![no_std]
#![forbid(unsafe_code)]

mod qemu_virt;
mod rpi4;

pub use qemu_virt::QEMU_VIRT;
pub use rpi4::RPI4;

/// How secondary cores are expected to be parked by firmware. The device tree
/// says it too (enable-method); this is what the board documentation
/// promises, used to check the tree and to word errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondaryStart {
    Psci,
    SpinTable,
}

/// Memory the firmware keeps without listing it in the device tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Carveout {
    pub base: u64,
    pub size: u64,
    /// Why it is kept.
    pub why: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Platform {
    /// Short name used by the build (`--platform NAME`) and in logs.
    pub name: &'static str,
    /// Any of these root `compatible` strings identifies the board.
    pub compatible: &'static [&'static str],
    /// Physical address the boot loader places the raw image at, which is
    /// also the address the image is linked at.
    pub load_address: u64,
    /// The arm64 Image header's text_offset: load_address minus the
    /// 2 MiB-aligned RAM base the loader starts from.
    pub text_offset: u64,
    /// Most cores the board has; the per-core stacks are sized for this.
    pub max_cpus: usize,
    pub secondary_start: SecondaryStart,
    pub carveouts: &'static [Carveout],
    /// A PL011 the boot code may print to before the device tree is read,
    /// so that a missing or broken tree is still reported on the console.
    pub early_uart: Option<u64>,
}

/// Every board this build knows.
pub const ALL: &[&Platform] = &[&QEMU_VIRT, &RPI4];

pub fn by_name(name: &str) -> Option<&'static Platform> {
    ALL.iter().copied().find(|p| p.name == name)
}

/// The board whose descriptor matches one of the root compatible strings.
pub fn by_compatible<'a>(mut root: impl Iterator<Item = &'a str>) -> Option<&'static Platform> {
    root.find_map(|c| ALL.iter().copied().find(|p| p.compatible.contains(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_compatibles_resolve() {
        assert_eq!(by_name("qemu-virt"), Some(&QEMU_VIRT));
        assert_eq!(by_name("rpi4"), Some(&RPI4));
        assert_eq!(by_name("pi5"), None);
        assert_eq!(
            by_compatible(["linux,dummy-virt"].into_iter()),
            Some(&QEMU_VIRT)
        );
        assert_eq!(
            by_compatible(["raspberrypi,4-model-b", "brcm,bcm2711"].into_iter()),
            Some(&RPI4)
        );
    }

    #[test]
    fn load_addresses_follow_the_image_protocol() {
        for p in ALL {
            // The loader puts the image at a 2 MiB-aligned base + text_offset.
            assert_eq!(
                (p.load_address - p.text_offset) % (2 << 20),
                0,
                "{}",
                p.name
            );
            assert!(p.max_cpus >= 1);
        }
    }
}
