//! "guest panic: <location>: <message>", then the CPU stops.

use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    match info.location() {
        Some(l) => crate::println!(
            "guest panic: {}:{}:{}: {}",
            l.file(),
            l.line(),
            l.column(),
            info.message()
        ),
        None => crate::println!("guest panic: <unknown location>: {}", info.message()),
    }
    crate::arch::cpu::park()
}
