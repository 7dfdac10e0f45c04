//! Unmodified Debian Linux in partitions on QEMU virt: beside a bare-metal
//! heartbeat on GICv3 and GICv2, two Linux partitions side by side, typed
//! input following the console focus, a heartbeat that keeps its rate while
//! Linux works, a virtio disk that only its owner sees (and one reset on
//! restore, so that its owner can be snapshotted), and console lines
//! that keep their partition's prefix when partitions print at once.
//! Interrupts and devices: `docs/interrupts.md`, `docs/devices.md`.
//!
//! Every Linux boot takes ~10 s of wall time under TCG (more with two
//! kernels, or with another QEMU beside it on a 2-core machine); the
//! harness runs at most two QEMUs at once.
//!
//! Console conventions (see `hypervisor/bulkhead/src/console.rs`): every
//! line Bulkhead prints starts with its time stamp `[ssss.uuuuuu]`, seconds
//! since reset on the board's counter, then `[name] ` for a partition's
//! line. The focused partition's output is shown byte by byte, the others'
//! a line at a time.

use bulkhead_tests::{
    config_stem, images, pack_into, pred, Line, Qemu, TestFailure, Virt, DEFAULT_LIMIT,
};
use std::time::{Duration, Instant};

/// Time allowed for one or two Linux partitions to reach their shells.
const BOOT_LIMIT: Duration = Duration::from_secs(90);
/// Time limit of a whole QEMU run.
const RUN_LIMIT: Duration = Duration::from_secs(150);
/// Time for a typed command's answer.
const ANSWER: Duration = Duration::from_secs(20);

/// Packs `config` (relative to the workspace) for the board `v` describes
/// and starts QEMU on it. `tag` keeps the bundle file apart from other
/// tests packing the same configuration at the same time.
fn boot(config: &str, tag: &str, mut v: Virt) -> Result<Qemu, TestFailure> {
    let bundle = format!("linux-{tag}-{}-gicv{}.bundle", config_stem(config), v.gic);
    let path = pack_into(&mut v, config, &bundle)?;
    // QEMU reads the bundle when it starts: once Bulkhead's banner is out,
    // the file (tens of MiB with Linux in it) can go.
    let started = v
        .validate()
        .map_err(TestFailure::from)
        .and_then(|()| Qemu::start(v.command(), RUN_LIMIT))
        .and_then(|q| q.wait_for("at EL2 on qemu-virt", DEFAULT_LIMIT).map(|_| q));
    let _ = std::fs::remove_file(&path);
    started
}

/// A 4-core, 1 GiB virt board with the given GIC.
fn virt(gic: u8) -> Result<Virt, TestFailure> {
    let mut v = Virt::new(&images("qemu-virt")?.img);
    v.gic = gic;
    v.smp = 4;
    v.mem = "1G".into();
    Ok(v)
}

/// The time stamp Bulkhead put right before byte `at` of `text` (the
/// `[ssss.uuuuuu]` that ends at `at - 1`), in seconds.
fn stamp_before(text: &str, at: usize) -> Option<f64> {
    let head = text.get(..at)?.strip_suffix(' ')?.strip_suffix(']')?;
    let open = head.rfind('[')?;
    head.get(open + 1..)?.trim().parse().ok()
}

/// The time stamp a line starts with, if it starts with one.
fn leading_stamp(text: &str) -> Option<f64> {
    let rest = text.strip_prefix('[')?;
    let close = rest.find(']')?;
    rest.get(..close)?.trim().parse().ok()
}

