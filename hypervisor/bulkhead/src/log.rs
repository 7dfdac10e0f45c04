//! The hypervisor's structured log: defmt frames in a RAM ring.
//!
//! No debug probe is needed: the ring is a plain static, `BULKHEAD_LOG_RING`,
//! at a fixed physical address (the ELF symbol's). The host copies it out of
//! QEMU's memory (QMP `pmemsave`) or out of a board's RAM, and `cargo xtask
//! log` decodes it with the ELF. Layout: magic, capacity, bytes written so
//! far (monotonic), then the data; stream byte `p` lives at `data[p %
//! capacity]`.

use crate::arch::cpu;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// "BKBHDLOG" read as a little-endian u64.
pub const RING_MAGIC: u64 = u64::from_le_bytes(*b"BKBHDLOG");
pub const RING_CAPACITY: usize = 64 * 1024;

#[repr(C)]
pub struct LogRing {
    magic: u64,
    capacity: u64,
    written: u64,
    data: [u8; RING_CAPACITY],
}

pub struct RingCell(UnsafeCell<LogRing>);

// SAFETY: all access goes through `Logger`, which `TAKEN` serializes.
unsafe impl Sync for RingCell {}

#[no_mangle]
pub static BULKHEAD_LOG_RING: RingCell = RingCell(UnsafeCell::new(LogRing {
    magic: 0,
    capacity: 0,
    written: 0,
    data: [0; RING_CAPACITY],
}));

static TAKEN: AtomicBool = AtomicBool::new(false);

struct EncoderCell(UnsafeCell<defmt::Encoder>);
// SAFETY: used only between `acquire` and `release`, under `TAKEN`.
unsafe impl Sync for EncoderCell {}
static ENCODER: EncoderCell = EncoderCell(UnsafeCell::new(defmt::Encoder::new()));

/// Stamps the ring header; until then the host sees no magic and reports an
/// empty log.
pub fn init() {
    lock();
    // SAFETY: we hold `TAKEN`, so no one else touches the ring.
    unsafe {
        let ring = &mut *BULKHEAD_LOG_RING.0.get();
        ring.capacity = RING_CAPACITY as u64;
        ring.written = 0;
        core::ptr::write_volatile(&mut ring.magic, RING_MAGIC);
    }
    unlock();
}

fn lock() {
    while TAKEN
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        core::hint::spin_loop();
    }
}

fn unlock() {
    TAKEN.store(false, Ordering::Release);
}

fn put(bytes: &[u8]) {
    // SAFETY: called only from the logger while `TAKEN` is held.
    let ring = unsafe { &mut *BULKHEAD_LOG_RING.0.get() };
    if ring.magic != RING_MAGIC {
        return;
    }
    for &b in bytes {
        let at = (ring.written % RING_CAPACITY as u64) as usize;
        if let Some(slot) = ring.data.get_mut(at) {
            *slot = b;
        }
        ring.written = ring.written.wrapping_add(1);
    }
}

#[defmt::global_logger]
struct Logger;

// SAFETY: `acquire` takes `TAKEN` and `release` gives it back, so frames
// from different cores never interleave; EL2 runs with interrupts masked,
// so a core cannot re-enter the logger.
unsafe impl defmt::Logger for Logger {
    fn acquire() {
        lock();
        // SAFETY: we hold `TAKEN`.
        unsafe { (*ENCODER.0.get()).start_frame(put) };
    }

    unsafe fn flush() {}

    unsafe fn release() {
        // SAFETY: the caller (defmt) pairs this with `acquire`.
        unsafe { (*ENCODER.0.get()).end_frame(put) };
        unlock();
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: the caller (defmt) calls this between acquire and release.
        unsafe { (*ENCODER.0.get()).write(bytes, put) };
    }
}

defmt::timestamp!("{=u64:us}", cpu::uptime_us());
