//! The first instructions: the arm64 Image header, the boot CPU's entry, the
//! secondary CPUs' entry (PSCI CPU_ON) and the MMU switch-on they share.
//!
//! Boot CPU (`_start`, the image's first byte): entered at EL1 with the MMU
//! off and x0 = device tree address (Linux arm64 boot protocol). It masks
//! exceptions, enables FP/SIMD (Rust code uses those registers), installs the
//! vectors, invalidates the data cache over the image (the loader may have
//! left clean lines that our MMU-off writes would not update), applies the
//! image's R_AARCH64_RELATIVE relocations (the image is linked at 0 and may
//! be loaded anywhere 4 KiB-aligned), zeroes BSS, takes stack slot 0, builds
//! the identity map (`guest_build_tables`), turns the MMU and caches on and
//! calls `guest_primary_main(x0, image_start, image_end)`.
//!
//! Secondary CPUs (`guest_secondary_entry`): PSCI CPU_ON enters here with the
//! MMU off and x0 = the context id the boot CPU chose: stack slot in bits
//! [7:0], device-tree cpu index in bits [15:8]. They touch no memory before
//! their MMU is on (the boot CPU's writes may still sit in its cache), take
//! their slot, switch on the boot CPU's tables and call
//! `guest_secondary_main(context)`.

use super::mmu::GUEST_TABLES;
use super::{GUEST_STACKS, MAX_CPUS, STACK_SIZE};
use crate::pagetable::MAIR;
use core::arch::global_asm;

/// Image header text_offset: loaders put the image at a 2 MiB-aligned RAM
/// base + this (QEMU -kernel: RAM base + 0x80000).
pub const TEXT_OFFSET: u64 = 0x80000;
/// Header flags: little-endian (bit 0 = 0), 4 KiB pages (bits 2:1 = 1), may
/// be placed anywhere in RAM (bit 3).
pub const IMAGE_FLAGS: u64 = 0b1010;
/// R_AARCH64_RELATIVE.
const R_AARCH64_RELATIVE: u64 = 1027;
/// SCTLR_EL1 bits set: M (MMU), C (data cache), I (instruction cache) and the
/// ARMv8.0 RES1 bits 11, 20, 22, 23, 28, 29.
const SCTLR_SET: u64 = (1 << 0)
    | (1 << 2)
    | (1 << 12)
    | (1 << 11)
    | (1 << 20)
    | (1 << 22)
    | (1 << 23)
    | (1 << 28)
    | (1 << 29);
/// SCTLR_EL1 bits cleared: A (alignment checks), WXN, E0E, EE (big-endian).
const SCTLR_CLEAR: u64 = (1 << 1) | (1 << 19) | (1 << 24) | (1 << 25);
/// TCR_EL1 without IPS (the entry code inserts ID_AA64MMFR0_EL1.PARange).
const TCR_NO_IPS: u64 = crate::pagetable::tcr(0);
/// CPACR_EL1.FPEN = 0b11: FP/SIMD not trapped at EL1/EL0.
const CPACR_FPEN: u64 = 3 << 20;

/// Where QEMU virt puts its device tree when it is started without -kernel
/// (e.g. `-device loader,file=guest.bin,addr=...,cpu-num=0`): the RAM base.
/// Used only when x0 is 0.
const QEMU_VIRT_DTB_FALLBACK: usize = 0x4000_0000;

