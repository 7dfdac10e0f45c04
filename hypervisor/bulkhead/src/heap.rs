//! The global heap: a buddy allocator over a static area in BSS.

use buddy_system_allocator::LockedHeap;
use core::ptr::addr_of_mut;

pub const HEAP_SIZE: usize = 8 << 20;

#[repr(C, align(4096))]
struct HeapArea([u8; HEAP_SIZE]);

static mut HEAP_AREA: HeapArea = HeapArea([0; HEAP_SIZE]);

#[global_allocator]
static HEAP: LockedHeap<32> = LockedHeap::empty();

/// Hands the heap area to the allocator. Called once by the boot core.
pub fn init() {
    let area = addr_of_mut!(HEAP_AREA) as usize;
    // SAFETY: HEAP_AREA is used by nothing but the allocator, and this runs
    // once, before anything allocates.
    unsafe { HEAP.lock().init(area, HEAP_SIZE) };
}
