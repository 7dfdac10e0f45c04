//! `cargo xtask bench`: Linux's boot time under Bulkhead against the same
//! kernel and initramfs booted natively on the same QEMU machine, and the
//! exits to EL2 of an idle Linux partition. Every figure is a ratio against
//! a baseline measured in the same invocation, or a rate over a measured
//! virtual interval; what is measured and why is in docs/benchmarks.md.
//!
//! Every QEMU runs in a [`Session`], which kills and reaps it on every path
//! out (its `Drop`), and every wait has a deadline.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use xtask::args::Args;
use xtask::elf::Elf;
use xtask::linux::{self, NativeLinux};
use xtask::qemu::{self, Virt};
use xtask::qmp::Qmp;
use xtask::{images, pack};

pub const USAGE: &str = "\
cargo xtask bench <what> [options]

  boot [--runs N] [--gic 2|3] [--timeout SECS]
        Debian's kernel + initramfs booted natively (-smp 4 -m 1G) and as the one
        partition of partitions/bench/linux-alone.toml (2 cores, 256 MiB) on the
        same machine, with and without -icount shift=0,sleep=off: wall time to
        `bulkhead-linux: powering off` (median of N, default 5) and the virtual
        time of the kernel's `reboot: Power down`, with the ratios
  idle [--gic 2|3] [--secs S] [--timeout SECS]
        exits to EL2 per virtual second of the idle Linux partition of
        partitions/bench/linux-idle.toml, over S virtual seconds (default 10),
        with and without icount
  all [--runs N] [--gic 2|3] [--secs S] [--timeout SECS]
        both, then a summary to paste into a note
  restart [--runs N] [--gic 2|3] [--timeout SECS]
        under -icount shift=0,sleep=off: the restart of the Linux partition of
        partitions/bench/linux-idle.toml (`reboot -f` at its shell) to its next
        `shell ready`, against a native boot to the shell, with the ratio and the
        share of Bulkhead's reload (xtask/src/bench_restart.rs)
  snapshot [--timeout SECS]
        under -icount shift=0,sleep=off, with bulkhead.bench: snapshot, verify and
        restore of the bare-metal partitions of partitions/bench/snapshot-{64m,128m,
        256m}.toml against plain copies of the same memory (memcpy and the fast
        loop) timed in the same run (xtask/src/bench_snapshot.rs)
";

const ALONE: &str = "partitions/bench/linux-alone.toml";
const IDLE: &str = "partitions/bench/linux-idle.toml";
const SMP: u32 = 4;
const MEM: &str = "1G";
pub(crate) const ICOUNT: [&str; 2] = ["-icount", "shift=0,sleep=off"];
/// Lines that end a run as a failure.
const FAILURES: [&str; 5] = [
    "EL2 exception",
    "PANIC",
    "no partition boots",
    "Kernel panic",
    "failed to start",
];
/// Virtual seconds the idle partition is left alone after its shell
/// starts, before the first reading.
const SETTLE_S: f64 = 2.0;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Opts {
    pub(crate) runs: usize,
    pub(crate) gic: u8,
    pub(crate) secs: f64,
    pub(crate) timeout: Duration,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            runs: 5,
            gic: 3,
            secs: 10.0,
            timeout: Duration::from_secs(180),
        }
    }
}

impl Opts {
    pub(crate) fn parse(args: &[String]) -> Result<Opts, String> {
        Self::parse_with(args, true, "")
    }

    /// The options of `bench restart`: no `--secs` (its runs have no
    /// length of their own).
    pub(crate) fn parse_restart(args: &[String]) -> Result<Opts, String> {
        Self::parse_with(args, false, "bench restart: ")
    }

    /// `secs`: `--secs` is an option; `who` starts an unknown option's error.
    fn parse_with(args: &[String], secs: bool, who: &str) -> Result<Opts, String> {
        let mut o = Opts::default();
        let mut args = Args::new(args);
        while let Some(flag) = args.next_flag() {
            match flag {
                "--runs" => o.runs = args.in_range(1..=100, "")?,
                "--gic" => o.gic = gic(&mut args)?,
                "--secs" if secs => o.secs = args.in_range(1.0..=600.0, "seconds")?,
                "--timeout" => o.timeout = timeout(&mut args)?,
                _ => return Err(format!("{who}{}\n\n{USAGE}", args.unknown())),
            }
        }
        Ok(o)
    }

    /// The options as the command line that gives them.
    fn shown(&self, what: &str) -> String {
        let mut s = format!("cargo xtask bench {what}");
        if what != "idle" {
            s.push_str(&format!(" --runs {}", self.runs));
        }
        s.push_str(&format!(" --gic {}", self.gic));
        if what != "boot" {
            s.push_str(&format!(" --secs {}", self.secs));
        }
        s
    }
}

/// `--gic`'s value: 2 or 3.
fn gic(args: &mut Args) -> Result<u8, String> {
    args.value_as("2 or 3", |v| match v {
        "2" => Some(2),
        "3" => Some(3),
        _ => None,
    })
}

/// `--timeout`'s value: 10 to 3600 seconds.
pub(crate) fn timeout(args: &mut Args) -> Result<Duration, String> {
    args.in_range(10..=3600, "seconds").map(Duration::from_secs)
}

/// `cargo xtask bench ...`.
pub fn run(args: &[String]) -> Result<(), String> {
    let Some((what, rest)) = args.split_first() else {
        return Err(format!("bench needs a subcommand\n\n{USAGE}"));
    };
    if matches!(what.as_str(), "help" | "-h" | "--help") {
        print!("{USAGE}");
        return Ok(());
    }
    if what == "restart" {
        return crate::bench_restart::run(rest);
    }
    if what == "snapshot" {
        return crate::bench_snapshot::run(rest);
    }
    if !matches!(what.as_str(), "boot" | "idle" | "all") {
        return Err(format!("unknown bench `{what}`\n\n{USAGE}"));
    }
    let o = Opts::parse(rest)?;
    let env = Env::prepare(o.gic)?;
    match what.as_str() {
        "boot" => {
            let r = boot(&env, &o)?;
            print_boot(&r, &o);
        }
        "idle" => {
            let r = idle(&env, &o)?;
            print_idle(&r, &o);
        }
        _ => {
            let b = boot(&env, &o)?;
            let i = idle(&env, &o)?;
            print_boot(&b, &o);
            print_idle(&i, &o);
            print_summary(&b, &i, &o);
        }
    }
    Ok(())
}

