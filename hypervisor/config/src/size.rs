//! Byte sizes as people write them: `"64M"`, `"1G"`, `"4K"`, `"512"`,
//! `"0x1000"`, or a plain integer.

use core::fmt;

/// A size in bytes. In TOML, an integer or a string with an optional
/// binary suffix: `K`/`KiB` (1024), `M`/`MiB`, `G`/`GiB`, `T`/`TiB`
/// (case-insensitive, so `"64m"` and `"64MiB"` both work).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct ByteSize(pub u64);

/// Why a size string was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SizeError {
    /// Nothing before the suffix.
    NoNumber,
    /// A character that is not a digit of the number.
    BadDigit,
    /// A suffix other than K, M, G, T (with optional `iB`).
    BadSuffix,
    /// More than 2^64 - 1 bytes.
    Overflow,
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SizeError::NoNumber => "no number",
            SizeError::BadDigit => "not a number",
            SizeError::BadSuffix => "unknown suffix (use K, M, G or T)",
            SizeError::Overflow => "too large",
        })
    }
}

/// Parses `"64M"`-style sizes (see [`ByteSize`]). Digits may be grouped
/// with `_`; `0x` starts a hexadecimal number (no suffix then).
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let text = text.trim();
    let (radix, body) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => (16, hex),
        None => (10, text),
    };
    let split = body
        .find(|c: char| !(c.is_digit(radix) || c == '_'))
        .unwrap_or(body.len());
    let (digits, suffix) = body.split_at(split);
    if radix == 16 && !suffix.is_empty() {
        return Err(SizeError::BadDigit);
    }
    let shift = suffix_shift(suffix.trim_start())?;
    let mut value: u64 = 0;
    let mut any = false;
    for c in digits.chars().filter(|c| *c != '_') {
        let d = c.to_digit(radix).ok_or(SizeError::BadDigit)?;
        value = value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or(SizeError::Overflow)?;
        any = true;
    }
    if !any {
        return Err(SizeError::NoNumber);
    }
    value.checked_mul(1u64 << shift).ok_or(SizeError::Overflow)
}

fn suffix_shift(suffix: &str) -> Result<u32, SizeError> {
    const UNITS: [(&str, &str, u32); 5] = [
        ("", "b", 0),
        ("k", "kib", 10),
        ("m", "mib", 20),
        ("g", "gib", 30),
        ("t", "tib", 40),
    ];
    UNITS
        .iter()
        .find(|(short, long, _)| {
            suffix.eq_ignore_ascii_case(short) || suffix.eq_ignore_ascii_case(long)
        })
        .map(|(_, _, shift)| *shift)
        .ok_or(SizeError::BadSuffix)
}

impl fmt::Display for ByteSize {
    /// The largest exact binary unit: `256M`, `4K`, `12345`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (shift, unit) in [(40u32, "T"), (30, "G"), (20, "M"), (10, "K")] {
            let scale = 1u64 << shift;
            if let Some(q) = n
                .checked_div(scale)
                .filter(|_| n != 0 && n.is_multiple_of(scale))
            {
                return write!(f, "{q}{unit}");
            }
        }
        write!(f, "{n}")
    }
}

#[cfg(any(test, feature = "host"))]
mod de {
    use super::{parse_size, ByteSize};
    use serde::de::{self, Deserialize, Deserializer, Visitor};

    struct SizeVisitor;

    impl Visitor<'_> for SizeVisitor {
        type Value = ByteSize;

        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("a size in bytes: an integer or a string such as \"64M\", \"1G\", \"4K\"")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
            Ok(ByteSize(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
            u64::try_from(v)
                .map(ByteSize)
                .map_err(|_| E::custom("a size cannot be negative"))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
            parse_size(v)
                .map(ByteSize)
                .map_err(|e| E::custom(format_args!("size \"{v}\": {e}")))
        }
    }

    impl<'de> Deserialize<'de> for ByteSize {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(SizeVisitor)
        }
    }
}
