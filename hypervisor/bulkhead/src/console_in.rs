//! Typed input on Bulkhead's console: which partition receives it, and the
//! command mode.
//!
//! Input goes to the partition that has the focus (the first one with an
//! emulated console at boot). `Ctrl-A` then a digit moves the focus to that
//! partition; `Ctrl-A c` enters command mode (`list`, `status`, `stop`,
//! `start`, `restart`, ...; Enter runs the line, `Ctrl-A` leaves);
//! `Ctrl-A Ctrl-A` sends one `Ctrl-A` on. The escape handling is
//! `bulkhead_core::mgmt::ConsoleMux`, host-tested. The focused partition's
//! output is shown as it comes (a shell prompt has no newline); the others'
//! a line at a time.

use crate::partition;
use crate::println;
use bulkhead_core::mgmt::{ConsoleMux, MuxAction};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use spin::Mutex;

const NONE: u32 = u32::MAX;

static IRQ: AtomicU32 = AtomicU32::new(NONE);
static FOCUS: AtomicUsize = AtomicUsize::new(usize::MAX);
static MUX: Mutex<Option<ConsoleMux>> = Mutex::new(None);

/// The console UART's interrupt, once input is enabled.
pub fn irq() -> Option<u32> {
    match IRQ.load(Ordering::Relaxed) {
        NONE => None,
        v => Some(v),
    }
}

/// Starts taking input for `partitions` partitions, `focus` first: the
/// UART's receive interrupt on, routed to the boot core.
pub fn enable(intid: u32, partitions: usize, focus: usize) {
    let mut mux = ConsoleMux::new(partitions);
    if focus != 0 && focus < 10 {
        // ConsoleMux starts at partition 0; move it to `focus`.
        let _ = mux.feed(bulkhead_core::mgmt::CTRL_A);
        let _ = mux.feed(b'0' + focus as u8);
    }
    *MUX.lock() = Some(mux);
    FOCUS.store(focus, Ordering::Relaxed);
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

/// Reads every byte the UART holds and hands it on.
pub fn drain() {
    while let Some(b) = crate::console::try_read() {
        let action = match MUX.try_lock() {
            Some(mut m) => m.as_mut().map(|m| m.feed(b)).unwrap_or(MuxAction::Nothing),
            None => return,
        };
        match action {
            MuxAction::ToPartition(i, byte) => deliver(i, byte),
            MuxAction::Switch(i) => switch(i),
            MuxAction::Command(line) => crate::supervise::run_command(&line),
            MuxAction::Echo(bytes) => crate::console::print(format_args!(
                "{}",
                core::str::from_utf8(bytes.as_bytes()).unwrap_or("")
            )),
            MuxAction::Nothing => {}
        }
    }
}

fn switch(id: usize) {
    if let Some(old) = focus().filter(|&o| o != id && partition::get(id).is_some()) {
        hand_back(old);
    }
    match partition::get(id) {
        Some(cell) => {
            let mut p = cell.lock();
            let name = p.name.clone();
            println!("bulkhead: console input goes to partition {id} ({name})");
            FOCUS.store(id, Ordering::Relaxed);
            if let Some(c) = p.console.as_mut() {
                c.line.hand_over(&name);
            }
        }
        None => println!("bulkhead: no partition {id}"),
    }
}

/// The focus leaves partition `old`: its unfinished line (shown raw while
/// it had the focus) goes back into its line buffer, so that it comes out
/// whole, prefix and all, once the partition ends it. The partition is
/// locked for this (its console writes take the same lock), so no byte it
/// writes meanwhile can overtake the ones handed back. If it stays locked
/// elsewhere for long, its line is only ended on the console.
fn hand_back(old: usize) {
    let Some(cell) = partition::get(old) else {
        return;
    };
    for _ in 0..100_000 {
        if let Some(mut p) = cell.try_lock() {
            let name = p.name.clone();
            FOCUS.store(usize::MAX, Ordering::Relaxed);
            if let (Some(bytes), Some(c)) =
                (crate::console::take_open_line(&name), p.console.as_mut())
            {
                for b in bytes {
                    c.line.push(&name, b, false);
                }
            }
            return;
        }
        core::hint::spin_loop();
    }
    FOCUS.store(usize::MAX, Ordering::Relaxed);
    crate::console::end_open_line();
}

fn deliver(id: usize, b: u8) {
    let Some(cell) = partition::get(id) else {
        return;
    };
    let mut p = cell.lock();
    let Some(c) = p.console.as_mut() else { return };
    if c.pending.len() < crate::partition::INPUT_QUEUE {
        c.pending.push_back(b);
    }
    c.refill();
    let level = c.uart.irq_pending();
    if let Some(intid) = p.console_intid {
        let fx = p.vgic.set_level(intid, level);
        crate::virq::apply(&mut p, &fx);
    }
}