/// Every `[name] heartbeat N` in `lines` with Bulkhead's stamp: (seconds
/// on the board's clock, N). Matched anywhere in a console line, not only
/// at its start, so that a console that put a line behind a focused
/// partition's unfinished one (a prompt) would still be read right.
fn heartbeats(lines: &[Line], name: &str) -> Vec<(f64, u64)> {
    let pat = format!("[{name}] heartbeat ");
    let mut out = Vec::new();
    for l in lines {
        for (at, _) in l.text.match_indices(&pat) {
            let digits: String = l.text[at + pat.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let (Some(t), Ok(n)) = (stamp_before(&l.text, at), digits.parse()) {
                out.push((t, n));
            }
        }
    }
    out
}

/// The time stamp `line` starts with, or a failure naming `what`.
fn stamp_of(q: &Qemu, line: &Line, what: &str) -> Result<f64, TestFailure> {
    leading_stamp(&line.text)
        .ok_or_else(|| q.failure(format!("{what}: no time stamp in {:?}", line.text)))
}

/// Waits until partition `name` has beaten `more` times more than it had
/// so far.
fn beats_go_on(q: &Qemu, name: &str, more: u64) -> Result<(), TestFailure> {
    let last = heartbeats(&q.lines(), name)
        .last()
        .map(|&(_, n)| n)
        .unwrap_or(0);
    let want = last + more;
    let pat = format!("[{name}] heartbeat ");
    q.wait_for(
        pred("a later heartbeat", |l: &str| {
            l.match_indices(pat.as_str()).any(|(at, _)| {
                l[at + pat.len()..]
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .is_some_and(|n| n >= want)
            })
        }),
        Duration::from_secs(30),
    )
    .map_err(|f| TestFailure {
        what: format!("[{name}] did not reach heartbeat {want}: {}", f.what),
        ..f
    })?;
    Ok(())
}

/// No partition faulted and the hypervisor reported no failure.
fn no_faults(q: &Qemu) -> Result<(), TestFailure> {
    q.assert_no_failures()?;
    if let Some(l) = q
        .lines()
        .iter()
        .find(|l| l.text.contains("outside its map") || l.text.contains("partition stopped"))
    {
        return Err(q.failure(format!("a partition faulted: {}", l.text)));
    }
    Ok(())
}

/// Waits for a complete console line, among those from line number
/// `since` on, that `want` accepts (`Qemu::wait_for` searches from the
/// start of the console and also matches an unfinished last line).
fn wait_new(
    q: &Qemu,
    since: usize,
    what: &str,
    want: impl Fn(&str) -> bool,
    timeout: Duration,
) -> Result<Line, TestFailure> {
    let deadline = Instant::now() + timeout;
    loop {
        q.assert_no_failures()?;
        if let Some(l) = q.lines().into_iter().skip(since).find(|l| want(&l.text)) {
            return Ok(l);
        }
        if Instant::now() >= deadline {
            return Err(q.failure(format!(
                "timed out after {:.0} s waiting for {what}",
                timeout.as_secs_f64()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Types `command` and a newline into the focused partition, then waits
/// for a complete line of partition `name` that contains `answer` (and is
/// not the echo of the command).
fn ask(q: &mut Qemu, name: &str, command: &str, answer: &str) -> Result<Line, TestFailure> {
    let since = q.lines().len();
    q.send(&format!("{command}\n"))?;
    let prefix = format!("[{name}] ");
    wait_new(
        q,
        since,
        &format!("{prefix}... {answer}"),
        |l| {
            l.split_once(prefix.as_str())
                .is_some_and(|(_, t)| t.contains(answer) && !is_echo(t, command))
        },
        ANSWER,
    )
}

/// Whether `text`, a partition's piece of a console line, is (part of) the
/// shell's echo of the typed `command`: the echo is shown as it is typed,
/// and another partition's line printed meanwhile cuts it into pieces.
fn is_echo(text: &str, command: &str) -> bool {
    let t = text.trim();
    t.contains(command) || command.contains(t)
}

// ---------------------------------------------------------------------------
// 1. Linux beside a bare-metal heartbeat, GICv3 and GICv2.

/// Moves the console's input to partition `index` (Ctrl-A, then the digit)
/// and waits for Bulkhead to say so. QEMU's `-nographic` console is a mux
/// whose own escape key is Ctrl-A too: it passes one Ctrl-A on for
/// Ctrl-A Ctrl-A, and swallows Ctrl-A followed by a digit.
fn focus(q: &mut Qemu, index: usize, name: &str) -> Result<Line, TestFailure> {
    q.send(&format!("\x01\x01{index}"))?;
    q.wait_for(
        format!("bulkhead: console input goes to partition {index} ({name})").as_str(),
        ANSWER,
    )
}

fn linux_beside_heartbeat(gic: u8) -> Result<(), TestFailure> {
    let mut q = boot("partitions/tests/linux-beat.toml", "beat", virt(gic)?)?;
    q.wait_for(
        "bundle: 6 entries verified, 2 partition(s) configured",
        DEFAULT_LIMIT,
    )?;
    q.wait_for(format!("gic: v{gic} ready").as_str(), DEFAULT_LIMIT)?;
    q.wait_for("[beat] heartbeat 1", DEFAULT_LIMIT)?;
    q.wait_for("[linux0] bulkhead-linux: linux0 up", BOOT_LIMIT)?;
    q.wait_for("[linux0] bulkhead-linux: shell ready", BOOT_LIMIT)?;

    // Ask Linux which interrupt controller it drives and how often the
    // virtual timer (PPI 27) fired on each vCPU: its partition tree must
    // describe the board's GIC, and the timer must reach both vCPUs.
    focus(&mut q, 1, "linux0")?;
    let want_chip = if gic == 3 { "GICv3" } else { "GIC-0" };
    // " 11:   1234   987   GICv3  27 Level   arch_timer"
    let good = |text: &str| {
        let fields: Vec<&str> = text
            .split("[linux0] ")
            .nth(1)
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let counts: Vec<u64> = fields
            .iter()
            .skip(1)
            .take(2)
            .filter_map(|f| f.parse().ok())
            .collect();
        counts.len() == 2
            && !counts.contains(&0)
            && fields.get(3) == Some(&want_chip)
            && fields.get(4) == Some(&"27")
    };
    // A heartbeat line printed in the middle of the answer cuts it in two:
    // then the question is asked again (at most three times).
    let mut answers = Vec::new();
    for _ in 0..3 {
        let line = ask(
            &mut q,
            "linux0",
            "grep -w arch_timer /proc/interrupts",
            want_chip,
        )?;
        if good(&line.text) {
            break;
        }
        answers.push(line.text);
    }
    if answers.len() == 3 {
        return Err(q.failure(format!(
            "/proc/interrupts: expected the virtual timer as {want_chip} 27 with ticks on \
             both vCPUs, got {answers:?}"
        )));
    }
    // The heartbeat went on all along and still does.
    beats_go_on(&q, "beat", 3)?;
    no_faults(&q)
}

#[test]
fn linux_beside_heartbeat_gicv3() -> Result<(), TestFailure> {
    linux_beside_heartbeat(3)
}

#[test]
fn linux_beside_heartbeat_gicv2() -> Result<(), TestFailure> {
    linux_beside_heartbeat(2)
}

// ---------------------------------------------------------------------------
// 2. Two Linux partitions, two cores each.

#[test]
fn two_linux_partitions_reach_their_shells() -> Result<(), TestFailure> {
    // The demo, on GICv2 (test 3 boots it on GICv3).
    let q = boot("partitions/qemu-virt-two-linux.toml", "two", virt(2)?)?;
    q.wait_for(
        "bundle: 7 entries verified, 2 partition(s) configured",
        DEFAULT_LIMIT,
    )?;
    q.wait_for("partition 0 (linux0): cores [0 1], 256 MiB", DEFAULT_LIMIT)?;
    q.wait_for("partition 1 (linux1): cores [2 3], 256 MiB", DEFAULT_LIMIT)?;
    for name in ["linux0", "linux1"] {
        q.wait_for(
            format!("[{name}] bulkhead-linux: {name} up").as_str(),
            BOOT_LIMIT,
        )?;
    }
    for name in ["linux0", "linux1"] {
        q.wait_for(
            format!("[{name}] bulkhead-linux: shell ready").as_str(),
            BOOT_LIMIT,
        )?;
    }
    no_faults(&q)
}

// ---------------------------------------------------------------------------
// 3. Typed input goes to the partition that has the console's focus.

/// Lines that contain `text`, for messages.
fn lines_with(q: &Qemu, text: &str) -> Vec<String> {
    q.matching(text).into_iter().map(|l| l.text).collect()
}

#[test]
fn console_input_follows_the_focus() -> Result<(), TestFailure> {
    let mut q = boot("partitions/qemu-virt-two-linux.toml", "focus", virt(3)?)?;
    // The first partition with an emulated console has the focus at boot.
    q.wait_for("console: input goes to partition 0", DEFAULT_LIMIT)?;
    for name in ["linux0", "linux1"] {
        q.wait_for(
            format!("[{name}] bulkhead-linux: shell ready").as_str(),
            BOOT_LIMIT,
        )?;
    }
    // The shell computes the answer, so the line proves that a shell ran
    // the command (the echo of the typed line says `$((6*7))`).
    ask(&mut q, "linux0", "echo hello-$((6*7))", "hello-42")?;

    focus(&mut q, 1, "linux1")?;
    ask(&mut q, "linux1", "echo other-$((7*8))", "other-56")?;

    // Back to linux0, and one more command: linux0 handles its input in
    // order, so had it received the line meant for linux1, its answer
    // would be out before this one.
    focus(&mut q, 0, "linux0")?;
    ask(&mut q, "linux0", "echo back-$((2*5))", "back-10")?;

    let wrong: Vec<String> = ["hello-42", "back-10"]
        .iter()
        .flat_map(|t| lines_with(&q, t))
        .filter(|l| !l.contains("[linux0] "))
        .chain(
            lines_with(&q, "other-")
                .into_iter()
                .filter(|l| !l.contains("[linux1] ")),
        )
        .collect();
    if !wrong.is_empty() {
        return Err(q.failure(format!(
            "input reached a partition that did not have the focus: {wrong:?}"
        )));
    }
    for (text, n) in [("hello-42", 1), ("other-56", 1), ("back-10", 1)] {
        let got = lines_with(&q, text).len();
        if got != n {
            return Err(q.failure(format!("{text:?} appeared {got} times, expected {n}")));
        }
    }
    no_faults(&q)
}

// ---------------------------------------------------------------------------
// 4. A bare-metal heartbeat keeps its rate while Linux works.

/// Heartbeat period of `partitions/tests/linux-workload.toml`.
const BEAT_PERIOD_S: f64 = 0.1;
/// Length of each measuring window, in board seconds.
const WINDOW_S: f64 = 8.0;
/// Share of the expected beats a window must hold.
const MIN_SHARE: f64 = 0.8;

/// Beats with a stamp in `[from, to)`.
fn beats_in(beats: &[(f64, u64)], from: f64, to: f64) -> Vec<(f64, u64)> {
    beats
        .iter()
        .copied()
        .filter(|&(t, _)| t >= from && t < to)
        .collect()
}

/// Longest gap between consecutive beats, in seconds.
fn longest_gap(beats: &[(f64, u64)]) -> f64 {
    beats
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .fold(0.0, f64::max)
}

/// How the heartbeat is measured, and why this way:
///
/// - Time is the board's: Bulkhead stamps every console line with its
///   counter (the one the guest times its beats with), so the numbers
///   are guest time, unaffected by how late the host reads the pipe.
/// - The guest beats against absolute deadlines (`next += period`), so a
///   window of W seconds holds W / period beats however each beat jitters;
///   only a vCPU that did not run for more than a period loses beats.
/// - A window must hold at least 80% of the expected beats. TCG on a
///   shared 2-core machine runs three busy vCPU threads here (two of Linux,
///   one spinning heartbeat) beside another QEMU: host scheduling can delay
///   a beat by tens of milliseconds, rarely by a period. A hypervisor that
///   let Linux's load reach the heartbeat's core (shared locks held long,
///   interrupts or kicks storming the wrong core) loses far more.
/// - The same measure before the workload (while Linux boots, itself a
///   load) is reported beside it and must pass too.
/// - The workload must have run throughout the window: its second round
///   opens the window and another round must end after the window closes
///   (rounds run back to back). How many rounds fit in the window depends
///   on the host's load, so it is only reported.
#[test]
fn heartbeat_keeps_its_rate_under_linux_workload() -> Result<(), TestFailure> {
    let q = boot("partitions/tests/linux-workload.toml", "load", virt(3)?)?;
    let ready = q.wait_for("bulkhead: ready", DEFAULT_LIMIT)?;
    let t_ready = stamp_of(&q, &ready, "bulkhead: ready")?;
    let started = q.wait_for("[linux0] bulkhead-linux: workload gzip started", BOOT_LIMIT)?;
    let t_started = stamp_before(&started.text, started.text.find("[linux0] ").unwrap_or(0))
        .ok_or_else(|| q.failure(format!("no time stamp in {:?}", started.text)))?;
    // The workload runs: wait for its second round, then measure a window.
    let round = q.wait_for("workload: round 2", BOOT_LIMIT)?;
    let t_from = leading_stamp(&round.text).unwrap_or(t_started);
    let t_to = t_from + WINDOW_S;
    // Wait until the heartbeat has passed the window's end and the
    // workload has finished a round after it: rounds run back to back, so
    // gzip was busy from before the window (round 2) to after it.
    let round_times = |lines: &[Line]| -> Vec<f64> {
        lines
            .iter()
            .filter_map(|l| {
                let at = l.text.find("workload: round ")?;
                stamp_before(&l.text, at).or_else(|| leading_stamp(&l.text))
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs_f64(WINDOW_S * 4.0 + 30.0);
    loop {
        q.assert_no_failures()?;
        let lines = q.lines();
        let last_beat = heartbeats(&lines, "beat").last().map_or(0.0, |b| b.0);
        let last_round = round_times(&lines).last().copied().unwrap_or(0.0);
        if last_beat >= t_to && last_round >= t_to {
            break;
        }
        if Instant::now() >= deadline {
            return Err(q.failure(format!(
                "by board time {t_to:.1} s + a while: last heartbeat at {last_beat:.1} s, \
                 last workload round at {last_round:.1} s; both should pass {t_to:.1} s"
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let lines = q.lines();
    let beats = heartbeats(&lines, "beat");
    let rounds = round_times(&lines)
        .into_iter()
        .filter(|&t| t >= t_from && t < t_to)
        .count();

    // Before: from one second after Bulkhead is ready (the guest's start)
    // to the start of the workload, at most WINDOW_S long.
    let b_to = t_started;
    let b_from = (t_ready + 1.0).max(b_to - WINDOW_S);
    let before = beats_in(&beats, b_from, b_to);
    let during = beats_in(&beats, t_from, t_to);
    let report = |name: &str, from: f64, to: f64, got: &[(f64, u64)]| {
        let expected = (to - from) / BEAT_PERIOD_S;
        format!(
            "{name}: [{from:.2} s, {to:.2} s): {} beats of {expected:.0} expected ({:.0}%), \
             longest gap {:.3} s",
            got.len(),
            100.0 * got.len() as f64 / expected.max(1.0),
            longest_gap(got)
        )
    };
    let summary = format!(
        "{}\n{}\nworkload rounds in the window: {rounds}",
        report("before the workload", b_from, b_to, &before),
        report("during the workload", t_from, t_to, &during),
    );
    println!("{summary}");
    let short = |from: f64, to: f64, got: &[(f64, u64)]| {
        (got.len() as f64) < MIN_SHARE * (to - from) / BEAT_PERIOD_S
    };
    if b_to - b_from >= 1.0 && short(b_from, b_to, &before) {
        return Err(q.failure(format!(
            "the heartbeat lost its rate before the workload\n{summary}"
        )));
    }
    if short(t_from, t_to, &during) {
        return Err(q.failure(format!(
            "the heartbeat lost its rate during Linux's workload\n{summary}"
        )));
    }
    // Beats are numbered 1, 2, ...: none may be missing from the console.
    if let Some(w) = during.windows(2).find(|w| w[1].1 != w[0].1 + 1) {
        return Err(q.failure(format!(
            "heartbeat lines missing between {} and {}\n{summary}",
            w[0].1, w[1].1
        )));
    }
    no_faults(&q)
}

// ---------------------------------------------------------------------------
// 5. A virtio-blk disk passed through to one Linux partition.

/// Removes a scratch file when dropped.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn virtio_disk_reaches_only_its_owner() -> Result<(), TestFailure> {
    // A file the owner can only read through the disk.
    let token = format!("bulkhead-disk-{}", std::process::id());
    let disk = Scratch(bulkhead_tests::scratch("linux-disk.ext2"));
    let hello = format!("{token}\n");
    xtask::linux::ext2_disk(&disk.0, 8, "bulkhead", &[("hello.txt", hello.as_bytes())])?;
    let mut v = virt(3)?;
    // The first virtio-*-device goes to the last transport, 0xa003e00.
    v.extra = xtask::linux::disk_args(&disk.0, "d0");
    let mut q = boot("partitions/tests/linux-disk.toml", "disk", v)?;
    q.wait_for(
        "bundle: 7 entries verified, 2 partition(s) configured",
        DEFAULT_LIMIT,
    )?;
    q.wait_for("console: input goes to partition 0", DEFAULT_LIMIT)?;
    q.wait_for("[owner] bulkhead-linux: mounted /dev/vda", BOOT_LIMIT)?;
    q.wait_for("[other] bulkhead-linux: no /dev/vda", BOOT_LIMIT)?;
    for name in ["owner", "other"] {
        q.wait_for(
            format!("[{name}] bulkhead-linux: shell ready").as_str(),
            BOOT_LIMIT,
        )?;
    }
    // The owner has the focus: read the file (virtio requests, DMA into
    // its identity-mapped memory, completion interrupts through the GIC).
    ask(&mut q, "owner", "cat /mnt/hello.txt", &token)?;
    // The other partition has no virtio transport in its tree at all.
    focus(&mut q, 1, "other")?;
    ask(
        &mut q,
        "other",
        "echo virtio-$(ls /sys/bus/virtio/devices|wc -l)",
        "virtio-0",
    )?;
    // A restart of the owner from the console, which its kernel does not
    // see coming (a `reboot -f` would have its driver reset the device
    // first), resets the device before the partition's memory is scrubbed:
    // the driver had it at DRIVER_OK (0x7 on QEMU's legacy transport). The
    // new kernel then reads the disk again.
    focus(&mut q, 0, "owner")?;
    let restarting = command(
        &mut q,
        "restart owner",
        "partition 0 (owner): restarting (management restart)",
    )?;
    q.wait_for_after(
        restarting.at,
        "partition 0 (owner): restart: reset /virtio_mmio@a003e00 (virtio-mmio, status was 0x7)",
        ANSWER,
    )?;
    let restarted = q.wait_for_after(
        restarting.at,
        "partition 0 (owner): restarted as generation 1",
        ANSWER,
    )?;
    q.wait_for_after(
        restarted.at,
        "[owner] bulkhead-linux: mounted /dev/vda",
        BOOT_LIMIT,
    )?;
    q.wait_for_after(
        restarted.at,
        "[owner] bulkhead-linux: shell ready",
        BOOT_LIMIT,
    )?;
    ask_across(&mut q, "owner", "cat /mnt/hello.txt", &token)?;
    // Stopped, its device is reset too (once its vCPUs are off), so that
    // it does no more DMA into memory nobody runs in.
    let stopped = command(&mut q, "stop owner", "partition 0 (owner): stopped")?;
    q.wait_for_after(
        stopped.at,
        "partition 0 (owner): stop: reset /virtio_mmio@a003e00 (virtio-mmio, status was 0x7)",
        ANSWER,
    )?;
    if q.lines()
        .iter()
        .any(|l| l.text.contains(&token) && !l.text.contains("[owner] "))
    {
        return Err(q.failure("the file's contents appeared outside the owner's console".into()));
    }
    no_faults(&q)
}

/// The virtio Status register of the owner's one virtio device, as its
/// driver reads it from the device (`status` in sysfs).
const VIRTIO_STATUS: &str = "echo st-$(cat /sys/bus/virtio/devices/virtio0/status)";

/// Like [`ask`], but the answer may be cut into several console lines of
/// `name` by other partitions' lines printed in the middle of it (a
/// heartbeat's): the partition's text since the command was typed, its
/// pieces joined and the echo included, is searched as one string, so the
/// answer must not be part of the command.
fn ask_across(q: &mut Qemu, name: &str, command: &str, answer: &str) -> Result<(), TestFailure> {
    if command.contains(answer) {
        return Err(TestFailure::new(format!(
            "test bug: the answer {answer:?} is part of the command {command:?}"
        )));
    }
    let since = q.lines().len();
    q.send(&format!("{command}\n"))?;
    let prefix = format!("[{name}] ");
    let deadline = Instant::now() + ANSWER;
    loop {
        q.assert_no_failures()?;
        let text: String = q
            .lines()
            .iter()
            .skip(since)
            .filter_map(|l| {
                l.text
                    .split_once(prefix.as_str())
                    .map(|(_, t)| t.to_string())
            })
            .collect();
        if text.contains(answer) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(q.failure(format!("no {answer:?} from {name} after {command:?}")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs one management command in the console's command mode (Ctrl-A c,
/// the line, Enter) and waits for the line `want`; Ctrl-A leaves the
/// command mode again, back to the focused partition.
fn command(q: &mut Qemu, line: &str, want: &str) -> Result<Line, TestFailure> {
    q.send("\x01\x01c")?;
    q.send(&format!("{line}\r"))?;
    let got = q.wait_for(want, ANSWER)?;
    q.send("\x01\x01")?;
    Ok(got)
}

#[test]
fn a_partition_whose_disk_is_reset_on_restore_is_snapshotted_and_restored(
) -> Result<(), TestFailure> {
    let token = format!("bulkhead-reset-{}", std::process::id());
    let disk = Scratch(bulkhead_tests::scratch("linux-disk-snapshot.ext2"));
    let hello = format!("{token}\n");
    xtask::linux::ext2_disk(&disk.0, 8, "bulkhead", &[("hello.txt", hello.as_bytes())])?;
    let mut v = virt(3)?;
    v.extra = xtask::linux::disk_args(&disk.0, "d0");
    let mut q = boot("partitions/tests/linux-disk-snapshot.toml", "reset", v)?;
    q.wait_for("[owner] bulkhead-linux: mounted /dev/vda", BOOT_LIMIT)?;
    q.wait_for("[owner] bulkhead-linux: shell ready", BOOT_LIMIT)?;
    // The driver has set the device up (ACKNOWLEDGE, DRIVER, DRIVER_OK:
    // QEMU's transports are legacy virtio-mmio, without FEATURES_OK) and
    // reads through it.
    ask_across(&mut q, "owner", VIRTIO_STATUS, "st-0x00000007")?;
    ask_across(&mut q, "owner", "cat /mnt/hello.txt", &token)?;
    command(
        &mut q,
        "snapshot owner 0",
        "partition 0 (owner): snapshot slot 0 done",
    )?;
    // A partition whose device is not reset on restore is still refused,
    // and says which device and why.
    command(
        &mut q,
        "snapshot kept 0",
        "partition 2 (kept): snapshot refused: it owns /virtio_mmio@a000000",
    )?;
    q.wait_for("reset on restore", ANSWER)?;
    let since = q.lines().len();
    command(
        &mut q,
        "restore owner 0",
        "partition 0 (owner): restore slot 0 done",
    )?;
    // The device was reset before the vCPUs resumed, and the console said
    // so.
    let reset = wait_new(
        &q,
        since,
        "the device reset",
        |l| {
            l.contains(
                "partition 0 (owner): restore: reset /virtio_mmio@a003e00 (virtio-mmio, status was 0x7)",
            )
        },
        ANSWER,
    )?;
    let done = wait_new(
        &q,
        since,
        "the end of the restore",
        |l| l.contains("partition 0 (owner): restore slot 0 done"),
        ANSWER,
    )?;
    if stamp_of(&q, &reset, "reset")? > stamp_of(&q, &done, "restore done")? {
        return Err(q.failure("the device was reset after the restore ended".into()));
    }
    // The restored Linux runs on and finds its device reset.
    std::thread::sleep(Duration::from_millis(500));
    ask_across(&mut q, "owner", "echo alive-$((40+2))", "alive-42")?;
    ask_across(&mut q, "owner", VIRTIO_STATUS, "st-0x00000000")?;
    // The bystander kept beating through it all.
    beats_go_on(&q, "beat", 3)?;
    no_faults(&q)
}

// ---------------------------------------------------------------------------
// 6. Lines of the focused partition keep their prefix when another
//    partition's line comes in between.

/// Every console line Bulkhead prints starts with its time stamp, and a
/// partition's with `[name] ` after it (`hypervisor/bulkhead/src/console.rs`,
/// `vconsole.rs`). The focused partition's output goes out byte by byte;
/// when another partition's whole line is printed in the middle of one of
/// its lines, the rest of the focused line must still be attributed to it,
/// i.e. start a new console line with a stamp and `[name] `. (Before
/// commit 22f977a the rest was printed bare, after the other line.)
#[test]
fn focused_output_keeps_its_prefix_between_other_lines() -> Result<(), TestFailure> {
    let q = boot("partitions/tests/console-mix.toml", "mix", virt(3)?)?;
    let ready = q.wait_for("bulkhead: ready", DEFAULT_LIMIT)?;
    q.wait_for("[linux0] bulkhead-linux: shell ready", BOOT_LIMIT)?;
    q.wait_for("[beat] heartbeat 10", DEFAULT_LIMIT)?;
    let lines = q.lines();
    let after: Vec<&Line> = lines
        .iter()
        .skip_while(|l| l.text != ready.text)
        .skip(1)
        .collect();
    let unattributed: Vec<&str> = after
        .iter()
        .filter(|l| leading_stamp(&l.text).is_none())
        .map(|l| l.text.as_str())
        .collect();
    // Context: the line before each unattributed one shows what cut it.
    let mut examples = Vec::new();
    for w in after.windows(2) {
        if leading_stamp(&w[1].text).is_none() && examples.len() < 3 {
            examples.push(format!("  {}\n  {}", w[0].text, w[1].text));
        }
    }
    if !unattributed.is_empty() {
        return Err(q.failure(format!(
            "{} of {} console lines after `bulkhead: ready` carry neither a time stamp nor a \
             partition prefix: the focused partition's line was cut by another partition's \
             line and its rest printed bare. For example:\n{}",
            unattributed.len(),
            after.len(),
            examples.join("\n")
        )));
    }
    no_faults(&q)
}

/// A line of the focused partition that another partition's line cuts
/// (here: a command half typed, while a heartbeat prints every 50 ms) is
/// shown again below the other line, prefix and all, so the person typing
/// sees what they typed and the finished line is whole on one console line.
#[test]
fn a_cut_line_of_the_focused_partition_is_shown_again_whole() -> Result<(), TestFailure> {
    let mut q = boot("partitions/tests/console-mix.toml", "redraw", virt(3)?)?;
    q.wait_for("[linux0] bulkhead-linux: shell ready", BOOT_LIMIT)?;
    q.wait_for("[beat] heartbeat 10", DEFAULT_LIMIT)?;
    let since = q.lines().len();
    q.send("echo half-")?;
    // Heartbeats cut the half line; each time it is shown again.
    let half = |l: &str| l.contains("[linux0] ") && l.trim_end().ends_with("echo half-");
    let deadline = Instant::now() + ANSWER;
    loop {
        let lines = q.lines();
        let after: Vec<&Line> = lines.iter().skip(since).collect();
        let shown_again = after
            .windows(2)
            .filter(|w| w[0].text.contains("[beat] heartbeat ") && half(&w[1].text))
            .count();
        if shown_again >= 3 {
            break;
        }
        if Instant::now() >= deadline {
            return Err(q.failure(format!(
                "the half-typed `echo half-` of linux0 was shown again after {shown_again} \
                 heartbeat line(s), not after 3 or more: a cut line is not repeated"
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    q.send("$((6*7))\n")?;
    let answer = wait_new(
        &q,
        since,
        "[linux0] half-42",
        |l| l.contains("[linux0] half-42"),
        ANSWER,
    )?;
    // The last line of linux0 before its answer is the whole command.
    let lines = q.lines();
    let whole = lines
        .iter()
        .skip(since)
        .take_while(|l| l.text != answer.text)
        .filter(|l| l.text.contains("[linux0] "))
        .last()
        .map(|l| l.text.clone())
        .unwrap_or_default();
    if !whole.trim_end().ends_with("echo half-$((6*7))") {
        return Err(q.failure(format!(
            "linux0's command line before its answer reads {whole:?}, not the whole \
             `echo half-$((6*7))`"
        )));
    }
    no_faults(&q)
}

// ---------------------------------------------------------------------------
// 7. A focus switch neither hides nor reorders a partition's output.

/// While a partition does not have the focus its output is held until a
/// line is complete, so its shell prompt (no newline) waits in the line
/// buffer. When the focus moves to it, that prompt belongs on the console
/// right away (the person who switched is looking for it); and once the
/// focus moves away again, bytes shown or skipped meanwhile must not
/// resurface in front of a later line. (Before commit db0b656 the prompt
/// stayed invisible and came out later as `[linux1] linux1# .[6nlate-9`.)
#[test]
fn focus_switch_shows_the_held_prompt_and_leaves_no_stale_bytes() -> Result<(), TestFailure> {
    let mut q = boot("partitions/qemu-virt-two-linux.toml", "held", virt(3)?)?;
    for name in ["linux0", "linux1"] {
        q.wait_for(
            format!("[{name}] bulkhead-linux: shell ready").as_str(),
            BOOT_LIMIT,
        )?;
    }
    // linux1's prompt has been held since its shell started.
    std::thread::sleep(Duration::from_millis(500));
    let switch = focus(&mut q, 1, "linux1")?;
    let since = q
        .lines()
        .iter()
        .position(|l| l.text == switch.text)
        .unwrap_or(0);
    let mut problems = Vec::new();
    let shown = q.wait_for(
        pred("[linux1] linux1# after the switch", |l: &str| {
            l.contains("[linux1] linux1# ")
        }),
        Duration::from_secs(5),
    );
    if shown.is_err() {
        problems.push(
            "after `Ctrl-A 1`, linux1's prompt (written while it had no focus, held in its \
             line buffer) did not appear on the console"
                .to_string(),
        );
    }
    // A command whose answer comes after the focus has moved back to
    // linux0: the answer is a whole line of an unfocused partition.
    let command = "sleep 2; echo late-$((3*3))";
    q.send(&format!("{command}\n"))?;
    wait_new(
        &q,
        since,
        "linux1's echo of the command",
        |l| l.contains("[linux1] ") && l.contains(command),
        ANSWER,
    )?;
    focus(&mut q, 0, "linux0")?;
    let late = wait_new(
        &q,
        since,
        "[linux1] ... late-9",
        |l| l.contains("[linux1] ") && l.contains("late-9"),
        ANSWER,
    )?;
    let text = late.text.split("[linux1] ").nth(1).unwrap_or("");
    if text != "late-9" {
        problems.push(format!(
            "linux1's line `late-9`, printed after the focus moved away, came out as {:?}: \
             bytes held from before the switch went out in front of it",
            late.text
        ));
    }
    if !problems.is_empty() {
        return Err(q.failure(problems.join("\n")));
    }
    no_faults(&q)
}

// ---------------------------------------------------------------------------
// 8. A typed line longer than the emulated UART's input FIFO arrives whole.

/// The emulated PL011 keeps 64 bytes of input (`vpl011::RX_FIFO`). A line
/// pasted into the console (or written by a test, or by a host tool on the
/// serial line) comes faster than the guest empties that FIFO; nothing may
/// be lost on the way: Bulkhead holds what does not fit until the
/// partition has read its FIFO. (Before commit db0b656 the surplus was
/// dropped: 5 to 70 of these bytes went missing, at times the newline.)
#[test]
fn long_typed_line_reaches_the_partition_whole() -> Result<(), TestFailure> {
    let mut q = boot("partitions/qemu-virt-two-linux.toml", "long", virt(3)?)?;
    for name in ["linux0", "linux1"] {
        q.wait_for(
            format!("[{name}] bulkhead-linux: shell ready").as_str(),
            BOOT_LIMIT,
        )?;
    }
    // 200 characters of a-z, a newline for echo: wc -c counts 201.
    let text: String = (0..200u8).map(|i| char::from(b'a' + i % 26)).collect();
    let line = format!("echo {text} | wc -c\n");
    let total = line.len();
    let since = q.lines().len();
    q.send(&line)?;
    let answer = wait_new(
        &q,
        since,
        "[linux0] followed by a number (wc's count)",
        |l| {
            l.split("[linux0] ")
                .nth(1)
                .is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        },
        Duration::from_secs(10),
    )
    .map_err(|_| {
        q.failure(format!(
            "a typed line of {total} bytes never ran in linux0: its end, newline \
             included, was dropped (input beyond the emulated UART's 64-byte FIFO is \
             lost); the shell echoed only what is above"
        ))
    })?;
    let count = answer.text.split("[linux0] ").nth(1).unwrap_or("");
    if count != "201" {
        return Err(q.failure(format!(
            "a typed line of {total} bytes reached linux0 with {count} of its 201 echoed \
             bytes: typed input beyond the emulated UART's 64-byte FIFO was dropped"
        )));
    }
    // The shell is still in step: the next command is answered.
    ask(&mut q, "linux0", "echo after-$((5*5))", "after-25")?;
    no_faults(&q)
}

// ---------------------------------------------------------------------------
// 9. A Linux manager partition drives the others with bulkhead-mgmt.

#[test]
fn linux_manager_drives_the_other_partitions() -> Result<(), TestFailure> {
    // partitions/tests/linux-manager.toml: beat (0), linux0 (1, the
    // manager), counter (2, one snapshot slot).
    let mut q = boot("partitions/tests/linux-manager.toml", "mgr", virt(3)?)?;
    q.wait_for("[linux0] bulkhead-linux: shell ready", BOOT_LIMIT)?;
    focus(&mut q, 1, "linux0")?;
    let l = "linux0";
    ask_across(&mut q, l, "bulkhead-mgmt uid", "interface 1.2")?;
    ask_across(&mut q, l, "bulkhead-mgmt list", "0 beat running gen 0")?;
    ask_across(
        &mut q,
        l,
        "echo n=$(bulkhead-mgmt list | grep -c gen)",
        "n=3",
    )?;

    // Stop the heartbeat: it stops beating; start it: it boots again.
    ask_across(&mut q, l, "bulkhead-mgmt stop beat", "stop beat: ok")?;
    let stopped = q.wait_for(
        "partition 1 (linux0): manager: stop beat (#0) slot 0: ok",
        ANSWER,
    )?;
    let stopped_at = stamp_of(&q, &stopped, "stop line")?;
    std::thread::sleep(Duration::from_secs(3));
    let late: Vec<(f64, u64)> = heartbeats(&q.lines(), "beat")
        .into_iter()
        .filter(|&(t, _)| t > stopped_at + 0.1)
        .collect();
    if !late.is_empty() {
        return Err(q.failure(format!("beat kept beating after the stop: {late:?}")));
    }
    ask_across(
        &mut q,
        l,
        "bulkhead-mgmt status beat | grep state",
        "state: stopped (stopped by management)",
    )?;
    let started = q.lines().len();
    ask_across(&mut q, l, "bulkhead-mgmt start beat", "start beat: ok")?;
    // Booted again from its image: its count starts over.
    wait_new(
        &q,
        started,
        "[beat] heartbeat 2 after the start",
        |t| t.contains("[beat] heartbeat 2"),
        ANSWER,
    )?;
    ask_across(
        &mut q,
        l,
        "bulkhead-mgmt status beat | grep generation",
        "generation: 1",
    )?;

    // A refusal comes back as an error and exit code 1.
    ask_across(
        &mut q,
        l,
        "bulkhead-mgmt start beat; echo exit=$?",
        "exit=1",
    )?;

    // Verify is a management hypercall too (interface 1.2), answered by
    // the call: the counter's slot holds nothing yet (QEMU's RAM starts
    // zeroed, which reads as an empty slot).
    ask_across(
        &mut q,
        l,
        "r=$(bulkhead-mgmt verify counter 0 2>&1); echo \"got=$? $r\"",
        "got=1 bulkhead-mgmt: verify counter slot 0: failed: empty slot",
    )?;
    q.wait_for(
        "partition 1 (linux0): manager: verify counter (#2) slot 0: failed (empty slot: no snapshot was saved there)",
        ANSWER,
    )?;

    // Snapshot the counter, let it run on, restore: it goes back to the
    // value it had at the snapshot.
    ask_across(
        &mut q,
        l,
        "bulkhead-mgmt snapshot counter 0",
        "snapshot counter slot 0: ok",
    )?;
    let done = q.wait_for("partition 2 (counter): snapshot slot 0 done", ANSWER)?;
    let at_snapshot = q
        .lines()
        .iter()
        .filter(|x| x.at <= done.at)
        .rev()
        .find_map(|x| bulkhead_tests::number_in(&x.text, "[counter] counter "))
        .unwrap_or(0);
    // The slot is whole: verify says what it holds, exits with 0, and only
    // reads (the counter runs on). A slot the counter does not have (it
    // has one) is refused, exit code 1.
    ask_across(
        &mut q,
        l,
        "bulkhead-mgmt verify counter 0",
        "slot 0 of counter: good, every CRC-32C matches: generation 0, 1 vCPU(s), 16 MiB in 1 region(s), 1 device(s)",
    )?;
    q.wait_for(
        "partition 1 (linux0): manager: verify counter (#2) slot 0: ok",
        ANSWER,
    )?;
    ask_across(
        &mut q,
        l,
        "bulkhead-mgmt verify counter 0 >/dev/null && echo whole-$((6*7))",
        "whole-42",
    )?;
    ask_across(
        &mut q,
        l,
        "r=$(bulkhead-mgmt verify counter 1 2>&1); echo \"got=$? $r\"",
        "got=1 bulkhead-mgmt: verify counter slot 1: no such snapshot slot",
    )?;
    q.wait_for(
        "partition 1 (linux0): manager: verify counter (#2) slot 1: no such slot",
        ANSWER,
    )?;
    q.wait_for(
        format!("[counter] counter {}", at_snapshot + 5).as_str(),
        ANSWER,
    )?;
    ask_across(
        &mut q,
        l,
        "bulkhead-mgmt restore counter 0",
        "restore counter slot 0: ok",
    )?;
    let restored = q.wait_for("partition 2 (counter): restore slot 0 done", ANSWER)?;
    let after = q.number_after(restored.at, "[counter] counter ", ANSWER)?;
    if after > at_snapshot + 2 {
        return Err(q.failure(format!(
            "after the restore the counter went on from {after}, not from the snapshot's {at_snapshot}"
        )));
    }
    beats_go_on(&q, "beat", 2)?;
    no_faults(&q)
}
