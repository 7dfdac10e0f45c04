//! A small synchronous QMP client over a Unix socket: greeting,
//! `qmp_capabilities`, then one command at a time. Asynchronous events that
//! arrive between are skipped.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// Connects to the Unix socket `path` of a QEMU that may not have made it
/// yet, retrying until `wait` has passed; reads then time out after 30 s.
pub(crate) fn connect_unix(path: &Path, wait: Duration, what: &str) -> Result<UnixStream, String> {
    let deadline = Instant::now() + wait;
    let stream = loop {
        match UnixStream::connect(path) {
            Ok(s) => break s,
            Err(e) if Instant::now() >= deadline => {
                return Err(format!("cannot connect to {what} {}: {e}", path.display()))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| format!("{what}: {e}"))?;
    Ok(stream)
}

pub struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    /// Connects, retrying until `wait` has passed (QEMU creates the socket a
    /// moment after it starts), and negotiates capabilities.
    pub fn connect(path: &Path, wait: Duration) -> Result<Qmp, String> {
        let stream = connect_unix(path, wait, "QMP socket")?;
        let writer = stream.try_clone().map_err(|e| format!("QMP socket: {e}"))?;
        let mut qmp = Qmp {
            reader: BufReader::new(stream),
            writer,
        };
        let greeting = qmp.read_message()?;
        if greeting.get("QMP").is_none() {
            return Err(format!("not a QMP greeting: {greeting}"));
        }
        qmp.execute("qmp_capabilities", None)?;
        Ok(qmp)
    }

    fn read_message(&mut self) -> Result<Value, String> {
        let mut line = String::new();
        let n = self
            .reader
            .read_line(&mut line)
            .map_err(|e| format!("reading from QMP: {e}"))?;
        if n == 0 {
            return Err("QMP connection closed (QEMU exited?)".into());
        }
        serde_json::from_str(line.trim())
            .map_err(|e| format!("QMP sent invalid JSON ({e}): {line}"))
    }

    /// Runs one command and returns its `return` value.
    pub fn execute(&mut self, command: &str, arguments: Option<Value>) -> Result<Value, String> {
        let mut msg = json!({ "execute": command });
        if let Some(a) = arguments {
            msg["arguments"] = a;
        }
        let mut text = msg.to_string();
        text.push('\n');
        self.writer
            .write_all(text.as_bytes())
            .map_err(|e| format!("writing to QMP: {e}"))?;
        loop {
            let reply = self.read_message()?;
            if reply.get("event").is_some() {
                continue;
            }
            if let Some(r) = reply.get("return") {
                return Ok(r.clone());
            }
            if let Some(e) = reply.get("error") {
                let class = e.get("class").and_then(Value::as_str).unwrap_or("?");
                let desc = e.get("desc").and_then(Value::as_str).unwrap_or("?");
                return Err(format!("QMP {command} failed: {class}: {desc}"));
            }
            return Err(format!("unexpected QMP reply to {command}: {reply}"));
        }
    }

    /// Whether the guest CPUs are running.
    pub fn running(&mut self) -> Result<bool, String> {
        let st = self.execute("query-status", None)?;
        Ok(st.get("running").and_then(Value::as_bool).unwrap_or(false))
    }

    /// Copies `size` bytes of guest physical memory at `addr` into `file`
    /// (a path QEMU can write; made absolute here).
    pub fn pmemsave(&mut self, addr: u64, size: u64, file: &Path) -> Result<(), String> {
        let file = std::path::absolute(file).map_err(|e| format!("{}: {e}", file.display()))?;
        self.execute(
            "pmemsave",
            Some(json!({ "val": addr, "size": size, "filename": file.display().to_string() })),
        )
        .map(|_| ())
    }

    /// Reads guest physical memory with the guest paused, so that the bytes
    /// are consistent; the guest runs on afterwards if it was running.
    pub fn read_memory(&mut self, addr: u64, size: u64, scratch: &Path) -> Result<Vec<u8>, String> {
        let was_running = self.running()?;
        if was_running {
            self.execute("stop", None)?;
        }
        let saved = self.pmemsave(addr, size, scratch);
        if was_running {
            self.execute("cont", None)?;
        }
        saved?;
        let bytes =
            std::fs::read(scratch).map_err(|e| format!("cannot read {}: {e}", scratch.display()));
        let _ = std::fs::remove_file(scratch);
        bytes
    }

    pub fn quit(mut self) {
        let _ = self.execute("quit", None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// A scripted QMP server: answers each command from the table.
    fn fake_qemu(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("qmp.sock");
        let listener = UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut w = stream.try_clone().unwrap();
            let mut r = BufReader::new(stream);
            writeln!(w, r#"{{"QMP": {{"version": {{}}, "capabilities": []}}}}"#).unwrap();
            let mut line = String::new();
            while r.read_line(&mut line).unwrap() > 0 {
                let v: Value = serde_json::from_str(&line).unwrap();
                let reply = match v["execute"].as_str().unwrap() {
                    "qmp_capabilities" => json!({"return": {}}),
                    "query-status" => {
                        writeln!(w, r#"{{"event": "RESUME", "timestamp": {{}}}}"#).unwrap();
                        json!({"return": {"running": true, "status": "running"}})
                    }
                    "pmemsave" => {
                        let f = v["arguments"]["filename"].as_str().unwrap();
                        let size = v["arguments"]["size"].as_u64().unwrap();
                        let base = v["arguments"]["val"].as_u64().unwrap() as u8;
                        let bytes: Vec<u8> =
                            (0..size as u8).map(|i| base.wrapping_add(i)).collect();
                        std::fs::write(f, bytes).unwrap();
                        json!({"return": {}})
                    }
                    "stop" | "cont" => json!({"return": {}}),
                    other => {
                        json!({"error": {"class": "CommandNotFound", "desc": format!("no {other}")}})
                    }
                };
                writeln!(w, "{reply}").unwrap();
                line.clear();
            }
        });
        path
    }

    #[test]
    fn talks_qmp_and_reads_memory() {
        let dir = std::env::temp_dir().join(format!("xtask-qmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock = fake_qemu(&dir);
        let mut q = Qmp::connect(&sock, Duration::from_secs(5)).unwrap();
        assert!(q.running().unwrap());
        let mem = q.read_memory(0x10, 4, &dir.join("dump.bin")).unwrap();
        assert_eq!(mem, vec![0x10, 0x11, 0x12, 0x13]);
        let err = q.execute("frobnicate", None).unwrap_err();
        assert!(err.contains("CommandNotFound"), "{err}");
        drop(q);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_socket_is_a_clear_error() {
        let err = Qmp::connect(
            Path::new("/nonexistent/qmp.sock"),
            Duration::from_millis(100),
        )
        .err()
        .unwrap();
        assert!(err.contains("/nonexistent/qmp.sock"));
    }
}