/// What every run uses: the hypervisor image (copied aside, so that a
/// rebuild by someone else during the benchmark changes nothing), the Linux
/// files and the machine.
pub(crate) struct Env {
    built: images::Built,
    img: PathBuf,
    elf: PathBuf,
    linux: linux::Linux,
    virt: Virt,
}

impl Env {
    pub(crate) fn prepare(gic: u8) -> Result<Env, String> {
        let built = images::build("qemu-virt", images::Output::Show)?;
        let dir = images::target_dir().join("bench");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let img = dir.join(format!("bulkhead-{}.img", std::process::id()));
        let elf = dir.join(format!("bulkhead-{}.elf", std::process::id()));
        for (from, to) in [(&built.img, &img), (&built.elf, &elf)] {
            std::fs::copy(from, to)
                .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
        }
        let linux = linux::artifacts()?;
        let mut virt = Virt::new(&img);
        virt.gic = gic;
        virt.smp = SMP;
        virt.mem = MEM.into();
        virt.validate()?;
        Ok(Env {
            built,
            img,
            elf,
            linux,
            virt,
        })
    }

    /// Packs `config` (relative to the repository) for this machine.
    pub(crate) fn bundle(&self, config: &str) -> Result<PathBuf, String> {
        let path = images::workspace_root().join(config);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or("system".into());
        let out = images::target_dir().join("bench").join(format!(
            "{stem}-gicv{}-{}.bundle",
            self.virt.gic,
            std::process::id()
        ));
        let board = pack::virt_board(&self.virt)?;
        let packed = pack::pack(&path, &board, &self.built, pack::mem_of(&self.virt)?, &out)?;
        eprintln!(
            "bench: packed {config}: {} KiB -> {}",
            packed.bytes / 1024,
            packed.path.display()
        );
        Ok(packed.path)
    }

    pub(crate) fn native(&self, append: &str, icount: bool) -> Result<Command, String> {
        let n = NativeLinux {
            smp: SMP,
            mem: MEM.into(),
            gic: self.virt.gic,
            append: append.into(),
            icount,
            extra: Vec::new(),
        };
        n.command_for(&self.linux)
    }

    pub(crate) fn bulkhead(&self, bundle: &Path, icount: bool, more: &[String]) -> Command {
        let mut v = self.virt.clone();
        v.extra = vec!["-initrd".into(), bundle.display().to_string()];
        if icount {
            v.extra.extend(ICOUNT.iter().map(|s| s.to_string()));
        }
        v.extra.extend(more.iter().cloned());
        v.command()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.img);
        let _ = std::fs::remove_file(&self.elf);
    }
}

// ---------------------------------------------------------------------------
// A QEMU under watch.

enum Event {
    /// A whole console line (without its line end) and when it arrived.
    Line(Instant, String),
    /// What is there of the line being written (a shell prompt).
    Partial(String),
    /// QEMU closed its output.
    Closed,
}

