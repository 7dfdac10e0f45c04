//! Decoding property values: big-endian 32-bit cells, numbers made of
//! several cells, and NUL-separated string lists. No function here can
//! panic, whatever the bytes.

use alloc::string::String;
use alloc::vec::Vec;

/// The most cells a number may span: four cells fill a `u128`. Bindings use
/// at most three (PCI addresses).
pub const MAX_CELLS: u32 = 4;

/// The value as 32-bit cells; a trailing partial cell is ignored (callers
/// check lengths where it matters).
pub fn cells(value: &[u8]) -> impl Iterator<Item = u32> + '_ {
    value
        .chunks_exact(4)
        .map(|c| c.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

/// A number written as `n` cells, most significant first. `n` must be at
/// most [`MAX_CELLS`]; callers check.
pub fn number(cells: &[u32]) -> u128 {
    cells.iter().fold(0u128, |acc, &c| {
        acc.checked_shl(32).unwrap_or(0) | u128::from(c)
    })
}

/// A value of exactly one cell.
pub fn u32_value(value: &[u8]) -> Option<u32> {
    match value {
        [a, b, c, d] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// A value of one or two cells (`linux,initrd-start`, `cpu-release-addr`).
pub fn u64_value(value: &[u8]) -> Option<u64> {
    match value.len() {
        4 | 8 => Some(cells(value).fold(0u64, |acc, c| (acc << 32) | u64::from(c))),
        _ => None,
    }
}

/// The strings of a NUL-separated string list. Empty strings and strings
/// that are not UTF-8 are skipped; an unterminated last string is still
/// returned.
pub fn strings(value: &[u8]) -> impl Iterator<Item = &str> {
    value
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .filter_map(|s| core::str::from_utf8(s).ok())
}

/// The first string of a value, if it is UTF-8.
pub fn first_string(value: &[u8]) -> Option<&str> {
    strings(value).next()
}

/// A string value kept for printing: bytes that are not UTF-8 are replaced,
/// and the trailing NUL is dropped.
pub fn lossy_string(value: &[u8]) -> String {
    let value = value.strip_suffix(&[0]).unwrap_or(value);
    String::from_utf8_lossy(value).into_owned()
}

/// The first `max` strings of a list, owned.
pub fn string_list(value: &[u8], max: usize) -> Vec<String> {
    strings(value).take(max).map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_numbers() {
        let v = [0, 0, 0, 1, 0xfe, 0, 0, 0, 0xaa];
        assert_eq!(cells(&v).collect::<Vec<_>>(), [1, 0xfe00_0000]);
        assert_eq!(number(&[1, 0xfe00_0000]), 0x1_fe00_0000);
        assert_eq!(number(&[]), 0);
        assert_eq!(
            number(&[1, 2, 3, 4]),
            0x0000_0001_0000_0002_0000_0003_0000_0004
        );
        assert_eq!(number(&[9, 1, 2, 3, 4]), number(&[1, 2, 3, 4]));
        assert_eq!(u32_value(&[0, 0, 1, 0]), Some(256));
        assert_eq!(u32_value(&[0, 0, 1]), None);
        assert_eq!(u64_value(&[0, 0, 0, 0xd8]), Some(0xd8));
        assert_eq!(u64_value(&[0, 0, 0, 1, 0, 0, 0, 0xd8]), Some(0x1_0000_00d8));
        assert_eq!(u64_value(&[0; 12]), None);
    }

    #[test]
    fn string_lists() {
        let list = b"arm,pl011\0arm,primecell\0";
        assert_eq!(string_list(list, 8), ["arm,pl011", "arm,primecell"]);
        assert_eq!(string_list(list, 1), ["arm,pl011"]);
        assert_eq!(string_list(b"unterminated", 8), ["unterminated"]);
        assert!(string_list(b"", 8).is_empty());
        assert!(string_list(b"\0\0\0", 8).is_empty());
        assert_eq!(string_list(b"a\0\xff\0\0b\0", 8), ["a", "b"]);
        assert_eq!(first_string(b"smc\0"), Some("smc"));
        assert_eq!(lossy_string(b"x\xffy\0"), "x\u{fffd}y");
    }
}
