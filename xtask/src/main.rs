//! `cargo xtask <command>`: Bulkhead's host tool. See `cargo xtask help`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use xtask::{args::Args, elf::Elf, guests, images, pack, qemu, qmp::Qmp, ring, setup};

mod bench;
mod bench_restart;
mod bench_snapshot;

const HELP: &str = "\
cargo xtask <command>

  setup                 make this Debian 12 machine ready (Rust target, QEMU >= 10, dtc);
                        installs with apt-get, so it needs root or a password-less sudo
  fetch-guests [--refresh]
                        download Debian's arm64 kernel, its Pi 4 device tree and
                        busybox-static into .cache/debian-arm64/
  build [--platform P]  build target/images/P/bulkhead.{elf,img} (P: qemu-virt, rpi4)
  run [--platform P] [--gic 2|3] [--smp N] [--mem SIZE] [--config FILE] [-- QEMU ARGS]
                        build, then boot in QEMU (Ctrl-A X quits); with --config, the
                        system FILE describes is validated, packed and booted
  mgmt --serial PATH COMMAND...
                        run a management command (list, status, stop, start, restart,
                        snapshot, restore, verify) over a serial line: a QEMU serial socket or a
                        board's serial device
  pack --config FILE [run options]
                        validate FILE against the board and write its boot bundle
  demo                  setup, build and run the demo: three partitions on a 4-core
                        virt (partitions/qemu-virt-demo.toml)
  test                  setup, build, run the host tests and the QEMU boot tests
  log [--attach [SOCKET]] [--timeout SECS] [run options]
                        boot (or attach to a running `cargo xtask run`) and print the
                        hypervisor's defmt log, read from its RAM ring over QMP
  size [--platform P]   build, then report the raw image and ELF section sizes
  linux-native [--smp N] [--mem SIZE] [--gic 2|3] [--append ARGS] [--icount] [--print]
               [-- QEMU ARGS]
                        boot Debian's kernel with the busybox initramfs (partitions/linux/)
                        on QEMU virt without the hypervisor (Ctrl-A X quits); --print
                        only prints the command
  bench boot|idle|all [--runs N] [--gic 2|3] [--secs S] [--timeout SECS]
                        Linux's boot time under Bulkhead against native, and the exits
                        of an idle Linux partition (docs/benchmarks.md; `bench help`)
  bench restart [--runs N] [--gic 2|3] [--timeout SECS]
                        a Linux partition's restart to its shell against a native boot
  bench snapshot [--timeout SECS]
                        snapshot and restore of 64/128/256 MiB partitions against plain
                        copies of the same memory
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprint!("{HELP}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "setup" => no_args(rest).and_then(|_| setup_all()),
        "fetch-guests" => fetch_guests(rest),
        "build" => Opts::parse(rest).and_then(|o| build(&o).map(|_| ())),
        "run" => Opts::parse(rest).and_then(|o| run(&o)),
        "demo" => no_args(rest).and_then(|_| demo()),
        "test" => no_args(rest).and_then(|_| test()),
        "log" => log(rest),
        "size" => Opts::parse(rest).and_then(|o| size(&o)),
        "pack" => pack_cmd(rest),
        "mgmt" => mgmt_cmd(rest),
        "linux-native" => linux_native(rest),
        "bench" => bench::run(rest),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn no_args(rest: &[String]) -> Result<(), String> {
    match rest.first() {
        None => Ok(()),
        Some(a) => Err(format!("unexpected argument `{a}`")),
    }
}

/// Options shared by build, run, log and size.
#[derive(Debug, Clone)]
struct Opts {
    platform: String,
    gic: u8,
    smp: u32,
    mem: String,
    extra: Vec<String>,
    /// `log` only.
    attach: Option<Option<PathBuf>>,
    timeout: u64,
    /// A system configuration to pack into a boot bundle (`-initrd`).
    config: Option<PathBuf>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            platform: "qemu-virt".into(),
            gic: 3,
            smp: 4,
            mem: "1G".into(),
            extra: Vec::new(),
            attach: None,
            timeout: 60,
            config: None,
        }
    }
}

