//! The checked configuration. Only [`crate::validate`] builds one, so
//! holding a [`SystemConfig`] means every check passed against the board it
//! was validated with: cores exist and are given once, memory is placed,
//! aligned and disjoint, devices exist and are owned once, and so on.
//! Fields are private and read through methods, so nothing can change a
//! checked configuration afterwards.

use crate::raw::{BootProtocol, FaultAction};
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::addr::{GuestPhysAddr, MemRange};
use bulkhead_core::hw::{Interrupt, UartKind};

/// A whole checked system.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SystemConfig {
    pub(crate) console: Option<ConsoleUart>,
    pub(crate) partitions: Vec<PartitionConfig>,
}

impl SystemConfig {
    /// The hypervisor's own console UART, if it has one.
    pub fn console(&self) -> Option<&ConsoleUart> {
        self.console.as_ref()
    }

    /// The partitions, in the file's order (the bundle's partition indices).
    pub fn partitions(&self) -> &[PartitionConfig] {
        &self.partitions
    }
}

/// A UART the hypervisor writes to.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ConsoleUart {
    /// Device tree path.
    pub path: String,
    /// Which driver.
    pub kind: UartKind,
    /// Its registers.
    pub base: MemRange,
    /// Its interrupt, if the tree gives one.
    pub interrupt: Option<Interrupt>,
}

/// One checked partition.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PartitionConfig {
    pub(crate) name: String,
    pub(crate) cpus: Vec<AssignedCpu>,
    pub(crate) memory: Vec<MemoryRegion>,
    pub(crate) devices: Vec<PassthroughDevice>,
    pub(crate) images: Images,
    pub(crate) bootargs: String,
    pub(crate) boot: Boot,
    pub(crate) console: Console,
    pub(crate) on_fault: FaultPolicy,
    pub(crate) watchdog_ms: Option<u32>,
    pub(crate) manager: bool,
    pub(crate) snapshots: Option<SnapshotStore>,
}

impl PartitionConfig {
    /// The unique name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The cores; vCPU n runs on `cpus()[n]`.
    pub fn cpus(&self) -> &[AssignedCpu] {
        &self.cpus
    }
    /// The memory regions, placed; the image goes into the first.
    pub fn memory(&self) -> &[MemoryRegion] {
        &self.memory
    }
    /// The passed-through devices.
    pub fn devices(&self) -> &[PassthroughDevice] {
        &self.devices
    }
    /// Host paths of the images (their bytes travel in the bundle).
    pub fn images(&self) -> &Images {
        &self.images
    }
    /// The kernel command line (possibly empty).
    pub fn bootargs(&self) -> &str {
        &self.bootargs
    }
    /// How the image is entered.
    pub fn boot(&self) -> Boot {
        self.boot
    }
    /// The console.
    pub fn console(&self) -> Console {
        self.console
    }
    /// What a fault does.
    pub fn on_fault(&self) -> FaultPolicy {
        self.on_fault
    }
    /// The watchdog period, if any.
    pub fn watchdog_ms(&self) -> Option<u32> {
        self.watchdog_ms
    }
    /// Whether this is the manager partition.
    pub fn is_manager(&self) -> bool {
        self.manager
    }
    /// The RAM set aside for snapshots, if any.
    pub fn snapshots(&self) -> Option<&SnapshotStore> {
        self.snapshots.as_ref()
    }
    /// The first passed-through device whose state a snapshot could not
    /// capture: one not reset on restore. `None`: a snapshot of this
    /// partition is allowed.
    pub fn snapshot_blocker(&self) -> Option<&PassthroughDevice> {
        self.devices.iter().find(|d| d.reset_on_restore.is_none())
    }
    /// All guest RAM in bytes.
    pub fn memory_size(&self) -> u64 {
        self.memory.iter().map(|m| m.host.size).sum()
    }
}

/// A physical core given to a partition.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AssignedCpu {
    /// The cpu node's name (`cpu@1`).
    pub name: String,
    /// Its MPIDR affinity.
    pub mpidr: u64,
    /// Its position among the board's cores.
    pub board_index: usize,
}

