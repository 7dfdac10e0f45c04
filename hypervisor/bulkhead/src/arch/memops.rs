//! Bulk memory operations for reloading a partition: zeroing memory and
//! copying images, each line cleaned to the point of coherency as it is
//! written, in as few instructions as the architecture allows (under
//! QEMU's `-icount`, virtual time is instructions).
//!
//! Why cleaning every line is needed on real hardware (the Raspberry Pi 4,
//! Cortex-A72, caches on): `dc zva` and ordinary stores write the cache,
//! not necessarily memory. A zeroed line left dirty in a cache hides the
//! memory below it, which still holds the previous incarnation's data, from
//! nobody but the caches' users: the new incarnation starts with its MMU
//! off (Device-nGnRnE accesses, which bypass the caches) and may later map
//! any of its memory Non-cacheable, and a DMA device it owns reads memory,
//! not the caches. Either would read the previous incarnation's data, and
//! a dirty zero line evicted later would overwrite what the guest wrote
//! there without the caches. Cleaning each zeroed line to the point of
//! coherency makes memory itself hold zeros, so every kind of access
//! agrees. Cleaning by set/way instead would be cheaper but is not a
//! coherency operation (it misses other cores' caches and any system
//! cache); by VA it is, on every core and cache.
//!
//! The clean follows the zeroing of the same line in program order: the
//! architecture orders data cache maintenance by VA after earlier stores
//! (`dc zva` counts as a store) to the same cache line on the same core, for
//! Normal write-back memory, which is how the EL2 map covers partition RAM.
//! The final `dsb sy` waits for every clean to complete before the caller
//! lets a vCPU start.

use super::block64::{load64_offsets, loop64, store64_clean};
use super::cache;
use core::arch::asm;

/// The `dc zva` block size in bytes, or `None` when the core forbids
/// `dc zva` (DCZID_EL0.DZP).
pub fn zva_block() -> Option<usize> {
    let dczid: u64;
    // SAFETY: reading DCZID_EL0 has no side effects.
    unsafe { asm!("mrs {}, dczid_el0", out(reg) dczid, options(nomem, nostack, preserves_flags)) };
    (dczid & (1 << 4) == 0).then(|| 4usize << (dczid & 0xF))
}

/// The alignment [`zero_and_clean`] is fastest at: the larger of the
/// `dc zva` block and the data cache line.
pub fn grain() -> usize {
    zva_block().unwrap_or(0).max(cache::dcache_line())
}

/// One line of [`zero_and_clean`]: zero the block at `{p}`, clean its
/// line, move `{p}` on by `{line}`.
macro_rules! zero_clean_line {
    () => {
        concat!("dc zva, {p}\n", "dc cvac, {p}\n", "add {p}, {p}, {line}\n",)
    };
}

/// Zeroes `[start, start + len)` and cleans it to the point of coherency
/// (see the module documentation). With `start` and `len` multiples of
/// [`grain`] and a `dc zva` block equal to the cache line (Cortex-A72 and
/// QEMU: 64 bytes), one `dc zva`, one `dc cvac` and one add per line,
/// unrolled eightfold; otherwise stores and a separate clean.
///
/// # Safety
/// The range must be mapped Normal memory that nothing else uses.
pub unsafe fn zero_and_clean(start: usize, len: usize) {
    let line = cache::dcache_line();
    let fused = matches!(zva_block(), Some(b) if b == line)
        && start.is_multiple_of(line)
        && len.is_multiple_of(line);
    if !fused {
        // SAFETY: forwarded from the caller.
        unsafe { core::ptr::write_bytes(start as *mut u8, 0, len) };
        cache::clean_to_poc(start, len);
        return;
    }
    let lines = len / line;
    // SAFETY: every `dc zva` zeroes one block (= one line) inside the
    // caller's range, each `dc cvac` cleans the line just zeroed, and the
    // loop ends at `start + len`: `groups * 8 + rest` is exactly `lines`.
    unsafe {
        asm!(
            "cbz {groups}, 3f",
            "2:",
            zero_clean_line!(),
            zero_clean_line!(),
            zero_clean_line!(),
            zero_clean_line!(),
            zero_clean_line!(),
            zero_clean_line!(),
            zero_clean_line!(),
            zero_clean_line!(),
            "subs {groups}, {groups}, #1",
            "b.ne 2b",
            "3:",
            "cbz {rest}, 5f",
            "4:",
            zero_clean_line!(),
            "subs {rest}, {rest}, #1",
            "b.ne 4b",
            "5:",
            "dsb sy",
            p = inout(reg) start => _,
            groups = inout(reg) lines / 8 => _,
            rest = inout(reg) lines % 8 => _,
            line = in(reg) line,
            options(nostack)
        );
    }
}

/// Copies `src` to `dst` and cleans the copy to the point of coherency:
/// 64 bytes per iteration through eight general registers (`ldp`/`stp`;
/// the hypervisor has no FP/SIMD), with a `dc cvac` of each 64-byte block
/// of the destination in the same loop. That covers every line when lines
/// are 64 bytes or longer (Cortex-A72, QEMU); with shorter lines the copy
/// is cleaned again line by line. The ends that are not whole 64-byte
/// blocks of the destination are copied byte-wise and cleaned after.
///
/// # Safety
/// `dst .. dst + src.len()` must be mapped Normal memory that nothing else
/// uses, and must not overlap `src`.
pub unsafe fn copy_and_clean(dst: usize, src: &[u8]) {
    const BLOCK: usize = 64;
    let len = src.len();
    let head = ((BLOCK - dst % BLOCK) % BLOCK).min(len);
    let blocks = (len - head) / BLOCK;
    let body = blocks * BLOCK;
    let tail = len - head - body;
    // SAFETY: forwarded from the caller; the three pieces are consecutive
    // and inside both buffers.
    unsafe {
        core::ptr::copy_nonoverlapping(src.as_ptr(), dst as *mut u8, head);
        if blocks > 0 {
            copy_blocks(dst + head, src.as_ptr().add(head) as usize, blocks);
        }
        core::ptr::copy_nonoverlapping(
            src.as_ptr().add(head + body),
            (dst + head + body) as *mut u8,
            tail,
        );
    }
    if cache::dcache_line() < BLOCK {
        cache::clean_to_poc(dst, len);
        return;
    }
    if head > 0 {
        cache::clean_to_poc(dst, head);
    }
    if tail > 0 {
        cache::clean_to_poc(dst + head + body, tail);
    }
    // SAFETY: a barrier only orders memory accesses.
    unsafe { asm!("dsb sy", options(nostack, preserves_flags)) };
}

/// `blocks` (at least 1) times 64 bytes from `src` to `dst` (64-byte
/// aligned), each destination block cleaned to the point of coherency
/// after its stores.
///
/// # Safety
/// As [`copy_and_clean`], for `blocks * 64` bytes.
unsafe fn copy_blocks(dst: usize, src: usize, blocks: usize) {
    // SAFETY: each iteration loads 64 bytes at `src` and stores them at
    // `dst` (both inside the caller's buffers for `blocks` iterations), then
    // cleans the line holding `dst`; the registers it clobbers are declared.
    unsafe {
        loop64!(
            concat!(load64_offsets!(), store64_clean!()),
            t = inout(reg) dst => _,
            s = inout(reg) src => _,
            n = inout(reg) blocks => _,
        );
    }
}
