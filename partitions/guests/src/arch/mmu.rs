//! The identity map's tables and the call that builds them, made by the
//! entry code with the MMU still off. `pagetable` has the logic; the entry
//! code (`guest_enable_mmu`) programs MAIR/TCR/TTBR0/SCTLR.

use crate::pagetable::{self, Range, ENTRIES};
use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};

const L2_TABLES: usize = 4;

/// Level-1 table, then the level-2 tables; every table is 4 KiB and so stays
/// 4 KiB-aligned. TTBR0_EL1 points at `l1` on every CPU (the secondary entry
/// code names `GUEST_TABLES` through `sym`; `l1` is at its start).
#[repr(C, align(4096))]
pub struct Tables {
    l1: [u64; ENTRIES],
    l2: [[u64; ENTRIES]; L2_TABLES],
}

/// Whether the device tree is mapped as Normal memory (the boot code reads it
/// only then).
static DTB_MAPPED: AtomicBool = AtomicBool::new(false);

pub fn dtb_mapped() -> bool {
    DTB_MAPPED.load(Ordering::Relaxed)
}

#[no_mangle]
pub static mut GUEST_TABLES: Tables = Tables {
    l1: [0; ENTRIES],
    l2: [[0; ENTRIES]; L2_TABLES],
};

/// Builds the identity map for the image [image_start, image_end) and the
/// device tree; returns the TTBR0_EL1 value. Called once, by the entry code
/// of the boot CPU, with the MMU off and before any other CPU runs.
#[no_mangle]
extern "C" fn guest_build_tables(x0: usize, image_start: usize, image_end: usize) -> u64 {
    let image = Range {
        base: image_start as u64,
        end: image_end as u64,
    };
    let dtb = match super::entry::dtb_location(x0) {
        Some((dtb, size)) => Range {
            base: dtb as u64,
            end: (dtb + size) as u64,
        },
        None => Range { base: 0, end: 0 },
    };
    // SAFETY: only the boot CPU runs, once, before the MMU is on: nothing else
    // refers to the tables, so this is the only reference to them.
    let tables = unsafe { &mut *addr_of_mut!(GUEST_TABLES) };
    let mut l2_addr = [0u64; L2_TABLES];
    for (a, t) in l2_addr.iter_mut().zip(tables.l2.iter()) {
        *a = t.as_ptr() as u64;
    }
    if dtb.end > dtb.base
        && pagetable::build(&mut tables.l1, &mut tables.l2, &l2_addr, &[image, dtb]).is_ok()
    {
        DTB_MAPPED.store(true, Ordering::Relaxed);
    } else {
        // No tree, or one too far away to map: map the image alone (it always
        // fits in the tables).
        let _ = pagetable::build(&mut tables.l1, &mut tables.l2, &l2_addr, &[image]);
    }
    tables.l1.as_ptr() as u64
}
