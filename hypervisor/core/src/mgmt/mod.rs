//! Management: one protocol for the three ways in.
//!
//! - the console's command mode (`Ctrl-A c`, [`ConsoleMux`]);
//! - a host tool on the serial line, which sends `Ctrl-A c`, a command
//!   line and `\r`, and reads lines until one is `ok` or starts with
//!   `error: ` ([`is_final_line`]);
//! - the manager partition's hypercalls ([`execute_hypercall`], ABI in
//!   [`hypercall`]).
//!
//! Commands ([`parse_command`]): `list`, `status [NAME]`, `stop NAME`,
//! `start NAME`, `restart NAME`, `snapshot NAME [SLOT]`,
//! `restore NAME [SLOT]`, `verify NAME [SLOT]`, `help`. What each may do
//! in which state is in [`perform`], shared by text and hypercalls (every
//! [`Op`] is an MGMT_COMMAND op too; `verify`, which changes nothing, since
//! interface 1.2).

mod command;
mod console;
pub mod doorbell;
mod exec;
mod help;
mod hvc_status;
pub mod hypercall;
mod line_editor;
mod name;
mod report;
mod response;
mod verify;

pub use command::{parse_command, Command, Op, ParseError, Target, LINE_MAX, MAX_SLOTS};
pub use console::{ConsoleMux, EchoBytes, MuxAction, CTRL_A, PROMPT};
pub use exec::{
    execute, execute_hypercall, execute_hypercall_explained, perform, Done, Host, Refusal,
};
pub use help::HELP;
pub use hvc_status::{
    failure_code, failure_name, failure_of, info_flags, reason_code, reason_name, state_code,
    state_name, HvcStatus, PackedInfo,
};
pub use hypercall::{decode_hypercall, op_code, Hypercall};
pub use line_editor::{Edit, LineEditor};
pub use name::{NameError, PartitionName, NAME_MAX};
pub use report::{list_line, state_detail, status_lines};
pub use response::{is_final_line, Response};
pub use verify::{verified_line, VerifiedSlot};
