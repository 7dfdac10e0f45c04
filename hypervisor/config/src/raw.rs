//! The configuration as a person writes it: one TOML file per system.
//!
//! These types hold what the file says and nothing more; nothing here has
//! been checked against the board or against the rest of the file. Only
//! [`crate::validate`] turns them into a [`crate::SystemConfig`]. They are
//! also what [`crate::decode`] gives back from the boot bundle, so the
//! hypervisor validates the configuration again against the device tree it
//! really booted with.
//!
//! With the `host` feature (and in tests) they derive serde's `Deserialize`
//! with unknown fields refused. `docs/configuration.md` is the reference.

use crate::size::ByteSize;
use alloc::string::String;
use alloc::vec::Vec;

#[cfg(any(test, feature = "host"))]
use serde::Deserialize;

/// A whole system: the hypervisor's own settings and the partitions.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(any(test, feature = "host"), derive(Deserialize))]
#[cfg_attr(any(test, feature = "host"), serde(deny_unknown_fields))]
pub struct RawSystem {
    /// `[hypervisor]`: settings of the hypervisor itself. Optional.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub hypervisor: RawHypervisor,
    /// `[[partition]]`: one table per partition, in boot order. Their
    /// positions (0, 1, ...) are the partition indices of the boot bundle.
    #[cfg_attr(any(test, feature = "host"), serde(default, rename = "partition"))]
    pub partitions: Vec<RawPartition>,
}

/// `[hypervisor]`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(any(test, feature = "host"), derive(Deserialize))]
#[cfg_attr(any(test, feature = "host"), serde(deny_unknown_fields))]
pub struct RawHypervisor {
    /// The UART the hypervisor writes its own log to: a device path such as
    /// `"/pl011@9000000"`, or `"none"`. Default: the board's
    /// `/chosen/stdout-path` UART, else its first PL011. No partition may
    /// own this UART.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub console: Option<String>,
}

/// `[[partition]]`: one partition.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(any(test, feature = "host"), derive(Deserialize))]
#[cfg_attr(any(test, feature = "host"), serde(deny_unknown_fields))]
pub struct RawPartition {
    /// Unique name, 1 to 32 characters from `A-Z a-z 0-9 - _ .`. Required.
    pub name: String,
    /// Physical cores by device tree node name (`["cpu@0", "cpu@1"]`).
    /// The partition's vCPU n runs on the n-th core listed, and only there.
    /// Give either `cpus` or `mpidrs`, not both.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub cpus: Option<Vec<String>>,
    /// Physical cores by MPIDR affinity (`[0x0, 0x1]`, the cpu node's
    /// `reg`). Give either `cpus` or `mpidrs`, not both.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub mpidrs: Option<Vec<u64>>,
    /// RAM regions, at least one. The kernel or image is loaded into
    /// `memory[0]`.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub memory: Vec<RawMemory>,
    /// Devices passed through, by full device tree path
    /// (`"/virtio_mmio@a003e00"`). Each is mapped at its physical address
    /// and its interrupts are routed to this partition only. Default: none.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub devices: Vec<String>,
    /// Path (on the build host) of the kernel, or of the bare-metal image.
    /// Required.
    pub kernel: String,
    /// Path of an initial ramdisk. Optional.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub ramdisk: Option<String>,
    /// Path of a device tree blob to hand the partition instead of the one
    /// the hypervisor generates. Optional.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub dtb: Option<String>,
    /// Kernel command line (the guest tree's `/chosen/bootargs`). Optional.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub bootargs: Option<String>,
    /// How the image is entered. Default `"linux"`.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub boot_protocol: BootProtocol,
    /// Bare-metal only: entry point as an offset from the start of
    /// `memory[0]`, 4-byte aligned. Default 0.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub entry_offset: Option<u64>,
    /// The partition's console: `"emulated"` (a virtual UART whose output
    /// the hypervisor forwards), `"none"`, or the device path of a physical
    /// UART that this partition also lists in `devices`. Default
    /// `"emulated"`.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub console: Option<String>,
    /// What a stage-2 fault outside the partition's map (or a watchdog
    /// expiry) does. Default `"stop"`.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub on_fault: FaultAction,
    /// Limits on restarts; only with `on_fault = "restart"`. Default
    /// `{ max = 3, window_ms = 10000, min_uptime_ms = 1000 }`.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub restart: Option<RawRestart>,
    /// Watchdog period in milliseconds, 1 to 3 600 000: a partition that
    /// does not kick the watchdog within it is treated as faulted. Default:
    /// no watchdog.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub watchdog_ms: Option<u64>,
    /// Whether this partition may manage the others (stop, restart,
    /// snapshot). At most one manager. Default false.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub manager: bool,
    /// How many snapshots of this partition the hypervisor keeps, 0 to 4.
    /// Each slot sets aside RAM as large as all the partition's memory.
    /// Default 0.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub snapshot_slots: u32,
    /// Devices of this partition's `devices` (by the same paths) that the
    /// hypervisor resets when it restores the partition from a snapshot,
    /// before its vCPUs run again. A snapshot of a partition that owns a
    /// device is refused unless every one of its devices is listed here.
    /// Only devices the hypervisor knows how to reset may be listed
    /// (virtio-mmio: a write of 0 to its Status register). Default: none.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub reset_on_restore: Vec<String>,
}

