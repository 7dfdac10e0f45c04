//! `/cpus` with one node per vCPU, and `/psci`, through which the
//! partition starts and stops them (`hvc`, which the hypervisor traps).

use crate::error::GuestDtError;
use crate::mpidr::vcpu_mpidr;
use crate::spec::GuestDtSpec;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use vm_fdt::FdtWriter;

/// Used when the board's first cpu node names no core.
pub const GENERIC_CPU: &str = "arm,armv8";

/// `compatible` is the board's first cpu's (the partition runs on the same
/// cores).
pub fn cpus(fdt: &mut FdtWriter, spec: &GuestDtSpec, compatible: &str) -> Result<(), GuestDtError> {
    let node = fdt.begin_node("cpus")?;
    fdt.property_u32("#address-cells", 1)?;
    fdt.property_u32("#size-cells", 0)?;
    for i in 0..spec.vcpus {
        // Aff3 is zero for every vCPU, so one cell holds the affinity.
        let reg = (vcpu_mpidr(i) & 0xff_ffff) as u32;
        let cpu = fdt.begin_node(&format!("cpu@{reg:x}"))?;
        fdt.property_string("device_type", "cpu")?;
        fdt.property_string("compatible", compatible)?;
        fdt.property_u32("reg", reg)?;
        fdt.property_string("enable-method", "psci")?;
        fdt.end_node(cpu)?;
    }
    fdt.end_node(node)?;
    Ok(())
}

pub fn psci(fdt: &mut FdtWriter) -> Result<(), GuestDtError> {
    let node = fdt.begin_node("psci")?;
    let compatible = vec![String::from("arm,psci-1.0"), String::from("arm,psci-0.2")];
    fdt.property_string_list("compatible", compatible)?;
    fdt.property_string("method", "hvc")?;
    fdt.end_node(node)?;
    Ok(())
}
