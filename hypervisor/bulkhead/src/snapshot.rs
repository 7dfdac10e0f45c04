//! Snapshot and restore of a running partition.
//!
//! Both start the same way: the partition's state becomes `Pausing` and its
//! cores are kicked. Each vCPU, at its next exit to EL2 (`capture`), saves
//! its registers, EL1 system registers, FP/SIMD registers, virtual timer
//! and GIC CPU interface into the partition's `held`, folds its list
//! registers into the vGIC model, and waits at EL2. When every vCPU is held
//! or off, `supervise::tick` calls [`complete`]:
//!
//! - snapshot: the held states, the vGIC model and all the partition's
//!   memory go into the slot (`bulkhead_core::snapshot` format, version 2:
//!   a CRC-32C per section in the table, one over the header); each memory
//!   region is copied and checksummed in one pass (`arch::crc`), and the
//!   vCPUs resume where they were;
//! - restore: the header, the tables and every state section are checked
//!   first (a few KiB: magic, version, checksums, that the snapshot was
//!   taken of this partition), then each memory region is copied back with
//!   the same fused loop and its CRC compared at the end of the region. A
//!   region that turns out corrupt has already overwritten the partition's
//!   memory: the restore is refused, logged with the partition, slot,
//!   region and both checksums, and the partition is restarted from its
//!   boot images (a stopped one stays stopped); it never resumes on mixed
//!   memory. Otherwise each vCPU resumes from the slot's state, with its
//!   virtual counter offset moved so that guest time continues from the
//!   snapshot.
//! - verify ([`verify`]): the complete check of a slot, every memory
//!   section included, without touching the partition.

use crate::arch::crc;
use crate::arch::{cpu, TrapFrame};
use crate::partition::{Partition, Pending, State};
use crate::{println, vcpu};
use alloc::vec::Vec;
use bulkhead_core::mgmt::doorbell::Doorbell;
use bulkhead_core::snapshot::{
    restored_cntvoff, GicCpuState, MemoryRegion, SectionKind, Snapshot, SnapshotError,
    SnapshotInfo, SnapshotWriter, Summary, VcpuState,
};
use bulkhead_core::supervisor::{Decision, Event};
use bulkhead_core::vgic::{Vgic, VgicState};
use bulkhead_core::vpl011::VirtPl011;

/// Starts a snapshot or restore of `p` (partition locked).
pub fn request(p: &mut Partition, op: Pending) -> Result<(), SnapshotError> {
    let slot = match op {
        Pending::Snapshot(s) | Pending::Restore(s) => s,
    };
    slot_at(p, slot)?;
    if let Some(dev) = crate::devreset::blocker(&p.devices) {
        let what = match op {
            Pending::Snapshot(_) => "snapshot",
            Pending::Restore(_) => "restore",
        };
        println!(
            "partition {} ({}): {what} refused: it owns {dev}, whose state is in the hardware and cannot be captured, and its configuration does not reset it on restore (reset_on_restore)",
            p.id, p.name
        );
        return Err(SnapshotError::Mismatch(
            "the partition owns a passed-through device that is not reset on restore (reset_on_restore)",
        ));
    }
    // A running partition is paused and then resumed. A stopped (or held)
    // one can be restored into, and resumes from the slot, or snapshotted
    // as it lies, for a post-mortem, and stays stopped.
    p.after_pause = match (op, p.state) {
        (_, State::Running) | (Pending::Restore(_), State::Stopped) => State::Running,
        (Pending::Snapshot(_), State::Stopped) => State::Stopped,
        _ => {
            return Err(SnapshotError::Unsupported(
                "a partition that is being restarted, snapshotted or restored",
            ))
        }
    };
    p.pending = Some(op);
    p.state = State::Pausing;
    for h in p.held.iter_mut() {
        *h = None;
    }
    let here = cpu::index();
    if let Some(g) = crate::gic::get() {
        for &core in &p.cores {
            if core != here && vcpu::power_of(core) == Some(vcpu::Power::On) {
                g.kick(core);
            }
        }
    }
    crate::arch::timer::arm_hyp_timer_at_us(cpu::uptime_us() + 1_000);
    Ok(())
}

