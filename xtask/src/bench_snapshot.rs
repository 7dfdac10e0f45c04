//! `cargo xtask bench snapshot`: snapshot and restore of a bare-metal
//! partition of 64, 128 and 256 MiB (`partitions/bench/snapshot-*.toml`)
//! against plain copies of the same memory, measured in the same run under
//! `-icount shift=0,sleep=off` (docs/benchmarks.md).
//!
//! Each configuration boots in its own QEMU with `-append bulkhead.bench`.
//! Once the partition's counter runs, the console's command mode sends
//! `snapshot subject 0`, `verify subject 0` and `restore subject 0`. In
//! bench mode Bulkhead times each with the physical counter (virtual time
//! under icount) and prints `bench:` lines; before the snapshot it times
//! two plain copies of the same memory into the slot: the compiler's memcpy
//! (`copy_nonoverlapping`) and the fused copy-and-CRC loop without its CRC
//! instructions (the fast copy). A restore has no baseline of its own: it
//! moves the same bytes as the snapshot, whose baselines it is compared
//! with.

use crate::bench::{self, stamped, Env, Session, ICOUNT};
use std::time::{Duration, Instant};
use xtask::args::Args;

const CONFIGS: [&str; 3] = [
    "partitions/bench/snapshot-64m.toml",
    "partitions/bench/snapshot-128m.toml",
    "partitions/bench/snapshot-256m.toml",
];
/// The partition of every configuration.
const NAME: &str = "subject";
const SLOT: u8 = 0;
/// The machine's GIC (the benchmark does not depend on it).
const GIC: u8 = 3;

#[derive(Debug, Clone, PartialEq)]
struct Opts {
    timeout: Duration,
}

impl Opts {
    fn parse(args: &[String]) -> Result<Opts, String> {
        let mut o = Opts {
            timeout: Duration::from_secs(300),
        };
        let mut args = Args::new(args);
        while let Some(flag) = args.next_flag() {
            match flag {
                "--timeout" => o.timeout = bench::timeout(&mut args)?,
                _ => {
                    return Err(format!(
                        "bench snapshot: {}\n\n{}",
                        args.unknown(),
                        bench::USAGE
                    ))
                }
            }
        }
        Ok(o)
    }

    fn shown(&self) -> String {
        format!(
            "cargo xtask bench snapshot --timeout {}",
            self.timeout.as_secs()
        )
    }
}

// ---------------------------------------------------------------------------
// Parsing Bulkhead's bench lines.

/// What a `bench:` line times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    /// `core::ptr::copy_nonoverlapping` of the partition's memory.
    PlainCopy,
    /// The fused loop without its CRC instructions.
    FastCopy,
    Snapshot,
    Verify,
    Restore,
}

/// One `bench:` line: what, of how many MiB, in how many microseconds of
/// virtual time.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BenchLine {
    what: What,
    mib: u64,
    us: f64,
}

/// `[   1.234567] partition 0 (subject): bench: snapshot of 64 MiB in
/// 19136.400 us` -> the figure, if the line is partition `name`'s. The
/// line may follow the echo of a command on the same console line (`verify`
/// prints it while the command runs).
fn bench_line(line: &str, name: &str) -> Option<BenchLine> {
    if let Some(b) = bench_line_at(line, name) {
        return Some(b);
    }
    let prompt = std::str::from_utf8(bulkhead_core::mgmt::PROMPT).ok()?;
    let echo = line.get(line.find(prompt)?..)?;
    echo.match_indices('[')
        .find_map(|(i, _)| echo.get(i..).and_then(|l| bench_line_at(l, name)))
}

fn bench_line_at(line: &str, name: &str) -> Option<BenchLine> {
    let (_, rest) = stamped(line)?;
    let rest = rest.strip_prefix("partition ")?;
    let (index, rest) = rest.split_once(' ')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = rest.strip_prefix(&format!("({name}): bench: "))?;
    let (label, rest) = rest.rsplit_once(" of ")?;
    let what = match label {
        "plain copy (copy_nonoverlapping)" => What::PlainCopy,
        "fast copy (ldp/stp, 64 bytes a loop)" => What::FastCopy,
        "snapshot" => What::Snapshot,
        "verify" => What::Verify,
        "restore" => What::Restore,
        _ => return None,
    };
    let (mib, rest) = rest.split_once(" MiB in ")?;
    let us = rest.strip_suffix(" us")?;
    if us.is_empty() || !us.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Some(BenchLine {
        what,
        mib: mib.parse().ok()?,
        us: us.parse().ok()?,
    })
}

