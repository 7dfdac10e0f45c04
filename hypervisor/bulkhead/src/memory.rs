//! Translation table memory, and the precise EL2 map built from the
//! device tree.
//!
//! All translation tables (the hypervisor's own and every partition's
//! stage 2) come from one pool of 4 KiB tables carved from the heap, which
//! the EL2 map covers as normal write-back memory. The builder itself is
//! `bulkhead_core::pagetable`, tested on the host.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use bulkhead_core::addr::{MemRange, PhysAddr};
use bulkhead_core::hw::Hardware;
use bulkhead_core::memmap;
use bulkhead_core::pagetable::{El2Attrs, El2Table, Error, PaRange, Table, TablePool};
use core::ptr::addr_of;
use spin::Mutex;

/// Tables in the pool: 4 MiB, enough for the EL2 map and dozens of
/// partitions mapped with 2 MiB blocks.
const POOL_TABLES: usize = 1024;

pub type Pool = TablePool<&'static mut [Table]>;

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

unsafe extern "C" {
    static __image_start: u8;
    static __text_end: u8;
    static __rodata_end: u8;
    static __image_end: u8;
}

/// Creates the table pool. Called once, after the heap is up.
pub fn init_pool() -> Result<(), Error> {
    let tables: &'static mut [Table] = Box::leak(vec![Table::ZERO; POOL_TABLES].into_boxed_slice());
    let base = PhysAddr(tables.as_ptr() as u64);
    *POOL.lock() = Some(TablePool::new(tables, base)?);
    Ok(())
}

/// Runs `f` with the table pool.
pub fn with_pool<T>(f: impl FnOnce(&mut Pool) -> Result<T, Error>) -> Result<T, Error> {
    let mut guard = POOL.lock();
    let pool = guard.as_mut().ok_or(Error::OutOfTables)?;
    f(pool)
}

/// Rounds `r` outward to whole pages.
fn page_cover(r: &MemRange) -> MemRange {
    let start = r.base.0 & !0xFFF;
    let end = r.end().saturating_add(0xFFF) & !0xFFF;
    MemRange::new(start, end - start)
}

/// Sorts and merges page-rounded ranges so that no page is mapped twice.
fn merged(mut ranges: Vec<MemRange>) -> Vec<MemRange> {
    ranges.sort();
    let mut out: Vec<MemRange> = Vec::new();
    for r in ranges.into_iter().filter(|r| !r.is_empty()) {
        match out.last_mut() {
            Some(last) if r.base.0 <= last.end() => {
                let end = last.end().max(r.end());
                last.size = end - last.base.0;
            }
            _ => out.push(r),
        }
    }
    out
}

/// The EL2 identity map: the image with per-section permissions, the rest
/// of every RAM bank as data, and every device region the tree lists as
/// device memory. Nothing else is mapped, so a stray access by Bulkhead
/// faults instead of reaching an unknown device.
pub fn build_el2_map(hw: &Hardware, pa: PaRange) -> Result<u64, Error> {
    // Only the linker symbols' addresses are used.
    let (start, text_end, rodata_end, end) = (
        addr_of!(__image_start) as u64,
        addr_of!(__text_end) as u64,
        addr_of!(__rodata_end) as u64,
        addr_of!(__image_end) as u64,
    );
    let image = MemRange::new(start, end - start);
    let ram = memmap::free_ranges(&hw.memory, &[image], 4096);

    let mut devices: Vec<MemRange> = hw
        .devices
        .iter()
        .flat_map(|d| d.regs.iter().map(page_cover))
        .collect();
    if let Some(gic) = &hw.gic {
        match gic {
            bulkhead_core::hw::Gic::V2 {
                distributor,
                cpu_interface,
                hyp_interface,
                virt_cpu_interface,
                ..
            } => {
                devices.push(page_cover(distributor));
                devices.push(page_cover(cpu_interface));
                devices.extend(hyp_interface.iter().map(page_cover));
                devices.extend(virt_cpu_interface.iter().map(page_cover));
            }
            bulkhead_core::hw::Gic::V3 {
                distributor,
                redistributors,
                ..
            } => {
                devices.push(page_cover(distributor));
                devices.extend(redistributors.iter().map(page_cover));
            }
        }
    }
    // A device region that overlaps RAM (a tree that lists a RAM-backed
    // buffer as a device) stays RAM.
    let devices = memmap::free_ranges(&merged(devices), &hw.memory, 4096);

    with_pool(|pool| {
        let mut table = El2Table::new(pool, pa)?;
        table.map_identity(pool, MemRange::new(start, text_end - start), El2Attrs::CODE)?;
        table.map_identity(
            pool,
            MemRange::new(text_end, rodata_end - text_end),
            El2Attrs::RODATA,
        )?;
        table.map_identity(
            pool,
            MemRange::new(rodata_end, end - rodata_end),
            El2Attrs::DATA,
        )?;
        for r in &ram {
            table.map_identity(pool, *r, El2Attrs::DATA)?;
        }
        for r in &devices {
            table.map_identity(pool, *r, El2Attrs::DEVICE)?;
        }
        Ok(table.ttbr0_el2())
    })
}
