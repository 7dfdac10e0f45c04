//! Partitions side by side on QEMU virt: the demo boots, every partition
//! prints through its emulated console, a multi-core partition starts its
//! second vCPU through PSCI, and guests that touch memory outside their
//! partition are contained while a bystander keeps its heartbeat.

use bulkhead_tests::{config_stem, images, pack_into, Qemu, TestFailure, Virt, DEFAULT_LIMIT};
use std::time::Duration;

/// Packs `config` (relative to the workspace) for `v` and returns a QEMU
/// running it.
fn boot(config: &str, gic: u8) -> Result<Qemu, TestFailure> {
    let mut v = Virt::new(&images("qemu-virt")?.img);
    v.gic = gic;
    pack_into(
        &mut v,
        config,
        &format!("{}-gicv{gic}.bundle", config_stem(config)),
    )?;
    Qemu::virt(&v)
}

/// The number in the last `[name] heartbeat N` line so far.
fn last_heartbeat(q: &Qemu, name: &str) -> Option<u64> {
    q.last_number(&format!("[{name}] heartbeat "))
}

fn demo(gic: u8) -> Result<(), TestFailure> {
    let q = boot("partitions/qemu-virt-demo.toml", gic)?;
    q.wait_for(
        "bundle: 7 entries verified, 3 partition(s) configured",
        DEFAULT_LIMIT,
    )?;
    q.wait_for("[gamma] all 2 cpus online", DEFAULT_LIMIT)?;
    q.wait_for("[gamma] cpu 1 online (mpidr 0x1)", DEFAULT_LIMIT)?;
    for name in ["alpha", "beta", "gamma"] {
        q.wait_for(format!("[{name}] heartbeat 3").as_str(), DEFAULT_LIMIT)?;
    }
    q.assert_no_failures()?;
    if q.lines().iter().any(|l| l.text.contains("outside its map")) {
        return Err(q.failure("a demo partition faulted".into()));
    }
    Ok(())
}

#[test]
fn demo_three_partitions_gicv3() -> Result<(), TestFailure> {
    demo(3)
}

#[test]
fn demo_three_partitions_gicv2() -> Result<(), TestFailure> {
    demo(2)
}

#[test]
fn stray_accesses_are_contained() -> Result<(), TestFailure> {
    let q = boot("partitions/tests/containment.toml", 3)?;
    // The vandal writes to a UART nobody owns: stopped by policy.
    q.wait_for(
        "partition 2 (vandal) vcpu 0: write to IPA 0x9040000 outside its map",
        DEFAULT_LIMIT,
    )?;
    let stopped = q.wait_for(
        "partition 2 (vandal): stopped (stage-2 fault)",
        DEFAULT_LIMIT,
    )?;
    // The intruder reads the bystander's memory: the abort is injected, the
    // guest's own vector sees it, and it carries on.
    q.wait_for(
        "partition 1 (intruder) vcpu 0: read from IPA 0x50001000 outside its map",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        "partition 1 (intruder): abort injected into the guest",
        DEFAULT_LIMIT,
    )?;
    q.wait_for("[intruder] guest: data abort at 0x50001000", DEFAULT_LIMIT)?;
    q.wait_for(
        "[intruder] guest: survived the abort, continuing",
        DEFAULT_LIMIT,
    )?;
    let before = last_heartbeat(&q, "bystander").unwrap_or(0);
    let intruder_before = last_heartbeat(&q, "intruder").unwrap_or(0);
    // The bystander and the intruder keep their heartbeat; the vandal is silent.
    q.wait_for(
        format!("[bystander] heartbeat {}", before + 5).as_str(),
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        format!("[intruder] heartbeat {}", intruder_before + 3).as_str(),
        DEFAULT_LIMIT,
    )?;
    let late_vandal = q
        .lines()
        .iter()
        .any(|l| l.at > stopped.at + Duration::from_millis(50) && l.text.contains("[vandal]"));
    if late_vandal {
        return Err(q.failure("the vandal kept printing after it was stopped".into()));
    }
    q.assert_no_failures()?;
    Ok(())
}
