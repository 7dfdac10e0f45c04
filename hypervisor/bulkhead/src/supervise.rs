//! The partition lifecycle at run time: carries out what each partition's
//! supervisor (`bulkhead_core::supervisor`, host-tested) decides.
//!
//! - Stop, hold, restart: the partition's state leaves `Running` and its
//!   cores are kicked; each vCPU goes off at its next exit to EL2 (a kick is
//!   an interrupt, taken at EL2 whatever the guest masks).
//! - Restart: once every vCPU of the partition is off and the back-off has
//!   passed, [`tick`] reloads the partition from the pristine images in the
//!   boot bundle (its passed-through devices reset and memory scrubbed
//!   first, the virtual GIC and the emulated console reset) and releases
//!   vCPU 0.
//! - Stop: once every vCPU is off, [`tick`] resets the passed-through
//!   devices, so that a stopped partition's devices do no more DMA.
//! - The EL2 physical timer of whichever core last changed a deadline fires
//!   at the earliest one (restart back-off, watchdog period), and [`tick`]
//!   runs then; with no deadline the timer is off and costs nothing.

use crate::arch::{cpu, memops};
use crate::partition::{self, Partition, State};
use crate::{println, vcpu};
use bulkhead_core::supervisor::{Decision, Event, FaultKind};

/// Hands `event` to the partition's supervisor and carries out the
/// decision. Called with the partition locked, on any core.
pub fn decide(p: &mut Partition, event: Event) -> Decision {
    let now = cpu::uptime_us();
    let d = p.sup.handle(now, event);
    match d {
        Decision::Restart { not_before, .. } => {
            println!(
                "partition {} ({}): restarting ({})",
                p.id,
                p.name,
                event_name(event)
            );
            p.state = State::Restarting;
            park(p);
            arm_timer(not_before.max(now + 1_000));
        }
        Decision::Stop => {
            println!(
                "partition {} ({}): stopped ({})",
                p.id,
                p.name,
                event_name(event)
            );
            p.state = State::Stopped;
            park(p);
            // `tick` quiets its devices once its vCPUs are off.
            arm_timer(now + 1_000);
        }
        Decision::Hold => {
            let c = p.sup.counters();
            println!(
                "partition {} ({}): held after {} restarts ({}); `start {}` runs it again",
                p.id,
                p.name,
                c.restarts,
                event_name(event),
                p.name
            );
            p.state = State::Stopped;
            park(p);
            arm_timer(now + 1_000);
        }
        Decision::InjectAbort | Decision::Nothing => {}
    }
    rearm(p);
    d
}

fn event_name(e: Event) -> &'static str {
    match e {
        Event::GuestReset => "the guest asked for a reset",
        Event::SystemOff => "the guest powered off",
        Event::Fault(FaultKind::StageTwo) => "stage-2 fault",
        Event::Fault(FaultKind::ExceptionStorm) => "exception storm",
        Event::Fault(FaultKind::GuestPanic { .. }) => "guest panic",
        Event::Fault(FaultKind::Unhandled) => "unhandled exception",
        Event::WatchdogExpired => "watchdog expired",
        Event::WatchdogKick => "watchdog kick",
        Event::ManagementRestart => "management restart",
        Event::ManagementStop => "management stop",
        Event::ManagementStart => "management start",
    }
}

/// Makes every vCPU of `p` that runs on another core exit to EL2, where it
/// sees the partition is no longer running and goes off.
fn park(p: &Partition) {
    let here = cpu::index();
    if let Some(g) = crate::gic::get() {
        for &core in &p.cores {
            if core != here && vcpu::power_of(core) != Some(vcpu::Power::Off) {
                g.kick(core);
            }
        }
    }
}

/// Programs this core's EL2 timer for the partition's next deadline (the
/// watchdog), if it has one.
fn rearm(p: &Partition) {
    if let Some(at) = p.sup.next_deadline() {
        arm_timer(at);
    }
}

fn arm_timer(at_us: u64) {
    crate::arch::timer::arm_hyp_timer_at_us(at_us);
}

