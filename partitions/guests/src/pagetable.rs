//! The guest's stage-1 identity map (pure; `arch::mmu` owns the tables and
//! turns the MMU on).
//!
//! 4 KiB granule, 39-bit addresses (TCR_EL1.T0SZ = 25), so translation starts
//! at level 1 with 1 GiB entries. Everything is Device-nGnRE and
//! non-executable except the 2 MiB blocks that cover the guest's own image
//! and its device tree, which are Normal write-back memory. The guest never
//! touches any other RAM, so it needs to know nothing about the partition's
//! memory layout to build this.

pub const ENTRIES: usize = 512;
pub const L1_SHIFT: u32 = 30;
pub const L2_SHIFT: u32 = 21;
/// Highest address + 1 that the map covers (TCR_EL1.T0SZ = 25).
pub const VA_LIMIT: u64 = 1 << 39;

/// MAIR_EL1: attribute 0 = Device-nGnRE, attribute 1 = Normal, inner and
/// outer write-back read/write-allocate.
pub const MAIR: u64 = 0xff04;
const ATTR_DEVICE: u64 = 0 << 2;
const ATTR_NORMAL: u64 = 1 << 2;

const VALID_BLOCK: u64 = 0b01;
const VALID_TABLE: u64 = 0b11;
const AF: u64 = 1 << 10;
const SH_INNER: u64 = 3 << 8;
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;

pub fn device_block(addr: u64) -> u64 {
    addr | ATTR_DEVICE | AF | PXN | UXN | VALID_BLOCK
}

/// EL1 read/write (AP = 0), executable at EL1.
pub fn normal_block(addr: u64) -> u64 {
    addr | ATTR_NORMAL | SH_INNER | AF | UXN | VALID_BLOCK
}

pub fn table(addr: u64) -> u64 {
    addr | VALID_TABLE
}

/// A physical range [base, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub base: u64,
    pub end: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// The normal ranges touch more 1 GiB regions than there are L2 tables.
    OutOfTables,
    /// A range lies above VA_LIMIT.
    OutOfRange,
}

/// Fills `l1` (and as many of `l2` as needed) with the identity map.
/// `l2_addr[i]` is the physical address of `l2[i]`.
pub fn build(
    l1: &mut [u64; ENTRIES],
    l2: &mut [[u64; ENTRIES]],
    l2_addr: &[u64],
    normal: &[Range],
) -> Result<usize, MapError> {
    for (i, e) in l1.iter_mut().enumerate() {
        *e = device_block((i as u64) << L1_SHIFT);
    }
    let mut used = 0;
    for r in normal {
        if r.end <= r.base {
            continue;
        }
        if r.end > VA_LIMIT {
            return Err(MapError::OutOfRange);
        }
        let first = r.base >> L2_SHIFT;
        let last = (r.end - 1) >> L2_SHIFT;
        for block in first..=last {
            let addr = block << L2_SHIFT;
            let gib = (addr >> L1_SHIFT) as usize;
            let t = match l2_addr[..used].iter().position(|&a| l1[gib] == table(a)) {
                Some(t) => t,
                None => {
                    if used == l2.len().min(l2_addr.len()) {
                        return Err(MapError::OutOfTables);
                    }
                    let base = (gib as u64) << L1_SHIFT;
                    for (j, e) in l2[used].iter_mut().enumerate() {
                        *e = device_block(base + ((j as u64) << L2_SHIFT));
                    }
                    l1[gib] = table(l2_addr[used]);
                    used += 1;
                    used - 1
                }
            };
            l2[t][(block as usize) % ENTRIES] = normal_block(addr);
        }
    }
    Ok(used)
}

/// TCR_EL1: T0SZ = 25, table walks inner/outer write-back and inner
/// shareable, 4 KiB granule, TTBR1 walks disabled, IPS from `pa_range`
/// (ID_AA64MMFR0_EL1.PARange, capped at 48 bits).
pub const fn tcr(pa_range: u64) -> u64 {
    let ips = if pa_range & 0xf > 5 {
        5
    } else {
        pa_range & 0xf
    };
    25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (ips << 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(l1: &[u64; ENTRIES], l2: &[[u64; ENTRIES]], l2_addr: &[u64], addr: u64) -> u64 {
        let e = l1[(addr >> L1_SHIFT) as usize];
        if e & 0b11 == VALID_TABLE {
            let t = l2_addr.iter().position(|&a| a == e & !0xfff).unwrap();
            l2[t][((addr >> L2_SHIFT) as usize) % ENTRIES]
        } else {
            e
        }
    }

    #[test]
    fn image_and_dtb_are_normal_everything_else_device() {
        let mut l1 = [0; ENTRIES];
        let mut l2 = vec![[0u64; ENTRIES]; 4];
        let addrs = [0x1000, 0x2000, 0x3000, 0x4000];
        let image = Range {
            base: 0x4008_0000,
            end: 0x400a_4000,
        };
        let dtb = Range {
            base: 0x4800_0000,
            end: 0x4810_0000,
        };
        assert_eq!(build(&mut l1, &mut l2, &addrs, &[image, dtb]), Ok(1));
        let get = |a| lookup(&l1, &l2, &addrs, a);
        assert_eq!(get(0x4008_0000), normal_block(0x4000_0000));
        assert_eq!(get(0x401f_ffff), normal_block(0x4000_0000));
        assert_eq!(get(0x4800_0000), normal_block(0x4800_0000));
        assert_eq!(get(0x4020_0000), device_block(0x4020_0000));
        assert_eq!(get(0x0900_0000), device_block(0));
        assert_eq!(get(0x7fff_ffff), device_block(0x7fe0_0000));
        assert_eq!(get(0x8000_0000), device_block(0x8000_0000));
    }

    #[test]
    fn ranges_across_a_gib_boundary_take_two_tables() {
        let mut l1 = [0; ENTRIES];
        let mut l2 = vec![[0u64; ENTRIES]; 2];
        let addrs = [0x1000, 0x2000];
        let r = Range {
            base: 0x7ff0_0000,
            end: 0x8010_0000,
        };
        assert_eq!(build(&mut l1, &mut l2, &addrs, &[r]), Ok(2));
        assert_eq!(
            lookup(&l1, &l2, &addrs, 0x7ff0_0000),
            normal_block(0x7fe0_0000)
        );
        assert_eq!(
            lookup(&l1, &l2, &addrs, 0x8000_0000),
            normal_block(0x8000_0000)
        );
        let r3 = Range {
            base: 0x1_0000_0000,
            end: 0x1_0000_1000,
        };
        assert_eq!(
            build(&mut l1, &mut l2, &addrs, &[r, r3]),
            Err(MapError::OutOfTables)
        );
        let high = Range {
            base: VA_LIMIT - 0x1000,
            end: VA_LIMIT + 0x1000,
        };
        assert_eq!(
            build(&mut l1, &mut l2, &addrs, &[high]),
            Err(MapError::OutOfRange)
        );
    }

    #[test]
    fn descriptors() {
        assert_eq!(device_block(0x4000_0000), 0x0060_0000_4000_0401);
        assert_eq!(normal_block(0x4020_0000), 0x0040_0000_4020_0705);
        assert_eq!(table(0x4009_1000), 0x4009_1003);
        assert_eq!(tcr(2), 0x2_0080_3519);
        assert_eq!(tcr(6), 0x5_0080_3519);
    }
}
