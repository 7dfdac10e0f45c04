//! The console multiplexer: Bulkhead's one UART is shared by every
//! partition with an emulated console and by the operator.
//!
//! Input goes to the partition that has focus. `Ctrl-A` starts an escape:
//!
//! | keys | does |
//! | --- | --- |
//! | Ctrl-A 0..9 | focus partition 0..9 (a bell if there is no such partition) |
//! | Ctrl-A c | command mode: a line editor; Enter submits the line, Ctrl-A leaves |
//! | Ctrl-A Ctrl-A | sends one Ctrl-A to the focused partition |
//! | Ctrl-A anything else | nothing (both bytes dropped) |
//!
//! In command mode the mux echoes what is typed after the prompt
//! `bulkhead> `. On `Command`, the caller writes `\r\n`, carries the
//! command out, writes the answer, then `PROMPT` again; command mode stays
//! until Ctrl-A.

use super::line_editor::{Edit, LineEditor};
use alloc::string::String;

pub const CTRL_A: u8 = 0x01;
pub const PROMPT: &[u8] = b"bulkhead> ";
const BELL: &[u8] = b"\x07";
const ERASE: &[u8] = b"\x08 \x08";
const ENTER_COMMAND_MODE: &[u8] = b"\r\nbulkhead> ";
const NEW_PROMPT: &[u8] = b"\r\nbulkhead> ";
const LEAVE_COMMAND_MODE: &[u8] = b"\r\n";

/// A few bytes to echo, without allocating per key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EchoBytes {
    buf: [u8; 16],
    len: u8,
}

impl EchoBytes {
    fn new(bytes: &[u8]) -> Self {
        let mut buf = [0u8; 16];
        let mut len = 0u8;
        for (d, s) in buf.iter_mut().zip(bytes) {
            *d = *s;
            len = len.saturating_add(1);
        }
        EchoBytes { buf, len }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl core::fmt::Debug for EchoBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Echo({:?})", self.as_bytes())
    }
}

/// What the caller does with one input byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MuxAction {
    /// Deliver `byte` to partition `index`'s console.
    ToPartition(usize, u8),
    /// Partition `index` has focus now (the caller may say so).
    Switch(usize),
    /// Carry out this command line.
    Command(String),
    /// Write these bytes to the console.
    Echo(EchoBytes),
    Nothing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Normal,
    /// Ctrl-A seen in normal mode.
    Escape,
    Command,
}

#[derive(Clone, Debug)]
pub struct ConsoleMux {
    partitions: usize,
    focus: usize,
    mode: Mode,
    editor: LineEditor,
}

fn echo(bytes: &[u8]) -> MuxAction {
    MuxAction::Echo(EchoBytes::new(bytes))
}

impl ConsoleMux {
    /// A mux for `partitions` partitions; partition 0 has focus.
    pub fn new(partitions: usize) -> Self {
        ConsoleMux {
            partitions,
            focus: 0,
            mode: Mode::Normal,
            editor: LineEditor::default(),
        }
    }

    pub fn focus(&self) -> usize {
        self.focus
    }

    pub fn in_command_mode(&self) -> bool {
        self.mode == Mode::Command
    }

    fn to_focus(&self, byte: u8) -> MuxAction {
        if self.focus < self.partitions {
            MuxAction::ToPartition(self.focus, byte)
        } else {
            MuxAction::Nothing
        }
    }

    pub fn feed(&mut self, byte: u8) -> MuxAction {
        match self.mode {
            Mode::Normal if byte == CTRL_A => {
                self.mode = Mode::Escape;
                MuxAction::Nothing
            }
            Mode::Normal => self.to_focus(byte),
            Mode::Escape => {
                self.mode = Mode::Normal;
                match byte {
                    CTRL_A => self.to_focus(CTRL_A),
                    b'0'..=b'9' => {
                        let n = usize::from(byte - b'0');
                        if n < self.partitions {
                            self.focus = n;
                            MuxAction::Switch(n)
                        } else {
                            echo(BELL)
                        }
                    }
                    b'c' => {
                        self.mode = Mode::Command;
                        self.editor.clear();
                        echo(ENTER_COMMAND_MODE)
                    }
                    _ => MuxAction::Nothing,
                }
            }
            Mode::Command if byte == CTRL_A => {
                self.mode = Mode::Normal;
                self.editor.clear();
                echo(LEAVE_COMMAND_MODE)
            }
            Mode::Command => match self.editor.feed(byte) {
                Edit::Char(c) => echo(&[c]),
                Edit::Erase => echo(ERASE),
                Edit::Bell => echo(BELL),
                Edit::Ignore => MuxAction::Nothing,
                Edit::Submit(line) if line.trim().is_empty() => echo(NEW_PROMPT),
                Edit::Submit(line) => MuxAction::Command(line),
            },
        }
    }
}
