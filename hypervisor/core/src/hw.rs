//! What Bulkhead learned about the machine: the result of reading the device
//! tree that firmware handed over (see [`crate::dt`]). Plain data, no
//! references into the blob, so it outlives the parse and can be printed,
//! compared in tests and checked against a partition configuration.

use crate::addr::MemRange;
use alloc::string::String;
use alloc::vec::Vec;

/// An interrupt as the GIC numbers it (INTID): SGIs 0-15, PPIs 16-31,
/// SPIs 32-1019.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Intid(pub u32);

impl Intid {
    pub fn is_ppi(self) -> bool {
        (16..32).contains(&self.0)
    }
    pub fn is_spi(self) -> bool {
        (32..1020).contains(&self.0)
    }
}

/// Edge or level, from the interrupt specifier's flags cell.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Trigger {
    Edge,
    Level,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Interrupt {
    pub intid: Intid,
    pub trigger: Trigger,
}

/// How firmware expects a secondary core to be started.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EnableMethod {
    /// `enable-method = "psci"`: PSCI CPU_ON through the conduit in [`Psci`].
    Psci,
    /// `enable-method = "spin-table"`: write the entry point to
    /// `cpu-release-addr` and send an event (Raspberry Pi firmware).
    SpinTable { release_addr: u64 },
    /// No enable-method (the boot core on some trees, or unknown methods).
    None,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Cpu {
    /// Node name, for example `cpu@1`.
    pub name: String,
    /// The `reg` property: the MPIDR affinity fields (Aff3 in bits 39:32,
    /// Aff2..Aff0 in bits 23:0).
    pub mpidr: u64,
    pub enable_method: EnableMethod,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Conduit {
    Smc,
    Hvc,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Psci {
    pub conduit: Conduit,
    /// True for `arm,psci-0.2` or later (standard function ids); false for
    /// the legacy `arm,psci` binding whose ids come from the node.
    pub v0_2_or_later: bool,
    /// CPU_ON function id (0xC400_0003 for PSCI >= 0.2, or the node's
    /// `cpu_on` property).
    pub cpu_on: u32,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Gic {
    /// GICv2 (`arm,cortex-a15-gic`, `arm,gic-400`, ...).
    V2 {
        distributor: MemRange,
        cpu_interface: MemRange,
        /// GICH: the virtual interface control frame, if the tree lists it.
        hyp_interface: Option<MemRange>,
        /// GICV: the virtual CPU interface, if the tree lists it.
        virt_cpu_interface: Option<MemRange>,
        maintenance: Option<Interrupt>,
    },
    /// GICv3 (`arm,gic-v3`).
    V3 {
        distributor: MemRange,
        redistributors: Vec<MemRange>,
        maintenance: Option<Interrupt>,
    },
}

impl Gic {
    pub fn version(&self) -> u8 {
        match self {
            Gic::V2 { .. } => 2,
            Gic::V3 { .. } => 3,
        }
    }
}

/// The architected timer's PPIs (`arm,armv8-timer`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Timer {
    pub secure_phys: Interrupt,
    pub nonsecure_phys: Interrupt,
    pub virt: Interrupt,
    pub hyp_phys: Interrupt,
    /// `clock-frequency` if the tree gives one (otherwise read CNTFRQ_EL0).
    pub frequency: Option<u32>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UartKind {
    /// ARM PrimeCell PL011 (`arm,pl011`, also `arm,sbsa-uart`).
    Pl011,
    /// The BCM2835 auxiliary mini-UART, an 8250 subset (`brcm,bcm2835-aux-uart`).
    Bcm2835Aux,
    /// A generic 16550/8250 (`ns16550a`, `snps,dw-apb-uart`).
    Ns16550,
}

/// A device node: anything with `reg` outside /cpus, /memory and
/// /reserved-memory. Addresses are already translated through the parents'
/// `ranges` to machine-physical addresses.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Device {
    /// Full path, for example `/soc/serial@7e201000` or `/pl011@9000000`.
    pub path: String,
    pub compatible: Vec<String>,
    pub regs: Vec<MemRange>,
    pub interrupts: Vec<Interrupt>,
    /// False when the node says `status = "disabled"`.
    pub enabled: bool,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Uart {
    /// Index into [`Hardware::devices`].
    pub device: usize,
    pub kind: UartKind,
    pub base: MemRange,
    pub interrupt: Option<Interrupt>,
}

/// A virtio-mmio transport (`virtio,mmio`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VirtioMmio {
    /// Index into [`Hardware::devices`].
    pub device: usize,
    pub base: MemRange,
    pub interrupt: Option<Interrupt>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Reserved {
    /// `/memreserve/` for header entries, otherwise the node name under
    /// /reserved-memory.
    pub name: String,
    pub range: MemRange,
}

#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Chosen {
    pub bootargs: Option<String>,
    /// `linux,initrd-start` .. `linux,initrd-end`.
    pub initrd: Option<MemRange>,
    /// `stdout-path` as written (alias or path, options after ':' removed).
    pub stdout_path: Option<String>,
}

/// Everything Bulkhead uses from the device tree.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Hardware {
    /// Root `model`, or empty.
    pub model: String,
    /// Root `compatible` strings.
    pub compatible: Vec<String>,
    /// Every RAM bank of every /memory node, sorted by base.
    pub memory: Vec<MemRange>,
    /// Header /memreserve/ entries and /reserved-memory children with `reg`.
    pub reserved: Vec<Reserved>,
    pub cpus: Vec<Cpu>,
    pub psci: Option<Psci>,
    pub gic: Option<Gic>,
    pub timer: Option<Timer>,
    pub devices: Vec<Device>,
    pub uarts: Vec<Uart>,
    /// Index into [`Hardware::uarts`] of the console named by
    /// /chosen/stdout-path, if it resolves to a UART Bulkhead can drive.
    pub stdout: Option<usize>,
    pub virtio_mmio: Vec<VirtioMmio>,
    pub chosen: Chosen,
}

impl Hardware {
    pub fn total_memory(&self) -> u64 {
        self.memory
            .iter()
            .fold(0u64, |a, m| a.saturating_add(m.size))
    }

    pub fn device_by_path(&self, path: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.path == path)
    }

    /// The console UART: stdout-path's UART if any, else the first PL011.
    pub fn console(&self) -> Option<&Uart> {
        self.stdout
            .and_then(|i| self.uarts.get(i))
            .or_else(|| self.uarts.iter().find(|u| u.kind == UartKind::Pl011))
    }
}
