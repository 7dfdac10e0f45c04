//! QEMU boot-test harness.
//!
//! [`Qemu`] starts QEMU under a time limit and captures its console (the
//! first serial port, on stdout) in a background thread; [`Qemu::wait_for`]
//! waits for a line, failing at once on the hypervisor's failure lines
//! (`EL2 exception`, `PANIC`, `failed to start`) and when QEMU exits. Every
//! failure carries the whole console. QEMU is killed on every path: when the
//! [`Qemu`] is dropped (also while a test panics), when the time limit
//! passes, and when the test process dies (parent-death signal).
//!
//! At most [`slots`] QEMUs run at once across all test processes on the
//! machine (a file lock per slot), since TCG is CPU-bound and the machines
//! this runs on have two cores.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

pub use xtask::images::Built;
pub use xtask::qemu::{mem_mib, Raspi4b, Virt};

/// Console lines that mean the hypervisor failed.
pub const FAILURE_MARKERS: [&str; 3] = ["EL2 exception", "PANIC", "failed to start"];
/// Default time limit of a QEMU run and of a wait: TCG is slow and the
/// machine is shared.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(60);

/// Why a test failed, with the console that shows it.
pub struct TestFailure {
    pub what: String,
    pub console: String,
    pub stderr: String,
    pub elapsed: Option<Duration>,
}

impl TestFailure {
    /// A failure before QEMU ran (no console).
    pub fn new(what: impl Into<String>) -> Self {
        TestFailure {
            what: what.into(),
            console: String::new(),
            stderr: String::new(),
            elapsed: None,
        }
    }
}

impl From<String> for TestFailure {
    fn from(what: String) -> Self {
        TestFailure::new(what)
    }
}

impl fmt::Display for TestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.what)?;
        if let Some(t) = self.elapsed {
            writeln!(
                f,
                "--- QEMU console ({} lines, {:.2} s) ---",
                self.console.lines().count(),
                t.as_secs_f64()
            )?;
            writeln!(f, "{}", self.console.trim_end())?;
            if !self.stderr.trim().is_empty() {
                writeln!(f, "--- QEMU stderr ---")?;
                writeln!(f, "{}", self.stderr.trim_end())?;
            }
            write!(f, "--- end of console ---")?;
        }
        Ok(())
    }
}

// The test harness prints an Err returned from a test with Debug.
impl fmt::Debug for TestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// What to wait for: a substring of a line, or a predicate on lines.
pub trait Pattern {
    fn matches(&self, line: &str) -> bool;
    fn describe(&self) -> String;
}

