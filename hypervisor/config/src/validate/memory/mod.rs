//! Memory: each region's shape, then all regions together — fixed regions
//! inside RAM and clear of everything else, the others placed first fit,
//! snapshot storage, and each partition's guest-physical layout.

mod guest;
mod place;
mod shape;

pub(super) use place::place_and_check;
pub(super) use shape::shape;

use crate::checked::MemoryRegion;
use alloc::string::String;
use bulkhead_core::addr::{GuestPhysAddr, MemRange};

/// A region while it is being checked.
pub(crate) struct RegionDraft {
    pub field: String,
    pub size: u64,
    /// Given in the file, or chosen by placement.
    pub base: Option<u64>,
    /// Whether the file gave the base.
    pub fixed: bool,
    pub identity: bool,
    pub guest_base: Option<u64>,
    /// Whether the region passed the shape checks (only those are placed).
    pub ok: bool,
    /// Whether its machine-physical range passed the checks against RAM,
    /// keep-outs and other regions (only those are checked further, so one
    /// mistake does not draw a cascade of errors).
    pub phys_ok: bool,
}

impl RegionDraft {
    /// The finished region, once it has a base.
    pub(crate) fn placed(&self) -> Option<MemoryRegion> {
        let base = self.base.filter(|_| self.ok)?;
        let guest = if self.identity {
            base
        } else {
            self.guest_base?
        };
        Some(MemoryRegion {
            host: MemRange::new(base, self.size),
            guest: GuestPhysAddr(guest),
            identity: self.identity,
        })
    }
}
