//! Status lines for `list` and `status`.

use crate::supervisor::{State, Status};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Why a stopped or held partition is not running, in words.
pub fn state_detail(state: &State) -> String {
    match state {
        State::Running { .. } => String::from("running"),
        State::Restarting { .. } => String::from("restarting"),
        State::Stopped { reason } => format!("stopped ({})", reason.name()),
        State::Held { reason } => format!(
            "held (crash loop: {} after {} restarts within {} ms; start it to run it again)",
            reason.trigger.name(),
            reason.restarts,
            reason.window_ms
        ),
    }
}

/// One `list` line: index, name, state, generation, uptime.
pub fn list_line(index: usize, name: &str, status: &Status) -> String {
    format!(
        "{index} {name} {} gen {} up {} ms",
        status.state.name(),
        status.generation.0,
        status.uptime / 1000
    )
}

/// `status NAME`: one `key: value` per line.
pub fn status_lines(index: usize, name: &str, status: &Status) -> Vec<String> {
    let c = &status.counters;
    let mut lines = Vec::with_capacity(10);
    lines.push(format!("name: {name}"));
    lines.push(format!("index: {index}"));
    lines.push(format!("state: {}", state_detail(&status.state)));
    lines.push(format!("generation: {}", status.generation.0));
    lines.push(format!("uptime_ms: {}", status.uptime / 1000));
    lines.push(format!(
        "restarts: {} ({} within the window)",
        c.restarts, status.restarts_in_window
    ));
    lines.push(format!("guest_resets: {}", c.guest_resets));
    lines.push(format!("faults: {}", c.faults));
    lines.push(match c.last_fault {
        Some(f) => format!(
            "last_fault: {} in generation {} at {} ms",
            f.trigger.name(),
            f.generation.0,
            f.at / 1000
        ),
        None => String::from("last_fault: none"),
    });
    lines.push(format!("holds: {}", c.holds));
    lines
}
