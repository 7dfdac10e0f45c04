use crate::{parse_size, ByteSize, SizeError};

#[test]
fn suffixes_and_forms() {
    assert_eq!(parse_size("4K"), Ok(4096));
    assert_eq!(parse_size("64M"), Ok(64 << 20));
    assert_eq!(parse_size("1G"), Ok(1 << 30));
    assert_eq!(parse_size("2T"), Ok(2 << 40));
    assert_eq!(parse_size("256MiB"), Ok(256 << 20));
    assert_eq!(parse_size("16m"), Ok(16 << 20));
    assert_eq!(parse_size("1 G"), Ok(1 << 30));
    assert_eq!(parse_size("4096"), Ok(4096));
    assert_eq!(parse_size("1_048_576"), Ok(1 << 20));
    assert_eq!(parse_size("0x1000"), Ok(4096));
    assert_eq!(parse_size(" 8K "), Ok(8192));
}

#[test]
fn refusals() {
    assert_eq!(parse_size(""), Err(SizeError::NoNumber));
    assert_eq!(parse_size("M"), Err(SizeError::NoNumber));
    assert_eq!(parse_size("12Q"), Err(SizeError::BadSuffix));
    assert_eq!(parse_size("1.5G"), Err(SizeError::BadSuffix));
    assert_eq!(parse_size("-4K"), Err(SizeError::BadSuffix));
    assert_eq!(parse_size("0x10M"), Err(SizeError::BadDigit));
    assert_eq!(parse_size("16777216T"), Err(SizeError::Overflow));
    assert_eq!(parse_size("99999999999999999999"), Err(SizeError::Overflow));
}

#[test]
fn display_uses_the_largest_exact_unit() {
    assert_eq!(ByteSize(256 << 20).to_string(), "256M");
    assert_eq!(ByteSize(4096).to_string(), "4K");
    assert_eq!(ByteSize(1 << 30).to_string(), "1G");
    assert_eq!(ByteSize(12345).to_string(), "12345");
    assert_eq!(ByteSize(0).to_string(), "0");
}