/// Called on a vCPU's core at an exit to EL2 while its partition is
/// `Pausing`: saves the vCPU and holds it. Does not return.
pub fn capture(p: &mut Partition, v: usize, frame: &TrapFrame) {
    let mut s = VcpuState {
        x: frame.x,
        pc: frame.elr,
        pstate: frame.spsr,
        ..VcpuState::default()
    };
    crate::arch::vcpu_state::save(&mut s);
    if let Some(g) = crate::gic::get() {
        let n = g.lr_count().min(16);
        let mut lrs = [0u64; 16];
        for (i, lr) in lrs.iter_mut().enumerate().take(n) {
            *lr = g.read_lr(i);
            g.write_lr(i, 0);
        }
        p.vgic.sync(v, lrs.get(..n).unwrap_or(&[]));
        let gic = g.save_cpu_interface();
        if let Some(h) = p.held.get_mut(v) {
            *h = Some((s, gic));
        }
    }
    crate::arch::timer::arm_hyp_timer_at_us(cpu::uptime_us() + 200);
}

fn regions(p: &Partition) -> Vec<MemoryRegion> {
    p.boot
        .scrub
        .iter()
        .map(|r| MemoryRegion {
            guest_base: r.base.0,
            size: r.size,
        })
        .collect()
}

/// Where slot `slot` of `p` lies: its address and length.
fn slot_at(p: &Partition, slot: u8) -> Result<(usize, usize), SnapshotError> {
    let (area, size, slots) = p.snapshots.ok_or(SnapshotError::BadHeader(
        "the partition has no snapshot slots",
    ))?;
    if slot >= slots {
        return Err(SnapshotError::BadHeader("no such slot"));
    }
    Ok((
        (area.base.0 + u64::from(slot) * size) as usize,
        size as usize,
    ))
}

/// Slot `slot` for reading (partition locked).
fn slot_ref(p: &Partition, slot: u8) -> Result<&'static [u8], SnapshotError> {
    let (at, len) = slot_at(p, slot)?;
    // SAFETY: as in `slot_bytes`; only read here, under the partition's
    // lock, which the only writer (`write_slot`) also holds.
    Ok(unsafe { core::slice::from_raw_parts(at as *const u8, len) })
}

fn slot_bytes(p: &Partition, slot: u8) -> Option<&'static mut [u8]> {
    let (at, len) = slot_at(p, slot).ok()?;
    // SAFETY: the slot lies in the snapshot area the configuration reserved
    // for this partition (validated at boot, kept out of the frame
    // allocator and of every other partition), covered by the EL2 map; only
    // the core holding the partition's lock writes it.
    Some(unsafe { core::slice::from_raw_parts_mut(at as *mut u8, len) })
}

/// Why a snapshot or restore did not complete.
enum Failure {
    /// Refused or failed with the partition untouched: it resumes.
    Refused(SnapshotError),
    /// Memory region `region` of the slot did not match its CRC-32C after
    /// it had been copied into the partition.
    Corrupt { region: u16, error: SnapshotError },
}

impl From<SnapshotError> for Failure {
    fn from(e: SnapshotError) -> Self {
        Failure::Refused(e)
    }
}

/// Carries out the pending snapshot or restore once every vCPU is held or
/// off (partition locked).
pub fn complete(p: &mut Partition) {
    let t0 = cpu::uptime_us();
    let op = p.pending.take();
    let outcome = match op {
        Some(Pending::Snapshot(slot)) => write(p, slot)
            .map(|n| (slot, n, "snapshot"))
            .map_err(|e| (slot, "snapshot", Failure::Refused(e))),
        Some(Pending::Restore(slot)) => read(p, slot)
            .map(|n| (slot, n, "restore"))
            .map_err(|f| (slot, "restore", f)),
        None => return,
    };
    p.last_op_failed = outcome.is_err();
    match outcome {
        Ok((slot, bytes, what)) => println!(
            "partition {} ({}): {what} slot {slot} done: {} MiB in {} ms",
            p.id,
            p.name,
            bytes >> 20,
            (cpu::uptime_us() - t0) / 1000
        ),
        Err((slot, what, Failure::Refused(e))) => println!(
            "partition {} ({}): {what} slot {slot} refused: {e}",
            p.id, p.name
        ),
        Err((slot, _, Failure::Corrupt { region, error })) => {
            corrupt_memory(p, slot, region, error);
            return;
        }
    }
    resume(p);
}

