//! Carrying out a command against the running system. The hypervisor
//! implements [`Host`]; the rules of what may be done in which state are
//! here, the same for the console, the serial host tool and the manager's
//! hypercalls.

use super::command::{Command, Op, Target, MAX_SLOTS};
use super::help::HELP;
use super::hvc_status::{failure_of, HvcStatus, PackedInfo};
use super::hypercall::{decode_hypercall, Hypercall, REVISION_MAJOR, REVISION_MINOR, UID};
use super::report::{list_line, status_lines};
use super::response::Response;
use super::verify::{self, VerifiedSlot};
use crate::snapshot::{SnapshotError, Summary};
use crate::supervisor::{Decision, Event, FaultKind, State, Status};
use core::fmt;

/// What the management code needs from the hypervisor.
pub trait Host {
    fn partition_count(&self) -> usize;
    fn name(&self, index: usize) -> Option<&str>;
    /// The partition's supervisor status now.
    fn status(&self, index: usize) -> Option<Status>;
    /// Snapshot slots the partition has (0 to 4).
    fn slots(&self, index: usize) -> u8;
    fn is_manager(&self, index: usize) -> bool;
    /// Hands `event` to the partition's supervisor and carries out its
    /// decision (parks cores, starts the reload, injects the abort).
    fn control(&mut self, index: usize, event: Event) -> Decision;
    /// Pauses the partition, writes slot `slot`, resumes it if it was
    /// running.
    fn snapshot(&mut self, index: usize, slot: u8) -> Result<(), SnapshotError>;
    /// Checks slot `slot` before anything stops (at least its header and
    /// state sections: `Snapshot::parse_state_with`, `check_fits`), then
    /// starts putting the partition back into it; the hypervisor checks
    /// each memory region as it copies it.
    fn restore(&mut self, index: usize, slot: u8) -> Result<(), SnapshotError>;
    /// Checks slot `slot` completely (`Snapshot::parse_with`: every
    /// section's checksum, the memory's included; `check_fits`) without
    /// touching the partition, and says what it holds.
    fn verify(&mut self, _index: usize, _slot: u8) -> Result<Summary, SnapshotError> {
        Err(SnapshotError::Unsupported("verify"))
    }
    /// PARTITION_INFO's flags ([`super::info_flags`]): a snapshot or
    /// restore under way, the last one failed. None by default.
    fn info_flags(&self, _index: usize) -> u8 {
        0
    }
}

/// Why an operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    NoSuchPartition,
    NoSuchSlot {
        slots: u8,
    },
    /// Restarting: try again when it runs.
    Busy,
    /// A snapshot or restore of it is under way (it is paused): try again
    /// when that is done.
    Paused,
    AlreadyRunning,
    NotRunning,
    /// Held after a crash loop: only `start` runs it again.
    Held,
    Snapshot(SnapshotError),
    /// The supervisor decided nothing (cannot happen with the checks here).
    Refused,
}

impl Refusal {
    pub fn status(self) -> HvcStatus {
        match self {
            Refusal::NoSuchPartition => HvcStatus::NoSuchPartition,
            Refusal::NoSuchSlot { .. } => HvcStatus::NoSuchSlot,
            Refusal::Busy | Refusal::Paused => HvcStatus::Busy,
            Refusal::AlreadyRunning | Refusal::NotRunning | Refusal::Held | Refusal::Refused => {
                HvcStatus::WrongState
            }
            Refusal::Snapshot(_) => HvcStatus::Failed,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NoSuchPartition => write!(f, "no such partition (try list)"),
            Refusal::NoSuchSlot { slots: 0 } => {
                write!(
                    f,
                    "this partition has no snapshot slots (snapshot_slots = 0)"
                )
            }
            Refusal::NoSuchSlot { slots } => write!(
                f,
                "no such snapshot slot: this partition has slots 0 to {}",
                slots.saturating_sub(1)
            ),
            Refusal::Busy => write!(f, "busy: the partition is restarting"),
            Refusal::Paused => write!(f, "busy: a snapshot or restore of it is under way"),
            Refusal::AlreadyRunning => write!(f, "already running"),
            Refusal::NotRunning => write!(f, "not running"),
            Refusal::Held => write!(f, "held after a crash loop: use start to run it again"),
            Refusal::Snapshot(e) => write!(f, "{e}"),
            Refusal::Refused => write!(f, "refused in this state"),
        }
    }
}