impl Opts {
    fn parse(args: &[String]) -> Result<Opts, String> {
        Self::parse_with(args, false)
    }

    fn parse_with(args: &[String], log: bool) -> Result<Opts, String> {
        let mut o = Opts::default();
        let mut args = Args::new(args);
        while let Some(flag) = args.next_flag() {
            match flag {
                "--platform" => o.platform = args.value()?,
                "--gic" => o.gic = args.parse("2 or 3")?,
                "--smp" => o.smp = args.parse("a number")?,
                "--mem" | "-m" => o.mem = args.value()?,
                "--config" => o.config = Some(PathBuf::from(args.value()?)),
                "--timeout" if log => o.timeout = args.parse("seconds")?,
                "--attach" if log => o.attach = Some(args.optional_value().map(PathBuf::from)),
                "--" => o.extra = args.rest(),
                _ => return Err(format!("{} (see `cargo xtask help`)", args.unknown())),
            }
        }
        images::platform(&o.platform)?;
        Ok(o)
    }

    fn virt(&self, image: &Path) -> Result<qemu::Virt, String> {
        let v = qemu::Virt {
            gic: self.gic,
            smp: self.smp,
            mem: self.mem.clone(),
            image: image.to_path_buf(),
            extra: self.extra.clone(),
        };
        v.validate()?;
        Ok(v)
    }

    /// The QEMU command for the built image, with `more` args before the
    /// user's extra ones.
    fn qemu_command(&self, built: &images::Built, more: &[String]) -> Result<Command, String> {
        let mut extra: Vec<String> = more.to_vec();
        if let Some(config) = &self.config {
            extra.extend(self.bundle(built, config)?);
        }
        extra.extend(self.extra.iter().cloned());
        match self.platform.as_str() {
            "qemu-virt" => {
                let mut v = self.virt(&built.img)?;
                v.extra = extra;
                Ok(v.command())
            }
            "rpi4" => {
                let g = guests::fetch(false)?;
                Ok(qemu::Raspi4b {
                    image: built.img.clone(),
                    dtb: g.rpi4_dtb,
                    extra,
                }
                .command())
            }
            other => Err(format!("no QEMU machine for platform {other}")),
        }
    }
}

impl Opts {
    /// Packs `config` for this machine and returns the QEMU arguments that
    /// load the bundle.
    fn bundle(&self, built: &images::Built, config: &Path) -> Result<Vec<String>, String> {
        if self.platform != "qemu-virt" {
            return Err(format!(
                "--config: bundles for {} are not packed yet",
                self.platform
            ));
        }
        let v = self.virt(&built.img)?;
        let board = pack::virt_board(&v)?;
        let stem = config
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or("system".into());
        let out = images::target_dir()
            .join("bundles")
            .join(format!("{stem}.bundle"));
        let packed = pack::pack(config, &board, built, pack::mem_of(&v)?, &out)?;
        eprintln!(
            "packed {}: {} partition(s), {} KiB -> {}",
            config.display(),
            packed.config.partitions().len(),
            packed.bytes / 1024,
            packed.path.display()
        );
        Ok(vec!["-initrd".into(), packed.path.display().to_string()])
    }
}