/// A restore found memory region `region` of slot `slot` corrupt after
/// copying it in: the partition's memory is now part snapshot, part what
/// it was, and neither can be resumed. A running partition is restarted
/// from its boot images through its supervisor (a management restart, as
/// `restart NAME` does: not counted as a crash), which gets it back to a
/// known state and keeps it in service; a stopped one stays stopped (its
/// next `start` reloads the images anyway).
fn corrupt_memory(p: &mut Partition, slot: u8, region: u16, error: SnapshotError) {
    let at = p
        .boot
        .scrub
        .get(usize::from(region))
        .map(|r| (r.base.0, r.size >> 20))
        .unwrap_or((0, 0));
    println!(
        "partition {} ({}): restore slot {slot} refused: {error} (region {region} at {:#x}, {} MiB, was already copied into the partition)",
        p.id, p.name, at.0, at.1
    );
    for &core in &p.cores {
        vcpu::set_power(core, vcpu::Power::Off);
    }
    for h in p.held.iter_mut() {
        *h = None;
    }
    p.restore_counter = None;
    let running = matches!(
        p.sup.state(),
        bulkhead_core::supervisor::State::Running { .. }
    );
    if running {
        println!(
            "partition {} ({}): its memory is neither the snapshot's nor its own any more: restarting it from its boot images",
            p.id, p.name
        );
        p.state = State::Running;
        if crate::supervise::decide(p, Event::ManagementRestart) == Decision::Nothing {
            // Not expected of a running partition; it must not look
            // running with every vCPU off.
            println!(
                "partition {} ({}): the restart was refused: stopping it",
                p.id, p.name
            );
            p.state = State::Stopped;
            crate::supervise::decide(p, Event::ManagementStop);
        }
    } else {
        println!(
            "partition {} ({}): it stays stopped; `start {}` reloads its boot images",
            p.id, p.name, p.name
        );
        p.state = State::Stopped;
    }
    cpu::send_event();
}

/// Counter ticks since `t0` (a `cpu::counter()` reading) as microseconds
/// with three decimals, for the bench lines.
fn bench_us(t0: u64) -> impl core::fmt::Display {
    struct Us(u64);
    impl core::fmt::Display for Us {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "{}.{:03} us", self.0 / 1000, self.0 % 1000)
        }
    }
    let ticks = cpu::counter().wrapping_sub(t0);
    let hz = cpu::counter_hz();
    Us(ticks / hz * 1_000_000_000 + ticks % hz * 1_000_000_000 / hz)
}

/// With `bulkhead.bench` on Bulkhead's command line, each snapshot is
/// preceded by two plain copies of the same memory into the slot (which
/// the snapshot then overwrites), timed, so the benchmark gets its
/// baselines from the same run: `core::ptr::copy_nonoverlapping` (the
/// compiler's memcpy) and `arch::crc::fast_copy`, the fused
/// copy-and-CRC loop without its CRC instructions. A restore has no
/// baseline of its own (a copy into the partition or out of the slot would
/// change what it measures); the benchmark compares it with the
/// snapshot's, which moves the same bytes.
fn plain_copy_baselines(p: &Partition, slot: u8) {
    if !crate::boot::bench_mode() {
        return;
    }
    let Some(dst) = slot_bytes(p, slot) else {
        return;
    };
    // (partition address, offset in the slot, bytes) per region.
    let mut plan: Vec<(usize, usize, usize)> = Vec::new();
    let mut at = 0usize;
    for r in &p.boot.scrub {
        let n = (r.size as usize).min(dst.len().saturating_sub(at));
        plan.push((r.base.0 as usize, at, n));
        at += n;
    }
    let total = at as u64;
    let t0 = cpu::counter();
    for &(src, at, n) in &plan {
        // SAFETY: the partition's own memory (its vCPUs are held) copied
        // into its own snapshot slot, inside it (`plan` stops at its end),
        // which the snapshot overwrites next.
        unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst.as_mut_ptr().add(at), n) };
    }
    println!(
        "partition {} ({}): bench: plain copy (copy_nonoverlapping) of {} MiB in {}",
        p.id,
        p.name,
        total >> 20,
        bench_us(t0)
    );
    let t0 = cpu::counter();
    for &(src, at, n) in &plan {
        // SAFETY: the partition's memory, held still, as above.
        let s = unsafe { core::slice::from_raw_parts(src as *const u8, n) };
        if let Some(d) = dst.get_mut(at..at + n) {
            crc::fast_copy(s, d);
        }
    }
    println!(
        "partition {} ({}): bench: fast copy (ldp/stp, 64 bytes a loop) of {} MiB in {}",
        p.id,
        p.name,
        total >> 20,
        bench_us(t0)
    );
}

