//! The EL2 exception vector table.
//!
//! Each of the 16 entries saves x0/x1, puts its kind (0..16, the entry's
//! index: current EL with SP0, current EL with SPx, lower EL AArch64, lower EL
//! AArch32; each sync, IRQ, FIQ, SError) in x0, and branches to a common
//! stub that saves the rest of the general registers, ELR_EL2 and SPSR_EL2
//! into a [`TrapFrame`] on the EL2 stack and calls `trap_entry`. When the
//! handler returns, the frame (possibly changed) is restored and `eret` goes
//! back to where the exception came from.

use core::arch::global_asm;

/// General registers and exception return state, as the vector stub saves
/// them. The layout is fixed: the assembly below uses these offsets.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapFrame {
    pub x: [u64; 31],
    pub elr: u64,
    pub spsr: u64,
    _pad: u64,
}

impl TrapFrame {
    pub const ZERO: TrapFrame = TrapFrame {
        x: [0; 31],
        elr: 0,
        spsr: 0,
        _pad: 0,
    };
}

const FRAME_SIZE: usize = core::mem::size_of::<TrapFrame>();
const _: () = assert!(FRAME_SIZE == 272 && FRAME_SIZE.is_multiple_of(16));

/// Where the exception came from and what it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapKind {
    Sync,
    Irq,
    Fiq,
    SError,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapOrigin {
    /// EL2 itself (with SP_EL0 or SP_EL2): a Bulkhead fault.
    CurrentEl,
    /// A guest at EL1/EL0 in AArch64 state.
    LowerAarch64,
    /// A guest in AArch32 state (not supported: partitions run AArch64).
    LowerAarch32,
}

pub fn decode_kind(raw: u64) -> (TrapOrigin, TrapKind) {
    let origin = match raw / 4 {
        0 | 1 => TrapOrigin::CurrentEl,
        2 => TrapOrigin::LowerAarch64,
        _ => TrapOrigin::LowerAarch32,
    };
    let kind = match raw % 4 {
        0 => TrapKind::Sync,
        1 => TrapKind::Irq,
        2 => TrapKind::Fiq,
        _ => TrapKind::SError,
    };
    (origin, kind)
}

// SAFETY: the vector table only saves and restores registers around a call
// to `trap_entry` with a pointer to the frame it built on the current stack;
// `TrapFrame`'s layout (31 registers, ELR, SPSR, padding: 272 bytes) is
// checked above.
global_asm!(
    r#"
    .macro VECTOR kind
    .balign 0x80
    sub     sp, sp, #{frame}
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       bulkhead_trap_common
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global bulkhead_vectors
bulkhead_vectors:
    VECTOR 0
    VECTOR 1
    VECTOR 2
    VECTOR 3
    VECTOR 4
    VECTOR 5
    VECTOR 6
    VECTOR 7
    VECTOR 8
    VECTOR 9
    VECTOR 10
    VECTOR 11
    VECTOR 12
    VECTOR 13
    VECTOR 14
    VECTOR 15

bulkhead_trap_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x30, x2, [sp, #240]
    str     x3, [sp, #256]
    mov     x1, x0
    mov     x0, sp
    bl      {handler}
bulkhead_restore_frame:
    ldr     x3, [sp, #256]
    ldp     x30, x2, [sp, #240]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #{frame}
    eret

    // bulkhead_enter_frame(x0 = &TrapFrame anywhere but this stack,
    // x1 = top of this core's stack): resets the stack, copies the frame to
    // its top slot and erets through the common restore path.
    .global bulkhead_enter_frame
bulkhead_enter_frame:
    sub     sp, x1, #{frame}
    mov     x2, sp
    mov     x3, #({frame} / 16)
1:  ldp     x4, x5, [x0], #16
    stp     x4, x5, [x2], #16
    subs    x3, x3, #1
    b.ne    1b
    b       bulkhead_restore_frame
"#,
    frame = const FRAME_SIZE,
    handler = sym crate::trap::trap_entry,
);