impl Pattern for &str {
    fn matches(&self, line: &str) -> bool {
        line.contains(*self)
    }
    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

impl Pattern for String {
    fn matches(&self, line: &str) -> bool {
        line.contains(self.as_str())
    }
    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

/// A predicate with a description for messages: `pred("core line", |l| ...)`.
pub struct Pred<F>(pub &'static str, pub F);

pub fn pred<F: Fn(&str) -> bool>(what: &'static str, f: F) -> Pred<F> {
    Pred(what, f)
}

impl<F: Fn(&str) -> bool> Pattern for Pred<F> {
    fn matches(&self, line: &str) -> bool {
        (self.1)(line)
    }
    fn describe(&self) -> String {
        self.0.to_string()
    }
}

/// A console line and when it arrived, counted from QEMU's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub at: Duration,
    pub text: String,
}

#[derive(Default)]
struct ConsoleState {
    lines: Vec<Line>,
    partial: Vec<u8>,
    /// When the unfinished last line last grew.
    partial_at: Duration,
    stdout_closed: bool,
    stderr: String,
}

#[derive(Default)]
struct Console {
    state: Mutex<ConsoleState>,
    changed: Condvar,
}

impl Console {
    fn lock(&self) -> MutexGuard<'_, ConsoleState> {
        // A panicking reader thread must not hide the console from the test.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How many QEMUs may run at once: `$BULKHEAD_QEMU_SLOTS`, default 2.
pub fn slots() -> usize {
    std::env::var("BULKHEAD_QEMU_SLOTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(2)
}

/// A held run slot (an exclusive lock on one slot file).
struct Slot(#[allow(dead_code)] File);

fn acquire_slot() -> Result<Slot, TestFailure> {
    let dir = xtask::images::target_dir().join("qemu-slots");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    loop {
        for i in 0..slots() {
            let path = dir.join(format!("slot-{i}.lock"));
            let f = File::create(&path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            if f.try_lock().is_ok() {
                return Ok(Slot(f));
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A running QEMU. Dropping it kills QEMU and reaps it.
pub struct Qemu {
    child: Arc<Mutex<Child>>,
    stdin: Option<ChildStdin>,
    console: Arc<Console>,
    started: Instant,
    limit: Duration,
    /// Tells the watchdog that the run is over.
    done: Arc<(Mutex<bool>, Condvar)>,
    command: String,
    _slot: Slot,
}

impl Qemu {
    /// Starts `cmd` (a QEMU command line) once a run slot is free, killing it
    /// after `limit`.
    pub fn start(mut cmd: Command, limit: Duration) -> Result<Qemu, TestFailure> {
        let slot = acquire_slot()?;
        let command = shown(&cmd);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: the closure runs in the forked child before exec and only
        // calls prctl(2), which is async-signal-safe; it touches no memory
        // of the parent.
        unsafe {
            cmd.pre_exec(|| {
                // QEMU dies with the thread that started it, even if the test
                // process is killed without unwinding.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start `{command}`: {e} (run `cargo xtask setup`)"))?;
        let started = Instant::now();
        let console = Arc::new(Console::default());
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let stdin = child.stdin.take();
        if let Some(mut out) = stdout {
            let console = console.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    let n = match out.read(&mut buf) {
                        Ok(0) | Err(_) => 0,
                        Ok(n) => n,
                    };
                    let at = started.elapsed();
                    let mut st = console.lock();
                    if n == 0 {
                        if !st.partial.is_empty() {
                            let text = take_line(&mut st.partial);
                            st.lines.push(Line { at, text });
                        }
                        st.stdout_closed = true;
                        console.changed.notify_all();
                        return;
                    }
                    for &b in &buf[..n] {
                        if b == b'\n' {
                            let text = take_line(&mut st.partial);
                            st.lines.push(Line { at, text });
                        } else {
                            st.partial.push(b);
                        }
                    }
                    st.partial_at = at;
                    console.changed.notify_all();
                }
            });
        }
        if let Some(mut err) = stderr {
            let console = console.clone();
            std::thread::spawn(move || {
                let mut s = String::new();
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    console.lock().stderr = s.clone();
                }
            });
        }
        let child = Arc::new(Mutex::new(child));
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        {
            let child = child.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let (lock, cv) = &*done;
                let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                let (guard, _) = cv
                    .wait_timeout_while(guard, limit, |finished| !*finished)
                    .unwrap_or_else(|p| p.into_inner());
                if !*guard {
                    let mut c = child.lock().unwrap_or_else(|p| p.into_inner());
                    let _ = c.kill();
                }
            });
        }
        Ok(Qemu {
            child,
            stdin,
            console,
            started,
            limit,
            done,
            command,
            _slot: slot,
        })
    }

    /// QEMU's `virt` board booting `image` (see [`Virt`]).
    pub fn virt(v: &Virt) -> Result<Qemu, TestFailure> {
        v.validate()?;
        Qemu::start(v.command(), DEFAULT_LIMIT)
    }

    /// The command line, for messages.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Time since QEMU started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Every complete console line so far.
    pub fn lines(&self) -> Vec<Line> {
        self.console.lock().lines.clone()
    }

    /// The console so far as text (an unfinished last line included).
    pub fn console(&self) -> String {
        let st = self.console.lock();
        render(&st)
    }

    /// Types into the console.
    pub fn send(&mut self, text: &str) -> Result<(), TestFailure> {
        let r = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(text.as_bytes()).and_then(|_| stdin.flush()),
            None => Err(std::io::Error::other("stdin is closed")),
        };
        r.map_err(|e| self.failure(format!("writing to QEMU's console: {e}")))
    }

    fn exit_status(&self) -> Option<ExitStatus> {
        let mut c = self.child.lock().unwrap_or_else(|p| p.into_inner());
        c.try_wait().ok().flatten()
    }

    /// A failure carrying the console so far.
    pub fn failure(&self, what: String) -> TestFailure {
        let st = self.console.lock();
        TestFailure {
            what: format!("{what}\n(QEMU: {})", self.command),
            console: render(&st),
            stderr: st.stderr.clone(),
            elapsed: Some(self.started.elapsed()),
        }
    }

    /// Waits until a console line matches, for at most `timeout` (and never
    /// past the run's time limit). Fails at once if a failure line comes
    /// first or QEMU exits. Lines are searched from the start of the console.
    pub fn wait_for(&self, pattern: impl Pattern, timeout: Duration) -> Result<Line, TestFailure> {
        self.wait_matching(pattern, timeout, None, true)
    }

    /// As [`Qemu::wait_for`], but only lines that arrived after `after`
    /// (a [`Line::at`]) count: what happens after an event, such as the
    /// first heartbeat of a restarted partition.
    pub fn wait_for_after(
        &self,
        after: Duration,
        pattern: impl Pattern,
        timeout: Duration,
    ) -> Result<Line, TestFailure> {
        self.wait_matching(pattern, timeout, Some(after), true)
    }

    /// The number in the first whole line after `after` that holds `prefix`
    /// followed by digits (`"[counter] counter "`). Only finished lines
    /// count: a half-printed `counter 2` may still become `counter 25`.
    pub fn number_after(
        &self,
        after: Duration,
        prefix: &str,
        timeout: Duration,
    ) -> Result<u64, TestFailure> {
        let number = |text: &str| number_in(text, prefix);
        let line = self.wait_matching(
            pred("a finished line with that prefix and a number", |t| {
                number(t).is_some()
            }),
            timeout,
            Some(after),
            false,
        )?;
        number(&line.text)
            .ok_or_else(|| self.failure(format!("no number after `{prefix}` in `{}`", line.text)))
    }

    /// The number right after the last occurrence of `prefix` on the
    /// console so far (`last_number("[beat] heartbeat ")`).
    pub fn last_number(&self, prefix: &str) -> Option<u64> {
        self.console
            .lock()
            .lines
            .iter()
            .rev()
            .find_map(|l| number_in(&l.text, prefix))
    }

    fn wait_matching(
        &self,
        pattern: impl Pattern,
        timeout: Duration,
        after: Option<Duration>,
        with_partial: bool,
    ) -> Result<Line, TestFailure> {
        let deadline = Instant::now() + timeout;
        let mut st = self.console.lock();
        loop {
            // An unfinished last line (a prompt) counts too.
            let partial = (with_partial && !st.partial.is_empty()).then(|| Line {
                at: st.partial_at,
                text: String::from_utf8_lossy(&st.partial)
                    .trim_end_matches('\r')
                    .to_string(),
            });
            for line in st.lines.iter().chain(partial.iter()) {
                if let Some(m) = FAILURE_MARKERS.iter().find(|m| line.text.contains(*m)) {
                    let what = format!(
                        "the hypervisor reported `{m}` at {:.2} s while waiting for {}: {}",
                        line.at.as_secs_f64(),
                        pattern.describe(),
                        line.text
                    );
                    drop(st);
                    return Err(self.failure(what));
                }
                if after.is_none_or(|t| line.at > t) && pattern.matches(&line.text) {
                    return Ok(line.clone());
                }
            }
            if st.stdout_closed {
                drop(st);
                // Give QEMU a moment to be reaped, for its exit status.
                std::thread::sleep(Duration::from_millis(100));
                let status = self
                    .exit_status()
                    .map_or("its output closed".to_string(), |s| {
                        format!("it exited ({s})")
                    });
                let killed = if self.started.elapsed() >= self.limit {
                    format!(" after the {} s time limit", self.limit.as_secs())
                } else {
                    String::new()
                };
                return Err(self.failure(format!(
                    "QEMU stopped{killed} before {} appeared: {status}",
                    pattern.describe()
                )));
            }
            let now = Instant::now();
            if now >= deadline {
                drop(st);
                return Err(self.failure(format!(
                    "timed out after {:.0} s waiting for {}",
                    timeout.as_secs_f64(),
                    pattern.describe()
                )));
            }
            st = self
                .console
                .changed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// The lines that match, without waiting.
    pub fn matching(&self, pattern: impl Pattern) -> Vec<Line> {
        self.console
            .lock()
            .lines
            .iter()
            .filter(|l| pattern.matches(&l.text))
            .cloned()
            .collect()
    }

    /// Fails if any failure line has appeared so far.
    pub fn assert_no_failures(&self) -> Result<(), TestFailure> {
        let bad = self
            .console
            .lock()
            .lines
            .iter()
            .find(|l| FAILURE_MARKERS.iter().any(|m| l.text.contains(m)))
            .cloned();
        match bad {
            Some(l) => Err(self.failure(format!(
                "failure line at {:.2} s: {}",
                l.at.as_secs_f64(),
                l.text
            ))),
            None => Ok(()),
        }
    }

    /// Kills QEMU now (also done on drop).
    pub fn kill(&mut self) {
        let (lock, cv) = &*self.done;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
        let mut c = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let _ = c.kill();
        let _ = c.wait();
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        self.kill();
    }
}

fn take_line(partial: &mut Vec<u8>) -> String {
    let mut text = String::from_utf8_lossy(partial).into_owned();
    partial.clear();
    while text.ends_with('\r') {
        text.pop();
    }
    text
}

fn render(st: &ConsoleState) -> String {
    let mut s = String::new();
    for l in &st.lines {
        s.push_str(&format!("[{:7.3}] {}\n", l.at.as_secs_f64(), l.text));
    }
    if !st.partial.is_empty() {
        s.push_str(&format!(
            "[  ...  ] {}\n",
            String::from_utf8_lossy(&st.partial)
        ));
    }
    s
}

fn shown(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// The checked images of a platform, built once per test process through the
/// same code as `cargo xtask build` (or taken from `$BULKHEAD_IMAGES`, which
/// `cargo xtask test` sets after building them).
pub fn images(platform: &str) -> Result<Built, TestFailure> {
    static BUILT: OnceLock<Mutex<HashMap<String, Result<Built, String>>>> = OnceLock::new();
    let map = BUILT.get_or_init(Default::default);
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    let r = map
        .entry(platform.to_string())
        .or_insert_with(|| xtask::images::for_tests(platform))
        .clone();
    r.map_err(|e| TestFailure::new(format!("no image for {platform}: {e}")))
}

/// A scratch path under the target folder, unique to this process and `name`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = xtask::images::target_dir().join("qemu");
    let _ = std::fs::create_dir_all(&dir);
    dir.join(format!("{name}-{}", std::process::id()))
}

/// Packs the system `config` (a path relative to the workspace) for the
/// board `v` describes into the scratch file `bundle` (one name per test
/// and configuration: tests run in parallel) and hands it to QEMU as its
/// `-initrd`, where Bulkhead finds its boot bundle. Returns the bundle's
/// path.
pub fn pack_into(v: &mut Virt, config: &str, bundle: &str) -> Result<PathBuf, TestFailure> {
    let board = xtask::pack::virt_board(v)?;
    let packed = xtask::pack::pack(
        &xtask::images::workspace_root().join(config),
        &board,
        &images("qemu-virt")?,
        xtask::pack::mem_of(v)?,
        &scratch(bundle),
    )?;
    v.extra.push("-initrd".into());
    v.extra.push(packed.path.display().to_string());
    Ok(packed.path)
}

/// The number right after the last `prefix` in `text` (`"[counter]
/// counter "` in `[   1.0] [counter] counter 25`: 25).
pub fn number_in(text: &str, prefix: &str) -> Option<u64> {
    let (_, rest) = text.rsplit_once(prefix)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The file stem of a configuration path, for bundle names.
pub fn config_stem(config: &str) -> &str {
    std::path::Path::new(config)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("system")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn waits_for_lines_and_times_them() {
        let q = Qemu::start(
            sh("echo one; sleep 0.3; printf 'two\\r\\n'; sleep 5"),
            DEFAULT_LIMIT,
        )
        .unwrap();
        let two = q.wait_for("two", Duration::from_secs(5)).unwrap();
        assert_eq!(two.text, "two");
        assert!(two.at >= Duration::from_millis(250), "{:?}", two.at);
        let one = q
            .wait_for(
                pred("a line saying one", |l| l == "one"),
                Duration::from_secs(1),
            )
            .unwrap();
        assert!(one.at < two.at);
        assert_eq!(q.matching("o").len(), 2);
    }

    #[test]
    fn failure_lines_fail_at_once_with_the_console() {
        let q = Qemu::start(
            sh("echo hello; echo 'PANIC: oops'; sleep 30"),
            DEFAULT_LIMIT,
        )
        .unwrap();
        let t = Instant::now();
        let f = q.wait_for("never", Duration::from_secs(20)).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(5));
        let text = f.to_string();
        assert!(text.contains("PANIC"), "{text}");
        assert!(text.contains("hello"), "{text}");
        assert!(q.assert_no_failures().is_err());
    }

    #[test]
    fn exit_and_timeout_are_failures() {
        let q = Qemu::start(sh("echo bye; exit 3"), DEFAULT_LIMIT).unwrap();
        let f = q.wait_for("never", Duration::from_secs(20)).unwrap_err();
        assert!(f.what.contains("exited"), "{f}");
        let q = Qemu::start(sh("sleep 30"), DEFAULT_LIMIT).unwrap();
        let f = q.wait_for("never", Duration::from_millis(200)).unwrap_err();
        assert!(f.what.contains("timed out"), "{f}");
    }

    #[test]
    fn the_time_limit_kills() {
        let q = Qemu::start(sh("echo start; exec sleep 30"), Duration::from_millis(500)).unwrap();
        let f = q.wait_for("never", Duration::from_secs(20)).unwrap_err();
        assert!(f.what.contains("time limit"), "{f}");
    }

    #[test]
    fn drop_kills_the_process() {
        let q = Qemu::start(sh("echo $$; exec sleep 30"), DEFAULT_LIMIT).unwrap();
        let pid = q
            .wait_for(
                pred("a pid", |l| l.parse::<u32>().is_ok()),
                Duration::from_secs(5),
            )
            .unwrap();
        drop(q);
        let alive = std::path::Path::new(&format!("/proc/{}", pid.text)).exists();
        assert!(!alive, "process {} still alive after drop", pid.text);
    }

    #[test]
    fn a_prompt_without_newline_matches() {
        let q = Qemu::start(sh("printf '/ # '; sleep 30"), DEFAULT_LIMIT).unwrap();
        let l = q.wait_for("/ #", Duration::from_secs(5)).unwrap();
        assert_eq!(l.text, "/ # ");
    }

    #[test]
    fn console_input_reaches_the_process() {
        let mut q = Qemu::start(sh("read x; echo got $x"), DEFAULT_LIMIT).unwrap();
        q.send("hi\n").unwrap();
        q.wait_for("got hi", Duration::from_secs(5)).unwrap();
    }

    #[test]
    fn number_after_waits_for_the_finished_line() {
        let q = Qemu::start(
            sh("printf 'counter 2'; sleep 0.5; printf '5\\r\\n'; sleep 5"),
            DEFAULT_LIMIT,
        )
        .unwrap();
        // The half-printed `counter 2` is not taken for the number.
        let n = q
            .number_after(Duration::ZERO, "counter ", Duration::from_secs(5))
            .unwrap();
        assert_eq!(n, 25);
    }
}
