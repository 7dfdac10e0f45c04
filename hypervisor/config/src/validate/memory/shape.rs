//! The checks each region passes on its own: size, alignment, identity and
//! guest base.

use super::RegionDraft;
use crate::error::{ErrorKind, PartRef};
use crate::limits::{MAX_MEMORY_REGIONS, PAGE};
use crate::raw::RawMemory;
use crate::validate::Checker;
use alloc::format;
use alloc::vec::Vec;

fn aligned(v: u64) -> bool {
    v.is_multiple_of(PAGE)
}

/// The checks each region passes on its own.
pub(crate) fn shape(c: &mut Checker<'_>, part: &PartRef, raw: &[RawMemory]) -> Vec<RegionDraft> {
    if raw.is_empty() {
        c.part(part, "memory", ErrorKind::NoMemory);
        return Vec::new();
    }
    if raw.len() > MAX_MEMORY_REGIONS {
        c.part(
            part,
            "memory",
            ErrorKind::TooMany {
                count: raw.len(),
                max: MAX_MEMORY_REGIONS,
            },
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, m) in raw.iter().enumerate() {
        let field = format!("memory[{i}]");
        let mut errors = Vec::new();
        let size = m.size.0;
        if size == 0 {
            errors.push(ErrorKind::ZeroSize);
        } else if !aligned(size) {
            errors.push(ErrorKind::Unaligned {
                what: "size",
                value: size,
            });
        }
        let identity = m.identity.unwrap_or(true);
        for (what, value) in [("base", m.base), ("guest_base", m.guest_base)] {
            match value {
                Some(v) if !aligned(v) => errors.push(ErrorKind::Unaligned { what, value: v }),
                Some(v) if v.checked_add(size).is_none() => errors.push(ErrorKind::Wraps {
                    what,
                    base: v,
                    size,
                }),
                _ => {}
            }
        }
        match (identity, m.guest_base) {
            (true, Some(_)) => errors.push(ErrorKind::GuestBaseWithIdentity),
            (false, None) => errors.push(ErrorKind::GuestBaseMissing),
            _ => {}
        }
        let ok = errors.is_empty();
        for e in errors {
            c.part(part, field.clone(), e);
        }
        out.push(RegionDraft {
            field,
            size,
            base: m.base,
            fixed: m.base.is_some(),
            identity,
            guest_base: m.guest_base,
            ok,
            phys_ok: ok,
        });
    }
    out
}
