//! Passed-through devices reset when their partition is restored from a
//! snapshot (`reset_on_restore`, checked by `bulkhead-config`).
//!
//! A device's state lives in the hardware, so a snapshot cannot capture
//! it; a partition may be snapshotted only when every device it owns is
//! reset on restore instead. On restore, after the slot has been checked
//! and before the partition's memory is overwritten (a device still doing
//! DMA would write into the restored memory), each such device is reset
//! and its interrupts' pending and active state cleared, in the physical
//! GIC and in the restored virtual GIC; then the vCPUs resume and the
//! guest finds the device as after a reset, which its driver must cope
//! with (the configuration says it does).
//!
//! Methods (`bulkhead_config::ResetMethod`):
//! - virtio-mmio: 0 written to the Status register (offset 0x070), which
//!   resets the device behind the transport (virtio 1.x, 4.2.2: "Writing
//!   zero (0x0) to this register triggers a device reset"; the legacy
//!   interface says the same), then Status read back until it is 0.

use crate::println;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_config::{PartitionConfig, ResetMethod};
use bulkhead_core::vgic::Vgic;

/// virtio-mmio registers used here.
const VIRTIO_MAGIC: usize = 0x000;
const VIRTIO_DEVICE_ID: usize = 0x008;
const VIRTIO_STATUS: usize = 0x070;
/// "virt", little-endian.
const VIRTIO_MAGIC_VALUE: u32 = 0x7472_6976;
/// Reads of Status after the reset before giving up on seeing 0.
const RESET_POLLS: u32 = 1000;

/// A device of a partition that is reset on restore.
#[derive(Clone, Debug)]
pub struct DeviceReset {
    pub path: String,
    pub method: ResetMethod,
    /// The machine-physical address of its registers (EL2 maps every
    /// device of the board as device memory).
    pub base: u64,
    /// Its shared peripheral interrupts.
    pub spis: Vec<u32>,
}

/// The devices of `p` that its configuration resets on restore.
pub fn of(p: &PartitionConfig) -> Vec<DeviceReset> {
    p.devices()
        .iter()
        .filter_map(|d| {
            Some(DeviceReset {
                path: d.path.clone(),
                method: d.reset_on_restore?,
                base: d.regs.first()?.base.0,
                spis: d
                    .interrupts
                    .iter()
                    .filter(|i| i.intid.is_spi())
                    .map(|i| i.intid.0)
                    .collect(),
            })
        })
        .collect()
}

/// The first of `passthrough` (device paths) that `resets` does not
/// reset: what keeps the partition from being snapshotted.
pub fn blocker<'a>(passthrough: &'a [String], resets: &[DeviceReset]) -> Option<&'a str> {
    passthrough
        .iter()
        .find(|d| !resets.iter().any(|r| r.path == **d))
        .map(String::as_str)
}

/// Resets every device in `resets` (partition `id`, `name`), clears their
/// interrupts' pending and active state in the physical GIC and in `vgic`
/// (the virtual GIC about to be restored), and says so on the console.
/// Called on a restore, with the partition's vCPUs held or off and no list
/// register holding its interrupts.
pub fn on_restore(id: usize, name: &str, resets: &[DeviceReset], mut vgic: Vgic) -> Vgic {
    for d in resets {
        let outcome = match d.method {
            ResetMethod::VirtioMmio => virtio_mmio_reset(d.base as usize),
        };
        if let Some(g) = crate::gic::get() {
            for &intid in &d.spis {
                g.set_spi_pending(intid, false);
                g.set_spi_active(intid, false);
            }
        }
        for &intid in &d.spis {
            vgic.forget_hw_spi(intid);
        }
        match outcome {
            Ok(was) => println!(
                "partition {id} ({name}): restore: reset {} (virtio-mmio, status was {was:#x})",
                d.path
            ),
            Err(why) => println!(
                "partition {id} ({name}): restore: reset {} (virtio-mmio): {why}",
                d.path
            ),
        }
    }
    vgic
}

/// Resets the virtio device behind the transport at `base`; returns the
/// Status it had.
fn virtio_mmio_reset(base: usize) -> Result<u32, &'static str> {
    if mmio::read32(base + VIRTIO_MAGIC) != VIRTIO_MAGIC_VALUE {
        return Err("not reset: no virtio-mmio magic at its registers");
    }
    if mmio::read32(base + VIRTIO_DEVICE_ID) == 0 {
        // No device behind the transport: nothing to reset.
        return Ok(0);
    }
    let was = mmio::read32(base + VIRTIO_STATUS);
    mmio::write32(base + VIRTIO_STATUS, 0);
    for _ in 0..RESET_POLLS {
        if mmio::read32(base + VIRTIO_STATUS) == 0 {
            return Ok(was);
        }
    }
    Err("Status did not read 0 after the reset")
}

/// 32-bit accesses to the registers of a passed-through device.
mod mmio {
    /// `at`: a register of a passed-through device (see the SAFETY notes).
    pub fn read32(at: usize) -> u32 {
        // SAFETY: `at` is inside the register window of a device the
        // validated configuration gives the partition being restored
        // (checked against the board's device tree at boot), 4-byte
        // aligned; the EL2 map covers every device region of the tree as
        // device memory. The partition's vCPUs are held or off, so no
        // guest access races with this one.
        unsafe { core::ptr::read_volatile(at as *const u32) }
    }

    pub fn write32(at: usize, value: u32) {
        // SAFETY: as in `read32`.
        unsafe { core::ptr::write_volatile(at as *mut u32, value) }
    }
}
