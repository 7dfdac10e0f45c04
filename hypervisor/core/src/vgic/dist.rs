//! The distributor frame: decode an access with the register table, check
//! its width, dispatch.

use super::access::{permitted, shl, shr};
use super::config::GicVersion;
use super::effect::Effects;
use super::ids::{self, CTLR_ARE, CTLR_DS, CTLR_ENABLE_GRP0, CTLR_ENABLE_GRP1};
use super::irqcfg::IROUTER_MASK;
use super::irqops::{field_bits, Bank};
use super::model::Vgic;
use super::regmap::{fits, lookup, Reg, DIST_V2, DIST_V3};

impl Vgic {
    fn dist_table(&self) -> &'static [super::regmap::Span] {
        match self.config.version {
            GicVersion::V2 => DIST_V2,
            GicVersion::V3 => DIST_V3,
        }
    }

    /// A guest read of `size` bytes at `offset` in the distributor frame by
    /// `vcpu`. Reserved offsets, unsupported widths and interrupts the
    /// partition does not own read as zero.
    pub fn dist_read(&mut self, vcpu: usize, offset: u64, size: u8) -> u64 {
        if vcpu >= self.config.vcpus {
            return 0;
        }
        let Some((span, rel)) = lookup(self.dist_table(), offset) else {
            return 0;
        };
        if !permitted(span.widths, offset, size) || !fits(span, rel, size) {
            return 0;
        }
        let bank = Bank::Dist { vcpu };
        match span.reg {
            Reg::Ctlr => u64::from(self.gicd_ctlr()),
            Reg::Typer => u64::from(ids::gicd_typer(&self.config)),
            Reg::Iidr => u64::from(ids::IIDR),
            Reg::Pidr2 => u64::from(ids::pidr2(self.config.version)),
            Reg::Cidr => u64::from(ids::cidr(rel / 4)),
            Reg::Irouter => self.irouter_read(rel, size),
            Reg::Cpendsgir | Reg::Spendsgir => self.sgi_pending_read(vcpu, rel, size),
            reg if field_bits(reg).is_some() => self.read_fields(bank, reg, rel, size),
            // TYPER2, IGRPMODR and NSACR (RAZ/WI with DS = 1), SGIR
            // (write-only).
            _ => 0,
        }
    }

    /// A guest write of `size` bytes at `offset` in the distributor frame
    /// by `vcpu`. Whatever is not supported is ignored.
    pub fn dist_write(&mut self, vcpu: usize, offset: u64, size: u8, value: u64) -> Effects {
        let mut fx = Effects::new();
        if vcpu >= self.config.vcpus {
            return fx;
        }
        let Some((span, rel)) = lookup(self.dist_table(), offset) else {
            return fx;
        };
        if !permitted(span.widths, offset, size) || !fits(span, rel, size) {
            return fx;
        }
        let bank = Bank::Dist { vcpu };
        match span.reg {
            Reg::Ctlr => self.gicd_ctlr_write(value, &mut fx),
            Reg::Irouter => self.irouter_write(rel, size, value, &mut fx),
            Reg::Sgir => fx.extend(self.sgir_write(vcpu, value)),
            Reg::Spendsgir => self.sgi_pending_write(vcpu, rel, size, value, true, &mut fx),
            Reg::Cpendsgir => self.sgi_pending_write(vcpu, rel, size, value, false, &mut fx),
            reg if field_bits(reg).is_some() => {
                self.write_fields(bank, reg, rel, size, value, &mut fx)
            }
            _ => {}
        }
        fx
    }

    /// GICD_CTLR as read: the group enables, and on GICv3 ARE and DS fixed
    /// at one (RWP reads zero: writes take effect at once).
    fn gicd_ctlr(&self) -> u32 {
        match self.config.version {
            GicVersion::V2 => self.ctlr,
            GicVersion::V3 => self.ctlr | CTLR_ARE | CTLR_DS,
        }
    }

    fn gicd_ctlr_write(&mut self, value: u64, fx: &mut Effects) {
        let new = (value & u64::from(CTLR_ENABLE_GRP0 | CTLR_ENABLE_GRP1)) as u32;
        if new == self.ctlr {
            return;
        }
        self.ctlr = new;
        for (vcpu, c) in self.cpus.iter().enumerate() {
            if !c.irqs.is_empty() {
                fx.kick(vcpu);
            }
        }
    }

    /// `GICD_IROUTER<n>`: 64-bit, or 32 bits of either half.
    fn irouter_read(&self, rel: u64, size: u8) -> u64 {
        let Some(slot) = self.irouter_slot(rel) else {
            return 0;
        };
        let v = self.spis.get(slot).map_or(0, |s| s.irouter);
        match (size, rel & 4) {
            (8, _) => v,
            (_, 0) => v & 0xFFFF_FFFF,
            _ => shr(v, 32),
        }
    }

    fn irouter_write(&mut self, rel: u64, size: u8, value: u64, fx: &mut Effects) {
        let Some(slot) = self.irouter_slot(rel) else {
            return;
        };
        let old = self.spis.get(slot).map_or(0, |s| s.irouter);
        let new = match (size, rel & 4) {
            (8, _) => value,
            (_, 0) => (old & !0xFFFF_FFFF) | (value & 0xFFFF_FFFF),
            _ => (old & 0xFFFF_FFFF) | shl(value & 0xFFFF_FFFF, 32),
        } & IROUTER_MASK;
        self.reroute(slot, fx, |s| s.irouter = new);
    }

    fn irouter_slot(&self, rel: u64) -> Option<usize> {
        let intid = u32::try_from(rel / 8).ok()?;
        self.spi_slot(intid)
    }
}
