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
