//! Isolation: nothing a guest writes reaches an interrupt its partition
//! does not own or a vCPU it does not have.

// Inside a module named after the file so `cargo test vgic` selects it.
mod vgic_isolation {
    use bulkhead_core::vgic::{
        decode_sgi1r, Effect, GicVersion, OwnedSpi, SpiKind, Vgic, VgicConfig,
    };

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

    fn effect_intid(e: &Effect) -> Option<u32> {
        match *e {
            Effect::HwEnable { intid, .. }
            | Effect::HwTrigger { intid, .. }
            | Effect::HwRoute { intid, .. }
            | Effect::HwPending { intid, .. }
            | Effect::HwActive { intid, .. }
            | Effect::HwDeactivate { intid, .. }
            | Effect::PpiEnable { intid, .. } => Some(intid),
            Effect::Kick { .. } => None,
        }
    }

    fn effect_vcpu(e: &Effect) -> Option<usize> {
        match *e {
            Effect::HwRoute { vcpu, .. }
            | Effect::HwDeactivate { vcpu, .. }
            | Effect::PpiEnable { vcpu, .. }
            | Effect::Kick { vcpu } => Some(vcpu),
            _ => None,
        }
    }

    #[test]
    fn every_distributor_word_written_with_ones_touches_only_owned_spis() {
        for version in [GicVersion::V2, GicVersion::V3] {
            let mut g = vgic(
                version,
                2,
                &[(40, SpiKind::Hardware), (77, SpiKind::Virtual)],
            );
            for offset in (0..0x1_0000u64).step_by(4) {
                if offset == 0xF00 {
                    continue; // GICv2 GICD_SGIR: SGIs are the partition's own
                }
                for e in g.dist_write(0, offset, 4, 0xFFFF_FFFF).iter() {
                    if let Some(intid) = effect_intid(e) {
                        assert!(intid == 40 || intid < 32, "{version:?} {offset:#x}: {e:?}");
                        if matches!(
                            e,
                            Effect::HwEnable { .. }
                                | Effect::HwTrigger { .. }
                                | Effect::HwRoute { .. }
                                | Effect::HwPending { .. }
                                | Effect::HwActive { .. }
                        ) {
                            assert_eq!(intid, 40, "{version:?} {offset:#x}: {e:?}");
                        }
                    }
                    if let Some(v) = effect_vcpu(e) {
                        assert!(v < 2, "{version:?} {offset:#x}: {e:?}");
                    }
                }
            }
            // Unowned SPIs read as zero in every family.
            for family in [0x80u64, 0x100, 0x200, 0x300] {
                let word = g.dist_read(0, family + 4, 4);
                assert_eq!(word & !(1 << 8), 0, "{version:?} {family:#x}: {word:#x}");
            }
            assert_eq!(g.dist_read(0, 0x400 + 41, 1), 0);
            if version == GicVersion::V3 {
                assert_eq!(g.dist_read(0, 0x6000 + 41 * 8, 8), 0);
            }
            assert_eq!(g.dist_read(1, 0xC08, 4) & !(0b11 << 16), 0);
        }
    }

    #[test]
    fn an_unowned_spi_gives_no_effect() {
        let mut g = vgic(GicVersion::V3, 1, &[(40, SpiKind::Hardware)]);
        for (set, clear) in [(0x100, 0x180), (0x200, 0x280), (0x300, 0x380)] {
            assert!(g.dist_write(0, set + 4, 4, 1 << 9).is_empty());
            assert!(g.dist_write(0, clear + 4, 4, 1 << 9).is_empty());
        }
        assert!(g.dist_write(0, 0x6000 + 41 * 8, 8, 0).is_empty());
        assert!(g.dist_write(0, 0xC08, 4, 0b1100).is_empty());
        assert_eq!(g.inject_hw(0, 41), None);
        assert!(g.set_level(41, true).is_empty());
    }

    #[test]
    fn hardware_and_virtual_kinds_stay_apart() {
        let mut g = vgic(
            GicVersion::V3,
            1,
            &[(40, SpiKind::Hardware), (41, SpiKind::Virtual)],
        );
        // The hypervisor cannot inject a virtual SPI as hardware, nor an SGI.
        assert_eq!(g.inject_hw(0, 41), None);
        assert_eq!(g.inject_hw(0, 3), None);
        assert_eq!(g.inject_hw(1, 27), None, "no vCPU 1");
        // An emulated line cannot drive a hardware SPI.
        assert!(g.set_level(40, true).is_empty());
        // Pending a virtual SPI stays in the model; a hardware one goes out.
        assert_eq!(
            g.dist_write(0, 0x204, 4, 0b11 << 8).as_slice(),
            &[
                Effect::HwPending {
                    intid: 40,
                    pending: true
                },
                Effect::Kick { vcpu: 0 }
            ]
        );
    }

    #[test]
    fn accesses_by_a_vcpu_the_partition_does_not_have_do_nothing() {
        let mut g = vgic(GicVersion::V2, 2, &[(40, SpiKind::Hardware)]);
        assert!(g.dist_write(2, 0x104, 4, !0).is_empty());
        assert!(g.dist_write(usize::MAX, 0xF00, 4, 0x01_0000).is_empty());
        assert_eq!(g.dist_read(2, 0x4, 4), 0);
        let mut g = vgic(GicVersion::V3, 2, &[]);
        assert!(g.redist_write(2, 0x1_0100, 4, !0).is_empty());
        assert_eq!(g.redist_read(2, 0x8, 8), 0);
        assert!(g.sgi1r_write(2, 1).is_empty());
    }

