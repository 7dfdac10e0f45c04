//! The stage-2 regime: IPA to PA for one partition (one VMID).
//!
//! Leaf attribute bits ([`S2Attrs`]), with HCR_EL2.FWB = 0:
//! ```text
//! 5:2   MemAttr[3:0]  memory type; 0b00xx Device, else Normal
//!                     [3:2] outer, [1:0] inner: 01 NC, 10 WT, 11 WB
//! 7:6   S2AP          00 none, 01 read-only, 10 write-only, 11 read/write
//! 9:8   SH            00 non-, 10 outer, 11 inner shareable
//! 10    AF            1: no access-flag faults
//! 54    XN            1: not executable at EL1 or EL0 (XN[1:0] = 0b10)
//! ```
//! Bit 53 (XN[0] with FEAT_XNX), bit 11 and Contiguous (52) stay 0. The
//! result combines with the guest's stage-1 attributes: the stricter wins.

use super::regime::Regime;
use crate::addr::GuestPhysAddr;

const MEMATTR_SHIFT: u32 = 2;
const S2AP_SHIFT: u32 = 6;
const SH_SHIFT: u32 = 8;
const AF: u64 = 1 << 10;
const XN: u64 = 1 << 54;

/// Stage-2 MemAttr, descriptor bits 5:2.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct S2MemAttr(u8);

impl S2MemAttr {
    /// 0b0000 Device-nGnRnE.
    pub const DEVICE_NGNRNE: S2MemAttr = S2MemAttr(0b0000);
    /// 0b0001 Device-nGnRE: passed-through MMIO.
    pub const DEVICE_NGNRE: S2MemAttr = S2MemAttr(0b0001);
    /// 0b0101 Normal, outer and inner non-cacheable.
    pub const NORMAL_NC: S2MemAttr = S2MemAttr(0b0101);
    /// 0b1111 Normal, outer and inner write-back: RAM. The guest's own
    /// stage-1 attributes then decide.
    pub const NORMAL_WB: S2MemAttr = S2MemAttr(0b1111);

    /// Any defined encoding. Normal memory with inner bits 0b00 is
    /// reserved, so 0b0100, 0b1000 and 0b1100 are refused.
    pub const fn new(bits: u8) -> Option<S2MemAttr> {
        let device = bits >> 2 == 0;
        if bits < 16 && (device || bits & 0b11 != 0) {
            Some(S2MemAttr(bits))
        } else {
            None
        }
    }

    pub const fn bits(self) -> u8 {
        self.0
    }

    pub const fn is_device(self) -> bool {
        self.0 >> 2 == 0
    }
}

/// Stage-2 access permission (S2AP).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum S2Access {
    NoAccess,
    ReadOnly,
    WriteOnly,
    ReadWrite,
}

impl S2Access {
    const fn bits(self) -> u64 {
        match self {
            S2Access::NoAccess => 0b00,
            S2Access::ReadOnly => 0b01,
            S2Access::WriteOnly => 0b10,
            S2Access::ReadWrite => 0b11,
        }
    }

    const fn from_bits(bits: u64) -> S2Access {
        match bits & 0b11 {
            0b00 => S2Access::NoAccess,
            0b01 => S2Access::ReadOnly,
            0b10 => S2Access::WriteOnly,
            _ => S2Access::ReadWrite,
        }
    }
}

/// Shareability (SH).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Shareability {
    NonShareable,
    OuterShareable,
    InnerShareable,
}

impl Shareability {
    const fn bits(self) -> u64 {
        match self {
            Shareability::NonShareable => 0b00,
            Shareability::OuterShareable => 0b10,
            Shareability::InnerShareable => 0b11,
        }
    }

    /// 0b01 is reserved and never written; it reads back as non-shareable.
    const fn from_bits(bits: u64) -> Shareability {
        match bits & 0b11 {
            0b10 => Shareability::OuterShareable,
            0b11 => Shareability::InnerShareable,
            _ => Shareability::NonShareable,
        }
    }
}

/// Attributes of a stage-2 mapping. AF is always set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct S2Attrs {
    pub mem: S2MemAttr,
    pub access: S2Access,
    pub executable: bool,
    pub share: Shareability,
}

impl S2Attrs {
    /// Guest RAM: normal write-back, read/write, executable, inner shareable.
    pub const RAM: S2Attrs = S2Attrs {
        mem: S2MemAttr::NORMAL_WB,
        access: S2Access::ReadWrite,
        executable: true,
        share: Shareability::InnerShareable,
    };
    /// Read-only guest memory (for example a kernel image kept immutable).
    pub const RAM_RO: S2Attrs = S2Attrs {
        access: S2Access::ReadOnly,
        ..S2Attrs::RAM
    };
    /// Passed-through MMIO: Device-nGnRE, read/write, never executable.
    pub const DEVICE: S2Attrs = S2Attrs {
        mem: S2MemAttr::DEVICE_NGNRE,
        access: S2Access::ReadWrite,
        executable: false,
        share: Shareability::InnerShareable,
    };
    /// Memory shared with another party without caching: normal
    /// non-cacheable, read/write, not executable.
    pub const SHARED_NC: S2Attrs = S2Attrs {
        mem: S2MemAttr::NORMAL_NC,
        access: S2Access::ReadWrite,
        executable: false,
        share: Shareability::InnerShareable,
    };

