//! The interrupt controller: the first enabled GIC among the devices.

use super::devices::Devices;
use super::error::DtError;
use super::irq::{GIC_V2, GIC_V3};
use super::tree::Tree;
use crate::hw::Gic;

/// GICv3 (`arm,gic-v3`): `reg` is the distributor, then
/// `#redistributor-regions` (default 1) redistributor regions, then
/// optional GICv2-compatibility frames. GICv2 (`arm,gic-400`,
/// `arm,cortex-a15-gic`, ...): `reg` is GICD, GICC and, when the GIC has
/// the virtualization extensions, GICH and GICV. The maintenance interrupt
/// is the node's first interrupt.
pub fn gic(tree: &Tree<'_, '_>, found: &Devices) -> Result<Option<Gic>, DtError> {
    for (device, &index) in found.devices.iter().zip(&found.nodes) {
        let Some(node) = tree.get(index) else {
            continue;
        };
        if !device.enabled {
            continue;
        }
        let regs = &device.regs;
        let maintenance = device.interrupts.first().copied();
        if node.is_compatible(GIC_V3) {
            let count = node.u32_prop("#redistributor-regions")?.unwrap_or(1);
            let redistributors = usize::try_from(count)
                .ok()
                .filter(|&n| n > 0)
                .and_then(|n| regs.get(1..n.checked_add(1)?));
            let Some(redistributors) = redistributors else {
                return Err(DtError::Value {
                    path: device.path.clone(),
                    property: "#redistributor-regions",
                    value: u64::from(count),
                    problem: "is 0 or more than the reg entries after the distributor",
                });
            };
            let Some(&distributor) = regs.first() else {
                continue;
            };
            return Ok(Some(Gic::V3 {
                distributor,
                redistributors: redistributors.to_vec(),
                maintenance,
            }));
        }
        if node.is_compatible(GIC_V2) {
            let (Some(&distributor), Some(&cpu_interface)) = (regs.first(), regs.get(1)) else {
                return Err(DtError::Invalid {
                    path: device.path.clone(),
                    property: "reg",
                    problem: "lists fewer than the two regions GICD and GICC",
                });
            };
            return Ok(Some(Gic::V2 {
                distributor,
                cpu_interface,
                hyp_interface: regs.get(2).copied(),
                virt_cpu_interface: regs.get(3).copied(),
                maintenance,
            }));
        }
    }
    Ok(None)
}
