//! Partition consoles multiplexed onto Bulkhead's own console.
//!
//! A partition without a physical UART gets an emulated PL011
//! ([`bulkhead_core::vpl011`]). What it writes is collected per partition
//! and printed a line at a time behind the partition's name, so lines from
//! different partitions never mix mid-line.

use crate::println;
use alloc::string::String;
use alloc::vec::Vec;

/// Longest line kept before it is printed anyway.
const MAX_LINE: usize = 240;

pub struct LineBuffer {
    line: Vec<u8>,
}

impl LineBuffer {
    pub const fn new() -> Self {
        Self { line: Vec::new() }
    }

    /// Adds a byte the partition wrote; prints the line when it ends, or
    /// at once when the partition has the console's focus (a prompt has
    /// no newline).
    pub fn push(&mut self, name: &str, byte: u8, focused: bool) {
        if focused {
            crate::console::raw_output(name, byte);
            return;
        }
        match byte {
            b'\r' => {}
            b'\n' => self.flush(name),
            _ => {
                self.line.push(byte);
                if self.line.len() >= MAX_LINE {
                    self.flush(name);
                }
            }
        }
    }

    /// The partition gets the focus: what it wrote since its last complete
    /// line (typically its shell prompt) is shown at once, raw, and the
    /// buffer is emptied so nothing shows twice.
    pub fn hand_over(&mut self, name: &str) {
        for b in core::mem::take(&mut self.line) {
            crate::console::raw_output(name, b);
        }
    }

    pub fn flush(&mut self, name: &str) {
        let text: String = self
            .line
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        println!("[{name}] {text}");
        self.line.clear();
    }
}
