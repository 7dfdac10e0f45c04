//! A minimal client of QEMU's gdbstub (GDB remote serial protocol) over a
//! Unix socket, for tests that must read or change guest *physical* memory
//! that no guest can reach (a snapshot slot in hypervisor RAM): QMP can
//! read memory (`pmemsave`) but has no command that writes it.
//!
//! QEMU stops the machine when a client connects and resumes it on detach.
//! `Qqemu.PhyMemMode:1` makes `m`/`M` use physical addresses.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

pub struct Gdb {
    stream: UnixStream,
}

/// `$data#cs`: the packet for `data`, its checksum the sum of its bytes.
pub fn packet(data: &str) -> String {
    let sum = data.bytes().fold(0u8, |s, b| s.wrapping_add(b));
    format!("${data}#{sum:02x}")
}

/// The data of the first whole packet in `buf`, and where it ends; `None`
/// if no whole packet is there yet. A wrong checksum is an error.
pub fn parse_packet(buf: &[u8]) -> Option<Result<(String, usize), String>> {
    let start = buf.iter().position(|&b| b == b'$')?;
    let hash = start + buf.get(start..)?.iter().position(|&b| b == b'#')?;
    let cs = buf.get(hash + 1..hash + 3)?;
    let data = buf.get(start + 1..hash)?;
    let sum = data.iter().fold(0u8, |s, &b| s.wrapping_add(b));
    let want = std::str::from_utf8(cs)
        .ok()
        .and_then(|c| u8::from_str_radix(c, 16).ok());
    Some(if want == Some(sum) {
        Ok((String::from_utf8_lossy(data).into_owned(), hash + 3))
    } else {
        Err(format!(
            "gdbstub packet with a bad checksum: {}",
            String::from_utf8_lossy(buf)
        ))
    })
}

/// Bytes as the protocol's hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The protocol's hex as bytes.
pub fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("odd-length hex from gdbstub: {text}"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(format!("bad hex from gdbstub: {text}"))
        })
        .collect()
}

impl Gdb {
    /// Connects (retrying until `wait` has passed: QEMU makes the socket a
    /// moment after it starts) and switches to physical memory.
    pub fn connect(path: &Path, wait: Duration) -> Result<Gdb, String> {
        let stream = crate::qmp::connect_unix(path, wait, "gdbstub socket")?;
        let mut g = Gdb { stream };
        let r = g.call("Qqemu.PhyMemMode:1")?;
        if r != "OK" {
            return Err(format!("gdbstub refused physical memory mode: {r}"));
        }
        Ok(g)
    }

    /// Sends one packet and returns the data of the answer.
    fn call(&mut self, data: &str) -> Result<String, String> {
        self.stream
            .write_all(packet(data).as_bytes())
            .map_err(|e| format!("writing to gdbstub: {e}"))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(p) = parse_packet(&buf) {
                let (answer, _) = p?;
                // Acknowledge it, as the protocol wants.
                let _ = self.stream.write_all(b"+");
                return Ok(answer);
            }
            let n = self
                .stream
                .read(&mut chunk)
                .map_err(|e| format!("reading from gdbstub ({data}): {e}"))?;
            if n == 0 {
                return Err(format!("gdbstub closed the connection ({data})"));
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
        }
    }

    /// Reads `len` bytes of physical memory at `addr`.
    pub fn read(&mut self, addr: u64, len: usize) -> Result<Vec<u8>, String> {
        let r = self.call(&format!("m{addr:x},{len:x}"))?;
        if r.starts_with('E') && r.len() == 3 {
            return Err(format!("gdbstub cannot read {len} bytes at {addr:#x}: {r}"));
        }
        let bytes = unhex(&r)?;
        if bytes.len() != len {
            return Err(format!(
                "gdbstub read {} bytes at {addr:#x}, not {len}",
                bytes.len()
            ));
        }
        Ok(bytes)
    }

    /// Writes `bytes` to physical memory at `addr`.
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), String> {
        let r = self.call(&format!("M{addr:x},{:x}:{}", bytes.len(), hex(bytes)))?;
        if r == "OK" {
            Ok(())
        } else {
            Err(format!(
                "gdbstub cannot write {} bytes at {addr:#x}: {r}",
                bytes.len()
            ))
        }
    }

    /// Detaches: the machine runs on.
    pub fn detach(mut self) -> Result<(), String> {
        self.call("D").map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets() {
        assert_eq!(packet("OK"), "$OK#9a");
        assert_eq!(packet("Qqemu.PhyMemMode:1"), "$Qqemu.PhyMemMode:1#77");
        assert_eq!(
            parse_packet(b"+$OK#9a").map(|r| r.unwrap()),
            Some(("OK".into(), 7))
        );
        assert_eq!(parse_packet(b"+$OK#9"), None);
        assert_eq!(parse_packet(b"+"), None);
        assert!(parse_packet(b"$OK#00").unwrap().is_err());
        assert_eq!(hex(&[0, 0xab, 7]), "00ab07");
        assert_eq!(unhex("00ab07").unwrap(), vec![0, 0xab, 7]);
        assert!(unhex("0").is_err());
        assert!(unhex("zz").is_err());
    }
}
