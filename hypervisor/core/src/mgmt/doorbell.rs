//! The management doorbell: Bulkhead's hypercalls as an emulated MMIO page,
//! for the manager partition's user space.
//!
//! A Linux program runs at EL0, where `hvc` is undefined, so it cannot make
//! the hypercalls of [`super::hypercall`] itself. The manager partition
//! (and only it) therefore finds a page at [`GUEST_BASE`] in its
//! guest-physical space, listed in its device tree as
//! `compatible = "bulkhead,mgmt-doorbell"`. Nothing backs the page: every
//! access traps to EL2 and is emulated here. A program maps it through
//! `/dev/mem`, writes the function ID and arguments to `X0`..`X3`, writes
//! anything to `CALL`, and reads the results back from `X0`..`X3`: the same
//! function IDs, arguments, results and checks as the `hvc` calls, carried
//! out by the same code (`execute_hypercall`).
//!
//! | offset | name | access | |
//! | --- | --- | --- | --- |
//! | 0x00 | MAGIC | read | `"BKMGMT01"` as a little-endian u64 |
//! | 0x08 | CALL | write | carries out the call in X0..X3; reads as the number of calls made |
//! | 0x10 | X0 | read/write | function ID in, status (or first result) out |
//! | 0x18 | X1 | read/write | |
//! | 0x20 | X2 | read/write | |
//! | 0x28 | X3 | read/write | |
//!
//! Accesses are 32 or 64 bits wide and naturally aligned; a 32-bit access
//! reaches the low or the high half of a register. Other sizes, unaligned
//! accesses and offsets outside the table read as zero and ignore writes.
//! The registers are the partition's, not a vCPU's: two programs calling at
//! once must take turns (the shipped `bulkhead-mgmt` program holds an
//! advisory lock on `/dev/mem` around each call).

use crate::snapshot::bytes::{Dec, Enc};
use crate::snapshot::StateError;

/// Guest-physical address of the doorbell page in the manager partition:
/// 32 GiB minus 4 KiB, above the RAM and devices of the boards Bulkhead
/// knows (validation refuses a manager whose memory or devices cover it).
pub const GUEST_BASE: u64 = 0x7_FFFF_F000;
/// The page's size.
pub const SIZE: u64 = 0x1000;
/// The device tree `compatible` of the doorbell node.
pub const COMPATIBLE: &str = "bulkhead,mgmt-doorbell";

/// `"BKMGMT01"`, little-endian.
pub const MAGIC: u64 = u64::from_le_bytes(*b"BKMGMT01");

pub const REG_MAGIC: u64 = 0x00;
pub const REG_CALL: u64 = 0x08;
pub const REG_X0: u64 = 0x10;

/// The doorbell's registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Doorbell {
    pub x: [u64; 4],
    /// Calls made, for `CALL` reads (wraps).
    pub calls: u64,
}

/// What a write asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// Nothing more to do.
    Stored,
    /// `CALL` was written: carry out the hypercall in these registers, then
    /// hand the results to [`Doorbell::complete`].
    Call([u64; 4]),
}

/// The 64-bit register at `offset` and the half a 32-bit access reaches
/// (0 for the low half or a 64-bit access, 32 for the high half).
fn locate(offset: u64, size: u8) -> Option<(u64, u32)> {
    match size {
        8 if offset.is_multiple_of(8) => Some((offset, 0)),
        4 if offset.is_multiple_of(4) => Some((offset & !7, if offset % 8 == 4 { 32 } else { 0 })),
        _ => None,
    }
}

impl Doorbell {
    /// A load of `size` bytes at `offset` in the page.
    pub fn read(&self, offset: u64, size: u8) -> u64 {
        let Some((reg, shift)) = locate(offset, size) else {
            return 0;
        };
        let full = match reg {
            REG_MAGIC => MAGIC,
            REG_CALL => self.calls,
            r if (REG_X0..REG_X0 + 32).contains(&r) => self
                .x
                .get(((r - REG_X0) / 8) as usize)
                .copied()
                .unwrap_or(0),
            _ => 0,
        };
        if size == 4 {
            (full >> shift) & 0xFFFF_FFFF
        } else {
            full
        }
    }

