//! Calls to the firmware's PSCI implementation (smc or hvc conduit, as the
//! device tree says).

use bulkhead_core::hw::Conduit;
use core::arch::asm;

/// Calls PSCI function `fid` with three arguments; returns x0.
pub fn call(conduit: Conduit, fid: u32, a1: u64, a2: u64, a3: u64) -> i64 {
    let mut x0 = fid as u64;
    match conduit {
        // SAFETY: an SMC Calling Convention call: the firmware may clobber
        // x0-x17 and must not touch our memory except as the function says
        // (CPU_ON and friends only start or stop cores).
        Conduit::Smc => unsafe {
            asm!("smc #0",
                inout("x0") x0, inout("x1") a1 => _, inout("x2") a2 => _, inout("x3") a3 => _,
                out("x4") _, out("x5") _, out("x6") _, out("x7") _, out("x8") _, out("x9") _,
                out("x10") _, out("x11") _, out("x12") _, out("x13") _, out("x14") _, out("x15") _,
                out("x16") _, out("x17") _, options(nostack))
        },
        // SAFETY: as above, through the hypervisor-call conduit.
        Conduit::Hvc => unsafe {
            asm!("hvc #0",
                inout("x0") x0, inout("x1") a1 => _, inout("x2") a2 => _, inout("x3") a3 => _,
                out("x4") _, out("x5") _, out("x6") _, out("x7") _, out("x8") _, out("x9") _,
                out("x10") _, out("x11") _, out("x12") _, out("x13") _, out("x14") _, out("x15") _,
                out("x16") _, out("x17") _, options(nostack))
        },
    }
    x0 as i64
}

/// PSCI return codes, for messages.
pub fn error_name(code: i64) -> &'static str {
    match code {
        0 => "success",
        -1 => "NOT_SUPPORTED",
        -2 => "INVALID_PARAMETERS",
        -3 => "DENIED",
        -4 => "ALREADY_ON",
        -5 => "ON_PENDING",
        -6 => "INTERNAL_FAILURE",
        -7 => "NOT_PRESENT",
        -8 => "DISABLED",
        -9 => "INVALID_ADDRESS",
        _ => "unknown error",
    }
}