/// Runs on the EL2 timer: watchdogs; then, for each partition, what waits
/// for its vCPUs to settle: a snapshot or restore once every vCPU is held
/// or off, the reset of a stopped partition's devices once every vCPU is
/// off, a reload once every vCPU is off and the back-off has passed.
pub fn tick() {
    crate::arch::timer::disarm_hyp_timer();
    let now = cpu::uptime_us();
    let mut next: Option<u64> = None;
    let mut soon = |at: u64| next = Some(next.map_or(at, |n: u64| n.min(at)));
    for cell in partition::all() {
        let Some(mut p) = cell.try_lock() else {
            // Busy on another core: look again soon.
            soon(now + 5_000);
            continue;
        };
        // Held for a snapshot or restore, its vCPUs cannot kick the
        // watchdog, and a decision now would strand the held vCPUs: the
        // watchdog is looked at again once the partition runs.
        if p.state != State::Pausing {
            if let Some(ev) = p.sup.tick(now) {
                decide(&mut p, ev);
            }
        }
        if p.state == State::Pausing {
            if all_cores(&p, |w| matches!(w, vcpu::Power::Off | vcpu::Power::Held)) {
                crate::snapshot::complete(&mut p);
            } else {
                soon(now + 1_000);
            }
        }
        if p.state == State::Stopped && !p.quiesced {
            if all_cores(&p, |w| w == vcpu::Power::Off) {
                crate::devreset::quiesce(p.id, &p.name, &p.devices, "stop");
                p.quiesced = true;
            } else {
                soon(now + 2_000);
            }
        }
        if p.state == State::Restarting {
            let all_off = all_cores(&p, |w| w == vcpu::Power::Off);
            let due = p.sup.next_deadline().is_none_or(|d| d <= now) || restart_due(&p, now);
            if all_off && due {
                reload(&mut p);
            } else {
                if !all_off {
                    park(&p);
                }
                soon(now + 2_000);
            }
        }
        if let Some(d) = p.sup.next_deadline() {
            soon(d);
        }
    }
    if let Some(at) = next {
        arm_timer(at.max(now + 500));
    }
}

/// Whether every vCPU of `p` is in a power state `ok` accepts.
fn all_cores(p: &Partition, ok: impl Fn(vcpu::Power) -> bool) -> bool {
    p.cores.iter().all(|&c| vcpu::power_of(c).is_some_and(&ok))
}

fn restart_due(p: &Partition, now: u64) -> bool {
    match p.sup.state() {
        bulkhead_core::supervisor::State::Restarting { not_before, .. } => now >= not_before,
        _ => false,
    }
}

/// Resets the partition's passed-through devices (those Bulkhead knows
/// how to reset, `devreset`), scrubs its memory, reloads its pristine
/// images, resets its virtual devices and releases vCPU 0.
///
/// Every byte of the partition's memory is written once: the images are
/// copied from the boot bundle, everything else is zeroed, and each line is
/// cleaned to the point of coherency as it is written, so that memory
/// itself (not only the caches) holds no byte of the previous incarnation
/// and the guest, which starts with its MMU off, reads its images
/// (`arch::memops` says why both matter on real hardware). The bytes an
/// image overwrites are not zeroed first, except the partial blocks at its
/// ends.
fn reload(p: &mut Partition) {
    use bulkhead_core::addr::MemRange;
    let t0 = cpu::uptime_us();
    // Its devices first: one still doing DMA would write into the memory
    // being scrubbed, and an interrupt left active would never come again.
    if !p.quiesced {
        crate::devreset::quiesce(p.id, &p.name, &p.devices, "restart");
    }
    let grain = memops::grain() as u64;
    // The whole blocks of each image, which its copy covers.
    let covered: alloc::vec::Vec<MemRange> = p
        .boot
        .loads
        .iter()
        .filter_map(|&(at, bytes)| {
            let start = at.checked_add(grain - 1)? / grain * grain;
            let end = at.checked_add(bytes.len() as u64)? / grain * grain;
            (start < end).then(|| MemRange::new(start, end - start))
        })
        .collect();
    let zeroed = bulkhead_core::memmap::free_ranges(&p.boot.scrub, &covered, 1);
    for r in &zeroed {
        // SAFETY: the range is the partition's own memory (validated at
        // boot, a part of one of its regions), covered by the EL2 map as
        // normal memory; all its vCPUs are off, so nothing else reads or
        // writes it now.
        unsafe { memops::zero_and_clean(r.base.0 as usize, r.size as usize) };
    }
    let t1 = cpu::uptime_us();
    for &(at, bytes) in &p.boot.loads {
        // SAFETY: as above (the images are laid out inside memory[0]); they
        // come from the boot bundle, which no partition's memory overlaps.
        unsafe { memops::copy_and_clean(at as usize, bytes) };
    }
    let t2 = cpu::uptime_us();
    p.reset_runtime();
    let now = cpu::uptime_us();
    match p.sup.started(now) {
        Ok(generation) => {
            p.state = State::Running;
            p.quiesced = false;
            let fx = p.vgic.hw_state();
            crate::virq::apply(p, &fx);
            let zeroed_mib = zeroed.iter().map(|r| r.size).sum::<u64>() >> 20;
            let copied_kib = p.boot.loads.iter().map(|(_, b)| b.len()).sum::<usize>() >> 10;
            println!(
                "partition {} ({}): restarted as generation {}, reload {} us (zero+clean {} MiB {} us, copy+clean {} KiB {} us, reset {} us)",
                p.id,
                p.name,
                generation.0,
                now - t0,
                zeroed_mib,
                t1 - t0,
                copied_kib,
                t2 - t1,
                now - t2
            );
            if let Some(&core) = p.cores.first() {
                let _ = vcpu::post_start(core, p.entry, p.dtb);
            }
        }
        Err(e) => println!("partition {} ({}): cannot restart yet: {e:?}", p.id, p.name),
    }
}

