//! The snapshot checksum: CRC-32C (Castagnoli, reflected polynomial
//! 0x82F63B78), the CRC the Armv8 `crc32c*` instructions compute. Not a
//! cryptographic hash: slots live in hypervisor RAM no partition can map,
//! so the checksum only has to catch corruption (a torn write, a stray
//! DMA, a bit flip, the wrong slot), and it has to get through hundreds of
//! MiB quickly, also under QEMU's TCG (see `docs/partition-lifecycle.md`,
//! "Checksum").
//!
//! This is the portable version, a byte-at-a-time table: the hypervisor
//! uses it where the core lacks the CRC instructions
//! (ID_AA64ISAR0_EL1.CRC32 = 0) and for its known-answer check; the host
//! tests use it throughout. Same values as the instructions.

/// A CRC-32C function in the form the slot format takes it:
/// `crc(previous, data)` continues the CRC `previous` of earlier bytes over
/// `data` (start with 0), so `crc(crc(0, a), b) == crc(0, a ++ b)`.
pub type Crc32cFn = fn(u32, &[u8]) -> u32;

const POLY: u32 = 0x82F6_3B78;

const fn table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = (c >> 1) ^ (POLY & 0u32.wrapping_sub(c & 1));
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

/// CRC-32C of every byte value, for the byte-at-a-time loop.
static TABLE: [u32; 256] = table();

/// Continues the CRC-32C `crc` over `data` ([`Crc32cFn`]).
pub fn crc32c(crc: u32, data: &[u8]) -> u32 {
    let mut c = !crc;
    for &b in data {
        // The index is masked to 0..=255: always inside the table.
        c = TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// Copies `src` into `dst` (same length; a shorter one bounds the copy)
/// and returns the CRC-32C `crc` continued over the bytes copied: the
/// portable form of the hypervisor's fused copy-and-checksum loop.
pub fn copy_crc32c(crc: u32, src: &[u8], dst: &mut [u8]) -> u32 {
    let n = src.len().min(dst.len());
    let (Some(s), Some(d)) = (src.get(..n), dst.get_mut(..n)) else {
        return crc;
    };
    d.copy_from_slice(s);
    crc32c(crc, d)
}

#[cfg(test)]
mod tests {
    use super::{copy_crc32c, crc32c};

    /// Bit by bit, straight from the definition.
    fn reference(data: &[u8]) -> u32 {
        let mut crc: u32 = !0;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0x82F6_3B78 & 0u32.wrapping_sub(crc & 1));
            }
        }
        !crc
    }

    #[test]
    fn check_values() {
        // The standard check value of CRC-32C over "123456789".
        assert_eq!(crc32c(0, b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(0, b""), 0);
        // RFC 3720 (iSCSI), B.4: 32 bytes of zeros, of 0xFF.
        assert_eq!(crc32c(0, &[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(0, &[0xFFu8; 32]), 0x62A8_AB43);
        let inc: Vec<u8> = (0..32).collect();
        assert_eq!(crc32c(0, &inc), 0x46DD_794E);
    }

    #[test]
    fn table_matches_the_definition_and_continues() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        assert_eq!(crc32c(0, &data), reference(&data));
        for cut in [0, 1, 7, 8, 63, 64, 500, 1000] {
            let (a, b) = data.split_at(cut);
            assert_eq!(crc32c(crc32c(0, a), b), crc32c(0, &data), "cut at {cut}");
        }
        let mut out = vec![0u8; data.len()];
        assert_eq!(copy_crc32c(0, &data, &mut out), crc32c(0, &data));
        assert_eq!(out, data);
    }

    #[test]
    fn every_byte_matters() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        let h = crc32c(0, &data);
        for i in 0..data.len() {
            let mut d = data.clone();
            d[i] ^= 1;
            assert_ne!(crc32c(0, &d), h, "flip at {i}");
        }
        assert_ne!(crc32c(0, &data[..299]), h);
    }
}
