//! The boot sequence, in the order it happens. The entry assembly calls
//! `primary_main` on the boot core and `secondary_main` on every other.

use crate::arch::{cpu, mmu};
use crate::platform::PLATFORM;
use crate::{console, frames, gic, heap, log, memory, println, setup, smp, vcpu};
use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;
use bulkhead_core::{dt, memmap};
use core::ptr::addr_of;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

static BENCH: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// `bulkhead.bench` on the command line (/chosen/bootargs): report the
/// baselines the benchmark command compares with.
pub fn bench_mode() -> bool {
    BENCH.load(core::sync::atomic::Ordering::Relaxed)
}
/// Largest device tree accepted (the arm64 boot protocol's limit).
const MAX_DTB_SIZE: usize = 2 << 20;
const FDT_MAGIC: u32 = 0xd00d_feed;

unsafe extern "C" {
    static __image_start: u8;
    static __image_end: u8;
}

/// The hypervisor's own footprint: image, BSS, stacks, heap, log ring.
fn image_range() -> (usize, usize) {
    // Only the symbols' addresses are taken, never their contents.
    (
        addr_of!(__image_start) as usize,
        addr_of!(__image_end) as usize,
    )
}

fn halt(why: core::fmt::Arguments) -> ! {
    console::emergency_print(format_args!(
        "{} bulkhead: {}; halting\n",
        console::Stamp,
        why
    ));
    cpu::park()
}

/// Reads the device tree header at `dtb` and returns the whole blob.
fn dtb_blob(dtb: usize) -> Result<&'static [u8], &'static str> {
    if dtb == 0 {
        return Err("no device tree: x0 was 0 at entry (boot with a DTB, e.g. QEMU's -kernel with an Image-format file)");
    }
    if !dtb.is_multiple_of(8) {
        return Err("device tree address in x0 is not 8-byte aligned");
    }
    // SAFETY: the boot protocol puts a device tree at `dtb`; the early map
    // covers 2 MiB from it as normal memory. We read the 8-byte header first
    // and trust nothing in it beyond the size bound checked below.
    let header = unsafe { core::slice::from_raw_parts(dtb as *const u8, 8) };
    let magic = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    if magic != FDT_MAGIC {
        return Err("no device tree at the address in x0 (bad magic)");
    }
    let size = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
    if !(40..=MAX_DTB_SIZE).contains(&size) {
        return Err("device tree header gives a size outside 40 B..2 MiB");
    }
    // SAFETY: as above; `size` is bounded by the 2 MiB the early map covers.
    Ok(unsafe { core::slice::from_raw_parts(dtb as *const u8, size) })
}

