//! What a secondary core needs before it can run Rust: the table of MPIDRs
//! that gives it its logical index, and a way to be released from a spin
//! table.

use super::{cache, cpu, MAX_CPUS};
use core::ptr::{addr_of, addr_of_mut};

/// `CORE_MPIDRS[i]` is the MPIDR of logical core `i`; read by the secondary
/// entry assembly with the MMU off.
pub static mut CORE_MPIDRS: [u64; MAX_CPUS] = [u64::MAX; MAX_CPUS];
pub static mut CORE_COUNT: usize = 0;

/// Publishes the logical-index table, cleaned to memory so that cores with
/// their MMU off read it. Extra entries beyond `MAX_CPUS` are dropped (the
/// caller reports them).
pub fn publish_mpidrs(mpidrs: &[u64]) {
    let n = mpidrs.len().min(MAX_CPUS);
    // SAFETY: no secondary core runs yet; the boot core is the only writer.
    unsafe {
        let table = &mut *addr_of_mut!(CORE_MPIDRS);
        table[..n].copy_from_slice(&mpidrs[..n]);
        addr_of_mut!(CORE_COUNT).write_volatile(n);
    }
    cache::clean_to_poc(
        addr_of!(CORE_MPIDRS) as usize,
        core::mem::size_of::<[u64; MAX_CPUS]>(),
    );
    cache::clean_to_poc(addr_of!(CORE_COUNT) as usize, core::mem::size_of::<usize>());
}

/// Releases a core parked on a spin table: writes `entry` to its release
/// address, cleans it to memory (the parked core polls with caches off),
/// and sends an event.
///
/// # Safety
/// `release_addr` must be the core's `cpu-release-addr` from the device
/// tree, mapped, 8-byte aligned, and owned by the firmware's spin table
/// (never by a partition).
pub unsafe fn release_spin_table(release_addr: u64, entry: u64) {
    let p = release_addr as *mut u64;
    // SAFETY: the caller guarantees the address is the core's release slot.
    unsafe { p.write_volatile(entry) };
    cache::clean_to_poc(release_addr as usize, 8);
    cpu::send_event();
}
