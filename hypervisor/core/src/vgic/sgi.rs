//! Software-generated interrupts: GICv3 ICC_SGI1R_EL1/ICC_SGI0R_EL1 writes
//! (trapped to EL2 and handed over as the 64-bit value), GICv2 GICD_SGIR
//! and the per-source SGI pending registers.

use alloc::vec::Vec;

use super::access::shr;
use super::config::GicVersion;
use super::effect::Effects;
use super::model::Vgic;

/// A decoded ICC_SGI1R_EL1 / ICC_SGI0R_EL1 value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sgi1r {
    /// TargetList (15:0): bit n targets Aff0 = RS * 16 + n.
    pub target_list: u16,
    /// Aff1 (23:16).
    pub aff1: u8,
    /// INTID (27:24).
    pub intid: u8,
    /// Aff2 (39:32).
    pub aff2: u8,
    /// IRM (40): every PE but the sender.
    pub irm: bool,
    /// RS (47:44), the range selector.
    pub rs: u8,
    /// Aff3 (55:48).
    pub aff3: u8,
}

/// Splits an ICC_SGI1R_EL1 value into its fields.
pub fn decode_sgi1r(value: u64) -> Sgi1r {
    let byte = |shift: u32| (shr(value, shift) & 0xFF) as u8;
    Sgi1r {
        target_list: (value & 0xFFFF) as u16,
        aff1: byte(16),
        intid: byte(24) & 0xF,
        aff2: byte(32),
        irm: shr(value, 40) & 1 != 0,
        rs: byte(44) & 0xF,
        aff3: byte(48),
    }
}

impl Sgi1r {
    /// The vCPUs of a `vcpus`-vCPU partition this SGI names when `from`
    /// sends it. Affinities that are not the partition's (Aff2/Aff3 set, a
    /// range selector beyond Aff0 15, an index past the last vCPU) are
    /// dropped.
    pub fn targets(&self, from: usize, vcpus: usize) -> Vec<usize> {
        if self.irm {
            return (0..vcpus).filter(|v| *v != from).collect();
        }
        if self.aff2 != 0 || self.aff3 != 0 || self.rs != 0 {
            return Vec::new();
        }
        let base = usize::from(self.aff1).saturating_mul(16);
        (0..16u32)
            .filter(|bit| shr(u64::from(self.target_list), *bit) & 1 != 0)
            .filter_map(|bit| base.checked_add(usize::try_from(bit).ok()?))
            .filter(|v| *v < vcpus)
            .collect()
    }
}

impl Vgic {
    /// A trapped ICC_SGI1R_EL1 write by `from`: a Group 1 SGI request. With
    /// a single security state this may also signal an SGI the target
    /// configured as Group 0, so the group is not checked.
    pub fn sgi1r_write(&mut self, from: usize, value: u64) -> Effects {
        self.sgi_v3(from, value, true)
    }

    /// A trapped ICC_SGI0R_EL1 write by `from`: only targets that configured
    /// the SGI as Group 0 receive it.
    pub fn sgi0r_write(&mut self, from: usize, value: u64) -> Effects {
        self.sgi_v3(from, value, false)
    }

    fn sgi_v3(&mut self, from: usize, value: u64, group1_request: bool) -> Effects {
        let mut fx = Effects::new();
        if self.config.version != GicVersion::V3 || from >= self.config.vcpus {
            return fx;
        }
        let sgi = decode_sgi1r(value);
        let intid = u32::from(sgi.intid);
        for target in sgi.targets(from, self.config.vcpus) {
            let group1 = self
                .cpus
                .get(target)
                .and_then(|c| c.private.get(usize::from(sgi.intid)))
                .is_some_and(|c| c.group1);
            if !group1_request && group1 {
                continue;
            }
            if self
                .irqs_mut(target)
                .is_some_and(|q| q.pend(intid, None, false))
            {
                fx.kick(target);
            }
        }
        fx
    }

    /// GICD_SGIR (GICv2): SGIINTID 3:0, CPUTargetList 23:16,
    /// TargetListFilter 25:24 (0 list, 1 all but self, 2 self, 3 none).
    /// The SGI is recorded per source, which goes into the list register's
    /// CPUID field.
    pub(crate) fn sgir_write(&mut self, from: usize, value: u64) -> Effects {
        let mut fx = Effects::new();
        let vcpus = self.config.vcpus;
        let Ok(source) = u8::try_from(from) else {
            return fx;
        };
        let intid = (value & 0xF) as u32;
        let list = (shr(value, 16) & 0xFF) as u8;
        let targets: Vec<usize> = match shr(value, 24) & 0b11 {
            0 => (0..vcpus)
                .filter(|v| shr(u64::from(list), u32::try_from(*v).unwrap_or(8)) & 1 != 0)
                .collect(),
            1 => (0..vcpus).filter(|v| *v != from).collect(),
            2 => (from < vcpus).then_some(from).into_iter().collect(),
            _ => Vec::new(),
        };
        for target in targets {
            if self
                .irqs_mut(target)
                .is_some_and(|q| q.pend(intid, Some(source), false))
            {
                fx.kick(target);
            }
        }
        fx
    }

    /// GICD_SPENDSGIR/CPENDSGIR (GICv2): one byte per SGI (SGI = byte
    /// offset), each bit a source CPU, for the accessing vCPU.
    pub(crate) fn sgi_pending_read(&self, vcpu: usize, rel: u64, size: u8) -> u64 {
        let Some(irqs) = self.vcpu_irqs(vcpu) else {
            return 0;
        };
        let mut value = 0u64;
        for i in 0..u32::from(size) {
            let Some(intid) = u32::try_from(rel).ok().and_then(|r| r.checked_add(i)) else {
                continue;
            };
            let byte = u64::from(irqs.pending_sources(intid));
            value |= byte.checked_shl(i.saturating_mul(8)).unwrap_or(0);
        }
        value
    }

    pub(crate) fn sgi_pending_write(
        &mut self,
        vcpu: usize,
        rel: u64,
        size: u8,
        value: u64,
        set: bool,
        fx: &mut Effects,
    ) {
        let vcpus = self.config.vcpus;
        let Some(irqs) = self.irqs_mut(vcpu) else {
            return;
        };
        let mut changed = false;
        for i in 0..u32::from(size) {
            let Some(intid) = u32::try_from(rel).ok().and_then(|r| r.checked_add(i)) else {
                continue;
            };
            let byte = shr(value, i.saturating_mul(8)) & 0xFF;
            for source in 0..8u8 {
                if shr(byte, u32::from(source)) & 1 == 0 || usize::from(source) >= vcpus {
                    continue;
                }
                changed |= if set {
                    irqs.pend(intid, Some(source), false)
                } else {
                    irqs.unpend_source(intid, source)
                };
            }
        }
        if changed {
            fx.kick(vcpu);
        }
    }
}
