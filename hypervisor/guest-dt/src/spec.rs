//! What a partition's device tree is written from: a plain description that
//! the host tool fills from the checked partition configuration. Nothing
//! here knows the configuration format.

use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::addr::GuestPhysAddr;
use bulkhead_core::hw::Timer;

/// A range of the partition's guest-physical (intermediate physical)
/// address space, `[base, base + size)`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct GuestRange {
    pub base: GuestPhysAddr,
    pub size: u64,
}

impl GuestRange {
    pub const fn new(base: u64, size: u64) -> Self {
        Self {
            base: GuestPhysAddr(base),
            size,
        }
    }

    /// One past the last byte, or None when the range wraps.
    pub fn end(&self) -> Option<u64> {
        self.base.0.checked_add(self.size)
    }
}

/// Everything the partition's tree says that is not copied from the board.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct GuestDtSpec {
    /// The partition's name, shown in the root `model`.
    pub name: String,
    /// Number of virtual CPUs; vCPU `i` has the MPIDR [`crate::vcpu_mpidr`]`(i)`.
    pub vcpus: usize,
    /// RAM as the partition sees it. Listed in one memory node, sorted.
    pub memory: Vec<GuestRange>,
    /// Kernel command line (`/chosen/bootargs`).
    pub bootargs: Option<String>,
    /// Where the initial ramdisk was loaded (`linux,initrd-start`/`-end`).
    pub initrd: Option<GuestRange>,
    /// The virtual interrupt controller.
    pub gic: GuestGic,
    /// The architected timer's PPIs, as on the board (the partition reads
    /// the same counter and takes the same PPIs).
    pub timer: Timer,
    /// The emulated console UART, if the partition has one.
    pub console: Option<GuestConsole>,
    /// Board device tree paths of the devices the partition owns, for
    /// example `/virtio_mmio@a000000`. Memory is identity-mapped for them:
    /// they appear at their machine-physical addresses.
    pub passthrough: Vec<String>,
    /// The manager partition's management doorbell page
    /// (`bulkhead_core::mgmt::doorbell`): a node
    /// `bulkhead-mgmt@<GUEST_BASE>` with its `compatible` and `reg`.
    pub mgmt_doorbell: bool,
}

/// The interrupt controller the partition sees (emulated or virtualised by
/// the hypervisor at these guest-physical addresses).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GuestGic {
    V3 {
        distributor: GuestRange,
        /// One region holding every vCPU's redistributor: two 64 KiB frames
        /// each, so at least `vcpus * 0x20000` bytes.
        redistributors: GuestRange,
        /// The maintenance PPI to list (INTID 16-31), if any.
        maintenance_intid: Option<u32>,
    },
    V2 {
        distributor: GuestRange,
        /// The CPU interface (GICC) the partition sees, usually backed by
        /// the physical GICV frame.
        cpu_interface: GuestRange,
    },
}

/// Which binding the console node uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ConsoleCompat {
    /// `arm,sbsa-uart`: Linux's amba-pl011 driver binds it as a platform
    /// device, without clocks or PrimeCell ID registers (what Xen gives its
    /// domUs).
    Sbsa,
    /// `arm,pl011` + `arm,primecell`: bound through the AMBA bus, which
    /// reads the ID registers at 0xFE0-0xFFC and wants an `apb_pclk` clock;
    /// the tree then carries a 24 MHz fixed clock.
    Pl011,
}

/// The emulated UART.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GuestConsole {
    pub range: GuestRange,
    /// Its interrupt, an SPI (INTID 32-1019).
    pub intid: u32,
    pub compatible: ConsoleCompat,
}
