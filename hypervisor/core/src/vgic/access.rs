//! Access width rules and how an access maps onto per-interrupt fields.
//!
//! GICv3 (IHI 0069, "GIC memory-mapped register access") and GICv2 (IHI
//! 0048, "Register access"): every register takes aligned 32-bit accesses;
//! the priority and target registers (and GICv2's SGI pending registers)
//! take byte accesses too; 64-bit registers take 64-bit accesses and 32-bit
//! accesses to either half. Anything else (halfwords, misaligned accesses,
//! a doubleword on a 32-bit register) is treated as RAZ/WI here.

/// The access sizes a register accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Widths {
    Word,
    ByteOrWord,
    WordOrDouble,
}

/// Whether an access of `size` bytes at `offset` is architecturally
/// supported for a register with these widths.
pub(crate) fn permitted(widths: Widths, offset: u64, size: u8) -> bool {
    let aligned = match size {
        1 => true,
        2 => offset & 1 == 0,
        4 => offset & 3 == 0,
        8 => offset & 7 == 0,
        _ => return false,
    };
    aligned
        && match widths {
            Widths::Word => size == 4,
            Widths::ByteOrWord => size == 1 || size == 4,
            Widths::WordOrDouble => size == 4 || size == 8,
        }
}

/// The interrupts one access covers in a register family that gives each
/// interrupt `bits` bits (1, 2 or 8): `count` fields starting at INTID
/// `first`, field `i` at bit `i * bits` of the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fields {
    pub first: u32,
    pub count: u32,
    pub bits: u32,
}

impl Fields {
    /// `rel` is the byte offset inside the family (less than 0x2000 for
    /// every family, so the arithmetic cannot overflow; checked anyway).
    pub fn new(rel: u64, size: u8, bits: u32) -> Option<Self> {
        if !matches!(bits, 1 | 2 | 8) {
            return None;
        }
        let rel = u32::try_from(rel).ok()?;
        let first = rel.checked_mul(8)?.checked_div(bits)?;
        let count = u32::from(size).checked_mul(8)?.checked_div(bits)?;
        Some(Self { first, count, bits })
    }

    /// INTID and bit position of every field.
    pub fn iter(self) -> impl Iterator<Item = (u32, u32)> {
        (0..self.count).filter_map(move |i| {
            let intid = self.first.checked_add(i)?;
            let shift = i.checked_mul(self.bits)?;
            Some((intid, shift))
        })
    }

    /// The field mask (low `bits` bits).
    pub fn mask(self) -> u64 {
        match self.bits {
            1 => 0x1,
            2 => 0x3,
            _ => 0xFF,
        }
    }
}

/// `value >> shift`, zero when the shift is out of range.
pub(crate) fn shr(value: u64, shift: u32) -> u64 {
    value.checked_shr(shift).unwrap_or(0)
}

/// `value << shift`, zero when the shift is out of range.
pub(crate) fn shl(value: u64, shift: u32) -> u64 {
    value.checked_shl(shift).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert!(permitted(Widths::Word, 0x100, 4));
        assert!(!permitted(Widths::Word, 0x100, 1));
        assert!(!permitted(Widths::Word, 0x102, 4));
        assert!(permitted(Widths::ByteOrWord, 0x403, 1));
        assert!(!permitted(Widths::ByteOrWord, 0x402, 2));
        assert!(permitted(Widths::WordOrDouble, 0x6104, 4));
        assert!(!permitted(Widths::WordOrDouble, 0x6104, 8));
        assert!(!permitted(Widths::Word, 0, 3));
    }

    #[test]
    fn fields_of_an_access() {
        let f = Fields::new(4, 4, 1).unwrap();
        assert_eq!((f.first, f.count), (32, 32));
        let f = Fields::new(0x23, 1, 8).unwrap();
        assert_eq!((f.first, f.count), (0x23, 1));
        let f = Fields::new(8, 4, 2).unwrap();
        assert_eq!((f.first, f.count), (32, 16));
        assert_eq!(f.iter().nth(1), Some((33, 2)));
    }
}