/// What an operation that was not refused gives back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    /// Carried out (stop, start, restart), or under way (snapshot, restore:
    /// the hypervisor finishes them once the partition is paused).
    Started,
    /// `verify`: the slot is whole, and holds this.
    Verified(Summary),
}

/// One operation on partition `index`.
pub fn perform<H: Host>(host: &mut H, op: Op, index: usize, slot: u8) -> Result<Done, Refusal> {
    let status = host.status(index).ok_or(Refusal::NoSuchPartition)?;
    let state = status.state;
    let event = match (op, state) {
        // Reads the slot only: any state, restarting included.
        (Op::Verify, _) => return verify::check(host, index, slot).map(Done::Verified),
        // Paused for a snapshot or restore: that finishes first.
        _ if host.info_flags(index) & super::info_flags::OP_PENDING != 0 => {
            return Err(Refusal::Paused)
        }
        (_, State::Restarting { .. }) if op != Op::Stop => return Err(Refusal::Busy),
        (Op::Stop, State::Running { .. } | State::Restarting { .. }) => Event::ManagementStop,
        (Op::Stop, State::Stopped { .. } | State::Held { .. }) => return Err(Refusal::NotRunning),
        (Op::Start, State::Stopped { .. } | State::Held { .. }) => Event::ManagementStart,
        (Op::Start, _) => return Err(Refusal::AlreadyRunning),
        (Op::Restart | Op::Restore, State::Held { .. }) => return Err(Refusal::Held),
        (Op::Restart, _) => Event::ManagementRestart,
        (Op::Snapshot | Op::Restore, _) => {
            let slots = host.slots(index).min(MAX_SLOTS);
            if slot >= slots {
                return Err(Refusal::NoSuchSlot { slots });
            }
            let r = if op == Op::Snapshot {
                host.snapshot(index, slot)
            } else {
                host.restore(index, slot)
            };
            return r.map(|()| Done::Started).map_err(Refusal::Snapshot);
        }
    };
    match host.control(index, event) {
        Decision::Nothing => Err(Refusal::Refused),
        _ => Ok(Done::Started),
    }
}

fn resolve<H: Host>(host: &H, target: &Target) -> Option<usize> {
    match target {
        Target::Index(i) => (*i < host.partition_count()).then_some(*i),
        Target::Name(n) => (0..host.partition_count()).find(|&i| host.name(i) == Some(n.as_str())),
    }
}

fn status_into<H: Host>(host: &H, index: usize, r: &mut Response) -> bool {
    match (host.name(index), host.status(index)) {
        (Some(name), Some(status)) => {
            for l in status_lines(index, name, &status) {
                r.line(&l);
            }
            true
        }
        _ => false,
    }
}

/// Carries out a text command and answers it.
pub fn execute<H: Host>(host: &mut H, command: &Command) -> Response {
    match command {
        Command::Help => HELP.iter().fold(Response::ok(), |r, l| r.with_line(l)),
        Command::List => {
            let mut r = Response::ok();
            for i in 0..host.partition_count() {
                if let (Some(name), Some(status)) = (host.name(i), host.status(i)) {
                    r.line(&list_line(i, name, &status));
                }
            }
            r
        }
        Command::Status(None) => {
            let mut r = Response::ok();
            for i in 0..host.partition_count() {
                status_into(host, i, &mut r);
            }
            r
        }
        Command::Status(Some(t)) => {
            let mut r = Response::ok();
            match resolve(host, t) {
                Some(i) if status_into(host, i, &mut r) => r,
                _ => Response::error(format_args!("{t}: {}", Refusal::NoSuchPartition)),
            }
        }
        Command::Manage { op, target, slot } => {
            let result = match resolve(host, target) {
                Some(i) => perform(host, *op, i, *slot),
                None => Err(Refusal::NoSuchPartition),
            };
            match result {
                Ok(Done::Started) => Response::ok(),
                Ok(Done::Verified(s)) => Response::ok().with_line(&verify::summary_line(*slot, &s)),
                Err(e) => Response::error(format_args!("{} {target}: {e}", op.name())),
            }
        }
    }
}

/// Carries out a hypercall from partition `caller` (x0..x3) and returns
/// x0..x3. WATCHDOG_KICK and GUEST_PANIC act on the caller; the
/// PARTITION_* and MGMT_COMMAND calls are the manager's only.
pub fn execute_hypercall<H: Host>(host: &mut H, caller: usize, x: [u64; 4]) -> [u64; 4] {
    execute_hypercall_explained(host, caller, x).0
}

