//! Names, image paths, the command line: strings with limits.

use super::Checker;
use crate::checked::Images;
use crate::error::{ErrorKind, PartRef};
use crate::limits::{MAX_BOOTARGS, MAX_NAME, MAX_PATH};
use crate::raw::RawPartition;
use alloc::string::String;

/// The partition's name: not empty, allowed characters, short, unique.
pub(super) fn check(c: &mut Checker<'_>, part: &PartRef, earlier: &[RawPartition]) {
    let name = part.name.as_str();
    if name.is_empty() {
        c.part(part, "name", ErrorKind::EmptyName);
        return;
    }
    if let Some(found) = name
        .chars()
        .find(|ch| !(ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')))
    {
        c.part(part, "name", ErrorKind::BadNameCharacter { found });
    }
    if name.len() > MAX_NAME {
        c.part(
            part,
            "name",
            ErrorKind::TooLong {
                len: name.len(),
                max: MAX_NAME,
            },
        );
    }
    if let Some(first) = earlier.iter().position(|p| p.name == name) {
        c.part(part, "name", ErrorKind::DuplicateName { first });
    }
}

/// A string of at most `max` bytes without NUL; `true` if it passes.
pub(super) fn string(
    c: &mut Checker<'_>,
    part: &PartRef,
    field: &str,
    value: &str,
    max: usize,
) -> bool {
    let mut ok = true;
    if value.len() > max {
        c.part(
            part,
            field,
            ErrorKind::TooLong {
                len: value.len(),
                max,
            },
        );
        ok = false;
    }
    if value.contains('\0') {
        c.part(part, field, ErrorKind::ContainsNul);
        ok = false;
    }
    ok
}

pub(super) fn images(c: &mut Checker<'_>, part: &PartRef, p: &RawPartition) -> Images {
    if p.kernel.is_empty() {
        c.part(part, "kernel", ErrorKind::EmptyPath);
    }
    string(c, part, "kernel", &p.kernel, MAX_PATH);
    for (field, value) in [("ramdisk", &p.ramdisk), ("dtb", &p.dtb)] {
        if let Some(v) = value {
            if v.is_empty() {
                c.part(part, field, ErrorKind::EmptyPath);
            }
            string(c, part, field, v, MAX_PATH);
        }
    }
    Images {
        kernel: p.kernel.clone(),
        ramdisk: p.ramdisk.clone(),
        dtb: p.dtb.clone(),
    }
}

pub(super) fn bootargs(c: &mut Checker<'_>, part: &PartRef, value: Option<&str>) -> String {
    let value = value.unwrap_or("");
    string(c, part, "bootargs", value, MAX_BOOTARGS);
    String::from(value)
}