/// `cargo xtask linux-native`: the Linux guest straight on QEMU virt.
fn linux_native(rest: &[String]) -> Result<(), String> {
    let mut n = xtask::linux::NativeLinux::default();
    let mut print_only = false;
    let mut args = Args::new(rest);
    while let Some(flag) = args.next_flag() {
        match flag {
            "--smp" => n.smp = args.parse("a number")?,
            "--mem" | "-m" => n.mem = args.value()?,
            "--gic" => n.gic = args.parse("2 or 3")?,
            "--append" => {
                let v = args.value()?;
                if !n.append.is_empty() {
                    n.append.push(' ');
                }
                n.append.push_str(&v);
            }
            "--icount" => n.icount = true,
            "--print" => print_only = true,
            "--" => n.extra = args.rest(),
            _ => {
                return Err(format!(
                    "{} (usage: cargo xtask linux-native [--smp N] [--mem SIZE] [--gic 2|3] \
                     [--append ARGS] [--icount] [--print] [-- QEMU ARGS])",
                    args.unknown()
                ))
            }
        }
    }
    n.validate()?;
    let l = xtask::linux::artifacts()?;
    let mut cmd = n.command_for(&l)?;
    if print_only {
        println!("{}", xtask::linux::shell_line(&cmd));
        return Ok(());
    }
    eprintln!("QEMU: Ctrl-A X quits");
    eprintln!("{}", xtask::linux::shell_line(&cmd));
    let st = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", qemu::QEMU))?;
    st.success()
        .then_some(())
        .ok_or(format!("QEMU exited with {st}"))
}

/// `cargo xtask mgmt --serial PATH COMMAND...`: one management command over
/// a serial line (a QEMU `-serial unix:PATH,server=on,wait=off` socket or a
/// board's serial device); prints the answer, fails on `error: `.
fn mgmt_cmd(rest: &[String]) -> Result<(), String> {
    let usage = "usage: cargo xtask mgmt --serial PATH COMMAND... (list, status [NAME], stop NAME, start NAME, restart NAME, snapshot NAME [SLOT], restore NAME [SLOT])";
    let (path, words) = match rest {
        [flag, path, words @ ..] if flag == "--serial" && !words.is_empty() => (path, words),
        _ => return Err(usage.into()),
    };
    let command = words.join(" ");
    let lines = xtask::mgmt::run(Path::new(path), &command, Duration::from_secs(30))?;
    for l in lines {
        println!("{l}");
    }
    Ok(())
}

fn pack_cmd(rest: &[String]) -> Result<(), String> {
    let o = Opts::parse(rest)?;
    let config = o
        .config
        .clone()
        .ok_or("usage: cargo xtask pack --config FILE [run options]")?;
    let built = build(&o)?;
    o.bundle(&built, &config).map(|_| ())
}

