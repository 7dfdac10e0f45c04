//! Interrupt specifiers in the GIC binding's three-cell form,
//! `<type number flags>`: type 0 is an SPI (INTID - 32), 1 a PPI
//! (INTID - 16), and on GICv3 only 2 an extended SPI (INTID - 4096) and 3 an
//! extended PPI (INTID - 1056).
//!
//! Flags carry the trigger as Linux's IRQ_TYPE values, rising edge (1) or
//! high level (4): the GIC implements no other kind for SPIs, and for PPIs
//! the polarity is the wiring's business, so the board's low-level PPIs
//! (the Pi's timer) are written as high-level. On GICv2, PPIs also carry
//! the mask of CPUs they are wired to in bits 15:8.

use bulkhead_core::hw::{Interrupt, Trigger};

/// The interrupt controller generation the specifier is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GicVersion {
    V2,
    V3,
}

/// What [`specifier`] needs to know about the partition.
#[derive(Clone, Copy, Debug)]
pub struct IrqContext {
    pub gic: GicVersion,
    pub vcpus: usize,
}

pub const SPIS: core::ops::RangeInclusive<u32> = 32..=1019;
pub const PPIS: core::ops::RangeInclusive<u32> = 16..=31;
const EXTENDED_SPIS: core::ops::RangeInclusive<u32> = 4096..=5119;
const EXTENDED_PPIS: core::ops::RangeInclusive<u32> = 1056..=1119;

pub const EDGE_RISING: u32 = 1;
pub const LEVEL_HIGH: u32 = 4;

/// What the partition's GIC can be told about, for error messages.
pub fn describable(gic: GicVersion) -> &'static str {
    match gic {
        GicVersion::V2 => "a PPI (16-31) or an SPI (32-1019)",
        GicVersion::V3 => "a PPI, an SPI or an extended PPI or SPI",
    }
}

/// The three cells for `interrupt`, or None when the INTID has no
/// specifier on this GIC (SGIs, special INTIDs, extended ranges on GICv2).
pub fn specifier(interrupt: Interrupt, cx: IrqContext) -> Option<[u32; 3]> {
    let intid = interrupt.intid.0;
    let trigger = match interrupt.trigger {
        Trigger::Edge => EDGE_RISING,
        Trigger::Level => LEVEL_HIGH,
    };
    let v3 = cx.gic == GicVersion::V3;
    if SPIS.contains(&intid) {
        Some([0, intid - 32, trigger])
    } else if PPIS.contains(&intid) {
        let mask = if v3 { 0 } else { ppi_cpu_mask(cx.vcpus) << 8 };
        Some([1, intid - 16, trigger | mask])
    } else if v3 && EXTENDED_SPIS.contains(&intid) {
        Some([2, intid - 4096, trigger])
    } else if v3 && EXTENDED_PPIS.contains(&intid) {
        Some([3, intid - 1056, trigger])
    } else {
        None
    }
}

/// One bit per vCPU, for the eight CPU interfaces GICv2 has.
fn ppi_cpu_mask(vcpus: usize) -> u32 {
    let n = vcpus.min(8);
    (1u32 << n) - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_core::hw::Intid;

    fn irq(intid: u32, trigger: Trigger) -> Interrupt {
        Interrupt {
            intid: Intid(intid),
            trigger,
        }
    }

    #[test]
    fn encodes_each_range() {
        let v3 = IrqContext {
            gic: GicVersion::V3,
            vcpus: 4,
        };
        let v2 = IrqContext {
            gic: GicVersion::V2,
            vcpus: 2,
        };
        assert_eq!(specifier(irq(33, Trigger::Level), v3), Some([0, 1, 4]));
        assert_eq!(specifier(irq(48, Trigger::Edge), v3), Some([0, 16, 1]));
        assert_eq!(specifier(irq(30, Trigger::Level), v3), Some([1, 14, 4]));
        assert_eq!(specifier(irq(30, Trigger::Level), v2), Some([1, 14, 0x304]));
        assert_eq!(specifier(irq(4100, Trigger::Level), v3), Some([2, 4, 4]));
        assert_eq!(specifier(irq(1057, Trigger::Edge), v3), Some([3, 1, 1]));
        assert_eq!(specifier(irq(4100, Trigger::Level), v2), None);
        assert_eq!(specifier(irq(5, Trigger::Edge), v3), None);
        assert_eq!(specifier(irq(1020, Trigger::Level), v3), None);
    }

    #[test]
    fn gicv2_mask_covers_at_most_eight_cpus() {
        assert_eq!(ppi_cpu_mask(1), 1);
        assert_eq!(ppi_cpu_mask(8), 0xff);
        assert_eq!(ppi_cpu_mask(200), 0xff);
    }
}
