//! What a partition's virtual GIC is made of: the GIC version, the number
//! of vCPUs and the SPIs the partition owns.

use alloc::vec::Vec;

use super::error::VgicError;

/// The architecture version the guest sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GicVersion {
    V2,
    V3,
}

/// Where an owned SPI comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpiKind {
    /// A physical SPI passed through with the same INTID: its enable,
    /// trigger, routing and pending/active state live in the physical
    /// distributor and list registers carry it with HW = 1.
    Hardware,
    /// An SPI that exists only in the model (an emulated device's line).
    Virtual,
}

/// One SPI the partition owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnedSpi {
    pub intid: u32,
    pub kind: SpiKind,
}

/// The shape of a partition's virtual GIC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VgicConfig {
    pub version: GicVersion,
    /// vCPU `i` has MPIDR affinity `psci::vcpu_mpidr(i)`.
    pub vcpus: usize,
    pub spis: Vec<OwnedSpi>,
}

/// First SPI INTID.
pub const FIRST_SPI: u32 = 32;
/// One past the last SPI INTID (1020..1023 are special).
pub const SPI_END: u32 = 1020;
/// Most vCPUs a GICv2 partition can have (CPU interface numbers 0..7).
pub const MAX_VCPUS_V2: usize = 8;
/// Most vCPUs a GICv3 partition can have here.
pub const MAX_VCPUS_V3: usize = 255;

impl VgicConfig {
    /// Checks the vCPU count and that the SPIs are SPIs and unique.
    pub fn validate(&self) -> Result<(), VgicError> {
        let max = match self.version {
            GicVersion::V2 => MAX_VCPUS_V2,
            GicVersion::V3 => MAX_VCPUS_V3,
        };
        if self.vcpus == 0 || self.vcpus > max {
            return Err(VgicError::VcpuCount {
                version: self.version,
                vcpus: self.vcpus,
            });
        }
        let mut seen = Vec::with_capacity(self.spis.len());
        for spi in &self.spis {
            if !(FIRST_SPI..SPI_END).contains(&spi.intid) {
                return Err(VgicError::SpiOutOfRange { intid: spi.intid });
            }
            if seen.contains(&spi.intid) {
                return Err(VgicError::DuplicateSpi { intid: spi.intid });
            }
            seen.push(spi.intid);
        }
        Ok(())
    }

    /// The highest owned SPI, if any.
    pub fn highest_spi(&self) -> Option<u32> {
        self.spis.iter().map(|s| s.intid).max()
    }
}