    /// A store of `size` bytes of `value` at `offset` in the page.
    pub fn write(&mut self, offset: u64, size: u8, value: u64) -> Written {
        let Some((reg, shift)) = locate(offset, size) else {
            return Written::Stored;
        };
        if reg == REG_CALL {
            self.calls = self.calls.wrapping_add(1);
            return Written::Call(self.x);
        }
        if !(REG_X0..REG_X0 + 32).contains(&reg) {
            return Written::Stored;
        }
        if let Some(r) = self.x.get_mut(((reg - REG_X0) / 8) as usize) {
            *r = if size == 4 {
                let mask = 0xFFFF_FFFFu64 << shift;
                (*r & !mask) | ((value & 0xFFFF_FFFF) << shift)
            } else {
                value
            };
        }
        Written::Stored
    }

    /// Puts a call's results where the caller reads them.
    pub fn complete(&mut self, results: [u64; 4]) {
        self.x = results;
    }
}

/// The doorbell's registers in a snapshot, version 1: `u16` version, X0-X3
/// and the call count as `u64`s.
impl Doorbell {
    pub const STATE_VERSION: u16 = 1;

    pub fn save(&self, out: &mut alloc::vec::Vec<u8>) {
        let mut e = Enc(out);
        e.u16(Self::STATE_VERSION);
        for v in self.x {
            e.u64(v);
        }
        e.u64(self.calls);
    }

    pub fn restore(bytes: &[u8]) -> Result<Self, StateError> {
        let mut d = Dec::new(bytes);
        d.version(Self::STATE_VERSION)?;
        let mut x = [0u64; 4];
        for r in x.iter_mut() {
            *r = d.u64()?;
        }
        let calls = d.u64()?;
        d.end()?;
        Ok(Doorbell { x, calls })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips() {
        let d = Doorbell {
            x: [1, 2, 3, u64::MAX],
            calls: 9,
        };
        let mut blob = alloc::vec::Vec::new();
        d.save(&mut blob);
        assert_eq!(blob.len(), 42);
        assert_eq!(Doorbell::restore(&blob), Ok(d));
        for cut in 0..blob.len() {
            assert!(Doorbell::restore(&blob[..cut]).is_err());
        }
        blob.push(0);
        assert!(Doorbell::restore(&blob).is_err());
    }

    #[test]
    fn magic_reads_whole_and_in_halves() {
        let d = Doorbell::default();
        assert_eq!(d.read(REG_MAGIC, 8), MAGIC);
        assert_eq!(d.read(0, 4) | d.read(4, 4) << 32, MAGIC);
        assert_eq!(&MAGIC.to_le_bytes(), b"BKMGMT01");
    }

    #[test]
    fn a_call_takes_the_registers_and_returns_results() {
        let mut d = Doorbell::default();
        assert_eq!(d.write(REG_X0, 8, 0xC600_0011), Written::Stored);
        assert_eq!(d.write(REG_X0 + 8, 4, 2), Written::Stored);
        assert_eq!(d.write(REG_X0 + 12, 4, 1), Written::Stored);
        assert_eq!(
            d.write(REG_CALL, 8, 0),
            Written::Call([0xC600_0011, 0x1_0000_0002, 0, 0])
        );
        d.complete([0, 7, 8, 9]);
        assert_eq!(d.read(REG_X0, 8), 0);
        assert_eq!(d.read(REG_X0 + 8, 8), 7);
        assert_eq!(d.read(REG_X0 + 24, 8), 9);
        assert_eq!(d.read(REG_CALL, 8), 1);
        assert_eq!(d.write(REG_CALL + 4, 4, 0), Written::Call([0, 7, 8, 9]));
    }

    #[test]
    fn odd_accesses_are_harmless() {
        let mut d = Doorbell::default();
        d.write(REG_X0, 8, 5);
        for (off, size) in [
            (REG_X0 + 1, 8),
            (REG_X0, 1),
            (REG_X0, 2),
            (REG_X0 + 2, 4),
            (0xFF8, 8),
        ] {
            assert_eq!(d.write(off, size, u64::MAX), Written::Stored);
            assert_eq!(d.read(off, size), 0);
        }
        assert_eq!(d.x, [5, 0, 0, 0]);
        assert_eq!(d.read(u64::MAX - 7, 8), 0);
        assert_eq!(d.write(u64::MAX - 3, 4, 1), Written::Stored);
    }
}