fn memory_mib(p: &Partition) -> u64 {
    p.boot.scrub.iter().map(|r| r.size).sum::<u64>() >> 20
}

fn write(p: &mut Partition, slot: u8) -> Result<usize, SnapshotError> {
    plain_copy_baselines(p, slot);
    let t0 = cpu::counter();
    let r = write_slot(p, slot);
    if crate::boot::bench_mode() {
        println!(
            "partition {} ({}): bench: snapshot of {} MiB in {}",
            p.id,
            p.name,
            memory_mib(p),
            bench_us(t0)
        );
    }
    r
}

fn write_slot(p: &mut Partition, slot: u8) -> Result<usize, SnapshotError> {
    let regions = regions(p);
    let counter_at_save = cpu::counter();
    let name = p.name.clone();
    let generation = p.sup.generation().0;
    let blob = p.vgic.save().encode();
    // A stopped partition is saved with every vCPU off, including one that
    // was still on its way off (and was held) when the snapshot began.
    let held: Vec<_> = if p.after_pause == State::Stopped {
        alloc::vec![None; p.held.len()]
    } else {
        p.held.clone()
    };
    let devices = device_states(p);
    let mem: Vec<(u64, u64)> = p.boot.scrub.iter().map(|r| (r.base.0, r.size)).collect();
    let bytes = slot_bytes(p, slot).ok_or(SnapshotError::BadHeader("no such slot"))?;
    let info = SnapshotInfo {
        name: &name,
        generation,
        counter_at_save,
        counter_freq: cpu::counter_hz() as u32,
        vcpus: held.len() as u16,
        devices: devices.len() as u16,
        regions: &regions,
    };
    let mut w = SnapshotWriter::with_crc(bytes, &info, crc::crc32c)?;
    for (v, h) in held.iter().enumerate() {
        // A vCPU that was off is recorded with pc = pstate = 0.
        let (s, g) = h
            .clone()
            .unwrap_or_else(|| (VcpuState::default(), off_gic()));
        w.write_vcpu(v as u16, &s)?;
        w.write_gic_cpu(v as u16, &g)?;
    }
    w.write_distributor(&blob)?;
    for (i, d) in devices.iter().enumerate() {
        w.write_device(i as u16, d)?;
    }
    for (i, (base, size)) in mem.iter().enumerate() {
        // SAFETY: the partition's own memory; its vCPUs are held, so it
        // does not change while it is copied.
        let src = unsafe { core::slice::from_raw_parts(*base as *const u8, *size as usize) };
        // One pass: copied into the slot and checksummed on the way.
        w.write_memory_with(i as u16, |dst| crc::copy_crc32c(src, dst))?;
    }
    w.finish()
}

fn off_gic() -> GicCpuState {
    match crate::gic::get() {
        Some(g) => {
            let mut s = g.save_cpu_interface();
            s.vmcr = 0;
            s.ap0r = [0; 4];
            s.ap1r = [0; 4];
            s
        }
        None => GicCpuState {
            version: bulkhead_core::snapshot::GicVersion::V3,
            hcr: 1,
            vmcr: 0,
            ap0r: [0; 4],
            ap1r: [0; 4],
            lrs: Vec::new(),
        },
    }
}

fn read(p: &mut Partition, slot: u8) -> Result<usize, Failure> {
    let t0 = cpu::counter();
    let r = read_slot(p, slot);
    if crate::boot::bench_mode() {
        println!(
            "partition {} ({}): bench: restore of {} MiB in {}",
            p.id,
            p.name,
            memory_mib(p),
            bench_us(t0)
        );
    }
    r
}

