//! Data cache maintenance by virtual address (EL2 identity map: VA = PA).

use core::arch::asm;

/// Smallest data cache line size in bytes, from CTR_EL0.DminLine.
pub fn dcache_line() -> usize {
    let ctr: u64;
    // SAFETY: reading CTR_EL0 has no side effects.
    unsafe { asm!("mrs {}, ctr_el0", out(reg) ctr, options(nomem, nostack, preserves_flags)) };
    4 << ((ctr >> 16) & 0xF)
}

/// Cleans `[start, start + len)` to the point of coherency, so that a core
/// running with its MMU off (a secondary being started) or a device sees it.
pub fn clean_to_poc(start: usize, len: usize) {
    let line = dcache_line();
    let mut addr = start & !(line - 1);
    let end = start.saturating_add(len);
    while addr < end {
        // SAFETY: `dc cvac` writes back a line if dirty; it never changes
        // memory contents as seen by this core, for any address that is
        // mapped (all callers pass memory of the hypervisor image).
        unsafe { asm!("dc cvac, {}", in(reg) addr, options(nostack, preserves_flags)) };
        addr += line;
    }
    // SAFETY: a barrier only orders memory accesses.
    unsafe { asm!("dsb sy", options(nostack, preserves_flags)) };
}

/// Invalidates `[start, start + len)` without writing anything back: for
/// memory written with the MMU off (so memory holds the truth), before
/// caches are turned on, so that no stale line can later shadow it.
pub fn invalidate_to_poc(start: usize, len: usize) {
    let line = dcache_line();
    let mut addr = start & !(line - 1);
    let end = start.saturating_add(len);
    while addr < end {
        // SAFETY: `dc ivac` drops a line; callers use it only on memory that
        // was written with the MMU (and so the caches) off, whose contents
        // are therefore already in memory.
        unsafe { asm!("dc ivac, {}", in(reg) addr, options(nostack, preserves_flags)) };
        addr += line;
    }
    // SAFETY: a barrier only orders memory accesses.
    unsafe { asm!("dsb sy", options(nostack, preserves_flags)) };
}

/// Zeroes `[start, start + len)` with `dc zva` (one instruction per block,
/// typically 64 bytes) where the core allows it, else with stores. Used to
/// scrub a partition's memory before a restart.
///
/// # Safety
/// The range must be mapped normal memory that nothing else uses.
pub unsafe fn zero(start: usize, len: usize) {
    let dczid: u64;
    // SAFETY: reading DCZID_EL0 has no side effects.
    unsafe { asm!("mrs {}, dczid_el0", out(reg) dczid, options(nomem, nostack, preserves_flags)) };
    let block = 4usize << (dczid & 0xF);
    let prohibited = dczid & (1 << 4) != 0;
    if prohibited || start % block != 0 || len % block != 0 {
        // SAFETY: forwarded from the caller.
        unsafe { core::ptr::write_bytes(start as *mut u8, 0, len) };
        return;
    }
    let mut at = start;
    let end = start + len;
    while at < end {
        // SAFETY: `dc zva` zeroes one block inside the caller's range.
        unsafe { asm!("dc zva, {}", in(reg) at, options(nostack, preserves_flags)) };
        at += block;
    }
    // SAFETY: a barrier only orders memory accesses.
    unsafe { asm!("dsb ish", options(nostack, preserves_flags)) };
}
