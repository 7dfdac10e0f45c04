//! Where every exception taken to EL2 lands (see `arch::vectors`).

use crate::arch::cpu;
use crate::arch::vectors::{decode_kind, TrapFrame, TrapKind, TrapOrigin};
use crate::console;
use aarch64_cpu::registers::{Readable, ESR_EL2, FAR_EL2};
use bulkhead_core::esr::Esr;

/// Called by the vector stub with the saved registers and the vector index.
pub extern "C" fn trap_entry(frame: &mut TrapFrame, raw_kind: u64) {
    let (origin, kind) = decode_kind(raw_kind);
    match origin {
        TrapOrigin::CurrentEl => el2_fault(frame, kind),
        TrapOrigin::LowerAarch64 | TrapOrigin::LowerAarch32 => match kind {
            TrapKind::Sync => {
                crate::guest_exit::handle_sync(frame);
                after_exit(frame);
            }
            // Physical interrupts are routed to EL2 while a guest runs
            // (HCR_EL2.IMO, FMO): see `virq`.
            TrapKind::Irq | TrapKind::Fiq => {
                let me = crate::vcpu::current();
                if let Some(s) = me.partition.and_then(crate::stats::of) {
                    crate::stats::bump(&s.traps);
                    crate::stats::bump(&s.irqs);
                }
                crate::virq::irq_from_guest(me.partition, me.vcpu);
                after_exit(frame);
            }
            TrapKind::SError => crate::guest_exit::handle_serror(frame),
        },
    }
}

/// Before going back to the guest: if its partition is no longer running
/// (kicked for a stop or restart) the vCPU goes off; if it is being held
/// for a snapshot or restore, it saves itself and waits.
fn after_exit(frame: &TrapFrame) {
    use crate::partition::State;
    let me = crate::vcpu::current();
    let Some(cell) = me.partition.and_then(crate::partition::get) else {
        return;
    };
    let mut p = cell.lock();
    match p.state {
        State::Running => {}
        State::Pausing => {
            crate::snapshot::capture(&mut p, me.vcpu, frame);
            drop(p);
            crate::vcpu::hold_and_wait();
        }
        State::Restarting | State::Stopped => {
            drop(p);
            crate::vcpu::off_and_wait();
        }
    }
}

/// An exception in Bulkhead itself: report it plainly and park this core.
/// Other cores keep running.
fn el2_fault(frame: &TrapFrame, kind: TrapKind) -> ! {
    let esr = ESR_EL2.get();
    let far = FAR_EL2.get();
    console::emergency_print(format_args!(
        "{} EL2 exception on core {} (mpidr {:#x}): {:?}\n  {}\n  ESR {:#x} FAR {:#x} ELR {:#x} SPSR {:#x}\n  x0 {:#x} x1 {:#x} x2 {:#x} x3 {:#x} x29 {:#x} x30 {:#x}\n  core {} parked\n",
        console::Stamp,
        cpu::index(),
        cpu::mpidr(),
        kind,
        Esr(esr),
        esr,
        far,
        frame.elr,
        frame.spsr,
        frame.x[0],
        frame.x[1],
        frame.x[2],
        frame.x[3],
        frame.x[29],
        frame.x[30],
        cpu::index(),
    ));
    defmt::error!(
        "EL2 exception: esr={=u64:#x} far={=u64:#x} elr={=u64:#x}",
        esr,
        far,
        frame.elr
    );
    cpu::park()
}
