//! The management operations (`bulkhead_core::mgmt`) carried out on the
//! running partitions, for the console's command mode.

use crate::partition::{self, Pending};
use crate::supervise;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::mgmt::Host;
use bulkhead_core::snapshot::SnapshotError;
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

    fn is_manager(&self, _index: usize) -> bool {
        false
    }

    fn control(&mut self, index: usize, event: Event) -> Decision {
        match partition::get(index) {
            Some(cell) => supervise::decide(&mut cell.lock(), event),
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
        // Check the slot before anything stops.
        let (area, size, _) = p.snapshots.ok_or(SnapshotError::EmptySlot)?;
        let at = area.base.0 + u64::from(slot) * size;
        // SAFETY: the partition's reserved snapshot slot, read only here,
        // under its lock.
        let bytes = unsafe { core::slice::from_raw_parts(at as *const u8, size as usize) };
        bulkhead_core::snapshot::Snapshot::parse_with(bytes, &crate::arch::crc::crc32c_sum)?;
        crate::snapshot::request(&mut p, Pending::Restore(slot))
    }
}
