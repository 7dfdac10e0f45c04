//! Bringing up the secondary cores.
//!
//! How a core is started is a [`CpuStarter`]: PSCI CPU_ON (QEMU virt, most
//! boards) or a spin-table release (the Raspberry Pi firmware). Each started
//! core runs `boot::secondary_main`, which reports in through `ONLINE`; the
//! boot core waits a bounded time and names every core that did not.

use crate::arch::{self, cpu, psci, smp_boot, MAX_CPUS};
use crate::println;
use alloc::vec::Vec;
use bulkhead_core::hw::{Cpu, EnableMethod, Hardware, Psci};
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

/// How long the boot core waits for a started core to report in.
const REPORT_IN_US: u64 = 2_000_000;

static ONLINE: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];

#[derive(Clone, Copy, Debug)]
pub enum StartError {
    /// The cpu node names no method we know.
    NoEnableMethod,
    /// enable-method is psci but the tree has no /psci node.
    NoPsciNode,
    Psci(i64),
    BadReleaseAddress(u64),
    /// Started, but never reported in.
    Silent,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::NoEnableMethod => {
                write!(f, "its cpu node has no enable-method Bulkhead knows")
            }
            StartError::NoPsciNode => write!(
                f,
                "enable-method is psci but the device tree has no /psci node"
            ),
            StartError::Psci(code) => write!(
                f,
                "PSCI CPU_ON returned {} ({code})",
                psci::error_name(*code)
            ),
            StartError::BadReleaseAddress(a) => {
                write!(f, "cpu-release-addr {a:#x} is not 8-byte aligned")
            }
            StartError::Silent => write!(f, "did not report in within {} ms", REPORT_IN_US / 1000),
        }
    }
}

/// Starts one core at `entry`.
pub trait CpuStarter {
    fn start(&self, cpu: &Cpu, entry: u64) -> Result<(), StartError>;
}

pub struct PsciStarter(pub Psci);

impl CpuStarter for PsciStarter {
    fn start(&self, cpu: &Cpu, entry: u64) -> Result<(), StartError> {
        match psci::call(self.0.conduit, self.0.cpu_on, cpu.mpidr, entry, 0) {
            0 => Ok(()),
            code => Err(StartError::Psci(code)),
        }
    }
}

pub struct SpinTableStarter;

impl CpuStarter for SpinTableStarter {
    fn start(&self, cpu: &Cpu, entry: u64) -> Result<(), StartError> {
        let EnableMethod::SpinTable { release_addr } = cpu.enable_method else {
            return Err(StartError::NoEnableMethod);
        };
        if release_addr % 8 != 0 {
            return Err(StartError::BadReleaseAddress(release_addr));
        }
        // SAFETY: the address is the core's cpu-release-addr from the device
        // tree, inside the firmware's spin-table area that no partition is
        // given (the board descriptor's carve-out), and aligned.
        unsafe { smp_boot::release_spin_table(release_addr, entry) };
        Ok(())
    }
}

fn start_one(hw: &Hardware, cpu: &Cpu, entry: u64) -> Result<(), StartError> {
    match cpu.enable_method {
        EnableMethod::Psci => PsciStarter(hw.psci.ok_or(StartError::NoPsciNode)?).start(cpu, entry),
        EnableMethod::SpinTable { .. } => SpinTableStarter.start(cpu, entry),
        EnableMethod::None => Err(StartError::NoEnableMethod),
    }
}

/// The logical order of cores: the boot core first, then the others in
/// device-tree order, at most `MAX_CPUS`.
pub fn logical_order(hw: &Hardware, boot_mpidr: u64) -> Vec<&Cpu> {
    let mut order: Vec<&Cpu> = hw
        .cpus
        .iter()
        .filter(|c| c.mpidr == boot_mpidr)
        .take(1)
        .collect();
    order.extend(hw.cpus.iter().filter(|c| c.mpidr != boot_mpidr));
    order
}

/// Starts every secondary core and waits for each to report in. Returns how
/// many cores (boot core included) are up.
pub fn start_secondaries(hw: &Hardware) -> usize {
    let order = logical_order(hw, cpu::mpidr());
    if order.first().map(|c| c.mpidr) != Some(cpu::mpidr()) {
        println!(
            "smp: the boot core (mpidr {:#x}) is not in the device tree's /cpus",
            cpu::mpidr()
        );
    }
    for extra in order.iter().skip(MAX_CPUS) {
        println!(
            "smp: {} (mpidr {:#x}) not started: this image supports {} cores",
            extra.name, extra.mpidr, MAX_CPUS
        );
    }
    let order: Vec<&Cpu> = order.into_iter().take(MAX_CPUS).collect();
    let mpidrs: Vec<u64> = order.iter().map(|c| c.mpidr).collect();
    smp_boot::publish_mpidrs(&mpidrs);
    ONLINE[0].store(true, Ordering::Release);

    let entry = arch::bulkhead_secondary_entry as *const () as u64;
    let mut failed: Vec<(usize, StartError)> = Vec::new();
    for (i, c) in order.iter().enumerate().skip(1) {
        if let Err(e) = start_one(hw, c, entry) {
            failed.push((i, e));
        }
    }
    let deadline = cpu::uptime_us() + REPORT_IN_US;
    for (i, _) in order.iter().enumerate().skip(1) {
        if failed.iter().any(|(f, _)| *f == i) {
            continue;
        }
        while !ONLINE[i].load(Ordering::Acquire) && cpu::uptime_us() < deadline {
            core::hint::spin_loop();
        }
        if !ONLINE[i].load(Ordering::Acquire) {
            failed.push((i, StartError::Silent));
        }
    }
    failed.sort_by_key(|(i, _)| *i);
    for (i, e) in &failed {
        if let Some(c) = order.get(*i) {
            println!(
                "core {i} ({}, mpidr {:#x}) failed to start: {e}",
                c.name, c.mpidr
            );
        }
    }
    let up = order.len() - failed.len();
    if failed.is_empty() {
        println!("all cores up ({up}/{})", hw.cpus.len());
    } else {
        println!("cores up: {up}/{}", hw.cpus.len());
    }
    up
}

/// Called by each secondary core once it runs Rust code.
pub fn report_in(index: usize) {
    println!("core {index} (mpidr {:#x}) up", cpu::mpidr());
    if let Some(flag) = ONLINE.get(index) {
        flag.store(true, Ordering::Release);
    }
}