/// The figures of one configuration, microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Figures {
    mib: u64,
    plain: f64,
    fast: f64,
    snapshot: f64,
    verify: f64,
    restore: f64,
}

/// The figures in `lines` (every console line of one run); an error names
/// what is missing. A figure given twice is an error too: one run, one
/// snapshot.
fn figures(lines: &[String], name: &str) -> Result<Figures, String> {
    let found: Vec<BenchLine> = lines.iter().filter_map(|l| bench_line(l, name)).collect();
    let one = |what: What| -> Result<BenchLine, String> {
        let mut it = found.iter().filter(|b| b.what == what);
        match (it.next(), it.next()) {
            (Some(b), None) => Ok(*b),
            (None, _) => Err(format!("no `bench: {what:?}` line from {name}")),
            (Some(_), Some(_)) => Err(format!("more than one `bench: {what:?}` line")),
        }
    };
    let plain = one(What::PlainCopy)?;
    let f = Figures {
        mib: plain.mib,
        plain: plain.us,
        fast: one(What::FastCopy)?.us,
        snapshot: one(What::Snapshot)?.us,
        verify: one(What::Verify)?.us,
        restore: one(What::Restore)?.us,
    };
    if found.iter().any(|b| b.mib != f.mib) {
        return Err("the bench lines disagree on the memory size".into());
    }
    Ok(f)
}

// ---------------------------------------------------------------------------
// Running.

/// Sends `command` through the console's command mode and waits for its
/// answer's final line; every line seen goes into `lines`.
fn mgmt(
    s: &mut Session,
    deadline: Instant,
    lines: &mut Vec<String>,
    command: &str,
) -> Result<(), String> {
    let from = lines.len();
    // QEMU's -nographic console takes one Ctrl-A for two. The line end
    // that `type_line` adds goes to the focused partition, after command
    // mode has been left.
    s.type_line(&format!("\x01\x01c{command}\r\x01\x01"))?;
    let mut answer = None;
    s.wait_line(deadline, &format!("the answer to `{command}`"), |l| {
        lines.push(l.to_string());
        answer = xtask::mgmt::answer(lines.iter().skip(from).map(String::as_str), command);
        answer.is_some()
    })?;
    match answer {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(s.failed(&format!("`{command}` answered `{e}`"))),
        None => Err(s.failed(&format!("no answer to `{command}`"))),
    }
}

/// Waits for a line containing `text`, keeping every line.
fn wait_for(
    s: &mut Session,
    deadline: Instant,
    lines: &mut Vec<String>,
    text: &str,
) -> Result<(), String> {
    let refused = format!("partition 0 ({NAME}): restore slot {SLOT} refused");
    let mut bad = None;
    s.wait_line(deadline, &format!("`{text}`"), |l| {
        lines.push(l.to_string());
        if l.contains(&refused) {
            bad = Some(l.to_string());
            return true;
        }
        l.contains(text)
    })?;
    match bad {
        Some(l) => Err(s.failed(&format!("the restore was refused: {l}"))),
        None => Ok(()),
    }
}

/// One configuration in its own QEMU: boot, snapshot, verify, restore,
/// and the counter goes on afterwards.
fn run_one(env: &Env, config: &str, o: &Opts) -> Result<(Figures, String), String> {
    let bundle = env.bundle(config)?;
    let more = ["-append".to_string(), "bulkhead.bench".to_string()];
    let cmd = env.bulkhead(&bundle, true, &more);
    let shown = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let result = (|| {
        let mut s = Session::start(&format!("bench snapshot ({config})"), cmd)?;
        let deadline = Instant::now() + o.timeout;
        let mut lines = Vec::new();
        wait_for(&mut s, deadline, &mut lines, "bench mode:")?;
        wait_for(&mut s, deadline, &mut lines, &format!("[{NAME}] counter 3"))?;
        mgmt(
            &mut s,
            deadline,
            &mut lines,
            &format!("snapshot {NAME} {SLOT}"),
        )?;
        wait_for(
            &mut s,
            deadline,
            &mut lines,
            &format!("({NAME}): snapshot slot {SLOT} done"),
        )?;
        mgmt(
            &mut s,
            deadline,
            &mut lines,
            &format!("verify {NAME} {SLOT}"),
        )?;
        mgmt(
            &mut s,
            deadline,
            &mut lines,
            &format!("restore {NAME} {SLOT}"),
        )?;
        wait_for(
            &mut s,
            deadline,
            &mut lines,
            &format!("({NAME}): restore slot {SLOT} done"),
        )?;
        // The restored partition runs on.
        let before = lines.len();
        s.wait_line(deadline, "a counter line after the restore", |l| {
            lines.push(l.to_string());
            l.contains(&format!("[{NAME}] counter "))
        })?;
        if lines.len() <= before {
            return Err(s.failed("no counter line after the restore"));
        }
        for l in lines.iter().filter(|l| bench_line(l, NAME).is_some()) {
            eprintln!("bench: {l}");
        }
        figures(&lines, NAME).map_err(|e| s.failed(&e))
    })();
    let _ = std::fs::remove_file(&bundle);
    result.map(|f| (f, shown))
}

