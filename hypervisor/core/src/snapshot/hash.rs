//! The snapshot checksum: XXH64 (seed 0), written here from the published
//! algorithm description. Not a cryptographic hash: slots live in
//! hypervisor RAM no partition can map, so the checksum only has to catch
//! corruption (a torn write, a stray DMA, a bit flip, the wrong slot), and
//! it has to get through hundreds of MiB quickly under QEMU's TCG, where
//! SHA-256 is an order of magnitude slower (see
//! `docs/partition-lifecycle.md`, "Checksum").

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P3: u64 = 0x1656_67B1_9E37_79F9;
const P4: u64 = 0x85EB_CA77_C2B2_AE63;
const P5: u64 = 0x27D4_EB2F_1656_67C5;

fn round(acc: u64, input: u64) -> u64 {
    acc.wrapping_add(input.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

fn merge(acc: u64, lane: u64) -> u64 {
    (acc ^ round(0, lane)).wrapping_mul(P1).wrapping_add(P4)
}

/// Reads a little-endian u64 from the first 8 bytes of `b` (which the
/// callers guarantee by chunking).
fn le64(b: &[u8]) -> u64 {
    // One load: the callers pass exactly 8 bytes.
    <[u8; 8]>::try_from(b).map(u64::from_le_bytes).unwrap_or(0)
}

fn le32(b: &[u8]) -> u64 {
    let mut a = [0u8; 4];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    u64::from(u32::from_le_bytes(a))
}

/// XXH64 of `data` with seed 0.
pub fn xxh64(data: &[u8]) -> u64 {
    let mut stripes = data.chunks_exact(32);
    let mut h = if data.len() >= 32 {
        let mut v = [P1.wrapping_add(P2), P2, 0, 0u64.wrapping_sub(P1)];
        for stripe in stripes.by_ref() {
            for (lane, word) in v.iter_mut().zip(stripe.chunks_exact(8)) {
                *lane = round(*lane, le64(word));
            }
        }
        let [v1, v2, v3, v4] = v;
        let h = v1
            .rotate_left(1)
            .wrapping_add(v2.rotate_left(7))
            .wrapping_add(v3.rotate_left(12))
            .wrapping_add(v4.rotate_left(18));
        merge(merge(merge(merge(h, v1), v2), v3), v4)
    } else {
        P5
    };
    // A slice is never longer than 2^64 bytes.
    h = h.wrapping_add(data.len() as u64);

    let rest = stripes.remainder();
    let mut words = rest.chunks_exact(8);
    for word in words.by_ref() {
        h = (h ^ round(0, le64(word)))
            .rotate_left(27)
            .wrapping_mul(P1)
            .wrapping_add(P4);
    }
    let rest = words.remainder();
    let mut halves = rest.chunks_exact(4);
    for half in halves.by_ref() {
        h = (h ^ le32(half).wrapping_mul(P1))
            .rotate_left(23)
            .wrapping_mul(P2)
            .wrapping_add(P3);
    }
    for &byte in halves.remainder() {
        h = (h ^ u64::from(byte).wrapping_mul(P5))
            .rotate_left(11)
            .wrapping_mul(P1);
    }

    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `data`,
/// bit by bit: the portable reference for the hypervisor's CRC-instruction
/// version, widened to the checksum field as `crc | len << 32`.
pub fn crc32c_sum(data: &[u8]) -> u64 {
    let mut crc: u32 = !0;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0x82F6_3B78 & 0u32.wrapping_sub(crc & 1));
        }
    }
    u64::from(!crc) | ((data.len() as u64) << 32)
}

#[cfg(test)]
mod tests {
    use super::xxh64;

    #[test]
    fn crc32c_check_value() {
        // The standard check value of CRC-32C over "123456789".
        assert_eq!(super::crc32c_sum(b"123456789") & 0xFFFF_FFFF, 0xE306_9283);
    }

    #[test]
    fn reference_values() {
        assert_eq!(xxh64(b""), 0xEF46_DB37_51D8_E999);
        assert_eq!(xxh64(b"a"), 0xD24E_C4F1_A98C_6E5B);
        assert_eq!(xxh64(b"abc"), 0x44BC_2CF5_AD77_0999);
        // Values from an independent implementation, covering stripes and
        // every tail length class.
        let a: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        assert_eq!(xxh64(&a), 0x240B_95ED_F72F_18E0);
        let mut b: Vec<u8> = (0..3).flat_map(|_| 0..=255u8).collect();
        b.extend_from_slice(b"xyz12");
        assert_eq!(xxh64(&b), 0x9B7D_50C0_4781_8B1B);
        assert_eq!(
            xxh64(b"0123456789abcdef0123456789abcdef0123456"),
            0xE97F_503D_2686_3ECD
        );
    }

    #[test]
    fn every_byte_matters() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        let h = xxh64(&data);
        for i in 0..data.len() {
            let mut d = data.clone();
            d[i] ^= 1;
            assert_ne!(xxh64(&d), h, "flip at {i}");
        }
        assert_ne!(xxh64(&data[..299]), h);
    }
}
