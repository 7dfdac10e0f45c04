//! Counters the host can read without disturbing anything: a plain static at
//! a fixed address (the ELF symbol `BULKHEAD_STATS`), updated with relaxed
//! atomic adds on the trap paths. `cargo xtask bench` copies it out of
//! QEMU's memory twice and divides by the virtual time between.
//!
//! Layout (little-endian, `repr(C)`): magic u64 ("BKSTATS1"), partition
//! count u64, counter frequency u64, then for each of `MAX_PARTITIONS`
//! partitions: traps (every exit to EL2), irqs (physical interrupts taken
//! while it ran), wfi (idle waits), faults, idle_ticks (counter ticks spent
//! waiting after a WFI), each u64.

use core::sync::atomic::{AtomicU64, Ordering};

pub const MAGIC: u64 = u64::from_le_bytes(*b"BKSTATS1");
pub const MAX_PARTITIONS: usize = 16;

#[repr(C)]
pub struct PartitionStats {
    pub traps: AtomicU64,
    pub irqs: AtomicU64,
    pub wfi: AtomicU64,
    pub faults: AtomicU64,
    /// Counter ticks its vCPUs spent waiting at EL2 after a WFI.
    pub idle_ticks: AtomicU64,
}

#[repr(C)]
pub struct Stats {
    magic: AtomicU64,
    partitions: AtomicU64,
    counter_hz: AtomicU64,
    part: [PartitionStats; MAX_PARTITIONS],
}

#[no_mangle]
pub static BULKHEAD_STATS: Stats = Stats {
    magic: AtomicU64::new(0),
    partitions: AtomicU64::new(0),
    counter_hz: AtomicU64::new(0),
    part: [const {
        PartitionStats {
            traps: AtomicU64::new(0),
            irqs: AtomicU64::new(0),
            wfi: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            idle_ticks: AtomicU64::new(0),
        }
    }; MAX_PARTITIONS],
};

pub fn init(partitions: usize, counter_hz: u64) {
    BULKHEAD_STATS
        .partitions
        .store(partitions as u64, Ordering::Relaxed);
    BULKHEAD_STATS
        .counter_hz
        .store(counter_hz, Ordering::Relaxed);
    BULKHEAD_STATS.magic.store(MAGIC, Ordering::Release);
}

pub fn of(partition: usize) -> Option<&'static PartitionStats> {
    BULKHEAD_STATS.part.get(partition)
}

pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}
