//! Snapshots: save, restore, and refusal of states that do not fit.

// Inside a module named after the file so `cargo test vgic` selects it.
mod vgic_persist {
    use bulkhead_core::vgic::{
        Effect, GicVersion, IrqEntry, OwnedSpi, SpiKind, VcpuIrqs, Vgic, VgicConfig, VgicError,
        STATE_FORMAT,
    };

    fn config(version: GicVersion) -> VgicConfig {
        VgicConfig {
            version,
            vcpus: 2,
            spis: vec![
                OwnedSpi {
                    intid: 48,
                    kind: SpiKind::Hardware,
                },
                OwnedSpi {
                    intid: 33,
                    kind: SpiKind::Virtual,
                },
            ],
        }
    }

    /// A model with something in every kind of state.
    fn busy(version: GicVersion) -> Vgic {
        let mut g = Vgic::new(config(version)).unwrap();
        g.dist_write(0, 0x0, 4, 0b11);
        g.dist_write(0, 0x104, 4, (1 << 16) | (1 << 1));
        g.dist_write(0, 0x430, 4, 0x8040_2010);
        g.dist_write(0, 0xC08, 4, 0b1000);
        match version {
            GicVersion::V3 => {
                g.dist_write(0, 0x6000 + 48 * 8, 8, 1);
                g.redist_write(1, 0x14, 4, 0);
                g.redist_write(1, 0x1_0100, 4, 1 << 27);
                g.sgi1r_write(0, (3 << 24) | 0b10);
            }
            GicVersion::V2 => {
                g.dist_write(0, 0x830, 1, 2);
                g.dist_write(1, 0x100, 4, 1 << 27);
                g.dist_write(0, 0xF00, 4, (0b10 << 16) | 3);
            }
        }
        g.inject_hw(1, 48).unwrap();
        g.inject_hw(1, 27).unwrap();
        g.set_level(33, true);
        let (plan, _) = g.fill(1, &[0; 4]);
        let mut lrs = [0u64; 4];
        for (i, v) in plan.writes {
            lrs[i] = v;
        }
        // The hypervisor pauses the vCPU for the snapshot.
        g.sync(1, &lrs);
        g
    }

    #[test]
    fn a_reset_device_s_interrupt_is_forgotten_after_a_restore() {
        for version in [GicVersion::V2, GicVersion::V3] {
            let g = busy(version);
            let mut r = Vgic::restore(config(version), &g.save()).unwrap();
            let has =
                |v: &Vgic, intid: u32| (0..2).any(|c| v.vcpu_irqs(c).is_some_and(|q| q.has(intid)));
            assert!(has(&r, 48) && has(&r, 27) && has(&r, 33));
            assert!(r.forget_hw_spi(48));
            assert!(!has(&r, 48), "{version:?}");
            // Nothing else changes: the timer PPI and the virtual SPI stay,
            // and INTIDs that are not owned hardware SPIs are refused.
            assert!(has(&r, 27) && has(&r, 33));
            let before = r.clone();
            assert!(!r.forget_hw_spi(48));
            assert!(!r.forget_hw_spi(33));
            assert!(!r.forget_hw_spi(27));
            assert!(!r.forget_hw_spi(100));
            assert_eq!(r, before);
            // The SPI's configuration (enable, route) is kept: the hardware
            // is programmed as before.
            assert_eq!(r.hw_state(), g.hw_state());
        }
    }

    #[test]
    fn round_trip_keeps_everything() {
        for version in [GicVersion::V2, GicVersion::V3] {
            let mut g = busy(version);
            let state = g.save();
            assert_eq!(state.format, STATE_FORMAT);
            assert!(state.cpus[1].irqs.entries.len() >= 3, "{state:?}");
            let mut r = Vgic::restore(config(version), &state).unwrap();
            assert_eq!(r, g);
            assert_eq!(r.save(), state);
            // Both behave the same from here on.
            for offset in (0..0x1000).step_by(4) {
                assert_eq!(
                    r.dist_read(1, offset, 4),
                    g.dist_read(1, offset, 4),
                    "{offset:#x}"
                );
            }
            assert_eq!(r.fill(1, &[0; 4]), g.fill(1, &[0; 4]));
            // And the hardware is reprogrammed to match.
            assert!(r.hw_state().iter().any(|e| *e
                == Effect::HwEnable {
                    intid: 48,
                    enabled: true
                }));
        }
    }

