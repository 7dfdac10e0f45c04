//! A trapped guest access to an unmapped address (stage-2 data abort), in a
//! form device models can use.

use crate::addr::GuestPhysAddr;

/// One load or store the guest made, decoded from ESR_EL2 (ISV = 1) and
/// HPFAR_EL2/FAR_EL2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmioAccess {
    pub ipa: GuestPhysAddr,
    pub write: bool,
    /// Access size in bytes: 1, 2, 4 or 8.
    pub size: u8,
    /// The general register (0..=30; 31 means xzr/wzr).
    pub reg: u8,
    /// Loads only: sign-extend the value to the register width.
    pub sign_extend: bool,
    /// Loads only: the destination is a 64-bit register (else 32-bit).
    pub sixty_four: bool,
}

/// Why a data abort cannot be emulated as a simple load or store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotEmulable {
    /// ISV = 0: a load/store pair, an atomic, a cache maintenance or
    /// register-writeback form; the syndrome does not describe it.
    NoSyndrome,
    /// The fault happened on the stage-2 walk of the guest's own page tables.
    StageOneWalk,
    /// A cache maintenance instruction (CM = 1).
    CacheMaintenance,
}

/// The faulting IPA: HPFAR_EL2.FIPA gives bits 47:12, FAR_EL2 the page offset.
pub fn fault_ipa(hpfar: u64, far: u64) -> GuestPhysAddr {
    GuestPhysAddr(((hpfar & 0x0000_0FFF_FFFF_FFF0) << 8) | (far & 0xFFF))
}

pub fn decode(esr: u64, ipa: GuestPhysAddr) -> Result<MmioAccess, NotEmulable> {
    let iss = esr & 0x01FF_FFFF;
    if iss & (1 << 7) != 0 {
        return Err(NotEmulable::StageOneWalk);
    }
    if iss & (1 << 8) != 0 {
        return Err(NotEmulable::CacheMaintenance);
    }
    if iss & (1 << 24) == 0 {
        return Err(NotEmulable::NoSyndrome);
    }
    Ok(MmioAccess {
        ipa,
        write: iss & (1 << 6) != 0,
        size: 1 << ((iss >> 22) & 0b11),
        reg: ((iss >> 16) & 0x1F) as u8,
        sign_extend: iss & (1 << 21) != 0,
        sixty_four: iss & (1 << 15) != 0,
    })
}

impl MmioAccess {
    /// The value a load puts in the register, from what the device returned.
    pub fn load_value(&self, raw: u64) -> u64 {
        let bits = u32::from(self.size) * 8;
        let mut v = if bits >= 64 {
            raw
        } else {
            raw & ((1u64 << bits) - 1)
        };
        if self.sign_extend && bits < 64 && v & (1u64 << (bits - 1)) != 0 {
            v |= !0u64 << bits;
        }
        if !self.sixty_four {
            v &= 0xFFFF_FFFF;
        }
        v
    }

    /// The value a store writes, from the register, cut to the access size.
    pub fn store_value(&self, reg_value: u64) -> u64 {
        let bits = u32::from(self.size) * 8;
        if bits >= 64 {
            reg_value
        } else {
            reg_value & ((1u64 << bits) - 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ESR for "str w1, [x0]" trapped at stage 2: EC 0x24, IL, ISV, SAS=2,
    // SRT=1, WnR.
    const STR_W1: u64 = (0x24 << 26) | (1 << 25) | (1 << 24) | (2 << 22) | (1 << 16) | (1 << 6);

    #[test]
    fn decodes_a_word_store() {
        let a = decode(STR_W1, GuestPhysAddr(0x900_0000)).unwrap();
        assert!(a.write);
        assert_eq!((a.size, a.reg), (4, 1));
        assert_eq!(a.store_value(0xFFFF_FFFF_1234_5678), 0x1234_5678);
    }

    #[test]
    fn sign_extends_byte_loads() {
        // ldrsb x3, [..]: SAS=0, SSE, SRT=3, SF
        let esr = (0x24 << 26) | (1 << 24) | (1 << 21) | (3 << 16) | (1 << 15);
        let a = decode(esr, GuestPhysAddr(0)).unwrap();
        assert_eq!(a.load_value(0x80), 0xFFFF_FFFF_FFFF_FF80);
        assert_eq!(a.load_value(0x7F), 0x7F);
        // ldrsb w3: 32-bit destination
        let a = decode(esr & !(1 << 15), GuestPhysAddr(0)).unwrap();
        assert_eq!(a.load_value(0x80), 0xFFFF_FF80);
    }

    #[test]
    fn refuses_what_it_cannot_emulate() {
        assert_eq!(
            decode(STR_W1 & !(1 << 24), GuestPhysAddr(0)),
            Err(NotEmulable::NoSyndrome)
        );
        assert_eq!(
            decode(STR_W1 | (1 << 7), GuestPhysAddr(0)),
            Err(NotEmulable::StageOneWalk)
        );
    }

    #[test]
    fn ipa_from_hpfar_and_far() {
        assert_eq!(
            fault_ipa(0x90_0000 >> 8, 0xFFFF_0000_0000_0123),
            GuestPhysAddr(0x90_0123)
        );
        assert_eq!(
            fault_ipa(0x0000_0FFF_FFFF_FFF0, 0),
            GuestPhysAddr(0xF_FFFF_FFFF_F000)
        );
    }
}