pub(crate) struct Session {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    rx: mpsc::Receiver<Event>,
    pub(crate) started: Instant,
    tail: Vec<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Session {
    pub(crate) fn start(what: &str, mut cmd: Command) -> Result<Session, String> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", qemu::QEMU))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let err_pipe = child.stderr.take();
        let (tx, rx) = mpsc::channel();
        if let Some(mut out) = stdout {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut pending: Vec<u8> = Vec::new();
                loop {
                    let n = match out.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let at = Instant::now();
                    pending.extend_from_slice(buf.get(..n).unwrap_or(&[]));
                    while let Some(i) = pending.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=i).collect();
                        let text = String::from_utf8_lossy(&line)
                            .trim_end_matches(['\r', '\n'])
                            .to_string();
                        if tx.send(Event::Line(at, text)).is_err() {
                            return;
                        }
                    }
                    if !pending.is_empty() {
                        let text = String::from_utf8_lossy(&pending).into_owned();
                        if tx.send(Event::Partial(text)).is_err() {
                            return;
                        }
                    }
                }
                let _ = tx.send(Event::Closed);
            });
        }
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut e) = err_pipe {
            let keep = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                while let Ok(n) = e.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let (Ok(mut k), Some(b)) = (keep.lock(), buf.get(..n)) {
                        if k.len() < 16 * 1024 {
                            k.extend_from_slice(b);
                        }
                    }
                }
            });
        }
        Ok(Session {
            what: what.into(),
            child,
            stdin,
            rx,
            started,
            tail: Vec::new(),
            stderr,
        })
    }

    /// The next event, or `None` once `deadline` has passed.
    fn next(&mut self, deadline: Instant) -> Option<Event> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(Event::Line(at, text)) => {
                if self.tail.len() >= 15 {
                    self.tail.remove(0);
                }
                self.tail.push(text.clone());
                Some(Event::Line(at, text))
            }
            Ok(ev) => Some(ev),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => Some(Event::Closed),
        }
    }

    /// Waits for a line `want` accepts; a failure line, QEMU's exit or the
    /// deadline is an error that shows the last lines.
    pub(crate) fn wait_line(
        &mut self,
        deadline: Instant,
        what: &str,
        mut want: impl FnMut(&str) -> bool,
    ) -> Result<(Instant, String), String> {
        loop {
            match self.next(deadline) {
                Some(Event::Line(at, l)) => {
                    if let Some(f) = FAILURES.iter().find(|f| l.contains(*f)) {
                        return Err(self.failed(&format!("`{f}` on the console")));
                    }
                    if want(&l) {
                        return Ok((at, l));
                    }
                }
                Some(Event::Partial(_)) => {}
                Some(Event::Closed) => {
                    return Err(self.failed(&format!("QEMU exited before {what}")));
                }
                None => {
                    return Err(self.failed(&format!(
                        "no {what} within {:.0} s",
                        deadline
                            .saturating_duration_since(self.started)
                            .as_secs_f64()
                    )))
                }
            }
        }
    }

    /// Waits until the line being written holds `prompt` (busybox's line
    /// editor follows it with a cursor position query, `ESC [6n`).
    pub(crate) fn wait_prompt(&mut self, deadline: Instant, prompt: &str) -> Result<(), String> {
        loop {
            match self.next(deadline) {
                Some(Event::Partial(p)) if p.contains(prompt) => return Ok(()),
                Some(Event::Closed) => {
                    return Err(self.failed(&format!("QEMU exited before the prompt `{prompt}`")))
                }
                None => return Err(self.failed(&format!("no prompt `{prompt}`"))),
                Some(_) => {}
            }
        }
    }

    pub(crate) fn type_line(&mut self, line: &str) -> Result<(), String> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or(format!("{}: no stdin", self.what))?;
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|_| stdin.flush())
            .map_err(|e| format!("{}: writing to QEMU: {e}", self.what))
    }

    /// Whether QEMU exits on its own within `d`.
    fn exits_within(&mut self, d: Duration) -> bool {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    pub(crate) fn failed(&self, why: &str) -> String {
        let mut s = format!("{}: {why}", self.what);
        if !self.tail.is_empty() {
            s.push_str("\nlast console lines:");
            for l in &self.tail {
                s.push_str("\n  | ");
                s.push_str(l);
            }
        }
        if let Ok(e) = self.stderr.lock() {
            let text = String::from_utf8_lossy(&e);
            let text = text.trim();
            if !text.is_empty() {
                s.push_str("\nQEMU's stderr:\n");
                s.push_str(text);
            }
        }
        s
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `[   1.089729] rest` -> (1.089729, "rest"): Bulkhead's console stamp
/// (seconds of virtual time since reset) or a kernel's printk time.
pub(crate) fn stamped(line: &str) -> Option<(f64, &str)> {
    let rest = line.strip_prefix('[')?;
    let (num, rest) = rest.split_once(']')?;
    let num = num.trim();
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let t = num.parse().ok()?;
    Some((t, rest.strip_prefix(' ').unwrap_or(rest)))
}

/// The text a partition printed, from a Bulkhead console line:
/// `[ stamp] [name] text` -> (stamp, text).
pub(crate) fn partition_line<'a>(line: &'a str, name: &str) -> Option<(f64, &'a str)> {
    let (t, rest) = stamped(line)?;
    let text = rest.strip_prefix(&format!("[{name}] "))?;
    Some((t, text))
}

pub(crate) fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

pub(crate) fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

// ---------------------------------------------------------------------------
// The native clock offset.
//
// Natively the kernel's printk time starts at its sched_clock registration,
// not at reset, while the guest counter (CNTVCT_EL0, CNTVOFF = 0 without
// EL2) counts QEMU's virtual clock from reset. The probe, a 250-byte static
// arm64 program typed into the native shell, reads the counter around a
// CLOCK_MONOTONIC call and around a line it writes to /dev/kmsg (which the
// kernel stamps with its printk clock); the differences are the offsets.

/// The probe's code (loaded at 0x400000 + 120, right after the headers).
/// It writes six u64s to stdout: CNTVCT before and after
/// clock_gettime(CLOCK_MONOTONIC), tv_sec, tv_nsec, CNTVCT after writing
/// "bulkhead-bench: probe\n" to fd 3, and CNTFRQ.
const PROBE_CODE: [u32; 27] = [
    0xd10103ff, // sub  sp, sp, #64
    0xd5033fdf, // isb
    0xd53be053, // mrs  x19, cntvct_el0
    0xd2800020, // mov  x0, #1            CLOCK_MONOTONIC
    0x910043e1, // add  x1, sp, #16       the timespec: [sp+16], [sp+24]
    0xd2800e28, // mov  x8, #113          clock_gettime
    0xd4000001, // svc  #0
    0xd5033fdf, // isb
    0xd53be054, // mrs  x20, cntvct_el0
    0xd2800060, // mov  x0, #3            fd 3: /dev/kmsg
    0x10000221, // adr  x1, msg           (+68 bytes: 17 instructions on)
    0xd28002c2, // mov  x2, #22
    0xd2800808, // mov  x8, #64           write
    0xd4000001, // svc  #0
    0xd5033fdf, // isb
    0xd53be055, // mrs  x21, cntvct_el0
    0xd53be016, // mrs  x22, cntfrq_el0
    0xa90053f3, // stp  x19, x20, [sp]
    0xa9025bf5, // stp  x21, x22, [sp, #32]
    0xd2800020, // mov  x0, #1            stdout
    0x910003e1, // mov  x1, sp
    0xd2800602, // mov  x2, #48
    0xd2800808, // mov  x8, #64           write
    0xd4000001, // svc  #0
    0xd2800000, // mov  x0, #0
    0xd2800ba8, // mov  x8, #93           exit
    0xd4000001, // svc  #0
];
const PROBE_MSG: &[u8] = b"bulkhead-bench: probe\n";
const PROBE_BASE: u64 = 0x40_0000;

/// The probe as an ELF64 executable: header, one PT_LOAD (R+X) covering
/// the whole file, code, message.
fn probe_elf() -> Vec<u8> {
    let total = (64 + 56 + PROBE_CODE.len() * 4 + PROBE_MSG.len()) as u64;
    let mut f = Vec::with_capacity(total as usize);
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(PROBE_BASE + 120).to_le_bytes()); // entry
    f.extend_from_slice(&64u64.to_le_bytes()); // phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // shoff
    f.extend_from_slice(&0u32.to_le_bytes()); // flags
    for h in [64u16, 56, 1, 64, 0, 0] {
        // ehsize, phentsize, phnum, shentsize, shnum, shstrndx
        f.extend_from_slice(&h.to_le_bytes());
    }
    f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    f.extend_from_slice(&5u32.to_le_bytes()); // R + X
    for v in [0, PROBE_BASE, PROBE_BASE, total, total, 0x1000] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    for w in PROBE_CODE {
        f.extend_from_slice(&w.to_le_bytes());
    }
    f.extend_from_slice(PROBE_MSG);
    f
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in data.chunks(3) {
        let b = [
            c.first().copied().unwrap_or(0),
            c.get(1).copied().unwrap_or(0),
            c.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                s.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The shell line that writes, runs and reads the probe. `BENCH-42` and
/// `BENCH-48` bracket its output; the shell's echo of the line itself
/// holds neither.
fn probe_command() -> String {
    format!(
        "echo {} | base64 -d >/tmp/probe; chmod +x /tmp/probe; echo BENCH-$((6*7)); \
         /tmp/probe 3>/dev/kmsg | od -An -tu8 -v; dmesg | grep 'bulkhead-bench: probe'; \
         echo BENCH-$((6*8))",
        base64(&probe_elf())
    )
}

/// One reading of the native clocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Offsets {
    /// Counter (virtual time since reset) minus the printk clock, s.
    pub(crate) printk: f64,
    /// Counter minus CLOCK_MONOTONIC, s.
    pub(crate) monotonic: f64,
    /// Half the counter interval around each reading, s (the uncertainty).
    pub(crate) printk_err: f64,
    pub(crate) monotonic_err: f64,
    pub(crate) counter_hz: u64,
}

/// The offsets from the probe's six numbers and the printk stamp of its
/// line.
pub(crate) fn offsets(nums: &[u64], printk: f64) -> Result<Offsets, String> {
    let [c0, c1, sec, nsec, c2, hz] = nums else {
        return Err(format!("the probe printed {} numbers, not 6", nums.len()));
    };
    if *hz == 0 || c0 > c1 || c1 > c2 {
        return Err(format!("the probe's numbers make no sense: {nums:?}"));
    }
    let s = |c: u64| c as f64 / *hz as f64;
    let mono = *sec as f64 + *nsec as f64 * 1e-9;
    Ok(Offsets {
        printk: (s(*c1) + s(*c2)) / 2.0 - printk,
        monotonic: (s(*c0) + s(*c1)) / 2.0 - mono,
        // printk prints whole microseconds.
        printk_err: (s(*c2) - s(*c1)) / 2.0 + 1e-6,
        monotonic_err: (s(*c1) - s(*c0)) / 2.0,
        counter_hz: *hz,
    })
}

/// Boots natively to the shell, runs the probe, and returns the offsets.
fn calibrate(env: &Env, o: &Opts, icount: bool) -> Result<Offsets, String> {
    let cmd = env.native("bulkhead.name=native", icount)?;
    let mut s = Session::start("native Linux (clock probe)", cmd)?;
    let deadline = s.started + o.timeout;
    s.wait_line(deadline, "`bulkhead-linux: shell ready`", |l| {
        l.contains("bulkhead-linux: shell ready")
    })?;
    probe(&mut s, deadline, "native# ", None)
}

/// At a shell that shows `prompt`: types the probe's line, reads its
/// output and returns the offsets. With `partition`, the shell is that
/// partition's under Bulkhead, whose console prefixes its lines.
pub(crate) fn probe(
    s: &mut Session,
    deadline: Instant,
    prompt: &str,
    partition: Option<&str>,
) -> Result<Offsets, String> {
    let text = |l: &str| -> Option<String> {
        match partition {
            None => Some(l.trim().to_string()),
            Some(name) => partition_line(l, name).map(|(_, t)| t.trim().to_string()),
        }
    };
    s.wait_prompt(deadline, prompt)?;
    s.type_line(&probe_command())?;
    s.wait_line(deadline, "the probe's start", |l| {
        text(l).as_deref() == Some("BENCH-42")
    })?;
    let mut nums = Vec::new();
    let mut printk = None;
    loop {
        let (_, l) = s.wait_line(deadline, "the probe's end", |_| true)?;
        let Some(l) = text(&l) else { continue };
        if l == "BENCH-48" {
            break;
        }
        if let Some((t, rest)) = stamped(&l) {
            if rest.trim() == "bulkhead-bench: probe" && printk.is_none() {
                printk = Some(t);
            }
            continue;
        }
        let words: Vec<&str> = l.split_whitespace().collect();
        if !words.is_empty() && words.iter().all(|w| w.parse::<u64>().is_ok()) {
            nums.extend(words.iter().filter_map(|w| w.parse::<u64>().ok()));
        }
    }
    let printk = printk.ok_or(s.failed("the probe's kernel line did not show in dmesg"))?;
    offsets(&nums, printk).map_err(|e| s.failed(&e))
}

// ---------------------------------------------------------------------------
// Boot runs.

#[derive(Debug, Clone, Copy)]
struct NativeRun {
    /// QEMU start to `bulkhead-linux: powering off`, s.
    wall: f64,
    /// printk time of `reboot: Power down`, s.
    power_down_printk: f64,
}

#[derive(Debug, Clone, Copy)]
struct BulkheadRun {
    wall: f64,
    /// Bulkhead's stamps (virtual time since reset), s.
    verified: f64,
    ready: f64,
    powering_off: f64,
    power_down: f64,
    /// The guest's printk time of `reboot: Power down`, s.
    power_down_printk: f64,
}

fn native_run(env: &Env, o: &Opts, icount: bool) -> Result<NativeRun, String> {
    let cmd = env.native("bulkhead.name=native bulkhead.poweroff=1", icount)?;
    let mut s = Session::start("native Linux", cmd)?;
    let deadline = s.started + o.timeout;
    let (at, _) = s.wait_line(deadline, "`bulkhead-linux: powering off`", |l| {
        l.contains("bulkhead-linux: powering off")
    })?;
    let wall = at.duration_since(s.started).as_secs_f64();
    let (_, l) = s.wait_line(deadline, "`reboot: Power down`", |l| {
        l.contains("reboot: Power down")
    })?;
    let power_down_printk = stamped(&l)
        .map(|(t, _)| t)
        .ok_or(s.failed(&format!("no printk time on `{l}`")))?;
    // PSCI SYSTEM_OFF ends QEMU; Drop kills it if it does not.
    s.exits_within(Duration::from_secs(10));
    Ok(NativeRun {
        wall,
        power_down_printk,
    })
}

fn bulkhead_run(env: &Env, o: &Opts, bundle: &Path, icount: bool) -> Result<BulkheadRun, String> {
    let mut s = Session::start("Linux under Bulkhead", env.bulkhead(bundle, icount, &[]))?;
    let deadline = s.started + o.timeout;
    let stamp = |s: &Session, l: &str| {
        stamped(l)
            .map(|(t, _)| t)
            .ok_or(s.failed(&format!("no stamp on `{l}`")))
    };
    let (_, l) = s.wait_line(deadline, "`bundle: ... entries verified`", |l| {
        l.contains("] bundle: ") && l.contains("entries verified")
    })?;
    let verified = stamp(&s, &l)?;
    let (_, l) = s.wait_line(deadline, "`bulkhead: ready`", |l| {
        l.ends_with("] bulkhead: ready")
    })?;
    let ready = stamp(&s, &l)?;
    let (at, l) = s.wait_line(deadline, "`[linux0] bulkhead-linux: powering off`", |l| {
        partition_line(l, "linux0").is_some_and(|(_, t)| t == "bulkhead-linux: powering off")
    })?;
    let wall = at.duration_since(s.started).as_secs_f64();
    let powering_off = stamp(&s, &l)?;
    let (_, l) = s.wait_line(deadline, "`[linux0] ... reboot: Power down`", |l| {
        partition_line(l, "linux0").is_some_and(|(_, t)| t.contains("reboot: Power down"))
    })?;
    let (power_down, text) =
        partition_line(&l, "linux0").ok_or(s.failed(&format!("cannot read `{l}`")))?;
    let power_down_printk = stamp(&s, text)?;
    // Bulkhead keeps the machine on after its last partition stops: the
    // session's Drop ends QEMU.
    Ok(BulkheadRun {
        wall,
        verified,
        ready,
        powering_off,
        power_down,
        power_down_printk,
    })
}

struct ModeResult {
    icount: bool,
    offsets: Offsets,
    native: Vec<NativeRun>,
    bulkhead: Vec<BulkheadRun>,
}

struct BootResult {
    modes: Vec<ModeResult>,
}

fn mode_name(icount: bool) -> &'static str {
    if icount {
        "icount"
    } else {
        "no icount"
    }
}

fn boot(env: &Env, o: &Opts) -> Result<BootResult, String> {
    let bundle = env.bundle(ALONE)?;
    let result = boot_with(env, o, &bundle);
    let _ = std::fs::remove_file(&bundle);
    result
}

fn boot_with(env: &Env, o: &Opts, bundle: &Path) -> Result<BootResult, String> {
    let mut modes = Vec::new();
    for icount in [true, false] {
        let m = mode_name(icount);
        eprintln!("bench boot [{m}]: native clock probe");
        let offsets = calibrate(env, o, icount)?;
        eprintln!(
            "bench boot [{m}]: native printk zero at {:.6} s of virtual time (+-{:.0} us), \
             CLOCK_MONOTONIC zero at {:.6} s",
            offsets.printk,
            offsets.printk_err * 1e6,
            offsets.monotonic
        );
        let mut native = Vec::new();
        let mut bulkhead = Vec::new();
        // Alternate, so that a change in the host's load falls on both.
        for i in 1..=o.runs {
            let n = native_run(env, o, icount)?;
            eprintln!(
                "bench boot [{m}] run {i}/{}: native    wall {:.3} s, `reboot: Power down` at printk {:.6} s",
                o.runs, n.wall, n.power_down_printk
            );
            native.push(n);
            let b = bulkhead_run(env, o, bundle, icount)?;
            eprintln!(
                "bench boot [{m}] run {i}/{}: Bulkhead  wall {:.3} s, bundle verified {:.6} s, \
                 ready {:.6} s, `powering off` {:.6} s, `reboot: Power down` {:.6} s",
                o.runs, b.wall, b.verified, b.ready, b.powering_off, b.power_down
            );
            bulkhead.push(b);
        }
        modes.push(ModeResult {
            icount,
            offsets,
            native,
            bulkhead,
        });
    }
    Ok(BootResult { modes })
}

/// The figures of one mode, medians.
struct BootFigures {
    native_wall: f64,
    bulkhead_wall: f64,
    native_virtual: f64,
    bulkhead_virtual: f64,
    verified: f64,
    ready: f64,
}

fn figures(m: &ModeResult) -> BootFigures {
    let nw: Vec<f64> = m.native.iter().map(|r| r.wall).collect();
    let bw: Vec<f64> = m.bulkhead.iter().map(|r| r.wall).collect();
    let nv: Vec<f64> = m
        .native
        .iter()
        .map(|r| r.power_down_printk + m.offsets.printk)
        .collect();
    let bv: Vec<f64> = m.bulkhead.iter().map(|r| r.power_down).collect();
    let ver: Vec<f64> = m.bulkhead.iter().map(|r| r.verified).collect();
    let rdy: Vec<f64> = m.bulkhead.iter().map(|r| r.ready).collect();
    BootFigures {
        native_wall: median(&nw),
        bulkhead_wall: median(&bw),
        native_virtual: median(&nv),
        bulkhead_virtual: median(&bv),
        verified: median(&ver),
        ready: median(&rdy),
    }
}

fn print_boot(r: &BootResult, o: &Opts) {
    println!();
    println!(
        "Boot of Debian Linux to power-off, QEMU virt GICv{} -smp {SMP} -m {MEM} (TCG), \
         median of {} run(s) [{}]",
        o.gic,
        o.runs,
        o.shown("boot")
    );
    println!(
        "  native: all 4 vCPUs, 1 GiB; under Bulkhead: partitions/bench/linux-alone.toml \
         (2 vCPUs, 256 MiB)"
    );
    println!();
    println!(
        "  {:<10} {:<34} {:>10} {:>10} {:>8}",
        "mode", "figure", "native", "Bulkhead", "ratio"
    );
    for m in &r.modes {
        let f = figures(m);
        let name = mode_name(m.icount);
        let nw: Vec<f64> = m.native.iter().map(|r| r.wall).collect();
        let bw: Vec<f64> = m.bulkhead.iter().map(|r| r.wall).collect();
        let (nlo, nhi) = min_max(&nw);
        let (blo, bhi) = min_max(&bw);
        println!(
            "  {:<10} {:<34} {:>9.3}s {:>9.3}s {:>7.2}x",
            name,
            "wall to `powering off`",
            f.native_wall,
            f.bulkhead_wall,
            f.bulkhead_wall / f.native_wall
        );
        println!(
            "  {:<10} {:<34} {:>10} {:>10}",
            "",
            "  (min..max)",
            format!("{nlo:.2}..{nhi:.2}"),
            format!("{blo:.2}..{bhi:.2}")
        );
        println!(
            "  {:<10} {:<34} {:>9.4}s {:>9.4}s {:>7.3}x",
            "",
            "virtual to `reboot: Power down`",
            f.native_virtual,
            f.bulkhead_virtual,
            f.bulkhead_virtual / f.native_virtual
        );
        println!(
            "  {:<10} {:<34} {:>10} {:>9.4}s",
            "", "  Bulkhead's share: reset->ready", "", f.ready
        );
        println!(
            "  {:<10} {:<34} {:>10} {:>9.4}s",
            "", "    of which to bundle verified", "", f.verified
        );
        println!(
            "  {:<10} {:<34} {:>9.4}s {:>9.4}s",
            "",
            "  printk time of the power-down",
            median(
                &m.native
                    .iter()
                    .map(|r| r.power_down_printk)
                    .collect::<Vec<_>>()
            ),
            median(
                &m.bulkhead
                    .iter()
                    .map(|r| r.power_down_printk)
                    .collect::<Vec<_>>()
            )
        );
        println!(
            "  {:<10} {:<34} {:>9.4}s",
            "", "  native reset->printk zero", m.offsets.printk
        );
    }
    println!();
    println!(
        "  Native virtual time = printk time + (reset -> printk zero), the offset read by a\n  \
         probe in a separate native boot of the same command line (counter CNTVCT_EL0 around\n  \
         a /dev/kmsg write). Under Bulkhead the console stamps lines with virtual time since\n  \
         reset. Without icount, virtual time follows the host clock: noisy like wall time."
    );
}

// ---------------------------------------------------------------------------
// Idle exits.

/// `BULKHEAD_STATS` (hypervisor/bulkhead/src/stats.rs): magic "BKSTATS1",
/// partition count, counter frequency, then traps, irqs, wfi, faults per
/// partition, all u64 little-endian.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stats {
    partitions: u64,
    counter_hz: u64,
    part: Vec<[u64; 4]>,
}

