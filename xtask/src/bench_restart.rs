//! `cargo xtask bench restart`: how long a Linux partition takes from its
//! restart to its shell, against the same kernel and initramfs booting
//! natively to the shell on the same QEMU machine, under `-icount
//! shift=0,sleep=off` (docs/benchmarks.md).
//!
//! - Bulkhead: `partitions/bench/linux-idle.toml` boots to its shell,
//!   `reboot -f` is typed there (PSCI SYSTEM_RESET), and the figure is the
//!   time between Bulkhead's stamps (virtual time since reset) of
//!   `partition 0 (linux0): restarting` and the partition's next
//!   `bulkhead-linux: shell ready`. Bulkhead's `restarted as generation`
//!   line gives the reload's own time and its parts.
//! - Native: reset to `shell ready`. Nothing stamps a native line, so the
//!   time comes from the guest's clock: init prints `bulkhead-linux: uptime
//!   U` (CLOCK_MONOTONIC) just before `shell ready`, and the clock probe of
//!   `bench boot` (typed into the shell afterwards) gives that clock's zero
//!   in virtual time since reset. The few instructions from init's clock
//!   reading to its `shell ready` line are not visible natively; they are
//!   measured under Bulkhead in the same run (the probe runs in the
//!   restarted partition too) and added, so both figures end at the same
//!   line.
//!
//! Runs alternate native and Bulkhead; every QEMU is a `bench::Session`,
//! killed on every path out.

use crate::bench::{self, median, min_max, partition_line, stamped, Env, Offsets, Opts, Session};
use std::path::Path;

const CONFIG: &str = "partitions/bench/linux-idle.toml";
/// The partition of `CONFIG`, its index and its shell prompt.
const NAME: &str = "linux0";
const INDEX: usize = 0;
const SHELL_READY: &str = "bulkhead-linux: shell ready";
const UPTIME: &str = "bulkhead-linux: uptime ";

/// `cargo xtask bench restart ...`.
pub fn run(args: &[String]) -> Result<(), String> {
    let o = Opts::parse_restart(args)?;
    let env = Env::prepare(o.gic)?;
    let bundle = env.bundle(CONFIG)?;
    let result = runs(&env, &o, &bundle);
    let _ = std::fs::remove_file(&bundle);
    let r = result?;
    print(&summarize(&r), &o);
    Ok(())
}

/// The command line that gives these options.
fn shown(o: &Opts) -> String {
    format!(
        "cargo xtask bench restart --runs {} --gic {}",
        o.runs, o.gic
    )
}

// ---------------------------------------------------------------------------
// Parsing.

/// `bulkhead-linux: uptime 0.885123` -> 0.885123 (a line's text, without
/// Bulkhead's prefix).
fn uptime_of(text: &str) -> Option<f64> {
    let v = text.trim().strip_prefix(UPTIME)?.trim();
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    v.parse().ok()
}

/// What Bulkhead says after reloading a partition:
/// `partition 0 (linux0): restarted as generation 1, reload 17012 us
/// (zero+clean 9000 us, copy+clean 6012 us, ...)`.
#[derive(Debug, Clone, PartialEq)]
struct Reload {
    generation: u64,
    /// The reload's own time, s.
    total: f64,
    /// Its parts as Bulkhead names them, s.
    parts: Vec<(String, f64)>,
}

fn reload_of(text: &str, index: usize, name: &str) -> Option<Reload> {
    let rest = text.strip_prefix(&format!(
        "partition {index} ({name}): restarted as generation "
    ))?;
    let (generation, rest) = rest.split_once(", reload ")?;
    let generation = generation.trim().parse().ok()?;
    let (total, rest) = rest.split_once(" us")?;
    let total = total.trim().parse::<u64>().ok()? as f64 * 1e-6;
    let mut parts = Vec::new();
    let rest = rest.trim();
    if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        for part in inner.split(", ") {
            let part = part.trim().strip_suffix(" us")?;
            let (what, us) = part.rsplit_once(' ')?;
            parts.push((what.to_string(), us.parse::<u64>().ok()? as f64 * 1e-6));
        }
    } else if !rest.is_empty() {
        return None;
    }
    Some(Reload {
        generation,
        total,
        parts,
    })
}

