//! Stage-2 geometry: from the IPA size and the machine's PA range to the
//! start level, the concatenated root and VTCR_EL2.
//!
//! The architecture accepts, with a 4 KiB granule, start level 1 for IPA
//! sizes of 31 to 43 bits (more than 39 bits needs 2 to 16 concatenated
//! level-1 tables) and start level 0 for 40 to 48 bits (only when the PA
//! range is more than 42 bits); the IPA size must not exceed the PA range.
//! Bulkhead takes the shortest walk:
//!
//! | IPA bits | T0SZ   | start | root                         |
//! |----------|--------|-------|------------------------------|
//! | 31..=39  | 33..=25| 1     | one table                    |
//! | 40..=43  | 24..=21| 1     | 2, 4, 8, 16 tables (8-64 KiB)|
//! | 44..=48  | 20..=16| 0     | one table                    |
//!
//! Smaller IPA spaces (start level 2) are not supported.

use super::error::Error;
use super::geometry::Layout;
use super::parange::PaRange;
use super::registers::{
    TCR_EL2_IRGN0_WBWA, TCR_EL2_ORGN0_WBWA, TCR_EL2_PS_SHIFT, TCR_EL2_SH0_INNER, TCR_EL2_TG0_4K,
    VTCR_EL2_RES1, VTCR_EL2_SL0_LEVEL0, VTCR_EL2_SL0_LEVEL1,
};

/// A checked stage-2 configuration.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Stage2Config {
    ipa_bits: u8,
    pa: PaRange,
}

impl Stage2Config {
    pub const MIN_IPA_BITS: u8 = 31;
    pub const MAX_IPA_BITS: u8 = 48;

    /// Refuses IPA sizes outside 31..=48 bits or larger than the PA range
    /// (48 bits at most with a 4 KiB granule).
    pub fn new(ipa_bits: u8, pa: PaRange) -> Result<Stage2Config, Error> {
        if !(Self::MIN_IPA_BITS..=Self::MAX_IPA_BITS).contains(&ipa_bits) {
            return Err(Error::UnsupportedIpaSize { bits: ipa_bits });
        }
        if ipa_bits > pa.output_bits() {
            return Err(Error::IpaExceedsPaRange {
                ipa_bits,
                pa_bits: pa.bits(),
            });
        }
        Ok(Stage2Config { ipa_bits, pa })
    }

    /// The largest IPA space the machine allows (its PA range, at most 48
    /// bits).
    pub fn widest(pa: PaRange) -> Stage2Config {
        Stage2Config {
            ipa_bits: pa.output_bits(),
            pa,
        }
    }

    pub fn ipa_bits(&self) -> u8 {
        self.ipa_bits
    }

    pub fn pa_range(&self) -> PaRange {
        self.pa
    }

    /// VTCR_EL2.T0SZ = 64 - IPA bits.
    pub fn t0sz(&self) -> u8 {
        64 - self.ipa_bits
    }

    pub fn start_level(&self) -> u8 {
        if self.ipa_bits <= 43 {
            1
        } else {
            0
        }
    }

    /// Concatenated tables at the start level: 2^(IPA bits - 39) for 40 to
    /// 43 bits, otherwise 1.
    pub fn root_tables(&self) -> usize {
        if self.start_level() == 1 && self.ipa_bits > 39 {
            1 << (self.ipa_bits - 39)
        } else {
            1
        }
    }

    pub(crate) fn layout(&self) -> Layout {
        Layout {
            start_level: self.start_level(),
            input_bits: self.ipa_bits,
            output_bits: self.pa.output_bits(),
            root_tables: self.root_tables(),
        }
    }

    /// VTCR_EL2: T0SZ, SL0 for the start level, table walks inner/outer
    /// write-back write-allocate and inner shareable, 4 KiB granule, PS
    /// from the PA range, 8-bit VMID (VS = 0), no hardware AF/dirty
    /// updates, RES1 bit 31.
    pub fn vtcr_el2(&self) -> u64 {
        let sl0 = if self.start_level() == 0 {
            VTCR_EL2_SL0_LEVEL0
        } else {
            VTCR_EL2_SL0_LEVEL1
        };
        VTCR_EL2_RES1
            | (self.pa.ps() << TCR_EL2_PS_SHIFT)
            | TCR_EL2_TG0_4K
            | TCR_EL2_SH0_INNER
            | TCR_EL2_ORGN0_WBWA
            | TCR_EL2_IRGN0_WBWA
            | sl0
            | u64::from(self.t0sz())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_unsupported_sizes() {
        assert_eq!(
            Stage2Config::new(30, PaRange::Bits48),
            Err(Error::UnsupportedIpaSize { bits: 30 })
        );
        assert_eq!(
            Stage2Config::new(49, PaRange::Bits52),
            Err(Error::UnsupportedIpaSize { bits: 49 })
        );
        assert_eq!(
            Stage2Config::new(44, PaRange::Bits40),
            Err(Error::IpaExceedsPaRange {
                ipa_bits: 44,
                pa_bits: 40
            })
        );
    }

    #[test]
    fn start_level_and_concatenation() {
        let c = |bits| Stage2Config::new(bits, PaRange::Bits48).unwrap();
        assert_eq!((c(31).start_level(), c(31).root_tables()), (1, 1));
        assert_eq!((c(39).start_level(), c(39).root_tables()), (1, 1));
        assert_eq!((c(40).start_level(), c(40).root_tables()), (1, 2));
        assert_eq!((c(43).start_level(), c(43).root_tables()), (1, 16));
        assert_eq!((c(44).start_level(), c(44).root_tables()), (0, 1));
        assert_eq!((c(48).start_level(), c(48).root_tables()), (0, 1));
        // Level 0 is never chosen when the PA range is 42 bits or less.
        let narrow = Stage2Config::widest(PaRange::Bits42);
        assert_eq!((narrow.ipa_bits(), narrow.start_level()), (42, 1));
    }

    // Hand-computed: RES1 bit 31 | PS << 16 | SH0 0b11 << 12 | ORGN0 0b01 << 10
    // | IRGN0 0b01 << 8 | SL0 << 6 | T0SZ.
    #[test]
    fn vtcr_values() {
        // 40-bit IPA on a 40-bit machine (Cortex-A53): T0SZ 24, SL0 0b01, PS 0b010.
        let a53 = Stage2Config::new(40, PaRange::Bits40).unwrap();
        assert_eq!(a53.vtcr_el2(), 0x8002_3558);
        // 40-bit IPA on a 44-bit machine (Cortex-A72).
        let a72 = Stage2Config::new(40, PaRange::Bits44).unwrap();
        assert_eq!(a72.vtcr_el2(), 0x8004_3558);
        // 39-bit: T0SZ 25 (0x19).
        let c39 = Stage2Config::new(39, PaRange::Bits44).unwrap();
        assert_eq!(c39.vtcr_el2(), 0x8004_3559);
        // 48-bit: T0SZ 16, SL0 0b10 (0x80), PS 0b101.
        let c48 = Stage2Config::new(48, PaRange::Bits48).unwrap();
        assert_eq!(c48.vtcr_el2(), 0x8005_3590);
        // PS is capped at 48 bits for a 52-bit machine.
        let c52 = Stage2Config::new(48, PaRange::Bits52).unwrap();
        assert_eq!(c52.vtcr_el2(), 0x8005_3590);
    }
}
