//! The text commands, one per line, that the console's command mode, the
//! serial-line host tool and (as numbers) the manager's hypercalls share.

use super::name::{NameError, PartitionName};
use alloc::string::String;
use core::fmt;

/// Snapshot slots per partition (the configuration allows 0 to 4).
pub const MAX_SLOTS: u8 = 4;
/// The longest command line taken.
pub const LINE_MAX: usize = 128;

/// Which partition a command is about: by name, or `#N` by index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Name(PartitionName),
    Index(usize),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Name(n) => write!(f, "{n}"),
            Target::Index(i) => write!(f, "#{i}"),
        }
    }
}

/// A management operation on one partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Stop,
    Start,
    Restart,
    Snapshot,
    Restore,
    /// Checks a snapshot slot completely without touching the partition.
    Verify,
}

impl Op {
    /// Every operation, in MGMT_COMMAND's op code order.
    pub const ALL: [Op; 6] = [
        Op::Stop,
        Op::Start,
        Op::Restart,
        Op::Snapshot,
        Op::Restore,
        Op::Verify,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::Stop => "stop",
            Op::Start => "start",
            Op::Restart => "restart",
            Op::Snapshot => "snapshot",
            Op::Restore => "restore",
            Op::Verify => "verify",
        }
    }

    /// Whether the operation is about one snapshot slot (`NAME [SLOT]`).
    pub fn takes_slot(self) -> bool {
        matches!(self, Op::Snapshot | Op::Restore | Op::Verify)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    List,
    Status(Option<Target>),
    /// One operation; `slot` is 0 except for snapshot, restore and verify
    /// ([`Op::takes_slot`]).
    Manage {
        op: Op,
        target: Target,
        slot: u8,
    },
    Help,
}

impl fmt::Display for Command {
    /// The command as a line `parse_command` reads back (for host tools).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::List => write!(f, "list"),
            Command::Help => write!(f, "help"),
            Command::Status(None) => write!(f, "status"),
            Command::Status(Some(t)) => write!(f, "status {t}"),
            Command::Manage { op, target, slot } if op.takes_slot() => {
                write!(f, "{} {target} {slot}", op.name())
            }
            Command::Manage { op, target, .. } => write!(f, "{} {target}", op.name()),
        }
    }
}

/// Why a line is not a command. Messages quote at most 32 bytes of input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    Empty,
    TooLong { len: usize },
    UnknownCommand(String),
    MissingName { command: &'static str },
    TooManyArguments { command: &'static str },
    BadName(NameError),
    BadIndex(String),
    BadSlot(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Empty => write!(f, "empty command"),
            ParseError::TooLong { len } => {
                write!(f, "command line {len} bytes long, at most {LINE_MAX}")
            }
            ParseError::UnknownCommand(c) => write!(f, "unknown command '{c}' (try help)"),
            ParseError::MissingName { command } => {
                write!(f, "{command}: which partition? ({command} NAME)")
            }
            ParseError::TooManyArguments { command } => {
                write!(f, "{command}: too many arguments (try help)")
            }
            ParseError::BadName(e) => write!(f, "{e}"),
            ParseError::BadIndex(t) => write!(f, "'{t}' is not a partition number (#0, #1, ...)"),
            ParseError::BadSlot(t) => write!(
                f,
                "'{t}' is not a snapshot slot (0 to {})",
                MAX_SLOTS.saturating_sub(1)
            ),
        }
    }
}

/// At most 32 bytes of a token, cut on a character boundary, for messages.
fn quote(token: &str) -> String {
    let mut end = token.len().min(32);
    while !token.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    String::from(token.get(..end).unwrap_or(""))
}

fn target(token: &str) -> Result<Target, ParseError> {
    match token.strip_prefix('#') {
        Some(digits) => {
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(ParseError::BadIndex(quote(token)));
            }
            digits
                .parse()
                .map(Target::Index)
                .map_err(|_| ParseError::BadIndex(quote(token)))
        }
        None => PartitionName::new(token)
            .map(Target::Name)
            .map_err(ParseError::BadName),
    }
}

fn slot(token: Option<&str>) -> Result<u8, ParseError> {
    let Some(t) = token else { return Ok(0) };
    match t.parse::<u8>() {
        Ok(n) if n < MAX_SLOTS && t.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(ParseError::BadSlot(quote(t))),
    }
}

/// Parses one line (a trailing `\r`/`\n` is ignored; words are separated by
/// spaces or tabs; commands are lower case).
pub fn parse_command(line: &str) -> Result<Command, ParseError> {
    if line.len() > LINE_MAX {
        return Err(ParseError::TooLong { len: line.len() });
    }
    let mut words = line.split_ascii_whitespace();
    let Some(word) = words.next() else {
        return Err(ParseError::Empty);
    };
    let (command, op): (&'static str, Option<Op>) = match word {
        "list" => ("list", None),
        "help" => ("help", None),
        "status" => ("status", None),
        other => match Op::ALL.into_iter().find(|op| op.name() == other) {
            Some(op) => (op.name(), Some(op)),
            None => return Err(ParseError::UnknownCommand(quote(other))),
        },
    };
    let takes_slot = op.is_some_and(Op::takes_slot);
    let first = words.next();
    let second = if takes_slot { words.next() } else { None };
    if words.next().is_some() {
        return Err(ParseError::TooManyArguments { command });
    }
    match (command, op) {
        ("list", _) | ("help", _) if first.is_some() => {
            Err(ParseError::TooManyArguments { command })
        }
        ("list", _) => Ok(Command::List),
        ("help", _) => Ok(Command::Help),
        ("status", _) => first.map(target).transpose().map(Command::Status),
        (_, Some(op)) => {
            let name = first.ok_or(ParseError::MissingName { command })?;
            Ok(Command::Manage {
                op,
                target: target(name)?,
                slot: slot(second)?,
            })
        }
        (_, None) => Err(ParseError::UnknownCommand(quote(word))),
    }
}
