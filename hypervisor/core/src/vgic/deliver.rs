//! The entry points that are not register accesses: a physical interrupt
//! handed over by the hypervisor, an emulated device's line, the list
//! register fill and sync, SPI migration and the hardware programming that
//! matches the model.

use alloc::vec::Vec;

use super::config::FIRST_SPI;
use super::effect::{Effect, Effects};
use super::fill::LrPlan;
use super::irqcfg::CpuBank;
use super::model::{IrqRef, Vgic, View};

impl Vgic {
    /// A physical interrupt the hypervisor took at EL2 on the core running
    /// `vcpu` (already acknowledged, priority dropped, still active).
    /// PPIs go to `vcpu`; an owned hardware SPI goes to the vCPU it is
    /// routed to. `None`: not this partition's (an SGI, an SPI it does not
    /// own or a virtual one): the hypervisor deactivates it itself.
    pub fn inject_hw(&mut self, vcpu: usize, intid: u32) -> Option<Effects> {
        if vcpu >= self.config.vcpus || intid < 16 {
            return None;
        }
        let target = if intid < FIRST_SPI {
            vcpu
        } else {
            let slot = self.spi_slot(intid)?;
            if !self.spis.get(slot)?.is_hw() {
                return None;
            }
            self.home(IrqRef::Spi { slot })
        };
        let mut fx = Effects::new();
        if self.irqs_mut(target)?.pend(intid, None, true) {
            fx.kick(target);
        }
        Some(fx)
    }

    /// Drives the line of an owned virtual SPI (an emulated device's
    /// interrupt output). Level-sensitive: pending while high.
    /// Edge-triggered: a rising edge makes it pending. Anything else is
    /// ignored.
    pub fn set_level(&mut self, intid: u32, level: bool) -> Effects {
        let mut fx = Effects::new();
        let Some(slot) = self.spi_slot(intid) else {
            return fx;
        };
        let Some(s) = self.spis.get(slot) else {
            return fx;
        };
        if s.is_hw() {
            return fx;
        }
        let edge = s.cfg.edge;
        let home = self.home(IrqRef::Spi { slot });
        if let Some(irqs) = self.irqs_mut(home) {
            if irqs.set_line(intid, level, edge) {
                fx.kick(home);
            }
        }
        fx
    }

    /// Plans the list registers of `vcpu` (see [`super::fill`]) from the
    /// values the hypervisor read back. The effects kick vCPUs that
    /// received SPIs this vCPU can no longer take (re-routed).
    pub fn fill(&mut self, vcpu: usize, lrs: &[u64]) -> (LrPlan, Effects) {
        let version = self.config.version;
        let vcpus = self.config.vcpus;
        let ctlr = self.ctlr;
        let Some(bank) = self.cpus.get_mut(vcpu) else {
            return (LrPlan::default(), Effects::new());
        };
        let CpuBank { private, irqs, .. } = bank;
        let view = View {
            version,
            vcpus,
            vcpu,
            ctlr,
            spis: &self.spis,
            private,
        };
        let plan = irqs.fill(version, &view, lrs);
        let mut fx = Effects::new();
        for &intid in &plan.released_hw {
            fx.push(Effect::HwDeactivate { vcpu, intid });
        }
        fx.extend(self.migrate_from(vcpu));
        (plan, fx)
    }

    /// Folds `vcpu`'s list registers back into the model and forgets their
    /// placement (before a snapshot; the hypervisor then clears them). The
    /// effects deactivate hardware interrupts the guest gave up.
    pub fn sync(&mut self, vcpu: usize, lrs: &[u64]) -> Effects {
        let mut fx = Effects::new();
        let version = self.config.version;
        let vcpus = self.config.vcpus;
        let ctlr = self.ctlr;
        if let Some(bank) = self.cpus.get_mut(vcpu) {
            let CpuBank { private, irqs, .. } = bank;
            let view = View {
                version,
                vcpus,
                vcpu,
                ctlr,
                spis: &self.spis,
                private,
            };
            for intid in irqs.sync(version, &view, lrs) {
                fx.push(Effect::HwDeactivate { vcpu, intid });
            }
        }
        fx
    }

    /// Moves SPI entries of `vcpu` that no list register holds to the vCPU
    /// their route names now.
    pub(crate) fn migrate_from(&mut self, vcpu: usize) -> Effects {
        let mut fx = Effects::new();
        let intids: Vec<u32> = self
            .cpus
            .get(vcpu)
            .map(|c| {
                c.irqs
                    .entries()
                    .iter()
                    .filter(|e| e.intid >= FIRST_SPI && e.lr.is_none())
                    .map(|e| e.intid)
                    .collect()
            })
            .unwrap_or_default();
        for intid in intids {
            let Some(to) = self.spi_slot(intid).and_then(|s| self.route(s)) else {
                continue;
            };
            if to == vcpu {
                continue;
            }
            let moved = self.irqs_mut(vcpu).and_then(|q| q.take_unplaced(intid));
            if let (Some(entry), Some(dest)) = (moved, self.irqs_mut(to)) {
                dest.insert(entry);
                fx.kick(to);
            }
        }
        fx
    }

    /// Forgets the pending and active state of the owned hardware SPI
    /// `intid` in every vCPU's queue: the device behind it has been reset
    /// (a restore with `reset_on_restore`), so whatever the model shadowed
    /// of it is stale. For a partition whose list registers hold nothing
    /// (its vCPUs held or not yet resumed); the hypervisor clears the
    /// physical pending and active state itself. Returns whether anything
    /// was forgotten; `false`, and no change, for any other INTID.
    pub fn forget_hw_spi(&mut self, intid: u32) -> bool {
        let owned_hw = self
            .spi_slot(intid)
            .and_then(|slot| self.spis.get(slot))
            .is_some_and(|s| s.is_hw());
        if !owned_hw {
            return false;
        }
        let mut forgot = false;
        for bank in &mut self.cpus {
            let before = bank.irqs.entries.len();
            bank.irqs.entries.retain(|e| e.intid != intid);
            forgot |= bank.irqs.entries.len() != before;
        }
        forgot
    }

    /// The physical programming of the partition's hardware SPIs that
    /// matches the model now: trigger, route and enable of each. The
    /// hypervisor applies it when the partition starts (the reset state:
    /// all disabled) and after a restore.
    pub fn hw_state(&self) -> Effects {
        let mut fx = Effects::new();
        for (slot, s) in self.spis.iter().enumerate().filter(|(_, s)| s.is_hw()) {
            fx.push(Effect::HwTrigger {
                intid: s.intid,
                edge: s.cfg.edge,
            });
            if let Some(vcpu) = self.route(slot) {
                fx.push(Effect::HwRoute {
                    intid: s.intid,
                    vcpu,
                });
            }
            fx.push(Effect::HwEnable {
                intid: s.intid,
                enabled: self.hw_live(slot),
            });
        }
        fx
    }
}
