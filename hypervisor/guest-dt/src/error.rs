//! Why a partition's device tree could not be written. Every variant reads
//! as a message when displayed; the ones about the partition start with
//! "partition device tree:", the ones about the board's blob with "the
//! board's device tree:".

use alloc::string::String;
use bulkhead_core::dt::DtError;
use core::fmt;

#[derive(Debug, PartialEq, Eq)]
pub enum GuestDtError {
    /// The board's blob was refused by `bulkhead_core::dt::parse`.
    Board(DtError),
    /// The board's structure block could not be walked for raw properties.
    BoardStructure {
        offset: usize,
        problem: &'static str,
    },
    NoVcpus,
    TooManyVcpus {
        vcpus: usize,
        max: usize,
        gic: u8,
    },
    NoMemory,
    EmptyRange {
        what: String,
    },
    WrappingRange {
        what: String,
        base: u64,
        size: u64,
    },
    /// A range the hypervisor maps or emulates is not 4 KiB aligned.
    Misaligned {
        what: String,
        base: u64,
        size: u64,
    },
    Overlap {
        first: String,
        second: String,
    },
    Redistributors {
        size: u64,
        needed: u64,
        vcpus: usize,
    },
    /// An interrupt number that cannot be used where it is.
    Intid {
        what: String,
        intid: u32,
        expected: &'static str,
    },
    InterruptClash {
        intid: u32,
        first: String,
        second: String,
    },
    InitrdOutsideMemory {
        base: u64,
        size: u64,
    },
    /// A string that must go into the tree contains a NUL byte.
    Nul {
        field: &'static str,
    },
    /// A passthrough path the board's tree does not have.
    NoSuchNode {
        path: String,
    },
    /// A passthrough path naming a node with no memory-mapped registers.
    NotADevice {
        path: String,
    },
    DuplicatePassthrough {
        path: String,
    },
    /// Two nodes of the partition's tree would have the same name.
    NameClash {
        name: String,
        first: String,
        second: String,
    },
    /// A passthrough device this generator cannot describe correctly.
    Unsupported {
        path: String,
        problem: &'static str,
    },
    /// The writer refused something (a bug here, or a name it rejects).
    Write(vm_fdt::Error),
    /// Linux takes a device tree of at most 2 MiB.
    TooLarge {
        size: usize,
    },
}

impl From<DtError> for GuestDtError {
    fn from(e: DtError) -> Self {
        GuestDtError::Board(e)
    }
}

impl From<vm_fdt::Error> for GuestDtError {
    fn from(e: vm_fdt::Error) -> Self {
        GuestDtError::Write(e)
    }
}

impl fmt::Display for GuestDtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use GuestDtError as E;
        match self {
            E::Board(e) => return write!(f, "the board's {e}"),
            E::BoardStructure { offset, problem } => {
                return write!(
                    f,
                    "the board's device tree: structure block offset {offset:#x}: {problem}"
                )
            }
            _ => f.write_str("partition device tree: ")?,
        }
        match self {
            E::Board(_) | E::BoardStructure { .. } => Ok(()),
            E::NoVcpus => f.write_str("a partition needs at least one vCPU"),
            E::TooManyVcpus { vcpus, max, gic } => write!(
                f,
                "{vcpus} vCPUs asked for, a GICv{gic} partition can have at most {max}"
            ),
            E::NoMemory => f.write_str("no memory region"),
            E::EmptyRange { what } => write!(f, "{what} has size 0"),
            E::WrappingRange { what, base, size } => write!(
                f,
                "{what} at {base:#x} with size {size:#x} runs past the end of the address space"
            ),
            E::Misaligned { what, base, size } => write!(
                f,
                "{what} at {base:#x} with size {size:#x} is not 4 KiB aligned"
            ),
            E::Overlap { first, second } => write!(f, "{first} overlaps {second}"),
            E::Redistributors {
                size,
                needed,
                vcpus,
            } => write!(
                f,
                "the GICv3 redistributor region is {size:#x} bytes, {vcpus} vCPUs need {needed:#x} \
                 (two 64 KiB frames each)"
            ),
            E::Intid {
                what,
                intid,
                expected,
            } => write!(f, "{what}: INTID {intid} is not {expected}"),
            E::InterruptClash {
                intid,
                first,
                second,
            } => write!(f, "INTID {intid} is used by both {first} and {second}"),
            E::InitrdOutsideMemory { base, size } => write!(
                f,
                "the initrd at {base:#x} with size {size:#x} does not lie inside one memory region"
            ),
            E::Nul { field } => write!(f, "{field} contains a NUL byte"),
            E::NoSuchNode { path } => write!(
                f,
                "passthrough device {path}: the board's device tree has no such node"
            ),
            E::NotADevice { path } => write!(
                f,
                "passthrough device {path}: the node has no registers at a CPU physical address"
            ),
            E::DuplicatePassthrough { path } => {
                write!(f, "passthrough device {path} is listed twice")
            }
            E::NameClash {
                name,
                first,
                second,
            } => write!(f, "{first} and {second} would both be named {name}"),
            E::Unsupported { path, problem } => {
                write!(f, "passthrough device {path}: {problem}")
            }
            E::Write(e) => write!(f, "writing the blob failed: {e}"),
            E::TooLarge { size } => write!(
                f,
                "the blob is {size} bytes, more than the 2 MiB Linux accepts"
            ),
        }
    }
}

impl core::error::Error for GuestDtError {}
