//! The register map: offsets, widths and reset values of the emulated
//! distributor and redistributors, checked against the architecture
//! specifications (IHI 0069 for GICv3, IHI 0048 for GICv2).

// Inside a module named after the file so `cargo test vgic` selects it.
mod vgic_regmap {
    use bulkhead_core::vgic::{Effect, GicVersion, OwnedSpi, SpiKind, Vgic, VgicConfig};

    fn vgic(version: GicVersion, vcpus: usize, spis: &[(u32, SpiKind)]) -> Vgic {
        Vgic::new(VgicConfig {
            version,
            vcpus,
            spis: spis
                .iter()
                .map(|&(intid, kind)| OwnedSpi { intid, kind })
                .collect(),
        })
        .unwrap()
    }

    const HW: SpiKind = SpiKind::Hardware;
    const VIRT: SpiKind = SpiKind::Virtual;

    #[test]
    fn v3_distributor_identification() {
        let mut g = vgic(GicVersion::V3, 4, &[(33, HW), (79, VIRT)]);
        // GICD_CTLR: ARE (4) and DS (6) read as one, groups disabled, RWP 0.
        assert_eq!(g.dist_read(0, 0x0, 4), 0x50);
        // GICD_TYPER: ITLinesNumber 2 (79 < 96), CPUNumber 0, IDbits 9, no LPIs/MBIs.
        assert_eq!(g.dist_read(0, 0x4, 4), 2 | (9 << 19));
        assert_eq!(g.dist_read(0, 0x8, 4), 0x4200_043B);
        assert_eq!(g.dist_read(0, 0xC, 4), 0); // TYPER2
        assert_eq!(g.dist_read(0, 0xFFE8, 4) >> 4 & 0xF, 3); // PIDR2.ArchRev
        assert_eq!(g.dist_read(0, 0xFFF0, 4), 0x0D); // CIDR0
                                                     // STATUSR and the message-based SPI registers are reserved here.
        assert_eq!(g.dist_read(0, 0x10, 4), 0);
        assert_eq!(g.dist_read(0, 0x40, 4), 0);
    }

    #[test]
    fn v2_distributor_identification() {
        let mut g = vgic(GicVersion::V2, 3, &[(40, HW)]);
        assert_eq!(g.dist_read(0, 0x0, 4), 0);
        // ITLinesNumber 1 (40 < 64), CPUNumber 2.
        assert_eq!(g.dist_read(0, 0x4, 4), 1 | (2 << 5));
        assert_eq!(g.dist_read(0, 0xFE8, 4) >> 4 & 0xF, 2);
        // GICv2 has no TYPER2, no IROUTER, and a 4 KiB register frame.
        assert_eq!(g.dist_read(0, 0xC, 4), 0);
        assert_eq!(g.dist_read(0, 0x6140, 8), 0);
        assert_eq!(g.dist_read(0, 0xFFE8, 4), 0);
    }

    #[test]
    fn v3_ctlr_keeps_group_enables_only() {
        let mut g = vgic(GicVersion::V3, 1, &[]);
        let fx = g.dist_write(0, 0, 4, 0xFFFF_FFFF);
        assert!(fx.is_empty());
        assert_eq!(g.dist_read(0, 0, 4), 0x53);
        g.dist_write(0, 0, 4, 0);
        assert_eq!(g.dist_read(0, 0, 4), 0x50);
    }

