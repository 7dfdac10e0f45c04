//! Address types. Machine-physical and guest-physical addresses are distinct
//! types so that one cannot be passed where the other is expected.

use core::fmt;

/// A machine-physical address (what the CPU puts on the bus at EL2 with the
/// MMU identity-mapping RAM).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PhysAddr(pub u64);

/// A guest-physical (intermediate physical) address: what a partition sees
/// before stage-2 translation.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GuestPhysAddr(pub u64);

impl fmt::Debug for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PA {:#x}", self.0)
    }
}

impl fmt::Debug for GuestPhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IPA {:#x}", self.0)
    }
}

impl fmt::Display for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl fmt::Display for GuestPhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A range of machine-physical memory, `[base, base + size)`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct MemRange {
    pub base: PhysAddr,
    pub size: u64,
}

impl MemRange {
    pub const fn new(base: u64, size: u64) -> Self {
        Self {
            base: PhysAddr(base),
            size,
        }
    }

    /// One past the last byte, saturating at the top of the address space.
    pub fn end(&self) -> u64 {
        self.base.0.saturating_add(self.size)
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base.0 && addr < self.end()
    }

    pub fn overlaps(&self, other: &MemRange) -> bool {
        !self.is_empty()
            && !other.is_empty()
            && self.base.0 < other.end()
            && other.base.0 < self.end()
    }

    /// True when `other` lies wholly inside `self`.
    pub fn covers(&self, other: &MemRange) -> bool {
        other.base.0 >= self.base.0 && other.end() <= self.end()
    }
}

impl fmt::Display for MemRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:#x}..{:#x})", self.base.0, self.end())
    }
}
