//! Snapshots: the model's state as plain data with a format number, and
//! restoring it against a configuration with every invariant checked (a
//! snapshot is input like any other).
//!
//! Take a snapshot with the partition paused and every vCPU synced
//! ([`Vgic::sync`] with its list registers, which the hypervisor then
//! clears), so no state is left only in hardware. Entries still marked as
//! placed in a list register are saved as they are and a restored model
//! expects those registers back.

use alloc::vec::Vec;

use super::config::{GicVersion, SpiKind, VgicConfig, FIRST_SPI};
use super::error::VgicError;
use super::fill::MAX_LRS;
use super::irqcfg::{CpuBank, IrqCfg, IROUTER_MASK, PRIORITY_MASK};
use super::model::Vgic;
use super::pending::{IrqEntry, VcpuIrqs};

/// The format this build writes and reads.
pub const STATE_FORMAT: u32 = 1;

/// A whole virtual GIC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VgicState {
    pub format: u32,
    pub version: GicVersion,
    pub vcpus: usize,
    /// GICD_CTLR group enables.
    pub ctlr: u32,
    /// One per owned SPI, by INTID.
    pub spis: Vec<SpiState>,
    /// One per vCPU.
    pub cpus: Vec<CpuState>,
}

/// An owned SPI's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpiState {
    pub intid: u32,
    pub enabled: bool,
    pub priority: u8,
    pub group1: bool,
    pub edge: bool,
    pub irouter: u64,
    pub targets: u8,
}

/// An SGI's or PPI's configuration on one vCPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrivateIrqState {
    pub enabled: bool,
    pub priority: u8,
    pub group1: bool,
    pub edge: bool,
}

/// One vCPU: its 32 SGI/PPI configurations, its redistributor's sleep
/// state, its pending/active interrupts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuState {
    pub private: Vec<PrivateIrqState>,
    pub sleeping: bool,
    pub irqs: VcpuIrqsState,
}

/// A [`VcpuIrqs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VcpuIrqsState {
    pub format: u32,
    pub entries: Vec<IrqEntry>,
}

fn refuse(what: &'static str) -> VgicError {
    VgicError::StateMismatch { what }
}

impl VcpuIrqs {
    pub fn save(&self) -> VcpuIrqsState {
        VcpuIrqsState {
            format: STATE_FORMAT,
            entries: self.entries.clone(),
        }
    }

    /// Checks what holds for any vCPU: the format, INTIDs below 1020, one
    /// entry per INTID and source, list register indices in range, no
    /// list register used twice, nothing empty kept.
    pub fn restore(state: &VcpuIrqsState) -> Result<VcpuIrqs, VgicError> {
        if state.format != STATE_FORMAT {
            return Err(VgicError::StateFormat {
                found: state.format,
            });
        }
        for (i, e) in state.entries.iter().enumerate() {
            if e.intid >= super::config::SPI_END {
                return Err(refuse("interrupt id out of range"));
            }
            if e.lr.is_some_and(|lr| usize::from(lr) >= MAX_LRS) {
                return Err(refuse("list register index out of range"));
            }
            if !e.is_live() {
                return Err(refuse("empty entry"));
            }
            let earlier = state.entries.get(..i).unwrap_or(&[]);
            if earlier
                .iter()
                .any(|o| (o.intid, o.source) == (e.intid, e.source))
            {
                return Err(refuse("interrupt listed twice"));
            }
            if e.lr.is_some() && earlier.iter().any(|o| o.lr == e.lr) {
                return Err(refuse("list register used twice"));
            }
        }
        Ok(VcpuIrqs {
            entries: state.entries.clone(),
        })
    }
}

impl Vgic {
    pub fn save(&self) -> VgicState {
        VgicState {
            format: STATE_FORMAT,
            version: self.config.version,
            vcpus: self.config.vcpus,
            ctlr: self.ctlr,
            spis: self
                .spis
                .iter()
                .map(|s| SpiState {
                    intid: s.intid,
                    enabled: s.cfg.enabled,
                    priority: s.cfg.priority,
                    group1: s.cfg.group1,
                    edge: s.cfg.edge,
                    irouter: s.irouter,
                    targets: s.targets,
                })
                .collect(),
            cpus: self
                .cpus
                .iter()
                .map(|c| CpuState {
                    private: c
                        .private
                        .iter()
                        .map(|p| PrivateIrqState {
                            enabled: p.enabled,
                            priority: p.priority,
                            group1: p.group1,
                            edge: p.edge,
                        })
                        .collect(),
                    sleeping: c.sleeping,
                    irqs: c.irqs.save(),
                })
                .collect(),
        }
    }

