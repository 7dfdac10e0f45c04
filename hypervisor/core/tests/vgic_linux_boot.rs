//! The register walks Linux's GIC drivers do at boot (irq-gic-v3.c and
//! irq-gic.c), replayed against the model, then a device interrupt set up
//! the way the drivers do it and delivered through a list register.

// Inside a module named after the file so `cargo test vgic` selects it.
mod vgic_linux_boot {
    use bulkhead_core::psci::vcpu_mpidr;
    use bulkhead_core::vgic::lr::{ListReg, LrState};
    use bulkhead_core::vgic::{Effect, GicVersion, OwnedSpi, SpiKind, Vgic, VgicConfig};

    const SGI_BASE: u64 = 0x1_0000;
    const DEF_PRI_X4: u64 = 0xA0A0_A0A0;

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

    /// MPIDR affinity as GICD_IROUTER wants it (Aff3 in 39:32).
    fn irouter_affinity(mpidr: u64) -> u64 {
        (mpidr & 0xFF_FFFF) | ((mpidr >> 32 & 0xFF) << 32)
    }

    /// gic_dist_init() of irq-gic-v3.c; returns the number of interrupt lines.
    fn linux_v3_dist_init(g: &mut Vgic) -> u64 {
        assert_eq!(g.dist_read(0, 0xFFE8, 4) & 0xF0, 0x30, "GICv3 PIDR2");
        let typer = g.dist_read(0, 0x4, 4);
        let _typer2 = g.dist_read(0, 0xC, 4);
        assert_eq!(typer >> 17 & 1, 0, "no LPIs: the ITS/LPI code stays off");
        assert_eq!((typer >> 19 & 0x1F) + 1, 10, "ID bits");
        let lines = (((typer & 0x1F) + 1) * 32).min(1020);

        assert!(g.dist_write(0, 0x0, 4, 0).is_empty());
        assert_eq!(g.dist_read(0, 0x0, 4) >> 31, 0, "RWP");
        let mut fx = Vec::new();
        for i in (32..lines).step_by(32) {
            fx.extend(g.dist_write(0, 0x80 + i / 8, 4, 0xFFFF_FFFF));
        }
        // gic_dist_config(): level, default priority, inactive, disabled.
        for i in (32..lines).step_by(16) {
            fx.extend(g.dist_write(0, 0xC00 + i / 4, 4, 0));
        }
        for i in (32..lines).step_by(4) {
            fx.extend(g.dist_write(0, 0x400 + i, 4, DEF_PRI_X4));
        }
        for i in (32..lines).step_by(32) {
            fx.extend(g.dist_write(0, 0x380 + i / 8, 4, 0xFFFF_FFFF));
            fx.extend(g.dist_write(0, 0x180 + i / 8, 4, 0xFFFF_FFFF));
        }
        // ARE_NS | EnableGrp1A | EnableGrp1.
        fx.extend(g.dist_write(0, 0x0, 4, 0x13));
        let affinity = irouter_affinity(vcpu_mpidr(0));
        for i in 32..lines {
            fx.extend(g.dist_write(0, 0x6000 + i * 8, 8, affinity));
        }
        // Only the clearing of the active state of owned hardware SPIs reaches
        // hardware; nothing was enabled, nothing re-routed.
        for e in &fx {
            assert!(matches!(e, Effect::HwActive { active: false, .. }), "{e:?}");
        }
        lines
    }

