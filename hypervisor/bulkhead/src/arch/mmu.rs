//! The EL2 stage-1 MMU.
//!
//! Boot happens in two steps. Before the device tree is read, `enable_early`
//! turns the MMU on with a coarse identity map built from nothing but two
//! addresses: the 1 GiB blocks holding the image and the device tree are
//! normal cacheable memory, every other block of the first 512 GiB is
//! device memory. That is enough to run Rust code with caches on (atomics
//! need it on real hardware) and to reach any UART. Once the device tree is
//! parsed, `switch` moves to the precise map built from it (RAM banks normal,
//! device regions device, nothing else mapped).

use super::cache;
use super::entry::bulkhead_mmu_on;
use aarch64_cpu::registers::{Readable, ID_AA64MMFR0_EL1};
use core::arch::asm;
use core::ptr::addr_of_mut;

/// The four registers `bulkhead_mmu_on` programs, in its order. Secondary
/// cores read this with their MMU off, so it is cleaned to memory whenever
/// it changes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct MmuConfig {
    pub mair: u64,
    pub tcr: u64,
    pub ttbr0: u64,
    pub sctlr: u64,
}

pub static mut MMU_BOOT_CONFIG: MmuConfig = MmuConfig {
    mair: 0,
    tcr: 0,
    ttbr0: 0,
    sctlr: 0,
};

use bulkhead_core::pagetable::{self, PaRange};

/// MAIR_EL2: attr0 Device-nGnRE, attr1 Normal write-back RW-allocate,
/// attr2 Normal non-cacheable (the indexes `bulkhead_core::pagetable` uses).
pub const MAIR_EL2: u64 = pagetable::MAIR_EL2;
const ATTR_DEVICE: u64 = 0;
const ATTR_NORMAL: u64 = 1;

/// SCTLR_EL2 RES1 bits plus M (MMU), C (data cache), SA (stack alignment
/// check) and I (instruction cache).
pub const SCTLR_EL2_ON: u64 =
    super::entry::SCTLR_EL2_RESET | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 12);

/// This core's physical address range (ID_AA64MMFR0_EL1.PARange); a value
/// the architecture does not define is treated as the smallest, 32 bits.
pub fn pa_range() -> PaRange {
    PaRange::from_id_aa64mmfr0(ID_AA64MMFR0_EL1.get()).unwrap_or(PaRange::Bits32)
}

/// TCR_EL2 for a 48-bit VA, 4 KiB granule, walks inner-shareable and
/// write-back cacheable, PS = the core's physical address range.
pub fn tcr_el2() -> u64 {
    pagetable::tcr_el2(pa_range())
}

#[repr(C, align(4096))]
struct Table([u64; 512]);

static mut EARLY_L0: Table = Table([0; 512]);
static mut EARLY_L1: Table = Table([0; 512]);

const GIB: u64 = 1 << 30;

fn block_l1(pa: u64, attr: u64) -> u64 {
    let common = 1 | (1 << 10) | (attr << 2) | (1 << 6); // valid block, AF, attr, AP[1]
    if attr == ATTR_NORMAL {
        pa | common | (0b11 << 8) // inner shareable
    } else {
        pa | common | (1 << 54) // execute-never
    }
}

/// Builds the coarse map (see the module comment) and turns the MMU on for
/// this core. Called once, by the boot core, with the MMU off.
pub fn enable_early(image: (usize, usize), dtb: usize) {
    // The device tree is at most 2 MiB (arm64 boot protocol): map both ends.
    let dtb_end = dtb.saturating_add(2 << 20) as u64;
    let normal = |gib: u64| {
        gib == (image.0 as u64) / GIB
            || (dtb != 0 && (gib == dtb as u64 / GIB || gib == dtb_end / GIB))
    };
    let l0 = addr_of_mut!(EARLY_L0);
    let l1 = addr_of_mut!(EARLY_L1);
    // SAFETY: only the boot core runs, before any other code uses these
    // tables; we hold the only pointers to them.
    unsafe {
        for gib in 0..512u64 {
            let attr = if normal(gib) {
                ATTR_NORMAL
            } else {
                ATTR_DEVICE
            };
            (*l1).0[gib as usize] = block_l1(gib * GIB, attr);
        }
        (*l0).0[0] = (l1 as u64) | 0b11; // table descriptor
    }
    // Everything written with the MMU off (BSS, these tables, the stack)
    // must not be shadowed by stale lines once caches come on.
    cache::invalidate_to_poc(image.0, image.1 - image.0);
    let config = MmuConfig {
        mair: MAIR_EL2,
        tcr: tcr_el2(),
        ttbr0: l0 as u64,
        sctlr: SCTLR_EL2_ON,
    };
    set_boot_config(config);
    // SAFETY: the configuration identity-maps the running code, its stack
    // and data as normal memory, so execution continues at the next
    // instruction with the same addresses.
    unsafe { bulkhead_mmu_on(&config) };
}

/// Records the configuration secondary cores will use, cleaned to memory.
fn set_boot_config(config: MmuConfig) {
    let p = addr_of_mut!(MMU_BOOT_CONFIG);
    // SAFETY: secondaries read this only after the boot core starts them,
    // which happens after this write and the clean below.
    unsafe { p.write_volatile(config) };
    cache::clean_to_poc(p as usize, core::mem::size_of::<MmuConfig>());
}

/// Moves this core to new translation tables whose root is at `ttbr0` (an
/// identity map that still covers the running code and stack), and makes
/// them the tables secondary cores start with.
pub fn switch(ttbr0: u64) {
    let config = MmuConfig {
        mair: MAIR_EL2,
        tcr: tcr_el2(),
        ttbr0,
        sctlr: SCTLR_EL2_ON,
    };
    set_boot_config(config);
    // SAFETY: the new tables map the code, stack and data at the same
    // addresses with the same (normal, cacheable) attributes; the TLB is
    // invalidated after the switch so no stale entry from the coarse map
    // survives.
    unsafe {
        asm!(
            "dsb ishst",
            "msr ttbr0_el2, {0}",
            "isb",
            "tlbi alle2",
            "dsb ish",
            "isb",
            in(reg) ttbr0,
            options(nostack)
        )
    };
}
