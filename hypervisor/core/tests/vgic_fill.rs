//! List register fill: priorities, exhaustion and maintenance requests,
//! hardware exclusivity, enables, level-sensitive lines, and the state a
//! guest leaves in the registers.

// Inside a module named after the file so `cargo test vgic` selects it.
mod vgic_fill {
    use bulkhead_core::vgic::lr::{ListReg, LrState};
    use bulkhead_core::vgic::{Effect, GicVersion, OwnedSpi, SpiKind, Vgic, VgicConfig};

    const HW: SpiKind = SpiKind::Hardware;
    const VIRT: SpiKind = SpiKind::Virtual;

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

    /// A vCPU's list registers as the hardware holds them.
    struct Lrs {
        version: GicVersion,
        regs: Vec<u64>,
    }

    impl Lrs {
        fn new(version: GicVersion, n: usize) -> Self {
            Self {
                version,
                regs: vec![0; n],
            }
        }

        /// Runs a fill and applies its writes; returns the plan.
        fn fill(&mut self, g: &mut Vgic, vcpu: usize) -> bulkhead_core::vgic::LrPlan {
            let (plan, _) = g.fill(vcpu, &self.regs);
            for &(i, v) in &plan.writes {
                self.regs[i] = v;
            }
            plan
        }

        fn get(&self, i: usize) -> ListReg {
            ListReg::decode(self.version, self.regs[i])
        }

        fn set_state(&mut self, i: usize, state: LrState) {
            let lr = ListReg {
                state,
                ..self.get(i)
            };
            self.regs[i] = lr.encode(self.version);
        }

        /// The guest acknowledges the interrupt in register `i`.
        fn ack(&mut self, i: usize) {
            let st = self.get(i).state;
            assert!(st.pending(), "ack of a non-pending LR");
            self.set_state(i, LrState::new(false, true));
        }

        /// The guest deactivates it (EOI): active goes away, pending stays.
        fn eoi(&mut self, i: usize) {
            let st = self.get(i).state;
            self.set_state(i, LrState::new(st.pending(), false));
        }

        fn find(&self, vintid: u32) -> Option<usize> {
            (0..self.regs.len()).find(|&i| {
                let lr = self.get(i);
                lr.vintid == vintid && lr.state != LrState::Invalid
            })
        }

        fn valid(&self) -> Vec<u32> {
            let mut v: Vec<u32> = (0..self.regs.len())
                .map(|i| self.get(i))
                .filter(|lr| lr.state != LrState::Invalid)
                .map(|lr| lr.vintid)
                .collect();
            v.sort();
            v
        }
    }

    /// A GICv3 partition with virtual SPIs 40..=45, enabled, group 1 enabled.
    fn six_virtual_spis() -> Vgic {
        let spis: Vec<(u32, SpiKind)> = (40..=45).map(|i| (i, VIRT)).collect();
        let mut g = vgic(GicVersion::V3, 1, &spis);
        g.dist_write(0, 0x0, 4, 0x2);
        g.dist_write(0, 0x104, 4, 0x3F << 8);
        g
    }

    #[test]
    fn highest_priority_first_and_underflow_when_more_than_lrs() {
        let mut g = six_virtual_spis();
        // Priorities: 40 → 0xC0, 41 → 0x20, 42 → 0x80, 43 → 0x20, 44 → 0x40, 45 → 0xF0.
        for (intid, prio) in [
            (40, 0xC0),
            (41, 0x20),
            (42, 0x80),
            (43, 0x20),
            (44, 0x40),
            (45, 0xF0),
        ] {
            g.dist_write(0, 0x400 + intid, 1, prio);
            g.dist_write(0, 0x204, 4, 1 << (intid - 32));
        }
        let mut lrs = Lrs::new(GicVersion::V3, 4);
        let plan = lrs.fill(&mut g, 0);
        assert_eq!(lrs.valid(), vec![41, 42, 43, 44]);
        assert!(plan.underflow, "two interrupts are still waiting");
        assert_eq!(plan.hcr(), 0b011);
        // The guest takes and completes the two most urgent ones.
        for intid in [41, 43] {
            let i = lrs.find(intid).unwrap();
            lrs.ack(i);
            lrs.eoi(i);
        }
        let plan = lrs.fill(&mut g, 0);
        assert_eq!(lrs.valid(), vec![40, 42, 44, 45]);
        assert!(!plan.underflow && !plan.no_pending);
        assert_eq!(plan.hcr(), 1);
    }

