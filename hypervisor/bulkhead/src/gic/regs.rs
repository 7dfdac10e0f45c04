//! GIC register blocks (GICv2 and GICv3), as tock-registers structures.
//! Only the registers Bulkhead itself programs are named; the guest's view
//! of the distributor is emulated elsewhere (`bulkhead_core::vgic`).

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

register_structs! {
    /// Distributor (both versions; IROUTER is GICv3 only, ITARGETSR and
    /// SGIR GICv2 only).
    pub Gicd {
        (0x0000 => pub ctlr: ReadWrite<u32>),
        (0x0004 => pub typer: ReadOnly<u32>),
        (0x0008 => pub iidr: ReadOnly<u32>),
        (0x000c => _r0),
        (0x0080 => pub igroupr: [ReadWrite<u32>; 32]),
        (0x0100 => pub isenabler: [ReadWrite<u32>; 32]),
        (0x0180 => pub icenabler: [ReadWrite<u32>; 32]),
        (0x0200 => pub ispendr: [ReadWrite<u32>; 32]),
        (0x0280 => pub icpendr: [ReadWrite<u32>; 32]),
        (0x0300 => pub isactiver: [ReadWrite<u32>; 32]),
        (0x0380 => pub icactiver: [ReadWrite<u32>; 32]),
        (0x0400 => pub ipriorityr: [ReadWrite<u32>; 255]),
        (0x07fc => _r1),
        (0x0800 => pub itargetsr: [ReadWrite<u32>; 255]),
        (0x0bfc => _r2),
        (0x0c00 => pub icfgr: [ReadWrite<u32>; 64]),
        (0x0d00 => _r3),
        (0x0f00 => pub sgir: WriteOnly<u32>),
        (0x0f04 => _r4),
        (0x6100 => pub irouter: [ReadWrite<u64>; 988]),
        (0x7fe0 => _r5),
        (0x8000 => @END),
    }
}

/// The distributor's per-interrupt state, the same in both versions.
impl Gicd {
    /// Enables (GICD_ISENABLERn) or disables (GICD_ICENABLERn) `intid`.
    pub fn set_enabled(&self, intid: u32, enabled: bool) {
        set_or_clear(&self.isenabler, &self.icenabler, intid, enabled);
    }

    /// Makes `intid` pending (GICD_ISPENDRn) or not (GICD_ICPENDRn).
    pub fn set_pending(&self, intid: u32, pending: bool) {
        set_or_clear(&self.ispendr, &self.icpendr, intid, pending);
    }

    /// Makes `intid` active (GICD_ISACTIVERn) or not (GICD_ICACTIVERn).
    pub fn set_active(&self, intid: u32, active: bool) {
        set_or_clear(&self.isactiver, &self.icactiver, intid, active);
    }

    /// Makes `intid` edge-triggered or level-sensitive: bit 1 of its
    /// two-bit field in GICD_ICFGRn, read, modified and written back.
    pub fn set_edge(&self, intid: u32, edge: bool) {
        let i = (intid / 16) as usize;
        let shift = (intid % 16) * 2 + 1;
        if let Some(r) = self.icfgr.get(i) {
            let v = r.get();
            r.set(if edge {
                v | (1 << shift)
            } else {
                v & !(1 << shift)
            });
        }
    }
}

/// Writes `intid`'s bit, alone, to its 32-bit register in `set` (`on`) or
/// in `clear`: a write-1-to-set / write-1-to-clear pair of arrays with one
/// bit per interrupt, in which zeros change nothing.
fn set_or_clear(set: &[ReadWrite<u32>], clear: &[ReadWrite<u32>], intid: u32, on: bool) {
    let regs = if on { set } else { clear };
    if let Some(r) = regs.get((intid / 32) as usize) {
        r.set(1 << (intid % 32));
    }
}

register_structs! {
    /// GICv3 redistributor, RD_base frame.
    pub GicrRd {
        (0x0000 => pub ctlr: ReadWrite<u32>),
        (0x0004 => pub iidr: ReadOnly<u32>),
        (0x0008 => pub typer: ReadOnly<u64>),
        (0x0010 => _r0),
        (0x0014 => pub waker: ReadWrite<u32>),
        (0x0018 => _r1),
        (0x10000 => @END),
    }
}

register_structs! {
    /// GICv3 redistributor, SGI_base frame (SGIs and PPIs of one core).
    pub GicrSgi {
        (0x0000 => _r0),
        (0x0080 => pub igroupr0: ReadWrite<u32>),
        (0x0084 => _r1),
        (0x0100 => pub isenabler0: ReadWrite<u32>),
        (0x0104 => _r2),
        (0x0180 => pub icenabler0: ReadWrite<u32>),
        (0x0184 => _r3),
        (0x0280 => pub icpendr0: ReadWrite<u32>),
        (0x0284 => _r4),
        (0x0380 => pub icactiver0: ReadWrite<u32>),
        (0x0384 => _r5),
        (0x0400 => pub ipriorityr: [ReadWrite<u32>; 8]),
        (0x0420 => _r6),
        (0x0c00 => pub icfgr: [ReadWrite<u32>; 2]),
        (0x0c08 => _r7),
        (0x10000 => @END),
    }
}

register_structs! {
    /// GICv2 CPU interface.
    pub Gicc {
        (0x0000 => pub ctlr: ReadWrite<u32>),
        (0x0004 => pub pmr: ReadWrite<u32>),
        (0x0008 => pub bpr: ReadWrite<u32>),
        (0x000c => pub iar: ReadOnly<u32>),
        (0x0010 => pub eoir: WriteOnly<u32>),
        (0x0014 => _r0),
        (0x1000 => pub dir: WriteOnly<u32>),
        (0x1004 => @END),
    }
}

register_structs! {
    /// GICv2 virtual interface control (GICH), banked per core.
    pub Gich {
        (0x0000 => pub hcr: ReadWrite<u32>),
        (0x0004 => pub vtr: ReadOnly<u32>),
        (0x0008 => pub vmcr: ReadWrite<u32>),
        (0x000c => _r0),
        (0x0010 => pub misr: ReadOnly<u32>),
        (0x0014 => _r1),
        (0x0020 => pub eisr0: ReadOnly<u32>),
        (0x0024 => _r2),
        (0x0030 => pub elrsr0: ReadOnly<u32>),
        (0x0034 => _r3),
        (0x00f0 => pub apr: ReadWrite<u32>),
        (0x00f4 => _r4),
        (0x0100 => pub lr: [ReadWrite<u32>; 64]),
        (0x0200 => @END),
    }
}
