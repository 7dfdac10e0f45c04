//! Bytes for a [`VgicState`], for snapshot slots: little-endian, fixed
//! field order, counts bounded, every read checked (a corrupt slot is
//! refused, never a panic).

use super::config::GicVersion;
use super::error::VgicError;
use super::pending::IrqEntry;
use super::persist::{CpuState, PrivateIrqState, SpiState, VcpuIrqsState, VgicState};
use alloc::vec::Vec;

const MAX_SPIS: usize = 988;
const MAX_CPUS: usize = 255;
const MAX_PRIVATE: usize = 32;
const MAX_ENTRIES: usize = 1024 + 16 * 8;

fn bad(what: &'static str) -> VgicError {
    VgicError::StateMismatch { what }
}

struct W(Vec<u8>);

impl W {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn b(&mut self, v: bool) {
        self.0.push(u8::from(v));
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
}

struct R<'a>(&'a [u8]);

impl R<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], VgicError> {
        if self.0.len() < n {
            return Err(bad("truncated"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, VgicError> {
        self.take(1)?.first().copied().ok_or(bad("truncated"))
    }
    fn b(&mut self) -> Result<bool, VgicError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(bad("a flag is neither 0 nor 1")),
        }
    }
    fn u32(&mut self) -> Result<u32, VgicError> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }
    fn u64(&mut self) -> Result<u64, VgicError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    fn count(&mut self, max: usize) -> Result<usize, VgicError> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(bad("a count is out of range"));
        }
        Ok(n)
    }
    fn opt_u8(&mut self) -> Result<Option<u8>, VgicError> {
        Ok(if self.b()? {
            Some(self.u8()?)
        } else {
            self.u8().map(|_| None)?
        })
    }
}

impl VgicState {
    /// The state as bytes ([`VgicState::decode`] reads them back).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = W(Vec::new());
        w.u32(self.format);
        w.u8(match self.version {
            GicVersion::V2 => 2,
            GicVersion::V3 => 3,
        });
        w.u32(self.vcpus as u32);
        w.u32(self.ctlr);
        w.u32(self.spis.len() as u32);
        for s in &self.spis {
            w.u32(s.intid);
            w.b(s.enabled);
            w.u8(s.priority);
            w.b(s.group1);
            w.b(s.edge);
            w.u64(s.irouter);
            w.u8(s.targets);
        }
        w.u32(self.cpus.len() as u32);
        for c in &self.cpus {
            w.u32(c.private.len() as u32);
            for p in &c.private {
                w.b(p.enabled);
                w.u8(p.priority);
                w.b(p.group1);
                w.b(p.edge);
            }
            w.b(c.sleeping);
            w.u32(c.irqs.format);
            w.u32(c.irqs.entries.len() as u32);
            for e in &c.irqs.entries {
                w.u32(e.intid);
                w.b(e.source.is_some());
                w.u8(e.source.unwrap_or(0));
                w.b(e.hw);
                w.b(e.latch);
                w.b(e.line);
                w.b(e.active);
                w.b(e.lr.is_some());
                w.u8(e.lr.unwrap_or(0));
                w.b(e.lr_pending);
                w.b(e.clear_pending);
                w.u8(match e.set_active {
                    None => 0,
                    Some(false) => 1,
                    Some(true) => 2,
                });
            }
        }
        w.0
    }

    /// Reads [`VgicState::encode`]'s bytes back; anything malformed is
    /// refused. `Vgic::restore` then checks the state against the config.
    pub fn decode(bytes: &[u8]) -> Result<VgicState, VgicError> {
        let mut r = R(bytes);
        let format = r.u32()?;
        let version = match r.u8()? {
            2 => GicVersion::V2,
            3 => GicVersion::V3,
            _ => return Err(bad("unknown GIC version")),
        };
        let vcpus = r.u32()? as usize;
        let ctlr = r.u32()?;
        let n = r.count(MAX_SPIS)?;
        let mut spis = Vec::with_capacity(n);
        for _ in 0..n {
            spis.push(SpiState {
                intid: r.u32()?,
                enabled: r.b()?,
                priority: r.u8()?,
                group1: r.b()?,
                edge: r.b()?,
                irouter: r.u64()?,
                targets: r.u8()?,
            });
        }
        let n = r.count(MAX_CPUS)?;
        let mut cpus = Vec::with_capacity(n);
        for _ in 0..n {
            let np = r.count(MAX_PRIVATE)?;
            let mut private = Vec::with_capacity(np);
            for _ in 0..np {
                private.push(PrivateIrqState {
                    enabled: r.b()?,
                    priority: r.u8()?,
                    group1: r.b()?,
                    edge: r.b()?,
                });
            }
            let sleeping = r.b()?;
            let irq_format = r.u32()?;
            let ne = r.count(MAX_ENTRIES)?;
            let mut entries = Vec::with_capacity(ne);
            for _ in 0..ne {
                let intid = r.u32()?;
                let source = r.opt_u8()?;
                let mut e = IrqEntry::new(intid, source);
                e.hw = r.b()?;
                e.latch = r.b()?;
                e.line = r.b()?;
                e.active = r.b()?;
                e.lr = r.opt_u8()?;
                e.lr_pending = r.b()?;
                e.clear_pending = r.b()?;
                e.set_active = match r.u8()? {
                    0 => None,
                    1 => Some(false),
                    2 => Some(true),
                    _ => return Err(bad("bad active-state change")),
                };
                entries.push(e);
            }
            cpus.push(CpuState {
                private,
                sleeping,
                irqs: VcpuIrqsState {
                    format: irq_format,
                    entries,
                },
            });
        }
        if !r.0.is_empty() {
            return Err(bad("trailing bytes"));
        }
        Ok(VgicState {
            format,
            version,
            vcpus,
            ctlr,
            spis,
            cpus,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::{GicVersion, OwnedSpi, SpiKind, Vgic, VgicConfig};
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let cfg = VgicConfig {
            version: GicVersion::V3,
            vcpus: 2,
            spis: alloc::vec![OwnedSpi {
                intid: 40,
                kind: SpiKind::Hardware
            }],
        };
        let mut v = Vgic::new(cfg.clone()).unwrap();
        let _ = v.dist_write(0, 0x0, 4, 0x12);
        let _ = v.dist_write(0, 0x104, 4, 1 << 8);
        let _ = v.inject_hw(0, 40);
        let s = v.save();
        let bytes = s.encode();
        assert_eq!(VgicState::decode(&bytes).unwrap(), s);
        assert!(Vgic::restore(cfg, &VgicState::decode(&bytes).unwrap()).is_ok());
        for cut in 0..bytes.len() {
            assert!(VgicState::decode(&bytes[..cut]).is_err());
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(VgicState::decode(&extra).is_err());
    }
}
