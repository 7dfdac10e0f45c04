//! A choice between a CPU extension's instructions and portable code, made
//! once, at first use, by a probe (the ID register, and known answers).

use core::sync::atomic::{AtomicU8, Ordering};

const UNKNOWN: u8 = 0;
const INSTRUCTIONS: u8 = 1;
const PORTABLE: u8 = 2;

pub struct Probed(AtomicU8);

impl Probed {
    pub const fn new() -> Self {
        Probed(AtomicU8::new(UNKNOWN))
    }

    /// Whether to use the instructions: what `probe` answered the first
    /// time. Two cores deciding at once both reach the same answer.
    pub fn use_instructions(&self, probe: fn() -> bool) -> bool {
        match self.0.load(Ordering::Relaxed) {
            INSTRUCTIONS => true,
            PORTABLE => false,
            _ => {
                let ok = probe();
                self.0
                    .store(if ok { INSTRUCTIONS } else { PORTABLE }, Ordering::Relaxed);
                ok
            }
        }
    }
}
