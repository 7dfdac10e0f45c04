//! Identification and type registers: what the guest learns about the
//! GIC it has.

use super::config::{GicVersion, VgicConfig};
use crate::psci::vcpu_mpidr;

/// GICD_IIDR / GICR_IIDR: Implementer 0x43B (the JEP106 code GIC
/// implementations report), ProductID 0x42 ('B' for Bulkhead), variant and
/// revision 0. No Linux erratum workaround matches it.
pub(crate) const IIDR: u32 = 0x4200_043B;

/// GICD_CTLR (DS = 1 view): EnableGrp0, EnableGrp1, ARE, DS.
pub(crate) const CTLR_ENABLE_GRP0: u32 = 1 << 0;
pub(crate) const CTLR_ENABLE_GRP1: u32 = 1 << 1;
pub(crate) const CTLR_ARE: u32 = 1 << 4;
pub(crate) const CTLR_DS: u32 = 1 << 6;

/// GICR_WAKER bits.
pub(crate) const WAKER_PROCESSOR_SLEEP: u32 = 1 << 1;
pub(crate) const WAKER_CHILDREN_ASLEEP: u32 = 1 << 2;

/// GICR_TYPER.Last.
pub(crate) const RTYPER_LAST: u64 = 1 << 4;

/// ITLinesNumber: enough 32-interrupt blocks to cover the highest owned SPI
/// (0 when the partition owns none: SGIs and PPIs only).
pub(crate) fn it_lines(config: &VgicConfig) -> u32 {
    config.highest_spi().map_or(0, |m| m / 32).min(31)
}

/// GICD_TYPER.
pub(crate) fn gicd_typer(config: &VgicConfig) -> u32 {
    let lines = it_lines(config);
    match config.version {
        // CPUNumber = vCPUs - 1, no security extensions, no LSPIs.
        GicVersion::V2 => {
            let cpus = u32::try_from(config.vcpus.saturating_sub(1)).unwrap_or(0) & 0x7;
            lines | (cpus << 5)
        }
        // IDbits = 9 (10 bits of INTID), no LPIs or MBIs, CPUNumber 0
        // (affinity routing), 1-of-N supported, Aff3 = 0 only, RSS = 0.
        GicVersion::V3 => lines | (9 << 19),
    }
}

/// PIDR2: ArchRev in bits 7:4, JEDEC-assigned (bit 3) and the JEP106
/// identity bits 6:4 of 0x3B (DES_1) in bits 2:0.
pub(crate) fn pidr2(version: GicVersion) -> u32 {
    let arch = match version {
        GicVersion::V2 => 2,
        GicVersion::V3 => 3,
    };
    (arch << 4) | 0b1011
}

/// CIDR0..3: the PrimeCell component id every GIC frame carries.
pub(crate) fn cidr(index: u64) -> u32 {
    match index {
        0 => 0x0D,
        1 => 0xF0,
        2 => 0x05,
        3 => 0xB1,
        _ => 0,
    }
}

/// GICR_TYPER of vCPU `vcpu`'s redistributor: Affinity_Value (63:32) is
/// its MPIDR affinity Aff3.Aff2.Aff1.Aff0, Processor_Number (23:8) its
/// index, Last (4) on the final frame; no LPIs (PLPIS, VLPIS, DirectLPI 0).
pub(crate) fn gicr_typer(vcpu: usize, vcpus: usize) -> u64 {
    let mpidr = vcpu_mpidr(vcpu);
    let affinity = (mpidr & 0xFF_FFFF) | ((mpidr >> 8) & 0xFF00_0000);
    let number = u64::try_from(vcpu).unwrap_or(0) & 0xFFFF;
    let mut v = (affinity << 32) | (number << 8);
    if vcpu.checked_add(1) == Some(vcpus) {
        v |= RTYPER_LAST;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vgic::config::{OwnedSpi, SpiKind};
    use alloc::vec;

    #[test]
    fn typer_v3_covers_highest_spi() {
        let c = VgicConfig {
            version: GicVersion::V3,
            vcpus: 4,
            spis: vec![OwnedSpi {
                intid: 79,
                kind: SpiKind::Hardware,
            }],
        };
        // 79 / 32 = 2 → 96 interrupt ids; IDbits 9.
        assert_eq!(gicd_typer(&c), 2 | (9 << 19));
    }

    #[test]
    fn gicr_typer_affinity() {
        // vCPU 17: Aff1 = 1, Aff0 = 1.
        assert_eq!(gicr_typer(17, 18), (0x0101 << 32) | (17 << 8) | RTYPER_LAST);
        assert_eq!(gicr_typer(0, 2), 0);
    }
}