pub extern "C" fn primary_main(dtb: usize, current_el: u64) -> ! {
    if current_el != 2 {
        if let Some(base) = PLATFORM.early_uart {
            // SAFETY: the board descriptor names this PL011; the MMU is off,
            // so the access is to device memory.
            unsafe { console::init(base as usize) };
        }
        halt(format_args!(
            "entered at EL{current_el}; Bulkhead must be entered at EL2"
        ));
    }
    let image = image_range();
    mmu::enable_early(image, dtb);
    if let Some(base) = PLATFORM.early_uart {
        // SAFETY: the board descriptor names this PL011 and the early map
        // makes every non-RAM gigabyte device memory.
        unsafe { console::init(base as usize) };
    }
    heap::init();
    log::init();
    println!(
        "Bulkhead {VERSION} at EL2 on {} (boot core mpidr {:#x})",
        PLATFORM.name,
        cpu::mpidr()
    );
    defmt::info!("bulkhead {=str} booting on {=str}", VERSION, PLATFORM.name);

    let blob = dtb_blob(dtb).unwrap_or_else(|why| halt(format_args!("{why}")));
    let hw = dt::parse(blob).unwrap_or_else(|e| halt(format_args!("{e}")));
    println!("device tree at {dtb:#x}, {} bytes", blob.len());
    if hw
        .chosen
        .bootargs
        .as_deref()
        .is_some_and(|a| a.split_whitespace().any(|w| w == "bulkhead.bench"))
    {
        BENCH.store(true, core::sync::atomic::Ordering::Relaxed);
        println!("bench mode: snapshot and restore report a plain-copy baseline");
    }
    if let Some(uart) = hw.console() {
        if Some(uart.base.base.0 as usize) != console::base() {
            // SAFETY: the device tree names this UART as the console; the
            // early map makes it device memory.
            unsafe { console::init(uart.base.base.0 as usize) };
        }
    }
    for line in alloc::format!("{}", dt::Summary(&hw)).lines() {
        println!("{line}");
    }

    let mut taken: Vec<MemRange> = Vec::new();
    taken.push(MemRange::new(image.0 as u64, (image.1 - image.0) as u64));
    taken.push(MemRange::new(dtb as u64, blob.len() as u64));
    taken.extend(hw.reserved.iter().map(|r| r.range));
    taken.extend(hw.chosen.initrd);
    taken.extend(
        PLATFORM
            .carveouts
            .iter()
            .map(|c| MemRange::new(c.base, c.size)),
    );
    // The precise EL2 map, from the tree: RAM banks, device regions, the
    // image with per-section permissions.
    let ttbr = memory::init_pool()
        .and_then(|()| memory::build_el2_map(&hw, mmu::pa_range()))
        .unwrap_or_else(|e| halt(format_args!("building the EL2 map: {e}")));
    mmu::switch(ttbr);

    let free = memmap::free_ranges(&hw.memory, &taken, frames::PAGE_SIZE);
    let free_bytes: u64 = free.iter().map(|r| r.size).sum();
    println!(
        "hypervisor: image [{:#x}..{:#x}) {} KiB, heap {} MiB; {} MiB free for partitions in {} range(s)",
        image.0,
        image.1,
        (image.1 - image.0) / 1024,
        heap::HEAP_SIZE >> 20,
        free_bytes >> 20,
        free.len()
    );

    // The interrupt controller, before any other core starts.
    let order: Vec<u64> = smp::logical_order(&hw, cpu::mpidr())
        .iter()
        .map(|c| c.mpidr)
        .collect();
    let gic_ok = match gic::init(&hw, &order) {
        Ok(g) => {
            g.init_cpu(0);
            println!(
                "gic: v{} ready, {} list registers",
                g.version(),
                g.lr_count()
            );
            true
        }
        Err(e) => {
            println!("gic: {e}");
            false
        }
    };

    let up = smp::start_secondaries(&hw);
    defmt::info!("{=usize} cores up", up);

    // Partitions: from the boot bundle, all or nothing.
    let keep_out = [("the hypervisor", taken[0]), ("the device tree", taken[1])];
    let owned = match setup::bundle_bytes(&hw) {
        Some(_) if !gic_ok => {
            println!("no partition boots: Bulkhead cannot drive this board's interrupt controller");
            Vec::new()
        }
        None => {
            println!("no boot bundle in /chosen (initrd): no partitions to run");
            Vec::new()
        }
        Some(bytes) => match setup::start_partitions(&hw, bytes, &keep_out) {
            Ok(owned) => owned,
            Err(e) => {
                for line in alloc::format!("{e}").lines() {
                    println!("{line}");
                }
                println!("no partition boots");
                Vec::new()
            }
        },
    };
    // Typed input goes to the first partition with an emulated console.
    if let Some(first) = crate::partition::all()
        .iter()
        .position(|c| c.lock().console.is_some())
    {
        if let Some(intid) = hw.console().and_then(|u| u.interrupt) {
            crate::console_in::enable(intid.intid.0, crate::partition::all().len(), first);
            println!("console: input goes to partition {first}; Ctrl-A then a digit switches");
        }
    }
    // What no partition owns goes to the frame allocator.
    let spare = memmap::free_ranges(&free, &owned, frames::PAGE_SIZE);
    let spare_bytes = frames::init(&spare);
    defmt::info!("frames: {=u64} MiB spare", spare_bytes >> 20);
    println!("bulkhead: ready");
    vcpu::run_core()
}

pub extern "C" fn secondary_main(index: usize) -> ! {
    if let Some(g) = gic::get() {
        g.init_cpu(index);
    }
    smp::report_in(index);
    vcpu::run_core()
}
