//! Physical page frames: the RAM the device tree lists, minus everything
//! already in use (this image, the device tree, reserved memory, the initrd,
//! board carve-outs). Partitions' memory and translation tables come from
//! here.

use buddy_system_allocator::LockedFrameAllocator;
use bulkhead_core::addr::{MemRange, PhysAddr};

pub const PAGE_SIZE: u64 = 4096;

static FRAMES: LockedFrameAllocator<32> = LockedFrameAllocator::new();

/// Adds the free ranges; returns the number of bytes added.
pub fn init(free: &[MemRange]) -> u64 {
    let mut alloc = FRAMES.lock();
    let mut total = 0;
    for r in free {
        let start = r.base.0.div_ceil(PAGE_SIZE);
        let end = r.end() / PAGE_SIZE;
        if end > start {
            alloc.add_frame(start as usize, end as usize);
            total += (end - start) * PAGE_SIZE;
        }
    }
    total
}

/// `count` contiguous frames, aligned to their size rounded up to a power
/// of two (buddy allocation). No caller yet: translation tables come from
/// the heap's table pool and partition memory is placed by the
/// configuration; kept as the allocator's interface for the work that
/// allocates at run time (inter-partition channels, elastic partitions).
#[allow(dead_code)]
pub fn alloc(count: usize) -> Option<PhysAddr> {
    FRAMES
        .lock()
        .alloc(count)
        .map(|pfn| PhysAddr(pfn as u64 * PAGE_SIZE))
}

#[allow(dead_code)]
pub fn free(addr: PhysAddr, count: usize) {
    FRAMES.lock().dealloc((addr.0 / PAGE_SIZE) as usize, count);
}
