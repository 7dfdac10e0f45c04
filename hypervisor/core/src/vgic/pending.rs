//! The interrupts one vCPU has pending or active: one entry per INTID (per
//! INTID and source for GICv2 SGIs), whether it sits in a list register and
//! what the model knew of it when it went there.

use alloc::vec::Vec;

/// One pending and/or active interrupt of a vCPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqEntry {
    pub intid: u32,
    /// GICv2 SGIs: the sending vCPU (the list register's CPUID field).
    pub source: Option<u8>,
    /// Linked to the physical interrupt with the same INTID (HW = 1): the
    /// hypervisor acknowledged it and the guest's deactivation ends it.
    pub hw: bool,
    /// Pending that has not been handed to a list register yet (an edge, a
    /// GICD_ISPENDR write, a hardware interrupt, an SGI). For a
    /// level-sensitive interrupt, the software-set pending state, kept
    /// until the guest acknowledges it.
    pub latch: bool,
    /// The input line of a level-sensitive virtual interrupt.
    pub line: bool,
    pub active: bool,
    /// The list register that held it after the last fill.
    pub lr: Option<u8>,
    /// The pending state written into that list register.
    pub lr_pending: bool,
    /// The guest cleared the pending state while it sat in a list register.
    pub clear_pending: bool,
    /// The guest set or cleared the active state while it sat in a list
    /// register.
    pub set_active: Option<bool>,
}

impl IrqEntry {
    pub fn new(intid: u32, source: Option<u8>) -> Self {
        Self {
            intid,
            source,
            hw: false,
            latch: false,
            line: false,
            active: false,
            lr: None,
            lr_pending: false,
            clear_pending: false,
            set_active: None,
        }
    }

    /// Pending as the guest would read it, given the trigger mode.
    pub fn is_pending(&self, edge: bool) -> bool {
        self.latch || (self.line && !edge) || (self.lr.is_some() && self.lr_pending)
    }

    /// Still worth keeping: something pending, active or in a list register.
    pub fn is_live(&self) -> bool {
        self.latch || self.line || self.active || self.lr.is_some()
    }
}

/// What a state change by the guest did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateChange {
    /// The state changed.
    pub changed: bool,
    /// A hardware interrupt the hypervisor had acknowledged was dropped
    /// without reaching a list register: it must be deactivated physically.
    pub dropped_hw: bool,
}

/// The pending/active interrupts of one vCPU.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VcpuIrqs {
    pub(crate) entries: Vec<IrqEntry>,
}

