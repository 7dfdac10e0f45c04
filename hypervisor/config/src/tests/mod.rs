//! Tests of configuration parsing, validation and encoding. `board` builds
//! the hardware descriptions the tests validate against.

mod board;
mod errors_boot;
mod errors_cpus;
mod errors_devices;
mod errors_memory;
mod errors_system;
mod examples;
mod free_list;
mod fuzz;
mod placement;
mod roundtrip;
mod schema;
mod size;

use crate::{validate, ConfigErrors, ErrorKind, RawSystem, SystemConfig};

/// Parses TOML that the test knows to be well formed.
pub(super) fn raw(toml: &str) -> RawSystem {
    RawSystem::from_toml(toml).unwrap_or_else(|e| panic!("{e}"))
}

/// Validates against the QEMU virt board and the usual constraints.
pub(super) fn check(toml: &str) -> Result<SystemConfig, ConfigErrors> {
    validate(&raw(toml), &board::qemu_virt(), &board::constraints())
}

pub(super) fn ok(toml: &str) -> SystemConfig {
    check(toml).unwrap_or_else(|e| panic!("expected a valid configuration, got:\n{e}"))
}

pub(super) fn errors(toml: &str) -> ConfigErrors {
    match check(toml) {
        Ok(c) => panic!("expected errors, got {c:#?}"),
        Err(e) => e,
    }
}

/// The messages of a failing configuration, one per error.
pub(super) fn messages(toml: &str) -> Vec<String> {
    errors(toml)
        .errors()
        .iter()
        .map(|e| e.to_string())
        .collect()
}

/// Asserts that `toml` fails with exactly one error, of the kind `pred`
/// accepts, whose message is `message`.
pub(super) fn single(toml: &str, pred: impl Fn(&ErrorKind) -> bool, message: &str) {
    let e = errors(toml);
    assert_eq!(e.len(), 1, "expected one error, got:\n{e}");
    assert!(e.any(pred), "unexpected error kind: {e}");
    assert_eq!(e.to_string(), message);
}

/// One Linux partition on two cores with 256 MiB at 0x48000000, as a
/// starting point tests append to.
pub(super) const LINUX0: &str = r#"
[[partition]]
name = "linux0"
cpus = ["cpu@0", "cpu@1"]
memory = [{ size = "256M", base = 0x48000000 }]
devices = ["/virtio_mmio@a003e00"]
kernel = "images/Image"
bootargs = "console=ttyAMA0"
"#;
