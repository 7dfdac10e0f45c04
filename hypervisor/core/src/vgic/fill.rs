//! Folding list registers back into the model and choosing what goes into
//! them next.
//!
//! The contract, for one vCPU, called by the hypervisor before it enters
//! the vCPU with the values it read back from the vCPU's list registers:
//!
//! 1. Sync: every entry the last fill placed is compared with its list
//!    register. A register that no longer holds it (the hypervisor did not
//!    write it) gives back the pending state it was meant to carry. One
//!    that does gives the state the guest left: a pending edge is pending
//!    again in the model, an acknowledged level interrupt drops its
//!    software-set pending state and is pending again only while its line
//!    is high, a deactivated one is done (for a hardware interrupt the
//!    guest's deactivation also deactivated the physical one).
//! 2. Choose: active interrupts first (they must stay reachable for their
//!    deactivation), then pending interrupts that are enabled, in an
//!    enabled group and (SPIs) routed to this vCPU, by priority (lower
//!    value first), then INTID. A pending interrupt already in a list
//!    register keeps it unless something more urgent needs the room; a
//!    pending-only one may be taken out again (its pending state goes back
//!    to the model). Hardware interrupts have one entry per INTID, so they
//!    are never in two list registers; they are written as pending only
//!    (the physical distributor holds their active state) and an active
//!    one's register is left as the guest left it.
//! 3. Report: the writes to make (unchanged registers and empty ones with
//!    nothing to clear are not written), and the maintenance interrupt to
//!    ask for when more wanted a register than there are: underflow (UIE,
//!    "at most one valid") when at least two are valid, else no-pending
//!    (NPIE) when the single register holds a pending interrupt.
//!
//! Level-sensitive virtual interrupts with their line high are written with
//! the EOI bit, so the guest's deactivation raises a maintenance interrupt
//! and the next fill sees whether the line is still high.

use alloc::vec::Vec;

use super::config::GicVersion;
use super::lr::{ListReg, LrState};
use super::pending::VcpuIrqs;

/// How an interrupt is delivered to one vCPU right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqAttrs {
    pub priority: u8,
    pub group1: bool,
    pub edge: bool,
    /// Enabled, its group enabled in GICD_CTLR, and (SPIs) routed here.
    pub deliverable: bool,
}

/// The configuration side the fill needs; the [`super::Vgic`] provides it,
/// tests provide their own.
pub trait IrqLookup {
    /// `None` for an interrupt the vCPU has no business with.
    fn attrs(&self, intid: u32) -> Option<IrqAttrs>;
}

/// What to write into the list registers and the maintenance enables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LrPlan {
    /// (list register index, value) pairs; GICv2 values in the low 32 bits.
    pub writes: Vec<(usize, u64)>,
    /// Set ICH_HCR_EL2.UIE / GICH_HCR.UIE.
    pub underflow: bool,
    /// Set ICH_HCR_EL2.NPIE / GICH_HCR.NPIE.
    pub no_pending: bool,
    /// Hardware interrupts whose list register was taken back before the
    /// guest deactivated them (it cleared their pending or active state):
    /// the hypervisor deactivates the physical interrupt of the same INTID
    /// on this vCPU's core (SPIs: anywhere). [`super::Vgic::fill`] turns
    /// them into [`super::Effect::HwDeactivate`].
    pub released_hw: Vec<u32>,
}

impl LrPlan {
    /// The ICH_HCR_EL2 / GICH_HCR value: En (bit 0), UIE (bit 1) and NPIE
    /// (bit 3) sit at the same positions in both versions.
    pub fn hcr(&self) -> u32 {
        let mut v = 1;
        if self.underflow {
            v |= 1 << 1;
        }
        if self.no_pending {
            v |= 1 << 3;
        }
        v
    }
}

/// The most list registers an implementation has (GICv2: 64, GICv3: 16).
pub const MAX_LRS: usize = 64;

struct Candidate {
    entry: usize,
    order: (bool, u8, u32, u8),
    lr: ListReg,
    prev: Option<usize>,
}

impl VcpuIrqs {
    /// Folds the list registers' state back into the model and forgets the
    /// placement: afterwards no entry is in a list register. The
    /// hypervisor calls this before saving a vCPU (and must then clear the
    /// registers); [`VcpuIrqs::fill`] does it first anyway.
    ///
    /// Returns the hardware interrupts released without the guest's
    /// deactivation (see [`LrPlan::released_hw`]).
    pub fn sync(&mut self, version: GicVersion, lookup: &dyn IrqLookup, lrs: &[u64]) -> Vec<u32> {
        let mut released = Vec::new();
        for e in self.entries.iter_mut() {
            let Some(i) = e.lr else { continue };
            let edge = lookup.attrs(e.intid).is_none_or(|a| a.edge);
            let held = lrs
                .get(usize::from(i))
                .map(|v| ListReg::decode(version, *v))
                .filter(|r| {
                    r.vintid == e.intid
                        && r.pintid.is_some() == e.hw
                        && e.source.is_none_or(|s| s == r.source)
                });
            match held {
                None => {
                    if edge || e.hw {
                        e.latch |= e.lr_pending;
                    }
                }
                Some(r) => {
                    let pending = r.state.pending() && !e.clear_pending;
                    if edge || e.hw {
                        e.latch |= pending;
                    } else if !pending {
                        e.latch = false;
                    }
                    e.active = e.set_active.unwrap_or(r.state.active());
                    let completed = r.state == LrState::Invalid;
                    if e.hw && !completed && !e.latch && !e.active {
                        released.push(e.intid);
                    }
                }
            }
            e.lr = None;
            e.lr_pending = false;
            e.clear_pending = false;
            e.set_active = None;
        }
        self.prune();
        released
    }

