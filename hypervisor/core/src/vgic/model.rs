//! The [`Vgic`] of one partition: configuration state of every interrupt it
//! owns, the per-vCPU banks, routing, and the entry points that are not
//! register accesses (hardware injection, virtual lines, list register
//! fill).

use alloc::vec::Vec;

use super::config::{GicVersion, VgicConfig, FIRST_SPI};
use super::error::VgicError;
use super::fill::{IrqAttrs, IrqLookup};
use super::ids::{CTLR_ENABLE_GRP0, CTLR_ENABLE_GRP1};
use super::irqcfg::{CpuBank, IrqCfg, SpiSlot, IROUTER_IRM};
use super::pending::VcpuIrqs;
use crate::psci::target_vcpu;

/// A partition's virtual GIC (distributor, redistributors, pending state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vgic {
    pub(crate) config: VgicConfig,
    /// GICD_CTLR group enables (EnableGrp0, EnableGrp1).
    pub(crate) ctlr: u32,
    /// Owned SPIs sorted by INTID.
    pub(crate) spis: Vec<SpiSlot>,
    pub(crate) cpus: Vec<CpuBank>,
}

/// An interrupt a register access may touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IrqRef {
    /// SGI or PPI `intid` of `vcpu`.
    Private { vcpu: usize, intid: u32 },
    /// The owned SPI at `slot` in [`Vgic::spis`].
    Spi { slot: usize },
}

/// The vCPU an SPI is delivered to, from its routing register: GICv3
/// IROUTER affinity (1-of-N picks vCPU 0), GICv2 the lowest vCPU in the
/// ITARGETSR mask (a one-vCPU partition has no ITARGETSR: always vCPU 0).
/// `None`: the route names no vCPU of the partition.
pub(crate) fn route_of(version: GicVersion, vcpus: usize, slot: &SpiSlot) -> Option<usize> {
    match version {
        GicVersion::V3 if slot.irouter & IROUTER_IRM != 0 => Some(0),
        GicVersion::V3 => target_vcpu(slot.irouter, vcpus),
        GicVersion::V2 if vcpus == 1 => Some(0),
        GicVersion::V2 => {
            let first = slot.targets.trailing_zeros();
            let v = usize::try_from(first).ok()?;
            (v < vcpus).then_some(v)
        }
    }
}

/// Whether GICD_CTLR enables the group.
pub(crate) fn group_enabled(ctlr: u32, group1: bool) -> bool {
    let bit = if group1 {
        CTLR_ENABLE_GRP1
    } else {
        CTLR_ENABLE_GRP0
    };
    ctlr & bit != 0
}

/// The configuration a vCPU's fill looks at.
pub(crate) struct View<'a> {
    pub version: GicVersion,
    pub vcpus: usize,
    pub vcpu: usize,
    pub ctlr: u32,
    pub spis: &'a [SpiSlot],
    pub private: &'a [IrqCfg; 32],
}

impl IrqLookup for View<'_> {
    fn attrs(&self, intid: u32) -> Option<IrqAttrs> {
        let (cfg, routed) = if intid < FIRST_SPI {
            (*self.private.get(usize::try_from(intid).ok()?)?, true)
        } else {
            let at = self.spis.binary_search_by_key(&intid, |s| s.intid).ok()?;
            let slot = self.spis.get(at)?;
            let routed = route_of(self.version, self.vcpus, slot) == Some(self.vcpu);
            (slot.cfg, routed)
        };
        Some(IrqAttrs {
            priority: cfg.priority,
            group1: cfg.group1,
            edge: cfg.edge,
            deliverable: cfg.enabled && routed && group_enabled(self.ctlr, cfg.group1),
        })
    }
}

impl Vgic {
    /// A virtual GIC in its reset state.
    pub fn new(config: VgicConfig) -> Result<Self, VgicError> {
        config.validate()?;
        let mut spis: Vec<SpiSlot> = config
            .spis
            .iter()
            .map(|s| SpiSlot::new(config.version, *s))
            .collect();
        spis.sort_by_key(|s| s.intid);
        let cpus = (0..config.vcpus)
            .map(|_| CpuBank::new(config.version))
            .collect();
        Ok(Self {
            config,
            ctlr: 0,
            spis,
            cpus,
        })
    }

    pub fn config(&self) -> &VgicConfig {
        &self.config
    }

    pub fn version(&self) -> GicVersion {
        self.config.version
    }

    pub fn vcpus(&self) -> usize {
        self.config.vcpus
    }

    /// The pending/active interrupts of `vcpu`.
    pub fn vcpu_irqs(&self, vcpu: usize) -> Option<&VcpuIrqs> {
        self.cpus.get(vcpu).map(|c| &c.irqs)
    }

    pub(crate) fn spi_slot(&self, intid: u32) -> Option<usize> {
        self.spis.binary_search_by_key(&intid, |s| s.intid).ok()
    }

    pub(crate) fn cfg(&self, r: IrqRef) -> Option<IrqCfg> {
        match r {
            IrqRef::Private { vcpu, intid } => self
                .cpus
                .get(vcpu)?
                .private
                .get(usize::try_from(intid).ok()?)
                .copied(),
            IrqRef::Spi { slot } => self.spis.get(slot).map(|s| s.cfg),
        }
    }

    pub(crate) fn cfg_mut(&mut self, r: IrqRef) -> Option<&mut IrqCfg> {
        match r {
            IrqRef::Private { vcpu, intid } => self
                .cpus
                .get_mut(vcpu)?
                .private
                .get_mut(usize::try_from(intid).ok()?),
            IrqRef::Spi { slot } => self.spis.get_mut(slot).map(|s| &mut s.cfg),
        }
    }

    pub(crate) fn intid_of(&self, r: IrqRef) -> Option<u32> {
        match r {
            IrqRef::Private { intid, .. } => Some(intid),
            IrqRef::Spi { slot } => self.spis.get(slot).map(|s| s.intid),
        }
    }

    pub(crate) fn route(&self, slot: usize) -> Option<usize> {
        let s = self.spis.get(slot)?;
        route_of(self.config.version, self.config.vcpus, s)
    }

    /// A hardware SPI is physically enabled when the guest enabled it and
    /// its route names a vCPU.
    pub(crate) fn hw_live(&self, slot: usize) -> bool {
        self.spis.get(slot).is_some_and(|s| s.cfg.enabled) && self.route(slot).is_some()
    }

    /// The vCPU whose bank holds an interrupt's state: the vCPU itself for
    /// SGIs/PPIs; for an SPI the vCPU that already has an entry for it,
    /// else its route, else vCPU 0 (where an SPI routed nowhere waits).
    pub(crate) fn home(&self, r: IrqRef) -> usize {
        match r {
            IrqRef::Private { vcpu, .. } => vcpu,
            IrqRef::Spi { slot } => {
                let intid = self.spis.get(slot).map_or(0, |s| s.intid);
                self.cpus
                    .iter()
                    .position(|c| c.irqs.has(intid))
                    .or_else(|| self.route(slot))
                    .unwrap_or(0)
            }
        }
    }

    pub(crate) fn irqs_mut(&mut self, vcpu: usize) -> Option<&mut VcpuIrqs> {
        self.cpus.get_mut(vcpu).map(|c| &mut c.irqs)
    }
}
