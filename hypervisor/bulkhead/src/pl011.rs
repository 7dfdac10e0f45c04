//! ARM PrimeCell PL011 UART (also the SBSA subset), polled.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    FR [
        /// Transmit FIFO full.
        TXFF OFFSET(5) NUMBITS(1) [],
        /// Receive FIFO empty.
        RXFE OFFSET(4) NUMBITS(1) [],
        /// Busy transmitting.
        BUSY OFFSET(3) NUMBITS(1) []
    ],
    CR [
        RXE OFFSET(9) NUMBITS(1) [],
        TXE OFFSET(8) NUMBITS(1) [],
        UARTEN OFFSET(0) NUMBITS(1) []
    ]
}

register_structs! {
    Pl011Regs {
        (0x000 => dr: ReadWrite<u32>),
        (0x004 => rsr_ecr: ReadWrite<u32>),
        (0x008 => _reserved0),
        (0x018 => fr: ReadOnly<u32, FR::Register>),
        (0x01c => _reserved1),
        (0x030 => cr: ReadWrite<u32, CR::Register>),
        (0x034 => ifls: ReadWrite<u32>),
        (0x038 => imsc: ReadWrite<u32>),
        (0x03c => ris: ReadOnly<u32>),
        (0x040 => mis: ReadOnly<u32>),
        (0x044 => icr: WriteOnly<u32>),
        (0x048 => @END),
    }
}

pub struct Pl011 {
    regs: &'static Pl011Regs,
}

// SAFETY: the registers are MMIO at a fixed address; every access goes
// through `&mut self`, which the console's lock serializes across cores.
unsafe impl Send for Pl011 {}

impl Pl011 {
    /// # Safety
    /// `base` must be the address of a PL011 register block, mapped as
    /// device memory, and not driven by anyone else.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees a mapped PL011 at `base`, which
        // outlives the hypervisor.
        let regs = unsafe { &*(base as *const Pl011Regs) };
        Self { regs }
    }

    pub fn base(&self) -> usize {
        self.regs as *const Pl011Regs as usize
    }

    /// Makes sure the transmitter and receiver are on. Baud rate and line
    /// settings are left as firmware set them (the Pi firmware with
    /// `enable_uart=1`, QEMU needs none).
    pub fn enable(&mut self) {
        if !self.regs.cr.is_set(CR::UARTEN) || !self.regs.cr.is_set(CR::TXE) {
            self.regs
                .cr
                .write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
        }
    }

    /// Receive and receive-timeout interrupts on (IMSC.RXIM, RTIM).
    pub fn enable_rx_irq(&mut self) {
        self.regs.imsc.set((1 << 4) | (1 << 6));
    }

    pub fn put(&mut self, byte: u8) {
        while self.regs.fr.is_set(FR::TXFF) {
            core::hint::spin_loop();
        }
        self.regs.dr.set(byte as u32);
    }

    pub fn try_get(&mut self) -> Option<u8> {
        if self.regs.fr.is_set(FR::RXFE) {
            None
        } else {
            Some((self.regs.dr.get() & 0xFF) as u8)
        }
    }

    pub fn flush(&mut self) {
        while self.regs.fr.is_set(FR::BUSY) {
            core::hint::spin_loop();
        }
    }
}

impl core::fmt::Write for Pl011 {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.put(b'\r');
            }
            self.put(b);
        }
        Ok(())
    }
}