    #[test]
    fn spi_families_at_their_offsets() {
        let mut g = vgic(GicVersion::V3, 2, &[(33, VIRT)]);
        // SPI 33 is bit 1 of the second word of each bit-per-interrupt family.
        for (set, clear) in [(0x100, 0x180), (0x200, 0x280), (0x300, 0x380)] {
            g.dist_write(0, set + 4, 4, 0b10);
            assert_eq!(g.dist_read(0, set + 4, 4), 0b10, "set at {set:#x}");
            assert_eq!(
                g.dist_read(0, clear + 4, 4),
                0b10,
                "clear reads at {clear:#x}"
            );
            g.dist_write(0, clear + 4, 4, 0b10);
            assert_eq!(g.dist_read(0, set + 4, 4), 0, "cleared at {clear:#x}");
        }
        // IGROUPR: reset group 1 on GICv3.
        assert_eq!(g.dist_read(0, 0x84, 4), 0b10);
        g.dist_write(0, 0x84, 4, 0);
        assert_eq!(g.dist_read(0, 0x84, 4), 0);
        // IPRIORITYR byte 33: 5 priority bits kept.
        g.dist_write(0, 0x421, 1, 0xA7);
        assert_eq!(g.dist_read(0, 0x421, 1), 0xA0);
        assert_eq!(g.dist_read(0, 0x420, 4), 0xA000);
        // ICFGR: SPI 33 is field 1 of ICFGR2 (0xC08), bit 3 = edge.
        g.dist_write(0, 0xC08, 4, 0b1000);
        assert_eq!(g.dist_read(0, 0xC08, 4), 0b1000);
        // IGRPMODR and NSACR: RAZ/WI with DS = 1.
        g.dist_write(0, 0xD04, 4, !0);
        assert_eq!(g.dist_read(0, 0xD04, 4), 0);
        g.dist_write(0, 0xE08, 4, !0);
        assert_eq!(g.dist_read(0, 0xE08, 4), 0);
    }

    #[test]
    fn v3_distributor_sgi_ppi_range_is_raz_wi() {
        let mut g = vgic(GicVersion::V3, 1, &[]);
        // With affinity routing the first 32 INTIDs live in the redistributor.
        let fx = g.dist_write(0, 0x100, 4, !0);
        assert!(fx.is_empty());
        assert_eq!(g.dist_read(0, 0x100, 4), 0);
        assert_eq!(g.dist_read(0, 0x400, 4), 0);
        // ITARGETSR and SGIR are RES0 with affinity routing.
        assert_eq!(g.dist_read(0, 0x820, 4), 0);
        assert!(g.dist_write(0, 0xF00, 4, 0x0001_0001).is_empty());
    }

    #[test]
    fn irouter_64_and_32_bit() {
        let mut g = vgic(GicVersion::V3, 20, &[(40, HW)]);
        let at = 0x6000 + 8 * 40;
        assert_eq!(at, 0x6140);
        // Aff1 = 1, Aff0 = 2: vCPU 18.
        let fx = g.dist_write(0, at, 8, 0x0102);
        assert_eq!(
            fx.as_slice(),
            &[Effect::HwRoute {
                intid: 40,
                vcpu: 18
            }]
        );
        assert_eq!(g.dist_read(0, at, 8), 0x0102);
        assert_eq!(g.dist_read(0, at, 4), 0x0102);
        assert_eq!(g.dist_read(0, at + 4, 4), 0);
        // Upper half: Aff3 = 1 names no vCPU; the route is gone, but the SPI was
        // disabled anyway so nothing changes physically.
        assert!(g.dist_write(0, at + 4, 4, 1).is_empty());
        assert_eq!(g.dist_read(0, at, 8), 0x1_0000_0102);
        // RES0 bits (30:24, 63:40) are not kept; 1-of-N is.
        g.dist_write(0, at, 8, u64::MAX);
        assert_eq!(g.dist_read(0, at, 8), 0xFF_80FF_FFFF);
        // Halfword and misaligned accesses are ignored.
        g.dist_write(0, at, 2, 0);
        g.dist_write(0, at + 2, 4, 0);
        assert_eq!(g.dist_read(0, at, 8), 0xFF_80FF_FFFF);
        assert_eq!(g.dist_read(0, at, 2), 0);
    }

    #[test]
    fn width_rules() {
        let mut g = vgic(GicVersion::V3, 1, &[(32, VIRT)]);
        // Byte access to a bit-per-interrupt register: RAZ/WI.
        g.dist_write(0, 0x104, 1, 1);
        assert_eq!(g.dist_read(0, 0x104, 4), 0);
        // Halfword to IPRIORITYR: RAZ/WI; byte and word work.
        g.dist_write(0, 0x420, 2, 0x80);
        assert_eq!(g.dist_read(0, 0x420, 1), 0);
        g.dist_write(0, 0x420, 1, 0x80);
        assert_eq!(g.dist_read(0, 0x420, 1), 0x80);
        assert_eq!(g.dist_read(0, 0x420, 2), 0);
        // Doubleword on a 32-bit register, and odd sizes.
        assert_eq!(g.dist_read(0, 0x0, 8), 0);
        assert_eq!(g.dist_read(0, 0x4, 3), 0);
        assert_eq!(g.dist_read(0, 0x4, 0), 0);
        // Misaligned word.
        assert_eq!(g.dist_read(0, 0x5, 4), 0);
    }

