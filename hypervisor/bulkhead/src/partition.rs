//! Running partitions: what Bulkhead keeps about each one at run time.
//!
//! The table is built once at boot from the validated configuration and
//! never grows; each entry has its own lock, taken briefly by the trap
//! handlers of that partition's cores (and by management operations).

use crate::vconsole::LineBuffer;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_core::addr::MemRange;
use bulkhead_core::vpl011::VirtPl011;
use spin::{Mutex, Once};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Running,
    /// Its vCPUs are leaving; `supervise::tick` reloads and starts it.
    Restarting,
    /// Its vCPUs are being held at EL2 for a snapshot or a restore
    /// (`Partition::pending`); `supervise::tick` carries it out.
    Pausing,
    /// Stopped by SYSTEM_OFF, by policy, held, or on request.
    Stopped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    Snapshot(u8),
    Restore(u8),
}

/// What a restart needs to boot the partition again from scratch: the
/// memory to scrub and the pristine images (slices of the boot bundle,
/// which stays in memory untouched) with where they go.
pub struct BootImage {
    pub scrub: Vec<MemRange>,
    pub loads: Vec<(u64, &'static [u8])>,
    pub vgic: bulkhead_core::vgic::VgicConfig,
}

/// The emulated console of a partition without a physical UART.
pub struct EmulatedConsole {
    pub window: MemRange,
    pub uart: VirtPl011,
    pub line: LineBuffer,
    /// Typed input the UART's FIFO has no room for yet; moved in as the
    /// guest reads (`refill`), so a pasted line is not cut.
    pub pending: alloc::collections::VecDeque<u8>,
}

/// Most typed bytes held for a partition beyond its UART's FIFO.
pub const INPUT_QUEUE: usize = 4096;

impl EmulatedConsole {
    /// Moves held input into the UART's FIFO while it has room.
    pub fn refill(&mut self) {
        while let Some(&b) = self.pending.front() {
            if !self.uart.push_input(b) {
                break;
            }
            self.pending.pop_front();
        }
    }
}

pub struct Partition {
    pub id: usize,
    pub name: String,
    /// `cores[i]` is the logical core that runs vCPU `i`.
    pub cores: Vec<usize>,
    pub memory: Vec<MemRange>,
    pub vttbr: u64,
    pub vtcr: u64,
    /// Where vCPU 0 starts, and the guest-physical address of its device
    /// tree (x0 at entry).
    pub entry: u64,
    pub dtb: u64,
    pub console: Option<EmulatedConsole>,
    pub state: State,
    pub faults: u64,
    pub traps: u64,
    /// WFI traps: times the guest went idle.
    pub idle_waits: u64,
    /// Synchronous exits by exception class (ESR_EL2.EC), for the status
    /// view and for finding what a guest costs.
    pub exits_by_class: [u64; 64],
    /// Start (µs since reset) and count of the current one-second window
    /// of faults, for exception-storm detection.
    pub storm_window: (u64, u32),
    /// The partition's virtual GIC.
    pub vgic: bulkhead_core::vgic::Vgic,
    /// Guest-physical windows of the emulated distributor and (GICv3)
    /// redistributors.
    pub gic_dist: MemRange,
    pub gic_redist: Option<MemRange>,
    /// The emulated console's interrupt line.
    pub console_intid: Option<u32>,
    /// Per vCPU: linked PPIs (the virtual timer) the guest has enabled.
    pub ppi_want: Vec<u32>,
    /// Physical interrupts delivered to the partition, by INTID.
    pub irq_counts: alloc::collections::BTreeMap<u32, u64>,
    /// The restart policy and lifecycle (`bulkhead_core::supervisor`).
    pub sup: bulkhead_core::supervisor::Supervisor,
    /// May use the management hypercalls.
    pub manager: bool,
    /// The registers of the manager's doorbell page
    /// (`bulkhead_core::mgmt::doorbell`, at its `GUEST_BASE`); used only
    /// when `manager` is set: for every other partition that address is
    /// unmapped like any other.
    pub doorbell: bulkhead_core::mgmt::doorbell::Doorbell,
    /// The last snapshot or restore of this partition failed.
    pub last_op_failed: bool,
    /// The snapshot or restore waiting for the vCPUs to be held.
    pub pending: Option<Pending>,
    /// Per vCPU: the state it was held with (None: it was off), and its
    /// GIC CPU interface.
    pub held: Vec<
        Option<(
            bulkhead_core::snapshot::VcpuState,
            bulkhead_core::snapshot::GicCpuState,
        )>,
    >,
    /// Snapshot slots in RAM the configuration reserved: (area, slot size,
    /// slot count).
    pub snapshots: Option<(MemRange, u64, u8)>,
    /// The physical counter when the snapshot being restored was taken.
    pub restore_counter: Option<u64>,
    /// Passed-through devices: their state lives in the hardware, so a
    /// snapshot of this partition could not be faithful unless its
    /// configuration resets each on restore (`reset_on_restore`). Those
    /// with a known reset method are also reset on a restart or stop.
    pub devices: Vec<crate::devreset::DeviceReset>,
    /// Whether `devices` have been reset since the partition last ran
    /// (a stopped partition's are, once its vCPUs are off).
    pub quiesced: bool,
    /// The state a snapshot or restore under way leaves the partition in
    /// (`Stopped` for a snapshot of a stopped partition).
    pub after_pause: State,
    pub boot: BootImage,
}

impl Partition {
    /// Back to the state of a fresh boot, for a restart: virtual GIC,
    /// emulated console, doorbell, linked PPIs, storm window.
    pub fn reset_runtime(&mut self) {
        if let Ok(v) = bulkhead_core::vgic::Vgic::new(self.boot.vgic.clone()) {
            self.vgic = v;
        }
        if let Some(c) = self.console.as_mut() {
            c.uart = VirtPl011::default();
            c.line = LineBuffer::new();
            c.pending.clear();
        }
        self.doorbell = bulkhead_core::mgmt::doorbell::Doorbell::default();
        for w in self.ppi_want.iter_mut() {
            *w = 0;
        }
        self.storm_window = (0, 0);
    }
}

/// More faults than this within one second is an exception storm: the
/// partition is stopped whatever its policy, so that a guest stuck in a
/// fault loop cannot keep a core and the console busy.
pub const STORM_LIMIT: u32 = 20;

static PARTITIONS: Once<Vec<Mutex<Partition>>> = Once::new();

/// Installs the partition table (once, at boot).
pub fn install(partitions: Vec<Partition>) {
    PARTITIONS.call_once(|| partitions.into_iter().map(Mutex::new).collect());
}

pub fn all() -> &'static [Mutex<Partition>] {
    PARTITIONS.get().map(Vec::as_slice).unwrap_or(&[])
}

pub fn get(id: usize) -> Option<&'static Mutex<Partition>> {
    all().get(id)
}
