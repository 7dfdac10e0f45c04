//! [`validate`]: raw configuration + board + constraints in, checked
//! configuration or every error found out.
//!
//! The checks run in three passes: each partition on its own (names,
//! strings, policies, memory shapes), then what partitions share (cores,
//! devices, pages, interrupts, the consoles, the manager role), then
//! memory as a whole (fixed regions, placement of the others, snapshot
//! storage, guest-physical layout). A failed check records an error and
//! leaves the item out, so later checks still run on the rest; the checked
//! configuration is built only when no error was recorded.

mod boot;
mod console;
mod cpus;
mod devices;
pub(crate) mod free;
mod memory;
mod names;
mod reset;

use crate::checked::{
    AssignedCpu, Boot, Console, FaultPolicy, Images, PartitionConfig, PassthroughDevice,
    SnapshotStore, SystemConfig,
};
use crate::constraints::Constraints;
use crate::error::{ConfigError, ConfigErrors, ErrorKind, Location, PartRef, Place};
use crate::limits;
use crate::raw::RawSystem;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::hw::Hardware;

pub(crate) use free::{align_down, align_up};

/// Checks `raw` against the board `hw` and the `constraints`, chooses a base
/// for every memory region that has none, and returns the checked
/// configuration, or every error found.
pub fn validate(
    raw: &RawSystem,
    hw: &Hardware,
    constraints: &Constraints,
) -> Result<SystemConfig, ConfigErrors> {
    let mut c = Checker {
        hw,
        cons: constraints,
        errors: Vec::new(),
    };
    let max = constraints.max_partitions.min(limits::MAX_PARTITIONS);
    if raw.partitions.is_empty() {
        c.system(ErrorKind::NoPartitions);
    } else if raw.partitions.len() > max {
        c.system(ErrorKind::TooManyPartitions {
            count: raw.partitions.len(),
            max,
        });
    }
    let hyp_console = console::hypervisor(&mut c, raw.hypervisor.console.as_deref());

    let mut shared = Shared::default();
    let mut drafts = Vec::with_capacity(raw.partitions.len());
    for (index, p) in raw.partitions.iter().enumerate() {
        let part = PartRef {
            index,
            name: p.name.clone(),
        };
        names::check(&mut c, &part, raw.partitions.get(..index).unwrap_or(&[]));
        let images = names::images(&mut c, &part, p);
        let bootargs = names::bootargs(&mut c, &part, p.bootargs.as_deref());
        let cpus = cpus::resolve(&mut c, &part, p, &mut shared.cpus);
        let devices = devices::resolve(
            &mut c,
            &part,
            &p.devices,
            hyp_console.as_ref(),
            &mut shared.devices,
        );
        let mut devices = devices;
        reset::resolve(&mut c, &part, &p.reset_on_restore, &p.devices, &mut devices);
        let console = console::partition(&mut c, &part, p.console.as_deref(), &p.devices, &devices);
        let boot = boot::protocol(&mut c, &part, p);
        let on_fault = boot::fault_policy(&mut c, &part, p);
        let watchdog_ms = boot::watchdog(&mut c, &part, p.watchdog_ms);
        let snapshot_slots = boot::snapshot_slots(&mut c, &part, p.snapshot_slots);
        if p.manager {
            match &shared.manager {
                Some(first) => c.part(
                    &part,
                    "manager",
                    ErrorKind::SecondManager {
                        first: first.clone(),
                    },
                ),
                None => shared.manager = Some(part.clone()),
            }
        }
        let regions = memory::shape(&mut c, &part, &p.memory);
        drafts.push(Draft {
            part,
            cpus,
            regions,
            devices,
            images,
            bootargs,
            boot,
            console,
            on_fault,
            watchdog_ms,
            manager: p.manager,
            snapshot_slots,
            snapshot_area: None,
        });
    }
    memory::place_and_check(&mut c, &mut drafts, &shared.devices);

    if !c.errors.is_empty() {
        return Err(ConfigErrors(c.errors));
    }
    Ok(SystemConfig {
        console: hyp_console,
        partitions: drafts.into_iter().map(Draft::finish).collect(),
    })
}

/// The board, the constraints, and the errors found so far.
pub(crate) struct Checker<'a> {
    pub hw: &'a Hardware,
    pub cons: &'a Constraints,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    pub(crate) fn system(&mut self, kind: ErrorKind) {
        self.errors.push(ConfigError {
            at: Location::System,
            kind,
        });
    }

    pub(crate) fn hyp(&mut self, field: &'static str, kind: ErrorKind) {
        self.errors.push(ConfigError {
            at: Location::Hypervisor(field),
            kind,
        });
    }

    pub(crate) fn part(&mut self, part: &PartRef, field: impl Into<String>, kind: ErrorKind) {
        self.errors.push(ConfigError {
            at: Location::Partition(place(part, field)),
            kind,
        });
    }
}

pub(crate) fn place(part: &PartRef, field: impl Into<String>) -> Place {
    Place {
        part: part.clone(),
        field: field.into(),
    }
}

/// What partitions compete for, filled as they are checked in order.
#[derive(Default)]
struct Shared {
    cpus: Vec<(u64, Place)>,
    devices: Vec<devices::Owned>,
    manager: Option<PartRef>,
}

/// A partition while it is being checked.
pub(crate) struct Draft {
    pub part: PartRef,
    pub cpus: Vec<AssignedCpu>,
    pub regions: Vec<memory::RegionDraft>,
    pub devices: Vec<PassthroughDevice>,
    pub images: Images,
    pub bootargs: String,
    pub boot: Boot,
    pub console: Console,
    pub on_fault: FaultPolicy,
    pub watchdog_ms: Option<u32>,
    pub manager: bool,
    pub snapshot_slots: u32,
    pub snapshot_area: Option<SnapshotStore>,
}

impl Draft {
    fn finish(self) -> PartitionConfig {
        PartitionConfig {
            name: self.part.name,
            cpus: self.cpus,
            memory: self
                .regions
                .iter()
                .filter_map(memory::RegionDraft::placed)
                .collect(),
            devices: self.devices,
            images: self.images,
            bootargs: self.bootargs,
            boot: self.boot,
            console: self.console,
            on_fault: self.on_fault,
            watchdog_ms: self.watchdog_ms,
            manager: self.manager,
            snapshots: self.snapshot_area,
        }
    }
}
