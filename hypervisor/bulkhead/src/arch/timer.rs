//! The EL2 physical timer (CNTHP), Bulkhead's own alarm clock.

use super::cpu;
use core::arch::asm;

/// Fires the EL2 timer of this core when the counter reaches the time
/// `at_us` (µs since reset), or at once if that has passed.
pub fn arm_hyp_timer_at_us(at_us: u64) {
    let hz = cpu::counter_hz();
    let ticks = (at_us / 1_000_000) * hz + (at_us % 1_000_000) * hz / 1_000_000;
    // SAFETY: CNTHP is the EL2 timer, used by nothing but this module; the
    // writes only schedule an interrupt to this core.
    unsafe {
        asm!(
            "msr cnthp_cval_el2, {cval}",
            "msr cnthp_ctl_el2, {on}",
            "isb",
            cval = in(reg) ticks,
            on = in(reg) 1u64,
            options(nomem, nostack, preserves_flags)
        )
    };
}

pub fn disarm_hyp_timer() {
    // SAFETY: as above: disables this core's EL2 timer.
    unsafe {
        asm!(
            "msr cnthp_ctl_el2, xzr",
            "isb",
            options(nomem, nostack, preserves_flags)
        )
    };
}
