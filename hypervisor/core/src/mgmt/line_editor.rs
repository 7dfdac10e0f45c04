//! The command mode's line editor: printable characters, backspace, Enter.

use super::command::LINE_MAX;
use alloc::string::String;

/// What a byte did to the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Echo this character.
    Char(u8),
    /// Erase the last character on screen.
    Erase,
    /// Enter: the line.
    Submit(String),
    /// Refused (line full, backspace on an empty line): ring the bell.
    Bell,
    /// Ignored (a control character, the LF of a CR LF pair).
    Ignore,
}

#[derive(Clone, Debug, Default)]
pub struct LineEditor {
    line: String,
    /// The previous byte was CR: a following LF is part of the same Enter.
    after_cr: bool,
}

impl LineEditor {
    pub fn clear(&mut self) {
        self.line.clear();
        self.after_cr = false;
    }

    pub fn line(&self) -> &str {
        &self.line
    }

    pub fn feed(&mut self, byte: u8) -> Edit {
        let after_cr = core::mem::replace(&mut self.after_cr, byte == b'\r');
        match byte {
            b'\n' if after_cr => Edit::Ignore,
            b'\r' | b'\n' => Edit::Submit(core::mem::take(&mut self.line)),
            0x08 | 0x7F => match self.line.pop() {
                Some(_) => Edit::Erase,
                None => Edit::Bell,
            },
            // Ctrl-U: erase the line is not offered; control bytes are ignored.
            0x20..=0x7E => {
                if self.line.len() >= LINE_MAX {
                    Edit::Bell
                } else {
                    self.line.push(char::from(byte));
                    Edit::Char(byte)
                }
            }
            _ => Edit::Ignore,
        }
    }
}
