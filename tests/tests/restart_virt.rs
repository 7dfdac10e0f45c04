//! Restarts on QEMU virt: a guest that asks for a reset, one that crashes
//! into a stage-2 fault and one that stops kicking its watchdog are each
//! restarted by their partition's policy, and held after their restart
//! limit; the console's command mode starts a held partition again and
//! stops one; a bystander's heartbeat never stops. Snapshots: a counter
//! guest restored from a slot goes on from the snapshot's value; a slot
//! corrupted behind the hypervisor's back (through QEMU's gdbstub) fails
//! `verify`, and its restore is refused.

use bulkhead_tests::{config_stem, images, pack_into, Qemu, TestFailure, Virt, DEFAULT_LIMIT};
use std::time::Duration;

fn boot(config: &str) -> Result<Qemu, TestFailure> {
    let mut v = Virt::new(&images("qemu-virt")?.img);
    pack_into(&mut v, config, &format!("{}.bundle", config_stem(config)))?;
    Qemu::virt(&v)
}

/// Runs one management command over the console (QEMU's `-nographic`
/// stdio) and returns its answer's body lines, or the `error: ` line.
fn mgmt(q: &mut Qemu, command: &str) -> Result<Vec<String>, TestFailure> {
    let from = q.lines().len();
    let bytes = xtask::mgmt::request_bytes(command, true);
    q.send(std::str::from_utf8(&bytes).unwrap_or(""))?;
    let deadline = std::time::Instant::now() + DEFAULT_LIMIT;
    loop {
        let lines = q.lines();
        let texts: Vec<&str> = lines.iter().skip(from).map(|l| l.text.as_str()).collect();
        match xtask::mgmt::answer(texts, command) {
            Some(Ok(body)) => return Ok(body),
            Some(Err(e)) => return Err(TestFailure::new(e)),
            None if std::time::Instant::now() > deadline => {
                return Err(q.failure(format!("no answer to `{command}`")))
            }
            None => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
}

/// The number in the last `[name] heartbeat N` line so far.
fn last_heartbeat(q: &Qemu, name: &str) -> u64 {
    q.last_number(&format!("[{name}] heartbeat ")).unwrap_or(0)
}

/// Waits for `name`'s `what` lines (`heartbeat`, `counter`) to count
/// `more` past the last one so far: the partition still runs.
fn goes_on(q: &Qemu, name: &str, what: &str, more: u64) -> Result<(), TestFailure> {
    let prefix = format!("[{name}] {what} ");
    let next = q.last_number(&prefix).unwrap_or(0) + more;
    q.wait_for(format!("{prefix}{next}").as_str(), DEFAULT_LIMIT)?;
    Ok(())
}

/// Runs `command`, which must be refused with an answer starting with
/// `error`; `case` says what was asked in the failure.
fn must_refuse(q: &mut Qemu, command: &str, error: &str, case: &str) -> Result<(), TestFailure> {
    match mgmt(q, command) {
        Err(e) if e.what.starts_with(error) => Ok(()),
        other => Err(q.failure(format!(
            "`{command}` {case} answered {:?}",
            other.map_err(|e| e.what)
        ))),
    }
}

#[test]
fn restart_policies_watchdog_and_console_commands() -> Result<(), TestFailure> {
    let mut q = boot("partitions/tests/restart.toml")?;
    // The guest's own reset request restarts it, up to the limit.
    q.wait_for(
        "partition 1 (resetter): restarting (the guest asked for a reset)",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        "partition 1 (resetter): restarted as generation 1",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        "partition 1 (resetter): held after 3 restarts",
        DEFAULT_LIMIT,
    )?;
    // A stage-2 fault restarts the crasher by policy, then it is held.
    q.wait_for(
        "partition 2 (crasher): restarting (stage-2 fault)",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        "partition 2 (crasher): restarted as generation 2",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        "partition 2 (crasher): held after 2 restarts",
        DEFAULT_LIMIT,
    )?;
    // A hung guest is restarted by its watchdog.
    q.wait_for(
        "partition 3 (sleeper): restarting (watchdog expired)",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        "partition 3 (sleeper): restarted as generation 1",
        DEFAULT_LIMIT,
    )?;

    // Management over the serial line, as `cargo xtask mgmt` does it:
    // start the held crasher again, stop the sleeper, list.
    mgmt(&mut q, "start crasher")?;
    q.wait_for(
        "partition 2 (crasher): restarted as generation 3",
        DEFAULT_LIMIT,
    )?;
    mgmt(&mut q, "stop sleeper")?;
    q.wait_for(
        "partition 3 (sleeper): stopped (management stop)",
        DEFAULT_LIMIT,
    )?;
    let list = mgmt(&mut q, "list")?;
    let has = |name: &str, state: &str| list.iter().any(|l| l.contains(name) && l.contains(state));
    if !(has("sleeper", "stopped") && has("resetter", "held") && has("bystander", "running")) {
        return Err(q.failure(format!("unexpected `list` answer: {list:?}")));
    }
    let status = mgmt(&mut q, "status bystander")?;
    if !(status.iter().any(|l| l.contains("state: running"))
        && status
            .iter()
            .any(|l| l.contains("bystander: cores [0], memory 16 MiB"))
        && status.iter().any(|l| l.contains("cpu use")))
    {
        return Err(q.failure(format!("unexpected `status bystander` answer: {status:?}")));
    }
    if mgmt(&mut q, "stop nosuch").is_ok() {
        return Err(q.failure("`stop nosuch` was not refused".into()));
    }

    // Through all of it, the bystander's heartbeat goes on.
    goes_on(&q, "bystander", "heartbeat", 5)?;
    q.assert_no_failures()?;
    Ok(())
}

#[test]
fn linux_reboot_restarts_its_partition_only() -> Result<(), TestFailure> {
    let mut q = boot("partitions/qemu-virt-linux.toml")?;
    q.wait_for("[linux0] bulkhead-linux: shell ready", DEFAULT_LIMIT)?;
    let beat = last_heartbeat(&q, "beat");
    // linux0 has the console's input: reboot it.
    q.send("reboot -f\n")?;
    q.wait_for(
        "partition 0 (linux0): restarting (the guest asked for a reset)",
        DEFAULT_LIMIT,
    )?;
    let restarted = q.wait_for(
        "partition 0 (linux0): restarted as generation 1",
        DEFAULT_LIMIT,
    )?;
    // The shell again, after the restart.
    let shell = q.wait_for_after(
        restarted.at,
        "[linux0] bulkhead-linux: shell ready",
        DEFAULT_LIMIT,
    )?;
    println!(
        "linux0 restart to shell: {:.2} s wall",
        (shell.at - restarted.at).as_secs_f64()
    );
    // The bare-metal partition kept beating throughout.
    q.wait_for(
        format!("[beat] heartbeat {}", beat + 10).as_str(),
        DEFAULT_LIMIT,
    )?;
    q.assert_no_failures()?;
    Ok(())
}

/// N in a `[counter] counter N` line.
fn count_in(text: &str) -> Option<u64> {
    bulkhead_tests::number_in(text, "[counter] counter ")
}

/// N in the first `[counter] counter N` line after `at`.
fn count_after(q: &Qemu, at: Duration) -> Result<u64, TestFailure> {
    q.number_after(at, "[counter] counter ", DEFAULT_LIMIT)
}

#[test]
fn counter_restored_from_a_snapshot_continues_from_its_value() -> Result<(), TestFailure> {
    let mut q = boot("partitions/tests/snapshot.toml")?;
    // A partition without the manager capability is refused, and the
    // refusal logged; nothing happens to partition 0.
    q.wait_for(
        "partition 2 (meddler): management hypercall 0xc6000010 refused: not the manager partition",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        "[meddler] guest: hypercall partition_count returned -4",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        "[meddler] guest: hypercall restart #0 returned -4",
        DEFAULT_LIMIT,
    )?;
    q.wait_for("[counter] counter 10", DEFAULT_LIMIT)?;
    q.send("\x01\x01c")?;
    q.send("snapshot counter 0\r")?;
    let done = q.wait_for("partition 1 (counter): snapshot slot 0 done", DEFAULT_LIMIT)?;
    // The value at the snapshot: the last one printed before it was taken.
    let at_snapshot = q
        .lines()
        .iter()
        .filter(|l| l.at <= done.at)
        .rev()
        .find_map(|l| count_in(&l.text))
        .unwrap_or(0);
    // Let it run well past that, then restore.
    q.wait_for(
        format!("[counter] counter {}", at_snapshot + 10).as_str(),
        DEFAULT_LIMIT,
    )?;
    q.send("restore counter 0\r")?;
    let restored = q.wait_for("partition 1 (counter): restore slot 0 done", DEFAULT_LIMIT)?;
    let first_after = count_after(&q, restored.at)?;
    if first_after > at_snapshot + 2 {
        return Err(q.failure(format!(
            "after the restore the counter went on from {first_after}, not from the snapshot's {at_snapshot}"
        )));
    }
    // A corrupt or missing slot is refused without stopping anything.
    q.send("restore counter 3\r")?;
    q.wait_for("error:", DEFAULT_LIMIT)?;
    goes_on(&q, "counter", "counter", 3)?;
    goes_on(&q, "bystander", "heartbeat", 3)?;
    if !q.matching("partition 0 (bystander): restarting").is_empty() {
        return Err(q.failure("a refused hypercall restarted partition 0".into()));
    }
    // A stopped partition can be snapshotted as it lies (a post-mortem)
    // and stays stopped; a restore of that slot has no vCPU to resume and
    // is refused; `start` boots it again.
    q.send("stop counter\r")?;
    let stopped = q.wait_for(
        "partition 1 (counter): stopped (management stop)",
        DEFAULT_LIMIT,
    )?;
    q.send("snapshot counter 0\r")?;
    let post_mortem = q.wait_for_after(
        stopped.at,
        "partition 1 (counter): snapshot slot 0 done",
        DEFAULT_LIMIT,
    )?;
    q.send("status counter\r")?;
    q.wait_for_after(post_mortem.at, "state: stopped", DEFAULT_LIMIT)?;
    goes_on(&q, "bystander", "heartbeat", 2)?;
    if let Some(l) = q.lines().iter().find(|l| {
        l.at > stopped.at + Duration::from_millis(100) && l.text.contains("[counter] counter ")
    }) {
        return Err(q.failure(format!(
            "the stopped counter ran again after its snapshot: {}",
            l.text
        )));
    }
    q.send("restore counter 0\r")?;
    q.wait_for_after(post_mortem.at, "nothing to resume", DEFAULT_LIMIT)?;
    q.send("start counter\r")?;
    let started = q.wait_for_after(
        post_mortem.at,
        "partition 1 (counter): restarted as generation",
        DEFAULT_LIMIT,
    )?;
    let first = count_after(&q, started.at)?;
    if first > 2 {
        return Err(q.failure(format!(
            "after `start` the counter went on from {first}, not from the start"
        )));
    }
    q.assert_no_failures()?;
    Ok(())
}

#[test]
fn linux_snapshot_then_change_then_restore_shows_the_earlier_state() -> Result<(), TestFailure> {
    let mut q = boot("partitions/tests/linux-snapshot.toml")?;
    q.wait_for("[linux0] bulkhead-linux: shell ready", DEFAULT_LIMIT)?;
    q.send("echo before-$((1+1)) > /tmp/f\n")?;
    std::thread::sleep(std::time::Duration::from_millis(1500));
    q.send("\x01\x01c")?;
    q.send("snapshot linux0 0\r")?;
    q.wait_for("partition 0 (linux0): snapshot slot 0 done", DEFAULT_LIMIT)?;
    q.send("\x01\x01")?;
    q.send("echo after-$((2+2)) > /tmp/f; cat /tmp/f\n")?;
    q.wait_for("[linux0] after-4", DEFAULT_LIMIT)?;
    q.send("\x01\x01c")?;
    q.send("restore linux0 0\r")?;
    q.wait_for("partition 0 (linux0): restore slot 0 done", DEFAULT_LIMIT)?;
    q.send("\x01\x01")?;
    std::thread::sleep(std::time::Duration::from_millis(500));
    q.send("cat /tmp/f; echo alive-$((40+2))\n")?;
    q.wait_for("[linux0] before-2", DEFAULT_LIMIT)?;
    q.wait_for("[linux0] alive-42", DEFAULT_LIMIT)?;
    goes_on(&q, "beat", "heartbeat", 3)?;
    q.assert_no_failures()?;
    Ok(())
}

#[test]
fn the_manager_restarts_a_partition_by_hypercall() -> Result<(), TestFailure> {
    // partitions/tests/manager.toml: "boss" (manager = true) calls
    // PARTITION_COUNT and MGMT_COMMAND(restart, #0) with hvc.
    let mut q = boot("partitions/tests/manager.toml")?;
    q.wait_for("[target] heartbeat 2", DEFAULT_LIMIT)?;
    q.wait_for(
        "[boss] guest: hypercall partition_count returned 0",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        "partition 2 (boss): manager: restart target (#0) slot 0: ok",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(
        "[boss] guest: hypercall restart #0 returned 0",
        DEFAULT_LIMIT,
    )?;
    let restarted = q.wait_for("partition 0 (target): restarting", DEFAULT_LIMIT)?;
    // The target boots again from its image: its heartbeat starts over.
    q.wait_for_after(restarted.at, "[target] heartbeat 1", DEFAULT_LIMIT)?;
    let status = mgmt(&mut q, "status target")?;
    if !status.iter().any(|l| l == "generation: 1") {
        return Err(q.failure(format!("status target after the restart: {status:?}")));
    }
    // The manager and the bystander were not touched.
    goes_on(&q, "bystander", "heartbeat", 3)?;
    for name in ["bystander", "boss"] {
        if !q
            .matching(format!("({name}): restarting").as_str())
            .is_empty()
        {
            return Err(q.failure(format!("{name} was restarted")));
        }
    }
    q.assert_no_failures()?;
    Ok(())
}

/// `bytes[at..at + 8]` as a little-endian u64.
fn le64(bytes: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

#[test]
fn a_corrupt_slot_fails_verify_and_its_restore_restarts_the_partition() -> Result<(), TestFailure> {
    // partitions/tests/snapshot.toml, with QEMU's gdbstub on a socket: it
    // reads and writes physical memory, the snapshot slot included, which
    // no partition can reach.
    let config = "partitions/tests/snapshot.toml";
    let built = images("qemu-virt")?;
    let mut v = Virt::new(&built.img);
    let packed = xtask::pack::pack(
        &xtask::images::workspace_root().join(config),
        &xtask::pack::virt_board(&v)?,
        &built,
        xtask::pack::mem_of(&v)?,
        &bulkhead_tests::scratch("snapshot-corrupt.bundle"),
    )?;
    let slot = packed
        .config
        .partitions()
        .iter()
        .find(|p| p.name() == "counter")
        .and_then(|p| p.snapshots())
        .map(|s| s.area.base.0)
        .ok_or(TestFailure::new(
            "the counter partition has no snapshot slot",
        ))?;
    let gdb_socket = bulkhead_tests::scratch("snapshot-corrupt.gdb");
    let _ = std::fs::remove_file(&gdb_socket);
    v.extra = vec![
        "-initrd".into(),
        packed.path.display().to_string(),
        "-gdb".into(),
        format!("unix:{},server=on,wait=off", gdb_socket.display()),
    ];
    let mut q = Qemu::virt(&v)?;
    let gdb = |what: &str| {
        xtask::gdb::Gdb::connect(&gdb_socket, DEFAULT_LIMIT)
            .map_err(|e| TestFailure::new(format!("{what}: {e}")))
    };

    q.wait_for("[counter] counter 5", DEFAULT_LIMIT)?;
    mgmt(&mut q, "snapshot counter 0")?;
    q.wait_for("partition 1 (counter): snapshot slot 0 done", DEFAULT_LIMIT)?;
    let good = mgmt(&mut q, "verify counter 0")?;
    if !good
        .first()
        .is_some_and(|l| l.starts_with("slot 0 of counter: good, every CRC-32C matches"))
    {
        return Err(q.failure(format!("`verify counter 0` of a good slot: {good:?}")));
    }

    // One byte in the middle of memory region 0's section: its offset and
    // length are in table entry 6 (2 vCPUs: vcpu, gic-cpu, vcpu, gic-cpu,
    // distributor, the console's device state, memory), at 96 + 16 (one
    // region) + 32 * 6.
    let mut g = gdb("reading the slot")?;
    let header = g.read(slot, 512)?;
    if header.get(..8) != Some(&b"BKSNAP01"[..]) || header.get(8..12) != Some(&[2, 0, 0, 0][..]) {
        return Err(q.failure(format!(
            "no version 2 snapshot at {slot:#x}: {:02x?}",
            header.get(..16)
        )));
    }
    let entry = 96 + 16 + 32 * 6;
    let (offset, length) = match (le64(&header, entry + 8), le64(&header, entry + 16)) {
        (Some(o), Some(l)) if header.get(entry..entry + 2) == Some(&[5, 0][..]) => (o, l),
        _ => {
            return Err(q.failure(format!(
                "table entry 6 is not memory region 0: {header:02x?}"
            )))
        }
    };
    let at = slot + offset + length / 2;
    let byte = g.read(at, 1)?;
    g.write(at, &[byte.first().copied().unwrap_or(0) ^ 0x5a])?;
    g.detach()?;

    // The strict check finds it without touching the partition.
    must_refuse(
        &mut q,
        "verify counter 0",
        "error: verify counter: corrupt slot: memory region 0: CRC-32C 0x",
        "of a corrupt slot",
    )?;
    // The restore starts (header and state are good), finds the region
    // corrupt after copying it, and restarts the partition from its image.
    mgmt(&mut q, "restore counter 0")?;
    // The whole line: partition, slot, region, both checksums.
    let refused = q.wait_for("was already copied into the partition)", DEFAULT_LIMIT)?;
    let said = |t: &str| refused.text.contains(t);
    if !(said(
        "partition 1 (counter): restore slot 0 refused: corrupt slot: memory region 0: CRC-32C 0x",
    ) && said(", the slot's table says 0x")
        && said("(region 0 at 0x"))
    {
        return Err(q.failure(format!("the refusal does not say it all: {}", refused.text)));
    }
    q.wait_for(
        "partition 1 (counter): its memory is neither the snapshot's nor its own any more: restarting it from its boot images",
        DEFAULT_LIMIT,
    )?;
    let restarted = q.wait_for_after(
        refused.at,
        "partition 1 (counter): restarted as generation 1",
        DEFAULT_LIMIT,
    )?;
    // A fresh boot counts from the start again.
    let first = count_after(&q, restarted.at)?;
    if first > 2 {
        return Err(q.failure(format!(
            "after the restart the counter went on from {first}"
        )));
    }

    // A version 1 slot is refused as such, before anything stops.
    let mut g = gdb("rewriting the version")?;
    g.write(slot + 8, &[1, 0, 0, 0])?;
    g.detach()?;
    must_refuse(
        &mut q,
        "restore counter 0",
        "error: restore counter: version 1 slot: ",
        "of a version 1 slot",
    )?;
    goes_on(&q, "counter", "counter", 3)?;
    if q.matching("partition 1 (counter): restarting").len() != 1 {
        return Err(q.failure("the counter was restarted more than once".into()));
    }
    // The bystander never noticed.
    goes_on(&q, "bystander", "heartbeat", 3)?;
    if !q.matching("partition 0 (bystander): restarting").is_empty() {
        return Err(q.failure("the bystander was restarted".into()));
    }
    let _ = std::fs::remove_file(&gdb_socket);
    q.assert_no_failures()?;
    Ok(())
}
