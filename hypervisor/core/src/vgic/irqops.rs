//! The per-interrupt register families (one, two or eight bits per
//! interrupt) shared by the distributor and the redistributors: what a
//! field reads as and what writing it does.

use super::access::{shl, shr, Fields};
use super::config::{GicVersion, FIRST_SPI};
use super::effect::Effects;
use super::irqcfg::PRIORITY_MASK;
use super::model::{IrqRef, Vgic};
use super::regmap::Reg;

/// Which bank of SGI/PPI registers an access goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bank {
    /// The distributor, accessed by `vcpu` (GICv2 banks INTIDs 0..31 per
    /// vCPU; GICv3 has none there).
    Dist { vcpu: usize },
    /// The redistributor frame of `vcpu` (GICv3).
    Redist { vcpu: usize },
}

/// Bits per interrupt of a per-interrupt family, `None` for the others.
pub(crate) fn field_bits(reg: Reg) -> Option<u32> {
    match reg {
        Reg::Igroupr
        | Reg::Isenabler
        | Reg::Icenabler
        | Reg::Ispendr
        | Reg::Icpendr
        | Reg::Isactiver
        | Reg::Icactiver => Some(1),
        Reg::Icfgr => Some(2),
        Reg::Ipriorityr | Reg::Itargetsr => Some(8),
        _ => None,
    }
}

impl Vgic {
    /// The interrupt `intid` names through `bank`, if the partition owns it
    /// and the bank can reach it.
    pub(crate) fn resolve(&self, bank: Bank, intid: u32) -> Option<IrqRef> {
        match bank {
            Bank::Dist { vcpu } if intid < FIRST_SPI => (self.config.version == GicVersion::V2
                && vcpu < self.config.vcpus)
                .then_some(IrqRef::Private { vcpu, intid }),
            Bank::Dist { .. } => self.spi_slot(intid).map(|slot| IrqRef::Spi { slot }),
            Bank::Redist { vcpu } => (intid < FIRST_SPI && vcpu < self.config.vcpus)
                .then_some(IrqRef::Private { vcpu, intid }),
        }
    }

    fn accessor(bank: Bank) -> usize {
        match bank {
            Bank::Dist { vcpu } | Bank::Redist { vcpu } => vcpu,
        }
    }

    /// Reads `size` bytes at `rel` of a per-interrupt family.
    pub(crate) fn read_fields(&self, bank: Bank, reg: Reg, rel: u64, size: u8) -> u64 {
        let Some(fields) = field_bits(reg).and_then(|b| Fields::new(rel, size, b)) else {
            return 0;
        };
        let mut value = 0;
        for (intid, shift) in fields.iter() {
            if let Some(r) = self.resolve(bank, intid) {
                let field = self.read_field(reg, r, Self::accessor(bank)) & fields.mask();
                value |= shl(field, shift);
            }
        }
        value
    }

    /// Writes `size` bytes at `rel` of a per-interrupt family.
    pub(crate) fn write_fields(
        &mut self,
        bank: Bank,
        reg: Reg,
        rel: u64,
        size: u8,
        value: u64,
        fx: &mut Effects,
    ) {
        let Some(fields) = field_bits(reg).and_then(|b| Fields::new(rel, size, b)) else {
            return;
        };
        for (intid, shift) in fields.iter() {
            if let Some(r) = self.resolve(bank, intid) {
                let field = shr(value, shift) & fields.mask();
                self.write_field(reg, r, field, Self::accessor(bank), fx);
            }
        }
    }

    fn read_field(&self, reg: Reg, r: IrqRef, accessor: usize) -> u64 {
        let Some(cfg) = self.cfg(r) else { return 0 };
        let Some(intid) = self.intid_of(r) else {
            return 0;
        };
        let irqs = self.vcpu_irqs(self.home(r));
        match reg {
            Reg::Igroupr => u64::from(cfg.group1),
            Reg::Isenabler | Reg::Icenabler => u64::from(cfg.enabled),
            Reg::Ispendr | Reg::Icpendr => {
                u64::from(irqs.is_some_and(|q| q.is_pending(intid, cfg.edge)))
            }
            Reg::Isactiver | Reg::Icactiver => u64::from(irqs.is_some_and(|q| q.is_active(intid))),
            Reg::Ipriorityr => u64::from(cfg.priority),
            Reg::Itargetsr => self.targets_field(r, accessor),
            // Int_config bit 1: edge-triggered.
            Reg::Icfgr => shl(u64::from(cfg.edge), 1),
            _ => 0,
        }
    }

    /// GICD_ITARGETSR (GICv2 only): SGIs/PPIs read as the accessing vCPU's
    /// own bit; a one-vCPU partition reads zero everywhere (uniprocessor).
    fn targets_field(&self, r: IrqRef, accessor: usize) -> u64 {
        if self.config.vcpus <= 1 || self.config.version != GicVersion::V2 {
            return 0;
        }
        match r {
            IrqRef::Private { .. } => shl(1, u32::try_from(accessor).unwrap_or(u32::MAX)),
            IrqRef::Spi { slot } => self.spis.get(slot).map_or(0, |s| u64::from(s.targets)),
        }
    }

    fn write_field(&mut self, reg: Reg, r: IrqRef, field: u64, accessor: usize, fx: &mut Effects) {
        let set = field & 1 != 0;
        match reg {
            Reg::Igroupr => self.update_cfg(r, fx, |c| c.group1 = set),
            Reg::Isenabler if set => self.set_enable(r, true, fx),
            Reg::Icenabler if set => self.set_enable(r, false, fx),
            Reg::Ispendr if set => self.set_pending(r, true, fx),
            Reg::Icpendr if set => self.set_pending(r, false, fx),
            Reg::Isactiver if set => self.set_active(r, true, accessor, fx),
            Reg::Icactiver if set => self.set_active(r, false, accessor, fx),
            Reg::Ipriorityr => {
                let p = (field & 0xFF) as u8 & PRIORITY_MASK;
                self.update_cfg(r, fx, |c| c.priority = p);
            }
            Reg::Itargetsr => self.write_targets(r, field, fx),
            Reg::Icfgr => self.write_config(r, field & 0b10 != 0, fx),
            _ => {}
        }
    }

    /// Changes configuration that only matters at delivery; kicks the vCPU
    /// holding the interrupt's state if it has any.
    pub(crate) fn update_cfg(
        &mut self,
        r: IrqRef,
        fx: &mut Effects,
        f: impl FnOnce(&mut super::irqcfg::IrqCfg),
    ) {
        let Some(cfg) = self.cfg_mut(r) else { return };
        let old = *cfg;
        f(cfg);
        let changed = *cfg != old;
        if changed {
            self.kick_if_held(r, fx);
        }
    }

    pub(crate) fn kick_if_held(&self, r: IrqRef, fx: &mut Effects) {
        let home = self.home(r);
        let held = self
            .intid_of(r)
            .is_some_and(|i| self.vcpu_irqs(home).is_some_and(|q| q.has(i)));
        if held {
            fx.kick(home);
        }
    }
}
