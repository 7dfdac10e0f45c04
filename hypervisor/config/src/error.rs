//! Why a configuration was refused. Every error names where it is (the
//! partition and the field) and what it conflicts with, for example:
//!
//! ```text
//! partition "rtos": memory[1]: [0x48000000..0x48100000) overlaps partition "linux0" memory[0] [0x48000000..0x50000000)
//! ```
//!
//! Validation reports every error it finds ([`ConfigErrors`]), not just the
//! first.

use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;
use core::fmt;

/// A partition in messages: `partition "linux0"`, or `partition #2` when
/// it has no usable name.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PartRef {
    /// Position in the file.
    pub index: usize,
    /// The name as written (possibly empty).
    pub name: String,
}

impl fmt::Display for PartRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "partition #{}", self.index)
        } else {
            write!(f, "partition {:?}", self.name)
        }
    }
}

/// A field of a partition: `partition "linux0" memory[0]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Place {
    /// The partition.
    pub part: PartRef,
    /// The field, such as `memory[0]` or `devices[2]`.
    pub field: String,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.part, self.field)
    }
}

/// Where an error is.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Location {
    /// The configuration as a whole.
    System,
    /// A key of `[hypervisor]`.
    Hypervisor(&'static str),
    /// A field of a partition.
    Partition(Place),
}

/// One thing wrong with a configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ConfigError {
    /// Where.
    pub at: Location,
    /// What.
    pub kind: ErrorKind,
}

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

fn list(f: &mut fmt::Formatter<'_>, items: &[String]) -> fmt::Result {
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(s)?;
    }
    Ok(())
}

