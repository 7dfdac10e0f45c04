//! A vCPU's architectural state in a snapshot: general registers, the
//! exception return state EL2 holds for it, the EL1 system registers,
//! FP/SIMD, the virtual timer and the MPIDR it sees.
//!
//! Encoding (little-endian, version 1, 1018 bytes): version u16, x0..x30,
//! pc, pstate, sp_el0, sp_el1, elr_el1, spsr_el1, the `El1SysRegs` in their
//! list order, q0..q31 (u128), fpsr, fpcr, cntv_ctl, cntv_cval, cntvoff,
//! vmpidr (each u64 unless noted).

use super::bytes::{Dec, Enc};
use super::{El1SysRegs, StateError};
use alloc::vec::Vec;

/// FP/SIMD registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FpState {
    pub q: [u128; 32],
    pub fpsr: u64,
    pub fpcr: u64,
}

/// The EL1 virtual timer and the offset EL2 applies to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerState {
    pub cntv_ctl: u64,
    /// The compare value, in guest virtual time.
    pub cntv_cval: u64,
    /// CNTVOFF_EL2 when saved; on restore the hypervisor computes a new one
    /// with [`restored_cntvoff`](super::restored_cntvoff).
    pub cntvoff: u64,
}

/// One vCPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VcpuState {
    /// x0..x30.
    pub x: [u64; 31],
    /// Where the guest resumes: ELR_EL2.
    pub pc: u64,
    /// Its PSTATE: SPSR_EL2.
    pub pstate: u64,
    pub sp_el0: u64,
    pub sp_el1: u64,
    pub elr_el1: u64,
    pub spsr_el1: u64,
    pub sys: El1SysRegs,
    pub fp: FpState,
    pub timer: TimerState,
    /// The MPIDR the guest reads (VMPIDR_EL2).
    pub vmpidr: u64,
}

impl VcpuState {
    pub const VERSION: u16 = 1;
    /// The encoded length.
    pub const ENCODED_LEN: usize = 2 + 8 * (31 + 6 + El1SysRegs::COUNT) + 16 * 32 + 8 * 6;

    /// Appends the encoding to `out`.
    pub fn save(&self, out: &mut Vec<u8>) {
        let mut e = Enc(out);
        e.u16(Self::VERSION);
        for &r in &self.x {
            e.u64(r);
        }
        for r in [
            self.pc,
            self.pstate,
            self.sp_el0,
            self.sp_el1,
            self.elr_el1,
            self.spsr_el1,
        ] {
            e.u64(r);
        }
        for r in self.sys.to_array() {
            e.u64(r);
        }
        for &q in &self.fp.q {
            e.u128(q);
        }
        for r in [
            self.fp.fpsr,
            self.fp.fpcr,
            self.timer.cntv_ctl,
            self.timer.cntv_cval,
            self.timer.cntvoff,
            self.vmpidr,
        ] {
            e.u64(r);
        }
    }

    /// Decodes exactly one encoding.
    pub fn restore(bytes: &[u8]) -> Result<Self, StateError> {
        let mut d = Dec::new(bytes);
        d.version(Self::VERSION)?;
        let mut s = VcpuState::default();
        for r in s.x.iter_mut() {
            *r = d.u64()?;
        }
        for r in [
            &mut s.pc,
            &mut s.pstate,
            &mut s.sp_el0,
            &mut s.sp_el1,
            &mut s.elr_el1,
            &mut s.spsr_el1,
        ] {
            *r = d.u64()?;
        }
        let mut sys = [0u64; El1SysRegs::COUNT];
        for r in sys.iter_mut() {
            *r = d.u64()?;
        }
        s.sys = El1SysRegs::from_array(sys);
        for q in s.fp.q.iter_mut() {
            *q = d.u128()?;
        }
        for r in [
            &mut s.fp.fpsr,
            &mut s.fp.fpcr,
            &mut s.timer.cntv_ctl,
            &mut s.timer.cntv_cval,
            &mut s.timer.cntvoff,
            &mut s.vmpidr,
        ] {
            *r = d.u64()?;
        }
        d.end()?;
        Ok(s)
    }
}
