//! What can be wrong with a configuration: one variant per kind of
//! error, each with the facts its message needs.

use super::{PartRef, Place};
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;

/// What is wrong. Each variant prints as the part of the message after the
/// location.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    // ---- the system as a whole
    /// No `[[partition]]` at all.
    NoPartitions,
    /// More partitions than the hypervisor supports.
    TooManyPartitions {
        /// Partitions given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A second `manager = true`.
    SecondManager {
        /// The first manager.
        first: PartRef,
    },

    // ---- names and strings
    /// `name = ""`.
    EmptyName,
    /// A character outside `A-Z a-z 0-9 - _ .`.
    BadNameCharacter {
        /// The character.
        found: char,
    },
    /// The same name twice.
    DuplicateName {
        /// The earlier partition's index.
        first: usize,
    },
    /// A string longer than the limit.
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A NUL character (device tree strings end at NUL).
    ContainsNul,
    /// `kernel = ""`.
    EmptyPath,
    /// More items than the limit.
    TooMany {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },

    // ---- cores
    /// Neither `cpus` nor `mpidrs`, or an empty list.
    NoCpus,
    /// Both `cpus` and `mpidrs`.
    CpusAndMpidrs,
    /// A core the board does not have.
    UnknownCpu {
        /// What was asked for (`"cpu@7"` or `MPIDR 0x7`).
        asked: String,
        /// What the board has.
        board: Vec<String>,
    },
    /// A core given twice (in this partition or another).
    CpuTaken {
        /// The core.
        cpu: String,
        /// Where it was given first.
        first: Place,
    },
    /// A core beyond what the hypervisor image supports.
    CpuUnsupported {
        /// The core.
        cpu: String,
        /// Its position among the board's cores.
        index: usize,
        /// How many cores the hypervisor supports.
        max: usize,
    },

    // ---- memory
    /// A partition with no memory region.
    NoMemory,
    /// `size = 0`.
    ZeroSize,
    /// A base or size that is not a multiple of the granule.
    Unaligned {
        /// `base`, `size` or `guest_base`.
        what: &'static str,
        /// The value.
        value: u64,
    },
    /// Base + size past the top of the address space.
    Wraps {
        /// `base` or `guest_base`.
        what: &'static str,
        /// The base.
        base: u64,
        /// The size.
        size: u64,
    },
    /// A region not wholly inside one RAM bank.
    OutsideRam {
        /// The region.
        range: MemRange,
        /// The board's RAM banks.
        banks: Vec<MemRange>,
    },
    /// Overlaps memory or a device page of another partition (or another
    /// region of the same one).
    OverlapsPartition {
        /// This region.
        range: MemRange,
        /// The other one.
        other: Place,
        /// Its range.
        other_range: MemRange,
    },
    /// Overlaps a range nothing may use (the hypervisor image, the bundle,
    /// the device tree, a firmware carve-out).
    OverlapsKeepOut {
        /// This region.
        range: MemRange,
        /// What it overlaps.
        name: String,
        /// That range.
        keep_out: MemRange,
    },
    /// Overlaps the device tree's reserved memory.
    OverlapsReserved {
        /// This region.
        range: MemRange,
        /// The reservation's name.
        name: String,
        /// Its range.
        reserved: MemRange,
    },
    /// No free RAM block large enough for a region without a base.
    OutOfMemory {
        /// The size needed.
        size: u64,
        /// The largest free block left.
        largest_free: u64,
    },
    /// `guest_base` with an identity-mapped region.
    GuestBaseWithIdentity,
    /// `identity = false` without `guest_base`.
    GuestBaseMissing,
    /// Two regions of the partition overlap in guest-physical space.
    GuestOverlap {
        /// This region's guest-physical range.
        range: MemRange,
        /// The other region's field.
        other_field: String,
        /// Its guest-physical range.
        other_range: MemRange,
    },
    /// A region's guest-physical range covers a device the guest sees at
    /// its physical address, or the interrupt controller.
    GuestOverlapsDevice {
        /// This region's guest-physical range.
        range: MemRange,
        /// The device (path, or "the interrupt controller").
        device: String,
        /// The device's page-rounded range.
        device_range: MemRange,
    },
    /// A guest-physical address beyond the stage-2 input size.
    GuestAddressTooHigh {
        /// End of the region in guest-physical space.
        end: u64,
        /// The stage-2 input size in bits.
        bits: u8,
    },
    /// A non-identity region in a partition that owns a DMA device.
    NeedsIdentity {
        /// The DMA-capable device.
        device: String,
    },
    /// A Linux partition whose `memory[0]` is not 2 MiB aligned.
    LinuxBaseUnaligned {
        /// Its guest-physical base.
        base: u64,
    },
    /// Snapshot storage could not be placed.
    SnapshotOutOfMemory {
        /// Bytes the slots need.
        size: u64,
        /// The largest free block left.
        largest_free: u64,
    },

    // ---- devices and consoles
    /// A device path the board does not have.
    UnknownDevice {
        /// The path.
        path: String,
    },
    /// A device whose node says `status = "disabled"`.
    DeviceDisabled {
        /// The path.
        path: String,
    },
    /// A device the hypervisor keeps for itself.
    DeviceReserved {
        /// The path.
        path: String,
        /// Why.
        why: &'static str,
    },
    /// A device given twice.
    DeviceTaken {
        /// The path.
        path: String,
        /// Where it was given first.
        first: Place,
    },
    /// Two partitions' devices share a 4 KiB page (stage 2 maps whole
    /// pages).
    DevicePageShared {
        /// The path.
        path: String,
        /// The shared page.
        page: MemRange,
        /// The other device's place.
        other: Place,
        /// The other device's path.
        other_path: String,
    },
    /// A device with a per-core interrupt (SGI or PPI).
    PerCoreInterrupt {
        /// The path.
        path: String,
        /// The interrupt.
        intid: u32,
    },
    /// A device's interrupt is also another partition's device's, or the
    /// hypervisor console's.
    InterruptShared {
        /// The path.
        path: String,
        /// The interrupt.
        intid: u32,
        /// Who else has it (`partition "x" devices[0] "/path"` or the
        /// hypervisor console).
        other: String,
    },
    /// A console value that is not `"emulated"` (partitions only),
    /// `"none"` or a path.
    BadConsole {
        /// The value.
        value: String,
        /// Whether `"emulated"` would have been accepted here.
        emulated_allowed: bool,
    },
    /// A console path that is not a UART.
    NotAUart {
        /// The path.
        path: String,
    },
    /// A partition console UART the partition does not list in `devices`.
    ConsoleNotOwned {
        /// The path.
        path: String,
    },
    /// A `reset_on_restore` path the partition does not list in `devices`.
    ResetNotOwned {
        /// The path.
        path: String,
    },
    /// A `reset_on_restore` path given twice.
    ResetListedTwice {
        /// The path.
        path: String,
        /// Its first position in the list.
        first: usize,
    },
    /// A `reset_on_restore` device the hypervisor has no reset method for.
    NoResetMethod {
        /// The path.
        path: String,
        /// Its compatible strings.
        compatible: Vec<String>,
    },

    // ---- boot and policy
    /// `entry_offset` on a Linux partition.
    EntryOffsetOnLinux,
    /// An `entry_offset` that is unaligned or outside `memory[0]`.
    BadEntryOffset {
        /// The offset.
        offset: u64,
        /// Why.
        why: &'static str,
    },
    /// `restart = {...}` without `on_fault = "restart"`.
    RestartWithoutRestart,
    /// Restart numbers out of range.
    BadRestart {
        /// Why.
        why: String,
    },
    /// `watchdog_ms` out of range.
    BadWatchdog {
        /// The value.
        value: u64,
    },
    /// `snapshot_slots` over the limit.
    TooManySnapshotSlots {
        /// The value.
        count: u32,
        /// The limit.
        max: u32,
    },
}
