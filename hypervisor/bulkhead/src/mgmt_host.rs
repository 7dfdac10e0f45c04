//! The management operations (`bulkhead_core::mgmt`) carried out on the
//! running partitions, for the console's command mode.

use crate::partition;
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

    fn slots(&self, _index: usize) -> u8 {
        0
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

    fn snapshot(&mut self, _index: usize, _slot: u8) -> Result<(), SnapshotError> {
        Err(SnapshotError::EmptySlot)
    }

    fn restore(&mut self, _index: usize, _slot: u8) -> Result<(), SnapshotError> {
        Err(SnapshotError::EmptySlot)
    }
}
