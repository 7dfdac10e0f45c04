//! Typed input on Bulkhead's console, and which partition receives it.
//!
//! Input goes to the partition that has the focus (the first one with an
//! emulated console at boot). `Ctrl-A` then a digit moves the focus to that
//! partition; `Ctrl-A Ctrl-A` sends one `Ctrl-A` on. The focused
//! partition's output is shown as it comes (a shell prompt has no newline);
//! the others' a line at a time.

use crate::partition;
use crate::println;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use spin::Mutex;

const CTRL_A: u8 = 0x01;
const NONE: u32 = u32::MAX;

static IRQ: AtomicU32 = AtomicU32::new(NONE);
static FOCUS: AtomicUsize = AtomicUsize::new(usize::MAX);
static ESCAPE: AtomicBool = AtomicBool::new(false);
static DRAIN: Mutex<()> = Mutex::new(());

/// The console UART's interrupt, once input is enabled.
pub fn irq() -> Option<u32> {
    match IRQ.load(Ordering::Relaxed) {
        NONE => None,
        v => Some(v),
    }
}

/// Starts taking input: the UART's receive interrupt on, routed to the
/// boot core (where the distributor routes every SPI by default).
pub fn enable(intid: u32) {
    IRQ.store(intid, Ordering::Relaxed);
    crate::console::enable_rx_irq();
    if let Some(g) = crate::gic::get() {
        g.set_spi_edge(intid, false);
        g.route_spi(intid, 0);
        g.set_spi_enabled(intid, true);
    }
}

/// The partition that receives input, if any.
pub fn focus() -> Option<usize> {
    match FOCUS.load(Ordering::Relaxed) {
        usize::MAX => None,
        v => Some(v),
    }
}

pub fn set_focus(id: usize) {
    FOCUS.store(id, Ordering::Relaxed);
}

/// Reads every byte the UART holds and hands it on.
pub fn drain() {
    let Some(_guard) = DRAIN.try_lock() else {
        return;
    };
    while let Some(b) = crate::console::try_read() {
        if ESCAPE.swap(false, Ordering::Relaxed) {
            match b {
                CTRL_A => deliver(CTRL_A),
                b'0'..=b'9' => switch(usize::from(b - b'0')),
                _ => {}
            }
        } else if b == CTRL_A {
            ESCAPE.store(true, Ordering::Relaxed);
        } else {
            deliver(b);
        }
    }
}

fn switch(id: usize) {
    match partition::get(id) {
        Some(cell) => {
            let name = cell.lock().name.clone();
            set_focus(id);
            println!("bulkhead: console input goes to partition {id} ({name})");
        }
        None => println!("bulkhead: no partition {id}"),
    }
}

fn deliver(b: u8) {
    let Some(cell) = focus().and_then(partition::get) else {
        return;
    };
    let mut p = cell.lock();
    let Some(c) = p.console.as_mut() else { return };
    c.uart.push_input(b);
    let level = c.uart.irq_pending();
    if let Some(intid) = p.console_intid {
        let fx = p.vgic.set_level(intid, level);
        crate::virq::apply(&mut p, &fx);
    }
}
