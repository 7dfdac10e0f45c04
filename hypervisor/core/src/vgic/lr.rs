//! List register encodings.
//!
//! GICv3 `ICH_LR<n>_EL2` (64-bit): vINTID 31:0, pINTID 44:32 when HW = 1
//! (bit 41 is EOI when HW = 0: maintenance interrupt on deactivation),
//! Priority 55:48, Group 60, HW 61, State 63:62.
//!
//! GICv2 `GICH_LR<n>` (32-bit): VirtualID 9:0, PhysicalID 19:10 when HW = 1;
//! when HW = 0 bit 19 is EOI and bits 12:10 the CPUID of an SGI's source;
//! Priority 27:23 (the top 5 bits of the priority), State 29:28, Grp1 30,
//! HW 31.

use super::access::{shl, shr};
use super::config::GicVersion;

/// The state field, the same two bits in both versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LrState {
    Invalid,
    Pending,
    Active,
    PendingActive,
}

impl LrState {
    pub fn from_bits(bits: u64) -> Self {
        match bits & 0b11 {
            0b00 => Self::Invalid,
            0b01 => Self::Pending,
            0b10 => Self::Active,
            _ => Self::PendingActive,
        }
    }

    pub fn bits(self) -> u64 {
        match self {
            Self::Invalid => 0b00,
            Self::Pending => 0b01,
            Self::Active => 0b10,
            Self::PendingActive => 0b11,
        }
    }

    pub fn new(pending: bool, active: bool) -> Self {
        match (pending, active) {
            (false, false) => Self::Invalid,
            (true, false) => Self::Pending,
            (false, true) => Self::Active,
            (true, true) => Self::PendingActive,
        }
    }

    pub fn pending(self) -> bool {
        matches!(self, Self::Pending | Self::PendingActive)
    }

    pub fn active(self) -> bool {
        matches!(self, Self::Active | Self::PendingActive)
    }
}

/// A list register's contents, version-independent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListReg {
    pub vintid: u32,
    /// HW = 1 with this physical INTID.
    pub pintid: Option<u32>,
    /// Full 8-bit priority (GICv2 keeps the top 5 bits).
    pub priority: u8,
    pub group1: bool,
    pub state: LrState,
    /// HW = 0 only: maintenance interrupt when the guest deactivates it.
    pub eoi: bool,
    /// GICv2, HW = 0: the source CPU of an SGI.
    pub source: u8,
}

const V3_PINTID_SHIFT: u32 = 32;
const V3_PINTID_MASK: u64 = 0x1FFF;
const V3_EOI: u64 = 1 << 41;
const V3_PRIORITY_SHIFT: u32 = 48;
const V3_GROUP: u64 = 1 << 60;
const V3_HW: u64 = 1 << 61;
const V3_STATE_SHIFT: u32 = 62;

const V2_VID_MASK: u64 = 0x3FF;
const V2_PID_SHIFT: u32 = 10;
const V2_CPUID_MASK: u64 = 0x7;
const V2_EOI: u64 = 1 << 19;
const V2_PRIORITY_SHIFT: u32 = 23;
const V2_STATE_SHIFT: u32 = 28;
const V2_GRP1: u64 = 1 << 30;
const V2_HW: u64 = 1 << 31;

impl ListReg {
    /// An empty (invalid) list register.
    pub const EMPTY: ListReg = ListReg {
        vintid: 0,
        pintid: None,
        priority: 0,
        group1: false,
        state: LrState::Invalid,
        eoi: false,
        source: 0,
    };

    pub fn encode_v3(&self) -> u64 {
        let mut v = u64::from(self.vintid);
        match self.pintid {
            Some(p) => {
                v |= V3_HW | shl(u64::from(p) & V3_PINTID_MASK, V3_PINTID_SHIFT);
            }
            None if self.eoi => v |= V3_EOI,
            None => {}
        }
        v |= shl(u64::from(self.priority), V3_PRIORITY_SHIFT);
        if self.group1 {
            v |= V3_GROUP;
        }
        v | shl(self.state.bits(), V3_STATE_SHIFT)
    }

    pub fn decode_v3(v: u64) -> Self {
        let hw = v & V3_HW != 0;
        Self {
            vintid: (v & 0xFFFF_FFFF) as u32,
            pintid: hw.then_some((shr(v, V3_PINTID_SHIFT) & V3_PINTID_MASK) as u32),
            priority: (shr(v, V3_PRIORITY_SHIFT) & 0xFF) as u8,
            group1: v & V3_GROUP != 0,
            state: LrState::from_bits(shr(v, V3_STATE_SHIFT)),
            eoi: !hw && v & V3_EOI != 0,
            source: 0,
        }
    }

    pub fn encode_v2(&self) -> u32 {
        let mut v = u64::from(self.vintid) & V2_VID_MASK;
        match self.pintid {
            Some(p) => v |= V2_HW | shl(u64::from(p) & V2_VID_MASK, V2_PID_SHIFT),
            None => {
                v |= shl(u64::from(self.source) & V2_CPUID_MASK, V2_PID_SHIFT);
                if self.eoi {
                    v |= V2_EOI;
                }
            }
        }
        v |= shl(u64::from(self.priority >> 3), V2_PRIORITY_SHIFT);
        if self.group1 {
            v |= V2_GRP1;
        }
        (v | shl(self.state.bits(), V2_STATE_SHIFT)) as u32
    }

    pub fn decode_v2(v: u32) -> Self {
        let v = u64::from(v);
        let hw = v & V2_HW != 0;
        let id_field = shr(v, V2_PID_SHIFT);
        Self {
            vintid: (v & V2_VID_MASK) as u32,
            pintid: hw.then_some((id_field & V2_VID_MASK) as u32),
            priority: ((shr(v, V2_PRIORITY_SHIFT) & 0x1F) as u8) << 3,
            group1: v & V2_GRP1 != 0,
            state: LrState::from_bits(shr(v, V2_STATE_SHIFT)),
            eoi: !hw && v & V2_EOI != 0,
            source: if hw {
                0
            } else {
                (id_field & V2_CPUID_MASK) as u8
            },
        }
    }

    /// Encodes for `version` (a GICv2 value in the low 32 bits).
    pub fn encode(&self, version: GicVersion) -> u64 {
        match version {
            GicVersion::V3 => self.encode_v3(),
            GicVersion::V2 => u64::from(self.encode_v2()),
        }
    }

    /// Decodes a value read back for `version` (GICv2: the low 32 bits).
    pub fn decode(version: GicVersion, v: u64) -> Self {
        match version {
            GicVersion::V3 => Self::decode_v3(v),
            GicVersion::V2 => Self::decode_v2((v & 0xFFFF_FFFF) as u32),
        }
    }
}
