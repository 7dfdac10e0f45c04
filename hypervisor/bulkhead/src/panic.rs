//! A panic in Bulkhead is a bug: say where, then park the core. The other
//! cores keep running.

use crate::arch::cpu;
use crate::console;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let (file, line) = info
        .location()
        .map(|l| (l.file(), l.line()))
        .unwrap_or(("<unknown>", 0));
    console::emergency_print(format_args!(
        "{} PANIC on core {} at {}:{}: {}\n  core {} parked\n",
        console::Stamp,
        cpu::index(),
        file,
        line,
        info.message(),
        cpu::index()
    ));
    cpu::park()
}
