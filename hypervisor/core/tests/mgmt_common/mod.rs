//! A simulated system for the management tests: three partitions with
//! supervisors, memory, and snapshot slots written with the real format.

#![allow(dead_code)]

use bulkhead_core::mgmt::Host;
use bulkhead_core::snapshot::{
    GicCpuState, GicVersion, MemoryRegion, Snapshot, SnapshotError, SnapshotInfo, SnapshotWriter,
    Summary, VcpuState,
};
use bulkhead_core::supervisor::{
    Decision, Event, FaultKind, OnFault, Policy, RestartLimits, State, Status, Supervisor,
};

pub const S: u64 = 1_000_000;
const FREQ: u32 = 62_500_000;
const REGION: MemoryRegion = MemoryRegion {
    guest_base: 0x4000_0000,
    size: 4096,
};

pub struct FakeHost {
    pub now: u64,
    pub names: Vec<&'static str>,
    pub sups: Vec<Supervisor>,
    pub memory: Vec<Vec<u8>>,
    /// slots[partition][slot]
    pub slots: Vec<Vec<Vec<u8>>>,
    pub manager: usize,
    /// Every decision carried out, for assertions.
    pub decisions: Vec<(usize, Decision)>,
}

impl FakeHost {
    /// linux0 (restart policy, 2 slots), rtos (restart, no slots), mgr
    /// (the manager, stop policy).
    pub fn new() -> Self {
        let restart = Policy {
            on_fault: OnFault::Restart(RestartLimits::DEFAULT),
            watchdog_ms: Some(1000),
        };
        let stop = Policy {
            on_fault: OnFault::Stop,
            watchdog_ms: None,
        };
        FakeHost {
            now: 0,
            names: vec!["linux0", "rtos", "mgr"],
            sups: vec![
                Supervisor::new(restart, 0),
                Supervisor::new(restart, 0),
                Supervisor::new(stop, 0),
            ],
            memory: vec![vec![0; 4096]; 3],
            slots: vec![vec![vec![0; 64 * 1024]; 2], vec![], vec![]],
            manager: 2,
            decisions: Vec::new(),
        }
    }

    pub fn state(&self, i: usize) -> State {
        self.sups[i].state()
    }

    pub fn generation(&self, i: usize) -> u64 {
        self.sups[i].generation().0
    }

    /// Finishes a restart in progress as soon as the back-off allows.
    pub fn boot(&mut self, i: usize) {
        if let State::Restarting { not_before, .. } = self.sups[i].state() {
            self.now = self.now.max(not_before);
            self.sups[i].started(self.now).expect("restarting");
        }
    }

    pub fn fault(&mut self, i: usize, kind: FaultKind) -> Decision {
        self.control(i, Event::Fault(kind))
    }

    /// Faults partition `i` right after every start until it is held.
    pub fn crash_loop(&mut self, i: usize) {
        for _ in 0..10 {
            self.now += 1000;
            if self.fault(i, FaultKind::Unhandled) == Decision::Hold {
                return;
            }
            self.boot(i);
        }
        panic!("never held");
    }
}

impl Host for FakeHost {
    fn partition_count(&self) -> usize {
        self.names.len()
    }
    fn name(&self, index: usize) -> Option<&str> {
        self.names.get(index).copied()
    }
    fn status(&self, index: usize) -> Option<Status> {
        self.sups.get(index).map(|s| s.status(self.now))
    }
    fn slots(&self, index: usize) -> u8 {
        self.slots.get(index).map_or(0, |s| s.len() as u8)
    }
    fn is_manager(&self, index: usize) -> bool {
        index == self.manager
    }
    fn control(&mut self, index: usize, event: Event) -> Decision {
        let d = self.sups[index].handle(self.now, event);
        self.decisions.push((index, d));
        d
    }
    fn snapshot(&mut self, index: usize, slot: u8) -> Result<(), SnapshotError> {
        let info = SnapshotInfo {
            name: self.names[index],
            generation: self.sups[index].generation().0,
            counter_at_save: self.now,
            counter_freq: FREQ,
            vcpus: 1,
            devices: 0,
            regions: &[REGION],
        };
        let memory = self.memory[index].clone();
        let mut w = SnapshotWriter::new(&mut self.slots[index][usize::from(slot)], &info)?;
        w.write_vcpu(0, &VcpuState::default())?;
        w.write_gic_cpu(
            0,
            &GicCpuState {
                version: GicVersion::V3,
                hcr: 0,
                vmcr: 0,
                ap0r: [0; 4],
                ap1r: [0; 4],
                lrs: vec![],
            },
        )?;
        w.write_distributor(&[])?;
        w.write_memory(0, &memory)?;
        w.finish().map(|_| ())
    }
    fn verify(&mut self, index: usize, slot: u8) -> Result<Summary, SnapshotError> {
        let snap = Snapshot::parse(&self.slots[index][usize::from(slot)])?;
        snap.check_fits(self.names[index], &[REGION], 1, FREQ)?;
        Ok(snap.summary())
    }
    fn restore(&mut self, index: usize, slot: u8) -> Result<(), SnapshotError> {
        let bytes = self.slots[index][usize::from(slot)].clone();
        let snap = Snapshot::parse(&bytes)?;
        snap.check_fits(self.names[index], &[REGION], 1, FREQ)?;
        if let Decision::Restart { .. } = self.control(index, Event::ManagementRestart) {
            self.memory[index].copy_from_slice(snap.memory(0).unwrap_or(&[]));
        }
        Ok(())
    }
}