    /// The descriptor bits these attributes set.
    pub const fn to_bits(self) -> u64 {
        ((self.mem.0 as u64 & 0xf) << MEMATTR_SHIFT)
            | (self.access.bits() << S2AP_SHIFT)
            | (self.share.bits() << SH_SHIFT)
            | AF
            | if self.executable { 0 } else { XN }
    }

    /// The attributes of a block or page descriptor.
    pub const fn from_bits(desc: u64) -> S2Attrs {
        S2Attrs {
            mem: S2MemAttr(((desc >> MEMATTR_SHIFT) & 0xf) as u8),
            access: S2Access::from_bits(desc >> S2AP_SHIFT),
            executable: desc & XN == 0,
            share: Shareability::from_bits(desc >> SH_SHIFT),
        }
    }
}

/// Marker for the stage-2 regime.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Stage2;

impl Regime for Stage2 {
    type Input = GuestPhysAddr;
    type Attrs = S2Attrs;

    fn input_to_raw(input: GuestPhysAddr) -> u64 {
        input.0
    }

    fn input_from_raw(raw: u64) -> GuestPhysAddr {
        GuestPhysAddr(raw)
    }

    fn encode(attrs: S2Attrs) -> u64 {
        attrs.to_bits()
    }

    fn decode(desc: u64) -> S2Attrs {
        S2Attrs::from_bits(desc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pagetable::descriptor::leaf;

    // Hand-computed from the VMSAv8-64 stage-2 block/page layout.
    #[test]
    fn ram_page() {
        // 0b11 | MemAttr 0b1111 (0x3c) | S2AP 0b11 (0xc0) | SH 0b11 (0x300)
        // | AF (0x400); executable so no XN.
        assert_eq!(leaf(3, 0x8000_0000, S2Attrs::RAM.to_bits()), 0x8000_07ff);
    }

    #[test]
    fn read_only_ram_block() {
        // Level-2 block 0b01 | 0x3c | S2AP 0b01 (0x40) | 0x300 | 0x400.
        assert_eq!(leaf(2, 0x4020_0000, S2Attrs::RAM_RO.to_bits()), 0x4020_077d);
    }

    #[test]
    fn device_page() {
        // 0b11 | MemAttr 0b0001 (0x4) | 0xc0 | 0x300 | 0x400 | XN bit 54.
        assert_eq!(
            leaf(3, 0x0900_0000, S2Attrs::DEVICE.to_bits()),
            0x0040_0000_0900_07c7
        );
    }

    #[test]
    fn non_cacheable_gigabyte_block() {
        // Level-1 block, MemAttr 0b0101 (0x14).
        assert_eq!(
            leaf(1, 0x40_0000_0000, S2Attrs::SHARED_NC.to_bits()),
            0x0040_0040_0000_07d5
        );
    }

    #[test]
    fn no_access_outer_shareable() {
        let a = S2Attrs {
            mem: S2MemAttr::NORMAL_WB,
            access: S2Access::NoAccess,
            executable: false,
            share: Shareability::OuterShareable,
        };
        // 0x3c | S2AP 0 | SH 0b10 (0x200) | AF | XN.
        assert_eq!(a.to_bits(), 0x0040_0000_0000_063c);
    }

    #[test]
    fn memattr_values() {
        assert_eq!(S2MemAttr::DEVICE_NGNRE.bits(), 0b0001);
        assert_eq!(S2MemAttr::NORMAL_WB.bits(), 0b1111);
        assert_eq!(S2MemAttr::NORMAL_NC.bits(), 0b0101);
        assert_eq!(S2MemAttr::new(0b0100), None);
        assert_eq!(S2MemAttr::new(0b0011), Some(S2MemAttr(0b0011)));
        assert_eq!(S2MemAttr::new(16), None);
        assert!(S2MemAttr::DEVICE_NGNRE.is_device());
        assert!(!S2MemAttr::NORMAL_NC.is_device());
    }

    #[test]
    fn decode_inverts_encode() {
        let shares = [
            Shareability::NonShareable,
            Shareability::OuterShareable,
            Shareability::InnerShareable,
        ];
        let accesses = [
            S2Access::NoAccess,
            S2Access::ReadOnly,
            S2Access::WriteOnly,
            S2Access::ReadWrite,
        ];
        for mem in (0..16).filter_map(S2MemAttr::new) {
            for access in accesses {
                for share in shares {
                    for executable in [false, true] {
                        let a = S2Attrs {
                            mem,
                            access,
                            executable,
                            share,
                        };
                        assert_eq!(Stage2::decode(leaf(3, 0x1000, a.to_bits())), a);
                    }
                }
            }
        }
    }
}
