//! Everything that is aarch64 assembly or a system register lives under
//! here; the rest of the hypervisor calls these small, named functions.

mod block64;
pub mod cache;
pub mod cpu;
pub mod crc;
mod entry;
pub mod gicv3;
pub mod guest;
pub mod memops;
pub mod mmu;
mod probed;
pub mod psci;
pub mod sha256;
pub mod smp_boot;
pub mod timer;
pub mod vcpu_state;
pub mod vectors;

pub use entry::bulkhead_secondary_entry;
pub use vectors::TrapFrame;

use crate::platform::PLATFORM;

/// Bytes of EL2 stack per core.
pub const STACK_SIZE: usize = 64 * 1024;
/// Stack slots: one per core the board can have.
pub const MAX_CPUS: usize = PLATFORM.max_cpus;

#[repr(C, align(4096))]
pub struct Stacks(pub [[u8; STACK_SIZE]; MAX_CPUS]);

/// The EL2 stacks, slot `i` for logical core `i` (0 = the boot core). Only
/// the entry assembly touches this, through its symbol.
pub static mut STACKS: Stacks = Stacks([[0; STACK_SIZE]; MAX_CPUS]);

/// The top of logical core `index`'s EL2 stack.
pub fn stack_top(index: usize) -> usize {
    let base = core::ptr::addr_of!(STACKS) as usize;
    base + (index.min(MAX_CPUS - 1) + 1) * STACK_SIZE
}
