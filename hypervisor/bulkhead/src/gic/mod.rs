//! The physical interrupt controller, as Bulkhead drives it at EL2.
//!
//! Bulkhead owns the distributor. Every interrupt is group 1, priority
//! [`PRIORITY`], disabled until a partition that owns it enables it through
//! its emulated distributor. EOImode is 1 everywhere: acknowledging and
//! writing EOI only drops the running priority; the interrupt stays active
//! until Bulkhead deactivates it, or until the guest does so through a
//! hardware-linked list register (passed-through SPIs and the virtual
//! timer), which saves a trap per interrupt.

mod regs;
mod v2;
mod v3;

use bulkhead_core::hw::{Gic as GicHw, Hardware};
use spin::Once;

/// The one priority Bulkhead gives physical interrupts.
pub const PRIORITY: u8 = 0xA0;
/// SGI Bulkhead sends a core to make it look at its vCPU's pending
/// interrupts or its mailbox.
pub const KICK_SGI: u32 = 8;
/// INTIDs 1020-1023 mean "nothing to acknowledge".
pub const SPURIOUS: u32 = 1020;

pub enum Gic {
    V2(v2::GicV2),
    V3(v3::GicV3),
}

static GIC: Once<Gic> = Once::new();

#[derive(Clone, Copy, Debug)]
pub enum GicError {
    NoGic,
    NoRedistributor { mpidr: u64 },
    Unmapped,
}

impl core::fmt::Display for GicError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            GicError::NoGic => write!(
                f,
                "the device tree lists no interrupt controller Bulkhead drives"
            ),
            GicError::NoRedistributor { mpidr } => {
                write!(f, "no GICv3 redistributor frame has affinity {mpidr:#x}")
            }
            GicError::Unmapped => write!(
                f,
                "GICv2 without GICH/GICV frames: no virtualization support"
            ),
        }
    }
}

/// Sets up the distributor. Boot core, once, before the others start.
pub fn init(hw: &Hardware, core_mpidrs: &[u64]) -> Result<&'static Gic, GicError> {
    let gic = match &hw.gic {
        Some(GicHw::V3 {
            distributor,
            redistributors,
            ..
        }) => Gic::V3(v3::GicV3::new(
            distributor.base.0 as usize,
            redistributors,
            core_mpidrs,
        )?),
        Some(GicHw::V2 {
            distributor,
            cpu_interface,
            hyp_interface: Some(h),
            virt_cpu_interface: Some(_),
            ..
        }) => Gic::V2(v2::GicV2::new(
            distributor.base.0 as usize,
            cpu_interface.base.0 as usize,
            h.base.0 as usize,
        )),
        Some(GicHw::V2 { .. }) => return Err(GicError::Unmapped),
        None => return Err(GicError::NoGic),
    };
    let gic = GIC.call_once(|| gic);
    match gic {
        Gic::V2(g) => g.init_distributor(),
        Gic::V3(g) => g.init_distributor(),
    }
    Ok(gic)
}

pub fn get() -> Option<&'static Gic> {
    GIC.get()
}