// ---------------------------------------------------------------------------
// Runs.

#[derive(Debug, Clone, PartialEq)]
struct NativeRun {
    /// init's CLOCK_MONOTONIC reading before `shell ready`, s.
    uptime: f64,
    offsets: Offsets,
}

impl NativeRun {
    /// Virtual time since reset of init's clock reading, s.
    fn reading(&self) -> f64 {
        self.uptime + self.offsets.monotonic
    }
}

#[derive(Debug, Clone, PartialEq)]
struct BulkheadRun {
    /// Bulkhead's stamps, s since reset.
    restarting: f64,
    restarted: f64,
    shell_ready: f64,
    reload: Reload,
    /// The restarted guest's clock reading before `shell ready`, s.
    uptime: f64,
    offsets: Offsets,
}

impl BulkheadRun {
    /// The restart to the shell: `restarting` to `shell ready`, s.
    fn restart(&self) -> f64 {
        self.shell_ready - self.restarting
    }
    /// Virtual time since reset of init's clock reading, s.
    fn reading(&self) -> f64 {
        self.uptime + self.offsets.monotonic
    }
    /// init's clock reading to its `shell ready` line, s.
    fn tail(&self) -> f64 {
        self.shell_ready - self.reading()
    }
    /// The restart decision to the start of the reload, s.
    fn before_reload(&self) -> f64 {
        self.restarted - self.reload.total - self.restarting
    }
    /// The end of the reload to `shell ready`: Linux, s.
    fn after_reload(&self) -> f64 {
        self.shell_ready - self.restarted
    }
}

fn runs(env: &Env, o: &Opts, bundle: &Path) -> Result<Vec<(NativeRun, BulkheadRun)>, String> {
    let mut out = Vec::new();
    // Alternate, so that a change in the host's load falls on both (it
    // should not matter under icount).
    for i in 1..=o.runs {
        let n = native_run(env, o)?;
        eprintln!(
            "bench restart run {i}/{}: native    uptime {:.6} s + CLOCK_MONOTONIC zero {:.6} s \
             = clock reading at {:.6} s",
            o.runs,
            n.uptime,
            n.offsets.monotonic,
            n.reading()
        );
        let b = bulkhead_run(env, o, bundle)?;
        eprintln!(
            "bench restart run {i}/{}: Bulkhead  `restarting` {:.6} s, reload {:.6} s, \
             `shell ready` {:.6} s: restart {:.6} s (clock reading {:.6} s before the line)",
            o.runs,
            b.restarting,
            b.reload.total,
            b.shell_ready,
            b.restart(),
            b.tail()
        );
        out.push((n, b));
    }
    Ok(out)
}

fn native_run(env: &Env, o: &Opts) -> Result<NativeRun, String> {
    let cmd = env.native("bulkhead.name=native", true)?;
    let mut s = Session::start("native Linux", cmd)?;
    let deadline = s.started + o.timeout;
    let (_, l) = s.wait_line(deadline, "`bulkhead-linux: uptime`", |l| {
        uptime_of(l).is_some()
    })?;
    let uptime = uptime_of(&l).ok_or(s.failed(&format!("cannot read `{l}`")))?;
    s.wait_line(deadline, "`bulkhead-linux: shell ready`", |l| {
        l.trim() == SHELL_READY
    })?;
    let offsets = bench::probe(&mut s, deadline, "native# ", None)?;
    Ok(NativeRun { uptime, offsets })
}