fn setup_all() -> Result<(), String> {
    let t = Instant::now();
    setup::setup()?;
    let (a, b, c) = qemu::installed_version().unwrap_or_default();
    eprintln!(
        "setup: ready (QEMU {a}.{b}.{c}, {:.1} s)",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn fetch_guests(rest: &[String]) -> Result<(), String> {
    let refresh = match rest {
        [] => false,
        [r] if r == "--refresh" => true,
        _ => return Err("usage: cargo xtask fetch-guests [--refresh]".into()),
    };
    let g = guests::fetch(refresh)?;
    println!("{} {}", g.kernel_package, g.kernel_version);
    println!("kernel:  {}", g.kernel.display());
    println!("rpi4 dt: {}", g.rpi4_dtb.display());
    println!("busybox: {}", g.busybox.display());
    Ok(())
}

fn build(o: &Opts) -> Result<images::Built, String> {
    let b = images::build(&o.platform, images::Output::Show)?;
    let r = &b.report;
    eprintln!(
        "built {}: {} ({} bytes raw, image_size {:#x}, text_offset {:#x}, .defmt {} bytes)",
        o.platform,
        b.img.display(),
        r.raw_size,
        r.header.image_size,
        r.header.text_offset,
        r.defmt_size
    );
    Ok(b)
}

/// A QMP socket path for a QEMU started by xtask; a stale socket file is
/// removed, and a live one (another QEMU) is left alone.
fn qmp_socket(platform: &str) -> Result<PathBuf, String> {
    let dir = images::target_dir().join("qemu");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let main = dir.join(format!("{platform}.qmp"));
    if std::os::unix::net::UnixStream::connect(&main).is_err() {
        let _ = std::fs::remove_file(&main);
        return Ok(main);
    }
    Ok(dir.join(format!("{platform}-{}.qmp", std::process::id())))
}

fn qmp_arg(sock: &Path) -> [String; 2] {
    [
        "-qmp".into(),
        format!("unix:{},server=on,wait=off", sock.display()),
    ]
}

fn run(o: &Opts) -> Result<(), String> {
    let built = build(o)?;
    let sock = qmp_socket(&o.platform)?;
    let mut cmd = o.qemu_command(&built, &qmp_arg(&sock))?;
    eprintln!("QEMU: Ctrl-A X quits; `cargo xtask log --attach` prints the defmt log meanwhile");
    eprintln!("{}", shown(&cmd));
    let st = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", qemu::QEMU))?;
    let _ = std::fs::remove_file(&sock);
    st.success()
        .then_some(())
        .ok_or(format!("QEMU exited with {st}"))
}

fn shown(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// The main demo's system: three partitions on a 4-core virt.
pub const DEMO_CONFIG: &str = "partitions/qemu-virt-demo.toml";

fn demo() -> Result<(), String> {
    setup_all()?;
    let o = Opts {
        config: Some(images::workspace_root().join(DEMO_CONFIG)),
        ..Opts::default()
    };
    run(&o)
}

/// Counts from cargo test's `test result:` lines.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

fn parse_test_result(line: &str, c: &mut Counts) {
    let Some(rest) = line.strip_prefix("test result: ") else {
        return;
    };
    for part in rest.split([';', '.']) {
        let mut w = part.split_whitespace();
        let (Some(n), Some(what)) = (w.next(), w.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        match what {
            "passed" => c.passed += n,
            "failed" => c.failed += n,
            "ignored" => c.ignored += n,
            _ => {}
        }
    }
}

/// Runs a cargo test command, echoing its output and counting results.
fn cargo_test(args: &[&str], env: &[(&str, &Path)]) -> Result<(bool, Counts), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(images::workspace_root())
        .arg("test")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    eprintln!("+ {}", shown(&cmd));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    let mut counts = Counts::default();
    if let Some(out) = child.stdout.take() {
        let stdout = std::io::stdout();
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            parse_test_result(&line, &mut counts);
            let _ = writeln!(stdout.lock(), "{line}");
        }
    }
    let st = child.wait().map_err(|e| format!("cargo test: {e}"))?;
    Ok((st.success(), counts))
}

fn test() -> Result<(), String> {
    let start = Instant::now();
    setup_all()?;
    let mut rows: Vec<(String, bool, Counts, Duration)> = Vec::new();

    let t = Instant::now();
    let mut built_ok = true;
    for p in bulkhead_platforms::ALL {
        match images::build(p.name, images::Output::Show) {
            Ok(b) => eprintln!(
                "built {} ({} bytes raw)",
                b.img.display(),
                b.report.raw_size
            ),
            Err(e) => {
                eprintln!("error: {e}");
                built_ok = false;
            }
        }
    }
    rows.push((
        "build images".into(),
        built_ok,
        Counts::default(),
        t.elapsed(),
    ));

    let t = Instant::now();
    let (ok, c) = cargo_test(
        &[
            "--workspace",
            "--exclude",
            "bulkhead-tests",
            "--no-fail-fast",
        ],
        &[],
    )?;
    rows.push(("host tests".into(), ok, c, t.elapsed()));

    let t = Instant::now();
    let images_root = images::target_dir().join("images");
    let (ok, c) = if built_ok {
        cargo_test(
            // --show-output: the boot tests print their boot times.
            &[
                "-p",
                "bulkhead-tests",
                "--no-fail-fast",
                "--",
                "--show-output",
            ],
            &[(images::IMAGES_ENV, &images_root)],
        )?
    } else {
        eprintln!("QEMU boot tests not run: the images did not build");
        (false, Counts::default())
    };
    rows.push(("QEMU boot tests".into(), ok, c, t.elapsed()));

    let mut total = Counts::default();
    let mut all_ok = true;
    println!();
    println!(
        "cargo xtask test summary ({:.0} s)",
        start.elapsed().as_secs_f64()
    );
    for (name, ok, c, d) in &rows {
        all_ok &= ok;
        total.passed += c.passed;
        total.failed += c.failed;
        total.ignored += c.ignored;
        let detail = if c.passed + c.failed + c.ignored > 0 {
            format!(
                "{} passed, {} failed, {} ignored",
                c.passed, c.failed, c.ignored
            )
        } else {
            String::new()
        };
        println!(
            "  {:<16} {:<6} {:>6.1} s  {detail}",
            name,
            if *ok { "ok" } else { "FAILED" },
            d.as_secs_f64()
        );
    }
    let failed_steps: Vec<&str> = rows
        .iter()
        .filter(|(_, ok, _, _)| !ok)
        .map(|(name, _, _, _)| name.as_str())
        .collect();
    if failed_steps.is_empty() {
        println!("summary: {} passed, {} failed", total.passed, total.failed);
    } else {
        // A step can fail with no failed test (a build error): say so, so
        // that the counts alone do not read as a pass.
        println!(
            "summary: {} passed, {} failed; FAILED steps: {}",
            total.passed,
            total.failed,
            failed_steps.join(", ")
        );
    }
    all_ok
        .then_some(())
        .ok_or("some steps failed (see the summary above)".into())
}

fn size(o: &Opts) -> Result<(), String> {
    let b = build(o)?;
    let bytes =
        std::fs::read(&b.elf).map_err(|e| format!("cannot read {}: {e}", b.elf.display()))?;
    let elf = Elf::parse(&bytes).map_err(String::from)?;
    let r = &b.report;
    println!("{} ({})", b.img.display(), o.platform);
    println!(
        "  raw image         {:>9} bytes ({:.1} KiB) at {:#x}",
        r.raw_size,
        r.raw_size as f64 / 1024.0,
        r.base
    );
    println!(
        "  image_size        {:>9} bytes ({:.1} KiB, with BSS and stacks)",
        r.header.image_size,
        r.header.image_size as f64 / 1024.0
    );
    println!("  ELF file          {:>9} bytes", bytes.len());
    println!(
        "  {:<20} {:>10} {:>18}  loaded",
        "section", "size", "address"
    );
    for s in elf.sections.iter().filter(|s| !s.name.is_empty()) {
        let addr = if s.is_alloc() {
            format!("{:#x}", s.addr)
        } else {
            String::new()
        };
        let loaded = if s.is_alloc() { "yes" } else { "" };
        println!("  {:<20} {:>10} {:>18}  {loaded}", s.name, s.size, addr);
    }
    Ok(())
}

/// Kills and reaps a QEMU on every path out of `log`.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const FAILURE_MARKERS: [&str; 3] = ["EL2 exception", "PANIC", "failed to start"];

fn log(rest: &[String]) -> Result<(), String> {
    let o = Opts::parse_with(rest, true)?;
    match &o.attach {
        Some(sock) => {
            let built = images::load(&o.platform, &images::images_dir(&o.platform))?;
            let sock = sock.clone().unwrap_or_else(|| {
                images::target_dir()
                    .join("qemu")
                    .join(format!("{}.qmp", o.platform))
            });
            let mut q = Qmp::connect(&sock, Duration::from_secs(2))?;
            print_log(&mut q, &built.elf)
        }
        None => {
            let built = build(&o)?;
            let sock = qmp_socket(&o.platform)?;
            let mut cmd = o.qemu_command(&built, &qmp_arg(&sock))?;
            cmd.stdin(Stdio::null()).stdout(Stdio::piped());
            let mut child = cmd
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", qemu::QEMU))?;
            let stdout = child.stdout.take();
            let reaper = Reaper(child);
            let (tx, rx) = mpsc::channel();
            if let Some(out) = stdout {
                std::thread::spawn(move || {
                    for line in BufReader::new(out).lines() {
                        let Ok(line) = line else { break };
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                });
            }
            // Wait for the hypervisor to be ready; its console goes to stderr.
            let deadline = Instant::now() + Duration::from_secs(o.timeout);
            let outcome = loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(line) => {
                        eprintln!("console| {}", line.trim_end());
                        if line.contains("bulkhead: ready") {
                            break Ok(());
                        }
                        if FAILURE_MARKERS.iter().any(|m| line.contains(m)) {
                            // Let the failure's own lines and log frames land.
                            std::thread::sleep(Duration::from_millis(500));
                            while let Ok(l) = rx.try_recv() {
                                eprintln!("console| {}", l.trim_end());
                            }
                            break Err(format!("the hypervisor failed: {}", line.trim()));
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        break Err(format!("no `bulkhead: ready` within {} s", o.timeout))
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        break Err("QEMU exited early".into())
                    }
                }
            };
            // Even after a failure the ring says what happened: read it.
            let printed = Qmp::connect(&sock, Duration::from_secs(2)).and_then(|mut q| {
                let r = print_log(&mut q, &built.elf);
                q.quit();
                r
            });
            drop(reaper);
            let _ = std::fs::remove_file(&sock);
            outcome.and(printed)
        }
    }
}

fn print_log(q: &mut Qmp, elf_path: &Path) -> Result<(), String> {
    let bytes =
        std::fs::read(elf_path).map_err(|e| format!("cannot read {}: {e}", elf_path.display()))?;
    let elf = Elf::parse(&bytes).map_err(String::from)?;
    let sym = elf
        .symbol(ring::SYMBOL)
        .map_err(String::from)?
        .ok_or(format!(
            "{} has no symbol {}: no log ring to read",
            elf_path.display(),
            ring::SYMBOL
        ))?;
    let scratch = images::target_dir()
        .join("qemu")
        .join(format!("ring-{}.bin", std::process::id()));
    // The header first, for the capacity, unless the symbol's size covers it.
    let size = if sym.size >= ring::HEADER_LEN {
        sym.size
    } else {
        let head = q.read_memory(sym.value, ring::HEADER_LEN, &scratch)?;
        let cap = head
            .get(8..16)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .unwrap_or(0);
        ring::HEADER_LEN + cap.min(64 << 20)
    };
    let dump = q.read_memory(sym.value, size, &scratch)?;
    let (header, data) = ring::parse(&dump)?;
    let stream = ring::reconstruct(header, data);
    eprintln!(
        "log ring at {:#x}: capacity {}, written {}, {} bytes readable{}",
        sym.value,
        header.capacity,
        header.written,
        stream.bytes.len(),
        if stream.lost > 0 {
            format!(", {} older bytes overwritten", stream.lost)
        } else {
            String::new()
        }
    );
    for line in ring::decode(&bytes, &stream.bytes)? {
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_cargo_test_lines() {
        let mut c = Counts::default();
        parse_test_result(
            "test result: ok. 12 passed; 1 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            &mut c,
        );
        parse_test_result(
            "test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured",
            &mut c,
        );
        parse_test_result("not a result line 5 passed", &mut c);
        assert_eq!((c.passed, c.failed, c.ignored), (15, 1, 2));
    }

    #[test]
    fn options() {
        let a = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = Opts::parse(&a("--gic 2 --smp=1 --mem 2G -- -S -s")).unwrap();
        assert_eq!((o.gic, o.smp, o.mem.as_str()), (2, 1, "2G"));
        assert_eq!(o.extra, vec!["-S", "-s"]);
        assert!(Opts::parse(&a("--platform pi5"))
            .unwrap_err()
            .contains("unknown platform"));
        assert!(Opts::parse(&a("--smp"))
            .unwrap_err()
            .contains("needs a value"));
        assert!(Opts::parse(&a("--attach")).is_err());
        let l = Opts::parse_with(&a("--attach --timeout 5"), true).unwrap();
        assert_eq!(l.attach, Some(None));
        assert_eq!(l.timeout, 5);
        let l = Opts::parse_with(&a("--attach /tmp/q.sock"), true).unwrap();
        assert_eq!(l.attach, Some(Some(PathBuf::from("/tmp/q.sock"))));
    }
}