    /// Rebuilds a virtual GIC from `state` for `config`; refuses a state
    /// that does not match the configuration or that the model could not
    /// have produced. Apply [`Vgic::hw_state`] afterwards.
    pub fn restore(config: VgicConfig, state: &VgicState) -> Result<Vgic, VgicError> {
        if state.format != STATE_FORMAT {
            return Err(VgicError::StateFormat {
                found: state.format,
            });
        }
        let mut vgic = Vgic::new(config)?;
        if state.version != vgic.config.version || state.vcpus != vgic.config.vcpus {
            return Err(refuse("version or vCPU count differs"));
        }
        if state.ctlr & !0b11 != 0 {
            return Err(refuse("GICD_CTLR bits"));
        }
        vgic.ctlr = state.ctlr;
        if state.spis.len() != vgic.spis.len() || state.cpus.len() != vgic.cpus.len() {
            return Err(refuse("SPI or vCPU count differs"));
        }
        let valid_targets = valid_targets(vgic.config.vcpus);
        for (slot, s) in vgic.spis.iter_mut().zip(&state.spis) {
            if slot.intid != s.intid {
                return Err(refuse("SPI list differs"));
            }
            if s.priority & !PRIORITY_MASK != 0
                || s.irouter & !IROUTER_MASK != 0
                || s.targets & !valid_targets != 0
            {
                return Err(refuse("SPI register value"));
            }
            slot.cfg = IrqCfg {
                enabled: s.enabled,
                priority: s.priority,
                group1: s.group1,
                edge: s.edge,
            };
            slot.irouter = s.irouter;
            slot.targets = s.targets;
        }
        for (bank, c) in vgic.cpus.iter_mut().zip(&state.cpus) {
            restore_bank(bank, c)?;
        }
        vgic.check_entries()?;
        Ok(vgic)
    }

    /// Every entry names an interrupt its vCPU may hold, in the form the
    /// model makes it; an SPI is held by one vCPU at most.
    fn check_entries(&self) -> Result<(), VgicError> {
        let v2 = self.config.version == GicVersion::V2;
        let mut spis_seen: Vec<u32> = Vec::new();
        for c in &self.cpus {
            for e in c.irqs.entries() {
                let sgi = e.intid < 16;
                let source_ok = match e.source {
                    Some(s) => v2 && sgi && usize::from(s) < self.config.vcpus,
                    None => !(v2 && sgi),
                };
                if !source_ok {
                    return Err(refuse("SGI source"));
                }
                if e.intid < FIRST_SPI {
                    if (e.hw && sgi) || e.line {
                        return Err(refuse("SGI/PPI entry"));
                    }
                    continue;
                }
                let slot = self
                    .spi_slot(e.intid)
                    .and_then(|s| self.spis.get(s))
                    .ok_or(refuse("entry for an SPI the partition does not own"))?;
                let hw = slot.kind == SpiKind::Hardware;
                if (e.hw != hw) || (hw && e.line) {
                    return Err(refuse("SPI entry kind"));
                }
                if spis_seen.contains(&e.intid) {
                    return Err(refuse("SPI held by two vCPUs"));
                }
                spis_seen.push(e.intid);
            }
        }
        Ok(())
    }
}

fn valid_targets(vcpus: usize) -> u8 {
    let bits = u32::try_from(vcpus).unwrap_or(8).min(8);
    (1u16.checked_shl(bits).unwrap_or(0x100).wrapping_sub(1) & 0xFF) as u8
}

fn restore_bank(bank: &mut CpuBank, c: &CpuState) -> Result<(), VgicError> {
    if c.private.len() != bank.private.len() {
        return Err(refuse("SGI/PPI count"));
    }
    for (intid, (cfg, p)) in bank.private.iter_mut().zip(&c.private).enumerate() {
        if p.priority & !PRIORITY_MASK != 0 || (intid < 16 && !p.edge) {
            return Err(refuse("SGI/PPI register value"));
        }
        *cfg = IrqCfg {
            enabled: p.enabled,
            priority: p.priority,
            group1: p.group1,
            edge: p.edge,
        };
    }
    bank.sleeping = c.sleeping;
    bank.irqs = VcpuIrqs::restore(&c.irqs)?;
    Ok(())
}
