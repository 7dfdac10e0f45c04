//! `reset_on_restore`: devices the hypervisor resets when it restores the
//! partition from a snapshot. Each must be one of the partition's own
//! devices, listed once, with a reset method the hypervisor knows.

use super::Checker;
use crate::checked::{PassthroughDevice, ResetMethod};
use crate::error::{ErrorKind, PartRef};
use crate::limits::{MAX_DEVICES, MAX_PATH};
use alloc::format;
use alloc::string::String;

/// Marks the listed devices of `devices` (the partition's resolved
/// devices) with their reset method. `listed_devices` is the `devices`
/// list as written: a device listed there but refused (already reported)
/// draws no second error here.
pub(super) fn resolve(
    c: &mut Checker<'_>,
    part: &PartRef,
    paths: &[String],
    listed_devices: &[String],
    devices: &mut [PassthroughDevice],
) {
    if paths.len() > MAX_DEVICES {
        c.part(
            part,
            "reset_on_restore",
            ErrorKind::TooMany {
                count: paths.len(),
                max: MAX_DEVICES,
            },
        );
        return;
    }
    for (i, path) in paths.iter().enumerate() {
        let field = format!("reset_on_restore[{i}]");
        if !super::names::string(c, part, &field, path, MAX_PATH) {
            continue;
        }
        if let Some(first) = paths.iter().take(i).position(|p| p == path) {
            c.part(
                part,
                field,
                ErrorKind::ResetListedTwice {
                    path: path.clone(),
                    first,
                },
            );
            continue;
        }
        let Some(dev) = devices.iter_mut().find(|d| d.path == *path) else {
            if !listed_devices.contains(path) {
                c.part(part, field, ErrorKind::ResetNotOwned { path: path.clone() });
            }
            continue;
        };
        let compatible =
            c.hw.device_by_path(path)
                .map(|d| d.compatible.clone())
                .unwrap_or_default();
        match ResetMethod::for_compatible(&compatible) {
            Some(method) => dev.reset_on_restore = Some(method),
            None => c.part(
                part,
                field,
                ErrorKind::NoResetMethod {
                    path: path.clone(),
                    compatible,
                },
            ),
        }
    }
}
