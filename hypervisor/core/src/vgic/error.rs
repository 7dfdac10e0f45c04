//! Why a configuration or a saved state was refused.

use core::fmt;

use super::config::GicVersion;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VgicError {
    /// GICv2 addresses at most 8 CPU interfaces, GICv3 here at most 255
    /// vCPUs (Aff1.Aff0 with Aff0 < 16), and a partition has at least one.
    VcpuCount { version: GicVersion, vcpus: usize },
    /// SPIs are 32..=1019.
    SpiOutOfRange { intid: u32 },
    /// The same SPI is listed twice.
    DuplicateSpi { intid: u32 },
    /// A saved state in a format this build does not read.
    StateFormat { found: u32 },
    /// A saved state that does not fit the configuration or breaks an
    /// invariant of the model.
    StateMismatch { what: &'static str },
}

impl fmt::Display for VgicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::VcpuCount { version, vcpus } => {
                write!(f, "vgic: {vcpus} vCPUs is out of range for {version:?}")
            }
            Self::SpiOutOfRange { intid } => {
                write!(f, "vgic: interrupt {intid} is not an SPI (32..=1019)")
            }
            Self::DuplicateSpi { intid } => write!(f, "vgic: SPI {intid} is listed twice"),
            Self::StateFormat { found } => {
                write!(f, "vgic: saved state format {found} is not supported")
            }
            Self::StateMismatch { what } => write!(f, "vgic: saved state refused: {what}"),
        }
    }
}
