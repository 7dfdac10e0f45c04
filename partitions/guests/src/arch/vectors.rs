//! The EL1 exception vector table. Every entry saves the interrupted
//! context (x0-x30, ELR, SPSR and the FP/SIMD registers, which the compiler
//! uses in ordinary code) on the current stack and calls
//! `guest::exception(frame, kind)`, which may change `frame.elr` (to skip a
//! faulting instruction); the entry then restores everything and returns.

use core::arch::global_asm;

/// The saved general-purpose context, at the stack pointer on entry to the
/// handler. The FP/SIMD registers follow it (not visible to Rust).
#[repr(C)]
pub struct TrapFrame {
    pub x: [u64; 31],
    pub elr: u64,
    pub spsr: u64,
    _pad: u64,
}

const GP_FRAME: usize = core::mem::size_of::<TrapFrame>();
/// FPSR and FPCR, then q0-q31.
const FP_FRAME: usize = 16 + 32 * 16;
/// Offset of q0 in the frame.
const Q_OFFSET: usize = GP_FRAME + 16;
const FRAME: usize = GP_FRAME + FP_FRAME;
const _: () = assert!(GP_FRAME == 272 && FRAME.is_multiple_of(16));

/// Which vector was taken: `kind & 3` is 0 sync, 1 IRQ, 2 FIQ, 3 SError;
/// `kind >> 2` is 0 current EL with SP_EL0, 1 current EL with SP_ELx, 2 lower
/// EL AArch64, 3 lower EL AArch32.
#[no_mangle]
extern "C" fn guest_exception_entry(frame: &mut TrapFrame, kind: u64) {
    crate::guest::exception(frame, kind);
}

// SAFETY: the vector table. Each entry reserves FRAME bytes below the
// interrupted stack pointer (SP_EL1: the CPU's own stack slot, which has room),
// saves every register the handler may clobber and restores them before ERET,
// so the interrupted code sees only the changes the handler made on purpose
// (ELR).
global_asm!(
    r#"
    .macro GUEST_VECTOR kind
    .balign 0x80
    sub     sp, sp, #{frame}
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       guest_vector_common
    .endm

    .section .text.vectors, "ax"
    .balign 2048
    .global guest_vectors
guest_vectors:
    GUEST_VECTOR 0
    GUEST_VECTOR 1
    GUEST_VECTOR 2
    GUEST_VECTOR 3
    GUEST_VECTOR 4
    GUEST_VECTOR 5
    GUEST_VECTOR 6
    GUEST_VECTOR 7
    GUEST_VECTOR 8
    GUEST_VECTOR 9
    GUEST_VECTOR 10
    GUEST_VECTOR 11
    GUEST_VECTOR 12
    GUEST_VECTOR 13
    GUEST_VECTOR 14
    GUEST_VECTOR 15

guest_vector_common:
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
    mrs     x1, elr_el1
    stp     x30, x1, [sp, #240]
    mrs     x1, spsr_el1
    str     x1, [sp, #256]
    mrs     x2, fpsr
    mrs     x3, fpcr
    stp     x2, x3, [sp, #{gp}]
    add     x1, sp, #{q}
    stp     q0, q1, [x1, #0]
    stp     q2, q3, [x1, #32]
    stp     q4, q5, [x1, #64]
    stp     q6, q7, [x1, #96]
    stp     q8, q9, [x1, #128]
    stp     q10, q11, [x1, #160]
    stp     q12, q13, [x1, #192]
    stp     q14, q15, [x1, #224]
    stp     q16, q17, [x1, #256]
    stp     q18, q19, [x1, #288]
    stp     q20, q21, [x1, #320]
    stp     q22, q23, [x1, #352]
    stp     q24, q25, [x1, #384]
    stp     q26, q27, [x1, #416]
    stp     q28, q29, [x1, #448]
    stp     q30, q31, [x1, #480]

    mov     x1, x0                  // kind
    mov     x0, sp                  // frame
    bl      guest_exception_entry

    ldp     x2, x3, [sp, #{gp}]
    msr     fpsr, x2
    msr     fpcr, x3
    add     x1, sp, #{q}
    ldp     q0, q1, [x1, #0]
    ldp     q2, q3, [x1, #32]
    ldp     q4, q5, [x1, #64]
    ldp     q6, q7, [x1, #96]
    ldp     q8, q9, [x1, #128]
    ldp     q10, q11, [x1, #160]
    ldp     q12, q13, [x1, #192]
    ldp     q14, q15, [x1, #224]
    ldp     q16, q17, [x1, #256]
    ldp     q18, q19, [x1, #288]
    ldp     q20, q21, [x1, #320]
    ldp     q22, q23, [x1, #352]
    ldp     q24, q25, [x1, #384]
    ldp     q26, q27, [x1, #416]
    ldp     q28, q29, [x1, #448]
    ldp     q30, q31, [x1, #480]
    ldr     x1, [sp, #256]
    msr     spsr_el1, x1
    ldp     x30, x1, [sp, #240]
    msr     elr_el1, x1
    ldp     x28, x29, [sp, #224]
    ldp     x26, x27, [sp, #208]
    ldp     x24, x25, [sp, #192]
    ldp     x22, x23, [sp, #176]
    ldp     x20, x21, [sp, #160]
    ldp     x18, x19, [sp, #144]
    ldp     x16, x17, [sp, #128]
    ldp     x14, x15, [sp, #112]
    ldp     x12, x13, [sp, #96]
    ldp     x10, x11, [sp, #80]
    ldp     x8, x9, [sp, #64]
    ldp     x6, x7, [sp, #48]
    ldp     x4, x5, [sp, #32]
    ldp     x2, x3, [sp, #16]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #{frame}
    eret
"#,
    frame = const FRAME,
    gp = const GP_FRAME,
    q = const Q_OFFSET,
);