const STATS_SYMBOL: &str = "BULKHEAD_STATS";
const STATS_MAGIC: &[u8; 8] = b"BKSTATS1";
/// The block's size with 16 partitions, if the symbol has no size.
const STATS_DEFAULT_SIZE: u64 = 24 + 16 * 32;

fn parse_stats(b: &[u8]) -> Result<Stats, String> {
    let u = |i: usize| -> Option<u64> {
        let s = b.get(i * 8..i * 8 + 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Some(u64::from_le_bytes(a))
    };
    if b.get(..8) != Some(&STATS_MAGIC[..]) {
        return Err("BULKHEAD_STATS has no BKSTATS1 magic yet (no partition started?)".to_string());
    }
    let partitions = u(1).ok_or("BULKHEAD_STATS is truncated")?;
    let counter_hz = u(2).ok_or("BULKHEAD_STATS is truncated")?;
    let mut part = Vec::new();
    for p in 0..partitions as usize {
        let base = 3 + 4 * p;
        match (u(base), u(base + 1), u(base + 2), u(base + 3)) {
            (Some(a), Some(b), Some(c), Some(d)) => part.push([a, b, c, d]),
            _ => break,
        }
    }
    Ok(Stats {
        partitions,
        counter_hz,
        part,
    })
}

/// QEMU's virtual clock, up to a constant, read from the host.
///
/// QEMU's "cpu clock" is host time that stops while the machine is paused.
/// Without icount the virtual clock is that clock. With icount, QMP
/// `x-query-jit` reports `Host - Guest clock N ms`: the cpu clock minus the
/// virtual clock (QEMU's `dump_drift_info`). So, relative to a moment
/// `origin` when the machine runs: virtual = (host time since `origin` that
/// the machine ran) - drift.
struct VirtualClock {
    icount: bool,
    origin: Instant,
    /// Host time spent paused since `origin`, s.
    paused: f64,
}

/// One pause: the counters, and the virtual time the machine stopped at.
struct Sample {
    stats: Stats,
    /// Virtual time of the pause (relative to the clock's origin), s.
    at: f64,
    /// How far off `at` may be: half the QMP round trips of `stop` and
    /// `cont`, and the millisecond QEMU rounds the drift to, s.
    err: f64,
    /// Host time the machine ran from `origin` to the pause, s.
    ran: f64,
}

/// `Host - Guest clock  N ms` from `x-query-jit`'s text.
fn parse_drift_ms(text: &str) -> Option<i64> {
    let rest = text.split("Host - Guest clock").nth(1)?;
    let num = rest.split_whitespace().next()?;
    num.parse().ok()
}

impl VirtualClock {
    fn start(q: &mut Qmp, icount: bool) -> Result<VirtualClock, String> {
        let c = VirtualClock {
            icount,
            origin: Instant::now(),
            paused: 0.0,
        };
        // Without icount the drift must be absent, with it present.
        c.drift(q)?;
        Ok(c)
    }

    /// The drift (cpu clock - virtual clock), s; 0 without icount.
    fn drift(&self, q: &mut Qmp) -> Result<f64, String> {
        if !self.icount {
            return Ok(0.0);
        }
        let r = q.execute("x-query-jit", None)?;
        let text = r
            .get("human-readable-text")
            .and_then(|t| t.as_str())
            .unwrap_or_default();
        parse_drift_ms(text)
            .map(|ms| ms as f64 / 1e3)
            .ok_or(format!(
                "QMP x-query-jit shows no `Host - Guest clock` (is -icount on?): {text}"
            ))
    }

    /// Host time the machine has run since the origin, at `t`, s.
    fn ran_at(&self, t: Instant) -> f64 {
        t.duration_since(self.origin).as_secs_f64() - self.paused
    }

    /// The virtual time now, with the machine running (to within the
    /// round trip of one QMP command), s.
    fn now(&self, q: &mut Qmp) -> Result<f64, String> {
        let before = Instant::now();
        let d = self.drift(q)?;
        let after = Instant::now();
        let mid = before + after.duration_since(before) / 2;
        Ok(self.ran_at(mid) - d)
    }

    /// Pauses the machine, reads `size` bytes at `addr` and the drift, and
    /// lets it run on.
    fn sample(
        &mut self,
        q: &mut Qmp,
        addr: u64,
        size: u64,
        scratch: &Path,
    ) -> Result<Sample, String> {
        let t1 = Instant::now();
        q.execute("stop", None)?;
        let t2 = Instant::now();
        let stopped = t1 + t2.duration_since(t1) / 2;
        let read = (|| {
            let d = self.drift(q)?;
            q.pmemsave(addr, size, scratch)?;
            let bytes = std::fs::read(scratch)
                .map_err(|e| format!("cannot read {}: {e}", scratch.display()))?;
            Ok::<_, String>((d, bytes))
        })();
        let t3 = Instant::now();
        let resumed = q.execute("cont", None);
        let t4 = Instant::now();
        let _ = std::fs::remove_file(scratch);
        resumed?;
        let (drift, bytes) = read?;
        let ran = self.ran_at(stopped);
        self.paused += (t3 + t4.duration_since(t3) / 2)
            .duration_since(stopped)
            .as_secs_f64();
        let rounding = if self.icount { 1e-3 } else { 0.0 };
        Ok(Sample {
            stats: parse_stats(&bytes)?,
            at: ran - drift,
            err: t2.duration_since(t1).as_secs_f64() / 2.0
                + t4.duration_since(t3).as_secs_f64() / 2.0
                + rounding,
            ran,
        })
    }

    /// Lets the machine run until `secs` of virtual time have passed since
    /// `from`, checking a few times a second, for at most `limit`.
    fn run_for(
        &self,
        q: &mut Qmp,
        s: &mut Session,
        from: f64,
        secs: f64,
        limit: Instant,
    ) -> Result<(), String> {
        loop {
            // Keep reading the console: a failure shows there.
            let until = Instant::now() + Duration::from_millis(200);
            while let Some(ev) = s.next(until) {
                match ev {
                    Event::Line(_, l) => {
                        if let Some(f) = FAILURES.iter().find(|f| l.contains(*f)) {
                            return Err(s.failed(&format!("`{f}` on the console")));
                        }
                    }
                    Event::Closed => return Err(s.failed("QEMU exited")),
                    Event::Partial(_) => {}
                }
            }
            if self.now(q)? >= from + secs {
                return Ok(());
            }
            if Instant::now() >= limit {
                return Err(s.failed(&format!(
                    "{secs} s of virtual time did not pass within the timeout"
                )));
            }
        }
    }
}

struct IdleMode {
    icount: bool,
    counter_hz: u64,
    /// Virtual time between the two readings, s.
    interval: f64,
    /// How far off `interval` may be, s.
    interval_err: f64,
    /// Host time the machine ran between the readings, s.
    wall_interval: f64,
    /// traps, irqs, wfi, faults over the interval.
    delta: [u64; 4],
}

struct IdleResult {
    modes: Vec<IdleMode>,
}

fn idle_mode(env: &Env, o: &Opts, bundle: &Path, icount: bool) -> Result<IdleMode, String> {
    let bytes =
        std::fs::read(&env.elf).map_err(|e| format!("cannot read {}: {e}", env.elf.display()))?;
    let elf = Elf::parse(&bytes).map_err(String::from)?;
    let sym = elf
        .symbol(STATS_SYMBOL)
        .map_err(String::from)?
        .ok_or(format!(
            "{} has no symbol {STATS_SYMBOL}",
            env.elf.display()
        ))?;
    let size = if sym.size >= 24 {
        sym.size
    } else {
        STATS_DEFAULT_SIZE
    };
    let dir = images::target_dir().join("bench");
    let sock = dir.join(format!("qmp-{}.sock", std::process::id()));
    let scratch = dir.join(format!("stats-{}.bin", std::process::id()));
    let _ = std::fs::remove_file(&sock);
    let qmp = [
        "-qmp".to_string(),
        format!("unix:{},server=on,wait=off", sock.display()),
    ];
    let mut s = Session::start(
        "idle Linux under Bulkhead",
        env.bulkhead(bundle, icount, &qmp),
    )?;
    let result = (|| {
        let deadline = s.started + o.timeout;
        s.wait_line(deadline, "`[linux0] bulkhead-linux: shell ready`", |l| {
            partition_line(l, "linux0").is_some_and(|(_, t)| t == "bulkhead-linux: shell ready")
        })?;
        let mut q = Qmp::connect(&sock, Duration::from_secs(5))?;
        let mut clock = VirtualClock::start(&mut q, icount)?;
        // Let the boot's tail (deferred work, the shell starting) pass.
        let t0 = clock.now(&mut q)?;
        clock.run_for(&mut q, &mut s, t0, SETTLE_S, deadline)?;
        let a = clock.sample(&mut q, sym.value, size, &scratch)?;
        let limit = Instant::now() + o.timeout;
        clock.run_for(&mut q, &mut s, a.at, o.secs, limit)?;
        let b = clock.sample(&mut q, sym.value, size, &scratch)?;
        q.quit();
        let pa = a
            .stats
            .part
            .first()
            .ok_or("BULKHEAD_STATS lists no partition")?;
        let pb = b
            .stats
            .part
            .first()
            .ok_or("BULKHEAD_STATS lists no partition")?;
        let mut delta = [0u64; 4];
        for (i, d) in delta.iter_mut().enumerate() {
            *d = pb[i].saturating_sub(pa[i]);
        }
        Ok(IdleMode {
            icount,
            counter_hz: b.stats.counter_hz,
            interval: b.at - a.at,
            interval_err: a.err + b.err,
            wall_interval: b.ran - a.ran,
            delta,
        })
    })();
    drop(s);
    let _ = std::fs::remove_file(&sock);
    let _ = std::fs::remove_file(&scratch);
    result
}

fn idle(env: &Env, o: &Opts) -> Result<IdleResult, String> {
    let bundle = env.bundle(IDLE)?;
    let mut modes = Vec::new();
    for icount in [true, false] {
        eprintln!("bench idle [{}]: booting {IDLE}", mode_name(icount));
        let m = match idle_mode(env, o, &bundle, icount) {
            Ok(m) => m,
            Err(e) => {
                let _ = std::fs::remove_file(&bundle);
                return Err(e);
            }
        };
        eprintln!(
            "bench idle [{}]: {} traps, {} irqs, {} wfi over {:.3} s (+-{:.1} ms) of virtual \
             time, {:.3} s of host time",
            mode_name(icount),
            m.delta[0],
            m.delta[1],
            m.delta[2],
            m.interval,
            m.interval_err * 1e3,
            m.wall_interval
        );
        modes.push(m);
    }
    let _ = std::fs::remove_file(&bundle);
    Ok(IdleResult { modes })
}

fn rate(n: u64, secs: f64) -> f64 {
    n as f64 / secs
}

fn print_idle(r: &IdleResult, o: &Opts) {
    println!();
    println!(
        "Idle Linux partition (linux-idle.toml: 2 vCPUs, at its shell), exits to EL2 per \
         virtual second [{}]",
        o.shown("idle")
    );
    println!(
        "  {:<10} {:>9} {:>8} {:>9} {:>9} {:>9} {:>7} {:>9}",
        "mode", "virtual", "+-ms", "traps/s", "irqs/s", "wfi/s", "faults", "host"
    );
    for m in &r.modes {
        println!(
            "  {:<10} {:>8.3}s {:>8.1} {:>9.1} {:>9.1} {:>9.1} {:>7} {:>8.3}s",
            mode_name(m.icount),
            m.interval,
            m.interval_err * 1e3,
            rate(m.delta[0], m.interval),
            rate(m.delta[1], m.interval),
            rate(m.delta[2], m.interval),
            m.delta[3],
            m.wall_interval
        );
    }
    if let Some(m) = r.modes.first() {
        println!(
            "  virtual: QEMU's virtual clock between two pauses (QMP stop/cont): host time the\n  \
             machine ran, minus the change of x-query-jit's `Host - Guest clock` with icount;\n  \
             host: the host time it ran. Bulkhead's counter: {} Hz.",
            m.counter_hz
        );
    }
}

// ---------------------------------------------------------------------------
// The summary.

/// `YYYY-MM-DD` (UTC) of now.
fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    // Days since 1970-01-01 to a civil date (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn print_summary(b: &BootResult, i: &IdleResult, o: &Opts) {
    let (x, y, z) = qemu::installed_version().unwrap_or_default();
    println!();
    println!(
        "Summary ({}, QEMU {x}.{y}.{z} TCG, virt GICv{} -smp {SMP} -m {MEM}; Linux natively on \
         4 vCPUs, under Bulkhead on 2)",
        today(),
        o.gic
    );
    let boot_cmd = o.shown("boot");
    for m in &b.modes {
        let f = figures(m);
        if m.icount {
            println!(
                "- Boot to Linux's power-off, virtual time (-icount shift=0,sleep=off): \
                 Bulkhead {:.3} s, native {:.3} s, ratio {:.2} [{boot_cmd}]",
                f.bulkhead_virtual,
                f.native_virtual,
                f.bulkhead_virtual / f.native_virtual
            );
            println!(
                "- Bulkhead's own share, reset to `bulkhead: ready`: {:.3} s of virtual time, \
                 {:.3} s of it to the bundle verified [{boot_cmd}]",
                f.ready, f.verified
            );
        }
        println!(
            "- Wall time to `powering off` ({}), median of {}: Bulkhead {:.2} s, native {:.2} s, \
             ratio {:.2} [{boot_cmd}]",
            mode_name(m.icount),
            m.native.len(),
            f.bulkhead_wall,
            f.native_wall,
            f.bulkhead_wall / f.native_wall
        );
    }
    let idle_cmd = o.shown("idle");
    for m in &i.modes {
        println!(
            "- Idle Linux partition ({}): {:.0} traps/s, {:.0} irqs/s, {:.0} wfi/s over {:.1} s \
             of virtual time [{idle_cmd}]",
            mode_name(m.icount),
            rate(m.delta[0], m.interval),
            rate(m.delta[1], m.interval),
            rate(m.delta[2], m.interval),
            m.interval
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options() {
        assert_eq!(Opts::parse(&[]).unwrap(), Opts::default());
        let o = Opts::parse(&args("--runs 3 --gic=2 --secs 5 --timeout 60")).unwrap();
        assert_eq!((o.runs, o.gic, o.secs), (3, 2, 5.0));
        assert_eq!(o.timeout, Duration::from_secs(60));
        assert!(Opts::parse(&args("--runs 0"))
            .unwrap_err()
            .contains("--runs"));
        assert!(Opts::parse(&args("--gic 4")).unwrap_err().contains("--gic"));
        assert!(Opts::parse(&args("--secs x"))
            .unwrap_err()
            .contains("--secs"));
        assert!(Opts::parse(&args("--runs"))
            .unwrap_err()
            .contains("needs a value"));
        assert!(Opts::parse(&args("--fast"))
            .unwrap_err()
            .contains("unknown"));
        assert_eq!(
            o.shown("all"),
            "cargo xtask bench all --runs 3 --gic 2 --secs 5"
        );
        assert_eq!(o.shown("idle"), "cargo xtask bench idle --gic 2 --secs 5");
        assert!(run(&args("sprint")).unwrap_err().contains("unknown bench"));
        assert!(run(&[]).unwrap_err().contains("subcommand"));
    }

    #[test]
    fn stamps() {
        assert_eq!(
            stamped("[   1.089729] [linux0] bulkhead-linux: powering off"),
            Some((1.089729, "[linux0] bulkhead-linux: powering off"))
        );
        assert_eq!(
            partition_line(
                "[   1.091498] [linux0] [    0.904874] reboot: Power down",
                "linux0"
            ),
            Some((1.091498, "[    0.904874] reboot: Power down"))
        );
        assert_eq!(stamped("[linux0] x"), None);
        assert_eq!(stamped("[inf] x"), None);
        assert_eq!(stamped("no stamp"), None);
        assert_eq!(partition_line("[ 1.0] [beat] heartbeat 3", "linux0"), None);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
        assert_eq!(min_max(&[2.0, 1.0, 3.0]), (1.0, 3.0));
    }

    #[test]
    fn the_probe_is_an_arm64_executable() {
        let f = probe_elf();
        assert_eq!(f.len(), 250);
        let e = Elf::parse(&f).unwrap();
        assert_eq!(e.machine, xtask::elf::EM_AARCH64);
        assert_eq!(e.entry, PROBE_BASE + 120);
        let seg: Vec<_> = e.loaded_segments().collect();
        assert_eq!(seg.len(), 1);
        assert_eq!((seg[0].vaddr, seg[0].filesz), (PROBE_BASE, 250));
        // `adr x1, msg` points at the message.
        let adr = PROBE_CODE[10];
        let off = (((adr >> 5) & 0x7ffff) << 2 | ((adr >> 29) & 3)) as usize;
        assert_eq!(&f[120 + 40 + off..][..PROBE_MSG.len()], PROBE_MSG);
        let cmd = probe_command();
        assert!(cmd.len() < 1000, "the shell line editor takes ~1 KiB");
        assert!(!cmd.contains("BENCH-42") && !cmd.contains("BENCH-48"));
    }

    #[test]
    fn base64_as_busybox_reads_it() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }

    #[test]
    fn clock_offsets() {
        // 62.5 MHz; the counter at 0.2 s around a monotonic 0.1 s, then at
        // 0.20002 s after the kmsg line, which printk stamped 0.05 s.
        let hz = 62_500_000u64;
        let c = |s: f64| (s * hz as f64).round() as u64;
        let o = offsets(&[c(0.2), c(0.2), 0, 100_000_000, c(0.20002), hz], 0.05).unwrap();
        assert!((o.monotonic - 0.1).abs() < 1e-9);
        assert!((o.printk - 0.15001).abs() < 1e-9);
        assert!((o.printk_err - 11e-6).abs() < 1e-9);
        assert!(offsets(&[1, 2, 3], 0.0).is_err());
        assert!(offsets(&[1, 2, 0, 0, 3, 0], 0.0).is_err());
        assert!(offsets(&[5, 2, 0, 0, 3, 1], 0.0).is_err());
    }

    #[test]
    fn stats_block() {
        let mut b = Vec::new();
        b.extend_from_slice(STATS_MAGIC);
        for v in [2u64, 62_500_000, 10, 2, 3, 0, 7, 0, 0, 1] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        let s = parse_stats(&b).unwrap();
        assert_eq!(s.partitions, 2);
        assert_eq!(s.counter_hz, 62_500_000);
        assert_eq!(s.part, vec![[10, 2, 3, 0], [7, 0, 0, 1]]);
        assert!(parse_stats(&[0u8; 64]).unwrap_err().contains("magic"));
        assert!(parse_stats(STATS_MAGIC).is_err());
    }

    #[test]
    fn drift_from_x_query_jit() {
        let text = "Statistics:\r\nTB flush count      0\r\n[TCG profiler not compiled]\r\n\
                    Host - Guest clock  1858 ms\r\nMax guest delay     NA\r\n";
        assert_eq!(parse_drift_ms(text), Some(1858));
        assert_eq!(parse_drift_ms("Host - Guest clock  -42 ms"), Some(-42));
        assert_eq!(parse_drift_ms("no icount here"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(today().len(), 10);
        assert!(today().starts_with("20"));
    }
}
