//! The management protocol from the host side: what to send on Bulkhead's
//! serial console to run one command, and how to read the answer. Used by
//! `cargo xtask mgmt` (a QEMU serial socket or a board's serial device) and
//! by the boot tests.
//!
//! A command is `Ctrl-A c` (command mode), the command line, `\r`; the
//! answer is every line up to one that is `ok` or starts with `error: `;
//! a final `Ctrl-A` leaves command mode. QEMU's `-nographic` console takes
//! Ctrl-A for itself (it sends one on for two), so requests through it
//! double each Ctrl-A.

use bulkhead_core::mgmt::is_final_line;

/// Bulkhead's command-mode prompt.
const PROMPT: &str = "bulkhead>";
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

const CTRL_A: u8 = 0x01;

/// The bytes that run `command`; `qemu_stdio` doubles Ctrl-A for QEMU's
/// `-nographic` console.
pub fn request_bytes(command: &str, qemu_stdio: bool) -> Vec<u8> {
    let escape: &[u8] = if qemu_stdio {
        &[CTRL_A, CTRL_A]
    } else {
        &[CTRL_A]
    };
    let mut out = Vec::new();
    out.extend_from_slice(escape);
    out.push(b'c');
    out.extend_from_slice(command.as_bytes());
    out.push(b'\r');
    out.extend_from_slice(escape);
    out
}

/// The answer in `lines` (the console's lines after the request): the body
/// lines, or the `error: ` line as an error. `None` if no final line came.
pub fn answer<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    command: &str,
) -> Option<Result<Vec<String>, String>> {
    let mut body = Vec::new();
    let mut started = false;
    for raw in lines {
        let line = raw.trim_end_matches(['\r', '\n']);
        // The command-mode prompt starts the answer (the echo of the typed
        // command may be cut by partitions' output, so it is not matched).
        if !started {
            started = line.contains(PROMPT);
            continue;
        }
        // Partitions and Bulkhead's log keep printing meanwhile: their
        // lines start with a time stamp.
        // The rest of the echoed command, when output cut it.
        if line.is_empty() || line.starts_with('[') || command.contains(line.trim()) {
            continue;
        }
        if is_final_line(line) {
            return Some(if line == "ok" {
                Ok(body)
            } else {
                Err(line.to_string())
            });
        }
        body.push(line.to_string());
    }
    None
}

/// Runs `command` through a serial line at `path`: a Unix socket (QEMU's
/// `-serial unix:PATH,server=on,wait=off`) or a device node.
pub fn run(path: &Path, command: &str, timeout: Duration) -> Result<Vec<String>, String> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut writer, reader): (Box<dyn Write>, Box<dyn Read>) = if meta.file_type().is_socket() {
        let s = std::os::unix::net::UnixStream::connect(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(|e| e.to_string())?;
        let r = s.try_clone().map_err(|e| e.to_string())?;
        (Box::new(s), Box::new(r))
    } else {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let r = f.try_clone().map_err(|e| e.to_string())?;
        (Box::new(f), Box::new(r))
    };
    writer
        .write_all(&request_bytes(command, false))
        .map_err(|e| e.to_string())?;
    writer.flush().map_err(|e| e.to_string())?;
    let deadline = Instant::now() + timeout;
    let mut lines: Vec<String> = Vec::new();
    let mut reader = BufReader::new(reader);
    while Instant::now() < deadline {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {
                lines.push(line);
                if let Some(a) = answer(lines.iter().map(String::as_str), command) {
                    return a;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(format!(
        "no answer to `{command}` within {} s",
        timeout.as_secs()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers() {
        assert_eq!(request_bytes("list", false), b"\x01clist\r\x01".to_vec());
        assert_eq!(
            request_bytes("list", true),
            b"\x01\x01clist\r\x01\x01".to_vec()
        );
        let console = [
            "[  1.0] [a] heartbeat 3",
            "bulkhead> li",
            "[  1.1] [a] heartbeat 4",
            "st",
            "0 a running",
            "1 b held",
            "ok",
            "later",
        ];
        assert_eq!(
            answer(console, "list"),
            Some(Ok(vec!["0 a running".to_string(), "1 b held".to_string()]))
        );
        let refused = ["bulkhead> stop x", "error: no partition x"];
        assert_eq!(
            answer(refused, "stop x"),
            Some(Err("error: no partition x".to_string()))
        );
        assert_eq!(answer(["bulkhead> list", "0 a running"], "list"), None);
    }
}