    #[test]
    fn a_more_urgent_interrupt_takes_a_pending_only_register() {
        let mut g = six_virtual_spis();
        for intid in 40..=43u64 {
            g.dist_write(0, 0x400 + intid, 1, 0x80);
            g.dist_write(0, 0x204, 4, 1 << (intid - 32));
        }
        let mut lrs = Lrs::new(GicVersion::V3, 4);
        lrs.fill(&mut g, 0);
        assert_eq!(lrs.valid(), vec![40, 41, 42, 43]);
        // The guest is handling 40 (active); 44 arrives with a higher priority.
        lrs.ack(lrs.find(40).unwrap());
        g.dist_write(0, 0x400 + 44, 1, 0x10);
        g.dist_write(0, 0x204, 4, 1 << 12);
        let plan = lrs.fill(&mut g, 0);
        // 40 stays (active), 44 replaces the lowest-ranked pending one (43).
        assert_eq!(lrs.valid(), vec![40, 41, 42, 44]);
        assert!(plan.underflow);
        assert!(
            g.vcpu_irqs(0).unwrap().find(43, None).unwrap().latch,
            "43 is still pending"
        );
        // Unchanged registers were not rewritten: only 43's register was.
        assert_eq!(plan.writes.len(), 1);
    }

    #[test]
    fn active_interrupts_keep_their_registers() {
        let mut g = six_virtual_spis();
        for intid in 40..=41u64 {
            g.dist_write(0, 0x400 + intid, 1, 0xF0);
            g.dist_write(0, 0x204, 4, 1 << (intid - 32));
        }
        let mut lrs = Lrs::new(GicVersion::V3, 2);
        lrs.fill(&mut g, 0);
        lrs.ack(0);
        lrs.ack(1);
        g.dist_write(0, 0x400 + 42, 1, 0x00);
        g.dist_write(0, 0x204, 4, 1 << 10);
        let plan = lrs.fill(&mut g, 0);
        assert_eq!(lrs.valid(), vec![40, 41]);
        assert!(plan.writes.is_empty());
        assert!(plan.underflow, "42 waits until a register frees up");
    }

    #[test]
    fn one_register_asks_for_no_pending() {
        let mut g = six_virtual_spis();
        g.dist_write(0, 0x204, 4, 0b11 << 8);
        let mut lrs = Lrs::new(GicVersion::V3, 1);
        let plan = lrs.fill(&mut g, 0);
        assert!(!plan.underflow, "with one register UIE would fire at once");
        assert!(plan.no_pending);
        lrs.ack(0);
        let plan = lrs.fill(&mut g, 0);
        assert!(!plan.underflow && !plan.no_pending);
    }

    #[test]
    fn hardware_interrupts_never_take_two_registers() {
        let mut g = vgic(GicVersion::V3, 1, &[(48, HW)]);
        g.dist_write(0, 0x0, 4, 0x2);
        g.dist_write(0, 0x104, 4, 1 << 16);
        g.inject_hw(0, 48).unwrap();
        // A second injection (the guest also wrote ISPENDR, say) merges.
        g.inject_hw(0, 48).unwrap();
        let mut lrs = Lrs::new(GicVersion::V3, 4);
        lrs.fill(&mut g, 0);
        assert_eq!(lrs.valid(), vec![48]);
        assert_eq!(lrs.get(0).pintid, Some(48));
        lrs.ack(0);
        let plan = lrs.fill(&mut g, 0);
        assert!(
            plan.writes.is_empty(),
            "an active hardware LR is left alone"
        );
        // The physical interrupt is active, so it cannot fire again; an
        // injection anyway (a level re-assert after a race) must not add a
        // second register.
        g.inject_hw(0, 48).unwrap();
        lrs.fill(&mut g, 0);
        let hw_regs = (0..4)
            .filter(|&i| lrs.get(i).pintid == Some(48) && lrs.get(i).state != LrState::Invalid);
        assert_eq!(hw_regs.count(), 1);
        // Never pending+active for HW: the register stays active.
        assert_eq!(lrs.get(0).state, LrState::Active);
    }

