//! The architected timer (`arm,armv8-timer`, or `arm,armv7-timer` on older
//! trees).

use super::error::DtError;
use super::irq::interrupts;
use super::tree::Tree;
use crate::hw::Timer;

/// The timer's PPIs, in binding order: secure physical, non-secure
/// physical, virtual, hypervisor physical (a fifth, the hypervisor virtual
/// timer, is ignored). None when there is no timer node or its interrupts
/// do not go to a GIC.
pub fn timer(tree: &Tree<'_, '_>) -> Result<Option<Timer>, DtError> {
    let found = tree
        .nodes
        .iter()
        .enumerate()
        .find(|(_, n)| n.enabled() && n.is_compatible(&["arm,armv8-timer", "arm,armv7-timer"]));
    let Some((index, node)) = found else {
        return Ok(None);
    };
    let list = interrupts(tree, index)?;
    if list.is_empty() {
        return Ok(None);
    }
    let [secure_phys, nonsecure_phys, virt, hyp_phys, ..] = *list.as_slice() else {
        return Err(DtError::Invalid {
            path: node.path.clone(),
            property: "interrupts",
            problem: "lists fewer than the 4 timer interrupts",
        });
    };
    Ok(Some(Timer {
        secure_phys,
        nonsecure_phys,
        virt,
        hyp_phys,
        frequency: node.u32_prop("clock-frequency")?,
    }))
}
