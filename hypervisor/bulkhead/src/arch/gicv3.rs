//! GICv3 CPU interface system registers: the physical interface Bulkhead
//! uses at EL2 (ICC_*) and the virtual interface control (ICH_*).

use core::arch::asm;

macro_rules! sysreg_rw {
    ($read:ident, $write:ident, $reg:literal, $doc:literal) => {
        #[doc = $doc]
        #[allow(dead_code)]
        pub fn $read() -> u64 {
            let v: u64;
            // SAFETY: reading a GIC CPU interface register at EL2 has no
            // effect on memory; the registers this macro is used for have
            // no read side effects.
            unsafe { asm!(concat!("mrs {}, ", $reg), out(reg) v, options(nomem, nostack, preserves_flags)) };
            v
        }
        #[doc = $doc]
        #[allow(dead_code)]
        pub fn $write(v: u64) {
            // SAFETY: writing a GIC CPU interface register changes only
            // interrupt delivery for this core; callers own that state.
            unsafe { asm!(concat!("msr ", $reg, ", {}"), "isb", in(reg) v, options(nomem, nostack, preserves_flags)) };
        }
    };
}

sysreg_rw!(
    icc_sre_el2,
    set_icc_sre_el2,
    "icc_sre_el2",
    "ICC_SRE_EL2: system register access and EL1 access enable."
);
sysreg_rw!(
    icc_pmr,
    set_icc_pmr,
    "icc_pmr_el1",
    "ICC_PMR_EL1: priority mask."
);
sysreg_rw!(
    icc_ctlr,
    set_icc_ctlr,
    "icc_ctlr_el1",
    "ICC_CTLR_EL1: EOImode."
);
sysreg_rw!(
    icc_igrpen1,
    set_icc_igrpen1,
    "icc_igrpen1_el1",
    "ICC_IGRPEN1_EL1: group 1 enable."
);
sysreg_rw!(
    ich_hcr,
    set_ich_hcr,
    "ich_hcr_el2",
    "ICH_HCR_EL2: virtual interface control."
);
sysreg_rw!(
    ich_vmcr,
    set_ich_vmcr,
    "ich_vmcr_el2",
    "ICH_VMCR_EL2: the guest's virtual CPU interface state."
);
sysreg_rw!(
    ich_vtr,
    _set_ich_vtr,
    "ich_vtr_el2",
    "ICH_VTR_EL2: list register count and priority bits."
);
sysreg_rw!(
    ich_misr,
    _set_ich_misr,
    "ich_misr_el2",
    "ICH_MISR_EL2: maintenance interrupt status."
);
sysreg_rw!(
    ich_elrsr,
    _set_ich_elrsr,
    "ich_elrsr_el2",
    "ICH_ELRSR_EL2: empty list registers."
);
sysreg_rw!(
    ich_ap0r0,
    set_ich_ap0r0,
    "ich_ap0r0_el2",
    "ICH_AP0R0_EL2: group 0 active priorities."
);
sysreg_rw!(
    ich_ap1r0,
    set_ich_ap1r0,
    "ich_ap1r0_el2",
    "ICH_AP1R0_EL2: group 1 active priorities."
);

/// Acknowledges the highest-priority pending group 1 interrupt.
pub fn ack() -> u32 {
    let v: u64;
    // SAFETY: reading ICC_IAR1_EL1 acknowledges an interrupt, which is
    // exactly what the caller (the EL2 IRQ handler) means to do.
    unsafe { asm!("mrs {}, icc_iar1_el1", out(reg) v, options(nomem, nostack, preserves_flags)) };
    (v & 0xFF_FFFF) as u32
}

/// Priority drop (EOImode = 1: deactivation is separate).
pub fn eoi(intid: u32) {
    // SAFETY: ends the priority of an interrupt this core acknowledged.
    unsafe {
        asm!("msr icc_eoir1_el1, {}", "isb", in(reg) u64::from(intid), options(nomem, nostack, preserves_flags))
    };
}

/// Deactivates an interrupt (after `eoi`), unless a guest will do it
/// through a hardware-linked list register.
pub fn deactivate(intid: u32) {
    // SAFETY: deactivates an interrupt this core acknowledged.
    unsafe {
        asm!("msr icc_dir_el1, {}", "isb", in(reg) u64::from(intid), options(nomem, nostack, preserves_flags))
    };
}

/// Sends SGI `intid` to the cores in `targets` (a 16-bit list) of the
/// cluster `aff3.aff2.aff1`.
pub fn send_sgi(intid: u32, aff: u64, targets: u16) {
    let aff1 = (aff >> 8) & 0xFF;
    let aff2 = (aff >> 16) & 0xFF;
    let aff3 = (aff >> 32) & 0xFF;
    let v = (aff3 << 48)
        | (aff2 << 32)
        | (u64::from(intid & 0xF) << 24)
        | (aff1 << 16)
        | u64::from(targets);
    // SAFETY: generating an SGI only signals other cores.
    unsafe {
        asm!("msr icc_sgi1r_el1, {}", "isb", in(reg) v, options(nomem, nostack, preserves_flags))
    };
}

/// Reads list register `n` (0..16).
pub fn read_lr(n: usize) -> u64 {
    let v: u64;
    macro_rules! rd {
        ($r:literal) => {
            // SAFETY: reading a list register has no side effects.
            unsafe { asm!(concat!("mrs {}, ", $r), out(reg) v, options(nomem, nostack, preserves_flags)) }
        };
    }
    match n {
        0 => rd!("ich_lr0_el2"),
        1 => rd!("ich_lr1_el2"),
        2 => rd!("ich_lr2_el2"),
        3 => rd!("ich_lr3_el2"),
        4 => rd!("ich_lr4_el2"),
        5 => rd!("ich_lr5_el2"),
        6 => rd!("ich_lr6_el2"),
        7 => rd!("ich_lr7_el2"),
        8 => rd!("ich_lr8_el2"),
        9 => rd!("ich_lr9_el2"),
        10 => rd!("ich_lr10_el2"),
        11 => rd!("ich_lr11_el2"),
        12 => rd!("ich_lr12_el2"),
        13 => rd!("ich_lr13_el2"),
        14 => rd!("ich_lr14_el2"),
        15 => rd!("ich_lr15_el2"),
        _ => return 0,
    }
    v
}

/// Writes list register `n` (0..16); other values of `n` are ignored.
pub fn write_lr(n: usize, v: u64) {
    macro_rules! wr {
        ($r:literal) => {
            // SAFETY: a list register only describes virtual interrupts of
            // the vCPU running on this core.
            unsafe { asm!(concat!("msr ", $r, ", {}"), in(reg) v, options(nomem, nostack, preserves_flags)) }
        };
    }
    match n {
        0 => wr!("ich_lr0_el2"),
        1 => wr!("ich_lr1_el2"),
        2 => wr!("ich_lr2_el2"),
        3 => wr!("ich_lr3_el2"),
        4 => wr!("ich_lr4_el2"),
        5 => wr!("ich_lr5_el2"),
        6 => wr!("ich_lr6_el2"),
        7 => wr!("ich_lr7_el2"),
        8 => wr!("ich_lr8_el2"),
        9 => wr!("ich_lr9_el2"),
        10 => wr!("ich_lr10_el2"),
        11 => wr!("ich_lr11_el2"),
        12 => wr!("ich_lr12_el2"),
        13 => wr!("ich_lr13_el2"),
        14 => wr!("ich_lr14_el2"),
        15 => wr!("ich_lr15_el2"),
        _ => {}
    }
}
