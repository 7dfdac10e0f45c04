//! The partition's RAM: one memory node listing every region, sorted by
//! base, named after the lowest.

use super::reg_cells;
use crate::error::GuestDtError;
use crate::spec::{GuestDtSpec, GuestRange};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use vm_fdt::FdtWriter;

fn sorted(spec: &GuestDtSpec) -> Vec<GuestRange> {
    let mut regions = spec.memory.clone();
    regions.sort();
    regions
}

pub fn name(spec: &GuestDtSpec) -> String {
    let base = sorted(spec).first().map(|r| r.base.0).unwrap_or_default();
    format!("memory@{base:x}")
}

pub fn memory(fdt: &mut FdtWriter, spec: &GuestDtSpec) -> Result<(), GuestDtError> {
    let node = fdt.begin_node(&name(spec))?;
    fdt.property_string("device_type", "memory")?;
    let regions = sorted(spec);
    fdt.property_array_u64(
        "reg",
        &reg_cells(regions.iter().map(|r| (r.base.0, r.size))),
    )?;
    fdt.end_node(node)?;
    Ok(())
}