    /// gic_populate_rdist() + gic_enable_redist() + gic_cpu_init() for one CPU.
    fn linux_v3_cpu_init(g: &mut Vgic, cpu: usize) -> u64 {
        let aff = vcpu_mpidr(cpu);
        let aff32 = (aff & 0xFF_FFFF) | ((aff >> 32 & 0xFF) << 24);
        // Walk the frames until the one whose affinity matches, or Last.
        let mut region_offset = 0u64;
        let frame = loop {
            let (v, off) = g
                .redist_locate(region_offset)
                .expect("walked past the region");
            assert_eq!(off, 0);
            assert_eq!(g.redist_read(v, 0xFFE8, 4) & 0xF0, 0x30);
            let typer = g.redist_read(v, 0x8, 8);
            if typer >> 32 == aff32 {
                break v;
            }
            assert_eq!(typer & (1 << 4), 0, "hit Last before finding CPU {cpu}");
            assert_eq!(typer & (1 << 1), 0, "VLPIS would add two frames");
            region_offset += 0x2_0000;
        };
        assert_eq!(frame, cpu);
        let base = frame;
        // gic_enable_redist(true)
        let waker = g.redist_read(base, 0x14, 4);
        g.redist_write(base, 0x14, 4, waker & !0b10);
        let mut polls = 0;
        while g.redist_read(base, 0x14, 4) & 0b100 != 0 {
            polls += 1;
            assert!(polls < 10, "ChildrenAsleep never cleared");
        }
        // SGIs/PPIs group 1, inactive, PPIs disabled, SGIs enabled, priorities.
        let mut fx = Vec::new();
        fx.extend(g.redist_write(base, SGI_BASE + 0x80, 4, 0xFFFF_FFFF));
        fx.extend(g.redist_write(base, SGI_BASE + 0x380, 4, 0xFFFF_FFFF));
        fx.extend(g.redist_write(base, SGI_BASE + 0x180, 4, 0xFFFF_0000));
        fx.extend(g.redist_write(base, SGI_BASE + 0x100, 4, 0x0000_FFFF));
        for i in (0..32).step_by(4) {
            fx.extend(g.redist_write(base, SGI_BASE + 0x400 + i, 4, DEF_PRI_X4));
        }
        assert_eq!(g.redist_read(base, 0x0, 4) & (1 << 3), 0, "GICR_CTLR.RWP");
        assert!(fx.iter().all(|e| !matches!(e, Effect::HwEnable { .. })));
        region_offset
    }

    #[test]
    fn linux_gicv3_boot_and_a_device_interrupt() {
        let mut g = vgic(
            GicVersion::V3,
            4,
            &[(48, SpiKind::Hardware), (79, SpiKind::Virtual)],
        );
        let lines = linux_v3_dist_init(&mut g);
        assert_eq!(lines, 96);
        for cpu in 0..4 {
            linux_v3_cpu_init(&mut g, cpu);
        }
        assert_eq!(
            g.redist_read(3, 0x8, 8) & (1 << 4),
            1 << 4,
            "Last on the final frame"
        );

        // Timer PPI: gic_configure_irq() level, then enable on CPU 2.
        let icfgr1 = g.redist_read(2, SGI_BASE + 0xC04, 4);
        g.redist_write(2, SGI_BASE + 0xC04, 4, icfgr1 & !(2 << ((27 % 16) * 2)));
        let fx = g.redist_write(2, SGI_BASE + 0x100, 4, 1 << 27);
        assert_eq!(
            fx.as_slice(),
            &[Effect::PpiEnable {
                vcpu: 2,
                intid: 27,
                enabled: true
            }]
        );

        // A device SPI: set type (level), affinity to CPU 1, unmask.
        let spi: u64 = 48;
        let cfg_reg = 0xC00 + spi / 16 * 4;
        let cfg = g.dist_read(0, cfg_reg, 4);
        assert!(g
            .dist_write(0, cfg_reg, 4, cfg & !(2 << ((spi % 16) * 2)))
            .is_empty());
        let fx = g.dist_write(0, 0x6000 + spi * 8, 8, irouter_affinity(vcpu_mpidr(1)));
        assert_eq!(fx.as_slice(), &[Effect::HwRoute { intid: 48, vcpu: 1 }]);
        let fx = g.dist_write(0, 0x100 + spi / 32 * 4, 4, 1 << (spi % 32));
        assert_eq!(
            fx.as_slice(),
            &[Effect::HwEnable {
                intid: 48,
                enabled: true
            }]
        );

        // The physical SPI fires on vCPU 1's core.
        let fx = g.inject_hw(1, 48).unwrap();
        assert_eq!(fx.as_slice(), &[Effect::Kick { vcpu: 1 }]);
        let (plan, fx) = g.fill(1, &[0; 4]);
        assert!(fx.is_empty());
        assert_eq!(plan.writes.len(), 1);
        let (i, v) = plan.writes[0];
        assert_eq!(i, 0);
        let lr = ListReg::decode_v3(v);
        assert_eq!(lr.vintid, 48);
        assert_eq!(lr.pintid, Some(48));
        assert_eq!(lr.priority, 0xA0);
        assert!(lr.group1);
        assert_eq!(lr.state, LrState::Pending);
        assert!(!plan.underflow && !plan.no_pending);

        // The guest acks and EOIs it (the hardware deactivates the physical
        // interrupt); the next fill clears nothing and the entry is gone.
        let mut lrs = [v, 0, 0, 0];
        lrs[0] = ListReg {
            state: LrState::Invalid,
            ..lr
        }
        .encode_v3();
        let (plan, _) = g.fill(1, &lrs);
        assert!(plan.writes.is_empty());
        assert!(g.vcpu_irqs(1).unwrap().is_empty());

        // IPI from CPU 0 to CPUs 1 and 3 (ICC_SGI1R_EL1: Aff1 0, list 0b1010).
        let fx = g.sgi1r_write(0, (1 << 24) | 0b1010);
        assert_eq!(
            fx.as_slice(),
            &[Effect::Kick { vcpu: 1 }, Effect::Kick { vcpu: 3 }]
        );
        let (plan, _) = g.fill(3, &[0; 4]);
        let lr = ListReg::decode_v3(plan.writes[0].1);
        assert_eq!(
            (lr.vintid, lr.pintid, lr.state),
            (1, None, LrState::Pending)
        );
    }

