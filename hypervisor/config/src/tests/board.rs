//! Hand-built boards: what `bulkhead_core::dt::parse` would give for QEMU
//! `virt` (-smp 4 -m 1G, GICv3, two PL011s) — the real parser is tested
//! against QEMU's own trees in `examples`.

use crate::Constraints;
use bulkhead_core::addr::MemRange;
use bulkhead_core::hw::{
    Chosen, Cpu, Device, EnableMethod, Gic, Hardware, Interrupt, Intid, Trigger, Uart, UartKind,
    VirtioMmio,
};

pub(crate) fn level(intid: u32) -> Interrupt {
    Interrupt {
        intid: Intid(intid),
        trigger: Trigger::Level,
    }
}

pub(crate) fn edge(intid: u32) -> Interrupt {
    Interrupt {
        intid: Intid(intid),
        trigger: Trigger::Edge,
    }
}

pub(crate) fn device(
    path: &str,
    compatible: &str,
    regs: &[(u64, u64)],
    irqs: &[Interrupt],
) -> Device {
    Device {
        path: path.into(),
        compatible: vec![compatible.into()],
        regs: regs.iter().map(|&(b, s)| MemRange::new(b, s)).collect(),
        interrupts: irqs.to_vec(),
        enabled: true,
    }
}

/// QEMU virt: 4 cores, 1 GiB at 0x40000000, GICv3, pl011@9000000 (stdout)
/// and pl011@9040000, an RTC, 32 virtio-mmio transports at 0xa000000 +
/// n*0x200 with intid 48+n.
pub(crate) fn qemu_virt() -> Hardware {
    let mut devices = vec![
        device(
            "/intc@8000000",
            "arm,gic-v3",
            &[(0x800_0000, 0x1_0000), (0x80a_0000, 0xf6_0000)],
            &[level(25)],
        ),
        device(
            "/pl011@9000000",
            "arm,pl011",
            &[(0x900_0000, 0x1000)],
            &[level(33)],
        ),
        device(
            "/pl031@9010000",
            "arm,pl031",
            &[(0x901_0000, 0x1000)],
            &[level(34)],
        ),
        device(
            "/pl011@9040000",
            "arm,pl011",
            &[(0x904_0000, 0x1000)],
            &[level(40)],
        ),
        device(
            "/pmu-like@9050000",
            "test,per-core",
            &[(0x905_0000, 0x1000)],
            &[level(23)],
        ),
    ];
    let first_virtio = devices.len();
    for n in 0..32u64 {
        let base = 0xa00_0000 + n * 0x200;
        devices.push(device(
            &format!("/virtio_mmio@{base:x}"),
            "virtio,mmio",
            &[(base, 0x200)],
            &[edge(48 + n as u32)],
        ));
    }
    let uarts = [1usize, 3]
        .iter()
        .map(|&i| Uart {
            device: i,
            kind: UartKind::Pl011,
            base: devices[i].regs[0],
            interrupt: Some(devices[i].interrupts[0]),
        })
        .collect();
    let virtio_mmio = (0..32)
        .map(|n| {
            let d = &devices[first_virtio + n];
            VirtioMmio {
                device: first_virtio + n,
                base: d.regs[0],
                interrupt: Some(d.interrupts[0]),
            }
        })
        .collect();
    Hardware {
        model: "linux,dummy-virt".into(),
        compatible: vec!["linux,dummy-virt".into()],
        memory: vec![MemRange::new(0x4000_0000, 0x4000_0000)],
        reserved: vec![],
        cpus: (0..4)
            .map(|i| Cpu {
                name: format!("cpu@{i}"),
                mpidr: i,
                enable_method: EnableMethod::Psci,
            })
            .collect(),
        psci: None,
        gic: Some(Gic::V3 {
            distributor: MemRange::new(0x800_0000, 0x1_0000),
            redistributors: vec![MemRange::new(0x80a_0000, 0xf6_0000)],
            maintenance: Some(level(25)),
        }),
        timer: None,
        devices,
        uarts,
        stdout: Some(0),
        virtio_mmio,
        chosen: Chosen {
            bootargs: None,
            initrd: None,
            stdout_path: Some("/pl011@9000000".into()),
        },
    }
}

/// The hypervisor image at QEMU virt's load address (2 MiB with BSS,
/// stacks and heap) and the bundle right after it (30 MiB).
pub(crate) fn constraints() -> Constraints {
    Constraints::new()
        .keep_out("hypervisor image", MemRange::new(0x4020_0000, 0x20_0000))
        .keep_out("bundle", MemRange::new(0x4040_0000, 0x1e0_0000))
}
