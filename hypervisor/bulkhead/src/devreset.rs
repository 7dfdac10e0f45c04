//! Resetting passed-through devices: when their partition is restored
//! from a snapshot (`reset_on_restore`, checked by `bulkhead-config`), and
//! when it is restarted or stopped (every device with a known method).
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
//! On a restart (and when a partition stops), every device of the
//! partition that has a known method is reset before its memory is
//! scrubbed, whether or not `reset_on_restore` lists it: a device still
//! doing DMA would write into the new incarnation's memory. All of the
//! partition's SPIs lose their pending and active state in the physical
//! GIC too; one left active (the guest had not finished with it) would
//! otherwise never be signalled to the new incarnation. A device without
//! a known method is left as it is, and the new kernel's driver meets it
//! in whatever state the old one left.
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
use bulkhead_core::hw::Hardware;
use bulkhead_core::vgic::Vgic;

/// virtio-mmio registers used here.
const VIRTIO_MAGIC: usize = 0x000;
const VIRTIO_DEVICE_ID: usize = 0x008;
const VIRTIO_STATUS: usize = 0x070;
/// "virt", little-endian.
const VIRTIO_MAGIC_VALUE: u32 = 0x7472_6976;
/// Reads of Status after the reset before giving up on seeing 0.
const RESET_POLLS: u32 = 1000;

/// A passed-through device of a partition, as far as resetting it goes.
#[derive(Clone, Debug)]
pub struct DeviceReset {
    pub path: String,
    /// How it is reset, if Bulkhead knows how.
    pub method: Option<ResetMethod>,
    /// Whether it is reset when the partition is restored from a snapshot
    /// (`reset_on_restore`; the method is then known).
    pub on_restore: bool,
    /// The machine-physical address of its registers (EL2 maps every
    /// device of the board as device memory).
    pub base: u64,
    /// Its shared peripheral interrupts.
    pub spis: Vec<u32>,
}

/// The passed-through devices of `p`, with their reset methods (found
/// from their compatible strings in the board's tree `hw`).
pub fn of(p: &PartitionConfig, hw: &Hardware) -> Vec<DeviceReset> {
    p.devices()
        .iter()
        .map(|d| {
            let known = hw
                .device_by_path(&d.path)
                .and_then(|dev| ResetMethod::for_compatible(&dev.compatible));
            let base = d.regs.first().map(|r| r.base.0);
            DeviceReset {
                path: d.path.clone(),
                // Without registers there is nothing to write to.
                method: base.and(d.reset_on_restore.or(known)),
                on_restore: d.reset_on_restore.is_some(),
                base: base.unwrap_or(0),
                spis: d
                    .interrupts
                    .iter()
                    .filter(|i| i.intid.is_spi())
                    .map(|i| i.intid.0)
                    .collect(),
            }
        })
        .collect()
}

/// The first of `devices` that is not reset on restore: what keeps the
/// partition from being snapshotted.
pub fn blocker(devices: &[DeviceReset]) -> Option<&str> {
    devices
        .iter()
        .find(|d| !d.on_restore)
        .map(|d| d.path.as_str())
}

/// Resets every device of `devices` that is reset on restore (partition `id`, `name`), clears their
/// interrupts' pending and active state in the physical GIC and in `vgic`
/// (the virtual GIC about to be restored), and says so on the console.
/// Called on a restore, with the partition's vCPUs held or off and no list
/// register holding its interrupts.
pub fn on_restore(id: usize, name: &str, devices: &[DeviceReset], mut vgic: Vgic) -> Vgic {
    for d in devices.iter().filter(|d| d.on_restore) {
        reset(id, name, "restore", d);
        for &intid in &d.spis {
            vgic.forget_hw_spi(intid);
        }
    }
    vgic
}

/// Quiets every device of partition `id` (`name`) before it is restarted
/// or once it has stopped (`why`: "restart", "stop"): each device with a
/// known method is reset, and every SPI of every device is cleared in the
/// physical GIC. Called with all of the partition's vCPUs off, so no list
/// register holds its interrupts; the caller resets the virtual GIC.
pub fn quiesce(id: usize, name: &str, devices: &[DeviceReset], why: &str) {
    for d in devices {
        reset(id, name, why, d);
    }
}

/// Resets `d` by its method, if it has one, clears its SPIs in the
/// physical GIC, and says so on the console.
fn reset(id: usize, name: &str, why: &str, d: &DeviceReset) {
    let outcome = d.method.map(|m| match m {
        ResetMethod::VirtioMmio => virtio_mmio_reset(d.base as usize),
    });
    clear_spis(d);
    match outcome {
        None => {}
        Some(Ok(was)) => println!(
            "partition {id} ({name}): {why}: reset {} (virtio-mmio, status was {was:#x})",
            d.path
        ),
        Some(Err(e)) => println!(
            "partition {id} ({name}): {why}: reset {} (virtio-mmio): {e}",
            d.path
        ),
    }
}

/// Clears the pending and active state of `d`'s SPIs in the physical GIC.
fn clear_spis(d: &DeviceReset) {
    if let Some(g) = crate::gic::get() {
        for &intid in &d.spis {
            g.set_spi_pending(intid, false);
            g.set_spi_active(intid, false);
        }
    }
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