    #[test]
    fn v2_banked_private_registers() {
        let mut g = vgic(GicVersion::V2, 2, &[]);
        // ITARGETSR0..7 read the accessing vCPU's own bit in every byte.
        assert_eq!(g.dist_read(0, 0x800, 4), 0x0101_0101);
        assert_eq!(g.dist_read(1, 0x81C, 4), 0x0202_0202);
        g.dist_write(1, 0x81C, 4, 0);
        assert_eq!(g.dist_read(1, 0x81C, 4), 0x0202_0202);
        // SGIs enabled and edge at reset; ICFGR0 is read-only.
        assert_eq!(g.dist_read(0, 0x100, 4), 0xFFFF);
        assert_eq!(g.dist_read(0, 0xC00, 4), 0xAAAA_AAAA);
        g.dist_write(0, 0xC00, 4, 0);
        assert_eq!(g.dist_read(0, 0xC00, 4), 0xAAAA_AAAA);
        // Enables and priorities are per vCPU.
        let fx = g.dist_write(1, 0x100, 4, 1 << 27);
        assert_eq!(
            fx.as_slice(),
            &[Effect::PpiEnable {
                vcpu: 1,
                intid: 27,
                enabled: true
            }]
        );
        assert_eq!(g.dist_read(1, 0x100, 4), 0xFFFF | 1 << 27);
        assert_eq!(g.dist_read(0, 0x100, 4), 0xFFFF);
        g.dist_write(0, 0x41B, 1, 0x40);
        assert_eq!(g.dist_read(0, 0x418, 4), 0x4000_0000);
        assert_eq!(g.dist_read(1, 0x418, 4), 0);
        // ICFGR1 (PPIs) is writable per vCPU.
        g.dist_write(1, 0xC04, 4, 0x8000_0000);
        assert_eq!(g.dist_read(1, 0xC04, 4), 0x8000_0000);
        assert_eq!(g.dist_read(0, 0xC04, 4), 0);
    }

    #[test]
    fn v2_uniprocessor_itargetsr_is_raz_wi() {
        let mut g = vgic(GicVersion::V2, 1, &[(40, HW)]);
        assert_eq!(g.dist_read(0, 0x800, 4), 0);
        assert!(g.dist_write(0, 0x828, 1, 0xFF).is_empty());
        assert_eq!(g.dist_read(0, 0x828, 1), 0);
    }

    #[test]
    fn v2_itargetsr_spi_bytes() {
        let mut g = vgic(GicVersion::V2, 3, &[(40, HW), (41, HW)]);
        assert_eq!(g.dist_read(0, 0x828, 4), 0x0101);
        // Bits of vCPUs that do not exist are not kept (RAZ/WI).
        let fx = g.dist_write(0, 0x829, 1, 0xFC);
        assert_eq!(fx.as_slice(), &[Effect::HwRoute { intid: 41, vcpu: 2 }]);
        assert_eq!(g.dist_read(0, 0x828, 4), 0x0401);
    }

    #[test]
    fn redistributor_rd_base() {
        let mut g = vgic(GicVersion::V3, 3, &[]);
        for v in 0..3usize {
            assert_eq!(g.redist_read(v, 0x0, 4), 0); // GICR_CTLR
            assert_eq!(g.redist_read(v, 0x4, 4), 0x4200_043B);
            let typer = g.redist_read(v, 0x8, 8);
            assert_eq!(typer >> 32, v as u64, "Affinity_Value");
            assert_eq!(typer >> 8 & 0xFFFF, v as u64, "Processor_Number");
            assert_eq!(typer & 0xF, 0, "no LPIs, no DirectLPI");
            assert_eq!(typer & (1 << 4) != 0, v == 2, "Last");
            assert_eq!(
                g.redist_read(v, 0x8, 4) | g.redist_read(v, 0xC, 4) << 32,
                typer
            );
            assert_eq!(g.redist_read(v, 0xFFE8, 4) >> 4 & 0xF, 3);
            // WAKER: asleep at reset.
            assert_eq!(g.redist_read(v, 0x14, 4), 0b110);
        }
        g.redist_write(1, 0x14, 4, 0);
        assert_eq!(g.redist_read(1, 0x14, 4), 0);
        assert_eq!(g.redist_read(0, 0x14, 4), 0b110);
        g.redist_write(1, 0x14, 4, 0b10);
        assert_eq!(g.redist_read(1, 0x14, 4), 0b110);
        // A frame that does not exist.
        assert_eq!(g.redist_read(3, 0x8, 8), 0);
    }

