//! Virtual interrupts: the glue between the physical GIC (`gic`), each
//! partition's virtual GIC model (`bulkhead_core::vgic`) and the list
//! registers of the core running a vCPU.
//!
//! - A physical interrupt taken at EL2 while a guest runs is acknowledged
//!   and its priority dropped; if it belongs to the running partition (one
//!   of its passed-through SPIs, or the virtual timer PPI) the model queues
//!   it for the right vCPU, to be written into a list register with the
//!   hardware link, so the guest's own EOI deactivates it. Bulkhead's own
//!   interrupts (the kick SGI, the maintenance interrupt, the console UART)
//!   are handled here and deactivated.
//! - Before any return to the guest, [`sync`] reads the list registers back,
//!   lets the model plan them, and writes the plan.
//! - Guest accesses to the emulated distributor/redistributors and trapped
//!   SGI register writes become model calls; their effects are applied by
//!   [`apply`].

use crate::arch::cpu;
use crate::gic::{self, Gic, KICK_SGI};
use crate::partition::Partition;
use crate::{console_in, vcpu};
use alloc::vec::Vec;
use bulkhead_core::vgic::{Effect, Effects};
use core::sync::atomic::{AtomicU32, Ordering};

/// The maintenance interrupt: PPI 25 on every board Bulkhead knows (QEMU
/// virt, the GIC-400 of the Pi 4). The device tree's value is printed at
/// boot but not yet used in its place.
pub const MAINTENANCE: u32 = 25;
/// The EL2 physical timer's PPI: Bulkhead's own alarm (`supervise::tick`).
pub const HYP_TIMER: u32 = 26;
/// PPIs that are linked to hardware for the guest: the virtual timer.
pub const VTIMER: u32 = 27;
/// PPIs whose physical enable follows the guest's virtual enable.
const LINKED_PPIS: u32 = 1 << VTIMER;

/// What each core last wrote to its physical PPI enables for linked PPIs.
static PPI_APPLIED: [AtomicU32; crate::arch::MAX_CPUS] =
    [const { AtomicU32::new(0) }; crate::arch::MAX_CPUS];

/// Applies the model's effects for partition `p`.
pub fn apply(p: &mut Partition, fx: &Effects) {
    let Some(g) = gic::get() else { return };
    let here = cpu::index();
    for e in fx.iter() {
        match *e {
            Effect::HwEnable { intid, enabled } => g.set_spi_enabled(intid, enabled),
            Effect::HwTrigger { intid, edge } => g.set_spi_edge(intid, edge),
            Effect::HwRoute { intid, vcpu } => {
                if let Some(&core) = p.cores.get(vcpu) {
                    g.route_spi(intid, core);
                }
            }
            Effect::HwPending { intid, pending } => g.set_spi_pending(intid, pending),
            Effect::HwActive { intid, active } => g.set_spi_active(intid, active),
            Effect::HwDeactivate { vcpu, intid } => {
                if intid >= 32 {
                    g.set_spi_active(intid, false);
                } else if p.cores.get(vcpu) == Some(&here) {
                    g.deactivate(intid);
                }
            }
            Effect::PpiEnable {
                vcpu,
                intid,
                enabled,
            } => {
                if intid < 32 && LINKED_PPIS & (1 << intid) != 0 {
                    if let Some(want) = p.ppi_want.get_mut(vcpu) {
                        if enabled {
                            *want |= 1 << intid;
                        } else {
                            *want &= !(1 << intid);
                        }
                    }
                    kick_vcpu(g, p, vcpu, here);
                }
            }
            Effect::Kick { vcpu } => kick_vcpu(g, p, vcpu, here),
        }
    }
}

fn kick_vcpu(g: &Gic, p: &Partition, vcpu: usize, here: usize) {
    if let Some(&core) = p.cores.get(vcpu) {
        if core != here && vcpu::power_of(core) == Some(vcpu::Power::On) {
            g.kick(core);
        }
    }
}