fn bulkhead_run(env: &Env, o: &Opts, bundle: &Path) -> Result<BulkheadRun, String> {
    let mut s = Session::start("Linux under Bulkhead", env.bulkhead(bundle, true, &[]))?;
    let deadline = s.started + o.timeout;
    let prompt = format!("{NAME}# ");
    let is = |l: &str, want: &str| partition_line(l, NAME).is_some_and(|(_, t)| t.trim() == want);
    let stamp = |s: &Session, l: &str| {
        stamped(l)
            .map(|(t, _)| t)
            .ok_or(s.failed(&format!("no stamp on `{l}`")))
    };
    s.wait_line(deadline, "the first `shell ready`", |l| is(l, SHELL_READY))?;
    s.wait_prompt(deadline, &prompt)?;
    // The partition has the console's focus (the only one).
    s.type_line("reboot -f")?;
    let restarting_text = format!("partition {INDEX} ({NAME}): restarting");
    let (_, l) = s.wait_line(deadline, "`restarting`", |l| {
        stamped(l).is_some_and(|(_, t)| t.starts_with(&restarting_text))
    })?;
    let restarting = stamp(&s, &l)?;
    let (_, l) = s.wait_line(deadline, "`restarted as generation`", |l| {
        stamped(l)
            .is_some_and(|(_, t)| t.starts_with(&format!("partition {INDEX} ({NAME}): restarted")))
    })?;
    let restarted = stamp(&s, &l)?;
    let reload = stamped(&l)
        .and_then(|(_, t)| reload_of(t, INDEX, NAME))
        .ok_or(s.failed(&format!(
            "cannot read the reload time from `{l}` (is the hypervisor older than the benchmark?)"
        )))?;
    let (_, l) = s.wait_line(deadline, "the restarted `bulkhead-linux: uptime`", |l| {
        partition_line(l, NAME).is_some_and(|(_, t)| uptime_of(t).is_some())
    })?;
    let uptime = partition_line(&l, NAME)
        .and_then(|(_, t)| uptime_of(t))
        .ok_or(s.failed(&format!("cannot read `{l}`")))?;
    let (_, l) = s.wait_line(deadline, "the second `shell ready`", |l| is(l, SHELL_READY))?;
    let shell_ready = stamp(&s, &l)?;
    let offsets = bench::probe(&mut s, deadline, &prompt, Some(NAME))?;
    Ok(BulkheadRun {
        restarting,
        restarted,
        shell_ready,
        reload,
        uptime,
        offsets,
    })
}

// ---------------------------------------------------------------------------
// Figures.

/// Medians over the runs, s.
#[derive(Debug, Clone, PartialEq)]
struct Summary {
    runs: usize,
    /// Native: reset to init's clock reading, and to `shell ready`.
    native_reading: f64,
    native_shell: f64,
    native_uptime: f64,
    native_monotonic_zero: f64,
    native_printk_zero: f64,
    /// Bulkhead: `restarting` to `shell ready`, and to the clock reading.
    restart: f64,
    restart_min_max: (f64, f64),
    restart_reading: f64,
    tail: f64,
    before_reload: f64,
    reload: f64,
    /// The reload's parts, by Bulkhead's names, in its order.
    parts: Vec<(String, f64)>,
    after_reload: f64,
}

impl Summary {
    fn ratio(&self) -> f64 {
        self.restart / self.native_shell
    }
    fn reading_ratio(&self) -> f64 {
        self.restart_reading / self.native_reading
    }
    /// The reload's share of the restart.
    fn reload_share(&self) -> f64 {
        self.reload / self.restart
    }
}

fn summarize(r: &[(NativeRun, BulkheadRun)]) -> Summary {
    let m = |f: &dyn Fn(&(NativeRun, BulkheadRun)) -> f64| -> f64 {
        median(&r.iter().map(f).collect::<Vec<_>>())
    };
    let tail = m(&|(_, b)| b.tail());
    let native_reading = m(&|(n, _)| n.reading());
    let mut parts: Vec<(String, f64)> = Vec::new();
    if let Some((_, first)) = r.first() {
        for (name, _) in &first.reload.parts {
            let v = m(&|(_, b)| {
                b.reload
                    .parts
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(f64::NAN, |(_, t)| *t)
            });
            parts.push((name.clone(), v));
        }
    }
    Summary {
        runs: r.len(),
        native_reading,
        native_shell: native_reading + tail,
        native_uptime: m(&|(n, _)| n.uptime),
        native_monotonic_zero: m(&|(n, _)| n.offsets.monotonic),
        native_printk_zero: m(&|(n, _)| n.offsets.printk),
        restart: m(&|(_, b)| b.restart()),
        restart_min_max: min_max(&r.iter().map(|(_, b)| b.restart()).collect::<Vec<_>>()),
        restart_reading: m(&|(_, b)| b.reading() - b.restarting),
        tail,
        before_reload: m(&|(_, b)| b.before_reload()),
        reload: m(&|(_, b)| b.reload.total),
        parts,
        after_reload: m(&|(_, b)| b.after_reload()),
    }
}

