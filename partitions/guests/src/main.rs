//! Bulkhead's test guest: one bare-metal EL1 image whose behaviour the
//! device tree's `/chosen/bootargs` selects (see README.md). It runs inside a
//! Bulkhead partition and natively on QEMU virt.
//!
//! Module map: `bootargs`, `dt`, `pagetable`, `psci` and `esr` are pure
//! logic, compiled and unit-tested on the host too; `arch` (assembly, system
//! registers, MMU, PSCI calls, PL011) holds every `unsafe`; `console` prints
//! lines; `guest` is the boot sequence, the modes and the exception handler.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![cfg_attr(not(target_os = "none"), allow(dead_code))]

mod bootargs;
mod dt;
mod esr;
mod pagetable;
mod psci;

#[cfg(target_os = "none")]
mod arch;
#[cfg(target_os = "none")]
mod console;
#[cfg(target_os = "none")]
mod guest;
#[cfg(target_os = "none")]
mod panic;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "bulkhead-guest is an aarch64-unknown-none image: \
         cargo build -p bulkhead-guest --release --target aarch64-unknown-none"
    );
    std::process::exit(2);
}
