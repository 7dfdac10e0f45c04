//! Bulkhead: a static-partitioning hypervisor for 64-bit Arm, at EL2.
//!
//! Module map: `arch` holds every line of assembly and every system register
//! access; `boot` is the boot sequence; `console`/`pl011` the text console;
//! `log` the defmt ring; `heap`/`frames` memory; `smp` core bring-up; `trap`
//! the exception handler. Pure logic (device tree, ESR decoding, memory
//! maps, translation tables) lives in `bulkhead-core`, tested on the host.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
extern crate alloc;

#[cfg(target_os = "none")]
mod arch;
#[cfg(target_os = "none")]
mod boot;
#[cfg(target_os = "none")]
mod console;
#[cfg(target_os = "none")]
mod console_in;
#[cfg(target_os = "none")]
mod devreset;
#[cfg(target_os = "none")]
mod frames;
#[cfg(target_os = "none")]
mod gic;
#[cfg(target_os = "none")]
mod guest_exit;
#[cfg(target_os = "none")]
mod heap;
#[cfg(target_os = "none")]
mod log;
#[cfg(target_os = "none")]
mod memory;
#[cfg(target_os = "none")]
mod mgmt_host;
#[cfg(target_os = "none")]
mod panic;
#[cfg(target_os = "none")]
mod partition;
#[cfg(target_os = "none")]
mod pl011;
#[cfg(target_os = "none")]
mod platform;
#[cfg(target_os = "none")]
mod setup;
#[cfg(target_os = "none")]
mod smp;
#[cfg(target_os = "none")]
mod snapshot;
#[cfg(target_os = "none")]
mod stats;
#[cfg(target_os = "none")]
mod supervise;
#[cfg(target_os = "none")]
mod trap;
#[cfg(target_os = "none")]
mod vconsole;
#[cfg(target_os = "none")]
mod vcpu;
#[cfg(target_os = "none")]
mod virq;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("bulkhead is an aarch64-unknown-none image: build it with `cargo xtask build`");
    std::process::exit(2);
}