fn print(s: &Summary, o: &Opts) {
    let row = |what: &str, native: Option<f64>, bulkhead: Option<f64>, extra: &str| {
        let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}s"));
        println!("  {what:<46} {:>9} {:>9}  {extra}", f(native), f(bulkhead));
    };
    println!();
    println!(
        "Restart of a Linux partition to its shell against a native boot to the shell, QEMU \
         virt GICv{} -smp 4 -m 1G (TCG), -icount shift=0,sleep=off, median of {} run(s) [{}]",
        o.gic,
        s.runs,
        shown(o)
    );
    println!(
        "  native: the kernel and initramfs alone (4 vCPUs, 1 GiB), from reset; Bulkhead: \
         {CONFIG} (2 vCPUs, 256 MiB),\n  from `restarting` after `reboot -f` at its shell"
    );
    println!();
    println!("  {:<46} {:>9} {:>9}", "figure", "native", "Bulkhead");
    row(
        "to `shell ready`",
        Some(s.native_shell),
        Some(s.restart),
        &format!("ratio {:.3}", s.ratio()),
    );
    row(
        "  Bulkhead min..max",
        None,
        None,
        &format!("{:.4}..{:.4} s", s.restart_min_max.0, s.restart_min_max.1),
    );
    row(
        "to init's clock reading before it",
        Some(s.native_reading),
        Some(s.restart_reading),
        &format!("ratio {:.3}", s.reading_ratio()),
    );
    row(
        "  native: uptime printed (CLOCK_MONOTONIC)",
        Some(s.native_uptime),
        None,
        "",
    );
    row(
        "  native: reset -> CLOCK_MONOTONIC zero",
        Some(s.native_monotonic_zero),
        None,
        &format!("(printk zero {:.4} s)", s.native_printk_zero),
    );
    row(
        "  clock reading -> `shell ready` line",
        Some(s.tail),
        Some(s.tail),
        "(measured under Bulkhead)",
    );
    row(
        "Bulkhead: decision -> reload",
        None,
        Some(s.before_reload),
        "",
    );
    row(
        "Bulkhead: reload",
        None,
        Some(s.reload),
        &format!("{:.1} % of the restart", s.reload_share() * 100.0),
    );
    for (name, t) in &s.parts {
        row(&format!("  {name}"), None, Some(*t), "");
    }
    row(
        "Bulkhead: reload end -> `shell ready` (Linux)",
        None,
        Some(s.after_reload),
        "",
    );
    println!();
    println!(
        "  Bulkhead's figures are differences of its console stamps; the reload's from its\n  \
         `restarted as generation` line. Native: init's CLOCK_MONOTONIC reading plus that\n  \
         clock's zero in virtual time since reset (the probe of `bench boot`), plus the\n  \
         reading-to-line tail measured under Bulkhead. Target: ratio <= 1.05."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(monotonic: f64) -> Offsets {
        Offsets {
            printk: monotonic + 0.0001,
            monotonic,
            printk_err: 1e-6,
            monotonic_err: 1e-6,
            counter_hz: 62_500_000,
        }
    }

    #[test]
    fn uptime_lines() {
        assert_eq!(uptime_of("bulkhead-linux: uptime 0.885123"), Some(0.885123));
        assert_eq!(uptime_of("bulkhead-linux: uptime 12.5\r"), Some(12.5));
        assert_eq!(uptime_of("bulkhead-linux: uptime ?"), None);
        assert_eq!(uptime_of("bulkhead-linux: uptime "), None);
        assert_eq!(uptime_of("bulkhead-linux: shell ready"), None);
        let l = "[   2.345678] [linux0] bulkhead-linux: uptime 0.990001";
        assert_eq!(
            partition_line(l, NAME).and_then(|(_, t)| uptime_of(t)),
            Some(0.990001)
        );
    }

    #[test]
    fn reload_lines() {
        let l = "[   5.100000] partition 0 (linux0): restarted as generation 1, reload 17012 us \
                 (zero+clean 9000 us, copy+clean 6012 us, other 2000 us)";
        let (t, text) = stamped(l).unwrap();
        assert_eq!(t, 5.1);
        let r = reload_of(text, 0, "linux0").unwrap();
        assert_eq!(r.generation, 1);
        assert!((r.total - 0.017012).abs() < 1e-12);
        assert_eq!(r.parts.len(), 3);
        assert_eq!(r.parts[0].0, "zero+clean");
        assert!((r.parts[1].1 - 0.006012).abs() < 1e-12);
        assert_eq!(r.parts[2].0, "other");
        // Without parts; another partition; the old format; garbage.
        let r = reload_of(
            "partition 0 (linux0): restarted as generation 12, reload 5 us",
            0,
            "linux0",
        )
        .unwrap();
        assert_eq!((r.generation, r.parts.len()), (12, 0));
        assert!(reload_of(
            "partition 1 (other): restarted as generation 1, reload 5 us",
            0,
            "linux0"
        )
        .is_none());
        assert!(reload_of(
            "partition 0 (linux0): restarted as generation 1 in 108 ms",
            0,
            "linux0"
        )
        .is_none());
        assert!(reload_of(
            "partition 0 (linux0): restarted as generation 1, reload 5 us (zero x us)",
            0,
            "linux0"
        )
        .is_none());
        assert!(reload_of(
            "partition 0 (linux0): restarted as generation 1, reload 5 us trailing",
            0,
            "linux0"
        )
        .is_none());
    }

    #[test]
    fn figures() {
        let native = NativeRun {
            uptime: 0.885,
            offsets: offsets(0.113),
        };
        let bulkhead = BulkheadRun {
            restarting: 3.000,
            restarted: 3.110,
            shell_ready: 4.107,
            reload: Reload {
                generation: 1,
                total: 0.108,
                parts: vec![("zero".into(), 0.05), ("copy".into(), 0.058)],
            },
            uptime: 0.950,
            offsets: offsets(3.155),
        };
        assert!((native.reading() - 0.998).abs() < 1e-9);
        assert!((bulkhead.restart() - 1.107).abs() < 1e-9);
        assert!((bulkhead.tail() - 0.002).abs() < 1e-9);
        assert!((bulkhead.before_reload() - 0.002).abs() < 1e-9);
        assert!((bulkhead.after_reload() - 0.997).abs() < 1e-9);
        let s = summarize(&[(native.clone(), bulkhead.clone())]);
        assert!((s.native_shell - 1.000).abs() < 1e-9);
        assert!((s.ratio() - 1.107).abs() < 1e-9);
        assert!((s.restart_reading - 1.105).abs() < 1e-9);
        assert!((s.reload_share() - 0.108 / 1.107).abs() < 1e-9);
        assert_eq!(s.parts.len(), 2);
        assert_eq!(s.parts[1].0, "copy");
        // Medians over runs.
        let mut later = bulkhead.clone();
        later.shell_ready += 0.010;
        let s = summarize(&[
            (native.clone(), bulkhead.clone()),
            (native.clone(), later.clone()),
            (native, later),
        ]);
        assert!((s.restart - 1.117).abs() < 1e-9);
        assert_eq!(s.runs, 3);
    }

    #[test]
    fn options() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert!(run(&args("--secs 5")).unwrap_err().contains("--secs"));
        let o = Opts::parse(&args("--runs 2 --gic 2")).unwrap();
        assert_eq!(shown(&o), "cargo xtask bench restart --runs 2 --gic 2");
    }
}
