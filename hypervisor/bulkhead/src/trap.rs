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
            TrapKind::Sync => crate::guest_exit::handle_sync(frame),
            // Physical interrupts are routed to EL2 while a guest runs
            // (HCR_EL2.IMO, FMO): see `virq`.
            TrapKind::Irq | TrapKind::Fiq => {
                let me = crate::vcpu::current();
                if let Some(s) = me.partition.and_then(crate::stats::of) {
                    crate::stats::bump(&s.traps);
                    crate::stats::bump(&s.irqs);
                }
                crate::virq::irq_from_guest(me.partition, me.vcpu);
                crate::guest_exit::after_irq(frame);
            }
            TrapKind::SError => crate::guest_exit::handle_serror(frame),
        },
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
