//! Small CPU facts and waits.

use aarch64_cpu::registers::{Readable, CNTFRQ_EL0, CNTPCT_EL0, MPIDR_EL1, TPIDR_EL2};
use core::arch::asm;

use super::entry::MPIDR_AFFINITY_MASK;

/// This core's MPIDR affinity fields (the value device trees use as `reg`).
pub fn mpidr() -> u64 {
    MPIDR_EL1.get() & MPIDR_AFFINITY_MASK
}

/// Counter frequency in Hz (CNTFRQ_EL0, set by firmware). Never 0.
pub fn counter_hz() -> u64 {
    CNTFRQ_EL0.get().max(1)
}

/// The physical counter.
pub fn counter() -> u64 {
    // SAFETY: an isb only orders the counter read after earlier instructions.
    unsafe { asm!("isb", options(nomem, nostack, preserves_flags)) };
    CNTPCT_EL0.get()
}

/// Microseconds since the counter started (reset, on QEMU and the Pi).
pub fn uptime_us() -> u64 {
    let hz = counter_hz();
    let c = counter();
    (c / hz) * 1_000_000 + (c % hz) * 1_000_000 / hz
}

/// Stops this core for good: exceptions masked, waiting for events forever.
pub fn park() -> ! {
    loop {
        // SAFETY: masking exceptions and waiting for an event have no
        // effect on memory.
        unsafe { asm!("msr daifset, #0xf", "wfe", options(nomem, nostack)) };
    }
}

/// Wakes cores waiting in `wfe`.
pub fn send_event() {
    // SAFETY: dsb then sev only order memory and signal an event.
    unsafe { asm!("dsb sy", "sev", options(nostack, preserves_flags)) };
}

/// This core's logical index (0 = boot core), kept in TPIDR_EL2 by the
/// entry code.
pub fn index() -> usize {
    TPIDR_EL2.get() as usize
}

/// Waits for an event (`sev` from another core) or an interrupt.
pub fn wait_for_event() {
    // SAFETY: wfe only pauses the core.
    unsafe { asm!("wfe", options(nomem, nostack, preserves_flags)) };
}

/// Waits for an interrupt to become pending (taken or not: EL2 keeps them
/// masked, so this only pauses the core).
pub fn wait_for_interrupt() {
    // SAFETY: wfi only pauses the core.
    unsafe { asm!("dsb sy", "wfi", options(nomem, nostack, preserves_flags)) };
}