impl VcpuIrqs {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn entries(&self) -> &[IrqEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn find(&self, intid: u32, source: Option<u8>) -> Option<&IrqEntry> {
        self.entries
            .iter()
            .find(|e| e.intid == intid && e.source == source)
    }

    pub fn has(&self, intid: u32) -> bool {
        self.entries.iter().any(|e| e.intid == intid)
    }

    fn entry(&mut self, intid: u32, source: Option<u8>) -> Option<&mut IrqEntry> {
        let at = match self
            .entries
            .iter()
            .position(|e| e.intid == intid && e.source == source)
        {
            Some(at) => at,
            None => {
                self.entries.push(IrqEntry::new(intid, source));
                self.entries.len().checked_sub(1)?
            }
        };
        self.entries.get_mut(at)
    }

    /// Makes `intid` (from `source` for a GICv2 SGI) pending. `hw` links it
    /// to the physical interrupt of the same INTID. Returns whether it was
    /// not pending already.
    pub fn pend(&mut self, intid: u32, source: Option<u8>, hw: bool) -> bool {
        match self.entry(intid, source) {
            Some(e) => {
                let was = e.latch;
                e.latch = true;
                e.hw |= hw;
                !was
            }
            None => false,
        }
    }

    /// Drives the line of a level-sensitive (or, when `edge`, the input of
    /// an edge-triggered) virtual interrupt. Returns whether anything
    /// changed.
    pub fn set_line(&mut self, intid: u32, level: bool, edge: bool) -> bool {
        let old = self.find(intid, None).is_some_and(|e| e.line);
        if old == level {
            return false;
        }
        if let Some(e) = self.entry(intid, None) {
            e.line = level;
            if edge && level {
                e.latch = true;
            }
        }
        self.prune();
        true
    }

    /// Clears the pending state of `intid` from every source (GICD_ICPENDR).
    /// A level-sensitive line stays asserted.
    pub fn unpend(&mut self, intid: u32) -> StateChange {
        let mut out = StateChange::default();
        for e in self.entries.iter_mut().filter(|e| e.intid == intid) {
            if e.lr.is_some() && e.lr_pending {
                e.clear_pending = true;
                out.changed = true;
            } else if e.hw && e.latch && !e.active {
                out.dropped_hw = true;
            }
            out.changed |= e.latch;
            e.latch = false;
        }
        self.prune();
        out
    }

    /// Clears the pending state of one GICv2 SGI source (GICD_CPENDSGIR).
    /// Returns whether it was pending.
    pub fn unpend_source(&mut self, intid: u32, source: u8) -> bool {
        let mut changed = false;
        for e in self
            .entries
            .iter_mut()
            .filter(|e| e.intid == intid && e.source == Some(source))
        {
            if e.lr.is_some() && e.lr_pending {
                e.clear_pending = true;
                changed = true;
            }
            changed |= e.latch;
            e.latch = false;
        }
        self.prune();
        changed
    }

    /// Sets (for `source`) or clears (for every source) the active state.
    pub fn set_active(&mut self, intid: u32, source: Option<u8>, active: bool) -> StateChange {
        let mut out = StateChange::default();
        if active {
            if let Some(e) = self.entry(intid, source) {
                out.changed = !e.active;
                e.active = true;
                if e.lr.is_some() {
                    e.set_active = Some(true);
                }
            }
        } else {
            for e in self.entries.iter_mut().filter(|e| e.intid == intid) {
                out.changed |= e.active;
                if e.lr.is_some() {
                    e.set_active = Some(false);
                } else if e.hw && e.active && !e.latch {
                    out.dropped_hw = true;
                }
                e.active = false;
            }
            self.prune();
        }
        out
    }

    /// Whether any source of `intid` is pending.
    pub fn is_pending(&self, intid: u32, edge: bool) -> bool {
        self.entries
            .iter()
            .any(|e| e.intid == intid && e.is_pending(edge))
    }

    pub fn is_active(&self, intid: u32) -> bool {
        self.entries.iter().any(|e| e.intid == intid && e.active)
    }

    /// GICv2 SGIs: the sources of `intid` that are pending, as a CPU mask.
    pub fn pending_sources(&self, intid: u32) -> u8 {
        self.entries
            .iter()
            .filter(|e| e.intid == intid && e.is_pending(true))
            .filter_map(|e| e.source)
            .fold(0u8, |m, s| m | 1u8.checked_shl(u32::from(s)).unwrap_or(0))
    }

    /// Removes and returns the entry of `intid` if no list register holds
    /// it (to move an SPI to the vCPU it is routed to now).
    pub fn take_unplaced(&mut self, intid: u32) -> Option<IrqEntry> {
        let at = self
            .entries
            .iter()
            .position(|e| e.intid == intid && e.lr.is_none())?;
        Some(self.entries.remove(at))
    }

    /// Adds an entry taken from another vCPU, merging with one already here.
    pub fn insert(&mut self, moved: IrqEntry) {
        if let Some(e) = self.entry(moved.intid, moved.source) {
            e.latch |= moved.latch;
            e.line |= moved.line;
            e.active |= moved.active;
            e.hw |= moved.hw;
        }
    }

    /// Forgets entries with nothing left to deliver or complete.
    pub(crate) fn prune(&mut self) {
        self.entries.retain(IrqEntry::is_live);
    }
}