/// [`execute_hypercall`], and why an MGMT_COMMAND that got to its
/// operation was refused or failed (in words, for the hypervisor's log:
/// the status in x0 says less).
pub fn execute_hypercall_explained<H: Host>(
    host: &mut H,
    caller: usize,
    x: [u64; 4],
) -> ([u64; 4], Option<Refusal>) {
    let status = |s: HvcStatus| [s.to_x0(), 0, 0, 0];
    let call = decode_hypercall(x);
    let manager_only = matches!(
        call,
        Hypercall::PartitionCount
            | Hypercall::PartitionInfo { .. }
            | Hypercall::PartitionName { .. }
            | Hypercall::Manage { .. }
    );
    if manager_only && !host.is_manager(caller) {
        return (status(HvcStatus::NotManager), None);
    }
    let index = |i: u64| {
        usize::try_from(i)
            .ok()
            .filter(|&i| i < host.partition_count())
    };
    let results = match call {
        Hypercall::CallUid => UID.map(u64::from),
        Hypercall::Revision => [REVISION_MAJOR, REVISION_MINOR, 0, 0],
        Hypercall::WatchdogKick => {
            host.control(caller, Event::WatchdogKick);
            status(HvcStatus::Ok)
        }
        Hypercall::GuestPanic { code } => {
            host.control(caller, Event::Fault(FaultKind::GuestPanic { code }));
            status(HvcStatus::Ok)
        }
        Hypercall::PartitionCount => [HvcStatus::Ok.to_x0(), host.partition_count() as u64, 0, 0],
        Hypercall::PartitionInfo { index: i } => match index(i).and_then(|i| host.status(i)) {
            Some(s) => [
                HvcStatus::Ok.to_x0(),
                PackedInfo {
                    flags: index(i).map(|i| host.info_flags(i)).unwrap_or(0),
                    ..PackedInfo::of(&s)
                }
                .pack(),
                s.generation.0,
                s.uptime / 1000,
            ],
            None => status(HvcStatus::NoSuchPartition),
        },
        Hypercall::PartitionName { index: i, chunk } => {
            let Some(name) = index(i).and_then(|i| host.name(i)) else {
                return (status(HvcStatus::NoSuchPartition), None);
            };
            if chunk > 1 {
                return (status(HvcStatus::InvalidParameter), None);
            }
            let mut bytes = [0u8; 32];
            for (d, s) in bytes.iter_mut().zip(name.bytes()) {
                *d = s;
            }
            let word = |n: usize| {
                let mut w = [0u8; 8];
                for (d, s) in w.iter_mut().zip(bytes.iter().skip(n * 8)) {
                    *d = *s;
                }
                u64::from_le_bytes(w)
            };
            let first = if chunk == 0 { 0 } else { 2 };
            [
                HvcStatus::Ok.to_x0(),
                word(first),
                word(first + 1),
                name.len().min(32) as u64,
            ]
        }
        Hypercall::Manage { op, index: i, slot } => {
            let Some(i) = index(i) else {
                return (status(HvcStatus::NoSuchPartition), None);
            };
            // Slots above 255 are as much out of range as 4 to 255.
            let slot = u8::try_from(slot).unwrap_or(u8::MAX);
            return match perform(host, op, i, slot) {
                Ok(Done::Started) => (status(HvcStatus::Ok), None),
                Ok(Done::Verified(s)) => {
                    let [x1, x2, x3] = VerifiedSlot::of(&s).pack();
                    ([HvcStatus::Ok.to_x0(), x1, x2, x3], None)
                }
                // A verify says what was wrong with the slot. (Not a
                // snapshot or restore: some of their refusals are not
                // about the slot's bytes.)
                Err(Refusal::Snapshot(error)) if op == Op::Verify => (
                    [
                        HvcStatus::Failed.to_x0(),
                        u64::from(failure_of(&error)),
                        0,
                        0,
                    ],
                    Some(Refusal::Snapshot(error)),
                ),
                Err(e) => (status(e.status()), Some(e)),
            };
        }
        Hypercall::InvalidParameter { .. } => status(HvcStatus::InvalidParameter),
        Hypercall::Unknown { .. } => status(HvcStatus::NotSupported),
    };
    (results, None)
}
