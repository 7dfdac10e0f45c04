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
//!   memory go into the slot (`bulkhead_core::snapshot` format, with a
//!   checksum), and the vCPUs resume where they were;
//! - restore: the slot is parsed and checked (magic, checksum, that it was
//!   taken of this partition), memory and the vGIC model are put back, and
//!   each vCPU resumes from the slot's state, with its virtual counter
//!   offset moved so that guest time continues from the snapshot.

use crate::arch::{cache, cpu, TrapFrame};
use crate::partition::{Partition, Pending, State};
use crate::{println, vcpu};
use alloc::vec::Vec;
use bulkhead_core::snapshot::{
    restored_cntvoff, GicCpuState, MemoryRegion, Snapshot, SnapshotError, SnapshotInfo,
    SnapshotWriter, VcpuState,
};
use bulkhead_core::vgic::{Vgic, VgicState};

/// Starts a snapshot or restore of `p` (partition locked).
pub fn request(p: &mut Partition, op: Pending) -> Result<(), SnapshotError> {
    let slot = match op {
        Pending::Snapshot(s) | Pending::Restore(s) => s,
    };
    let Some((_, _, slots)) = p.snapshots else {
        return Err(SnapshotError::BadHeader(
            "the partition has no snapshot slots",
        ));
    };
    if slot >= slots {
        return Err(SnapshotError::BadHeader("no such slot"));
    }
    if let Some(dev) = p.passthrough.first() {
        println!(
            "partition {} ({}): snapshot refused: it owns {dev}, whose state is in the hardware and cannot be captured",
            p.id, p.name
        );
        return Err(SnapshotError::Mismatch(
            "the partition owns a passed-through device",
        ));
    }
    if p.state != State::Running
        && !(matches!(op, Pending::Restore(_)) && p.state == State::Stopped)
    {
        return Err(SnapshotError::BadHeader("the partition is not running"));
    }
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

fn slot_bytes(p: &Partition, slot: u8) -> Option<&'static mut [u8]> {
    let (area, size, slots) = p.snapshots?;
    if slot >= slots {
        return None;
    }
    let at = area.base.0 + u64::from(slot) * size;
    // SAFETY: the slot lies in the snapshot area the configuration reserved
    // for this partition (validated at boot, kept out of the frame
    // allocator and of every other partition), covered by the EL2 map; only
    // the core holding the partition's lock writes it.
    Some(unsafe { core::slice::from_raw_parts_mut(at as *mut u8, size as usize) })
}

/// Carries out the pending snapshot or restore once every vCPU is held or
/// off (partition locked).
pub fn complete(p: &mut Partition) {
    let t0 = cpu::uptime_us();
    let op = p.pending.take();
    let outcome = match op {
        Some(Pending::Snapshot(slot)) => write(p, slot).map(|n| (slot, n, "snapshot")),
        Some(Pending::Restore(slot)) => read(p, slot).map(|n| (slot, n, "restore")),
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
        Err(e) => println!("partition {} ({}): {e}", p.id, p.name),
    }
    resume(p);
}

/// With `bulkhead.bench` on Bulkhead's command line, each snapshot and
/// restore is preceded by a plain copy of the same memory into the slot,
/// timed, so the benchmark gets its baseline from the same run.
fn plain_copy_baseline(p: &Partition, slot: u8) {
    if !crate::boot::bench_mode() {
        return;
    }
    let Some(dst) = slot_bytes(p, slot) else {
        return;
    };
    let t0 = cpu::uptime_us();
    let mut at = 0usize;
    let mut total = 0u64;
    for r in &p.boot.scrub {
        let n = (r.size as usize).min(dst.len().saturating_sub(at));
        // SAFETY: the partition's own memory (its vCPUs are held) copied
        // into its own snapshot slot, which the next step overwrites.
        unsafe {
            core::ptr::copy_nonoverlapping(r.base.0 as *const u8, dst.as_mut_ptr().add(at), n)
        };
        at += n;
        total += n as u64;
    }
    println!(
        "partition {} ({}): bench: plain copy of {} MiB in {} us",
        p.id,
        p.name,
        total >> 20,
        cpu::uptime_us() - t0
    );
}

