//! One vCPU per physical core, never moved: the per-core record of which
//! partition's vCPU the core runs and whether it is on.
//!
//! A core with nothing to run waits in [`run_core`]; a PSCI CPU_ON from its
//! partition (or the boot sequence) posts an entry point in its mailbox and
//! sends an event, and the core enters the guest.

use crate::arch::guest::{self, VcpuSetup, SPSR_EL1H_MASKED};
use crate::arch::vectors::TrapFrame;
use crate::arch::{self, cpu, MAX_CPUS};
use crate::partition::{self, State};
use spin::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Power {
    Off,
    /// CPU_ON accepted; the core has not entered the guest yet.
    OnPending {
        entry: u64,
        context: u64,
    },
    On,
    /// Held at EL2 for a snapshot or a restore; its state is in the
    /// partition's `held`.
    Held,
    /// To run again from the state in the partition's `held`, with this
    /// virtual counter offset.
    Resume {
        cntvoff: u64,
    },
}

#[derive(Clone, Copy, Debug)]
pub struct CoreVcpu {
    /// The partition this core belongs to, and which of its vCPUs it is.
    pub partition: Option<usize>,
    pub vcpu: usize,
    pub power: Power,
}

static CORES: [Mutex<CoreVcpu>; MAX_CPUS] = [const {
    Mutex::new(CoreVcpu {
        partition: None,
        vcpu: 0,
        power: Power::Off,
    })
}; MAX_CPUS];

/// Gives logical core `core` to vCPU `vcpu` of `partition` (boot time).
pub fn assign(core: usize, partition: usize, vcpu: usize) {
    if let Some(slot) = CORES.get(core) {
        let mut c = slot.lock();
        c.partition = Some(partition);
        c.vcpu = vcpu;
        c.power = Power::Off;
    }
}

pub fn current() -> CoreVcpu {
    CORES
        .get(cpu::index())
        .map(|c| *c.lock())
        .unwrap_or(CoreVcpu {
            partition: None,
            vcpu: 0,
            power: Power::Off,
        })
}

pub fn power_of(core: usize) -> Option<Power> {
    CORES.get(core).map(|c| c.lock().power)
}

/// Posts a start request to `core`. Fails with the PSCI answer if the vCPU
/// is already on or starting.
pub fn post_start(
    core: usize,
    entry: u64,
    context: u64,
) -> Result<(), bulkhead_core::psci::PsciError> {
    use bulkhead_core::psci::PsciError;
    let slot = CORES.get(core).ok_or(PsciError::InvalidParameters)?;
    let mut c = slot.lock();
    match c.power {
        Power::On | Power::Held | Power::Resume { .. } => Err(PsciError::AlreadyOn),
        Power::OnPending { .. } => Err(PsciError::OnPending),
        Power::Off => {
            c.power = Power::OnPending { entry, context };
            drop(c);
            cpu::send_event();
            if let Some(g) = crate::gic::get() {
                g.kick(core);
            }
            Ok(())
        }
    }
}

/// Marks this core's vCPU off (CPU_OFF, partition stopped) and waits for a
/// new start request. Never returns.
pub fn off_and_wait() -> ! {
    if let Some(slot) = CORES.get(cpu::index()) {
        slot.lock().power = Power::Off;
    }
    run_core()
}

/// The idle loop of every core: wait for a start request for this core's
/// vCPU, then enter the guest.
pub fn run_core() -> ! {
    let index = cpu::index();
    loop {
        let resume = CORES.get(index).and_then(|slot| {
            let mut c = slot.lock();
            match (c.partition, c.power) {
                (Some(p), Power::Resume { cntvoff }) => {
                    c.power = Power::On;
                    Some((p, c.vcpu, cntvoff))
                }
                _ => None,
            }
        });
        if let Some((p, vcpu, cntvoff)) = resume {
            resume_held(index, p, vcpu, cntvoff);
            if let Some(slot) = CORES.get(index) {
                slot.lock().power = Power::Off;
            }
        }
        let request = CORES.get(index).and_then(|slot| {
            let mut c = slot.lock();
            match (c.partition, c.power) {
                (Some(p), Power::OnPending { entry, context }) => {
                    c.power = Power::On;
                    Some((p, c.vcpu, entry, context))
                }
                _ => None,
            }
        });
        if let Some((p, vcpu, entry, context)) = request {
            crate::virq::reset_cpu_interface();
            if let Some(setup) = setup_for(p, vcpu) {
                let mut frame = TrapFrame::default();
                frame.x[0] = context;
                frame.elr = entry;
                frame.spsr = SPSR_EL1H_MASKED;
                guest::enter(&setup, &frame, arch::stack_top(index), true);
            }
            // The partition is gone or stopped: stay off.
            if let Some(slot) = CORES.get(index) {
                slot.lock().power = Power::Off;
            }
        }
        // Sleep until a kick (the GIC's SGI, pending but masked at EL2,
        // wakes the core) or, before the GIC is up, an event. An idle core
        // executes nothing meanwhile.
        if crate::gic::get().is_some() {
            cpu::wait_for_interrupt();
            // Take what woke us here, at EL2: the kick, the console, or a
            // device interrupt of this core's (off) vCPU, which the model
            // keeps pending until the vCPU runs again.
            let me = current();
            crate::virq::irq_from_guest(me.partition, me.vcpu);
        } else {
            cpu::wait_for_event();
        }
    }
}

fn setup_for(partition: usize, vcpu: usize) -> Option<VcpuSetup> {
    let p = partition::get(partition)?.lock();
    if p.state != State::Running {
        return None;
    }
    Some(VcpuSetup {
        vttbr: p.vttbr,
        vtcr: p.vtcr,
        vmpidr: 0x8000_0000 | bulkhead_core::psci::vcpu_mpidr(vcpu),
    })
}

/// Sets the power state of `core`'s vCPU (snapshot and restore).
pub fn set_power(core: usize, power: Power) {
    if let Some(slot) = CORES.get(core) {
        slot.lock().power = power;
    }
}

/// This core's vCPU was captured into its partition's `held`: wait there
/// until it is resumed (or turned off).
pub fn hold_and_wait() -> ! {
    if let Some(slot) = CORES.get(cpu::index()) {
        slot.lock().power = Power::Held;
    }
    run_core()
}

/// Runs a held vCPU again from its saved state. Returns if there is none.
fn resume_held(index: usize, partition: usize, vcpu: usize, cntvoff: u64) {
    let Some(setup) = setup_for(partition, vcpu) else {
        return;
    };
    let Some(cell) = partition::get(partition) else {
        return;
    };
    let saved = cell.lock().held.get(vcpu).cloned().flatten();
    let Some((state, gic)) = saved else { return };
    crate::virq::reset_cpu_interface();
    if let Some(g) = crate::gic::get() {
        g.load_cpu_interface(&gic);
        // The model decides what is active now (the snapshot's state, or
        // the state at capture): a hardware-linked timer interrupt left
        // active physically would never fire again.
        g.clear_ppi_active(index, crate::virq::VTIMER);
    }
    let mut frame = TrapFrame::default();
    frame.x = state.x;
    frame.elr = state.pc;
    frame.spsr = state.pstate;
    // The EL2 controls first (they reset EL1), then the vCPU's own EL1
    // state on top.
    guest::prepare(&setup);
    crate::arch::vcpu_state::load(&state, cntvoff);
    guest::enter(&setup, &frame, arch::stack_top(index), false);
}
