//! GICv3 redistributors: one 128 KiB frame pair per vCPU, contiguous and
//! in vCPU order (RD_base, then SGI_base at +64 KiB).

use super::access::{permitted, shr};
use super::config::GicVersion;
use super::effect::Effects;
use super::ids::{self, WAKER_CHILDREN_ASLEEP, WAKER_PROCESSOR_SLEEP};
use super::irqops::{field_bits, Bank};
use super::model::Vgic;
use super::regmap::{fits, lookup, Reg, RD_BASE, SGI_BASE};

/// Size of one vCPU's redistributor (RD_base + SGI_base).
pub const REDIST_FRAME: u64 = 0x2_0000;
/// Offset of SGI_base inside a vCPU's redistributor.
const SGI_BASE_OFFSET: u64 = 0x1_0000;

/// Maps an offset inside a `vcpus`-vCPU partition's redistributor region
/// to (vCPU, offset inside that vCPU's 128 KiB frame). `None` past the
/// last frame.
pub fn redist_locate(vcpus: usize, region_offset: u64) -> Option<(usize, u64)> {
    let vcpu = usize::try_from(region_offset / REDIST_FRAME).ok()?;
    (vcpu < vcpus).then_some((vcpu, region_offset % REDIST_FRAME))
}

impl Vgic {
    /// Size of the redistributor region the partition's device tree
    /// describes (zero on GICv2).
    pub fn redist_region_size(&self) -> u64 {
        match self.config.version {
            GicVersion::V2 => 0,
            GicVersion::V3 => u64::try_from(self.config.vcpus)
                .unwrap_or(0)
                .saturating_mul(REDIST_FRAME),
        }
    }

    /// [`redist_locate`] for this partition.
    pub fn redist_locate(&self, region_offset: u64) -> Option<(usize, u64)> {
        match self.config.version {
            GicVersion::V2 => None,
            GicVersion::V3 => redist_locate(self.config.vcpus, region_offset),
        }
    }

    /// A guest read of `size` bytes at `offset` inside the redistributor
    /// frame of `vcpu` (whichever vCPU accesses it).
    pub fn redist_read(&mut self, vcpu: usize, offset: u64, size: u8) -> u64 {
        let Some((sgi, span, rel)) = self.redist_decode(vcpu, offset, size) else {
            return 0;
        };
        if sgi {
            return match span.reg {
                reg if field_bits(reg).is_some() => {
                    self.read_fields(Bank::Redist { vcpu }, reg, rel, size)
                }
                // IGRPMODR0 and NSACR: RAZ/WI with DS = 1.
                _ => 0,
            };
        }
        match span.reg {
            Reg::Iidr => u64::from(ids::IIDR),
            Reg::Typer => {
                let v = ids::gicr_typer(vcpu, self.config.vcpus);
                match (size, rel) {
                    (8, _) => v,
                    (_, 0) => v & 0xFFFF_FFFF,
                    _ => shr(v, 32),
                }
            }
            Reg::Waker => u64::from(self.waker(vcpu)),
            Reg::Pidr2 => u64::from(ids::pidr2(GicVersion::V3)),
            Reg::Cidr => u64::from(ids::cidr(rel / 4)),
            // GICR_CTLR: no LPIs, RWP and UWP read zero.
            _ => 0,
        }
    }

    /// A guest write to the redistributor frame of `vcpu`.
    pub fn redist_write(&mut self, vcpu: usize, offset: u64, size: u8, value: u64) -> Effects {
        let mut fx = Effects::new();
        let Some((sgi, span, rel)) = self.redist_decode(vcpu, offset, size) else {
            return fx;
        };
        if sgi {
            if field_bits(span.reg).is_some() {
                self.write_fields(Bank::Redist { vcpu }, span.reg, rel, size, value, &mut fx);
            }
        } else if span.reg == Reg::Waker {
            if let Some(c) = self.cpus.get_mut(vcpu) {
                c.sleeping = value & u64::from(WAKER_PROCESSOR_SLEEP) != 0;
            }
        }
        fx
    }

    /// GICR_WAKER: ProcessorSleep as written, ChildrenAsleep following it
    /// at once (Linux clears ProcessorSleep and polls ChildrenAsleep).
    fn waker(&self, vcpu: usize) -> u32 {
        if self.cpus.get(vcpu).is_some_and(|c| c.sleeping) {
            WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP
        } else {
            0
        }
    }

    /// (in SGI_base, table row, offset in row) of a permitted access.
    fn redist_decode(
        &self,
        vcpu: usize,
        offset: u64,
        size: u8,
    ) -> Option<(bool, super::regmap::Span, u64)> {
        if self.config.version != GicVersion::V3 || vcpu >= self.config.vcpus {
            return None;
        }
        let (sgi, table, frame_offset) = match offset.checked_sub(SGI_BASE_OFFSET) {
            Some(o) if o < SGI_BASE_OFFSET => (true, SGI_BASE, o),
            Some(_) => return None,
            None => (false, RD_BASE, offset),
        };
        let (span, rel) = lookup(table, frame_offset)?;
        (permitted(span.widths, frame_offset, size) && fits(span, rel, size))
            .then_some((sgi, span, rel))
    }
}
