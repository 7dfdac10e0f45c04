//! The emulated PL011 a partition gets when it does not own a physical UART.
//!
//! It models what Linux's amba-pl011 driver (as `arm,sbsa-uart` or
//! `arm,pl011`) and simple bare-metal code use: DR, FR, the control and
//! interrupt registers, the PrimeCell identification registers. Output is
//! handed to the hypervisor byte by byte; input comes from a small FIFO the
//! console fills when this partition has the keyboard.

use crate::snapshot::bytes::{Dec, Enc};
use crate::snapshot::StateError;
use alloc::collections::VecDeque;

const DR: u64 = 0x000;
const RSR: u64 = 0x004;
const FR: u64 = 0x018;
const ILPR: u64 = 0x020;
const IBRD: u64 = 0x024;
const FBRD: u64 = 0x028;
const LCR_H: u64 = 0x02C;
const CR: u64 = 0x030;
const IFLS: u64 = 0x034;
const IMSC: u64 = 0x038;
const RIS: u64 = 0x03C;
const MIS: u64 = 0x040;
const ICR: u64 = 0x044;
const DMACR: u64 = 0x048;
/// Size of the register window.
pub const WINDOW: u64 = 0x1000;

const FR_RXFE: u32 = 1 << 4;
const FR_TXFE: u32 = 1 << 7;
const INT_RX: u32 = 1 << 4;
const INT_TX: u32 = 1 << 5;
const INT_RT: u32 = 1 << 6;
const RX_FIFO: usize = 64;

/// PrimeCell ids at 0xFE0..0xFFC: PL011 r1p5.
const ID: [u32; 8] = [0x11, 0x10, 0x34, 0x00, 0x0D, 0xF0, 0x05, 0xB1];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtPl011 {
    cr: u32,
    lcr_h: u32,
    ibrd: u32,
    fbrd: u32,
    ifls: u32,
    imsc: u32,
    /// Raw interrupt status for TX (always ready) is derived; RX from the FIFO.
    rx: VecDeque<u8>,
}

impl Default for VirtPl011 {
    fn default() -> Self {
        Self {
            cr: 0x300,
            lcr_h: 0,
            ibrd: 0,
            fbrd: 0,
            ifls: 0x12,
            imsc: 0,
            rx: VecDeque::new(),
        }
    }
}

/// What a write did, besides changing registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    None,
    /// The guest sent this byte.
    Output(u8),
}

impl VirtPl011 {
    fn ris(&self) -> u32 {
        let mut r = INT_TX; // the transmitter is always ready
        if !self.rx.is_empty() {
            r |= INT_RX | INT_RT;
        }
        r
    }

    /// True when the device asserts its interrupt line.
    pub fn irq_pending(&self) -> bool {
        self.ris() & self.imsc != 0
    }

    /// Typed input for this partition; dropped when the FIFO is full.
    pub fn push_input(&mut self, byte: u8) -> bool {
        if self.rx.len() >= RX_FIFO {
            return false;
        }
        self.rx.push_back(byte);
        true
    }

