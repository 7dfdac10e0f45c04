//! The EL2 stage-1 regime (HCR_EL2.E2H = 0): the hypervisor's own identity
//! map, one VA range through TTBR0_EL2, 48-bit VA, walk starting at level 0.
//!
//! Leaf attribute bits written:
//! ```text
//! 4:2   AttrIndx   index into MAIR_EL2 (see `MAIR_EL2`)
//! 7:6   AP[2:1]    0b01 read/write, 0b11 read-only (AP[1] is RES1 at EL2)
//! 9:8   SH         0b11 inner shareable (ignored for Device memory)
//! 10    AF         1: no access-flag faults
//! 54    XN         1: not executable
//! ```
//! NS (5), nG (11), Contiguous (52) and PXN (53, RES0 here) stay 0.

use super::regime::Regime;
use core::fmt;

const ATTR_INDEX_SHIFT: u32 = 2;
const AP_SHIFT: u32 = 6;
const AP_RW: u64 = 0b01;
const AP_RO: u64 = 0b11;
const AP_RO_BIT: u64 = 0b10 << AP_SHIFT;
const SH_INNER: u64 = 0b11 << 8;
const AF: u64 = 1 << 10;
const XN: u64 = 1 << 54;

/// A virtual address in the hypervisor's EL2 address space. Bulkhead
/// identity-maps, so it equals the physical address, but the types keep
/// "what the MMU translates" apart from "what the bus sees".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HypVirtAddr(pub u64);

impl fmt::Debug for HypVirtAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VA {:#x}", self.0)
    }
}

/// An AttrIndx value: which byte of [`MAIR_EL2`](super::MAIR_EL2) gives
/// the memory type.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct MairIndex(u8);

impl MairIndex {
    /// Index 0: Device-nGnRE (MAIR byte 0x04). MMIO.
    pub const DEVICE_NGNRE: MairIndex = MairIndex(0);
    /// Index 1: Normal, inner and outer write-back, read- and
    /// write-allocate (MAIR byte 0xff). RAM.
    pub const NORMAL_WB: MairIndex = MairIndex(1);
    /// Index 2: Normal, inner and outer non-cacheable (MAIR byte 0x44).
    pub const NORMAL_NC: MairIndex = MairIndex(2);

    /// Any index 0 to 7 (3 to 7 are Device-nGnRnE in [`MAIR_EL2`](super::MAIR_EL2)).
    pub const fn new(index: u8) -> Option<MairIndex> {
        if index < 8 {
            Some(MairIndex(index))
        } else {
            None
        }
    }

    pub const fn index(self) -> u8 {
        self.0
    }
}

/// Attributes of an EL2 stage-1 mapping.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct El2Attrs {
    pub mem: MairIndex,
    pub writable: bool,
    pub executable: bool,
}

impl El2Attrs {
    /// Hypervisor text: normal memory, read-only, executable.
    pub const CODE: El2Attrs = El2Attrs {
        mem: MairIndex::NORMAL_WB,
        writable: false,
        executable: true,
    };
    /// Read-only data.
    pub const RODATA: El2Attrs = El2Attrs {
        mem: MairIndex::NORMAL_WB,
        writable: false,
        executable: false,
    };
    /// Data, stacks, heap, table pool.
    pub const DATA: El2Attrs = El2Attrs {
        mem: MairIndex::NORMAL_WB,
        writable: true,
        executable: false,
    };
    /// MMIO: Device-nGnRE, read/write, never executable.
    pub const DEVICE: El2Attrs = El2Attrs {
        mem: MairIndex::DEVICE_NGNRE,
        writable: true,
        executable: false,
    };
    /// Non-cacheable normal memory, read/write, not executable.
    pub const NON_CACHEABLE: El2Attrs = El2Attrs {
        mem: MairIndex::NORMAL_NC,
        writable: true,
        executable: false,
    };
}

/// Marker for the EL2 stage-1 regime.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct El2Stage1;

impl Regime for El2Stage1 {
    type Input = HypVirtAddr;
    type Attrs = El2Attrs;

    fn input_to_raw(input: HypVirtAddr) -> u64 {
        input.0
    }

    fn input_from_raw(raw: u64) -> HypVirtAddr {
        HypVirtAddr(raw)
    }

    fn encode(a: El2Attrs) -> u64 {
        let ap = if a.writable { AP_RW } else { AP_RO };
        let xn = if a.executable { 0 } else { XN };
        (u64::from(a.mem.0 & 7) << ATTR_INDEX_SHIFT) | (ap << AP_SHIFT) | SH_INNER | AF | xn
    }

    fn decode(desc: u64) -> El2Attrs {
        El2Attrs {
            mem: MairIndex(((desc >> ATTR_INDEX_SHIFT) & 7) as u8),
            writable: desc & AP_RO_BIT == 0,
            executable: desc & XN == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pagetable::descriptor::leaf;

    fn page(pa: u64, a: El2Attrs) -> u64 {
        leaf(3, pa, El2Stage1::encode(a))
    }

    // Hand-computed from the VMSAv8-64 stage-1 block/page layout.
    #[test]
    fn data_page() {
        // 0b11 page | AttrIndx 1 (0x4) | AP 0b01 (0x40) | SH 0b11 (0x300)
        // | AF (0x400) | XN (bit 54)
        assert_eq!(page(0x4000_0000, El2Attrs::DATA), 0x0040_0000_4000_0747);
    }

    #[test]
    fn code_page() {
        // AP 0b11 (0xc0), executable: no XN.
        assert_eq!(page(0x4008_0000, El2Attrs::CODE), 0x0000_0000_4008_07c7);
    }

    #[test]
    fn rodata_page() {
        assert_eq!(page(0x4008_0000, El2Attrs::RODATA), 0x0040_0000_4008_07c7);
    }

    #[test]
    fn device_block() {
        // Level-2 block 0b01 | AttrIndx 0 | AP 0b01 | SH | AF | XN.
        let d = leaf(2, 0x0900_0000, El2Stage1::encode(El2Attrs::DEVICE));
        assert_eq!(d, 0x0040_0000_0900_0741);
    }

    #[test]
    fn non_cacheable_gigabyte_block() {
        // Level-1 block, AttrIndx 2 (0x8).
        let d = leaf(1, 0x1_0000_0000, El2Stage1::encode(El2Attrs::NON_CACHEABLE));
        assert_eq!(d, 0x0040_0001_0000_0749);
    }

    #[test]
    fn decode_inverts_encode() {
        for mem in 0..8 {
            for writable in [false, true] {
                for executable in [false, true] {
                    let a = El2Attrs {
                        mem: MairIndex::new(mem).unwrap(),
                        writable,
                        executable,
                    };
                    assert_eq!(El2Stage1::decode(page(0x1000, a)), a);
                }
            }
        }
        assert_eq!(MairIndex::new(8), None);
    }
}
