//! PSCI calls through the conduit the device tree names (SMC Calling
//! Convention: function id in w0, arguments in x1..x3, result in x0).

use crate::dt::Conduit;
use core::arch::asm;
use core::sync::atomic::{AtomicU8, Ordering};

const NONE: u8 = 0;
const HVC: u8 = 1;
const SMC: u8 = 2;

static CONDUIT: AtomicU8 = AtomicU8::new(NONE);

pub fn set_conduit(c: Conduit) {
    CONDUIT.store(if c == Conduit::Hvc { HVC } else { SMC }, Ordering::Relaxed);
}

pub fn conduit() -> Option<Conduit> {
    match CONDUIT.load(Ordering::Relaxed) {
        HVC => Some(Conduit::Hvc),
        SMC => Some(Conduit::Smc),
        _ => None,
    }
}

/// Makes a PSCI call; None when the device tree named no conduit.
pub fn call(function: u32, a1: u64, a2: u64, a3: u64) -> Option<i64> {
    let mut x0 = function as u64;
    match CONDUIT.load(Ordering::Relaxed) {
        // SAFETY: a PSCI call through the conduit the device tree names. The
        // firmware or hypervisor may clobber x0-x17 (SMCCC 1.0); all are
        // declared. CPU_ON makes another CPU run our secondary entry code on
        // its own stack slot; SYSTEM_OFF/RESET do not return.
        HVC => unsafe {
            asm!("hvc #0",
                inout("x0") x0, inout("x1") a1 => _, inout("x2") a2 => _, inout("x3") a3 => _,
                out("x4") _, out("x5") _, out("x6") _, out("x7") _, out("x8") _, out("x9") _,
                out("x10") _, out("x11") _, out("x12") _, out("x13") _, out("x14") _,
                out("x15") _, out("x16") _, out("x17") _,
                options(nostack))
        },
        // SAFETY: as above, through SMC.
        SMC => unsafe {
            asm!("smc #0",
                inout("x0") x0, inout("x1") a1 => _, inout("x2") a2 => _, inout("x3") a3 => _,
                out("x4") _, out("x5") _, out("x6") _, out("x7") _, out("x8") _, out("x9") _,
                out("x10") _, out("x11") _, out("x12") _, out("x13") _, out("x14") _,
                out("x15") _, out("x16") _, out("x17") _,
                options(nostack))
        },
        _ => return None,
    }
    Some(x0 as i64)
}
