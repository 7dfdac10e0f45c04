//! Entering a partition and the EL2 controls that confine it.
//!
//! Every trap bit Bulkhead sets is listed in [`HCR_EL2_GUEST`] with the
//! reason; everything not listed is left to the guest.

use super::vectors::TrapFrame;
use core::arch::asm;

/// HCR_EL2 while a partition runs:
/// - VM (0): stage-2 translation on; the partition sees only its own map.
/// - SWIO (1): data cache invalidate by set/way becomes clean+invalidate, so
///   a guest cannot discard another partition's dirty lines.
/// - FMO, IMO, AMO (3, 4, 5): physical FIQ, IRQ and SError go to EL2; the
///   guest receives only virtual interrupts Bulkhead injects.
/// - FB (9): TLB and instruction-cache maintenance by the guest is broadcast
///   inner-shareable, as on the bare machine.
/// - BSU = inner shareable (10): barriers are upgraded likewise.
/// - TWI, TWE (13, 14): WFI and WFE trap, so an idle vCPU is seen (its core
///   waits at EL2 until an interrupt for it arrives) and its idle time can
///   be counted.
/// - TSC (19): SMC traps, so firmware (EL3) is never reached from a guest;
///   PSCI through `smc` is emulated like through `hvc`.
/// - TIDCP (20): implementation-defined system registers trap.
/// - TACR (21): ACTLR_EL1 (implementation-defined core controls) traps.
/// - RW (31): EL1 is AArch64.
pub const HCR_EL2_GUEST: u64 = (1 << 0)
    | (1 << 1)
    | (1 << 3)
    | (1 << 4)
    | (1 << 5)
    | (1 << 9)
    | (1 << 10)
    | (1 << 13)
    | (1 << 14)
    | (1 << 19)
    | (1 << 20)
    | (1 << 21)
    | (1 << 31);

/// MDCR_EL2: debug and performance-monitor registers trap (TPMCR 5, TPM 6,
/// TDA 9, TDOSA 10, TDRA 11); Bulkhead answers them as reads-as-zero,
/// writes-ignored, so a guest can neither read nor program the counters and
/// breakpoints another partition's core shares nothing of.
pub const MDCR_EL2_GUEST: u64 = (1 << 5) | (1 << 6) | (1 << 9) | (1 << 10) | (1 << 11);

/// CNTHCTL_EL2: EL1PCTEN (0) lets the guest read the physical counter;
/// EL1PCEN (1) clear makes the physical timer registers trap. Partitions
/// use the virtual timer.
pub const CNTHCTL_EL2_GUEST: u64 = 1 << 0;

/// SCTLR_EL1 at partition start: MMU and caches off, RES1 bits set.
pub const SCTLR_EL1_RESET: u64 = 0x30D0_0800;

/// CPACR_EL1 at partition start: FP/SIMD not trapped (FPEN = 0b11); its
/// reset value is architecturally unknown, so give guests a sane one.
pub const CPACR_EL1_RESET: u64 = 3 << 20;

/// SPSR_EL2 for a partition's first instruction: EL1h, D, A, I, F masked.
pub const SPSR_EL1H_MASKED: u64 = 0x3C5;

/// Everything EL2 must set on a core before it runs a partition's vCPU.
#[derive(Clone, Copy, Debug)]
pub struct VcpuSetup {
    pub vttbr: u64,
    pub vtcr: u64,
    /// VMPIDR_EL2: what MPIDR_EL1 reads in the guest.
    pub vmpidr: u64,
}

/// Programs the core's EL2 controls for the partition and resets its EL1
/// state (MMU off, virtual counter offset 0).
pub fn prepare(setup: &VcpuSetup) {
    let midr: u64;
    // SAFETY: these writes configure the lower ELs only (stage-2 map, trap
    // controls, EL1 reset state); EL2's own state is untouched. The TLB
    // invalidation by VMID makes sure no stale stage-2 entries of an earlier
    // run with the same VMID survive.
    unsafe {
        asm!("mrs {}, midr_el1", out(reg) midr, options(nomem, nostack));
        asm!(
            "msr vtcr_el2, {vtcr}",
            "msr vttbr_el2, {vttbr}",
            "msr vmpidr_el2, {vmpidr}",
            "msr vpidr_el2, {midr}",
            "msr hcr_el2, {hcr}",
            "msr mdcr_el2, {mdcr}",
            "msr cnthctl_el2, {cnthctl}",
            "msr cntvoff_el2, xzr",
            "msr sctlr_el1, {sctlr}",
            "msr cpacr_el1, {cpacr}",
            "isb",
            "tlbi vmalls12e1",
            "dsb nsh",
            "ic iallu",
            "dsb nsh",
            "isb",
            vtcr = in(reg) setup.vtcr,
            vttbr = in(reg) setup.vttbr,
            vmpidr = in(reg) setup.vmpidr,
            midr = in(reg) midr,
            hcr = in(reg) HCR_EL2_GUEST,
            mdcr = in(reg) MDCR_EL2_GUEST,
            cnthctl = in(reg) CNTHCTL_EL2_GUEST,
            sctlr = in(reg) SCTLR_EL1_RESET,
            cpacr = in(reg) CPACR_EL1_RESET,
            options(nostack)
        );
    }
}

