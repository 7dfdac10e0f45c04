//! What becomes of each property of a passed-through device's board node.
//!
//! A device node is copied property by property. Its registers and
//! interrupts are rewritten from the decoded values (machine-physical
//! addresses in two cells each, GIC specifiers for the partition's own
//! interrupt controller). Properties that point at other nodes by phandle
//! cannot follow the device into a tree that lacks those nodes, and are
//! left out with their companion name lists; the one exception is `clocks`
//! naming fixed-rate clocks, which are copied along (see
//! [`crate::clocks`]). The list of reference properties follows the
//! bindings in common use; a vendor property holding a phandle that is not
//! on it would be copied as plain bytes.

/// The fate of one property.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Disposition {
    /// Copied unchanged.
    Copy,
    /// Written anew by the generator, or meaningless in the partition.
    Replaced,
    /// `clocks`: copied if every entry is a fixed clock.
    Clocks,
    /// `clock-names`: kept exactly when `clocks` is.
    ClockNames,
    /// Holds phandles of nodes the partition does not have.
    Reference,
    /// Names the entries of a reference property that is left out.
    Companion,
}

const REPLACED: &[&str] = &[
    "reg",
    "interrupts",
    "interrupts-extended",
    "interrupt-parent",
    "phandle",
    "linux,phandle",
];

const REFERENCES: &[&str] = &[
    "assigned-clocks",
    "assigned-clock-parents",
    "resets",
    "power-domains",
    "dmas",
    "iommus",
    "iommu-map",
    "msi-parent",
    "msi-map",
    "phys",
    "mboxes",
    "nvmem-cells",
    "interconnects",
    "pwms",
    "io-channels",
    "memory-region",
    "sound-dai",
    "operating-points-v2",
    "thermal-sensors",
    "interrupt-map",
    "gpios",
    "gpio",
    "gpio-ranges",
    "remote-endpoint",
    "syscon",
    "sram",
];

const COMPANIONS: &[&str] = &[
    "assigned-clock-rates",
    "reset-names",
    "power-domain-names",
    "dma-names",
    "phy-names",
    "mbox-names",
    "nvmem-cell-names",
    "interconnect-names",
    "pwm-names",
    "io-channel-names",
    "memory-region-names",
    "pinctrl-names",
    "interrupt-map-mask",
];

/// `pinctrl-0`, `pinctrl-1`, ...
fn is_pinctrl_state(name: &str) -> bool {
    name.strip_prefix("pinctrl-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub fn disposition(name: &str) -> Disposition {
    if REPLACED.contains(&name) {
        Disposition::Replaced
    } else if name == "clocks" {
        Disposition::Clocks
    } else if name == "clock-names" {
        Disposition::ClockNames
    } else if REFERENCES.contains(&name)
        || is_pinctrl_state(name)
        || name.ends_with("-gpios")
        || name.ends_with("-gpio")
        || name.ends_with("-supply")
        || name.ends_with("-handle")
    {
        Disposition::Reference
    } else if COMPANIONS.contains(&name) {
        Disposition::Companion
    } else {
        Disposition::Copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_properties() {
        use Disposition::*;
        let cases = [
            ("compatible", Copy),
            ("dma-coherent", Copy),
            ("#gpio-cells", Copy),
            ("gpio-controller", Copy),
            ("gpio-line-names", Copy),
            ("status", Copy),
            ("reg", Replaced),
            ("interrupt-parent", Replaced),
            ("clocks", Clocks),
            ("clock-names", ClockNames),
            ("resets", Reference),
            ("pinctrl-0", Reference),
            ("pinctrl-names", Companion),
            ("pinctrl-x", Copy),
            ("reset-gpios", Reference),
            ("vmmc-supply", Reference),
            ("phy-handle", Reference),
            ("gpio-ranges", Reference),
            ("dma-names", Companion),
        ];
        for (name, want) in cases {
            assert_eq!(disposition(name), want, "{name}");
        }
    }
}
