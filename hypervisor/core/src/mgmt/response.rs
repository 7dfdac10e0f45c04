//! Answers: zero or more lines, then a last line that is exactly `ok` or
//! starts with `error: `. A host tool reads until that line. No other line
//! can look like it: body lines are made printable and one that would read
//! as a last line gets a leading space.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    lines: Vec<String>,
    outcome: Result<(), String>,
}

/// Printable ASCII only: anything else (a newline, an escape sequence from
/// a guest-chosen string) becomes `?`.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn looks_final(line: &str) -> bool {
    line == "ok" || line.starts_with("error:")
}

impl Response {
    pub fn ok() -> Self {
        Response {
            lines: Vec::new(),
            outcome: Ok(()),
        }
    }

    pub fn error(message: impl fmt::Display) -> Self {
        let mut m = String::new();
        // Writing to a String cannot fail.
        let _ = write!(m, "{message}");
        Response {
            lines: Vec::new(),
            outcome: Err(printable(&m)),
        }
    }

    /// Adds a body line.
    pub fn line(&mut self, line: &str) {
        let mut l = printable(line);
        if looks_final(&l) {
            l.insert(0, ' ');
        }
        self.lines.push(l);
    }

    pub fn with_line(mut self, line: &str) -> Self {
        self.line(line);
        self
    }

    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The last line: `ok` or `error: <message>`.
    pub fn final_line(&self) -> String {
        match &self.outcome {
            Ok(()) => String::from("ok"),
            Err(m) => {
                let mut s = String::from("error: ");
                s.push_str(m);
                s
            }
        }
    }

    /// Every line, each ended by `\r\n` (a serial console's line end; a host
    /// tool strips the `\r`).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            out.push_str(l);
            out.push_str("\r\n");
        }
        out.push_str(&self.final_line());
        out.push_str("\r\n");
        out
    }
}

/// Whether `line` (without its line end) ends an answer, for host tools.
pub fn is_final_line(line: &str) -> bool {
    looks_final(line.trim_end_matches(['\r', '\n']))
}
