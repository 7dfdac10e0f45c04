//! GICv3: distributor and redistributors by MMIO, CPU interface by system
//! registers.

use super::regs::{Gicd, GicrRd, GicrSgi};
use super::{GicError, KICK_SGI, PRIORITY};
use crate::arch::gicv3 as sys;
use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;
use tock_registers::interfaces::{Readable, Writeable};

const GICR_FRAME: usize = 0x2_0000;
const GICR_FRAME_V4: usize = 0x4_0000;
const TYPER_LAST: u64 = 1 << 4;
const TYPER_VLPIS: u64 = 1 << 1;
const WAKER_PROCESSOR_SLEEP: u32 = 1 << 1;
const WAKER_CHILDREN_ASLEEP: u32 = 1 << 2;
const CTLR_RWP: u32 = 1 << 31;
const CTLR_ARE: u32 = 1 << 4;
const CTLR_ENABLE_GRP1: u32 = 1 << 1;
const MAINTENANCE_PPI: u32 = 25;
const HYP_TIMER_PPI: u32 = 26;
const SPIN_LIMIT: u32 = 1_000_000;

pub struct GicV3 {
    pub(super) gicd: &'static Gicd,
    /// RD_base of each logical core's redistributor.
    redist: Vec<usize>,
    /// MPIDR affinity of each logical core.
    mpidrs: Vec<u64>,
}

// SAFETY: MMIO register blocks at fixed addresses; concurrent accesses
// from several cores touch disjoint registers (per-interrupt bits through
// set/clear registers, or a core's own redistributor).
unsafe impl Sync for GicV3 {}
// SAFETY: as above.
unsafe impl Send for GicV3 {}

/// MPIDR affinity in GICR_TYPER's layout (Aff3.Aff2.Aff1.Aff0, 32 bits).
fn typer_affinity(mpidr: u64) -> u64 {
    ((mpidr >> 8) & 0xFF_0000) | (mpidr & 0xFF_FFFF)
}

impl GicV3 {
    pub fn new(gicd: usize, regions: &[MemRange], mpidrs: &[u64]) -> Result<Self, GicError> {
        let mut redist = Vec::with_capacity(mpidrs.len());
        for &mpidr in mpidrs {
            let found = regions
                .iter()
                .find_map(|r| find_frame(r, typer_affinity(mpidr)));
            redist.push(found.ok_or(GicError::NoRedistributor { mpidr })?);
        }
        // SAFETY: the device tree names this distributor; the EL2 map
        // covers it as device memory.
        let gicd = unsafe { &*(gicd as *const Gicd) };
        Ok(GicV3 {
            gicd,
            redist,
            mpidrs: mpidrs.to_vec(),
        })
    }

    fn wait_rwp(&self) {
        for _ in 0..SPIN_LIMIT {
            if self.gicd.ctlr.get() & CTLR_RWP == 0 {
                return;
            }
        }
    }

    fn lines(&self) -> u32 {
        ((self.gicd.typer.get() & 0x1F) + 1) * 32
    }

    pub fn init_distributor(&self) {
        self.gicd.ctlr.set(0);
        self.wait_rwp();
        let lines = self.lines().min(1020);
        let boot = typer_affinity(self.mpidrs.first().copied().unwrap_or(0));
        let prio = u32::from_ne_bytes([PRIORITY; 4]);
        for i in 1..(lines / 32) as usize {
            if let (Some(g), Some(ce), Some(cp)) = (
                self.gicd.igroupr.get(i),
                self.gicd.icenabler.get(i),
                self.gicd.icpendr.get(i),
            ) {
                g.set(u32::MAX);
                ce.set(u32::MAX);
                cp.set(u32::MAX);
            }
        }
        for i in 8..(lines / 4) as usize {
            if let Some(p) = self.gicd.ipriorityr.get(i) {
                p.set(prio);
            }
        }
        for intid in 32..lines {
            if let Some(r) = self.gicd.irouter.get(intid as usize - 32) {
                r.set(((boot & 0xFF00_0000) << 8) | (boot & 0xFF_FFFF));
            }
        }
        self.wait_rwp();
        self.gicd.ctlr.set(CTLR_ARE | CTLR_ENABLE_GRP1);
        self.wait_rwp();
    }

