//! Bulkhead's own console: plain text for people, one line at a time.

use crate::arch::cpu;
use crate::pl011::Pl011;
use core::fmt::Write;
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
        let _ = uart.write_fmt(args);
    }
}

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
pub fn raw_output(name: &str, at_line_start: &mut bool, byte: u8) {
    let mut guard = CONSOLE.lock();
    let Some(uart) = guard.as_mut() else { return };
    if *at_line_start && byte != b'\r' {
        let _ = write!(uart, "{} [{name}] ", Stamp);
        *at_line_start = false;
    }
    match byte {
        b'\n' => {
            uart.put(b'\r');
            uart.put(b'\n');
            *at_line_start = true;
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
