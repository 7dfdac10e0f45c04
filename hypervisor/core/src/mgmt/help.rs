//! The `help` text.

pub const HELP: &[&str] = &[
    "list                   every partition: index, name, state, generation, uptime",
    "status [NAME]          one partition's state and counters (all without NAME)",
    "stop NAME              stop it; its cores and memory stay reserved",
    "start NAME             start a stopped or held partition",
    "restart NAME           restart it now (not counted as a crash)",
    "snapshot NAME [SLOT]   save it into snapshot slot SLOT (default 0)",
    "restore NAME [SLOT]    restart it from snapshot slot SLOT (default 0)",
    "verify NAME [SLOT]     check snapshot slot SLOT completely; the partition is not touched",
    "help                   this list",
    "NAME is a partition name or #N, the partition's index.",
    "Console: Ctrl-A N focuses partition N, Ctrl-A c command mode, Ctrl-A Ctrl-A sends Ctrl-A.",
];
