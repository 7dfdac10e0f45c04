//! Property tests: any access sequence a guest (or a confused hypervisor)
//! can produce leaves the model panic-free, its effects inside the
//! partition, its list register plans consistent, and its state savable.

// Inside a module named after the file so `cargo test vgic` selects it.
mod vgic_props {
    use bulkhead_core::vgic::lr::{ListReg, LrState};
    use bulkhead_core::vgic::{Effect, GicVersion, OwnedSpi, SpiKind, Vgic, VgicConfig};
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        DistRead {
            vcpu: usize,
            offset: u64,
            size: u8,
        },
        DistWrite {
            vcpu: usize,
            offset: u64,
            size: u8,
            value: u64,
        },
        RedistRead {
            vcpu: usize,
            offset: u64,
            size: u8,
        },
        RedistWrite {
            vcpu: usize,
            offset: u64,
            size: u8,
            value: u64,
        },
        Sgi1r {
            from: usize,
            value: u64,
        },
        Sgi0r {
            from: usize,
            value: u64,
        },
        InjectHw {
            vcpu: usize,
            intid: u32,
        },
        SetLevel {
            intid: u32,
            level: bool,
        },
        Fill {
            vcpu: usize,
        },
        Guest {
            vcpu: usize,
            lr: usize,
            action: u8,
            garbage: u64,
        },
        /// The guest sets an interrupt pending through ISPENDR.
        Pend {
            vcpu: usize,
            intid: u32,
        },
        Sync {
            vcpu: usize,
        },
    }

    fn size() -> impl Strategy<Value = u8> {
        prop_oneof![Just(1u8), Just(2), Just(4), Just(8), 0u8..=16]
    }

    /// Offsets that hit registers often, and anything at all sometimes.
    fn dist_offset() -> impl Strategy<Value = u64> {
        prop_oneof![
            0u64..0x1000,
            0x6000u64..0x8000,
            0xFF00u64..0x1_0010,
            any::<u64>(),
        ]
    }

    fn redist_offset() -> impl Strategy<Value = u64> {
        prop_oneof![
            0u64..0x100,
            0x1_0000u64..0x1_1000,
            0xFF00u64..0x1_0000,
            any::<u64>()
        ]
    }

    /// Values with many interesting bit patterns.
    fn value() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(u64::MAX),
            Just(0u64),
            any::<u64>(),
            (0u32..64).prop_map(|b| 1u64 << b)
        ]
    }

    /// Mostly the interrupts a partition has, sometimes anything.
    fn intid() -> impl Strategy<Value = u32> {
        prop_oneof![4 => 0u32..48, 1 => 0u32..1100]
    }

    /// Mostly the first vCPUs (which every configuration has), sometimes
    /// ones that do not exist.
    fn vcpu() -> BoxedStrategy<usize> {
        prop_oneof![3 => 0usize..2, 1 => 0usize..6].boxed()
    }

    fn op() -> impl Strategy<Value = Op> {
        let vcpu = vcpu();
        prop_oneof![
            1 => (vcpu.clone(), dist_offset(), size())
                .prop_map(|(vcpu, offset, size)| Op::DistRead { vcpu, offset, size }),
            4 => (vcpu.clone(), dist_offset(), size(), value())
                .prop_map(|(vcpu, offset, size, value)| Op::DistWrite { vcpu, offset, size, value }),
            1 => (vcpu.clone(), redist_offset(), size())
                .prop_map(|(vcpu, offset, size)| Op::RedistRead { vcpu, offset, size }),
            2 => (vcpu.clone(), redist_offset(), size(), value())
                .prop_map(|(vcpu, offset, size, value)| Op::RedistWrite { vcpu, offset, size, value }),
            1 => (vcpu.clone(), value()).prop_map(|(from, value)| Op::Sgi1r { from, value }),
            1 => (vcpu.clone(), value()).prop_map(|(from, value)| Op::Sgi0r { from, value }),
            2 => (vcpu.clone(), intid()).prop_map(|(vcpu, intid)| Op::InjectHw { vcpu, intid }),
            3 => (vcpu.clone(), intid()).prop_map(|(vcpu, intid)| Op::Pend { vcpu, intid }),
            1 => (vcpu.clone(), 0u64..16, 0u64..0x10, any::<bool>()).prop_map(|(from, sgi, list, irm)| {
                Op::Sgi1r { from, value: (sgi << 24) | list | (u64::from(irm) << 40) }
            }),
            2 => (intid(), any::<bool>()).prop_map(|(intid, level)| Op::SetLevel { intid, level }),
            3 => vcpu.clone().prop_map(|vcpu| Op::Fill { vcpu }),
            3 => (vcpu.clone(), 0usize..5, 0u8..5, any::<u64>())
                .prop_map(|(vcpu, lr, action, garbage)| Op::Guest { vcpu, lr, action, garbage }),
            1 => vcpu.prop_map(|vcpu| Op::Sync { vcpu }),
        ]
    }

    fn config() -> impl Strategy<Value = VgicConfig> {
        (
            prop_oneof![Just(GicVersion::V2), Just(GicVersion::V3)],
            1usize..5,
            proptest::collection::btree_map(32u32..48, any::<bool>(), 0..8),
        )
            .prop_map(|(version, vcpus, spis)| VgicConfig {
                version,
                vcpus,
                spis: spis
                    .into_iter()
                    .map(|(intid, hw)| OwnedSpi {
                        intid,
                        kind: if hw {
                            SpiKind::Hardware
                        } else {
                            SpiKind::Virtual
                        },
                    })
                    .collect(),
            })
    }

    /// Effects name only the partition's hardware SPIs, PPIs and vCPUs.
    fn check_effects(config: &VgicConfig, fx: &[Effect]) -> Result<(), TestCaseError> {
        let hw = |intid: u32| {
            config
                .spis
                .iter()
                .any(|s| s.intid == intid && s.kind == SpiKind::Hardware)
        };
        for e in fx {
            match *e {
                Effect::HwEnable { intid, .. }
                | Effect::HwTrigger { intid, .. }
                | Effect::HwPending { intid, .. }
                | Effect::HwActive { intid, .. } => prop_assert!(hw(intid), "{e:?}"),
                Effect::HwRoute { intid, vcpu } => {
                    prop_assert!(hw(intid) && vcpu < config.vcpus, "{e:?}")
                }
                Effect::HwDeactivate { vcpu, intid } => prop_assert!(
                    vcpu < config.vcpus && ((16..32).contains(&intid) || hw(intid)),
                    "{e:?}"
                ),
                Effect::PpiEnable { vcpu, intid, .. } => {
                    prop_assert!(vcpu < config.vcpus && (16..32).contains(&intid), "{e:?}")
                }
                Effect::Kick { vcpu } => prop_assert!(vcpu < config.vcpus, "{e:?}"),
            }
        }
        Ok(())
    }

    /// The list registers of every vCPU as hardware would hold them.
    struct Machine {
        g: Vgic,
        lrs: Vec<Vec<u64>>,
    }

    const N_LRS: usize = 4;

    impl Machine {
        /// `enable_all`: the guest first enables both groups and every
        /// interrupt and wakes its redistributors, so fills have work.
        fn new(config: VgicConfig, enable_all: bool) -> Self {
            let n = config.vcpus;
            let mut g = Vgic::new(config).unwrap();
            if enable_all {
                g.dist_write(0, 0, 4, 0b11);
                for v in 0..n {
                    for word in (0x100..0x180).step_by(4) {
                        g.dist_write(v, word, 4, u64::MAX);
                    }
                    g.redist_write(v, 0x1_0100, 4, u64::MAX);
                    g.redist_write(v, 0x14, 4, 0);
                }
            }
            Self {
                g,
                lrs: vec![vec![0; N_LRS]; n],
            }
        }

        fn run(&mut self, op: &Op) -> Result<(), TestCaseError> {
            let config = self.g.config().clone();
            let version = config.version;
            let fx = match *op {
                Op::DistRead { vcpu, offset, size } => {
                    let v = self.g.dist_read(vcpu, offset, size);
                    if size < 8 && size > 0 {
                        prop_assert!(v >> (8 * u32::from(size)) == 0, "read wider than access");
                    }
                    Default::default()
                }
                Op::DistWrite {
                    vcpu,
                    offset,
                    size,
                    value,
                } => self.g.dist_write(vcpu, offset, size, value),
                Op::RedistRead { vcpu, offset, size } => {
                    self.g.redist_read(vcpu, offset, size);
                    Default::default()
                }
                Op::RedistWrite {
                    vcpu,
                    offset,
                    size,
                    value,
                } => self.g.redist_write(vcpu, offset, size, value),
                Op::Sgi1r { from, value } => self.g.sgi1r_write(from, value),
                Op::Sgi0r { from, value } => self.g.sgi0r_write(from, value),
                Op::InjectHw { vcpu, intid } => self.g.inject_hw(vcpu, intid).unwrap_or_default(),
                Op::SetLevel { intid, level } => self.g.set_level(intid, level),
                Op::Fill { vcpu } => {
                    let Some(regs) = self.lrs.get_mut(vcpu) else {
                        let (plan, fx) = self.g.fill(vcpu, &[0; N_LRS]);
                        prop_assert!(plan.writes.is_empty());
                        return check_effects(&config, fx.as_slice());
                    };
                    let (plan, fx) = self.g.fill(vcpu, regs);
                    for &(i, v) in &plan.writes {
                        prop_assert!(i < N_LRS);
                        regs[i] = v;
                    }
                    check_lrs(version, &config, regs)?;
                    fx
                }
                Op::Guest {
                    vcpu,
                    lr,
                    action,
                    garbage,
                } => {
                    if let Some(reg) = self.lrs.get_mut(vcpu).and_then(|r| r.get_mut(lr)) {
                        if action == 4 {
                            // A confused hypervisor scribbles on a register.
                            *reg = garbage;
                            return Ok(());
                        }
                        let l = ListReg::decode(version, *reg);
                        let state = match (action, l.state) {
                            // acknowledge
                            (0, s) if s.pending() => LrState::new(false, true),
                            // deactivate
                            (1, s) => LrState::new(s.pending(), false),
                            // ack + deactivate at once
                            (2, LrState::Pending) => LrState::Invalid,
                            (_, s) => s,
                        };
                        *reg = ListReg { state, ..l }.encode(version);
                    }
                    Default::default()
                }
                Op::Pend { vcpu, intid } => {
                    let word = u64::from(intid / 32) * 4;
                    let bit = 1u64 << (intid % 32);
                    if version == GicVersion::V3 && intid < 32 {
                        self.g.redist_write(vcpu, 0x1_0200 + word, 4, bit)
                    } else {
                        self.g.dist_write(vcpu, 0x200 + word, 4, bit)
                    }
                }
                Op::Sync { vcpu } => {
                    if let Some(regs) = self.lrs.get_mut(vcpu) {
                        self.g.sync(vcpu, regs);
                        regs.iter_mut().for_each(|r| *r = 0);
                    }
                    Default::default()
                }
            };
            check_effects(&config, fx.as_slice())
        }
    }

    /// After a fill: no hardware INTID and no (INTID, source) pair is valid
    /// in two registers, every valid register names an interrupt of the
    /// partition, hardware ones are never written pending+active.
    fn check_lrs(
        version: GicVersion,
        config: &VgicConfig,
        regs: &[u64],
    ) -> Result<(), TestCaseError> {
        let valid: Vec<ListReg> = regs
            .iter()
            .map(|v| ListReg::decode(version, *v))
            .filter(|l| l.state != LrState::Invalid)
            .collect();
        for (i, a) in valid.iter().enumerate() {
            prop_assert!(
                a.vintid < 32 || config.spis.iter().any(|s| s.intid == a.vintid),
                "{a:?}"
            );
            if a.pintid.is_some() {
                prop_assert!(a.state != LrState::PendingActive, "{a:?}");
            }
            for b in &valid[i + 1..] {
                prop_assert!(
                    !(a.pintid.is_some() && a.pintid == b.pintid),
                    "HW interrupt in two registers: {a:?} {b:?}"
                );
                prop_assert!(
                    (a.vintid, a.source) != (b.vintid, b.source),
                    "interrupt in two registers: {a:?} {b:?}"
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_traffic_never_panics_and_stays_inside(
            config in config(),
            enable_all in any::<bool>(),
            ops in proptest::collection::vec(op(), 1..120),
        ) {
            let mut m = Machine::new(config, enable_all);
            for op in &ops {
                m.run(op)?;
            }
        }

        #[test]
        fn a_snapshot_restores_the_same_model(
            config in config(),
            enable_all in any::<bool>(),
            ops in proptest::collection::vec(op(), 0..80),
        ) {
            let mut m = Machine::new(config.clone(), enable_all);
            for op in &ops {
                m.run(op)?;
            }
            let state = m.g.save();
            let restored = Vgic::restore(config, &state);
            prop_assert!(restored.is_ok(), "{:?}", restored.err());
            let restored = restored.unwrap();
            prop_assert_eq!(&restored, &m.g);
            prop_assert_eq!(restored.save(), state);
        }

        #[test]
        fn any_single_access_is_harmless(
            config in config(),
            vcpu in 0usize..6,
            offset in any::<u64>(),
            size in any::<u8>(),
            value in any::<u64>(),
        ) {
            let mut g = Vgic::new(config.clone()).unwrap();
            g.dist_read(vcpu, offset, size);
            check_effects(&config, g.dist_write(vcpu, offset, size, value).as_slice())?;
            g.redist_read(vcpu, offset, size);
            check_effects(&config, g.redist_write(vcpu, offset, size, value).as_slice())?;
            check_effects(&config, g.sgi1r_write(vcpu, value).as_slice())?;
            let lrs = [value; 16];
            let (plan, fx) = g.fill(vcpu, &lrs);
            check_effects(&config, fx.as_slice())?;
            prop_assert!(plan.writes.iter().all(|(i, _)| *i < 16));
        }
    }
}
