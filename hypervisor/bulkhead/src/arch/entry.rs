//! The first instructions: the arm64 Image header, the primary core's entry
//! and the secondary cores' entry. Everything here runs with the MMU off.
//!
//! Primary (`_start`): the boot loader enters at EL2 (QEMU, Pi firmware) with
//! x0 = device tree address. We mask exceptions, reset SCTLR_EL2, clear BSS,
//! take stack slot 0, stop FP/SIMD trapping, install the vectors and call
//! `primary_main(dtb, current_el)`. Entered at another EL, we skip the EL2
//! registers and let Rust say so on the console.
//!
//! Secondary (`bulkhead_secondary_entry`): started by PSCI CPU_ON or released
//! from the Pi's spin table. It finds its logical index by looking its MPIDR
//! up in `CORE_MPIDRS` (written and cleaned to memory by the primary), takes
//! its stack slot, turns the MMU on with the primary's tables and calls
//! `secondary_main(index)`.

use super::mmu::{MmuConfig, MMU_BOOT_CONFIG};
use super::smp_boot::{CORE_COUNT, CORE_MPIDRS};
use super::{STACKS, STACK_SIZE};
use core::arch::global_asm;

/// SCTLR_EL2 with only its RES1 bits (non-VHE): MMU, caches and alignment
/// checks off, little-endian.
pub const SCTLR_EL2_RESET: u64 = 0x30C5_0830;
/// CPTR_EL2 with only its RES1 bits: nothing trapped, in particular TFP = 0
/// so that partitions use FP/SIMD without trapping. (Bulkhead itself is
/// built soft-float and never touches those registers.)
pub const CPTR_EL2_NO_TRAPS: u64 = 0x33FF;
/// MPIDR_EL1 affinity fields (Aff3, Aff2, Aff1, Aff0).
pub const MPIDR_AFFINITY_MASK: u64 = 0xFF_00FF_FFFF;

// SAFETY: this is the image's entry code. It runs before any Rust code, only
// touches EL2 system registers, its own BSS and stack slot, and the statics it
// names through `sym`, whose layouts are fixed (`[u64; N]`, `usize`,
// `MmuConfig` is `repr(C)` with four u64 fields).
global_asm!(
    r#"
    .section .text.boot, "ax"
    .global _start
_start:
    b       0f                      // code0: jump over the header
    .long   0                       // code1
    .quad   BULKHEAD_TEXT_OFFSET    // text_offset
    .quad   __image_size            // image_size, including BSS and stacks
    .quad   0x2                     // flags: little-endian, 4 KiB pages
    .quad   0, 0, 0                 // res2, res3, res4
    .ascii  "ARM\x64"               // magic
    .long   0                       // res5
0:
    msr     daifset, #0xf
    mov     x19, x0                 // device tree address
    mrs     x20, CurrentEL
    ubfx    x20, x20, #2, #2
    cmp     x20, #2
    b.ne    1f
    ldr     x1, ={sctlr_reset}
    msr     sctlr_el2, x1
    ldr     x1, ={cptr}
    msr     cptr_el2, x1
    adrp    x1, bulkhead_vectors
    add     x1, x1, :lo12:bulkhead_vectors
    msr     vbar_el2, x1
    msr     tpidr_el2, xzr          // logical core index 0
    isb
1:
    // Zero BSS (the stacks are in it; nothing is on them yet).
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
2:  cmp     x1, x2
    b.hs    3f
    stp     xzr, xzr, [x1], #16
    b       2b
3:
    // Stack slot 0 belongs to the boot core.
    adrp    x1, {stacks}
    add     x1, x1, :lo12:{stacks}
    ldr     x2, ={stack_size}
    add     sp, x1, x2
    mov     x0, x19
    mov     x1, x20
    bl      {primary_main}
4:  wfe
    b       4b

    .global bulkhead_secondary_entry
bulkhead_secondary_entry:
    msr     daifset, #0xf
    ldr     x1, ={sctlr_reset}
    msr     sctlr_el2, x1
    ldr     x1, ={cptr}
    msr     cptr_el2, x1
    adrp    x1, bulkhead_vectors
    add     x1, x1, :lo12:bulkhead_vectors
    msr     vbar_el2, x1
    isb
    // Which logical core am I? Look MPIDR up in CORE_MPIDRS[0..CORE_COUNT].
    mrs     x1, mpidr_el1
    ldr     x2, ={aff_mask}
    and     x1, x1, x2
    adrp    x2, {mpidrs}
    add     x2, x2, :lo12:{mpidrs}
    adrp    x3, {count}
    ldr     x3, [x3, :lo12:{count}]
    mov     x4, #0
5:  cmp     x4, x3
    b.hs    4b                      // not a core we started: park
    ldr     x5, [x2, x4, lsl #3]
    cmp     x5, x1
    b.eq    6f
    add     x4, x4, #1
    b       5b
6:
    // Stack slot x4: top = STACKS + (x4 + 1) * STACK_SIZE
    adrp    x1, {stacks}
    add     x1, x1, :lo12:{stacks}
    ldr     x2, ={stack_size}
    madd    x1, x4, x2, x1
    add     sp, x1, x2
    mov     x19, x4
    msr     tpidr_el2, x4           // logical core index
    adrp    x0, {mmu_cfg}
    add     x0, x0, :lo12:{mmu_cfg}
    bl      bulkhead_mmu_on
    mov     x0, x19
    bl      {secondary_main}
    b       4b

    // bulkhead_mmu_on(x0 = &MmuConfig): program MAIR, TCR, TTBR0, invalidate
    // the EL2 TLB, then write SCTLR_EL2. Uses x0-x2 only, no stack.
    .global bulkhead_mmu_on
bulkhead_mmu_on:
    ldp     x1, x2, [x0, #0]        // mair, tcr
    msr     mair_el2, x1
    msr     tcr_el2, x2
    ldp     x1, x2, [x0, #16]       // ttbr0, sctlr
    msr     ttbr0_el2, x1
    isb
    tlbi    alle2
    dsb     ish
    isb
    msr     sctlr_el2, x2
    isb
    ret
    .ltorg
"#,
    sctlr_reset = const SCTLR_EL2_RESET,
    cptr = const CPTR_EL2_NO_TRAPS,
    aff_mask = const MPIDR_AFFINITY_MASK,
    stack_size = const STACK_SIZE,
    stacks = sym STACKS,
    mpidrs = sym CORE_MPIDRS,
    count = sym CORE_COUNT,
    mmu_cfg = sym MMU_BOOT_CONFIG,
    primary_main = sym crate::boot::primary_main,
    secondary_main = sym crate::boot::secondary_main,
);

const _: () = assert!(core::mem::size_of::<MmuConfig>() == 32);

unsafe extern "C" {
    /// The secondary cores' entry point (physical address = symbol address).
    pub fn bulkhead_secondary_entry();
    /// Turns the MMU on with the given configuration (see the asm above).
    pub fn bulkhead_mmu_on(config: *const MmuConfig);
}
