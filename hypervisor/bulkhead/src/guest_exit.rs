//! What happens when a partition's vCPU traps to EL2 (a synchronous
//! exception from a lower EL). Every path ends in one of: resume the guest
//! (possibly with an injected abort), or take the vCPU off its core. None
//! of them can stop Bulkhead or reach another partition.

use crate::arch::guest;
use crate::arch::vectors::TrapFrame;
use crate::partition::{self, Partition, State};
use crate::{println, supervise, vcpu, virq};
use bulkhead_core::esr::Esr;
use bulkhead_core::mmio::{self, MmioAccess};
use bulkhead_core::psci::{self, PsciCall, PsciError};
use bulkhead_core::supervisor::{Decision, Event, FaultKind};
use bulkhead_core::vpl011;

const EC_WFX: u64 = 0x01;
const EC_HVC64: u64 = 0x16;
const EC_SMC64: u64 = 0x17;
const EC_SYSREG: u64 = 0x18;
const EC_IABT_LOW: u64 = 0x20;
const EC_DABT_LOW: u64 = 0x24;

/// MSR/MRS trap ISS with Rt and direction masked out: Op0 (21:20), Op2
/// (19:17), Op1 (16:14), CRn (13:10), CRm (4:1).
const fn sysreg_iss(op0: u64, op1: u64, crn: u64, crm: u64, op2: u64) -> u64 {
    (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (crm << 1)
}
const ICC_SGI1R: u64 = sysreg_iss(3, 0, 12, 11, 5);
const ICC_ASGI1R: u64 = sysreg_iss(3, 0, 12, 11, 6);
const ICC_SGI0R: u64 = sysreg_iss(3, 0, 12, 11, 7);

/// What the handler decided.
enum Outcome {
    /// Go back to the guest (ELR already points where it should).
    Resume,
    /// The guest waits for an interrupt: let the core sleep, then resume.
    Idle,
    /// Take this vCPU off the core.
    Off,
    /// A management call of the manager partition (x0..x3), carried out
    /// once its own lock is released (it may act on itself or lock
    /// another partition); the results go back where the call came from.
    Manage([u64; 4], Via),
}

/// Where a manager's call came from, and where its results go.
#[derive(Clone, Copy)]
enum Via {
    /// `hvc`: results in x0..x3 (ELR already past the instruction).
    Hvc,
    /// A write to the doorbell's CALL register: results in its X0..X3.
    Doorbell,
}

pub fn handle_sync(frame: &mut TrapFrame) {
    let (esr, far, hpfar) = guest::fault_registers();
    let me = vcpu::current();
    let Some(pid) = me.partition else {
        println!("trap from a lower EL on a core no partition owns (ESR {esr:#x}); core parked");
        crate::arch::cpu::park();
    };
    let Some(cell) = partition::get(pid) else {
        crate::arch::cpu::park()
    };
    let mut p = cell.lock();
    p.traps += 1;
    if let Some(s) = crate::stats::of(pid) {
        crate::stats::bump(&s.traps);
    }
    if p.state != State::Running {
        // Stopping, restarting or pausing: the trapped instruction is not
        // handled (a pausing vCPU is captured with its frame as it is and
        // takes the trap again once resumed).
        return leave_or_resume(p, me.vcpu, frame);
    }
    match dispatch(&mut p, me.vcpu, frame, esr, far, hpfar) {
        Outcome::Resume => leave_or_resume(p, me.vcpu, frame),
        Outcome::Idle => {
            drop(p);
            // Sleep until a physical interrupt is pending (the guest's
            // timer, a device, a kick from another core). Interrupts stay
            // masked at EL2: the one that woke us is taken as soon as the
            // guest runs again, and injected then.
            if !virq::lr_pending() {
                let t0 = crate::arch::cpu::counter();
                crate::arch::cpu::wait_for_interrupt();
                if let Some(s) = crate::stats::of(pid) {
                    s.idle_ticks.fetch_add(
                        crate::arch::cpu::counter().wrapping_sub(t0),
                        core::sync::atomic::Ordering::Relaxed,
                    );
                }
            }
        }
        Outcome::Off => {
            drop(p);
            vcpu::off_and_wait()
        }
        Outcome::Manage(x, via) => {
            drop(p);
            let results = crate::mgmt_host::manager_call(pid, x);
            let mut p = cell.lock();
            match via {
                Via::Hvc => {
                    for (r, v) in frame.x.iter_mut().zip(results) {
                        *r = v;
                    }
                }
                Via::Doorbell => p.doorbell.complete(results),
            }
            // The call may have stopped, restarted or paused this very
            // partition: leave as its state now says.
            leave_or_resume(p, me.vcpu, frame)
        }
    }
}

/// The last step before going back to a guest, with its partition locked:
/// running, the list registers are brought up to date; stopping or
/// restarting, the vCPU goes off; pausing for a snapshot or restore, it
/// saves itself and waits.
fn leave_or_resume(mut p: spin::MutexGuard<'static, Partition>, vcpu_id: usize, frame: &TrapFrame) {
    match p.state {
        State::Running => virq::sync(&mut p, vcpu_id),
        State::Pausing => {
            crate::snapshot::capture(&mut p, vcpu_id, frame);
            drop(p);
            vcpu::hold_and_wait();
        }
        State::Restarting | State::Stopped => {
            drop(p);
            vcpu::off_and_wait();
        }
    }
}

/// After a physical interrupt taken while the guest ran (`virq` has
/// queued what it delivers).
pub fn after_irq(frame: &TrapFrame) {
    let me = vcpu::current();
    if let Some(cell) = me.partition.and_then(partition::get) {
        leave_or_resume(cell.lock(), me.vcpu, frame);
    }
}

fn dispatch(
    p: &mut Partition,
    vcpu_id: usize,
    frame: &mut TrapFrame,
    esr: u64,
    far: u64,
    hpfar: u64,
) -> Outcome {
    let ec = esr >> 26;
    if let Some(n) = p.exits_by_class.get_mut((ec & 0x3F) as usize) {
        *n += 1;
    }
    match ec {
        EC_HVC64 => hypercall(p, frame),
        EC_SMC64 => {
            // A trapped SMC returns to the SMC itself; skip it.
            frame.elr = frame.elr.wrapping_add(4);
            hypercall(p, frame)
        }
        EC_WFX => {
            frame.elr = frame.elr.wrapping_add(4);
            // ISS bit 0: 0 = WFI, 1 = WFE. WFE just returns (allowed: it
            // may complete spuriously); WFI waits for an interrupt.
            if esr & 1 == 0 {
                p.idle_waits += 1;
                if let Some(s) = crate::stats::of(p.id) {
                    crate::stats::bump(&s.wfi);
                }
                Outcome::Idle
            } else {
                Outcome::Resume
            }
        }
        EC_SYSREG => {
            let read = esr & 1 == 1;
            let rt = ((esr >> 5) & 0x1F) as usize;
            // Op0 Op2 Op1 CRn CRm, without Rt and direction.
            let which = esr & 0x003F_FC1E;
            let value = frame.x.get(rt).copied().unwrap_or(0);
            match which {
                ICC_SGI1R if !read => {
                    let fx = p.vgic.sgi1r_write(vcpu_id, value);
                    virq::apply(p, &fx);
                }
                ICC_ASGI1R | ICC_SGI0R if !read => {
                    let fx = p.vgic.sgi0r_write(vcpu_id, value);
                    virq::apply(p, &fx);
                }
                _ => {
                    // Trapped debug, PMU and implementation-defined
                    // registers read as zero and ignore writes.
                    if read {
                        if let Some(r) = frame.x.get_mut(rt) {
                            *r = 0;
                        }
                    }
                }
            }
            frame.elr = frame.elr.wrapping_add(4);
            Outcome::Resume
        }
        EC_DABT_LOW => data_abort(p, vcpu_id, frame, esr, far, hpfar),
        EC_IABT_LOW => {
            let ipa = mmio::fault_ipa(hpfar, far);
            violation(
                p,
                vcpu_id,
                frame,
                esr,
                far,
                format_args!("instruction fetch from IPA {:#x}", ipa.0),
                true,
            )
        }
        _ => unhandled(
            p,
            vcpu_id,
            frame,
            esr,
            far,
            format_args!("unhandled exception: {}", Esr(esr)),
        ),
    }
}

/// Accesses to the emulated distributor and redistributors; `None` when
/// the address is not theirs.
fn gic_mmio(
    p: &mut Partition,
    vcpu_id: usize,
    frame: &mut TrapFrame,
    esr: u64,
    far: u64,
    ipa: bulkhead_core::addr::GuestPhysAddr,
) -> Option<Outcome> {
    let in_dist = p.gic_dist.contains(ipa.0);
    let redist_base = p.gic_redist.filter(|r| r.contains(ipa.0)).map(|r| r.base.0);
    if !in_dist && redist_base.is_none() {
        return None;
    }
    let Ok(access) = mmio::decode(esr, ipa) else {
        let what = format_args!("GIC access at IPA {:#x} that cannot be emulated", ipa.0);
        return Some(violation(p, vcpu_id, frame, esr, far, what, false));
    };
    let reg = access.reg as usize;
    let dist_off = ipa.0.wrapping_sub(p.gic_dist.base.0);
    let redist = redist_base.and_then(|b| p.vgic.redist_locate(ipa.0 - b));
    if access.write {
        let value = access.store_value(frame.x.get(reg).copied().unwrap_or(0));
        let fx = match (in_dist, redist) {
            (true, _) => p.vgic.dist_write(vcpu_id, dist_off, access.size, value),
            (false, Some((v, off))) => p.vgic.redist_write(v, off, access.size, value),
            (false, None) => bulkhead_core::vgic::Effects::new(),
        };
        virq::apply(p, &fx);
    } else {
        let raw = match (in_dist, redist) {
            (true, _) => p.vgic.dist_read(vcpu_id, dist_off, access.size),
            (false, Some((v, off))) => p.vgic.redist_read(v, off, access.size),
            (false, None) => 0,
        };
        if let Some(r) = frame.x.get_mut(reg) {
            *r = access.load_value(raw);
        }
    }
    frame.elr = frame.elr.wrapping_add(4);
    Some(Outcome::Resume)
}

fn data_abort(
    p: &mut Partition,
    vcpu_id: usize,
    frame: &mut TrapFrame,
    esr: u64,
    far: u64,
    hpfar: u64,
) -> Outcome {
    let ipa = mmio::fault_ipa(hpfar, far);
    if let Some(outcome) = gic_mmio(p, vcpu_id, frame, esr, far, ipa) {
        return outcome;
    }
    if let Some(outcome) = doorbell_mmio(p, vcpu_id, frame, esr, far, ipa) {
        return outcome;
    }
    if let Some(console) = p.console.as_mut() {
        if console.window.contains(ipa.0) {
            match mmio::decode(esr, ipa) {
                Ok(access) => {
                    let offset = ipa.0 - console.window.base.0;
                    let focused = crate::console_in::focus() == Some(p.id);
                    emulate_uart(&p.name, focused, console, offset, &access, frame);
                    console.refill();
                    let level = console.uart.irq_pending();
                    if let Some(intid) = p.console_intid {
                        let fx = p.vgic.set_level(intid, level);
                        virq::apply(p, &fx);
                    }
                    frame.elr = frame.elr.wrapping_add(4);
                    return Outcome::Resume;
                }
                Err(why) => {
                    return violation(
                        p,
                        vcpu_id,
                        frame,
                        esr,
                        far,
                        format_args!(
                            "console access at IPA {:#x} that cannot be emulated ({why:?})",
                            ipa.0
                        ),
                        false,
                    )
                }
            }
        }
    }
    let dir = if esr & (1 << 6) != 0 {
        "write to"
    } else {
        "read from"
    };
    violation(
        p,
        vcpu_id,
        frame,
        esr,
        far,
        format_args!("{dir} IPA {:#x} outside its map", ipa.0),
        false,
    )
}

/// The manager's doorbell page (`bulkhead_core::mgmt::doorbell`); `None`
/// when the address is not the doorbell or the partition has none (every
/// partition but the manager: there the page is unmapped like any other).
fn doorbell_mmio(
    p: &mut Partition,
    vcpu_id: usize,
    frame: &mut TrapFrame,
    esr: u64,
    far: u64,
    ipa: bulkhead_core::addr::GuestPhysAddr,
) -> Option<Outcome> {
    use bulkhead_core::mgmt::doorbell::{Written, GUEST_BASE, SIZE};
    if !p.manager || !(GUEST_BASE..GUEST_BASE + SIZE).contains(&ipa.0) {
        return None;
    }
    let access = match mmio::decode(esr, ipa) {
        Ok(a) => a,
        Err(why) => {
            let what = format_args!(
                "doorbell access at IPA {:#x} that cannot be emulated ({why:?})",
                ipa.0
            );
            return Some(violation(p, vcpu_id, frame, esr, far, what, false));
        }
    };
    let offset = ipa.0 - GUEST_BASE;
    let reg = access.reg as usize;
    frame.elr = frame.elr.wrapping_add(4);
    let d = &mut p.doorbell;
    if access.write {
        let value = access.store_value(frame.x.get(reg).copied().unwrap_or(0));
        if let Written::Call(x) = d.write(offset, access.size, value) {
            return Some(Outcome::Manage(x, Via::Doorbell));
        }
    } else {
        let value = access.load_value(d.read(offset, access.size));
        if let Some(r) = frame.x.get_mut(reg) {
            *r = value;
        }
    }
    Some(Outcome::Resume)
}

fn emulate_uart(
    name: &str,
    focused: bool,
    console: &mut partition::EmulatedConsole,
    offset: u64,
    access: &MmioAccess,
    frame: &mut TrapFrame,
) {
    if offset >= vpl011::WINDOW {
        return;
    }
    let reg = access.reg as usize;
    if access.write {
        let value = if reg < 31 { frame.x[reg] } else { 0 };
        if let vpl011::Effect::Output(byte) =
            console.uart.write(offset, access.store_value(value) as u32)
        {
            console.line.push(name, byte, focused);
        }
    } else {
        let value = access.load_value(u64::from(console.uart.read(offset)));
        if let Some(r) = frame.x.get_mut(reg) {
            *r = value;
        }
    }
}

/// The guest did something it may not. Report it, then apply the
/// partition's policy.
fn violation(
    p: &mut Partition,
    vcpu_id: usize,
    frame: &mut TrapFrame,
    esr: u64,
    far: u64,
    what: core::fmt::Arguments,
    instruction: bool,
) -> Outcome {
    violation_of(p, vcpu_id, frame, esr, far, what, instruction, true)
}

/// A violation that cannot be turned into an abort for the guest (an
/// exception Bulkhead does not emulate).
fn unhandled(
    p: &mut Partition,
    vcpu_id: usize,
    frame: &mut TrapFrame,
    esr: u64,
    far: u64,
    what: core::fmt::Arguments,
) -> Outcome {
    violation_of(p, vcpu_id, frame, esr, far, what, false, false)
}

#[allow(clippy::too_many_arguments)]
fn violation_of(
    p: &mut Partition,
    vcpu_id: usize,
    frame: &mut TrapFrame,
    esr: u64,
    far: u64,
    what: core::fmt::Arguments,
    instruction: bool,
    injectable: bool,
) -> Outcome {
    p.faults += 1;
    if let Some(s) = crate::stats::of(p.id) {
        crate::stats::bump(&s.faults);
    }
    let now = crate::arch::cpu::uptime_us();
    let (start, count) = p.storm_window;
    p.storm_window = if now.saturating_sub(start) > 1_000_000 {
        (now, 1)
    } else {
        (start, count + 1)
    };
    let storm = p.storm_window.1 > partition::STORM_LIMIT;
    // An abort can only be injected into a guest that has somewhere to take
    // it: VBAR_EL1 inside its own memory.
    let vbar = guest::vbar_el1();
    let has_vectors = p
        .memory
        .iter()
        .any(|m| m.contains(vbar) && m.contains(vbar.saturating_add(0x7FF)));
    // What kind of fault this is for the supervisor: a stage-2 abort can be
    // injected (when the guest has vectors to take it); a storm or an
    // abort with nowhere to go cannot.
    let kind = if storm {
        FaultKind::ExceptionStorm
    } else if !has_vectors || !injectable {
        FaultKind::Unhandled
    } else {
        FaultKind::StageTwo
    };
    println!(
        "partition {} ({}) vcpu {}: {} at pc {:#x} (ESR {:#x})",
        p.id, p.name, vcpu_id, what, frame.elr, esr
    );
    defmt::warn!(
        "partition {=usize} fault esr={=u64:#x} pc={=u64:#x}",
        p.id,
        esr,
        frame.elr
    );
    match supervise::decide(p, Event::Fault(kind)) {
        Decision::InjectAbort => {
            println!(
                "partition {} ({}): abort injected into the guest",
                p.id, p.name
            );
            guest::inject_abort(frame, instruction, far);
            Outcome::Resume
        }
        _ if p.state == State::Running => Outcome::Resume,
        _ => Outcome::Off,
    }
}

/// HVC (and trapped SMC): PSCI. Other function ranges are answered
/// NOT_SUPPORTED.
fn hypercall(p: &mut Partition, frame: &mut TrapFrame) -> Outcome {
    let call = psci::decode([frame.x[0], frame.x[1], frame.x[2], frame.x[3]]);
    let vcpus = p.cores.len();
    let answer: u64 = match call {
        PsciCall::Version => psci::PSCI_VERSION_1_1,
        PsciCall::SmcccVersion => 0x1_0001, // SMCCC 1.1
        PsciCall::Features { function } => psci::features(function),
        PsciCall::MigrateInfoType => psci::MIGRATE_NOT_REQUIRED,
        PsciCall::CpuSuspend => 0, // a suspend that returns at once is allowed
        PsciCall::CpuOn {
            target,
            entry,
            context,
        } => match psci::target_vcpu(target, vcpus) {
            None => PsciError::InvalidParameters.to_x0(),
            Some(i) if !p.memory.iter().any(|m| m.contains(entry)) => {
                let _ = i;
                PsciError::InvalidAddress.to_x0()
            }
            Some(i) => match p
                .cores
                .get(i)
                .map(|&core| vcpu::post_start(core, entry, context))
            {
                Some(Ok(())) => 0,
                Some(Err(e)) => e.to_x0(),
                None => PsciError::InvalidParameters.to_x0(),
            },
        },
        PsciCall::AffinityInfo { target, level } => match (level, psci::target_vcpu(target, vcpus))
        {
            (0, Some(i)) => match p.cores.get(i).and_then(|&c| vcpu::power_of(c)) {
                Some(vcpu::Power::On) => psci::AFFINITY_ON,
                Some(vcpu::Power::OnPending { .. }) => psci::AFFINITY_ON_PENDING,
                _ => psci::AFFINITY_OFF,
            },
            _ => PsciError::InvalidParameters.to_x0(),
        },
        PsciCall::CpuOff => return Outcome::Off,
        PsciCall::SystemOff => {
            let irqs: alloc::vec::Vec<alloc::string::String> = p
                .irq_counts
                .iter()
                .map(|(i, n)| alloc::format!("{i}:{n}"))
                .collect();
            let exits: alloc::vec::Vec<alloc::string::String> = p
                .exits_by_class
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(ec, n)| alloc::format!("{ec:#x}:{n}"))
                .collect();
            println!(
                "partition {} ({}): exits by class {}",
                p.id,
                p.name,
                exits.join(" ")
            );
            println!(
                "partition {} ({}): system off after {} traps, {} idle waits; interrupts {}",
                p.id,
                p.name,
                p.traps,
                p.idle_waits,
                irqs.join(" ")
            );
            supervise::decide(p, Event::SystemOff);
            return Outcome::Off;
        }
        PsciCall::SystemReset => {
            supervise::decide(p, Event::GuestReset);
            return if p.state == State::Running {
                Outcome::Resume
            } else {
                Outcome::Off
            };
        }
        PsciCall::Unknown { function }
            if function & 0xFF00_0000 == 0xC600_0000 || function & 0xFF00_0000 == 0x8600_0000 =>
        {
            return bulkhead_call(p, frame);
        }
        PsciCall::Unknown { .. } => PsciError::NotSupported.to_x0(),
    };
    frame.x[0] = answer;
    Outcome::Resume
}