/// One `memory = [{ ... }]` region.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[cfg_attr(any(test, feature = "host"), derive(Deserialize))]
#[cfg_attr(any(test, feature = "host"), serde(deny_unknown_fields))]
pub struct RawMemory {
    /// Size: a multiple of 4 KiB, not zero. `"256M"` or `0x10000000`.
    pub size: ByteSize,
    /// Machine-physical base, 4 KiB aligned. Default: chosen by validation,
    /// first fit in free RAM, on a 2 MiB boundary when one is free.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub base: Option<u64>,
    /// Whether the guest sees the region at its machine-physical address.
    /// Default true. A partition that owns a DMA-capable device
    /// (virtio-mmio) needs all its memory identity-mapped: there is no
    /// IOMMU.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub identity: Option<bool>,
    /// Guest-physical base, 4 KiB aligned; required with `identity =
    /// false`, refused otherwise.
    #[cfg_attr(any(test, feature = "host"), serde(default))]
    pub guest_base: Option<u64>,
}

/// `boot_protocol`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[cfg_attr(any(test, feature = "host"), derive(Deserialize))]
#[cfg_attr(any(test, feature = "host"), serde(rename_all = "kebab-case"))]
pub enum BootProtocol {
    /// `"linux"`: the arm64 Image protocol. The image goes at the start of
    /// `memory[0]` (which must be 2 MiB aligned), x0 holds the device tree
    /// address, MMU off.
    #[default]
    Linux,
    /// `"bare-metal"`: the image goes at the start of `memory[0]` and is
    /// entered at `entry_offset`, with x0 holding the device tree address.
    BareMetal,
}

/// `on_fault`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[cfg_attr(any(test, feature = "host"), derive(Deserialize))]
#[cfg_attr(any(test, feature = "host"), serde(rename_all = "kebab-case"))]
pub enum FaultAction {
    /// `"stop"`: the partition's cores are parked; the others run on.
    #[default]
    Stop,
    /// `"restart"`: the partition is reloaded from the bundle and started
    /// again, within the `restart` limits; past them it stops.
    Restart,
    /// `"inject-abort"`: the faulting access becomes a synchronous external
    /// abort in the guest, which handles it (a watchdog expiry stops it).
    InjectAbort,
}

/// `restart = { ... }`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(any(test, feature = "host"), derive(Deserialize))]
#[cfg_attr(any(test, feature = "host"), serde(default, deny_unknown_fields))]
pub struct RawRestart {
    /// Most restarts within `window_ms`, 1 to 1000; one more fault stops
    /// the partition. Default 3.
    pub max: u32,
    /// The window, in milliseconds, 1 to 86 400 000. Default 10 000.
    pub window_ms: u64,
    /// A partition that faults less than this long after it started is
    /// stopped instead of restarted (a crash loop). Below `window_ms`.
    /// Default 1000.
    pub min_uptime_ms: u64,
}

impl Default for RawRestart {
    fn default() -> Self {
        Self {
            max: 3,
            window_ms: 10_000,
            min_uptime_ms: 1000,
        }
    }
}