    /// gic_dist_init() + gic_cpu_init() of irq-gic.c.
    #[test]
    fn linux_gicv2_boot_and_an_ipi() {
        let mut g = vgic(GicVersion::V2, 2, &[(40, SpiKind::Hardware)]);
        // gic_get_cpumask(): OR of ITARGETSR0..7 as words.
        let mask_of = |g: &mut Vgic, cpu: usize| {
            let mut mask = 0;
            for i in (0..32).step_by(4) {
                mask |= g.dist_read(cpu, 0x800 + i, 4);
            }
            mask |= mask >> 16;
            mask |= mask >> 8;
            mask & 0xFF
        };
        let cpumask = mask_of(&mut g, 0);
        assert_eq!(cpumask, 1);
        g.dist_write(0, 0x0, 4, 0);
        let typer = g.dist_read(0, 0x4, 4);
        let lines = (((typer & 0x1F) + 1) * 32).min(1020);
        assert_eq!(lines, 64);
        assert_eq!((typer >> 5 & 7) + 1, 2, "CPU count");
        let replicated = cpumask * 0x0101_0101;
        let mut fx = Vec::new();
        for i in (32..lines).step_by(4) {
            fx.extend(g.dist_write(0, 0x800 + i, 4, replicated));
        }
        for i in (32..lines).step_by(16) {
            fx.extend(g.dist_write(0, 0xC00 + i / 4, 4, 0));
        }
        for i in (32..lines).step_by(4) {
            fx.extend(g.dist_write(0, 0x400 + i, 4, DEF_PRI_X4));
        }
        for i in (32..lines).step_by(32) {
            fx.extend(g.dist_write(0, 0x380 + i / 8, 4, 0xFFFF_FFFF));
            fx.extend(g.dist_write(0, 0x180 + i / 8, 4, 0xFFFF_FFFF));
        }
        fx.extend(g.dist_write(0, 0x0, 4, 1));
        assert!(fx
            .iter()
            .all(|e| matches!(e, Effect::HwActive { active: false, .. })));
        // gic_cpu_init() on both CPUs: gic_cpu_config().
        for cpu in 0..2 {
            assert_eq!(mask_of(&mut g, cpu), 1 << cpu);
            g.dist_write(cpu, 0x380, 4, 0xFFFF_FFFF);
            g.dist_write(cpu, 0x180, 4, 0xFFFF_0000);
            g.dist_write(cpu, 0x100, 4, 0x0000_FFFF);
            for i in (0..32).step_by(4) {
                g.dist_write(cpu, 0x400 + i, 4, DEF_PRI_X4);
            }
        }
        // gic_set_affinity(): a byte write of the target CPU's mask.
        let fx = g.dist_write(0, 0x800 + 40, 1, 2);
        assert_eq!(fx.as_slice(), &[Effect::HwRoute { intid: 40, vcpu: 1 }]);
        let fx = g.dist_write(0, 0x104, 4, 1 << 8);
        assert_eq!(
            fx.as_slice(),
            &[Effect::HwEnable {
                intid: 40,
                enabled: true
            }]
        );

        // gic_ipi_send_mask(): GICD_SGIR with CPUTargetList = CPU 1, SGI 2.
        let fx = g.dist_write(0, 0xF00, 4, (0b10 << 16) | 2);
        assert_eq!(fx.as_slice(), &[Effect::Kick { vcpu: 1 }]);
        let (plan, _) = g.fill(1, &[0; 4]);
        let lr = ListReg::decode_v2(plan.writes[0].1 as u32);
        assert_eq!((lr.vintid, lr.source, lr.state), (2, 0, LrState::Pending));
        assert!(!lr.group1, "Linux runs GICv2 with group 0");
        assert_eq!(lr.priority, 0xA0);
    }
}