    #[test]
    fn sgi1r_decoding() {
        let v = 0x00AB_1000_0300_0000
            | (0x07 << 24)
            | (0x12 << 16)
            | 0x8001
            | (0x05u64 << 32)
            | (1 << 40);
        let s = decode_sgi1r(v);
        assert_eq!(s.target_list, 0x8001);
        assert_eq!(s.aff1, 0x12);
        assert_eq!(s.intid, 0x7);
        assert_eq!(s.aff2, 0x05);
        assert!(s.irm);
        assert_eq!(s.rs, 0x1);
        assert_eq!(s.aff3, 0xAB);
    }

    #[test]
    fn sgi1r_targets_outside_the_partition_are_dropped() {
        let mut g = vgic(GicVersion::V3, 18, &[]);
        // Aff1 = 1, list bits 0..3: vCPUs 16, 17 exist, 18 and 19 do not.
        let fx = g.sgi1r_write(0, (1 << 16) | 0b1111 | (4 << 24));
        assert_eq!(
            fx.as_slice(),
            &[Effect::Kick { vcpu: 16 }, Effect::Kick { vcpu: 17 }]
        );
        // Aff2, Aff3 or a range selector name nobody here.
        assert!(g.sgi1r_write(0, 1 | (1 << 32)).is_empty());
        assert!(g.sgi1r_write(0, 1 | (1 << 48)).is_empty());
        assert!(g.sgi1r_write(0, 1 | (1 << 44)).is_empty());
        // Aff1 = 2: vCPUs 32.. do not exist.
        assert!(g.sgi1r_write(0, (2 << 16) | 0xFFFF).is_empty());
        // IRM: everyone but the sender.
        let fx = g.sgi1r_write(5, (1 << 40) | (2 << 24));
        assert_eq!(fx.len(), 17);
        assert!(fx.iter().all(|e| !matches!(e, Effect::Kick { vcpu: 5 })));
        // The SGI is pending on the targets only.
        assert!(g.vcpu_irqs(16).unwrap().has(4));
        assert!(!g.vcpu_irqs(15).unwrap().has(4));
    }

    #[test]
    fn sgi0r_reaches_only_group_0_sgis() {
        let mut g = vgic(GicVersion::V3, 2, &[]);
        assert!(g.sgi0r_write(0, 0b10).is_empty(), "SGIs reset to group 1");
        g.redist_write(1, 0x1_0080, 4, 0xFFFF_FFFE);
        assert_eq!(
            g.sgi0r_write(0, 0b10).as_slice(),
            &[Effect::Kick { vcpu: 1 }]
        );
    }

    #[test]
    fn v2_sgir_filters_and_target_list() {
        let mut g = vgic(GicVersion::V2, 3, &[]);
        // CPUTargetList bits for CPU interfaces 3..7 do not exist here.
        let fx = g.dist_write(0, 0xF00, 4, (0xFC << 16) | 1);
        assert_eq!(fx.as_slice(), &[Effect::Kick { vcpu: 2 }]);
        let fx = g.dist_write(1, 0xF00, 4, (1 << 24) | 2);
        assert_eq!(
            fx.as_slice(),
            &[Effect::Kick { vcpu: 0 }, Effect::Kick { vcpu: 2 }]
        );
        let fx = g.dist_write(1, 0xF00, 4, (2 << 24) | 3);
        assert_eq!(fx.as_slice(), &[Effect::Kick { vcpu: 1 }]);
        assert!(g
            .dist_write(1, 0xF00, 4, (3 << 24) | 3 | (0xFF << 16))
            .is_empty());
        // The source is recorded per sender.
        assert_eq!(
            g.vcpu_irqs(2).unwrap().find(1, Some(0)).map(|e| e.latch),
            Some(true)
        );
        assert_eq!(
            g.vcpu_irqs(0).unwrap().find(2, Some(1)).map(|e| e.latch),
            Some(true)
        );
        // GICD_SGIR is write-only; ISPENDR cannot pend a GICv2 SGI.
        assert_eq!(g.dist_read(0, 0xF00, 4), 0);
        assert!(g.dist_write(0, 0x200, 4, 1 << 9).is_empty());
    }

    #[test]
    fn config_validation() {
        let bad = [
            (GicVersion::V2, 9, vec![]),
            (GicVersion::V2, 0, vec![]),
            (GicVersion::V3, 256, vec![]),
            (GicVersion::V3, 1, vec![31]),
            (GicVersion::V3, 1, vec![1020]),
            (GicVersion::V3, 1, vec![40, 40]),
        ];
        for (version, vcpus, spis) in bad {
            let config = VgicConfig {
                version,
                vcpus,
                spis: spis
                    .iter()
                    .map(|&intid| OwnedSpi {
                        intid,
                        kind: SpiKind::Hardware,
                    })
                    .collect(),
            };
            assert!(Vgic::new(config.clone()).is_err(), "{config:?}");
        }
        assert!(Vgic::new(VgicConfig {
            version: GicVersion::V3,
            vcpus: 255,
            spis: vec![]
        })
        .is_ok());
        assert!(Vgic::new(VgicConfig {
            version: GicVersion::V2,
            vcpus: 8,
            spis: vec![OwnedSpi {
                intid: 1019,
                kind: SpiKind::Virtual
            }],
        })
        .is_ok());
    }
}