impl Gic {
    /// The distributor, whose enable, pending, active and trigger bits
    /// both versions program alike ([`regs::Gicd`]).
    fn distributor(&self) -> &'static regs::Gicd {
        match self {
            Gic::V2(g) => g.gicd,
            Gic::V3(g) => g.gicd,
        }
    }

    /// Sets up this core's interface (and redistributor). Every core.
    pub fn init_cpu(&self, core: usize) {
        match self {
            Gic::V2(g) => g.init_cpu(core),
            Gic::V3(g) => g.init_cpu(core),
        }
    }

    /// Acknowledges the highest-priority pending interrupt and drops its
    /// priority; `None` if spurious.
    pub fn ack(&self) -> Option<u32> {
        let intid = match self {
            Gic::V2(g) => g.ack(),
            Gic::V3(_) => v3::ack(),
        };
        if intid >= SPURIOUS {
            return None;
        }
        match self {
            Gic::V2(g) => g.eoi(intid),
            Gic::V3(_) => v3::eoi(intid),
        }
        Some(intid)
    }

    pub fn deactivate(&self, intid: u32) {
        match self {
            Gic::V2(g) => g.deactivate(intid),
            Gic::V3(_) => v3::deactivate(intid),
        }
    }

    /// Makes logical core `core` take an IRQ to EL2.
    pub fn kick(&self, core: usize) {
        match self {
            Gic::V2(g) => g.send_sgi(KICK_SGI, core),
            Gic::V3(g) => g.send_sgi(KICK_SGI, core),
        }
    }

    pub fn set_spi_enabled(&self, intid: u32, enabled: bool) {
        match self {
            Gic::V2(g) => g.gicd.set_enabled(intid, enabled),
            Gic::V3(g) => g.set_spi_enabled(intid, enabled),
        }
    }

    pub fn set_spi_edge(&self, intid: u32, edge: bool) {
        self.distributor().set_edge(intid, edge);
    }

    pub fn route_spi(&self, intid: u32, core: usize) {
        match self {
            Gic::V2(g) => g.route(intid, core),
            Gic::V3(g) => g.route(intid, core),
        }
    }

    pub fn set_spi_pending(&self, intid: u32, pending: bool) {
        self.distributor().set_pending(intid, pending);
    }

    pub fn set_spi_active(&self, intid: u32, active: bool) {
        self.distributor().set_active(intid, active);
    }

    /// Writes the virtual interface control register (ICH_HCR_EL2 /
    /// GICH_HCR): En, UIE, NPIE as the list register plan says.
    pub fn set_hcr(&self, hcr: u32) {
        match self {
            Gic::V2(g) => g.set_hcr(hcr),
            Gic::V3(_) => crate::arch::gicv3::set_ich_hcr(u64::from(hcr)),
        }
    }

    /// Resets this core's virtual CPU interface (VMCR, active priorities)
    /// for a vCPU that starts from reset.
    pub fn reset_virtual_interface(&self) {
        match self {
            Gic::V2(g) => g.reset_virtual_interface(),
            Gic::V3(_) => {
                crate::arch::gicv3::set_ich_vmcr(0);
                crate::arch::gicv3::set_ich_ap0r0(0);
                crate::arch::gicv3::set_ich_ap1r0(0);
                crate::arch::gicv3::set_ich_hcr(1);
            }
        }
    }

    /// This core's virtual CPU interface control state (VMCR, active
    /// priorities), for a snapshot. The list registers are folded into the
    /// vGIC model instead, so none are recorded.
    pub fn save_cpu_interface(&self) -> bulkhead_core::snapshot::GicCpuState {
        use bulkhead_core::snapshot::{GicCpuState, GicVersion};
        let (version, vmcr, ap0, ap1) = match self {
            Gic::V2(g) => (GicVersion::V2, g.vmcr(), g.apr(), 0),
            Gic::V3(_) => (
                GicVersion::V3,
                crate::arch::gicv3::ich_vmcr() as u32,
                crate::arch::gicv3::ich_ap0r0() as u32,
                crate::arch::gicv3::ich_ap1r0() as u32,
            ),
        };
        GicCpuState {
            version,
            hcr: 1,
            vmcr,
            ap0r: [ap0, 0, 0, 0],
            ap1r: [ap1, 0, 0, 0],
            lrs: alloc::vec::Vec::new(),
        }
    }

    /// Puts a saved virtual CPU interface state back on this core.
    pub fn load_cpu_interface(&self, s: &bulkhead_core::snapshot::GicCpuState) {
        match self {
            Gic::V2(g) => g.load_cpu_interface(s.vmcr, s.ap0r[0]),
            Gic::V3(_) => {
                crate::arch::gicv3::set_ich_vmcr(u64::from(s.vmcr));
                crate::arch::gicv3::set_ich_ap0r0(u64::from(s.ap0r[0]));
                crate::arch::gicv3::set_ich_ap1r0(u64::from(s.ap1r[0]));
            }
        }
    }

    /// Clears a PPI's active state on logical core `core` (v2: the calling
    /// core's banked copy).
    pub fn clear_ppi_active(&self, core: usize, intid: u32) {
        match self {
            Gic::V2(g) => g.gicd.set_active(intid, false),
            Gic::V3(g) => g.clear_ppi_active(core, intid),
        }
    }

    /// Enables or masks a PPI on logical core `core`.
    pub fn set_ppi_enabled(&self, core: usize, intid: u32, enabled: bool) {
        match self {
            Gic::V2(g) => g.gicd.set_enabled(intid, enabled), // banked: only on the calling core
            Gic::V3(g) => g.set_ppi_enabled(core, intid, enabled),
        }
    }

    /// Number of list registers of this core's virtual interface.
    pub fn lr_count(&self) -> usize {
        match self {
            Gic::V2(g) => g.lr_count(),
            Gic::V3(_) => v3::lr_count(),
        }
    }

    pub fn read_lr(&self, n: usize) -> u64 {
        match self {
            Gic::V2(g) => u64::from(g.read_lr(n)),
            Gic::V3(_) => crate::arch::gicv3::read_lr(n),
        }
    }

    pub fn write_lr(&self, n: usize, value: u64) {
        match self {
            Gic::V2(g) => g.write_lr(n, value as u32),
            Gic::V3(_) => crate::arch::gicv3::write_lr(n, value),
        }
    }

    pub fn version(&self) -> u8 {
        match self {
            Gic::V2(_) => 2,
            Gic::V3(_) => 3,
        }
    }
}