/// A slot whose header, tables and state sections have been checked, with
/// its emulated devices decoded.
struct Checked {
    snap: Snapshot<'static>,
    devices: Devices,
}

/// Parses slot `slot` of `p` and checks everything but its memory
/// sections, and that it was taken of this partition.
fn parse_state(p: &Partition, slot: u8) -> Result<Checked, SnapshotError> {
    let snap = Snapshot::parse_state_with(slot_ref(p, slot)?, crc::crc32c)?;
    snap.check_fits(
        &p.name,
        &regions(p),
        p.held.len() as u16,
        cpu::counter_hz() as u32,
    )?;
    let devices = restored_devices(p, &snap)?;
    Ok(Checked { snap, devices })
}

/// The emulated devices' states of a snapshot: the console's UART (if the
/// partition has one) and the manager's doorbell (if it is the manager).
struct Devices {
    uart: Option<VirtPl011>,
    doorbell: Option<Doorbell>,
}

/// The emulated devices' states, in their snapshot order: the console's
/// UART (if the partition has one), then the manager's doorbell.
fn device_states(p: &Partition) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Some(c) = &p.console {
        let mut b = Vec::new();
        c.uart.save(&mut b);
        out.push(b);
    }
    if p.manager {
        let mut b = Vec::new();
        p.doorbell.save(&mut b);
        out.push(b);
    }
    out
}

/// The emulated devices of `snap`, decoded, for `p`: as many as it has
/// and each one valid, else the snapshot is refused before anything
/// changes.
fn restored_devices(p: &Partition, snap: &Snapshot<'_>) -> Result<Devices, SnapshotError> {
    let want = u16::from(p.console.is_some()) + u16::from(p.manager);
    if snap.device_count() != want {
        return Err(SnapshotError::Mismatch(
            "its emulated devices (console, doorbell) are not this partition's",
        ));
    }
    let state = |index: u16, error| SnapshotError::State {
        kind: SectionKind::Device,
        index,
        error,
    };
    let blob = |index: u16| {
        snap.device(index)
            .ok_or(SnapshotError::BadHeader("device section"))
    };
    let mut next = 0u16;
    let uart = match p.console {
        Some(_) => {
            let u = VirtPl011::restore(blob(next)?).map_err(|e| state(next, e))?;
            next += 1;
            Some(u)
        }
        None => None,
    };
    let doorbell = match p.manager {
        true => Some(Doorbell::restore(blob(next)?).map_err(|e| state(next, e))?),
        false => None,
    };
    Ok(Devices { uart, doorbell })
}

/// What the management `restore` checks before it pauses anything: the
/// header, the tables and the state sections (a few KiB, not the memory,
/// which the restore checks as it copies it), so that an empty, foreign or
/// version 1 slot is refused at once and nothing stops.
pub fn check_restore(p: &Partition, slot: u8) -> Result<(), SnapshotError> {
    let Checked { snap, .. } = parse_state(p, slot)?;
    // A post-mortem snapshot of a stopped partition has no vCPU to resume.
    let runs = (0..p.held.len() as u16).any(|v| snap.vcpu(v).is_some_and(|s| !was_off(s)));
    if !runs {
        return Err(SnapshotError::NothingToResume);
    }
    Ok(())
}

/// How the snapshot records a vCPU that was off.
fn was_off(s: &VcpuState) -> bool {
    s.pc == 0 && s.pstate == 0
}

/// `verify NAME SLOT`: the complete check of the slot, every memory
/// section's CRC-32C included, and that it fits the partition; the
/// partition is not touched (partition locked, so no snapshot writes the
/// slot meanwhile).
pub fn verify(p: &Partition, slot: u8) -> Result<Summary, SnapshotError> {
    let t0 = cpu::counter();
    let r = parse_state(p, slot).and_then(|Checked { snap, .. }| {
        snap.verify_memory()?;
        Ok(snap.summary())
    });
    if crate::boot::bench_mode() {
        println!(
            "partition {} ({}): bench: verify of {} MiB in {}",
            p.id,
            p.name,
            memory_mib(p),
            bench_us(t0)
        );
    }
    r
}

