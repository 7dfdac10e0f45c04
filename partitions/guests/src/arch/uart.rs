//! Minimal PL011 / SBSA UART transmit: poll FR.TXFF, write DR. The UART is
//! used as the firmware (or the hypervisor's emulation) left it.

const DR: usize = 0x00;
const FR: usize = 0x18;
const FR_TXFF: u32 = 1 << 5;

#[derive(Clone, Copy)]
pub struct Pl011 {
    base: usize,
}

impl Pl011 {
    /// `base` must be the UART's register block from the device tree; the
    /// guest's page tables map every address outside its image as Device.
    pub fn new(base: usize) -> Self {
        Pl011 { base }
    }

    pub fn put(self, byte: u8) {
        // SAFETY: `base` is the PL011's register block (from the device
        // tree), mapped Device-nGnRE; FR and DR are 32-bit registers at
        // aligned offsets, and reading FR has no side effect.
        unsafe {
            while core::ptr::read_volatile((self.base + FR) as *const u32) & FR_TXFF != 0 {
                core::hint::spin_loop();
            }
            core::ptr::write_volatile((self.base + DR) as *mut u32, byte as u32);
        }
    }
}