    #[test]
    fn redistributor_sgi_base() {
        let mut g = vgic(GicVersion::V3, 2, &[]);
        let sgi = 0x1_0000;
        assert_eq!(g.redist_read(1, sgi + 0x80, 4), 0xFFFF_FFFF); // IGROUPR0 reset
        assert_eq!(g.redist_read(1, sgi + 0x100, 4), 0xFFFF); // SGIs enabled
        let fx = g.redist_write(1, sgi + 0x100, 4, 1 << 27);
        assert_eq!(
            fx.as_slice(),
            &[Effect::PpiEnable {
                vcpu: 1,
                intid: 27,
                enabled: true
            }]
        );
        let fx = g.redist_write(1, sgi + 0x180, 4, 0xFFFF_0000);
        assert_eq!(
            fx.as_slice(),
            &[Effect::PpiEnable {
                vcpu: 1,
                intid: 27,
                enabled: false
            }]
        );
        g.redist_write(1, sgi + 0x200, 4, 1 << 20);
        assert_eq!(g.redist_read(1, sgi + 0x200, 4), 1 << 20);
        assert_eq!(g.redist_read(1, sgi + 0x280, 4), 1 << 20);
        assert_eq!(g.redist_read(0, sgi + 0x200, 4), 0);
        g.redist_write(1, sgi + 0x280, 4, 1 << 20);
        assert_eq!(g.redist_read(1, sgi + 0x200, 4), 0);
        g.redist_write(1, sgi + 0x300, 4, 1 << 3);
        assert_eq!(g.redist_read(1, sgi + 0x300, 4), 1 << 3);
        g.redist_write(1, sgi + 0x380, 4, !0);
        assert_eq!(g.redist_read(1, sgi + 0x300, 4), 0);
        // IPRIORITYR0-7 at 0x400..0x41C, byte-accessible.
        g.redist_write(1, sgi + 0x41C, 4, 0xA0A0_A0A0);
        assert_eq!(g.redist_read(1, sgi + 0x41F, 1), 0xA0);
        assert_eq!(g.redist_read(1, sgi + 0x420, 4), 0);
        // ICFGR0 read-only edge; ICFGR1 writable.
        assert_eq!(g.redist_read(1, sgi + 0xC00, 4), 0xAAAA_AAAA);
        g.redist_write(1, sgi + 0xC04, 4, 0x0080_0000);
        assert_eq!(g.redist_read(1, sgi + 0xC04, 4), 0x0080_0000);
        // IGRPMODR0 and NSACR: RAZ/WI.
        g.redist_write(1, sgi + 0xD00, 4, !0);
        assert_eq!(g.redist_read(1, sgi + 0xD00, 4), 0);
        g.redist_write(1, sgi + 0xE00, 4, !0);
        assert_eq!(g.redist_read(1, sgi + 0xE00, 4), 0);
    }

    #[test]
    fn redistributor_region_locate() {
        let g = vgic(GicVersion::V3, 3, &[]);
        assert_eq!(g.redist_region_size(), 3 * 0x2_0000);
        assert_eq!(g.redist_locate(0x0), Some((0, 0)));
        assert_eq!(g.redist_locate(0x2_0008), Some((1, 8)));
        assert_eq!(g.redist_locate(0x5_0100), Some((2, 0x1_0100)));
        assert_eq!(g.redist_locate(0x6_0000), None);
        assert_eq!(g.redist_locate(u64::MAX), None);
        let g2 = vgic(GicVersion::V2, 3, &[]);
        assert_eq!(g2.redist_locate(0), None);
    }
}