    #[test]
    fn disabled_or_group_disabled_interrupts_wait() {
        let mut g = vgic(GicVersion::V3, 1, &[(40, VIRT)]);
        g.dist_write(0, 0x204, 4, 1 << 8);
        let mut lrs = Lrs::new(GicVersion::V3, 4);
        lrs.fill(&mut g, 0);
        assert!(lrs.valid().is_empty(), "disabled");
        let fx = g.dist_write(0, 0x104, 4, 1 << 8);
        assert_eq!(fx.as_slice(), &[Effect::Kick { vcpu: 0 }]);
        lrs.fill(&mut g, 0);
        assert!(lrs.valid().is_empty(), "group 1 not enabled in GICD_CTLR");
        let fx = g.dist_write(0, 0x0, 4, 0x2);
        assert_eq!(fx.as_slice(), &[Effect::Kick { vcpu: 0 }]);
        lrs.fill(&mut g, 0);
        assert_eq!(lrs.valid(), vec![40]);
        // Disabling again takes a pending-only interrupt back out.
        g.dist_write(0, 0x184, 4, 1 << 8);
        lrs.fill(&mut g, 0);
        assert!(lrs.valid().is_empty());
        assert!(g.vcpu_irqs(0).unwrap().find(40, None).unwrap().latch);
    }

    #[test]
    fn level_virtual_interrupt_follows_its_line() {
        let mut g = vgic(GicVersion::V3, 1, &[(33, VIRT)]);
        g.dist_write(0, 0x0, 4, 0x2);
        g.dist_write(0, 0x104, 4, 1 << 1);
        let fx = g.set_level(33, true);
        assert_eq!(fx.as_slice(), &[Effect::Kick { vcpu: 0 }]);
        assert!(g.set_level(33, true).is_empty(), "no change, no kick");
        let mut lrs = Lrs::new(GicVersion::V3, 4);
        lrs.fill(&mut g, 0);
        assert!(lrs.get(0).eoi, "EOI maintenance to resample the line");
        assert_eq!(lrs.get(0).state, LrState::Pending);
        // The guest acks, does not clear the device, EOIs: pending again.
        lrs.ack(0);
        lrs.eoi(0);
        lrs.fill(&mut g, 0);
        assert_eq!(lrs.get(0).state, LrState::Pending);
        // Now it clears the device (line low) while handling, then EOIs.
        lrs.ack(0);
        g.set_level(33, false);
        lrs.eoi(0);
        let plan = lrs.fill(&mut g, 0);
        assert_eq!(plan.writes, vec![(0, 0)], "the EOI-bit register is cleared");
        assert!(g.vcpu_irqs(0).unwrap().is_empty());
        // A line that drops before the guest took it retracts the interrupt.
        g.set_level(33, true);
        lrs.fill(&mut g, 0);
        g.set_level(33, false);
        lrs.fill(&mut g, 0);
        assert!(lrs.valid().is_empty());
    }

    #[test]
    fn edge_pending_again_while_active() {
        let mut g = vgic(GicVersion::V3, 1, &[(33, VIRT)]);
        g.dist_write(0, 0x0, 4, 0x2);
        g.dist_write(0, 0x104, 4, 1 << 1);
        g.dist_write(0, 0xC08, 4, 0b1000); // edge
        g.set_level(33, true);
        g.set_level(33, false);
        let mut lrs = Lrs::new(GicVersion::V3, 4);
        lrs.fill(&mut g, 0);
        assert!(!lrs.get(0).eoi);
        lrs.ack(0);
        g.set_level(33, true);
        lrs.fill(&mut g, 0);
        assert_eq!(lrs.get(0).state, LrState::PendingActive);
        lrs.eoi(0);
        lrs.fill(&mut g, 0);
        assert_eq!(lrs.get(0).state, LrState::Pending);
    }

