//! CPU nodes under /cpus and the PSCI firmware node.

use super::cells::{self, cells};
use super::error::DtError;
use super::tree::Tree;
use crate::hw::{Conduit, Cpu, EnableMethod, Psci};
use alloc::string::String;
use alloc::vec::Vec;

/// MPIDR_EL1's affinity fields: Aff3 (39:32) and Aff2..Aff0 (23:0).
const MPIDR_AFFINITY: u64 = 0xff_00ff_ffff;

/// PSCI 0.2's standard CPU_ON function id (SMC64 calling convention).
pub const PSCI_CPU_ON_64: u32 = 0xc400_0003;

/// The CPU nodes: children of /cpus with `device_type = "cpu"` (or named
/// `cpu@...` without a device_type), in tree order.
pub fn cpus(tree: &Tree<'_, '_>) -> Result<Vec<Cpu>, DtError> {
    let parent = tree.top_level("cpus").next().ok_or(DtError::NoCpus)?;
    let address_cells = tree.cells_of(parent)?.address;
    if !(1..=2).contains(&address_cells) {
        return Err(DtError::Value {
            path: tree.get(parent).map(|n| n.path.clone()).unwrap_or_default(),
            property: "#address-cells",
            value: u64::from(address_cells),
            problem: "is not 1 or 2",
        });
    }
    let mut out: Vec<Cpu> = Vec::new();
    for index in tree.children(parent) {
        let Some(node) = tree.get(index) else {
            continue;
        };
        let is_cpu = match node.str_prop("device_type") {
            Some(t) => t == "cpu",
            None => !node.has("device_type") && node.base_name() == "cpu",
        };
        if !is_cpu {
            continue;
        }
        let reg = node.prop("reg").ok_or_else(|| DtError::Missing {
            path: node.path.clone(),
            property: "reg",
        })?;
        if reg.len() != address_cells as usize * 4 {
            return Err(DtError::Cells {
                path: node.path.clone(),
                property: "reg",
                cells: reg.len() / 4,
                expected: if address_cells == 1 { "1" } else { "2" },
            });
        }
        let mpidr = cells(reg).fold(0u64, |acc, c| (acc << 32) | u64::from(c));
        if mpidr & !MPIDR_AFFINITY != 0 {
            return Err(DtError::Value {
                path: node.path.clone(),
                property: "reg",
                value: mpidr,
                problem: "has bits outside the MPIDR affinity fields",
            });
        }
        if out.iter().any(|c| c.mpidr == mpidr) {
            return Err(DtError::Value {
                path: node.path.clone(),
                property: "reg",
                value: mpidr,
                problem: "is the MPIDR of an earlier cpu node too",
            });
        }
        let enable_method = match node.str_prop("enable-method") {
            Some("psci") => EnableMethod::Psci,
            Some("spin-table") => {
                let value = node
                    .prop("cpu-release-addr")
                    .ok_or_else(|| DtError::Missing {
                        path: node.path.clone(),
                        property: "cpu-release-addr",
                    })?;
                let release_addr = cells::u64_value(value).ok_or_else(|| DtError::Cells {
                    path: node.path.clone(),
                    property: "cpu-release-addr",
                    cells: value.len() / 4,
                    expected: "1 or 2",
                })?;
                EnableMethod::SpinTable { release_addr }
            }
            _ => EnableMethod::None,
        };
        out.push(Cpu {
            name: String::from(node.name),
            mpidr,
            enable_method,
        });
    }
    if out.is_empty() {
        return Err(DtError::NoCpuNodes);
    }
    Ok(out)
}

/// The first enabled PSCI node (`arm,psci-1.0`, `arm,psci-0.2` or the
/// legacy `arm,psci`), wherever it sits (usually /psci).
pub fn psci(tree: &Tree<'_, '_>) -> Result<Option<Psci>, DtError> {
    const MODERN: &[&str] = &["arm,psci-1.0", "arm,psci-0.2"];
    let found = tree
        .nodes
        .iter()
        .find(|n| n.enabled() && (n.is_compatible(MODERN) || n.is_compatible(&["arm,psci"])));
    let Some(node) = found else {
        return Ok(None);
    };
    let conduit = match node.str_prop("method") {
        Some("smc") => Conduit::Smc,
        Some("hvc") => Conduit::Hvc,
        Some(_) => {
            return Err(DtError::Invalid {
                path: node.path.clone(),
                property: "method",
                problem: "is neither \"smc\" nor \"hvc\"",
            })
        }
        None => {
            return Err(DtError::Missing {
                path: node.path.clone(),
                property: "method",
            })
        }
    };
    let v0_2_or_later = node.is_compatible(MODERN);
    let cpu_on = if v0_2_or_later {
        PSCI_CPU_ON_64
    } else {
        node.u32_prop("cpu_on")?.ok_or_else(|| DtError::Missing {
            path: node.path.clone(),
            property: "cpu_on",
        })?
    };
    Ok(Some(Psci {
        conduit,
        v0_2_or_later,
        cpu_on,
    }))
}