/// A placed memory region.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MemoryRegion {
    /// Machine-physical range.
    pub host: MemRange,
    /// Where the guest sees it (equal to `host.base` when identity-mapped).
    pub guest: GuestPhysAddr,
    /// Whether guest-physical equals machine-physical.
    pub identity: bool,
}

impl MemoryRegion {
    /// The region in guest-physical space, as a `MemRange` of guest
    /// addresses.
    pub fn guest_range(&self) -> MemRange {
        MemRange::new(self.guest.0, self.host.size)
    }
}

/// A device passed through, mapped at its physical address.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PassthroughDevice {
    /// Device tree path.
    pub path: String,
    /// Its register ranges as the tree gives them.
    pub regs: Vec<MemRange>,
    /// Those ranges rounded out to whole 4 KiB pages: what stage 2 maps.
    pub pages: Vec<MemRange>,
    /// Its interrupts (all SPIs), routed to this partition.
    pub interrupts: Vec<Interrupt>,
    /// Whether it can do DMA (virtio-mmio), which is why its partition's
    /// memory is identity-mapped.
    pub dma: bool,
    /// How the hypervisor resets it when the partition is restored from a
    /// snapshot (`reset_on_restore`); `None`: it is not reset, and the
    /// partition cannot be snapshotted.
    pub reset_on_restore: Option<ResetMethod>,
}

/// How the hypervisor resets a passed-through device (`reset_on_restore`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ResetMethod {
    /// A virtio-mmio transport (`compatible = "virtio,mmio"`): 0 written to
    /// its Status register (offset 0x070) resets the device behind it,
    /// which stops its DMA and forgets its queues; the interrupt's pending
    /// and active state is then cleared in the GIC.
    VirtioMmio,
}

impl ResetMethod {
    /// The method for a device with these compatible strings, if one is
    /// known.
    pub fn for_compatible(compatible: &[String]) -> Option<ResetMethod> {
        compatible
            .iter()
            .any(|c| c == "virtio,mmio")
            .then_some(ResetMethod::VirtioMmio)
    }
}

/// Host paths of a partition's images.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Images {
    /// Kernel or bare-metal image.
    pub kernel: String,
    /// Initial ramdisk.
    pub ramdisk: Option<String>,
    /// A device tree to use instead of the generated one.
    pub dtb: Option<String>,
}

/// How the image is entered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Boot {
    /// The arm64 Linux boot protocol.
    Linux,
    /// Jump to `memory[0]` + `entry_offset`.
    BareMetal {
        /// Offset of the entry point in `memory[0]`.
        entry_offset: u64,
    },
}

impl Boot {
    pub(crate) fn protocol(self) -> BootProtocol {
        match self {
            Boot::Linux => BootProtocol::Linux,
            Boot::BareMetal { .. } => BootProtocol::BareMetal,
        }
    }
}

/// A partition's console.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Console {
    /// None at all.
    None,
    /// A virtual UART the hypervisor emulates.
    Emulated,
    /// A physical UART: index into [`PartitionConfig::devices`].
    Passthrough {
        /// The device.
        device: usize,
    },
}

/// What a fault does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FaultPolicy {
    /// Park the partition's cores.
    Stop,
    /// Inject an abort into the guest.
    InjectAbort,
    /// Restart within limits.
    Restart(RestartPolicy),
}

impl FaultPolicy {
    pub(crate) fn action(self) -> FaultAction {
        match self {
            FaultPolicy::Stop => FaultAction::Stop,
            FaultPolicy::InjectAbort => FaultAction::InjectAbort,
            FaultPolicy::Restart(_) => FaultAction::Restart,
        }
    }
}

/// Checked restart limits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RestartPolicy {
    /// Most restarts within the window (at least 1).
    pub max: u32,
    /// The window.
    pub window_ms: u32,
    /// Faults sooner than this after a start stop the partition.
    pub min_uptime_ms: u32,
}

/// RAM the hypervisor keeps a partition's snapshots in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SnapshotStore {
    /// Number of slots.
    pub slots: u32,
    /// Size of one slot: all the partition's memory.
    pub slot_size: u64,
    /// The whole area, `slots * slot_size` bytes.
    pub area: MemRange,
}
