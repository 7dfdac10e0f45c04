//! A vCPU's GIC virtual CPU interface in a snapshot: the hypervisor control
//! and virtual machine control registers, the active-priority registers and
//! the list registers, for GICv2 (GICH_*) or GICv3 (ICH_*_EL2).
//!
//! Encoding (little-endian, version 1): version u16, gic version u8 (2 or
//! 3), list register count u8, hcr u32, vmcr u32, ap0r[4] u32, ap1r[4] u32,
//! then each list register as u64.

use super::bytes::{Dec, Enc};
use super::StateError;
use alloc::vec::Vec;

/// GICv2 implements up to 64 list registers, GICv3 up to 16.
pub const MAX_LIST_REGISTERS_V2: usize = 64;
pub const MAX_LIST_REGISTERS_V3: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GicVersion {
    V2,
    V3,
}

impl GicVersion {
    fn max_lrs(self) -> usize {
        match self {
            GicVersion::V2 => MAX_LIST_REGISTERS_V2,
            GicVersion::V3 => MAX_LIST_REGISTERS_V3,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GicCpuState {
    pub version: GicVersion,
    /// GICH_HCR / ICH_HCR_EL2.
    pub hcr: u32,
    /// GICH_VMCR / ICH_VMCR_EL2.
    pub vmcr: u32,
    /// ICH_AP0R<n>_EL2; GICv2 keeps GICH_APR in `ap0r[0]`.
    pub ap0r: [u32; 4],
    /// ICH_AP1R<n>_EL2; zero on GICv2.
    pub ap1r: [u32; 4],
    /// The list registers (GICv2's are 32 bits wide, held in the low half).
    pub lrs: Vec<u64>,
}

impl GicCpuState {
    pub const VERSION: u16 = 1;

    /// Checks what the hardware could hold: the list register count and, on
    /// GICv2, 32-bit list registers.
    pub fn validate(&self) -> Result<(), StateError> {
        if self.lrs.len() > self.version.max_lrs() {
            return Err(StateError::Invalid("list register count"));
        }
        if self.version == GicVersion::V2 && self.lrs.iter().any(|&lr| lr > u64::from(u32::MAX)) {
            return Err(StateError::Invalid("GICv2 list register (over 32 bits)"));
        }
        Ok(())
    }

    /// Appends the encoding to `out`. A state that does not `validate` is
    /// refused, so that every saved state restores.
    pub fn save(&self, out: &mut Vec<u8>) -> Result<(), StateError> {
        self.validate()?;
        let count =
            u8::try_from(self.lrs.len()).map_err(|_| StateError::Invalid("list register count"))?;
        let mut e = Enc(out);
        e.u16(Self::VERSION);
        e.u8(match self.version {
            GicVersion::V2 => 2,
            GicVersion::V3 => 3,
        });
        e.u8(count);
        e.u32(self.hcr);
        e.u32(self.vmcr);
        for &r in self.ap0r.iter().chain(&self.ap1r) {
            e.u32(r);
        }
        for &lr in &self.lrs {
            e.u64(lr);
        }
        Ok(())
    }

    /// Decodes exactly one encoding.
    pub fn restore(bytes: &[u8]) -> Result<Self, StateError> {
        let mut d = Dec::new(bytes);
        d.version(Self::VERSION)?;
        let version = match d.u8()? {
            2 => GicVersion::V2,
            3 => GicVersion::V3,
            _ => return Err(StateError::Invalid("GIC version")),
        };
        let count = usize::from(d.u8()?);
        if count > version.max_lrs() {
            return Err(StateError::Invalid("list register count"));
        }
        let hcr = d.u32()?;
        let vmcr = d.u32()?;
        let mut ap0r = [0u32; 4];
        let mut ap1r = [0u32; 4];
        for r in ap0r.iter_mut().chain(ap1r.iter_mut()) {
            *r = d.u32()?;
        }
        let mut lrs = Vec::with_capacity(count);
        for _ in 0..count {
            lrs.push(d.u64()?);
        }
        d.end()?;
        let s = GicCpuState {
            version,
            hcr,
            vmcr,
            ap0r,
            ap1r,
            lrs,
        };
        s.validate()?;
        Ok(s)
    }
}
