//! Physical address range, as ID_AA64MMFR0_EL1.PARange reports it. The same
//! 3-bit encoding is the PS field of TCR_EL2 and VTCR_EL2.

/// Implemented physical address size.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum PaRange {
    /// 0b0000: 4 GiB.
    Bits32,
    /// 0b0001: 64 GiB.
    Bits36,
    /// 0b0010: 1 TiB (Cortex-A53).
    Bits40,
    /// 0b0011: 4 TiB.
    Bits42,
    /// 0b0100: 16 TiB (Cortex-A57, Cortex-A72 as on Raspberry Pi 4).
    Bits44,
    /// 0b0101: 256 TiB.
    Bits48,
    /// 0b0110: 4 PiB (FEAT_LPA). With a 4 KiB granule and no FEAT_LPA2
    /// only 48 bits are usable, so tables and PS behave as [`Bits48`](Self::Bits48).
    Bits52,
}

impl PaRange {
    /// Decodes the PARange/PS encoding; `None` for reserved values.
    pub const fn from_field(field: u8) -> Option<PaRange> {
        Some(match field {
            0 => PaRange::Bits32,
            1 => PaRange::Bits36,
            2 => PaRange::Bits40,
            3 => PaRange::Bits42,
            4 => PaRange::Bits44,
            5 => PaRange::Bits48,
            6 => PaRange::Bits52,
            _ => return None,
        })
    }

    /// Decodes PARange, bits 3:0 of an ID_AA64MMFR0_EL1 value.
    pub const fn from_id_aa64mmfr0(reg: u64) -> Option<PaRange> {
        Self::from_field((reg & 0xf) as u8)
    }

    /// The architectural encoding (0 to 6).
    pub const fn field(self) -> u8 {
        match self {
            PaRange::Bits32 => 0,
            PaRange::Bits36 => 1,
            PaRange::Bits40 => 2,
            PaRange::Bits42 => 3,
            PaRange::Bits44 => 4,
            PaRange::Bits48 => 5,
            PaRange::Bits52 => 6,
        }
    }

    /// Implemented physical address bits (32 to 52).
    pub const fn bits(self) -> u8 {
        match self {
            PaRange::Bits32 => 32,
            PaRange::Bits36 => 36,
            PaRange::Bits40 => 40,
            PaRange::Bits42 => 42,
            PaRange::Bits44 => 44,
            PaRange::Bits48 => 48,
            PaRange::Bits52 => 52,
        }
    }

    /// Output address bits usable with a 4 KiB granule without FEAT_LPA2:
    /// `bits()` capped at 48.
    pub const fn output_bits(self) -> u8 {
        if self.bits() > 48 {
            48
        } else {
            self.bits()
        }
    }

    /// The value for the PS field of TCR_EL2 / VTCR_EL2: `field()` capped at
    /// 0b101 (48 bits), since PS = 0b110 needs FEAT_LPA2 with a 4 KiB granule.
    pub const fn ps(self) -> u64 {
        if self.field() > 5 {
            5
        } else {
            self.field() as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_round_trip_and_caps() {
        for f in 0..=6u8 {
            let r = PaRange::from_field(f).unwrap();
            assert_eq!(r.field(), f);
        }
        assert_eq!(PaRange::from_field(7), None);
        assert_eq!(PaRange::from_field(15), None);
        assert_eq!(
            PaRange::from_id_aa64mmfr0(0x0000_1124),
            Some(PaRange::Bits44)
        );
        assert_eq!(PaRange::Bits52.ps(), 5);
        assert_eq!(PaRange::Bits52.output_bits(), 48);
        assert_eq!(PaRange::Bits40.ps(), 2);
        assert_eq!(PaRange::Bits40.output_bits(), 40);
    }
}