    #[test]
    fn a_register_the_hypervisor_did_not_write_gives_the_interrupt_back() {
        let mut g = six_virtual_spis();
        g.dist_write(0, 0x204, 4, 1 << 8);
        let (plan, _) = g.fill(0, &[0; 4]);
        assert_eq!(plan.writes.len(), 1);
        // The writes were lost: the next fill still finds 40 pending.
        let (plan, _) = g.fill(0, &[0; 4]);
        assert_eq!(plan.writes.len(), 1);
        assert_eq!(ListReg::decode_v3(plan.writes[0].1).vintid, 40);
    }

    #[test]
    fn clearing_pending_of_a_waiting_hardware_spi_deactivates_it() {
        let mut g = vgic(GicVersion::V3, 1, &[(48, HW)]);
        g.inject_hw(0, 48).unwrap(); // disabled: it waits in the model
        let fx = g.dist_write(0, 0x284, 4, 1 << 16);
        assert_eq!(
            fx.as_slice(),
            &[
                Effect::HwPending {
                    intid: 48,
                    pending: false
                },
                Effect::HwDeactivate { vcpu: 0, intid: 48 },
                Effect::Kick { vcpu: 0 },
            ]
        );
        assert!(g.vcpu_irqs(0).unwrap().is_empty());
    }

    #[test]
    fn a_hardware_interrupt_taken_back_from_its_register_is_deactivated() {
        // Pending in a register, then the guest clears its pending state.
        let mut g = vgic(GicVersion::V3, 1, &[(48, HW)]);
        g.dist_write(0, 0x0, 4, 0x2);
        g.dist_write(0, 0x104, 4, 1 << 16);
        g.inject_hw(0, 48).unwrap();
        let mut lrs = Lrs::new(GicVersion::V3, 4);
        lrs.fill(&mut g, 0);
        let fx = g.dist_write(0, 0x284, 4, 1 << 16);
        assert_eq!(
            fx.as_slice(),
            &[
                Effect::HwPending {
                    intid: 48,
                    pending: false
                },
                Effect::Kick { vcpu: 0 }
            ]
        );
        let (plan, fx) = g.fill(0, &lrs.regs);
        assert_eq!(plan.writes, vec![(0, 0)]);
        assert_eq!(plan.released_hw, vec![48]);
        assert_eq!(
            fx.as_slice(),
            &[Effect::HwDeactivate { vcpu: 0, intid: 48 }]
        );

        // The timer PPI, acknowledged, then its active state cleared through
        // the redistributor.
        g.redist_write(0, 0x1_0100, 4, 1 << 27);
        g.inject_hw(0, 27).unwrap();
        let mut lrs = Lrs::new(GicVersion::V3, 4);
        lrs.fill(&mut g, 0);
        lrs.ack(0);
        g.redist_write(0, 0x1_0380, 4, 1 << 27);
        let (plan, fx) = g.fill(0, &lrs.regs);
        assert_eq!(plan.writes, vec![(0, 0)]);
        assert_eq!(
            fx.as_slice(),
            &[Effect::HwDeactivate { vcpu: 0, intid: 27 }]
        );
        assert!(g.vcpu_irqs(0).unwrap().is_empty());

        // A guest that completes it itself needs nothing more.
        g.inject_hw(0, 27).unwrap();
        let mut lrs = Lrs::new(GicVersion::V3, 4);
        lrs.fill(&mut g, 0);
        lrs.ack(0);
        lrs.eoi(0);
        let (plan, fx) = g.fill(0, &lrs.regs);
        assert!(plan.released_hw.is_empty() && fx.is_empty());
    }

    #[test]
    fn clearing_pending_of_an_lr_interrupt_retracts_it() {
        let mut g = six_virtual_spis();
        g.dist_write(0, 0x204, 4, 1 << 8);
        let mut lrs = Lrs::new(GicVersion::V3, 4);
        lrs.fill(&mut g, 0);
        assert_eq!(g.dist_read(0, 0x204, 4), 1 << 8);
        g.dist_write(0, 0x284, 4, 1 << 8);
        lrs.fill(&mut g, 0);
        assert!(lrs.valid().is_empty());
        assert_eq!(g.dist_read(0, 0x204, 4), 0);
    }