/// An SError from a partition: asynchronous, so it cannot be tied to one
/// access. Treated as a fault of the partition.
pub fn handle_serror(frame: &mut TrapFrame) {
    let (esr, far, _) = guest::fault_registers();
    let me = vcpu::current();
    let outcome = match me.partition.and_then(partition::get) {
        Some(cell) => {
            // Not injectable: the supervisor stops or restarts by policy.
            unhandled(
                &mut cell.lock(),
                me.vcpu,
                frame,
                esr,
                far,
                format_args!("SError"),
            )
        }
        None => Outcome::Off,
    };
    if let Outcome::Off = outcome {
        vcpu::off_and_wait()
    }
}

/// Bulkhead's own hypercalls (SMCCC vendor-specific hypervisor range,
/// `bulkhead_core::mgmt::hypercall`): the watchdog kick and the guest panic
/// report for every partition; management calls only for the partition the
/// configuration marks as manager, refused and logged for the others.
fn bulkhead_call(p: &mut Partition, frame: &mut TrapFrame) -> Outcome {
    use bulkhead_core::mgmt::{decode_hypercall, HvcStatus, Hypercall};
    let call = decode_hypercall([frame.x[0], frame.x[1], frame.x[2], frame.x[3]]);
    let answer = match call {
        Hypercall::CallUid => {
            let [a, b, c, d] = bulkhead_core::mgmt::hypercall::UID;
            frame.x[1] = u64::from(b);
            frame.x[2] = u64::from(c);
            frame.x[3] = u64::from(d);
            u64::from(a)
        }
        Hypercall::Revision => {
            frame.x[1] = bulkhead_core::mgmt::hypercall::REVISION_MINOR;
            bulkhead_core::mgmt::hypercall::REVISION_MAJOR
        }
        Hypercall::WatchdogKick => {
            supervise::decide(p, Event::WatchdogKick);
            HvcStatus::Ok.to_x0()
        }
        Hypercall::GuestPanic { code } => {
            println!(
                "partition {} ({}): the guest reports a panic (code {code:#x})",
                p.id, p.name
            );
            supervise::decide(p, Event::Fault(FaultKind::GuestPanic { code }));
            return if p.state == State::Running {
                Outcome::Resume
            } else {
                Outcome::Off
            };
        }
        Hypercall::PartitionCount
        | Hypercall::PartitionInfo { .. }
        | Hypercall::PartitionName { .. }
        | Hypercall::Manage { .. } => {
            if p.manager {
                return Outcome::Manage([frame.x[0], frame.x[1], frame.x[2], frame.x[3]], Via::Hvc);
            } else {
                println!(
                    "partition {} ({}): management hypercall {:#x} refused: not the manager partition",
                    p.id, p.name, frame.x[0] as u32
                );
                HvcStatus::NotManager.to_x0()
            }
        }
        Hypercall::InvalidParameter { .. } => HvcStatus::InvalidParameter.to_x0(),
        Hypercall::Unknown { .. } => HvcStatus::NotSupported.to_x0(),
    };
    frame.x[0] = answer;
    Outcome::Resume
}
