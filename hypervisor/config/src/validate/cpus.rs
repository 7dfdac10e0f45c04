//! Cores: given by node name or MPIDR, existing, supported, given once.

use super::{place, Checker};
use crate::checked::AssignedCpu;
use crate::error::{ErrorKind, PartRef, Place};
use crate::limits::MAX_CPUS_PER_PARTITION;
use crate::raw::RawPartition;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::hw::Cpu;

enum Asked<'a> {
    Name(&'a str),
    Mpidr(u64),
}

/// The partition's cores in vCPU order. `taken` records every core given
/// so far, with where.
pub(super) fn resolve(
    c: &mut Checker<'_>,
    part: &PartRef,
    p: &RawPartition,
    taken: &mut Vec<(u64, Place)>,
) -> Vec<AssignedCpu> {
    let (field, asked): (&str, Vec<Asked<'_>>) = match (&p.cpus, &p.mpidrs) {
        (Some(_), Some(_)) => {
            c.part(part, "cpus", ErrorKind::CpusAndMpidrs);
            return Vec::new();
        }
        (Some(names), None) => ("cpus", names.iter().map(|n| Asked::Name(n)).collect()),
        (None, Some(ids)) => ("mpidrs", ids.iter().map(|m| Asked::Mpidr(*m)).collect()),
        (None, None) => ("cpus", Vec::new()),
    };
    if asked.is_empty() {
        c.part(part, field, ErrorKind::NoCpus);
        return Vec::new();
    }
    if asked.len() > MAX_CPUS_PER_PARTITION {
        c.part(
            part,
            field,
            ErrorKind::TooMany {
                count: asked.len(),
                max: MAX_CPUS_PER_PARTITION,
            },
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(asked.len());
    for (i, a) in asked.iter().enumerate() {
        let here = format!("{field}[{i}]");
        let found = c.hw.cpus.iter().enumerate().find(|(_, cpu)| match a {
            Asked::Name(n) => cpu.name == *n,
            Asked::Mpidr(m) => cpu.mpidr == *m,
        });
        let Some((board_index, cpu)) = found else {
            let kind = unknown(a, &c.hw.cpus);
            c.part(part, here, kind);
            continue;
        };
        let label = format!("{} (MPIDR {:#x})", cpu.name, cpu.mpidr);
        if board_index >= c.cons.max_cpus {
            let max = c.cons.max_cpus;
            c.part(
                part,
                here.clone(),
                ErrorKind::CpuUnsupported {
                    cpu: label.clone(),
                    index: board_index,
                    max,
                },
            );
        }
        if let Some((_, first)) = taken.iter().find(|(m, _)| *m == cpu.mpidr) {
            let first = first.clone();
            c.part(part, here, ErrorKind::CpuTaken { cpu: label, first });
            continue;
        }
        taken.push((cpu.mpidr, place(part, here)));
        out.push(AssignedCpu {
            name: cpu.name.clone(),
            mpidr: cpu.mpidr,
            board_index,
        });
    }
    out
}

fn unknown(asked: &Asked<'_>, board: &[Cpu]) -> ErrorKind {
    match asked {
        Asked::Name(n) => ErrorKind::UnknownCpu {
            asked: format!("{n:?}"),
            board: board.iter().map(|c| c.name.clone()).collect(),
        },
        Asked::Mpidr(m) => ErrorKind::UnknownCpu {
            asked: format!("core with MPIDR {m:#x}"),
            board: board
                .iter()
                .map(|c| format!("{} = {:#x}", c.name, c.mpidr))
                .collect::<Vec<String>>(),
        },
    }
}