/// `cargo xtask bench snapshot ...`.
pub fn run(args: &[String]) -> Result<(), String> {
    let o = Opts::parse(args)?;
    let env = Env::prepare(GIC)?;
    let mut rows = Vec::new();
    let mut qemu_line = String::new();
    for config in CONFIGS {
        let (f, shown) = run_one(&env, config, &o)?;
        eprintln!(
            "bench: {config}: snapshot {:.1} ms, restore {:.1} ms",
            f.snapshot / 1000.0,
            f.restore / 1000.0
        );
        if qemu_line.is_empty() {
            qemu_line = shown;
        }
        rows.push(f);
    }
    print!("{}", table(&rows, &o.shown(), &qemu_line));
    Ok(())
}

fn ms(us: f64) -> String {
    format!("{:.1} ms", us / 1000.0)
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "-".into()
    }
}

/// The results as a Markdown table, with the commands that gave them.
fn table(rows: &[Figures], command: &str, qemu: &str) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "\nSnapshot and restore against plain copies of the same memory, QEMU virt (TCG), {} {}\n\
         (virtual time: one guest instruction = 1 ns; memory accesses cost nothing extra)\n\n",
        ICOUNT[0], ICOUNT[1]
    ));
    s.push_str(
        "| memory | memcpy | fast copy | snapshot | vs memcpy | vs fast copy \
         | restore | vs memcpy | vs fast copy | verify* |\n",
    );
    s.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for r in rows {
        s.push_str(&format!(
            "| {} MiB | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.mib,
            ms(r.plain),
            ms(r.fast),
            ms(r.snapshot),
            ratio(r.snapshot, r.plain),
            ratio(r.snapshot, r.fast),
            ms(r.restore),
            ratio(r.restore, r.plain),
            ratio(r.restore, r.fast),
            ms(r.verify),
        ));
    }
    s.push_str(&format!(
        "\nmemcpy: core::ptr::copy_nonoverlapping; fast copy: the snapshot's fused loop without \
         its CRC instructions (4 ldp + 4 stp a 64-byte loop); both timed before the snapshot, \
         into its slot; a restore moves the same bytes the other way.\n\
         * verify runs while the partition runs on (it touches nothing): under icount the \
         partition's spinning vCPU advances the same virtual clock, so that column is not \
         comparable with the others.\ncommand: {command}\nQEMU (64 MiB): {qemu}\n"
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn bench_lines() {
        assert_eq!(
            bench_line(
                "[   1.234567] partition 0 (subject): bench: plain copy (copy_nonoverlapping) of 64 MiB in 33554.432 us",
                "subject"
            ),
            Some(BenchLine {
                what: What::PlainCopy,
                mib: 64,
                us: 33554.432
            })
        );
        assert_eq!(
            bench_line(
                "[   2.000000] partition 12 (subject): bench: fast copy (ldp/stp, 64 bytes a loop) of 256 MiB in 42.000 us",
                "subject"
            ),
            Some(BenchLine {
                what: What::FastCopy,
                mib: 256,
                us: 42.0
            })
        );
        // Glued to the echo of the command that printed it.
        assert_eq!(
            bench_line(
                "bulkhead> verify subject 0[   0.457683] partition 0 (subject): bench: verify of 128 MiB in 126747.200 us",
                "subject"
            ),
            Some(BenchLine {
                what: What::Verify,
                mib: 128,
                us: 126747.2
            })
        );
        for (text, what) in [
            ("snapshot", What::Snapshot),
            ("restore", What::Restore),
            ("verify", What::Verify),
        ] {
            let l = format!("[ 3.5] partition 0 (subject): bench: {text} of 128 MiB in 7.5 us");
            assert_eq!(bench_line(&l, "subject").map(|b| b.what), Some(what));
        }
        for bad in [
            // Another partition, no stamp, a partition's own output.
            "[ 1.0] partition 0 (other): bench: snapshot of 64 MiB in 1.0 us",
            "partition 0 (subject): bench: snapshot of 64 MiB in 1.0 us",
            "[ 1.0] [subject] partition 0 (subject): bench: snapshot of 64 MiB in 1.0 us",
            "[ 1.0] [subject] [ 1.0] partition 0 (subject): bench: snapshot of 64 MiB in 1.0 us",
            // Unknown label, bad numbers, missing unit.
            "[ 1.0] partition 0 (subject): bench: copy of 64 MiB in 1.0 us",
            "[ 1.0] partition 0 (subject): bench: snapshot of x MiB in 1.0 us",
            "[ 1.0] partition 0 (subject): bench: snapshot of 64 MiB in -1.0 us",
            "[ 1.0] partition 0 (subject): bench: snapshot of 64 MiB in 1.0",
            "[ 1.0] partition x (subject): bench: snapshot of 64 MiB in 1.0 us",
            "[ 1.0] partition 0 (subject): snapshot slot 0 done: 64 MiB in 19 ms",
        ] {
            assert_eq!(bench_line(bad, "subject"), None, "{bad}");
        }
    }

    #[test]
    fn figures_of_a_run() {
        let run: Vec<String> = [
            "[ 0.1] bench mode: snapshot and restore report a plain-copy baseline",
            "[ 1.0] [subject] counter 3",
            "[ 1.1] partition 0 (subject): bench: plain copy (copy_nonoverlapping) of 64 MiB in 33554.432 us",
            "[ 1.2] partition 0 (subject): bench: fast copy (ldp/stp, 64 bytes a loop) of 64 MiB in 10485.760 us",
            "[ 1.3] partition 0 (subject): bench: snapshot of 64 MiB in 18875.000 us",
            "[ 1.3] partition 0 (subject): snapshot slot 0 done: 64 MiB in 18 ms",
            "[ 1.4] partition 0 (subject): bench: verify of 64 MiB in 8400.000 us",
            "[ 1.5] partition 0 (subject): bench: restore of 64 MiB in 20000.000 us",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let f = figures(&run, "subject").expect("complete");
        assert_eq!(
            f,
            Figures {
                mib: 64,
                plain: 33554.432,
                fast: 10485.76,
                snapshot: 18875.0,
                verify: 8400.0,
                restore: 20000.0
            }
        );
        let t = table(&[f], "cargo xtask bench snapshot --timeout 300", "qemu ...");
        assert!(
            t.contains("| 64 MiB | 33.6 ms | 10.5 ms | 18.9 ms | 0.56 | 1.80 | 20.0 ms | 0.60 | 1.91 | 8.4 ms |"),
            "{t}"
        );
        assert!(t.contains("command: cargo xtask bench snapshot --timeout 300"));
        // Missing or doubled figures are errors.
        let short: Vec<String> = run.iter().take(run.len() - 1).cloned().collect();
        assert!(figures(&short, "subject").unwrap_err().contains("Restore"));
        let mut twice = run.clone();
        twice.push(run[7].clone());
        assert!(figures(&twice, "subject").is_err());
        let mut other = run.clone();
        other[7] = other[7].replace("64 MiB", "128 MiB");
        assert!(figures(&other, "subject").is_err());
    }

    #[test]
    fn options() {
        assert_eq!(Opts::parse(&[]).unwrap().timeout, Duration::from_secs(300));
        assert_eq!(
            Opts::parse(&a("--timeout 60")).unwrap().timeout,
            Duration::from_secs(60)
        );
        assert_eq!(
            Opts::parse(&a("--timeout=600")).unwrap().shown(),
            "cargo xtask bench snapshot --timeout 600"
        );
        assert!(Opts::parse(&a("--timeout 5")).is_err());
        assert!(Opts::parse(&a("--timeout")).is_err());
        assert!(Opts::parse(&a("--runs 3")).is_err());
    }
}
