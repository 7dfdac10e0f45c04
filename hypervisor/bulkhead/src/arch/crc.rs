//! CRC-32C on the Armv8 CRC32 instructions: the snapshot slots' checksum,
//! about one instruction per 8 bytes. Cores without the instructions
//! (ID_AA64ISAR0_EL1.CRC32 = 0) use the portable version in
//! `bulkhead_core::snapshot::hash`, which gives the same values.

use aarch64_cpu::registers::{Readable, ID_AA64ISAR0_EL1};
use core::arch::asm;

fn has_crc32() -> bool {
    (ID_AA64ISAR0_EL1.get() >> 16) & 0xF != 0
}

/// CRC-32C of `data`, widened as `crc | len << 32` (the checksum field).
pub fn crc32c_sum(data: &[u8]) -> u64 {
    if !has_crc32() {
        return bulkhead_core::snapshot::hash::crc32c_sum(data);
    }
    let mut crc: u32 = !0;
    let (head, words, tail) = {
        // SAFETY: reinterpreting aligned bytes as u64 words is sound for any
        // bit pattern; `align_to` gives the aligned middle part.
        unsafe { data.align_to::<u64>() }
    };
    for &b in head {
        crc = crc32cb(crc, b);
    }
    if !words.is_empty() {
        // SAFETY: reads `words.len()` u64s from `words`, which is a valid
        // slice; only general registers are used.
        unsafe {
            asm!(
                ".arch_extension crc",
                "1:",
                "ldr {w}, [{p}], #8",
                "crc32cx {c:w}, {c:w}, {w}",
                "subs {n}, {n}, #1",
                "b.ne 1b",
                p = inout(reg) words.as_ptr() => _,
                n = inout(reg) words.len() => _,
                w = out(reg) _,
                c = inout(reg) crc,
                options(nostack, readonly)
            )
        };
    }
    for &b in tail {
        crc = crc32cb(crc, b);
    }
    u64::from(!crc) | ((data.len() as u64) << 32)
}

fn crc32cb(crc: u32, b: u8) -> u32 {
    let mut c = crc;
    // SAFETY: one CRC instruction on registers.
    unsafe {
        asm!(".arch_extension crc", "crc32cb {c:w}, {c:w}, {b:w}", c = inout(reg) c, b = in(reg) u32::from(b), options(nomem, nostack, preserves_flags))
    };
    c
}
