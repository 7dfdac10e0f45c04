//! Bulkhead's own console: plain text for people, one line at a time.

use crate::arch::cpu;
use crate::pl011::Pl011;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Mutex;

static CONSOLE: Mutex<Option<Pl011>> = Mutex::new(None);

/// Uses the PL011 at `base` from now on.
///
/// # Safety
/// `base` must be a mapped PL011 that nothing else drives.
pub unsafe fn init(base: usize) {
    // SAFETY: forwarded from the caller.
    let mut uart = unsafe { Pl011::new(base) };
    uart.enable();
    *CONSOLE.lock() = Some(uart);
}

/// The base address of the console UART, if one is set.
pub fn base() -> Option<usize> {
    CONSOLE.lock().as_ref().map(Pl011::base)
}

pub fn print(args: core::fmt::Arguments) {
    if let Some(uart) = CONSOLE.lock().as_mut() {
        // A line of the focused partition is open: end it, so this line
        // starts at the left; the partition's next byte repeats its prefix.
        if !RAW_AT_LINE_START.swap(true, Ordering::Relaxed) {
            let _ = uart.write_str("\n");
        }
        let _ = uart.write_fmt(args);
    }
}

/// Whether the focused partition's raw output is at the start of a line.
static RAW_AT_LINE_START: AtomicBool = AtomicBool::new(true);

/// For the fault and panic paths: if the lock stays taken (the fault may
/// have happened while this very core held it), print anyway rather than
/// hang in silence.
pub fn emergency_print(args: core::fmt::Arguments) {
    for _ in 0..1_000_000 {
        if let Some(mut guard) = CONSOLE.try_lock() {
            if let Some(uart) = guard.as_mut() {
                let _ = uart.write_fmt(args);
                uart.flush();
            }
            return;
        }
        core::hint::spin_loop();
    }
    // SAFETY: we are about to park this core for good; the holder is either
    // this core (interrupted mid-print) or a core that is stuck. Interleaved
    // output is better than none.
    unsafe { CONSOLE.force_unlock() };
    if let Some(uart) = CONSOLE.lock().as_mut() {
        let _ = uart.write_fmt(args);
        uart.flush();
    }
}

/// Turns on the console UART's receive interrupts.
pub fn enable_rx_irq() {
    if let Some(uart) = CONSOLE.lock().as_mut() {
        uart.enable_rx_irq();
    }
}

/// Output of the focused partition, byte by byte: `[name] ` starts each
/// line, control characters other than newline, carriage return,
/// backspace, tab and escape are dropped.
pub fn raw_output(name: &str, byte: u8) {
    let mut guard = CONSOLE.lock();
    let Some(uart) = guard.as_mut() else { return };
    if RAW_AT_LINE_START.load(Ordering::Relaxed) && byte != b'\r' {
        let _ = write!(uart, "{} [{name}] ", Stamp);
        RAW_AT_LINE_START.store(false, Ordering::Relaxed);
    }
    match byte {
        b'\n' => {
            uart.put(b'\r');
            uart.put(b'\n');
            RAW_AT_LINE_START.store(true, Ordering::Relaxed);
        }
        b'\r' => {}
        0x08 | b'\t' | 0x1b | 0x20..=0x7e => uart.put(byte),
        _ => {}
    }
}

/// Reads a byte typed on the console, if any.
pub fn try_read() -> Option<u8> {
    CONSOLE.lock().as_mut().and_then(Pl011::try_get)
}

/// Time stamp prefix for console lines: seconds since reset.
pub struct Stamp;

impl core::fmt::Display for Stamp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let us = cpu::uptime_us();
        write!(f, "[{:>4}.{:06}]", us / 1_000_000, us % 1_000_000)
    }
}

#[macro_export]
macro_rules! println {
    () => { $crate::console::print(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::console::print(format_args!("{} {}\n", $crate::console::Stamp, format_args!($($arg)*)))
    };
}
