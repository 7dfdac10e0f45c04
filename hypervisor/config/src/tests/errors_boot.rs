//! Errors about boot protocol, fault policy, watchdog and snapshots.

use super::{ok, single, LINUX0};
use crate::{Boot, ErrorKind as E, FaultPolicy, RestartPolicy};

const RTOS: &str = r#"
[[partition]]
name = "rtos"
cpus = ["cpu@3"]
memory = [{ size = "1M" }]
kernel = "rtos.bin"
boot_protocol = "bare-metal"
"#;

#[test]
fn bare_metal_options_on_linux() {
    single(
        &format!("{LINUX0}entry_offset = 0x80000\n"),
        |k| *k == E::EntryOffsetOnLinux,
        "partition \"linux0\": entry_offset: entry_offset applies only to boot_protocol = \"bare-metal\"",
    );
}

#[test]
fn bare_metal_entry_offset() {
    let sys = ok(&format!("{RTOS}entry_offset = 0x100\n"));
    assert_eq!(
        sys.partitions()[0].boot(),
        Boot::BareMetal {
            entry_offset: 0x100
        }
    );
    assert_eq!(
        ok(RTOS).partitions()[0].boot(),
        Boot::BareMetal { entry_offset: 0 }
    );
    single(
        &format!("{RTOS}entry_offset = 0x102\n"),
        |k| matches!(k, E::BadEntryOffset { .. }),
        "partition \"rtos\": entry_offset: 0x102: not 4-byte aligned (instructions are 4 bytes)",
    );
    single(
        &format!("{RTOS}entry_offset = 0x100000\n"),
        |k| matches!(k, E::BadEntryOffset { .. }),
        "partition \"rtos\": entry_offset: 0x100000: past the end of memory[0], where the image is loaded",
    );
}

#[test]
fn restart_policy_without_restart() {
    single(
        &format!("{RTOS}on_fault = \"inject-abort\"\nrestart = {{ max = 2 }}\n"),
        |k| *k == E::RestartWithoutRestart,
        "partition \"rtos\": restart: a restart policy needs on_fault = \"restart\"",
    );
}

#[test]
fn restart_defaults_and_values() {
    let sys = ok(&format!("{RTOS}on_fault = \"restart\"\n"));
    assert_eq!(
        sys.partitions()[0].on_fault(),
        FaultPolicy::Restart(RestartPolicy {
            max: 3,
            window_ms: 10_000,
            min_uptime_ms: 1000
        })
    );
    let sys = ok(&format!(
        "{RTOS}on_fault = \"restart\"\nrestart = {{ max = 5, window_ms = 60000 }}\n"
    ));
    assert_eq!(
        sys.partitions()[0].on_fault(),
        FaultPolicy::Restart(RestartPolicy {
            max: 5,
            window_ms: 60_000,
            min_uptime_ms: 1000
        })
    );
}

#[test]
fn invalid_restart_numbers() {
    let with = |r: &str| format!("{RTOS}on_fault = \"restart\"\nrestart = {{ {r} }}\n");
    single(
        &with("max = 0"),
        |k| matches!(k, E::BadRestart { .. }),
        "partition \"rtos\": restart.max: 0 is out of range (1 to 1000; for no restart at all use on_fault = \"stop\")",
    );
    single(
        &with("max = 1001"),
        |k| matches!(k, E::BadRestart { .. }),
        "partition \"rtos\": restart.max: 1001 is out of range (1 to 1000; for no restart at all use on_fault = \"stop\")",
    );
    let e = super::errors(&with("window_ms = 0"));
    assert_eq!(
        e.to_string(),
        "partition \"rtos\": restart.window_ms: 0 ms is out of range (1 to 86400000)\n\
         partition \"rtos\": restart.min_uptime_ms: 1000 ms is not below window_ms (0 ms)"
    );
    single(
        &with("window_ms = 5000, min_uptime_ms = 5000"),
        |k| matches!(k, E::BadRestart { .. }),
        "partition \"rtos\": restart.min_uptime_ms: 5000 ms is not below window_ms (5000 ms)",
    );
    single(
        &with("window_ms = 86400001"),
        |k| matches!(k, E::BadRestart { .. }),
        "partition \"rtos\": restart.window_ms: 86400001 ms is out of range (1 to 86400000)",
    );
}

#[test]
fn watchdog_range() {
    assert_eq!(
        ok(&format!("{RTOS}watchdog_ms = 500\n")).partitions()[0].watchdog_ms(),
        Some(500)
    );
    single(
        &format!("{RTOS}watchdog_ms = 0\n"),
        |k| matches!(k, E::BadWatchdog { value: 0 }),
        "partition \"rtos\": watchdog_ms: 0 ms is out of range (1 to 3600000; leave watchdog_ms out for no watchdog)",
    );
    single(
        &format!("{RTOS}watchdog_ms = 3600001\n"),
        |k| matches!(k, E::BadWatchdog { .. }),
        "partition \"rtos\": watchdog_ms: 3600001 ms is out of range (1 to 3600000; leave watchdog_ms out for no watchdog)",
    );
}

#[test]
fn too_many_snapshot_slots() {
    single(
        &format!("{RTOS}snapshot_slots = 5\n"),
        |k| matches!(k, E::TooManySnapshotSlots { .. }),
        "partition \"rtos\": snapshot_slots: 5 slots, at most 4",
    );
}