/// Programs the core for the partition (see [`prepare`]) unless `fresh` is
/// false (the caller prepared it and loaded saved EL1 state on top), and
/// erets into it with `frame`'s registers. Does not return: the next time
/// this core is at EL2 is through the vector table.
pub fn enter(setup: &VcpuSetup, frame: &TrapFrame, stack_top: usize, fresh: bool) -> ! {
    if fresh {
        prepare(setup);
    }
    // The frame is copied to a per-core slot outside the stack first: the
    // assembly below rebuilds the stack from its top, where `frame` itself
    // may live.
    let slot = super::cpu::index().min(super::MAX_CPUS - 1);
    let p = core::ptr::addr_of_mut!(ENTRY_FRAMES);
    // SAFETY: slot `slot` belongs to this core alone; `bulkhead_enter_frame`
    // copies it to the top of this core's own EL2 stack (abandoning every
    // Rust frame on it, none of which is used again) and erets, leaving
    // SP_EL2 at `stack_top`, where the next trap saves its frame.
    unsafe {
        let entry = &mut (*p)[slot];
        *entry = *frame;
        bulkhead_enter_frame(entry, stack_top)
    }
}

static mut ENTRY_FRAMES: [TrapFrame; super::MAX_CPUS] = [TrapFrame::ZERO; super::MAX_CPUS];

unsafe extern "C" {
    /// Copies `frame` to the top of the stack that ends at `stack_top`,
    /// restores it and erets. Defined in `vectors`.
    fn bulkhead_enter_frame(frame: *const TrapFrame, stack_top: usize) -> !;
}

/// Reads the registers that describe a trap from a lower EL.
pub fn fault_registers() -> (u64, u64, u64) {
    let (esr, far, hpfar): (u64, u64, u64);
    // SAFETY: reading syndrome registers has no side effects.
    unsafe {
        asm!("mrs {}, esr_el2", "mrs {}, far_el2", "mrs {}, hpfar_el2",
             out(reg) esr, out(reg) far, out(reg) hpfar, options(nomem, nostack));
    }
    (esr, far, hpfar)
}

/// The guest's exception vector base.
pub fn vbar_el1() -> u64 {
    let vbar: u64;
    // SAFETY: reading an EL1 register of the running vCPU has no effects.
    unsafe { asm!("mrs {}, vbar_el1", out(reg) vbar, options(nomem, nostack)) };
    vbar
}

/// Makes the guest take a synchronous external abort (data or instruction)
/// at its current instruction, as if its memory system had refused the
/// access: EL1 sees the fault in ESR_EL1/FAR_EL1 and runs its own vector.
pub fn inject_abort(frame: &mut TrapFrame, instruction: bool, far: u64) {
    let from_el0 = frame.spsr & 0xF == 0;
    // EC: data abort 0x24/0x25 or instruction abort 0x20/0x21 (lower/same EL).
    let ec: u64 = match (instruction, from_el0) {
        (false, true) => 0x24,
        (false, false) => 0x25,
        (true, true) => 0x20,
        (true, false) => 0x21,
    };
    // IL = 1, FSC = 0x10 (synchronous external abort, not on a walk).
    let esr = (ec << 26) | (1 << 25) | 0x10;
    let vbar: u64;
    // SAFETY: these EL1 registers belong to the running partition's vCPU;
    // we set them exactly as the hardware does when it takes an exception
    // to EL1.
    unsafe {
        asm!("mrs {}, vbar_el1", out(reg) vbar, options(nomem, nostack));
        asm!(
            "msr esr_el1, {esr}",
            "msr far_el1, {far}",
            "msr elr_el1, {elr}",
            "msr spsr_el1, {spsr}",
            esr = in(reg) esr,
            far = in(reg) far,
            elr = in(reg) frame.elr,
            spsr = in(reg) frame.spsr,
            options(nomem, nostack)
        );
    }
    // Vector offset: current EL with SP_ELx = 0x200, lower EL AArch64 = 0x400.
    let offset = if from_el0 { 0x400 } else { 0x200 };
    frame.elr = vbar.wrapping_add(offset);
    frame.spsr = SPSR_EL1H_MASKED;
}
