//! What a guest access asks of the hardware or of other vCPUs. The model
//! changes only its own state; the hypervisor applies these in order.

use alloc::vec::Vec;

/// One thing the hypervisor has to do after a call into the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Enable or disable a hardware SPI in the physical distributor
    /// (GICD_ISENABLER/ICENABLER). Enabled means: the guest enabled it and
    /// its route names one of the partition's vCPUs.
    HwEnable { intid: u32, enabled: bool },
    /// Program a hardware SPI's trigger (GICD_ICFGR): edge or level.
    HwTrigger { intid: u32, edge: bool },
    /// Route a hardware SPI to the physical core that runs `vcpu`
    /// (GICD_IROUTER or GICD_ITARGETSR of the physical distributor).
    HwRoute { intid: u32, vcpu: usize },
    /// The guest set (true) or cleared (false) a hardware SPI's pending
    /// state: GICD_ISPENDR/ICPENDR on the physical SPI.
    HwPending { intid: u32, pending: bool },
    /// The guest set or cleared a hardware SPI's active state:
    /// GICD_ISACTIVER/ICACTIVER on the physical SPI.
    HwActive { intid: u32, active: bool },
    /// A physical interrupt the hypervisor acknowledged and handed to
    /// [`super::Vgic::inject_hw`] for `vcpu` will never reach a list
    /// register (the guest cleared its pending state): deactivate it
    /// (ICC_DIR_EL1/GICC_DIR on that vCPU's core for a PPI, GICD_ICACTIVER
    /// for an SPI).
    HwDeactivate { vcpu: usize, intid: u32 },
    /// The guest enabled or disabled PPI `intid` on `vcpu`; the hypervisor
    /// mirrors it on that vCPU's core for the PPIs it links to hardware
    /// (the timers) and ignores the others.
    PpiEnable {
        vcpu: usize,
        intid: u32,
        enabled: bool,
    },
    /// `vcpu` has new pending work or a list register to rewrite: if it is
    /// running on another core, interrupt that core so it refills its list
    /// registers; if it is the current vCPU, refill before returning.
    Kick { vcpu: usize },
}

/// The effects of one call, in the order they must be applied. Kicks are
/// not repeated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects(Vec<Effect>);

impl Effects {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn push(&mut self, effect: Effect) {
        if matches!(effect, Effect::Kick { .. }) && self.0.contains(&effect) {
            return;
        }
        self.0.push(effect);
    }

    pub fn kick(&mut self, vcpu: usize) {
        self.push(Effect::Kick { vcpu });
    }

    pub fn extend(&mut self, other: Effects) {
        for e in other.0 {
            self.push(e);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> core::slice::Iter<'_, Effect> {
        self.0.iter()
    }

    pub fn as_slice(&self) -> &[Effect] {
        &self.0
    }

    /// The effects other than kicks (what touches hardware).
    pub fn hardware(&self) -> impl Iterator<Item = &Effect> {
        self.0.iter().filter(|e| !matches!(e, Effect::Kick { .. }))
    }
}

impl IntoIterator for Effects {
    type Item = Effect;
    type IntoIter = alloc::vec::IntoIter<Effect>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Effects {
    type Item = &'a Effect;
    type IntoIter = core::slice::Iter<'a, Effect>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
