//! System register values that go with these tables. The hypervisor writes
//! them; this module only computes them.

use super::parange::PaRange;
use crate::addr::PhysAddr;

/// MAIR_EL2 attribute byte for index 0: Device-nGnRE.
pub const MAIR_DEVICE_NGNRE: u8 = 0x04;
/// MAIR_EL2 attribute byte for index 1: Normal, inner/outer write-back
/// non-transient, read- and write-allocate.
pub const MAIR_NORMAL_WB: u8 = 0xff;
/// MAIR_EL2 attribute byte for index 2: Normal, inner/outer non-cacheable.
pub const MAIR_NORMAL_NC: u8 = 0x44;

/// MAIR_EL2 for [`MairIndex`](super::MairIndex): bytes 0, 1, 2 as above,
/// bytes 3 to 7 zero (Device-nGnRnE, unused).
pub const MAIR_EL2: u64 =
    (MAIR_NORMAL_NC as u64) << 16 | (MAIR_NORMAL_WB as u64) << 8 | MAIR_DEVICE_NGNRE as u64;

/// TCR_EL2 (E2H = 0) bits 31 and 23 are RES1.
pub const TCR_EL2_RES1: u64 = (1 << 31) | (1 << 23);
/// T0SZ = 16: a 48-bit VA space, walk starting at level 0.
pub const TCR_EL2_T0SZ: u64 = 16;
/// IRGN0 (bits 9:8) = 0b01: table walks inner write-back write-allocate.
pub const TCR_EL2_IRGN0_WBWA: u64 = 0b01 << 8;
/// ORGN0 (bits 11:10) = 0b01: table walks outer write-back write-allocate.
pub const TCR_EL2_ORGN0_WBWA: u64 = 0b01 << 10;
/// SH0 (bits 13:12) = 0b11: table walks inner shareable.
pub const TCR_EL2_SH0_INNER: u64 = 0b11 << 12;
/// TG0 (bits 15:14) = 0b00: 4 KiB granule.
pub const TCR_EL2_TG0_4K: u64 = 0b00 << 14;
/// PS is bits 18:16 (the same place in VTCR_EL2).
pub const TCR_EL2_PS_SHIFT: u32 = 16;

/// VTCR_EL2 bit 31 is RES1.
pub const VTCR_EL2_RES1: u64 = 1 << 31;
/// VTCR_EL2.SL0 (bits 7:6) with a 4 KiB granule: 0b01 starts at level 1.
pub const VTCR_EL2_SL0_LEVEL1: u64 = 0b01 << 6;
/// VTCR_EL2.SL0 with a 4 KiB granule: 0b10 starts at level 0.
pub const VTCR_EL2_SL0_LEVEL0: u64 = 0b10 << 6;

/// TCR_EL2 for the EL2 identity map on a machine with PA range `pa`
/// (from ID_AA64MMFR0_EL1, see [`PaRange::from_id_aa64mmfr0`]). TBI, HA
/// and HD stay 0.
pub const fn tcr_el2(pa: PaRange) -> u64 {
    TCR_EL2_RES1
        | (pa.ps() << TCR_EL2_PS_SHIFT)
        | TCR_EL2_TG0_4K
        | TCR_EL2_SH0_INNER
        | TCR_EL2_ORGN0_WBWA
        | TCR_EL2_IRGN0_WBWA
        | TCR_EL2_T0SZ
}

/// TTBR0_EL2: the root table's address (CnP = 0).
pub const fn ttbr0_el2(root: PhysAddr) -> u64 {
    root.0 & 0x0000_ffff_ffff_fffe
}

/// VTTBR_EL2: root table address in BADDR (bits 47:1), `vmid` in bits
/// 55:48 (8-bit VMIDs, VTCR_EL2.VS = 0), CnP = 0.
pub const fn vttbr_el2(root: PhysAddr, vmid: u8) -> u64 {
    ((vmid as u64) << 48) | (root.0 & 0x0000_ffff_ffff_fffe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mair() {
        assert_eq!(MAIR_EL2, 0x0044_ff04);
    }

    // Hand-computed: 0x8080_0000 (RES1) | PS << 16 | 0x3000 (SH0) | 0x400
    // (ORGN0) | 0x100 (IRGN0) | 0x10 (T0SZ 16).
    #[test]
    fn tcr() {
        assert_eq!(tcr_el2(PaRange::Bits44), 0x8084_3510);
        assert_eq!(tcr_el2(PaRange::Bits40), 0x8082_3510);
        assert_eq!(tcr_el2(PaRange::Bits32), 0x8080_3510);
        assert_eq!(tcr_el2(PaRange::Bits48), 0x8085_3510);
        assert_eq!(tcr_el2(PaRange::Bits52), 0x8085_3510);
    }

    #[test]
    fn translation_table_bases() {
        assert_eq!(vttbr_el2(PhysAddr(0x4008_0000), 3), 0x0003_0000_4008_0000);
        assert_eq!(vttbr_el2(PhysAddr(0x4008_2000), 255), 0x00ff_0000_4008_2000);
        assert_eq!(ttbr0_el2(PhysAddr(0x4010_0000)), 0x4010_0000);
    }
}
