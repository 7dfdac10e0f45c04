//! Minimal PL011 / SBSA UART transmit: poll FR.TXFF, write DR. The UART is
//! used as the firmware (or the hypervisor's emulation) left it.

const DR: usize = 0x00;
const FR: usize = 0x18;
const FR_TXFF: u32 = 1 << 5;
/// Control register (full PL011 only; the SBSA UART has none).
const CR: usize = 0x30;
const CR_UARTEN: u32 = 1 << 0;
const CR_TXE: u32 = 1 << 8;

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

    /// Turns the UART and its transmitter on if whoever ran before us (QEMU
    /// starts it off at EL1) did not; line settings are left alone. Only for
    /// a full `arm,pl011`.
    pub fn enable_transmit(self) {
        // SAFETY: as in `put`; CR is a 32-bit register at an aligned offset,
        // and setting UARTEN/TXE only lets the UART send.
        unsafe {
            let cr = (self.base + CR) as *mut u32;
            let v = core::ptr::read_volatile(cr);
            if v & (CR_UARTEN | CR_TXE) != CR_UARTEN | CR_TXE {
                core::ptr::write_volatile(cr, v | CR_UARTEN | CR_TXE);
            }
        }
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