/// Runs a management command typed on the console.
pub fn run_command(line: &str) {
    use bulkhead_core::mgmt;
    let response = match mgmt::parse_command(line) {
        Ok(cmd) => {
            let mut host = crate::mgmt_host::ConsoleHost::new();
            let mut r = mgmt::execute(&mut host, &cmd);
            if let (mgmt::Command::Status(target), true) = (&cmd, r.is_ok()) {
                for (i, cell) in partition::all().iter().enumerate() {
                    let p = cell.lock();
                    let wanted = match target {
                        None => true,
                        Some(mgmt::Target::Index(n)) => *n == i,
                        Some(mgmt::Target::Name(n)) => n.as_str() == p.name,
                    };
                    if wanted {
                        for l in usage_lines(&p) {
                            r.line(&l);
                        }
                    }
                }
            }
            r
        }
        Err(e) => mgmt::Response::error(alloc::format!("{e}")),
    };
    // Plain lines, no time stamp: a host tool reads until `ok`/`error: `.
    // The newline ends the echoed command line.
    crate::console::print(format_args!("\n{}", response.render().replace('\r', "")));
}

/// What `status` adds to the supervisor's view: cores, memory, exits,
/// interrupts, and CPU use measured from the time its vCPUs waited after a
/// WFI (over its uptime).
fn usage_lines(p: &Partition) -> alloc::vec::Vec<alloc::string::String> {
    use alloc::format;
    use core::sync::atomic::Ordering;
    let mut out = alloc::vec::Vec::new();
    let cores: alloc::vec::Vec<alloc::string::String> =
        p.cores.iter().map(|c| format!("{c}")).collect();
    let mem: u64 = p.memory.iter().map(|m| m.size).sum();
    out.push(format!(
        "  {}: cores [{}], memory {} MiB",
        p.name,
        cores.join(" "),
        mem >> 20
    ));
    let irqs: alloc::vec::Vec<alloc::string::String> = p
        .irq_counts
        .iter()
        .map(|(i, n)| format!("{i}:{n}"))
        .collect();
    let total_irqs: u64 = p.irq_counts.values().sum();
    out.push(format!(
        "  {}: {} exits, {} interrupts ({}), {} faults",
        p.name,
        p.traps,
        total_irqs,
        if irqs.is_empty() {
            alloc::string::String::from("none")
        } else {
            irqs.join(" ")
        },
        p.faults
    ));
    if let Some(s) = crate::stats::of(p.id) {
        let hz = cpu::counter_hz().max(1);
        let ticks = s.idle_ticks.load(Ordering::Relaxed);
        let idle_us = ticks / hz * 1_000_000 + ticks % hz * 1_000_000 / hz;
        let up_us = p.sup.uptime(cpu::uptime_us()).max(1);
        let capacity = up_us.saturating_mul(p.cores.len().max(1) as u64);
        let busy = capacity.saturating_sub(idle_us.min(capacity));
        out.push(format!(
            "  {}: cpu use {}.{}% of {} vCPU(s) ({} idle waits)",
            p.name,
            busy * 100 / capacity,
            busy * 1000 / capacity % 10,
            p.cores.len(),
            s.wfi.load(Ordering::Relaxed)
        ));
    }
    out
}
