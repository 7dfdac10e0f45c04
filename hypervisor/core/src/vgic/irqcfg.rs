//! The configuration half of an interrupt: what the guest programmed in
//! the enable, priority, group and configuration registers, and for SPIs
//! the route. Pending and active state live in [`super::VcpuIrqs`].

use super::config::{GicVersion, OwnedSpi, SpiKind};
use super::pending::VcpuIrqs;

/// Priority bits the model keeps (5, like the virtual CPU interfaces of
/// QEMU and the GIC-400): the low 3 bits of IPRIORITYR read as zero.
pub(crate) const PRIORITY_MASK: u8 = 0xF8;

/// Bits of GICD_IROUTER the model keeps: Aff3 (39:32), Interrupt_Routing_Mode
/// (31), Aff2 (23:16), Aff1 (15:8), Aff0 (7:0).
pub(crate) const IROUTER_MASK: u64 = 0xFF_80FF_FFFF;
/// GICD_IROUTER.Interrupt_Routing_Mode: 1-of-N.
pub(crate) const IROUTER_IRM: u64 = 1 << 31;

/// Per-interrupt configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IrqCfg {
    pub enabled: bool,
    pub priority: u8,
    pub group1: bool,
    /// Edge-triggered (ICFGR Int_config bit 1); level-sensitive when false.
    pub edge: bool,
}

impl IrqCfg {
    /// Reset state. Group: 1 on GICv3 (Linux makes everything group 1,
    /// bare-metal code that skips IGROUPR then still gets IRQs rather than
    /// FIQs), 0 on GICv2 (what Linux's irq-gic.c runs with: it enables
    /// group 0 only). SGIs are enabled and edge-triggered, the rest
    /// disabled and level-sensitive.
    pub fn reset(version: GicVersion, intid: u32) -> Self {
        Self {
            enabled: intid < 16,
            priority: 0,
            group1: version == GicVersion::V3,
            edge: intid < 16,
        }
    }
}

/// One owned SPI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SpiSlot {
    pub intid: u32,
    pub kind: SpiKind,
    pub cfg: IrqCfg,
    /// GICv3: GICD_IROUTER (masked with [`IROUTER_MASK`]); reset routes to
    /// vCPU 0.
    pub irouter: u64,
    /// GICv2: GICD_ITARGETSR byte, bits for existing vCPUs only; reset
    /// targets vCPU 0.
    pub targets: u8,
}

impl SpiSlot {
    pub fn new(version: GicVersion, spi: OwnedSpi) -> Self {
        Self {
            intid: spi.intid,
            kind: spi.kind,
            cfg: IrqCfg::reset(version, spi.intid),
            irouter: 0,
            targets: 1,
        }
    }

    pub fn is_hw(&self) -> bool {
        self.kind == SpiKind::Hardware
    }
}

/// What each vCPU has of its own: its SGI/PPI configuration (banked GICD
/// registers on GICv2, the redistributor's SGI_base on GICv3), its
/// redistributor's WAKER state and its pending/active interrupts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CpuBank {
    pub private: [IrqCfg; 32],
    /// GICR_WAKER.ProcessorSleep (ChildrenAsleep follows it at once).
    pub sleeping: bool,
    pub irqs: VcpuIrqs,
}

impl CpuBank {
    pub fn new(version: GicVersion) -> Self {
        let mut private = [IrqCfg::reset(version, 0); 32];
        for (intid, cfg) in (0u32..).zip(private.iter_mut()) {
            *cfg = IrqCfg::reset(version, intid);
        }
        Self {
            private,
            sleeping: true,
            irqs: VcpuIrqs::new(),
        }
    }
}