fn ranges(f: &mut fmt::Formatter<'_>, items: &[MemRange]) -> fmt::Result {
    for (i, r) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{r}")?;
    }
    Ok(())
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind as E;
        match self {
            E::NoPartitions => f.write_str("no [[partition]]: there is nothing to boot"),
            E::TooManyPartitions { count, max } => {
                write!(f, "{count} partitions, this hypervisor supports at most {max}")
            }
            E::SecondManager { first } => {
                write!(f, "{first} is already the manager; there can be only one")
            }
            E::EmptyName => f.write_str("empty; every partition needs a name"),
            E::BadNameCharacter { found } => write!(
                f,
                "{found:?} is not allowed (use A-Z a-z 0-9 - _ .)"
            ),
            E::DuplicateName { first } => {
                write!(f, "the same name as partition #{first}")
            }
            E::TooLong { len, max } => write!(f, "{len} bytes long, at most {max}"),
            E::ContainsNul => f.write_str("contains a NUL character"),
            E::EmptyPath => f.write_str("empty; give the path of the image"),
            E::TooMany { count, max } => write!(f, "{count} given, at most {max}"),
            E::NoCpus => f.write_str("no cpus: give cpus = [\"cpu@0\", ...] or mpidrs = [0x0, ...]"),
            E::CpusAndMpidrs => f.write_str("give cpus or mpidrs, not both"),
            E::UnknownCpu { asked, board } => {
                write!(f, "the board has no {asked} (it has ")?;
                list(f, board)?;
                f.write_str(")")
            }
            E::CpuTaken { cpu, first } => write!(f, "{cpu} is already given to {first}"),
            E::CpuUnsupported { cpu, index, max } => write!(
                f,
                "{cpu} is core {index} of the board, but this hypervisor supports cores 0 to {}",
                max.saturating_sub(1)
            ),
            E::NoMemory => f.write_str("no memory regions: give at least one"),
            E::ZeroSize => f.write_str("size is zero"),
            E::Unaligned { what, value } => write!(
                f,
                "{what} {value:#x} is not a multiple of 4 KiB (the smallest page stage 2 maps)"
            ),
            E::Wraps { base, size } => write!(
                f,
                "base {base:#x} + size {size:#x} runs past the top of the address space"
            ),
            E::OutsideRam { range, banks } => {
                write!(f, "{range} is not inside RAM (the board has ")?;
                ranges(f, banks)?;
                f.write_str(")")
            }
            E::OverlapsPartition {
                range,
                other,
                other_range,
            } => write!(f, "{range} overlaps {other} {other_range}"),
            E::OverlapsKeepOut {
                range,
                name,
                keep_out,
            } => write!(f, "{range} overlaps the {name} {keep_out}"),
            E::OverlapsReserved {
                range,
                name,
                reserved,
            } => write!(
                f,
                "{range} overlaps reserved memory {name:?} {reserved} (from the device tree)"
            ),
            E::OutOfMemory { size, largest_free } => write!(
                f,
                "no free RAM for {size:#x} bytes (the largest free block left is {largest_free:#x} bytes)"
            ),
            E::GuestBaseWithIdentity => {
                f.write_str("guest_base applies only with identity = false")
            }
            E::GuestBaseMissing => f.write_str("identity = false needs a guest_base"),
            E::GuestOverlap {
                range,
                other_field,
                other_range,
            } => write!(
                f,
                "guest-physical {range} overlaps {other_field} at guest-physical {other_range}"
            ),
            E::GuestOverlapsDevice {
                range,
                device,
                device_range,
            } => write!(
                f,
                "guest-physical {range} covers {device} {device_range}, which the guest sees at that address"
            ),
            E::GuestAddressTooHigh { end, bits } => write!(
                f,
                "guest-physical end {end:#x} is beyond the {bits}-bit stage-2 input range"
            ),
            E::NeedsIdentity { device } => write!(
                f,
                "identity = false, but this partition owns {device:?}, which does DMA to machine-physical addresses (no IOMMU): its memory must be identity-mapped"
            ),
            E::LinuxBaseUnaligned { base } => write!(
                f,
                "starts at guest-physical {base:#x}; Linux needs its image on a 2 MiB boundary"
            ),
            E::SnapshotOutOfMemory { size, largest_free } => write!(
                f,
                "no free RAM for the snapshot slots' {size:#x} bytes (the largest free block left is {largest_free:#x} bytes)"
            ),
            E::UnknownDevice { path } => write!(f, "the board has no device {path:?}"),
            E::DeviceDisabled { path } => {
                write!(f, "{path:?} is disabled in the device tree (status = \"disabled\")")
            }
            E::DeviceReserved { path, why } => {
                write!(f, "{path:?} is {why}; no partition can own it")
            }
            E::DeviceTaken { path, first } => write!(f, "{path:?} is already given to {first}"),
            E::DevicePageShared {
                path,
                page,
                other,
                other_path,
            } => write!(
                f,
                "{path:?} shares page {page} with {other} {other_path:?} (stage 2 maps whole 4 KiB pages)"
            ),
            E::PerCoreInterrupt { path, intid } => write!(
                f,
                "{path:?} uses per-core interrupt {intid}; only devices with shared peripheral interrupts can be passed through"
            ),
            E::InterruptShared { path, intid, other } => write!(
                f,
                "{path:?} uses interrupt {intid}, which {other} also uses"
            ),
            E::BadConsole {
                value,
                emulated_allowed: true,
            } => write!(
                f,
                "{value:?} is not \"emulated\", \"none\" or a device path"
            ),
            E::BadConsole {
                value,
                emulated_allowed: false,
            } => write!(f, "{value:?} is neither \"none\" nor a device path"),
            E::NotAUart { path } => write!(f, "{path:?} is not a UART"),
            E::ConsoleNotOwned { path } => write!(
                f,
                "{path:?} is not in this partition's devices; list it there to pass the UART through"
            ),
            E::EntryOffsetOnLinux => {
                f.write_str("entry_offset applies only to boot_protocol = \"bare-metal\"")
            }
            E::BadEntryOffset { offset, why } => write!(f, "{offset:#x}: {why}"),
            E::RestartWithoutRestart => {
                f.write_str("a restart policy needs on_fault = \"restart\"")
            }
            E::BadRestart { why } => f.write_str(why),
            E::BadWatchdog { value } => write!(
                f,
                "{value} ms is out of range (1 to {}; leave watchdog_ms out for no watchdog)",
                crate::limits::MAX_WATCHDOG_MS
            ),
            E::TooManySnapshotSlots { count, max } => {
                write!(f, "{count} slots, at most {max}")
            }
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Location::System => write!(f, "{}", self.kind),
            Location::Hypervisor(field) => write!(f, "[hypervisor] {field}: {}", self.kind),
            Location::Partition(place) if place.field.is_empty() => {
                write!(f, "{}: {}", place.part, self.kind)
            }
            Location::Partition(place) => {
                write!(f, "{}: {}: {}", place.part, place.field, self.kind)
            }
        }
    }
}

impl core::error::Error for ConfigError {}

/// Every error found in a configuration, in the order found. Never empty.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ConfigErrors(pub(crate) Vec<ConfigError>);

impl ConfigErrors {
    /// The errors.
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `ConfigErrors` holds at least one error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any error is of the kind `pred` accepts.
    pub fn any(&self, pred: impl Fn(&ErrorKind) -> bool) -> bool {
        self.0.iter().any(|e| pred(&e.kind))
    }
}

impl fmt::Display for ConfigErrors {
    /// One error per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl core::error::Error for ConfigErrors {}