// SAFETY: this is the guest's entry code; it runs before any Rust code. It
// writes only the image's own memory (relocations inside the image, BSS) and
// EL1 system registers, and names statics through `sym` whose layouts are
// fixed (`GUEST_STACKS`: MAX_CPUS slots of STACK_SIZE bytes; `GUEST_TABLES`
// starts with the 4 KiB-aligned level-1 table).
global_asm!(
    r#"
    .section .text.boot, "ax"
    .global _start
_start:
    b       1f                      // code0: jump over the header
    .long   0                       // code1
    .quad   {text_offset}           // text_offset
    .quad   __image_size            // image_size: BSS, tables and stacks included
    .quad   {flags}                 // flags
    .quad   0, 0, 0                 // res2, res3, res4
    .ascii  "ARM\x64"               // magic
    .long   0                       // res5
1:
    msr     daifset, #0xf
    mov     x19, x0                 // device tree address
    mov     x1, #{cpacr}
    msr     cpacr_el1, x1
    adrp    x1, guest_vectors
    add     x1, x1, :lo12:guest_vectors
    msr     vbar_el1, x1
    msr     tpidr_el1, xzr          // device-tree cpu index 0 until Rust knows better
    isb
    adrp    x20, __image_start
    add     x20, x20, :lo12:__image_start
    adrp    x21, __image_end
    add     x21, x21, :lo12:__image_end

    // Invalidate the data cache over the whole image before writing to it
    // with the MMU (and so the cache) off.
    mrs     x1, ctr_el0
    ubfx    x1, x1, #16, #4         // DminLine: log2(words per line)
    mov     x2, #4
    lsl     x2, x2, x1              // line size in bytes
    sub     x3, x2, #1
    bic     x1, x20, x3
2:  dc      ivac, x1
    add     x1, x1, x2
    cmp     x1, x21
    b.lo    2b
    dsb     sy

    // Apply R_AARCH64_RELATIVE relocations: *(base + offset) = base + addend.
    adrp    x1, __rela_start
    add     x1, x1, :lo12:__rela_start
    adrp    x2, __rela_end
    add     x2, x2, :lo12:__rela_end
3:  cmp     x1, x2
    b.hs    5f
    ldp     x3, x4, [x1], #16       // r_offset, r_info
    ldr     x5, [x1], #8            // r_addend
    cmp     x4, #{r_relative}       // no symbol, type RELATIVE
    b.ne    4f
    add     x5, x5, x20
    str     x5, [x20, x3]
    b       3b
4:  wfe                             // a relocation we cannot apply: stop
    b       4b
5:
    // Zero BSS (page tables included; the stacks are not in it).
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
6:  cmp     x1, x2
    b.hs    7f
    stp     xzr, xzr, [x1], #16
    b       6b
7:
    adrp    x1, {stacks}
    add     x1, x1, :lo12:{stacks}
    mov     x2, #{stack_size}
    add     sp, x1, x2              // slot 0
    mov     x0, x19
    mov     x1, x20
    mov     x2, x21
    bl      guest_build_tables      // x0 = TTBR0_EL1
    bl      guest_enable_mmu
    mov     x0, x19
    mov     x1, x20
    mov     x2, x21
    bl      guest_primary_main
8:  wfe
    b       8b

    .section .text, "ax"
    .global guest_secondary_entry
    .balign 8
guest_secondary_entry:
    msr     daifset, #0xf
    mov     x19, x0                 // context: slot | cpu index << 8
    mov     x1, #{cpacr}
    msr     cpacr_el1, x1
    adrp    x1, guest_vectors
    add     x1, x1, :lo12:guest_vectors
    msr     vbar_el1, x1
    ubfx    x1, x19, #8, #8
    msr     tpidr_el1, x1
    isb
    and     x1, x19, #0xff
    cmp     x1, #{max_cpus}
    b.hs    2f                      // no such slot: stay here
    add     x1, x1, #1
    mov     x2, #{stack_size}
    mul     x1, x1, x2
    adrp    x2, {stacks}
    add     x2, x2, :lo12:{stacks}
    add     sp, x2, x1              // top of our slot
    adrp    x0, {tables}
    add     x0, x0, :lo12:{tables}
    bl      guest_enable_mmu
    mov     x0, x19
    bl      guest_secondary_main
2:  wfe
    b       2b

    // x0 = TTBR0_EL1. Clobbers x1-x3.
guest_enable_mmu:
    ldr     x1, ={mair}
    msr     mair_el1, x1
    ldr     x1, ={tcr}
    mrs     x2, id_aa64mmfr0_el1
    and     x2, x2, #0xf            // PARange
    mov     x3, #5
    cmp     x2, x3
    csel    x2, x2, x3, lo          // at most 48 bits
    bfi     x1, x2, #32, #3         // IPS
    msr     tcr_el1, x1
    msr     ttbr0_el1, x0
    isb
    tlbi    vmalle1
    ic      iallu
    dsb     nsh
    isb
    mrs     x1, sctlr_el1
    ldr     x2, ={sctlr_set}
    orr     x1, x1, x2
    ldr     x2, ={sctlr_clear}
    bic     x1, x1, x2
    msr     sctlr_el1, x1
    isb
    ret
    .ltorg
"#,
    text_offset = const TEXT_OFFSET,
    flags = const IMAGE_FLAGS,
    cpacr = const CPACR_FPEN,
    r_relative = const R_AARCH64_RELATIVE,
    stack_size = const STACK_SIZE,
    max_cpus = const MAX_CPUS,
    stacks = sym GUEST_STACKS,
    tables = sym GUEST_TABLES,
    mair = const MAIR,
    tcr = const TCR_NO_IPS,
    sctlr_set = const SCTLR_SET,
    sctlr_clear = const SCTLR_CLEAR,
);

extern "C" {
    /// PSCI CPU_ON entry point (see the module documentation).
    fn guest_secondary_entry();
}

/// Physical address of the secondary entry (identity-mapped, so the address
/// of the code).
pub fn secondary_entry_address() -> u64 {
    guest_secondary_entry as *const () as usize as u64
}

/// Address and size of the device tree: at `x0` if a valid header is there,
/// else (x0 = 0 only) at QEMU virt's RAM base.
pub fn dtb_location(x0: usize) -> Option<(usize, usize)> {
    let at = |addr: usize| {
        if addr == 0 || !addr.is_multiple_of(8) {
            return None;
        }
        let mut first8 = [0u8; 8];
        for (i, b) in first8.iter_mut().enumerate() {
            // SAFETY: the boot protocol puts a device tree at x0; the fallback
            // address is RAM on QEMU virt. Byte reads are aligned even with the
            // MMU off. Were nothing there, the data abort vector would skip the
            // load and we would find no magic.
            *b = unsafe { core::ptr::read_volatile((addr + i) as *const u8) };
        }
        crate::dt::header_size(first8).map(|size| (addr, size))
    };
    match x0 {
        0 => at(QEMU_VIRT_DTB_FALLBACK),
        _ => at(x0),
    }
}

/// The device tree's bytes.
pub fn dtb_bytes(addr: usize, size: usize) -> &'static [u8] {
    // SAFETY: `addr`/`size` come from `dtb_location`, which checked the
    // header there; the tree is mapped (Normal) and nothing writes to it.
    unsafe { core::slice::from_raw_parts(addr as *const u8, size) }
}