    #[test]
    fn v2_sgis_from_two_sources_take_two_registers() {
        let mut g = vgic(GicVersion::V2, 3, &[]);
        g.dist_write(0, 0x0, 4, 1);
        g.dist_write(0, 0xF00, 4, (0b100 << 16) | 5);
        g.dist_write(1, 0xF00, 4, (0b100 << 16) | 5);
        // GICD_SPENDSGIR of vCPU 2 shows both sources of SGI 5.
        assert_eq!(g.dist_read(2, 0xF24, 4), 0b11 << 8);
        let mut lrs = Lrs::new(GicVersion::V2, 4);
        lrs.fill(&mut g, 2);
        let mut sources: Vec<u8> = (0..2).map(|i| lrs.get(i).source).collect();
        sources.sort();
        assert_eq!(sources, vec![0, 1]);
        assert!((0..2).all(|i| lrs.get(i).vintid == 5));
        // CPENDSGIR clears one source.
        g.dist_write(2, 0xF15, 1, 0b10);
        lrs.fill(&mut g, 2);
        assert_eq!(lrs.valid(), vec![5]);
        assert_eq!(lrs.get(lrs.find(5).unwrap()).source, 0);
    }

    #[test]
    fn a_rerouted_pending_spi_moves_to_its_new_vcpu() {
        let mut g = vgic(GicVersion::V3, 2, &[(40, VIRT)]);
        g.dist_write(0, 0x0, 4, 0x2);
        g.dist_write(0, 0x104, 4, 1 << 8);
        g.dist_write(0, 0x204, 4, 1 << 8);
        assert!(g.vcpu_irqs(0).unwrap().has(40));
        let fx = g.dist_write(0, 0x6000 + 40 * 8, 8, 1);
        assert_eq!(fx.as_slice(), &[Effect::Kick { vcpu: 1 }]);
        assert!(!g.vcpu_irqs(0).unwrap().has(40));
        let (plan, _) = g.fill(1, &[0; 4]);
        assert_eq!(ListReg::decode_v3(plan.writes[0].1).vintid, 40);
        // Re-routed while in vCPU 1's register: vCPU 1 gives it back at its
        // next fill and vCPU 0 gets it.
        let lrs = [plan.writes[0].1, 0, 0, 0];
        g.dist_write(0, 0x6000 + 40 * 8, 8, 0);
        let (plan, fx) = g.fill(1, &lrs);
        assert_eq!(plan.writes, vec![(0, 0)]);
        assert_eq!(fx.as_slice(), &[Effect::Kick { vcpu: 0 }]);
        let (plan, _) = g.fill(0, &[0; 4]);
        assert_eq!(ListReg::decode_v3(plan.writes[0].1).vintid, 40);
    }

    #[test]
    fn hw_state_programs_the_physical_spis() {
        let mut g = vgic(GicVersion::V3, 2, &[(48, HW), (49, VIRT)]);
        assert_eq!(
            g.hw_state().as_slice(),
            &[
                Effect::HwTrigger {
                    intid: 48,
                    edge: false
                },
                Effect::HwRoute { intid: 48, vcpu: 0 },
                Effect::HwEnable {
                    intid: 48,
                    enabled: false
                },
            ]
        );
        g.dist_write(0, 0x104, 4, 1 << 16);
        // Routed to an affinity the partition does not have: masked physically.
        let fx = g.dist_write(0, 0x6000 + 48 * 8, 8, 0x5);
        assert_eq!(
            fx.as_slice(),
            &[Effect::HwEnable {
                intid: 48,
                enabled: false
            }]
        );
        let fx = g.dist_write(0, 0x6000 + 48 * 8, 8, 0x1);
        assert_eq!(
            fx.as_slice(),
            &[
                Effect::HwRoute { intid: 48, vcpu: 1 },
                Effect::HwEnable {
                    intid: 48,
                    enabled: true
                },
            ]
        );
        // 1-of-N goes to vCPU 0.
        let fx = g.dist_write(0, 0x6000 + 48 * 8, 8, 1 << 31);
        assert_eq!(fx.as_slice(), &[Effect::HwRoute { intid: 48, vcpu: 0 }]);
    }
}
