//! How each [`ErrorKind`] reads: the part of the message after the
//! location.

use super::ErrorKind;
use alloc::string::String;
use bulkhead_core::addr::MemRange;
use core::fmt;

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
            E::Wraps { what, base, size } => write!(
                f,
                "{what} {base:#x} + size {size:#x} runs past the top of the address space"
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
            E::ResetNotOwned { path } => write!(
                f,
                "{path:?} is not in this partition's devices; only a device it owns can be reset on restore"
            ),
            E::ResetListedTwice { path, first } => {
                write!(f, "{path:?} is already listed as reset_on_restore[{first}]")
            }
            E::NoResetMethod { path, compatible } => {
                write!(f, "no reset method known for {path:?} (compatible ")?;
                if compatible.is_empty() {
                    f.write_str("none")?;
                } else {
                    for (i, c) in compatible.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{c:?}")?;
                    }
                }
                f.write_str("); only virtio,mmio devices can be reset on restore")
            }
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
