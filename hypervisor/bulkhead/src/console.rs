//! Bulkhead's own console: plain text for people, one line at a time.

use crate::arch::cpu;
use crate::pl011::Pl011;
use bulkhead_core::openline::OpenLine;
use core::fmt::Write;
use spin::Mutex;

/// The UART, and the focused partition's unfinished line.
struct Console {
    uart: Option<Pl011>,
    open: OpenLine,
}

static CONSOLE: Mutex<Console> = Mutex::new(Console {
    uart: None,
    open: OpenLine::new(),
});

/// Uses the PL011 at `base` from now on.
///
/// # Safety
/// `base` must be a mapped PL011 that nothing else drives.
pub unsafe fn init(base: usize) {
    // SAFETY: forwarded from the caller.
    let mut uart = unsafe { Pl011::new(base) };
    uart.enable();
    CONSOLE.lock().uart = Some(uart);
}

/// The base address of the console UART, if one is set.
pub fn base() -> Option<usize> {
    CONSOLE.lock().uart.as_ref().map(Pl011::base)
}

/// Prints a line of Bulkhead's own (or a whole line of an unfocused
/// partition). If the focused partition's line is unfinished (its shell
/// prompt, a command being typed), that line is ended first, so this one
/// starts at the left, and then shown again below it, prefix and all, so
/// that the person typing sees the whole line they are typing and a log
/// reader finds it whole on one line.
pub fn print(args: core::fmt::Arguments) {
    let mut guard = CONSOLE.lock();
    let Console { uart, open } = &mut *guard;
    let Some(uart) = uart.as_mut() else { return };
    let cut = open.open;
    if cut {
        let _ = uart.write_str("\n");
    }
    let mut w = LastByte { uart, last: 0 };
    let _ = w.write_fmt(args);
    if cut {
        if w.last == b'\n' && !open.overflow {
            // Shown again, as it stands (backspaces included: the terminal
            // redraws what the partition drew; escape sequences left out).
            let _ = write!(uart, "{} [{}] ", Stamp, open.name());
            for &b in open.bytes() {
                uart.put(b);
            }
        } else {
            // Not a whole line (a command-mode echo), or too long to
            // repeat: the partition's next byte starts a new line with its
            // prefix.
            open.close();
        }
    }
}

/// A writer that remembers the last byte written through it.
struct LastByte<'a> {
    uart: &'a mut Pl011,
    last: u8,
}

impl Write for LastByte<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        if let Some(&b) = s.as_bytes().last() {
            self.last = b;
        }
        self.uart.write_str(s)
    }
}

/// Ends whatever unfinished line is open, and forgets it (the focus moves
/// away and its partition could not be locked to take the line back).
pub fn end_open_line() {
    CONSOLE.lock().end_open();
}

/// The focus moves away from partition `name`: its unfinished line is
/// ended on the console and its bytes handed back (for its line buffer, so
/// that the line comes out whole once the partition finishes it).
pub fn take_open_line(name: &str) -> Option<alloc::vec::Vec<u8>> {
    let mut c = CONSOLE.lock();
    if !c.open.is(name) {
        return None;
    }
    let bytes = (!c.open.overflow).then(|| c.open.bytes().to_vec());
    c.end_open();
    bytes
}

impl Console {
    /// Ends the open line on the console, if one is open, and forgets it.
    fn end_open(&mut self) {
        if self.open.open {
            if let Some(uart) = self.uart.as_mut() {
                let _ = uart.write_str("\n");
            }
        }
        self.open.close();
    }
}

/// For the fault and panic paths: if the lock stays taken (the fault may
/// have happened while this very core held it), print anyway rather than
/// hang in silence.
pub fn emergency_print(args: core::fmt::Arguments) {
    for _ in 0..1_000_000 {
        if let Some(mut guard) = CONSOLE.try_lock() {
            if let Some(uart) = guard.uart.as_mut() {
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
    if let Some(uart) = CONSOLE.lock().uart.as_mut() {
        let _ = uart.write_fmt(args);
        uart.flush();
    }
}

/// Turns on the console UART's receive interrupts.
pub fn enable_rx_irq() {
    if let Some(uart) = CONSOLE.lock().uart.as_mut() {
        uart.enable_rx_irq();
    }
}

/// Output of the focused partition, byte by byte: `[name] ` starts each
/// line, control characters other than newline, carriage return,
/// backspace, tab and escape are dropped. The unfinished line is kept
/// (see [`print`]).
pub fn raw_output(name: &str, byte: u8) {
    if byte == b'\r' {
        return;
    }
    let mut guard = CONSOLE.lock();
    if guard.open.open && !guard.open.is(name) {
        // Another partition's line was open (a focus switch raced with
        // it): end it rather than continue it under the wrong name.
        guard.end_open();
    }
    let Console { uart, open } = &mut *guard;
    let Some(uart) = uart.as_mut() else { return };
    if !open.open {
        let _ = write!(uart, "{} [{name}] ", Stamp);
        open.start(name);
    }
    match byte {
        b'\n' => {
            uart.put(b'\r');
            uart.put(b'\n');
            open.close();
        }
        0x08 | b'\t' | 0x1b | 0x20..=0x7e => {
            uart.put(byte);
            open.push(byte);
        }
        _ => {}
    }
}

/// Reads a byte typed on the console, if any.
pub fn try_read() -> Option<u8> {
    CONSOLE.lock().uart.as_mut().and_then(Pl011::try_get)
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
