//! The management operations (`bulkhead_core::mgmt`) carried out on the
//! running partitions, for the console's command mode and for the manager
//! partition's hypercalls (by `hvc` or through its doorbell page).

use crate::partition::{self, Pending};
use crate::supervise;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::mgmt::Host;
use bulkhead_core::snapshot::{SnapshotError, Summary};
use bulkhead_core::supervisor::{Decision, Event, Status};

pub struct ConsoleHost {
    names: Vec<String>,
}

impl ConsoleHost {
    pub fn new() -> Self {
        ConsoleHost {
            names: partition::all()
                .iter()
                .map(|c| c.lock().name.clone())
                .collect(),
        }
    }
}

impl Host for ConsoleHost {
    fn partition_count(&self) -> usize {
        self.names.len()
    }

    fn name(&self, index: usize) -> Option<&str> {
        self.names.get(index).map(String::as_str)
    }

    fn status(&self, index: usize) -> Option<Status> {
        let now = crate::arch::cpu::uptime_us();
        partition::get(index).map(|c| c.lock().sup.status(now))
    }

    fn slots(&self, index: usize) -> u8 {
        partition::get(index)
            .and_then(|c| c.lock().snapshots)
            .map(|(_, _, n)| n)
            .unwrap_or(0)
    }

    fn is_manager(&self, index: usize) -> bool {
        partition::get(index).is_some_and(|c| c.lock().manager)
    }

    fn info_flags(&self, index: usize) -> u8 {
        use bulkhead_core::mgmt::info_flags::{OP_FAILED, OP_PENDING};
        partition::get(index).map_or(0, |c| {
            let p = c.lock();
            let mut f = 0;
            if p.pending.is_some() || p.state == partition::State::Pausing {
                f |= OP_PENDING;
            }
            if p.last_op_failed {
                f |= OP_FAILED;
            }
            f
        })
    }

    fn control(&mut self, index: usize, event: Event) -> Decision {
        match partition::get(index) {
            Some(cell) => {
                let mut p = cell.lock();
                // A snapshot or restore under way finishes first: a stop or
                // restart now would strand its held vCPUs.
                if p.state == partition::State::Pausing {
                    Decision::Nothing
                } else {
                    supervise::decide(&mut p, event)
                }
            }
            None => Decision::Nothing,
        }
    }

    fn snapshot(&mut self, index: usize, slot: u8) -> Result<(), SnapshotError> {
        let cell = partition::get(index).ok_or(SnapshotError::EmptySlot)?;
        crate::snapshot::request(&mut cell.lock(), Pending::Snapshot(slot))
    }

    fn restore(&mut self, index: usize, slot: u8) -> Result<(), SnapshotError> {
        let cell = partition::get(index).ok_or(SnapshotError::EmptySlot)?;
        let mut p = cell.lock();
        // The header and state sections before anything stops (not the
        // memory: the restore checks each region as it copies it).
        crate::snapshot::check_restore(&p, slot)?;
        crate::snapshot::request(&mut p, Pending::Restore(slot))
    }

    fn verify(&mut self, index: usize, slot: u8) -> Result<Summary, SnapshotError> {
        let cell = partition::get(index).ok_or(SnapshotError::EmptySlot)?;
        let p = cell.lock();
        crate::snapshot::verify(&p, slot)
    }
}

/// Carries out a management hypercall (x0..x3) of partition `caller`,
/// which the configuration marks as manager, and returns x0..x3. Called
/// with no partition lock held (so that an operation on the manager
/// itself, a verify of its own slot included, can lock it).
/// `execute_hypercall` checks the manager role again on every call; every
/// MGMT_COMMAND operation is logged on the console with its outcome, and a
/// refusal or failure with its reason.
pub fn manager_call(caller: usize, x: [u64; 4]) -> [u64; 4] {
    use bulkhead_core::mgmt::{
        decode_hypercall, execute_hypercall_explained, HvcStatus, Hypercall,
    };
    let mut host = ConsoleHost::new();
    let (results, why) = execute_hypercall_explained(&mut host, caller, x);
    if let Hypercall::Manage { op, index, slot } = decode_hypercall(x) {
        let me = host.name(caller).unwrap_or("?");
        let target = usize::try_from(index)
            .ok()
            .and_then(|i| host.name(i))
            .unwrap_or("?");
        let outcome = HvcStatus::from_x0(results[0]).map_or("invalid", HvcStatus::name);
        let why = why.map(|w| alloc::format!(" ({w})")).unwrap_or_default();
        crate::println!(
            "partition {caller} ({me}): manager: {} {target} (#{index}) slot {slot}: {outcome}{why}",
            op.name()
        );
    }
    results
}
