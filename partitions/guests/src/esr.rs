//! Decoding of ESR_EL1 for the exception report (pure).

/// Exception class, ESR bits [31:26].
pub fn class(esr: u64) -> u8 {
    ((esr >> 26) & 0x3f) as u8
}

pub const EC_UNKNOWN: u8 = 0x00;
pub const EC_DATA_ABORT_LOWER: u8 = 0x24;
pub const EC_DATA_ABORT_SAME: u8 = 0x25;

/// A data abort, taken from EL0 or from EL1 itself.
pub fn is_data_abort(esr: u64) -> bool {
    matches!(class(esr), EC_DATA_ABORT_LOWER | EC_DATA_ABORT_SAME)
}

/// Short name of the exception class.
pub fn class_name(esr: u64) -> &'static str {
    match class(esr) {
        EC_UNKNOWN => "undefined instruction",
        0x01 => "wfi/wfe trap",
        0x07 => "fp/simd trap",
        0x0e => "illegal execution state",
        0x15 => "svc",
        0x16 => "hvc",
        0x17 => "smc",
        0x18 => "system register trap",
        0x20 | 0x21 => "instruction abort",
        0x22 => "pc alignment fault",
        EC_DATA_ABORT_LOWER | EC_DATA_ABORT_SAME => "data abort",
        0x26 => "sp alignment fault",
        0x2f => "serror",
        0x30..=0x35 => "debug exception",
        0x3c => "brk",
        _ => "exception",
    }
}

/// Whether a data abort was a write (ISS.WnR, valid when ISV or for most
/// aborts).
pub fn is_write(esr: u64) -> bool {
    esr & (1 << 6) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        // A synchronous external abort on a read, from EL1.
        let esr = 0x9600_0010;
        assert_eq!(class(esr), 0x25);
        assert!(is_data_abort(esr));
        assert!(!is_write(esr));
        assert_eq!(class_name(esr), "data abort");
        assert!(is_write(0x9600_0050));
        // udf #0
        assert_eq!(class_name(0x0200_0000), "undefined instruction");
        assert!(!is_data_abort(0x0200_0000));
        assert_eq!(class_name(0x9200_0000), "data abort");
        assert_eq!(class_name(0xf200_0000), "brk");
    }
}
