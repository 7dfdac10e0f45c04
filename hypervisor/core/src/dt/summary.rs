//! The hardware summary Bulkhead prints at boot. Every line ends with a
//! newline. Boot tests grep "memory: <N> MiB in <k> bank(s)" and
//! "cpus: <N>": keep those words as they are.
//!
//! Strings from the tree are printed with control characters escaped, so a
//! hostile tree cannot drive the console.

use crate::hw::{Conduit, EnableMethod, Gic, Hardware, Interrupt, UartKind};
use core::fmt::{self, Display, Formatter};

/// `Display`s a multi-line summary of a [`Hardware`].
pub struct Summary<'a>(pub &'a Hardware);

impl Display for Summary<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let hw = self.0;
        board(hw, f)?;
        memory(hw, f)?;
        for r in &hw.reserved {
            writeln!(f, "reserved: {} {}", r.name.escape_debug(), r.range)?;
        }
        cpus(hw, f)?;
        gic(hw, f)?;
        timer(hw, f)?;
        uarts(hw, f)?;
        virtio(hw, f)?;
        chosen(hw, f)
    }
}

fn board(hw: &Hardware, f: &mut Formatter<'_>) -> fmt::Result {
    f.write_str("board: ")?;
    if hw.model.is_empty() {
        f.write_str("(no model)")?;
    } else {
        write!(f, "{}", hw.model.escape_debug())?;
    }
    if let Some(c) = hw.compatible.first() {
        write!(f, " [{}]", c.escape_debug())?;
    }
    writeln!(f)
}

fn memory(hw: &Hardware, f: &mut Formatter<'_>) -> fmt::Result {
    let total = hw
        .memory
        .iter()
        .fold(0u64, |sum, m| sum.saturating_add(m.size));
    write!(
        f,
        "memory: {} MiB in {} bank(s):",
        total >> 20,
        hw.memory.len()
    )?;
    for m in &hw.memory {
        write!(f, " {m}")?;
    }
    writeln!(f)
}

fn cpus(hw: &Hardware, f: &mut Formatter<'_>) -> fmt::Result {
    write!(f, "cpus: {} (mpidrs", hw.cpus.len())?;
    for c in &hw.cpus {
        write!(f, " {:#x}", c.mpidr)?;
    }
    f.write_str("), start via ")?;
    let mut methods = hw
        .cpus
        .iter()
        .map(|c| c.enable_method)
        .filter(|m| *m != EnableMethod::None);
    let psci = |m: &EnableMethod| *m == EnableMethod::Psci;
    let spin = |m: &EnableMethod| matches!(m, EnableMethod::SpinTable { .. });
    if methods.clone().next().is_none() {
        f.write_str("no enable-method")?;
    } else if methods.clone().all(|m| psci(&m)) {
        match hw.psci.map(|p| p.conduit) {
            Some(Conduit::Smc) => f.write_str("psci/smc")?,
            Some(Conduit::Hvc) => f.write_str("psci/hvc")?,
            None => f.write_str("psci (no psci node)")?,
        }
    } else if methods.clone().all(|m| spin(&m)) {
        f.write_str("spin-table at")?;
        for m in methods.by_ref() {
            if let EnableMethod::SpinTable { release_addr } = m {
                write!(f, " {release_addr:#x}")?;
            }
        }
    } else {
        f.write_str("mixed enable-methods")?;
    }
    writeln!(f)
}

fn intid(i: &Option<Interrupt>) -> Option<u32> {
    i.map(|i| i.intid.0)
}

fn maintenance(f: &mut Formatter<'_>, m: &Option<Interrupt>) -> fmt::Result {
    match intid(m) {
        Some(n) => writeln!(f, ", maintenance intid {n}"),
        None => writeln!(f, ", no maintenance interrupt"),
    }
}

fn gic(hw: &Hardware, f: &mut Formatter<'_>) -> fmt::Result {
    match &hw.gic {
        None => writeln!(f, "gic: none"),
        Some(Gic::V3 {
            distributor,
            redistributors,
            maintenance: m,
        }) => {
            write!(
                f,
                "gic: v3, distributor {}, {} redistributor region(s)",
                distributor.base,
                redistributors.len()
            )?;
            for r in redistributors {
                write!(f, " {r}")?;
            }
            maintenance(f, m)
        }
        Some(Gic::V2 {
            distributor,
            cpu_interface,
            hyp_interface,
            virt_cpu_interface,
            maintenance: m,
        }) => {
            write!(
                f,
                "gic: v2, GICD {}, GICC {}",
                distributor.base, cpu_interface.base
            )?;
            match hyp_interface {
                Some(h) => write!(f, ", GICH {}", h.base)?,
                None => f.write_str(", no GICH")?,
            }
            match virt_cpu_interface {
                Some(v) => write!(f, ", GICV {}", v.base)?,
                None => f.write_str(", no GICV")?,
            }
            maintenance(f, m)
        }
    }
}

fn timer(hw: &Hardware, f: &mut Formatter<'_>) -> fmt::Result {
    let Some(t) = &hw.timer else {
        return writeln!(f, "timer: none");
    };
    write!(
        f,
        "timer: virt intid {}, hyp intid {}, phys intid {}",
        t.virt.intid.0, t.hyp_phys.intid.0, t.nonsecure_phys.intid.0
    )?;
    if let Some(hz) = t.frequency {
        write!(f, ", {hz} Hz")?;
    }
    writeln!(f)
}

fn uarts(hw: &Hardware, f: &mut Formatter<'_>) -> fmt::Result {
    f.write_str("uarts:")?;
    if hw.uarts.is_empty() {
        f.write_str(" none")?;
    }
    let console = hw.console().map(|c| c.device);
    for (i, u) in hw.uarts.iter().enumerate() {
        let kind = match u.kind {
            UartKind::Pl011 => "pl011",
            UartKind::Bcm2835Aux => "bcm2835-aux",
            UartKind::Ns16550 => "ns16550",
        };
        let sep = if i == 0 { " " } else { ", " };
        write!(f, "{sep}{kind} {}", u.base.base)?;
        if console == Some(u.device) {
            f.write_str(" (console)")?;
        }
    }
    writeln!(f)
}

fn virtio(hw: &Hardware, f: &mut Formatter<'_>) -> fmt::Result {
    let v = &hw.virtio_mmio;
    let (Some(low), Some(high)) = (
        v.iter().map(|t| t.base.base.0).min(),
        v.iter().map(|t| t.base.end()).max(),
    ) else {
        return Ok(());
    };
    write!(
        f,
        "virtio-mmio: {} transports at {low:#x}..{high:#x}",
        v.len()
    )?;
    let ids = v.iter().filter_map(|t| intid(&t.interrupt));
    if let (Some(a), Some(b)) = (ids.clone().min(), ids.max()) {
        write!(f, ", intids {a}..{b}")?;
    }
    writeln!(f)
}

fn chosen(hw: &Hardware, f: &mut Formatter<'_>) -> fmt::Result {
    let c = &hw.chosen;
    if c.bootargs.is_none() && c.initrd.is_none() && c.stdout_path.is_none() {
        return Ok(());
    }
    f.write_str("chosen:")?;
    let mut sep = " ";
    if let Some(b) = &c.bootargs {
        write!(f, "{sep}bootargs \"{}\"", b.escape_debug())?;
        sep = ", ";
    }
    if let Some(i) = &c.initrd {
        write!(f, "{sep}initrd {i}")?;
        sep = ", ";
    }
    if let Some(s) = &c.stdout_path {
        write!(f, "{sep}stdout {}", s.escape_debug())?;
    }
    writeln!(f)
}