    fn rd(&self, core: usize) -> Option<(&'static GicrRd, &'static GicrSgi)> {
        let base = *self.redist.get(core)?;
        // SAFETY: `base` is a redistributor frame found by its TYPER in a
        // region the device tree gives, mapped as device memory; the SGI
        // frame follows RD_base at 64 KiB.
        unsafe {
            Some((
                &*(base as *const GicrRd),
                &*((base + 0x1_0000) as *const GicrSgi),
            ))
        }
    }

    pub fn init_cpu(&self, core: usize) {
        if let Some((rd, sgi)) = self.rd(core) {
            rd.waker.set(rd.waker.get() & !WAKER_PROCESSOR_SLEEP);
            for _ in 0..SPIN_LIMIT {
                if rd.waker.get() & WAKER_CHILDREN_ASLEEP == 0 {
                    break;
                }
            }
            sgi.igroupr0.set(u32::MAX);
            sgi.icenabler0.set(u32::MAX);
            sgi.icpendr0.set(u32::MAX);
            sgi.icactiver0.set(u32::MAX);
            for p in sgi.ipriorityr.iter() {
                p.set(u32::from_ne_bytes([PRIORITY; 4]));
            }
            sgi.isenabler0
                .set((1 << KICK_SGI) | (1 << MAINTENANCE_PPI) | (1 << HYP_TIMER_PPI));
        }
        // System register interface on, EL1 may use it too (Enable), and
        // it stays on (SRE): the guest's ICC_* accesses go to ICV_*.
        sys::set_icc_sre_el2(0xF);
        sys::set_icc_pmr(0xFF);
        sys::set_icc_ctlr(1 << 1); // EOImode: EOIR drops priority only
        sys::set_icc_igrpen1(1);
        sys::set_ich_hcr(1); // En: the virtual CPU interface is on
    }

    pub fn send_sgi(&self, intid: u32, core: usize) {
        if let Some(&mpidr) = self.mpidrs.get(core) {
            sys::send_sgi(intid, mpidr, 1 << (mpidr & 0xF));
        }
    }

    /// Enables or disables an SPI and waits until the distributor has
    /// applied it (GICD_CTLR.RWP).
    pub fn set_spi_enabled(&self, intid: u32, enabled: bool) {
        self.gicd.set_enabled(intid, enabled);
        self.wait_rwp();
    }

    pub fn route(&self, intid: u32, core: usize) {
        if let (Some(r), Some(&mpidr)) = (
            self.gicd.irouter.get((intid as usize).wrapping_sub(32)),
            self.mpidrs.get(core),
        ) {
            r.set(mpidr & 0xFF_00FF_FFFF);
        }
    }

    pub fn clear_ppi_active(&self, core: usize, intid: u32) {
        if let Some((_, sgi)) = self.rd(core) {
            sgi.icactiver0.set(1 << (intid % 32));
        }
    }

    pub fn set_ppi_enabled(&self, core: usize, intid: u32, enabled: bool) {
        if let Some((_, sgi)) = self.rd(core) {
            if enabled {
                sgi.isenabler0.set(1 << (intid % 32));
            } else {
                sgi.icenabler0.set(1 << (intid % 32));
            }
        }
    }
}

/// The RD_base of the frame with `affinity` in `region`, if any.
fn find_frame(region: &MemRange, affinity: u64) -> Option<usize> {
    let mut at = region.base.0 as usize;
    let end = region.end() as usize;
    while at + GICR_FRAME <= end {
        // SAFETY: `at` is inside a redistributor region from the device
        // tree, mapped as device memory; GICR_TYPER has no read effects.
        let typer = unsafe { (*(at as *const GicrRd)).typer.get() };
        if typer >> 32 == affinity {
            return Some(at);
        }
        if typer & TYPER_LAST != 0 {
            return None;
        }
        at += if typer & TYPER_VLPIS != 0 {
            GICR_FRAME_V4
        } else {
            GICR_FRAME
        };
    }
    None
}

pub fn ack() -> u32 {
    sys::ack()
}

pub fn eoi(intid: u32) {
    sys::eoi(intid)
}

pub fn deactivate(intid: u32) {
    sys::deactivate(intid)
}

pub fn lr_count() -> usize {
    ((sys::ich_vtr() & 0x1F) + 1) as usize
}