fn write(p: &mut Partition, slot: u8) -> Result<usize, SnapshotError> {
    plain_copy_baseline(p, slot);
    let t0 = cpu::uptime_us();
    let r = write_slot(p, slot);
    if crate::boot::bench_mode() {
        println!(
            "partition {} ({}): bench: snapshot in {} us",
            p.id,
            p.name,
            cpu::uptime_us() - t0
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
    let held: Vec<_> = p.held.clone();
    let mem: Vec<(u64, u64)> = p.boot.scrub.iter().map(|r| (r.base.0, r.size)).collect();
    let bytes = slot_bytes(p, slot).ok_or(SnapshotError::BadHeader("no such slot"))?;
    let info = SnapshotInfo {
        name: &name,
        generation,
        counter_at_save,
        counter_freq: cpu::counter_hz() as u32,
        vcpus: held.len() as u16,
        devices: 0,
        regions: &regions,
    };
    let mut w = SnapshotWriter::new(bytes, &info)?;
    for (v, h) in held.iter().enumerate() {
        // A vCPU that was off is recorded with pc = pstate = 0.
        let (s, g) = h
            .clone()
            .unwrap_or_else(|| (VcpuState::default(), off_gic()));
        w.write_vcpu(v as u16, &s)?;
        w.write_gic_cpu(v as u16, &g)?;
    }
    w.write_distributor(&blob)?;
    for (i, (base, size)) in mem.iter().enumerate() {
        // SAFETY: the partition's own memory; its vCPUs are held, so it
        // does not change while it is copied.
        let src = unsafe { core::slice::from_raw_parts(*base as *const u8, *size as usize) };
        w.write_memory(i as u16, src)?;
    }
    w.finish_with(&crate::arch::crc::crc32c_sum)
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

fn read(p: &mut Partition, slot: u8) -> Result<usize, SnapshotError> {
    let t0 = cpu::uptime_us();
    let r = read_slot(p, slot);
    if crate::boot::bench_mode() {
        println!(
            "partition {} ({}): bench: restore in {} us",
            p.id,
            p.name,
            cpu::uptime_us() - t0
        );
    }
    r
}

fn read_slot(p: &mut Partition, slot: u8) -> Result<usize, SnapshotError> {
    let regions = regions(p);
    let bytes = slot_bytes(p, slot).ok_or(SnapshotError::BadHeader("no such slot"))?;
    let snap = Snapshot::parse_with(bytes, &crate::arch::crc::crc32c_sum)?;
    snap.check_fits(
        &p.name,
        &regions,
        p.held.len() as u16,
        cpu::counter_hz() as u32,
    )?;
    let state = VgicState::decode(snap.distributor())
        .map_err(|_| SnapshotError::BadHeader("distributor state"))?;
    let vgic = Vgic::restore(p.boot.vgic.clone(), &state)
        .map_err(|_| SnapshotError::BadHeader("distributor state"))?;
    for (i, r) in p.boot.scrub.iter().enumerate() {
        let src = snap
            .memory(i as u16)
            .ok_or(SnapshotError::BadHeader("memory region"))?;
        // SAFETY: the partition's own memory; every vCPU is held or off.
        unsafe {
            core::ptr::copy_nonoverlapping(
                src.as_ptr(),
                r.base.0 as *mut u8,
                src.len().min(r.size as usize),
            )
        };
        cache::clean_to_poc(r.base.0 as usize, r.size as usize);
    }
    for v in 0..p.held.len() {
        let s = snap.vcpu(v as u16).copied();
        let g = snap.gic_cpu(v as u16).cloned();
        if let Some(h) = p.held.get_mut(v) {
            *h = match (s, g) {
                (Some(s), Some(g)) if !(s.pc == 0 && s.pstate == 0) => Some((s, g)),
                _ => None,
            };
        }
    }
    p.vgic = vgic;
    p.restore_counter = Some(snap.counter_at_save());
    let fx = p.vgic.hw_state();
    crate::virq::apply(p, &fx);
    Ok(snap.total_len())
}

/// Lets every held vCPU run again (from `held`); vCPUs without a state
/// stay off.
fn resume(p: &mut Partition) {
    p.state = State::Running;
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
