//! The virtual GIC a partition sees: an emulated distributor (GICv2 or
//! GICv3), emulated GICv3 redistributors, SGI generation, and the per-vCPU
//! bookkeeping that feeds the hardware's virtual CPU interface through list
//! registers.
//!
//! # Who does what
//!
//! The model is plain state: it never touches a register. The hypervisor
//! owns the physical GIC and the list registers and does four things:
//!
//! 1. Hands every trapped access to the model: GICD accesses to
//!    [`Vgic::dist_write`]/[`Vgic::dist_read`] (offset inside the frame,
//!    size 1/2/4/8, accessing vCPU), GICR accesses to
//!    [`Vgic::redist_write`]/[`Vgic::redist_read`] after
//!    [`redist_locate`], trapped ICC_SGI1R_EL1/ICC_SGI0R_EL1 writes to
//!    [`Vgic::sgi1r_write`]/[`Vgic::sgi0r_write`].
//! 2. Applies the [`Effect`]s a call returns (physical SPI enable, trigger,
//!    routing, pending and active state; PPI enables; kicks).
//! 3. When a physical interrupt that belongs to a partition fires, acks it
//!    at EL2, drops its priority (EOImode = 1) and calls
//!    [`Vgic::inject_hw`]. `None` means the interrupt is not the
//!    partition's: the hypervisor deactivates it itself. An emulated device
//!    drives its virtual SPI line with [`Vgic::set_level`].
//! 4. Before every entry to a vCPU, reads that vCPU's list registers back,
//!    calls [`Vgic::fill`] and writes what the plan says (list registers and
//!    the ICH_HCR_EL2/GICH_HCR maintenance enables).
//!
//! The model keeps every virtual pending/active state itself (one
//! [`VcpuIrqs`] per vCPU, inside the [`Vgic`]), so there is no "pend this"
//! effect: a [`Effect::Kick`] tells the hypervisor that a vCPU has new work
//! and must refill its list registers (an SGI to its core when it runs
//! elsewhere). One lock per partition around the `Vgic` is enough.
//!
//! Hardware SPIs keep their pending/active state in the physical
//! distributor; the model shadows what it has seen (queued or in a list
//! register) and turns guest writes to ISPENDR/ICPENDR/ISACTIVER/ICACTIVER
//! into effects. Physical enable is the virtual enable and "has a target":
//! an SPI whose route names no vCPU of the partition stays masked.
//!
//! # What the guest sees
//!
//! # Files
//!
//! `regmap` (register tables), `access` (width rules), `dist`/`redist`
//! (frame dispatch), `irqops`/`irqwrite` (per-interrupt families),
//! `sgi`, `ids` (TYPER/IIDR/PIDR), `irqcfg` (configuration state),
//! `pending` ([`VcpuIrqs`]), `lr` (list register encodings), `fill`
//! (the list register contract), `deliver` (injection, lines, fill and
//! sync), `persist` (snapshots), `model` ([`Vgic`] and routing).
//!
//! # Known gaps
//!
//! - GICR_WAKER is modelled for the guest's handshake but a sleeping
//!   redistributor still receives interrupts.
//! - Pending/active reads of hardware SPIs show the model's view (queued or
//!   in a list register at the last fill), not the physical distributor;
//!   for any interrupt in a list register the guest's acknowledge or
//!   deactivation is seen at the next fill.
//! - With one list register, underflow is never requested (it would fire at
//!   once); no-pending is requested only when that register holds a
//!   pending interrupt.
//! - An SPI re-routed while in a list register completes on its old vCPU;
//!   its remaining pending state moves at that vCPU's next fill.
//! - ICC_SGI1R_EL1 does not check the target's group (a single security
//!   state lets it signal either); GICD_SGIR ignores NSATT. GICv2
//!   GICD_ISACTIVER on an SGI uses the accessing vCPU as the source.
//! - No LPIs/ITS, no extended SPI/PPI ranges, no NMIs, no GICv2-compatible
//!   memory-mapped CPU interface for GICv3 guests, 5 priority bits.
//! - The snapshot is a plain struct with a format number; turning it into
//!   bytes is the snapshot layer's job.
//!
//! # What the guest sees
//!
//! GICv3 with a single security state (GICD_CTLR.DS = 1, ARE = 1), no LPIs,
//! 10 interrupt id bits, 5 priority bits (the virtual CPU interfaces of QEMU
//! and the GIC-400 implement 5). GICv2 without the security extensions.
//! Interrupts the partition does not own read as zero and ignore writes;
//! a write never names another partition's interrupt or vCPU.
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod access;
mod config;
mod deliver;
mod dist;
mod effect;
mod encode;
mod error;
pub mod fill;
mod ids;
mod irqcfg;
mod irqops;
mod irqwrite;
pub mod lr;
mod model;
mod pending;
mod persist;
mod redist;
mod regmap;
mod sgi;

pub use config::{GicVersion, OwnedSpi, SpiKind, VgicConfig};
pub use effect::{Effect, Effects};
pub use error::VgicError;
pub use fill::{IrqAttrs, IrqLookup, LrPlan};
pub use model::Vgic;
pub use pending::{IrqEntry, StateChange, VcpuIrqs};
pub use persist::{CpuState, PrivateIrqState, SpiState, VcpuIrqsState, VgicState, STATE_FORMAT};
pub use redist::{redist_locate, REDIST_FRAME};
pub use sgi::{decode_sgi1r, Sgi1r};
