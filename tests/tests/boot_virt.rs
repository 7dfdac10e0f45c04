//! Boots the hypervisor on QEMU's `virt` board with both GIC versions, one
//! and four cores, 1 and 2 GiB, and checks the console: every core up, the
//! memory the board has, then ready.

use bulkhead_tests::{images, mem_mib, pred, Qemu, TestFailure, Virt, DEFAULT_LIMIT};

fn boot(gic: u8, smp: u32, mem: &str) -> Result<(), TestFailure> {
    let built = images("qemu-virt")?;
    let mut v = Virt::new(&built.img);
    v.gic = gic;
    v.smp = smp;
    v.mem = mem.into();
    let q = Qemu::virt(&v)?;

    q.wait_for("Bulkhead ", DEFAULT_LIMIT)?;
    let ready = q.wait_for("bulkhead: ready", DEFAULT_LIMIT)?;
    q.assert_no_failures()?;

    let check = |ok: bool, what: String| if ok { Ok(()) } else { Err(q.failure(what)) };
    let mib = mem_mib(mem).ok_or_else(|| TestFailure::new(format!("bad size {mem}")))?;
    let memory = format!("memory: {mib} MiB in ");
    check(
        !q.matching(memory.as_str()).is_empty(),
        format!("no line `{memory}<k> bank(s)` for -m {mem}"),
    )?;
    // `cpus: N` then details, e.g. `cpus: 4 (mpidrs 0x0 ...), start via psci/smc`.
    let cpus_of = |l: &str| -> Option<u32> {
        let rest = l.split("cpus: ").nth(1)?;
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    let cpus = q.matching(pred("cpus line", |l| cpus_of(l).is_some()));
    check(
        cpus.len() == 1 && cpus_of(&cpus[0].text) == Some(smp),
        format!(
            "expected one line `cpus: {smp}`, found {:?}",
            cpus.iter().map(|l| &l.text).collect::<Vec<_>>()
        ),
    )?;
    for i in 1..smp {
        let prefix = format!("core {i} (mpidr 0x");
        check(
            !q.matching(pred("core line", |l| {
                l.contains(&prefix) && l.trim_end().ends_with(") up")
            }))
            .is_empty(),
            format!("no line `core {i} (mpidr 0x..) up`"),
        )?;
    }
    let all = format!("all cores up ({smp}/{smp})");
    let all_line = q.wait_for(all.as_str(), DEFAULT_LIMIT)?;
    check(
        all_line.at <= ready.at,
        format!("`{all}` came after `bulkhead: ready`"),
    )?;
    println!(
        "virt gicv{gic} {smp} core(s) {mem}: all cores up at {:.2} s, ready at {:.2} s (wall time)",
        all_line.at.as_secs_f64(),
        ready.at.as_secs_f64()
    );
    Ok(())
}

#[test]
fn gicv3_4_cores_1g() -> Result<(), TestFailure> {
    boot(3, 4, "1G")
}

#[test]
fn gicv2_4_cores_2g() -> Result<(), TestFailure> {
    boot(2, 4, "2G")
}

#[test]
fn gicv3_1_core_2g() -> Result<(), TestFailure> {
    boot(3, 1, "2G")
}

#[test]
fn gicv2_1_core_1g() -> Result<(), TestFailure> {
    boot(2, 1, "1G")
}
