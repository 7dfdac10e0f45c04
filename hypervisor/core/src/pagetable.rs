//! Translation table building for the two regimes Bulkhead programs: the
//! hypervisor's own EL2 stage-1 identity map and one stage-2 table per
//! partition. VMSAv8-64 long descriptors, 4 KiB granule, no FEAT_LPA2 (so
//! input and output addresses are at most 48 bits).
//!
//! Pure and host-testable: table memory comes from an injected
//! [`TableSource`], which hands out tables by [`TableId`] and says where each
//! one lives physically. Descriptors hold physical addresses; nothing here
//! ever dereferences one. [`TablePool`] is a ready source over a slice of
//! [`Table`]s (a `Vec` in tests, a reserved pool in the hypervisor).
//!
//! The builder ([`TranslationTable`]) maps ranges with the largest block the
//! alignment of both addresses and the remaining size allow (1 GiB at
//! level 1, 2 MiB at level 2, 4 KiB pages at level 3), refuses bad requests
//! with an [`Error`] instead of panicking, and leaves the tables as they
//! were when a request fails part-way.
//!
//! It only writes memory. The caller owns barriers and TLB maintenance: a
//! `DSB ISHST` before the tables are used, and after [`TranslationTable::unmap`]
//! on live tables the matching TLBI (`TLBI IPAS2E1IS` + `TLBI VMALLE1IS` for
//! stage 2, `TLBI ALLE2` for EL2) before the freed tables are reused. It
//! never changes a valid descriptor into another valid one, so it never needs
//! break-before-make; it also never splits a block.
//!
//! Table memory in the hypervisor: reserve a pool of [`Table`]s in RAM that
//! EL2 identity-maps as normal write-back memory (the walks are configured
//! cacheable), for example `Box::leak(vec![Table::ZERO; n].into_boxed_slice())`,
//! and hand it to [`TablePool::new`] with `PhysAddr(pool.as_ptr() as u64)`
//! as the base: taking an address is safe code, and nothing here turns an
//! address back into a reference. Tables written before the MMU and caches
//! are on must be cleaned/invalidated to the point of coherency by the
//! caller. A source over scattered frames can implement [`TableSource`]
//! itself, provided it can map ids to physical addresses and back.
//!
//! Register values to program: [`MAIR_EL2`], [`tcr_el2`], [`ttbr0_el2`],
//! [`Stage2Config::vtcr_el2`], [`vttbr_el2`].

mod descriptor;
mod el2;
mod error;
mod geometry;
mod iter;
mod map;
mod parange;
mod pool;
mod regime;
mod registers;
mod source;
mod stage2;
mod stage2_config;
mod table;
mod unmap;

pub use el2::{El2Attrs, El2Stage1, HypVirtAddr, MairIndex};
pub use error::Error;
pub use geometry::{level_size, ENTRIES, LAST_LEVEL, PAGE_SIZE};
pub use iter::Mappings;
pub use parange::PaRange;
pub use pool::TablePool;
pub use regime::{Mapping, Regime, Translation};
pub use registers::{
    tcr_el2, ttbr0_el2, vttbr_el2, MAIR_DEVICE_NGNRE, MAIR_EL2, MAIR_NORMAL_NC, MAIR_NORMAL_WB,
    TCR_EL2_IRGN0_WBWA, TCR_EL2_ORGN0_WBWA, TCR_EL2_PS_SHIFT, TCR_EL2_RES1, TCR_EL2_SH0_INNER,
    TCR_EL2_T0SZ, TCR_EL2_TG0_4K, VTCR_EL2_RES1, VTCR_EL2_SL0_LEVEL0, VTCR_EL2_SL0_LEVEL1,
};
pub use source::{Table, TableId, TableSource};
pub use stage2::{S2Access, S2Attrs, S2MemAttr, Shareability, Stage2};
pub use stage2_config::Stage2Config;
pub use table::{El2Table, Stage2Table, TranslationTable};