    /// A guest read at `offset` in the window. Unknown offsets read 0.
    pub fn read(&mut self, offset: u64) -> u32 {
        match offset {
            DR => self.rx.pop_front().map(u32::from).unwrap_or(0),
            RSR => 0,
            FR => FR_TXFE | if self.rx.is_empty() { FR_RXFE } else { 0 },
            ILPR => 0,
            IBRD => self.ibrd,
            FBRD => self.fbrd,
            LCR_H => self.lcr_h,
            CR => self.cr,
            IFLS => self.ifls,
            IMSC => self.imsc,
            RIS => self.ris(),
            MIS => self.ris() & self.imsc,
            DMACR => 0,
            0xFE0..=0xFFC if offset.is_multiple_of(4) => ID
                .get(((offset - 0xFE0) / 4) as usize)
                .copied()
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// A guest write at `offset`. Unknown offsets are ignored.
    pub fn write(&mut self, offset: u64, value: u32) -> Effect {
        match offset {
            DR => return Effect::Output(value as u8),
            IBRD => self.ibrd = value & 0xFFFF,
            FBRD => self.fbrd = value & 0x3F,
            LCR_H => self.lcr_h = value & 0xFF,
            CR => self.cr = value & 0xFFFF,
            IFLS => self.ifls = value & 0x3F,
            IMSC => self.imsc = value & 0x7FF,
            ICR => {} // TX and RX status are level conditions here
            _ => {}
        }
        Effect::None
    }
}

/// The emulated UART's state in a snapshot (`save`/`restore`), version 1:
/// `u16` version, CR, LCR_H, IBRD, FBRD, IFLS, IMSC as `u32`s, the number
/// of received bytes the guest has not read yet (`u8`, at most the FIFO's
/// 64) and those bytes.
impl VirtPl011 {
    pub const STATE_VERSION: u16 = 1;

    pub fn save(&self, out: &mut alloc::vec::Vec<u8>) {
        let mut e = Enc(out);
        e.u16(Self::STATE_VERSION);
        for v in [
            self.cr, self.lcr_h, self.ibrd, self.fbrd, self.ifls, self.imsc,
        ] {
            e.u32(v);
        }
        let n = self.rx.len().min(RX_FIFO);
        e.u8(n as u8);
        for &b in self.rx.iter().take(n) {
            e.u8(b);
        }
    }

    /// Refuses another version, a register value the guest could not have
    /// written, more than 64 received bytes, and short or long input.
    pub fn restore(bytes: &[u8]) -> Result<Self, StateError> {
        let mut d = Dec::new(bytes);
        d.version(Self::STATE_VERSION)?;
        let mut regs = [0u32; 6];
        for r in regs.iter_mut() {
            *r = d.u32()?;
        }
        let [cr, lcr_h, ibrd, fbrd, ifls, imsc] = regs;
        if cr > 0xFFFF
            || lcr_h > 0xFF
            || ibrd > 0xFFFF
            || fbrd > 0x3F
            || ifls > 0x3F
            || imsc > 0x7FF
        {
            return Err(StateError::Invalid("UART register value"));
        }
        let n = usize::from(d.u8()?);
        if n > RX_FIFO {
            return Err(StateError::Invalid("UART receive FIFO length"));
        }
        let mut rx = VecDeque::with_capacity(n);
        for _ in 0..n {
            rx.push_back(d.u8()?);
        }
        d.end()?;
        Ok(VirtPl011 {
            cr,
            lcr_h,
            ibrd,
            fbrd,
            ifls,
            imsc,
            rx,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_bad_input_is_refused() {
        let mut u = VirtPl011::default();
        u.write(IMSC, INT_RX | INT_TX);
        u.write(LCR_H, 0x70);
        u.write(IBRD, 13);
        for b in *b"ls\r" {
            u.push_input(b);
        }
        let mut blob = alloc::vec::Vec::new();
        u.save(&mut blob);
        assert_eq!(blob.len(), 2 + 24 + 1 + 3);
        let back = VirtPl011::restore(&blob).unwrap();
        assert_eq!(back, u);
        assert!(back.irq_pending());
        for cut in 0..blob.len() {
            assert!(VirtPl011::restore(&blob[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = blob.clone();
        long.push(0);
        assert!(VirtPl011::restore(&long).is_err());
        let mut bad = blob.clone();
        bad[0] = 2;
        assert!(VirtPl011::restore(&bad).is_err());
        let mut bad = blob.clone();
        bad[2 + 20..2 + 24].copy_from_slice(&0x800u32.to_le_bytes());
        assert_eq!(
            VirtPl011::restore(&bad),
            Err(StateError::Invalid("UART register value"))
        );
        let mut bad = blob;
        bad[26] = 65;
        assert!(VirtPl011::restore(&bad).is_err());
        let mut empty = alloc::vec::Vec::new();
        VirtPl011::default().save(&mut empty);
        assert_eq!(VirtPl011::restore(&empty).unwrap(), VirtPl011::default());
    }

    #[test]
    fn output_and_flags() {
        let mut u = VirtPl011::default();
        assert_eq!(u.read(FR) & FR_RXFE, FR_RXFE);
        assert_eq!(u.write(DR, 0x141), Effect::Output(b'A'));
        assert_eq!(u.write(CR, 0x301), Effect::None);
        assert_eq!(u.read(CR), 0x301);
    }

    #[test]
    fn input_fifo_and_interrupts() {
        let mut u = VirtPl011::default();
        u.write(IMSC, INT_RX);
        assert!(!u.irq_pending());
        assert!(u.push_input(b'x'));
        assert!(u.irq_pending());
        assert_eq!(u.read(FR) & FR_RXFE, 0);
        assert_eq!(u.read(DR), u32::from(b'x'));
        assert!(!u.irq_pending());
        for _ in 0..RX_FIFO {
            assert!(u.push_input(b'y'));
        }
        assert!(!u.push_input(b'z'));
    }

    #[test]
    fn primecell_ids_for_linux() {
        let mut u = VirtPl011::default();
        assert_eq!(u.read(0xFE0), 0x11);
        assert_eq!(u.read(0xFFC), 0xB1);
        assert_eq!(u.read(0xFFE), 0);
        assert_eq!(u.read(0x2000), 0);
    }
}
