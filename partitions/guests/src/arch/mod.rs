//! Everything that touches the hardware: the entry code and exception
//! vectors (assembly), system registers, the MMU, PSCI calls and the PL011.
//! Only built for aarch64-unknown-none; every `unsafe` of the guest is in
//! here.

pub mod cpu;
pub mod entry;
pub mod mmu;
pub mod psci;
pub mod uart;
pub mod vectors;

/// Stack slots (one per running CPU).
pub const MAX_CPUS: usize = crate::dt::MAX_CPUS;
pub const STACK_SIZE: usize = 16 * 1024;

#[repr(C, align(16))]
pub struct Stacks([[u8; STACK_SIZE]; MAX_CPUS]);

/// The CPUs' stacks. Only the entry code refers to it (through `sym`): it
/// gives slot `n` to the `n`th CPU that starts. linker/guest.ld puts `.stacks`
/// after BSS, outside the raw image and not zeroed.
#[link_section = ".stacks"]
#[no_mangle]
pub static mut GUEST_STACKS: Stacks = Stacks([[0; STACK_SIZE]; MAX_CPUS]);
