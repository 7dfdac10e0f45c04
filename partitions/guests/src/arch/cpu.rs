//! System register reads and the few instructions the guest needs by name.

use core::arch::asm;

macro_rules! read_sysreg {
    ($name:ident, $reg:literal) => {
        pub fn $name() -> u64 {
            let v: u64;
            // SAFETY: reading this EL1/EL0-accessible system register has no
            // side effect.
            unsafe { asm!(concat!("mrs {}, ", $reg), out(reg) v, options(nomem, nostack, preserves_flags)) };
            v
        }
    };
}

read_sysreg!(mpidr, "mpidr_el1");
read_sysreg!(current_el_raw, "CurrentEL");
read_sysreg!(counter_frequency, "cntfrq_el0");
read_sysreg!(esr, "esr_el1");
read_sysreg!(far, "far_el1");
read_sysreg!(sctlr, "sctlr_el1");

/// Exception level this code runs at.
pub fn current_el() -> u64 {
    (current_el_raw() >> 2) & 3
}

/// The virtual counter (CNTVCT_EL0), read after an ISB so that it is not
/// taken early.
pub fn counter() -> u64 {
    let v: u64;
    // SAFETY: ISB and a read of the EL0-accessible virtual counter.
    unsafe {
        asm!("isb", "mrs {}, cntvct_el0", out(reg) v, options(nomem, nostack, preserves_flags))
    };
    v
}

/// This CPU's index in the device tree's cpu list (TPIDR_EL1, set by the
/// entry code and `set_index`).
pub fn index() -> usize {
    let v: u64;
    // SAFETY: TPIDR_EL1 is a scratch register only the guest writes.
    unsafe { asm!("mrs {}, tpidr_el1", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v as usize
}

pub fn set_index(i: usize) {
    // SAFETY: TPIDR_EL1 is a scratch register only the guest uses.
    unsafe {
        asm!("msr tpidr_el1, {}", in(reg) i as u64, options(nomem, nostack, preserves_flags))
    };
}

/// Lets SErrors (PSTATE.A) through, so that one the hypervisor injects is
/// reported by the vectors. IRQ and FIQ stay masked: the guest polls.
pub fn unmask_serror() {
    // SAFETY: the vectors are installed and handle SError.
    unsafe { asm!("msr daifclr, #4", options(nomem, nostack, preserves_flags)) };
}

pub fn mask_all() {
    // SAFETY: masking exceptions is always allowed.
    unsafe {
        asm!(
            "msr daifset, #0xf",
            options(nomem, nostack, preserves_flags)
        )
    };
}

/// Waits for interrupts that never come (all masked): a stopped CPU that a
/// hypervisor can see idling.
pub fn park() -> ! {
    mask_all();
    loop {
        // SAFETY: WFI only waits.
        unsafe { asm!("wfi", options(nomem, nostack, preserves_flags)) };
    }
}

/// Spins with every exception masked and never waits (mode=hang).
pub fn hang() -> ! {
    mask_all();
    loop {
        core::hint::spin_loop();
    }
}

/// One 64-bit load from `addr`, as a single instruction: if it aborts, the
/// vector skips exactly this instruction and the result is whatever the
/// register held.
pub fn probe_read(addr: u64) -> u64 {
    let mut v: u64 = 0;
    // SAFETY: a deliberate access outside the guest's memory (fault_addr).
    // It either reads some device/RAM word, which the guest does not use
    // other than to print it, or aborts; the data abort vector then skips
    // the instruction and returns here with `v` unchanged (x-register
    // preserved by the vector). `addr` must be 8-byte aligned, or it aborts.
    unsafe {
        asm!("ldr {v}, [{a}]", a = in(reg) addr, v = inout(reg) v, options(nostack, readonly))
    };
    v
}

/// One 64-bit store of `value` to `addr` (see `probe_read`).
pub fn probe_write(addr: u64, value: u64) {
    // SAFETY: a deliberate store outside the guest's memory (fault_addr), to
    // test that the hypervisor contains it; the guest's own memory is not
    // involved unless the user pointed fault_addr at it.
    unsafe { asm!("str {v}, [{a}]", a = in(reg) addr, v = in(reg) value, options(nostack)) };
}

/// Executes a permanently undefined instruction (mode=crash crash=udf).
pub fn undefined_instruction() -> ! {
    // SAFETY: UDF raises an undefined-instruction exception; the vector
    // reports it and parks the CPU, never returning here.
    unsafe { asm!("udf #0", options(noreturn, nomem, nostack)) }
}
