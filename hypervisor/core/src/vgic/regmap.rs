//! The register maps as tables: which register lives at which offset, how
//! wide its window is and which access sizes it takes. Offsets not in a
//! table are reserved (RAZ/WI).
//!
//! Distributor: IHI 0069 table 12-25 (GICv3) and IHI 0048 table 4-1
//! (GICv2). Redistributor RD_base and SGI_base: IHI 0069 tables 12-27 and
//! 12-29.

use super::access::Widths;

/// A register, or a family of per-interrupt registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reg {
    Ctlr,
    Typer,
    Iidr,
    Typer2,
    Igroupr,
    Isenabler,
    Icenabler,
    Ispendr,
    Icpendr,
    Isactiver,
    Icactiver,
    Ipriorityr,
    Itargetsr,
    Icfgr,
    Igrpmodr,
    Nsacr,
    Sgir,
    Cpendsgir,
    Spendsgir,
    Irouter,
    Pidr2,
    /// CIDR0..3, the component id bytes.
    Cidr,
    /// GICR_WAKER.
    Waker,
}

/// One row of a register table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u64,
    pub len: u64,
    pub reg: Reg,
    pub widths: Widths,
}

const fn span(start: u64, len: u64, reg: Reg, widths: Widths) -> Span {
    Span {
        start,
        len,
        reg,
        widths,
    }
}

use Reg::*;
use Widths::{ByteOrWord, Word, WordOrDouble};

/// GICv3 distributor (64 KiB frame). GICD_ITARGETSR, GICD_SGIR and the SGI
/// pending registers are RES0 with affinity routing and left out.
pub(crate) const DIST_V3: &[Span] = &[
    span(0x0000, 4, Ctlr, Word),
    span(0x0004, 4, Typer, Word),
    span(0x0008, 4, Iidr, Word),
    span(0x000C, 4, Typer2, Word),
    span(0x0080, 0x80, Igroupr, Word),
    span(0x0100, 0x80, Isenabler, Word),
    span(0x0180, 0x80, Icenabler, Word),
    span(0x0200, 0x80, Ispendr, Word),
    span(0x0280, 0x80, Icpendr, Word),
    span(0x0300, 0x80, Isactiver, Word),
    span(0x0380, 0x80, Icactiver, Word),
    span(0x0400, 0x400, Ipriorityr, ByteOrWord),
    span(0x0C00, 0x100, Icfgr, Word),
    span(0x0D00, 0x80, Igrpmodr, Word),
    span(0x0E00, 0x100, Nsacr, Word),
    span(0x6000, 0x2000, Irouter, WordOrDouble),
    span(0xFFE8, 4, Pidr2, Word),
    span(0xFFF0, 0x10, Cidr, Word),
];

/// GICv2 distributor (4 KiB of registers; the rest of the frame is
/// reserved).
pub(crate) const DIST_V2: &[Span] = &[
    span(0x000, 4, Ctlr, Word),
    span(0x004, 4, Typer, Word),
    span(0x008, 4, Iidr, Word),
    span(0x080, 0x80, Igroupr, Word),
    span(0x100, 0x80, Isenabler, Word),
    span(0x180, 0x80, Icenabler, Word),
    span(0x200, 0x80, Ispendr, Word),
    span(0x280, 0x80, Icpendr, Word),
    span(0x300, 0x80, Isactiver, Word),
    span(0x380, 0x80, Icactiver, Word),
    span(0x400, 0x400, Ipriorityr, ByteOrWord),
    span(0x800, 0x400, Itargetsr, ByteOrWord),
    span(0xC00, 0x100, Icfgr, Word),
    span(0xE00, 0x100, Nsacr, Word),
    span(0xF00, 4, Sgir, Word),
    span(0xF10, 0x10, Cpendsgir, ByteOrWord),
    span(0xF20, 0x10, Spendsgir, ByteOrWord),
    span(0xFE8, 4, Pidr2, Word),
    span(0xFF0, 0x10, Cidr, Word),
];

/// GICv3 redistributor, RD_base frame (first 64 KiB). GICR_CTLR, STATUSR,
/// the LPI registers and the rest read as zero (no LPIs).
pub(crate) const RD_BASE: &[Span] = &[
    span(0x0000, 4, Ctlr, Word),
    span(0x0004, 4, Iidr, Word),
    span(0x0008, 8, Typer, WordOrDouble),
    span(0x0014, 4, Waker, Word),
    span(0xFFE8, 4, Pidr2, Word),
    span(0xFFF0, 0x10, Cidr, Word),
];

/// GICv3 redistributor, SGI_base frame (offsets relative to its start,
/// RD_base + 0x10000): the SGI/PPI registers of one PE.
pub(crate) const SGI_BASE: &[Span] = &[
    span(0x0080, 4, Igroupr, Word),
    span(0x0100, 4, Isenabler, Word),
    span(0x0180, 4, Icenabler, Word),
    span(0x0200, 4, Ispendr, Word),
    span(0x0280, 4, Icpendr, Word),
    span(0x0300, 4, Isactiver, Word),
    span(0x0380, 4, Icactiver, Word),
    span(0x0400, 0x20, Ipriorityr, ByteOrWord),
    span(0x0C00, 8, Icfgr, Word),
    span(0x0D00, 4, Igrpmodr, Word),
    span(0x0E00, 4, Nsacr, Word),
];

/// The row containing `offset` and the offset relative to its start.
pub(crate) fn lookup(table: &[Span], offset: u64) -> Option<(Span, u64)> {
    table.iter().find_map(|s| {
        let rel = offset.checked_sub(s.start)?;
        (rel < s.len).then_some((*s, rel))
    })
}

/// Whether the whole access stays inside the row (a doubleword at the last
/// word of a family does not).
pub(crate) fn fits(span: Span, rel: u64, size: u8) -> bool {
    rel.checked_add(u64::from(size))
        .is_some_and(|end| end <= span.len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_and_disjoint(table: &[Span]) -> bool {
        table
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.start.saturating_add(a.len) <= b.start))
    }

    #[test]
    fn tables_are_sorted_and_disjoint() {
        for t in [DIST_V3, DIST_V2, RD_BASE, SGI_BASE] {
            assert!(sorted_and_disjoint(t));
        }
    }

    #[test]
    fn lookup_finds_the_family() {
        assert_eq!(
            lookup(DIST_V3, 0x6108).map(|(s, r)| (s.reg, r)),
            Some((Reg::Irouter, 0x108))
        );
        assert_eq!(lookup(DIST_V3, 0x10), None);
        assert_eq!(
            lookup(DIST_V2, 0x803).map(|(s, r)| (s.reg, r)),
            Some((Reg::Itargetsr, 3))
        );
    }
}