    /// Syncs, then places the most urgent interrupts; see the module
    /// documentation for the contract. `lrs` holds the current value of
    /// every list register the vCPU has (at most [`MAX_LRS`] are used).
    pub fn fill(&mut self, version: GicVersion, lookup: &dyn IrqLookup, lrs: &[u64]) -> LrPlan {
        let n = lrs.len().min(MAX_LRS);
        let prev: Vec<(u32, Option<u8>, usize)> = self
            .entries
            .iter()
            .filter_map(|e| Some((e.intid, e.source, usize::from(e.lr?))))
            .collect();
        let released_hw = self.sync(version, lookup, lrs);

        let mut cands = self.candidates(version, lookup, &prev);
        cands.sort_by_key(|c| c.order);
        let wanted = cands.len();
        cands.truncate(n);

        // Keep previous registers, then fill the free ones lowest first.
        let mut slots: Vec<Option<usize>> = Vec::new();
        slots.resize(n, None);
        let mut unplaced = Vec::new();
        for (ci, c) in cands.iter().enumerate() {
            match c.prev.and_then(|p| slots.get_mut(p)) {
                Some(slot @ None) => *slot = Some(ci),
                _ => unplaced.push(ci),
            }
        }
        for ci in unplaced {
            if let Some(slot) = slots.iter_mut().find(|s| s.is_none()) {
                *slot = Some(ci);
            }
        }

        let mut plan = LrPlan {
            released_hw,
            ..LrPlan::default()
        };
        for (i, slot) in slots.iter().enumerate() {
            let current = lrs.get(i).copied().unwrap_or(0);
            let Some(c) = slot.and_then(|ci| cands.get(ci)) else {
                let old = ListReg::decode(version, current);
                if old.state != LrState::Invalid || old.eoi {
                    plan.writes.push((i, 0));
                }
                continue;
            };
            let now = ListReg::decode(version, current);
            let keep_hw_active = c.lr.pintid.is_some()
                && c.lr.state == LrState::Active
                && c.prev == Some(i)
                && now.state.active()
                && now.vintid == c.lr.vintid
                && now.pintid == c.lr.pintid;
            let value = if keep_hw_active {
                current
            } else {
                c.lr.encode(version)
            };
            if value != current {
                plan.writes.push((i, value));
            }
            if let Some(e) = self.entries.get_mut(c.entry) {
                let pending = c.lr.state.pending() && !keep_hw_active;
                e.lr = u8::try_from(i).ok();
                e.lr_pending = pending;
                let edge = lookup.attrs(e.intid).is_none_or(|a| a.edge);
                if pending && (edge || e.hw) {
                    e.latch = false;
                }
            }
        }

        let placed = cands.len();
        if wanted > placed {
            if placed >= 2 {
                plan.underflow = true;
            } else if cands.first().is_some_and(|c| c.lr.state.pending()) {
                plan.no_pending = true;
            }
        }
        plan
    }

    fn candidates(
        &self,
        version: GicVersion,
        lookup: &dyn IrqLookup,
        prev: &[(u32, Option<u8>, usize)],
    ) -> Vec<Candidate> {
        let mut out = Vec::new();
        for (entry, e) in self.entries.iter().enumerate() {
            let attrs = lookup.attrs(e.intid);
            let edge = attrs.is_none_or(|a| a.edge);
            let deliverable = attrs.is_some_and(|a| a.deliverable);
            let pending = deliverable && (e.latch || (e.line && !edge));
            if !pending && !e.active {
                continue;
            }
            let state = if e.hw && e.active {
                LrState::Active
            } else {
                LrState::new(pending, e.active)
            };
            let priority = attrs.map_or(0xF8, |a| a.priority);
            let lr = ListReg {
                vintid: e.intid,
                pintid: e.hw.then_some(e.intid),
                priority,
                group1: attrs.is_some_and(|a| a.group1),
                state,
                eoi: !e.hw && !edge && e.line,
                source: if version == GicVersion::V2 {
                    e.source.unwrap_or(0)
                } else {
                    0
                },
            };
            let prev = prev
                .iter()
                .find(|(i, s, _)| *i == e.intid && *s == e.source)
                .map(|p| p.2);
            out.push(Candidate {
                entry,
                order: (!e.active, priority, e.intid, e.source.unwrap_or(0)),
                lr,
                prev,
            });
        }
        out
    }
}
