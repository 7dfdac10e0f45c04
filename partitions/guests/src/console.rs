//! Line output on the PL011 the device tree names. Lines end in "\r\n" and
//! carry no prefix (a hypervisor adds its own). A lock keeps the CPUs' lines
//! whole; it is re-entrant per CPU so that an exception or panic taken while
//! printing can still print.

use crate::arch::{cpu, uart::Pl011};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicUsize, Ordering};

/// UART base address; 0 until `init` (output is dropped until then).
static BASE: AtomicUsize = AtomicUsize::new(0);
/// Lock owner: 0 = free, else device-tree cpu index + 1.
static OWNER: AtomicUsize = AtomicUsize::new(0);

/// Starts output on the UART at `base` (`sbsa`: an `arm,sbsa-uart`, which
/// has no control register).
pub fn init(base: usize, sbsa: bool) {
    if !sbsa {
        Pl011::new(base).enable_transmit();
    }
    BASE.store(base, Ordering::Release);
}

struct Writer(Pl011);

impl Write for Writer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.0.put(b'\r');
            }
            self.0.put(b);
        }
        Ok(())
    }
}

/// Prints one line (a newline is added).
pub fn line(args: fmt::Arguments<'_>) {
    let base = BASE.load(Ordering::Acquire);
    if base == 0 {
        return;
    }
    let me = cpu::index() + 1;
    let nested = OWNER.load(Ordering::Relaxed) == me;
    if !nested {
        while OWNER
            .compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
    }
    let mut w = Writer(Pl011::new(base));
    let _ = w.write_fmt(args);
    let _ = w.write_str("\n");
    if !nested {
        OWNER.store(0, Ordering::Release);
    }
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::console::line(format_args!($($arg)*))
    };
}