/// Makes the list registers and the linked PPI enables of this core match
/// the model, before returning to vCPU `v` of `p`.
pub fn sync(p: &mut Partition, v: usize) {
    let Some(g) = gic::get() else { return };
    let here = cpu::index();
    // Linked PPIs: mirror the guest's enable on this core.
    let want = p.ppi_want.get(v).copied().unwrap_or(0);
    if let Some(applied) = PPI_APPLIED.get(here) {
        let have = applied.load(Ordering::Relaxed);
        if have != want {
            for intid in 16..32u32 {
                let bit = 1 << intid;
                if LINKED_PPIS & bit != 0 && (have ^ want) & bit != 0 {
                    g.set_ppi_enabled(here, intid, want & bit != 0);
                }
            }
            applied.store(want, Ordering::Relaxed);
        }
    }
    // Nothing pending, active or placed for this vCPU: the list registers
    // hold nothing of ours and there is nothing to place. Most traps (MMIO,
    // hypercalls) take this path.
    if p.vgic.vcpu_irqs(v).is_none_or(|q| q.is_empty()) {
        return;
    }
    let n = g.lr_count().min(16);
    let mut lrs = [0u64; 16];
    for (i, lr) in lrs.iter_mut().enumerate().take(n) {
        *lr = g.read_lr(i);
    }
    let (plan, fx) = p.vgic.fill(v, lrs.get(..n).unwrap_or(&[]));
    for &(i, value) in &plan.writes {
        g.write_lr(i, value);
    }
    g.set_hcr(plan.hcr());
    if !fx.is_empty() {
        apply(p, &fx);
    }
}

/// Clears this core's list registers and virtual interface state before a
/// vCPU starts on it (a previous run may have left some).
///
/// The linked PPIs are masked and their physical active state cleared: a
/// previous incarnation may have been stopped with its timer interrupt
/// taken at EL2 and handed to it (active, hardware-linked) but never
/// deactivated, for instance a Linux CPU parked with interrupts masked by
/// `reboot`. Left active, that PPI would never fire again on this core,
/// and the new incarnation's vCPU would wait in WFI for a timer that
/// cannot come.
pub fn reset_cpu_interface() {
    if let Some(g) = gic::get() {
        for i in 0..g.lr_count().min(16) {
            g.write_lr(i, 0);
        }
        g.reset_virtual_interface();
        if let Some(applied) = PPI_APPLIED.get(cpu::index()) {
            for intid in 16..32u32 {
                if LINKED_PPIS & (1 << intid) != 0 {
                    g.set_ppi_enabled(cpu::index(), intid, false);
                    g.clear_ppi_active(cpu::index(), intid);
                }
            }
            applied.store(0, Ordering::Relaxed);
        }
    }
}

/// True when a list register of this core holds a pending interrupt: a
/// trapped WFI must then return at once.
pub fn lr_pending() -> bool {
    let Some(g) = gic::get() else { return false };
    (0..g.lr_count().min(16)).any(|i| lr_state_pending(g, g.read_lr(i)))
}

fn lr_state_pending(g: &Gic, lr: u64) -> bool {
    match g.version() {
        3 => (lr >> 62) & 1 == 1,
        _ => (lr >> 28) & 1 == 1,
    }
}

/// A physical IRQ taken while vCPU `v` of partition `pid` ran.
pub fn irq_from_guest(pid: Option<usize>, v: usize) {
    let Some(g) = gic::get() else { return };
    let mut taken: Vec<u32> = Vec::new();
    while let Some(intid) = g.ack() {
        taken.push(intid);
        if taken.len() > 64 {
            break;
        }
    }
    let mut console = false;
    let mut tick = false;
    let mut cell = pid.and_then(crate::partition::get).map(|c| c.lock());
    for intid in taken {
        match intid {
            KICK_SGI | MAINTENANCE => g.deactivate(intid),
            HYP_TIMER => {
                g.deactivate(intid);
                tick = true;
            }
            _ if Some(intid) == console_in::irq() => {
                g.deactivate(intid);
                console = true;
            }
            _ => {
                let fx = cell.as_mut().and_then(|p| {
                    *p.irq_counts.entry(intid).or_insert(0) += 1;
                    p.vgic.inject_hw(v, intid)
                });
                match (fx, cell.as_mut()) {
                    (Some(fx), Some(p)) => apply(p, &fx),
                    _ => {
                        // Not the running partition's: a stale SPI after a
                        // re-route, or one nobody owns. Deactivate and mask.
                        g.deactivate(intid);
                        if intid >= 32 {
                            g.set_spi_enabled(intid, false);
                        }
                    }
                }
            }
        }
    }
    // Both may lock any partition, this one included: the lock is dropped
    // first. The list registers are brought up to date on the way back to
    // the guest (`guest_exit::after_irq`); an idle core has none to fill.
    drop(cell);
    if tick {
        crate::supervise::tick();
    }
    if console {
        console_in::drain();
    }
}
