//! What writing a per-interrupt field does beyond storing it: enables,
//! pending and active changes, trigger mode and routing, and the effects
//! they have on hardware SPIs, PPIs and other vCPUs.

use super::access::shl;
use super::config::GicVersion;
use super::effect::{Effect, Effects};
use super::irqcfg::SpiSlot;
use super::model::{IrqRef, Vgic};

impl Vgic {
    pub(crate) fn set_enable(&mut self, r: IrqRef, enabled: bool, fx: &mut Effects) {
        let Some(old) = self.cfg(r) else { return };
        if old.enabled == enabled {
            return;
        }
        let was_live = matches!(r, IrqRef::Spi { slot } if self.hw_live(slot));
        if let Some(c) = self.cfg_mut(r) {
            c.enabled = enabled;
        }
        match r {
            IrqRef::Private { vcpu, intid } if intid >= 16 => {
                fx.push(Effect::PpiEnable {
                    vcpu,
                    intid,
                    enabled,
                });
            }
            IrqRef::Spi { slot } => {
                let live = self.hw_live(slot);
                if let Some(s) = self
                    .spis
                    .get(slot)
                    .filter(|s| s.is_hw() && live != was_live)
                {
                    fx.push(Effect::HwEnable {
                        intid: s.intid,
                        enabled: live,
                    });
                }
            }
            IrqRef::Private { .. } => {}
        }
        self.kick_if_held(r, fx);
    }

    pub(crate) fn set_pending(&mut self, r: IrqRef, pending: bool, fx: &mut Effects) {
        let Some(intid) = self.intid_of(r) else {
            return;
        };
        let version = self.config.version;
        // GICv2 SGIs are pended per source through GICD_SPENDSGIR/CPENDSGIR.
        if version == GicVersion::V2 && intid < 16 {
            return;
        }
        let hw_spi =
            matches!(r, IrqRef::Spi { slot } if self.spis.get(slot).is_some_and(|s| s.is_hw()));
        if hw_spi {
            fx.push(Effect::HwPending { intid, pending });
            if pending {
                return;
            }
        }
        let home = self.home(r);
        let Some(irqs) = self.irqs_mut(home) else {
            return;
        };
        let changed = if pending {
            irqs.pend(intid, None, false)
        } else {
            let out = irqs.unpend(intid);
            if out.dropped_hw {
                fx.push(Effect::HwDeactivate { vcpu: home, intid });
            }
            out.changed
        };
        if changed {
            fx.kick(home);
        }
    }

    pub(crate) fn set_active(
        &mut self,
        r: IrqRef,
        active: bool,
        accessor: usize,
        fx: &mut Effects,
    ) {
        let Some(intid) = self.intid_of(r) else {
            return;
        };
        if let IrqRef::Spi { slot } = r {
            if self.spis.get(slot).is_some_and(|s| s.is_hw()) {
                fx.push(Effect::HwActive { intid, active });
                return;
            }
        }
        let source = (self.config.version == GicVersion::V2 && intid < 16)
            .then(|| u8::try_from(accessor).ok())
            .flatten();
        let home = self.home(r);
        let Some(out) = self
            .irqs_mut(home)
            .map(|q| q.set_active(intid, source, active))
        else {
            return;
        };
        if out.dropped_hw {
            fx.push(Effect::HwDeactivate { vcpu: home, intid });
        }
        if out.changed {
            fx.kick(home);
        }
    }

    pub(crate) fn write_config(&mut self, r: IrqRef, edge: bool, fx: &mut Effects) {
        let Some(intid) = self.intid_of(r) else {
            return;
        };
        if intid < 16 {
            return; // SGIs are always edge-triggered.
        }
        let Some(old) = self.cfg(r) else { return };
        if old.edge == edge {
            return;
        }
        if let Some(c) = self.cfg_mut(r) {
            c.edge = edge;
        }
        if let IrqRef::Spi { slot } = r {
            if self.spis.get(slot).is_some_and(|s| s.is_hw()) {
                fx.push(Effect::HwTrigger { intid, edge });
            }
        }
        self.kick_if_held(r, fx);
    }

    /// GICD_ITARGETSR byte of a GICv2 SPI (SGI/PPI bytes are read-only).
    pub(crate) fn write_targets(&mut self, r: IrqRef, field: u64, fx: &mut Effects) {
        let IrqRef::Spi { slot } = r else { return };
        let vcpus = self.config.vcpus;
        if self.config.version != GicVersion::V2 || vcpus <= 1 {
            return;
        }
        let valid = shl(1, u32::try_from(vcpus).unwrap_or(8)).wrapping_sub(1) & 0xFF;
        let targets = (field & valid) as u8;
        self.reroute(slot, fx, |s| s.targets = targets);
    }

    /// Changes an SPI's routing register, then re-programs the hardware
    /// SPI (route, enable) and moves waiting state to the new vCPU.
    pub(crate) fn reroute(&mut self, slot: usize, fx: &mut Effects, f: impl FnOnce(&mut SpiSlot)) {
        let old_route = self.route(slot);
        let was_live = self.hw_live(slot);
        let Some(s) = self.spis.get_mut(slot) else {
            return;
        };
        f(s);
        let (intid, hw) = (s.intid, s.is_hw());
        let new_route = self.route(slot);
        if new_route == old_route {
            return;
        }
        if hw {
            if let Some(vcpu) = new_route {
                fx.push(Effect::HwRoute { intid, vcpu });
            }
            let live = self.hw_live(slot);
            if live != was_live {
                fx.push(Effect::HwEnable {
                    intid,
                    enabled: live,
                });
            }
        }
        let home = self.home(IrqRef::Spi { slot });
        fx.extend(self.migrate_from(home));
    }
}