fn read_slot(p: &mut Partition, slot: u8) -> Result<usize, Failure> {
    let Checked { snap, devices } = parse_state(p, slot)?;
    let state = VgicState::decode(snap.distributor())
        .map_err(|_| SnapshotError::BadHeader("distributor state"))?;
    let vgic = Vgic::restore(p.boot.vgic.clone(), &state)
        .map_err(|_| SnapshotError::BadHeader("distributor state"))?;
    // Devices reset on restore stop (and their DMA with them) before the
    // memory is overwritten; their interrupts are forgotten.
    let vgic = crate::devreset::on_restore(p.id, &p.name, &p.devices, vgic);
    // Nothing of the partition has changed so far. From here on its memory
    // is overwritten, region by region, each checked as it is copied.
    for (i, r) in p.boot.scrub.iter().enumerate() {
        let region = i as u16;
        let src = snap
            .memory(region)
            .ok_or(SnapshotError::BadHeader("memory region"))?;
        // SAFETY: the partition's own memory (validated at boot, covered
        // by the EL2 map as normal memory); every vCPU is held or off, so
        // nothing else reads or writes it now; the slot does not overlap
        // it.
        let dst = unsafe { core::slice::from_raw_parts_mut(r.base.0 as *mut u8, r.size as usize) };
        // Copied, checksummed and cleaned to the point of coherency in one
        // pass.
        let computed = crc::copy_crc32c_clean(src, dst);
        snap.check_memory(region, computed)
            .map_err(|error| Failure::Corrupt { region, error })?;
    }
    for v in 0..p.held.len() {
        let s = snap.vcpu(v as u16).copied();
        let g = snap.gic_cpu(v as u16).cloned();
        if let Some(h) = p.held.get_mut(v) {
            *h = match (s, g) {
                (Some(s), Some(g)) if !was_off(&s) => Some((s, g)),
                _ => None,
            };
        }
    }
    p.vgic = vgic;
    if let (Some(c), Some(u)) = (p.console.as_mut(), devices.uart) {
        c.uart = u;
        c.refill();
    }
    if let Some(d) = devices.doorbell {
        p.doorbell = d;
    }
    p.restore_counter = Some(snap.counter_at_save());
    let mut fx = p.vgic.hw_state();
    let level = p.console.as_ref().map(|c| c.uart.irq_pending());
    if let (Some(level), Some(intid)) = (level, p.console_intid) {
        fx.extend(p.vgic.set_level(intid, level));
    }
    crate::virq::apply(p, &fx);
    Ok(snap.total_len())
}

/// Lets every held vCPU run again (from `held`); vCPUs without a state
/// stay off.
fn resume(p: &mut Partition) {
    p.state = core::mem::replace(&mut p.after_pause, State::Running);
    if p.state == State::Stopped {
        // A snapshot of a stopped partition: it stays stopped, its vCPUs
        // off (one that was still on its way off when the snapshot began
        // was held, and goes off now) and its devices quiet.
        for h in p.held.iter_mut() {
            *h = None;
        }
        for &core in &p.cores {
            vcpu::set_power(core, vcpu::Power::Off);
        }
        p.restore_counter = None;
        cpu::send_event();
        return;
    }
    p.quiesced = false;
    // The guest could not kick its watchdog while it was paused: its
    // period starts again now.
    crate::supervise::decide(p, bulkhead_core::supervisor::Event::WatchdogKick);
    let now = cpu::counter();
    let at_save = p.restore_counter.take();
    for (v, &core) in p.cores.iter().enumerate() {
        match p.held.get(v).and_then(|h| h.as_ref()) {
            Some((s, _)) => {
                let cntvoff = match at_save {
                    Some(at) => restored_cntvoff(s.timer.cntvoff, at, now),
                    None => s.timer.cntvoff,
                };
                vcpu::set_power(core, vcpu::Power::Resume { cntvoff });
                if let Some(g) = crate::gic::get() {
                    g.kick(core);
                }
            }
            None => vcpu::set_power(core, vcpu::Power::Off),
        }
    }
    cpu::send_event();
}
