//! The doorbell page (`bulkhead_core::mgmt::doorbell`) mapped through
//! `/dev/mem`: the only unsafe code of this program.
//!
//! The page is not RAM, so Linux maps it uncached (`O_SYNC`), and each
//! access below is one plain 64-bit load or store, which the hypervisor
//! decodes from the trap syndrome. An advisory lock on `/dev/mem` is held
//! around each call, because the doorbell's registers are the partition's,
//! not the process's.

use crate::cli::Caller;
use bulkhead_core::mgmt::doorbell::{COMPATIBLE, GUEST_BASE, MAGIC, REG_CALL, REG_MAGIC, REG_X0};
use std::fs::{self, File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

const O_SYNC: i32 = 0o4010000;
const PROT_READ: i32 = 1;
const PROT_WRITE: i32 = 2;
const MAP_SHARED: i32 = 1;
const LOCK_EX: i32 = 2;
const LOCK_UN: i32 = 8;
const PAGE: usize = 4096;

unsafe extern "C" {
    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
    fn munmap(addr: *mut u8, len: usize) -> i32;
    fn flock(fd: i32, op: i32) -> i32;
}

pub struct Doorbell {
    file: File,
    base: *mut u8,
}

/// The doorbell's address from the device tree the partition booted with:
/// a root node whose `compatible` is the doorbell's. Only the manager's
/// tree has one; elsewhere the page is unmapped, and touching it would be
/// a fault of the partition, so without the node there is no address.
pub fn find_address() -> Result<u64, String> {
    for root in ["/proc/device-tree", "/sys/firmware/devicetree/base"] {
        let Ok(dir) = fs::read_dir(root) else {
            continue;
        };
        for e in dir.flatten() {
            let p = e.path();
            let compatible = fs::read(p.join("compatible")).unwrap_or_default();
            if compatible
                .split(|&b| b == 0)
                .any(|c| c == COMPATIBLE.as_bytes())
            {
                return reg_address(&p)
                    .ok_or_else(|| format!("{}: no usable reg property", p.display()));
            }
        }
    }
    Err(format!(
        "this partition's device tree has no {COMPATIBLE} node: it is not Bulkhead's \
         manager partition (manager = true in the configuration; the doorbell is at \
         {GUEST_BASE:#x} there)"
    ))
}

/// The first address of a `reg` with two address cells (the partition's
/// root has `#address-cells = 2`).
fn reg_address(node: &Path) -> Option<u64> {
    let reg = fs::read(node.join("reg")).ok()?;
    let cells: [u8; 8] = reg.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(cells))
}

impl Doorbell {
    pub fn open(address: u64) -> Result<Doorbell, String> {
        if !address.is_multiple_of(PAGE as u64) {
            return Err(format!("doorbell address {address:#x} is not page aligned"));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(O_SYNC)
            .open("/dev/mem")
            .map_err(|e| format!("cannot open /dev/mem: {e} (run as root)"))?;
        let offset = i64::try_from(address).map_err(|_| "address out of range".to_string())?;
        // SAFETY: maps one page of /dev/mem with a valid descriptor; the
        // kernel checks the range and returns MAP_FAILED on refusal, which
        // is handled below. No Rust object aliases the mapping.
        let base = unsafe {
            mmap(
                std::ptr::null_mut(),
                PAGE,
                PROT_READ | PROT_WRITE,
                MAP_SHARED,
                file.as_raw_fd(),
                offset,
            )
        };
        if base as isize == -1 || base.is_null() {
            return Err(format!(
                "cannot map the doorbell at {address:#x} through /dev/mem: {}",
                std::io::Error::last_os_error()
            ));
        }
        let d = Doorbell { file, base };
        let magic = d.read(REG_MAGIC);
        if magic != MAGIC {
            return Err(format!(
                "no Bulkhead doorbell at {address:#x} (read {magic:#x}): is this the manager partition?"
            ));
        }
        Ok(d)
    }

    fn read(&self, offset: u64) -> u64 {
        // SAFETY: `offset` is one of the doorbell's register offsets, all
        // below PAGE and 8-byte aligned, inside the page mapped in `open`.
        unsafe { std::ptr::read_volatile(self.base.add(offset as usize) as *const u64) }
    }

    fn write(&self, offset: u64, value: u64) {
        // SAFETY: as in `read`.
        unsafe { std::ptr::write_volatile(self.base.add(offset as usize) as *mut u64, value) }
    }
}

impl Caller for Doorbell {
    fn call(&mut self, x: [u64; 4]) -> [u64; 4] {
        let fd = self.file.as_raw_fd();
        // SAFETY: flock on an open descriptor; a failure only means no lock.
        unsafe { flock(fd, LOCK_EX) };
        for (i, v) in x.iter().enumerate() {
            self.write(REG_X0 + 8 * i as u64, *v);
        }
        self.write(REG_CALL, 1);
        let mut r = [0u64; 4];
        for (i, v) in r.iter_mut().enumerate() {
            *v = self.read(REG_X0 + 8 * i as u64);
        }
        // SAFETY: as above.
        unsafe { flock(fd, LOCK_UN) };
        r
    }

    fn pause(&mut self) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

impl Drop for Doorbell {
    fn drop(&mut self) {
        // SAFETY: unmaps the page mapped in `open`; nothing uses it after.
        unsafe { munmap(self.base, PAGE) };
    }
}