    #[test]
    fn vcpu_irqs_round_trip() {
        let g = busy(GicVersion::V3);
        let irqs = g.vcpu_irqs(1).unwrap();
        let state = irqs.save();
        assert_eq!(&VcpuIrqs::restore(&state).unwrap(), irqs);
    }

    #[test]
    fn refused_states() {
        let g = busy(GicVersion::V3);
        let good = g.save();
        let refused = |state: &bulkhead_core::vgic::VgicState, cfg: VgicConfig| {
            Vgic::restore(cfg, state).unwrap_err()
        };

        let mut s = good.clone();
        s.format = 99;
        assert_eq!(
            refused(&s, config(GicVersion::V3)),
            VgicError::StateFormat { found: 99 }
        );

        // Another configuration.
        assert!(matches!(
            refused(&good, config(GicVersion::V2)),
            VgicError::StateMismatch { .. }
        ));
        let mut other = config(GicVersion::V3);
        other.spis[0].intid = 49;
        assert!(matches!(
            refused(&good, other),
            VgicError::StateMismatch { .. }
        ));

        // Register values the model never holds.
        let mut s = good.clone();
        s.spis[0].priority = 0x01;
        assert!(Vgic::restore(config(GicVersion::V3), &s).is_err());
        let mut s = good.clone();
        s.spis[0].irouter = 1 << 30;
        assert!(Vgic::restore(config(GicVersion::V3), &s).is_err());
        let mut s = good.clone();
        s.cpus[0].private[3].edge = false;
        assert!(Vgic::restore(config(GicVersion::V3), &s).is_err());
        let mut s = good.clone();
        s.cpus[0].private.pop();
        assert!(Vgic::restore(config(GicVersion::V3), &s).is_err());
        let mut s = good.clone();
        s.ctlr = 0x10;
        assert!(Vgic::restore(config(GicVersion::V3), &s).is_err());

        // Entries: unowned SPI, wrong kind, an SPI on two vCPUs, a
        // duplicate, an SGI source on GICv3, an empty entry, a bad LR.
        let entry = |intid| IrqEntry {
            latch: true,
            ..IrqEntry::new(intid, None)
        };
        let bad_entries: Vec<Vec<IrqEntry>> = vec![
            vec![entry(50)],
            vec![entry(48)], // HW SPI without hw
            vec![IrqEntry {
                hw: true,
                ..entry(33)
            }], // virtual SPI with hw
            vec![IrqEntry {
                hw: true,
                ..entry(3)
            }], // SGI with hw
            vec![entry(5), entry(5)],
            vec![IrqEntry {
                source: Some(1),
                ..entry(5)
            }],
            vec![IrqEntry::new(5, None)],
            vec![IrqEntry {
                lr: Some(200),
                ..entry(5)
            }],
            vec![IrqEntry {
                line: true,
                ..entry(20)
            }],
        ];
        for entries in bad_entries {
            let mut s = good.clone();
            s.cpus[0].irqs.entries = entries.clone();
            assert!(
                Vgic::restore(config(GicVersion::V3), &s).is_err(),
                "{entries:?} was accepted"
            );
        }
        let mut s = good.clone();
        let holder = (0..2)
            .find(|&v| s.cpus[v].irqs.entries.iter().any(|e| e.intid == 33))
            .unwrap();
        let spi = s.cpus[holder]
            .irqs
            .entries
            .iter()
            .find(|e| e.intid == 33)
            .copied()
            .unwrap();
        s.cpus[1 - holder].irqs.entries.push(spi);
        assert!(
            Vgic::restore(config(GicVersion::V3), &s).is_err(),
            "SPI on two vCPUs"
        );
    }
}
