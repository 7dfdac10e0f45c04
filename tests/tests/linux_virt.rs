//! Unmodified Debian Linux in partitions on QEMU virt: beside a bare-metal
//! heartbeat on GICv3 and GICv2, two Linux partitions side by side, typed
//! input following the console focus, a heartbeat that keeps its rate while
//! Linux works, and a virtio disk that only its owner sees.
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

use bulkhead_tests::{images, pred, Line, Qemu, TestFailure, Virt, DEFAULT_LIMIT};
use std::path::Path;
use std::time::{Duration, Instant};
use xtask::images::workspace_root;
use xtask::pack;

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
    let board = pack::virt_board(&v)?;
    let stem = Path::new(config)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("system");
    let out = bulkhead_tests::scratch(&format!("linux-{tag}-{stem}-gicv{}.bundle", v.gic));
    let packed = pack::pack(
        &workspace_root().join(config),
        &board,
        &images("qemu-virt")?,
        pack::mem_of(&v)?,
        &out,
    )?;
    v.extra.push("-initrd".into());
    v.extra.push(packed.path.display().to_string());
    // QEMU reads the bundle when it starts: once Bulkhead's banner is out,
    // the file (tens of MiB with Linux in it) can go.
    let started = v
        .validate()
        .map_err(TestFailure::from)
        .and_then(|()| Qemu::start(v.command(), RUN_LIMIT))
        .and_then(|q| q.wait_for("at EL2 on qemu-virt", DEFAULT_LIMIT).map(|_| q));
    let _ = std::fs::remove_file(&packed.path);
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
/// on the board's clock, N). Matched anywhere in a console line, since a
/// whole line of another partition may follow a focused partition's
/// unfinished one (a prompt).
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

/// The board time of the first line matching `pattern`.
fn stamp_of(q: &Qemu, line: &Line, what: &str) -> Result<f64, TestFailure> {
    leading_stamp(&line.text)
        .ok_or_else(|| q.failure(format!("{what}: no time stamp in {:?}", line.text)))
}

/// Waits until partition `name` has beaten `more` times after `after`.
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
        |l| l.contains(&prefix) && l.contains(answer) && !l.contains(command),
        ANSWER,
    )
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
    q.wait_for("bundle: 6 entries verified, 2 partition(s) configured", DEFAULT_LIMIT)?;
    q.wait_for(format!("gic: v{gic} ready").as_str(), DEFAULT_LIMIT)?;
    q.wait_for("[beat] heartbeat 1", DEFAULT_LIMIT)?;
    q.wait_for("[linux0] bulkhead-linux: linux0 up", BOOT_LIMIT)?;
    q.wait_for("[linux0] bulkhead-linux: shell ready", BOOT_LIMIT)?;

    // Ask Linux which interrupt controller it drives and how often the
    // virtual timer (PPI 27) fired on each vCPU: its partition tree must
    // describe the board's GIC, and the timer must reach both vCPUs.
    focus(&mut q, 1, "linux0")?;
    let line = ask(
        &mut q,
        "linux0",
        "grep -w arch_timer /proc/interrupts",
        "arch_timer",
    )?;
    let fields: Vec<&str> = line
        .text
        .split("[linux0] ")
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    // " 11:   1234   987   GICv3  27 Level   arch_timer"
    let counts: Vec<u64> = fields
        .iter()
        .skip(1)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    let chip = fields.get(3).copied().unwrap_or("");
    let want_chip = if gic == 3 { "GICv3" } else { "GIC-0" };
    if counts.len() != 2 || counts.contains(&0) || chip != want_chip || fields.get(4) != Some(&"27")
    {
        return Err(q.failure(format!(
            "/proc/interrupts: expected the virtual timer as {want_chip} 27 with ticks on \
             both vCPUs, got {:?}",
            line.text
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
    q.wait_for("bundle: 7 entries verified, 2 partition(s) configured", DEFAULT_LIMIT)?;
    q.wait_for("partition 0 (linux0): cores [0 1], 256 MiB", DEFAULT_LIMIT)?;
    q.wait_for("partition 1 (linux1): cores [2 3], 256 MiB", DEFAULT_LIMIT)?;
    for name in ["linux0", "linux1"] {
        q.wait_for(format!("[{name}] bulkhead-linux: {name} up").as_str(), BOOT_LIMIT)?;
    }
    for name in ["linux0", "linux1"] {
        q.wait_for(format!("[{name}] bulkhead-linux: shell ready").as_str(), BOOT_LIMIT)?;
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
        q.wait_for(format!("[{name}] bulkhead-linux: shell ready").as_str(), BOOT_LIMIT)?;
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
