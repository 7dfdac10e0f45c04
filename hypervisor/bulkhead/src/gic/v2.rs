//! GICv2 (QEMU virt with gic-version=2, the Pi 4's GIC-400): everything by
//! MMIO; the virtual interface control (GICH) is banked per core.

use super::regs::{Gicc, Gicd, Gich};
use super::{KICK_SGI, PRIORITY};
use crate::arch::MAX_CPUS;
use core::sync::atomic::{AtomicU8, Ordering};
use tock_registers::interfaces::{Readable, Writeable};

const MAINTENANCE_PPI: u32 = 25;
const HYP_TIMER_PPI: u32 = 26;
/// GICD_TYPER.SecurityExtn: when set and we run non-secure, GICC_CTLR has
/// the non-secure layout.
const TYPER_SECURITY_EXTN: u32 = 1 << 10;

pub struct GicV2 {
    pub(super) gicd: &'static Gicd,
    gicc: &'static Gicc,
    gich: &'static Gich,
    /// Each logical core's CPU interface bit (GICD_ITARGETSR), learned on
    /// the core itself.
    targets: [AtomicU8; MAX_CPUS],
}

// SAFETY: MMIO register blocks at fixed addresses; GICC and GICH are
// banked per core, the distributor is accessed through per-interrupt
// set/clear registers or byte-wide fields.
unsafe impl Sync for GicV2 {}
// SAFETY: as above.
unsafe impl Send for GicV2 {}

impl GicV2 {
    pub fn new(gicd: usize, gicc: usize, gich: usize) -> Self {
        // SAFETY: the device tree names these frames; the EL2 map covers
        // them as device memory.
        unsafe {
            GicV2 {
                gicd: &*(gicd as *const Gicd),
                gicc: &*(gicc as *const Gicc),
                gich: &*(gich as *const Gich),
                targets: [const { AtomicU8::new(0) }; MAX_CPUS],
            }
        }
    }

    fn lines(&self) -> u32 {
        (((self.gicd.typer.get() & 0x1F) + 1) * 32).min(1020)
    }

    pub fn init_distributor(&self) {
        self.gicd.ctlr.set(0);
        let lines = self.lines();
        for i in 1..(lines / 32) as usize {
            if let (Some(ce), Some(cp)) = (self.gicd.icenabler.get(i), self.gicd.icpendr.get(i)) {
                ce.set(u32::MAX);
                cp.set(u32::MAX);
            }
        }
        for i in 8..(lines / 4) as usize {
            if let Some(p) = self.gicd.ipriorityr.get(i) {
                p.set(u32::from_ne_bytes([PRIORITY; 4]));
            }
        }
        // Enable both groups (without security extensions) or group 1
        // (non-secure view, where bit 1 is ignored).
        self.gicd.ctlr.set(0b11);
    }

    pub fn init_cpu(&self, core: usize) {
        let mine = (self.gicd.itargetsr.first().map(|r| r.get()).unwrap_or(0) & 0xFF) as u8;
        if let Some(t) = self.targets.get(core) {
            t.store(mine, Ordering::Release);
        }
        if let Some(r) = self.gicd.icenabler.first() {
            r.set(u32::MAX);
        }
        for i in 0..8 {
            if let Some(p) = self.gicd.ipriorityr.get(i) {
                p.set(u32::from_ne_bytes([PRIORITY; 4]));
            }
        }
        if let Some(r) = self.gicd.isenabler.first() {
            r.set((1 << KICK_SGI) | (1 << MAINTENANCE_PPI) | (1 << HYP_TIMER_PPI));
        }
        self.gicc.pmr.set(0xFF);
        let secure_split = self.gicd.typer.get() & TYPER_SECURITY_EXTN != 0;
        // Enable and EOImode: non-secure layout (bit 0 enable, bit 9
        // EOImodeNS), or the single-security layout (bits 0/1 enable the
        // groups, bits 9/10 EOImode for each).
        let ctlr = if secure_split {
            1 | (1 << 9)
        } else {
            0b11 | (1 << 9) | (1 << 10)
        };
        self.gicc.ctlr.set(ctlr);
        self.gich.hcr.set(1); // En
    }

    pub fn ack(&self) -> u32 {
        self.gicc.iar.get() & 0x3FF
    }

    pub fn eoi(&self, intid: u32) {
        self.gicc.eoir.set(intid);
    }

    pub fn deactivate(&self, intid: u32) {
        self.gicc.dir.set(intid);
    }

    pub fn send_sgi(&self, intid: u32, core: usize) {
        let mask = self
            .targets
            .get(core)
            .map(|t| t.load(Ordering::Acquire))
            .unwrap_or(0);
        if mask != 0 {
            self.gicd.sgir.set((u32::from(mask) << 16) | (intid & 0xF));
        }
    }

    pub fn route(&self, intid: u32, core: usize) {
        let mask = self
            .targets
            .get(core)
            .map(|t| t.load(Ordering::Acquire))
            .unwrap_or(0);
        let i = (intid / 4) as usize;
        let shift = (intid % 4) * 8;
        if let Some(r) = self.gicd.itargetsr.get(i) {
            let v = r.get() & !(0xFF << shift);
            r.set(v | (u32::from(mask) << shift));
        }
    }

    pub fn lr_count(&self) -> usize {
        ((self.gich.vtr.get() & 0x3F) + 1) as usize
    }

    pub fn read_lr(&self, n: usize) -> u32 {
        self.gich.lr.get(n).map(|r| r.get()).unwrap_or(0)
    }

    pub fn write_lr(&self, n: usize, v: u32) {
        if let Some(r) = self.gich.lr.get(n) {
            r.set(v);
        }
    }

    pub fn set_hcr(&self, hcr: u32) {
        self.gich.hcr.set(hcr);
    }

    pub fn vmcr(&self) -> u32 {
        self.gich.vmcr.get()
    }

    pub fn apr(&self) -> u32 {
        self.gich.apr.get()
    }

    pub fn load_cpu_interface(&self, vmcr: u32, apr: u32) {
        self.gich.vmcr.set(vmcr);
        self.gich.apr.set(apr);
    }

    pub fn reset_virtual_interface(&self) {
        self.gich.vmcr.set(0);
        self.gich.apr.set(0);
        self.gich.hcr.set(1);
    }
}
