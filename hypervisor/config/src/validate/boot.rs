//! Boot protocol, fault policy, restart limits, watchdog, snapshot slots.

use super::Checker;
use crate::checked::{Boot, FaultPolicy, RestartPolicy};
use crate::error::{ErrorKind, PartRef};
use crate::limits::{MAX_RESTARTS, MAX_SNAPSHOT_SLOTS, MAX_WATCHDOG_MS, MAX_WINDOW_MS};
use crate::raw::{BootProtocol, FaultAction, RawPartition, RawRestart};
use alloc::format;

pub(super) fn protocol(c: &mut Checker<'_>, part: &PartRef, p: &RawPartition) -> Boot {
    match p.boot_protocol {
        BootProtocol::Linux => {
            if p.entry_offset.is_some() {
                c.part(part, "entry_offset", ErrorKind::EntryOffsetOnLinux);
            }
            Boot::Linux
        }
        BootProtocol::BareMetal => {
            let entry_offset = p.entry_offset.unwrap_or(0);
            let why = if !entry_offset.is_multiple_of(4) {
                Some("not 4-byte aligned (instructions are 4 bytes)")
            } else if p.memory.first().is_some_and(|m| entry_offset >= m.size.0) {
                Some("past the end of memory[0], where the image is loaded")
            } else {
                None
            };
            if let Some(why) = why {
                c.part(
                    part,
                    "entry_offset",
                    ErrorKind::BadEntryOffset {
                        offset: entry_offset,
                        why,
                    },
                );
            }
            Boot::BareMetal { entry_offset }
        }
    }
}

pub(super) fn fault_policy(c: &mut Checker<'_>, part: &PartRef, p: &RawPartition) -> FaultPolicy {
    match p.on_fault {
        FaultAction::Stop | FaultAction::InjectAbort => {
            if p.restart.is_some() {
                c.part(part, "restart", ErrorKind::RestartWithoutRestart);
            }
            if p.on_fault == FaultAction::Stop {
                FaultPolicy::Stop
            } else {
                FaultPolicy::InjectAbort
            }
        }
        FaultAction::Restart => {
            FaultPolicy::Restart(restart(c, part, &p.restart.unwrap_or_default()))
        }
    }
}

fn restart(c: &mut Checker<'_>, part: &PartRef, r: &RawRestart) -> RestartPolicy {
    let mut bad = |field: &str, why| {
        c.part(
            part,
            format!("restart.{field}"),
            ErrorKind::BadRestart { why },
        );
    };
    if r.max == 0 || r.max > MAX_RESTARTS {
        bad(
            "max",
            format!(
                "{} is out of range (1 to {MAX_RESTARTS}; for no restart at all use on_fault = \"stop\")",
                r.max
            ),
        );
    }
    if r.window_ms == 0 || r.window_ms > MAX_WINDOW_MS {
        bad(
            "window_ms",
            format!("{} ms is out of range (1 to {MAX_WINDOW_MS})", r.window_ms),
        );
    }
    if r.min_uptime_ms >= r.window_ms {
        bad(
            "min_uptime_ms",
            format!(
                "{} ms is not below window_ms ({} ms)",
                r.min_uptime_ms, r.window_ms
            ),
        );
    }
    RestartPolicy {
        max: r.max,
        window_ms: u32::try_from(r.window_ms).unwrap_or(u32::MAX),
        min_uptime_ms: u32::try_from(r.min_uptime_ms).unwrap_or(u32::MAX),
    }
}

pub(super) fn watchdog(c: &mut Checker<'_>, part: &PartRef, value: Option<u64>) -> Option<u32> {
    let value = value?;
    if value == 0 || value > MAX_WATCHDOG_MS {
        c.part(part, "watchdog_ms", ErrorKind::BadWatchdog { value });
    }
    u32::try_from(value).ok()
}

pub(super) fn snapshot_slots(c: &mut Checker<'_>, part: &PartRef, count: u32) -> u32 {
    if count > MAX_SNAPSHOT_SLOTS {
        c.part(
            part,
            "snapshot_slots",
            ErrorKind::TooManySnapshotSlots {
                count,
                max: MAX_SNAPSHOT_SLOTS,
            },
        );
    }
    count
}
