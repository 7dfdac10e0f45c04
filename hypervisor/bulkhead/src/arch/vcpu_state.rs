//! A vCPU's EL1 state in and out of the registers, for snapshots: the
//! EL1 system registers, the stack pointers and exception registers, the
//! FP/SIMD registers and the virtual timer. Runs on the vCPU's own core,
//! at EL2, while the vCPU is held there.

use bulkhead_core::snapshot::{El1SysRegs, FpState, TimerState, VcpuState};
use core::arch::asm;

macro_rules! rd {
    ($r:literal) => {{
        let v: u64;
        // SAFETY: reading an EL1/EL0 register of the held vCPU from EL2
        // has no side effects.
        unsafe { asm!(concat!("mrs {}, ", $r), out(reg) v, options(nomem, nostack, preserves_flags)) };
        v
    }};
}

macro_rules! wr {
    ($r:literal, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: the register belongs to the held vCPU about to be
        // resumed on this core; EL2's own state is not touched.
        unsafe { asm!(concat!("msr ", $r, ", {}"), in(reg) v, options(nomem, nostack, preserves_flags)) };
    }};
}

/// Reads this core's EL1 system registers into `s` (general registers,
/// pc and pstate come from the trap frame).
pub fn save(s: &mut VcpuState) {
    s.sys = El1SysRegs {
        sctlr_el1: rd!("sctlr_el1"),
        ttbr0_el1: rd!("ttbr0_el1"),
        ttbr1_el1: rd!("ttbr1_el1"),
        tcr_el1: rd!("tcr_el1"),
        mair_el1: rd!("mair_el1"),
        amair_el1: rd!("amair_el1"),
        vbar_el1: rd!("vbar_el1"),
        contextidr_el1: rd!("contextidr_el1"),
        tpidr_el0: rd!("tpidr_el0"),
        tpidrro_el0: rd!("tpidrro_el0"),
        tpidr_el1: rd!("tpidr_el1"),
        esr_el1: rd!("esr_el1"),
        far_el1: rd!("far_el1"),
        afsr0_el1: rd!("afsr0_el1"),
        afsr1_el1: rd!("afsr1_el1"),
        par_el1: rd!("par_el1"),
        cpacr_el1: rd!("cpacr_el1"),
        cntkctl_el1: rd!("cntkctl_el1"),
        csselr_el1: rd!("csselr_el1"),
        mdscr_el1: rd!("mdscr_el1"),
    };
    s.sp_el0 = rd!("sp_el0");
    s.sp_el1 = rd!("sp_el1");
    s.elr_el1 = rd!("elr_el1");
    s.spsr_el1 = rd!("spsr_el1");
    s.timer = TimerState {
        cntv_ctl: rd!("cntv_ctl_el0"),
        cntv_cval: rd!("cntv_cval_el0"),
        cntvoff: rd!("cntvoff_el2"),
    };
    s.vmpidr = rd!("vmpidr_el2");
    s.fp = save_fp();
}

/// Writes `s`'s EL1 state into this core's registers; `cntvoff` is the
/// virtual counter offset to use (so guest time continues from the
/// snapshot).
pub fn load(s: &VcpuState, cntvoff: u64) {
    let r = &s.sys;
    wr!("sctlr_el1", r.sctlr_el1);
    wr!("ttbr0_el1", r.ttbr0_el1);
    wr!("ttbr1_el1", r.ttbr1_el1);
    wr!("tcr_el1", r.tcr_el1);
    wr!("mair_el1", r.mair_el1);
    wr!("amair_el1", r.amair_el1);
    wr!("vbar_el1", r.vbar_el1);
    wr!("contextidr_el1", r.contextidr_el1);
    wr!("tpidr_el0", r.tpidr_el0);
    wr!("tpidrro_el0", r.tpidrro_el0);
    wr!("tpidr_el1", r.tpidr_el1);
    wr!("esr_el1", r.esr_el1);
    wr!("far_el1", r.far_el1);
    wr!("afsr0_el1", r.afsr0_el1);
    wr!("afsr1_el1", r.afsr1_el1);
    wr!("par_el1", r.par_el1);
    wr!("cpacr_el1", r.cpacr_el1);
    wr!("cntkctl_el1", r.cntkctl_el1);
    wr!("csselr_el1", r.csselr_el1);
    wr!("mdscr_el1", r.mdscr_el1);
    wr!("sp_el0", s.sp_el0);
    wr!("sp_el1", s.sp_el1);
    wr!("elr_el1", s.elr_el1);
    wr!("spsr_el1", s.spsr_el1);
    wr!("cntvoff_el2", cntvoff);
    wr!("cntv_cval_el0", s.timer.cntv_cval);
    wr!("cntv_ctl_el0", s.timer.cntv_ctl);
    load_fp(&s.fp);
    // SAFETY: a barrier only orders the register writes above.
    unsafe { asm!("isb", options(nomem, nostack, preserves_flags)) };
}

fn save_fp() -> FpState {
    let mut q = [0u128; 32];
    let (fpsr, fpcr): (u64, u64);
    // SAFETY: stores the 32 SIMD registers into `q` (512 bytes, 16-byte
    // aligned u128s) and reads FPSR/FPCR; nothing else is written.
    unsafe {
        asm!(
            ".arch_extension fp",
            ".arch_extension simd",
            "stp q0, q1, [{p}, #0]", "stp q2, q3, [{p}, #32]", "stp q4, q5, [{p}, #64]", "stp q6, q7, [{p}, #96]",
            "stp q8, q9, [{p}, #128]", "stp q10, q11, [{p}, #160]", "stp q12, q13, [{p}, #192]", "stp q14, q15, [{p}, #224]",
            "stp q16, q17, [{p}, #256]", "stp q18, q19, [{p}, #288]", "stp q20, q21, [{p}, #320]", "stp q22, q23, [{p}, #352]",
            "stp q24, q25, [{p}, #384]", "stp q26, q27, [{p}, #416]", "stp q28, q29, [{p}, #448]", "stp q30, q31, [{p}, #480]",
            "mrs {sr}, fpsr",
            "mrs {cr}, fpcr",
            p = in(reg) q.as_mut_ptr(),
            sr = out(reg) fpsr,
            cr = out(reg) fpcr,
            options(nostack, preserves_flags)
        )
    };
    FpState { q, fpsr, fpcr }
}

fn load_fp(fp: &FpState) {
    // SAFETY: loads the held vCPU's 32 SIMD registers and FPSR/FPCR; EL2
    // code is soft-float and never uses them.
    unsafe {
        asm!(
            ".arch_extension fp",
            ".arch_extension simd",
            "ldp q0, q1, [{p}, #0]", "ldp q2, q3, [{p}, #32]", "ldp q4, q5, [{p}, #64]", "ldp q6, q7, [{p}, #96]",
            "ldp q8, q9, [{p}, #128]", "ldp q10, q11, [{p}, #160]", "ldp q12, q13, [{p}, #192]", "ldp q14, q15, [{p}, #224]",
            "ldp q16, q17, [{p}, #256]", "ldp q18, q19, [{p}, #288]", "ldp q20, q21, [{p}, #320]", "ldp q22, q23, [{p}, #352]",
            "ldp q24, q25, [{p}, #384]", "ldp q26, q27, [{p}, #416]", "ldp q28, q29, [{p}, #448]", "ldp q30, q31, [{p}, #480]",
            "msr fpsr, {sr}",
            "msr fpcr, {cr}",
            p = in(reg) fp.q.as_ptr(),
            sr = in(reg) fp.fpsr,
            cr = in(reg) fp.fpcr,
            options(nostack, preserves_flags)
        )
    };
}
