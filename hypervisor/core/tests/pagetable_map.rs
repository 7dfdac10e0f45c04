//! Block choice, refusals, unmap and undo for the translation table builder.

use bulkhead_core::addr::{GuestPhysAddr, MemRange, PhysAddr};
use bulkhead_core::pagetable::{
    El2Attrs, El2Table, Error, HypVirtAddr, PaRange, S2Attrs, Stage2Config, Stage2Table, Table,
    TablePool, TableSource,
};

const KIB4: u64 = 4 << 10;
const MIB2: u64 = 2 << 20;
const GIB1: u64 = 1 << 30;

type Pool = TablePool<Vec<Table>>;

fn pool(tables: usize) -> Pool {
    TablePool::new(vec![Table::ZERO; tables], PhysAddr(0x4000_0000)).unwrap()
}

fn stage2(pool: &mut Pool, ipa_bits: u8) -> Stage2Table {
    let config = Stage2Config::new(ipa_bits, PaRange::Bits44).unwrap();
    Stage2Table::new(pool, config).unwrap()
}

fn levels(t: &Stage2Table, pool: &Pool) -> Vec<(u64, u64, u8)> {
    t.mappings(pool)
        .map(|m| m.map(|m| (m.input.0, m.size, m.level)))
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn aligned_gigabyte_is_one_level1_block() {
    let mut pool = pool(8);
    let mut el2 = El2Table::new(&mut pool, PaRange::Bits44).unwrap();
    el2.map_identity(&mut pool, MemRange::new(GIB1, GIB1), El2Attrs::DATA)
        .unwrap();
    // Level-0 root and one level-1 table holding the block.
    assert_eq!(el2.tables_used(), 2);
    let all: Vec<_> = el2.mappings(&pool).collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].input, all[0].size, all[0].level),
        (HypVirtAddr(GIB1), GIB1, 1)
    );
    let t = el2
        .translate(&pool, HypVirtAddr(GIB1 + 0x1234_5000))
        .unwrap();
    assert_eq!(
        (t.pa, t.level, t.attrs),
        (PhysAddr(GIB1 + 0x1234_5000), 1, El2Attrs::DATA)
    );
    assert_eq!(el2.translate(&pool, HypVirtAddr(GIB1 - KIB4)), None);
    assert_eq!(el2.translate(&pool, HypVirtAddr(2 * GIB1)), None);
}

#[test]
fn two_mib_plus_a_page_is_one_block_and_one_page() {
    let mut pool = pool(8);
    let mut el2 = El2Table::new(&mut pool, PaRange::Bits44).unwrap();
    el2.map_identity(
        &mut pool,
        MemRange::new(0x4020_0000, MIB2 + KIB4),
        El2Attrs::CODE,
    )
    .unwrap();
    let all: Vec<_> = el2.mappings(&pool).collect::<Result<_, _>>().unwrap();
    let shape: Vec<_> = all.iter().map(|m| (m.input.0, m.size, m.level)).collect();
    assert_eq!(shape, [(0x4020_0000, MIB2, 2), (0x4040_0000, KIB4, 3)]);
    // Root, level 1, level 2 (holding the block), level 3 (holding the page).
    assert_eq!(el2.tables_used(), 4);
}

#[test]
fn misaligned_physical_address_forces_pages() {
    let mut pool = pool(8);
    let mut s2 = stage2(&mut pool, 40);
    // Input is 2 MiB aligned but output only 4 KiB aligned: pages only.
    s2.map(
        &mut pool,
        GuestPhysAddr(0x4000_0000),
        PhysAddr(0x8000_1000),
        MIB2,
        S2Attrs::RAM,
    )
    .unwrap();
    let shape = levels(&s2, &pool);
    assert_eq!(shape.len(), 512);
    assert!(shape
        .iter()
        .all(|&(_, size, level)| size == KIB4 && level == 3));
    let t = s2.translate(&pool, GuestPhysAddr(0x401f_f000)).unwrap();
    assert_eq!(t.pa, PhysAddr(0x8020_0000));
}

#[test]
fn stage2_uses_gigabyte_blocks_in_the_root() {
    let mut pool = pool(8);
    let mut s2 = stage2(&mut pool, 39);
    s2.map(
        &mut pool,
        GuestPhysAddr(0),
        PhysAddr(0x1_0000_0000),
        3 * GIB1,
        S2Attrs::RAM,
    )
    .unwrap();
    assert_eq!(s2.tables_used(), 1);
    assert_eq!(
        levels(&s2, &pool),
        [(0, GIB1, 1), (GIB1, GIB1, 1), (2 * GIB1, GIB1, 1)]
    );
}

#[test]
fn concatenated_root_for_a_40_bit_ipa() {
    let mut pool = pool(8);
    let config = Stage2Config::new(40, PaRange::Bits40).unwrap();
    let mut s2 = Stage2Table::new(&mut pool, config).unwrap();
    assert_eq!((s2.start_level(), s2.tables_used()), (1, 2));
    assert!(s2.root_pa().0.is_multiple_of(2 * KIB4));
    // The top gigabyte of the 1 TiB IPA space lives in the second root table.
    let top = (1 << 40) - GIB1;
    s2.map(
        &mut pool,
        GuestPhysAddr(top),
        PhysAddr(GIB1),
        GIB1,
        S2Attrs::DEVICE,
    )
    .unwrap();
    assert_eq!(s2.tables_used(), 2);
    let second_root = pool.table_at(PhysAddr(s2.root_pa().0 + KIB4)).unwrap();
    assert_eq!(
        pool.table(second_root).unwrap().0[511] & 0xffff_ffff_f003,
        GIB1 | 1
    );
    let t = s2.translate(&pool, GuestPhysAddr(top + 0x5000)).unwrap();
    assert_eq!(
        (t.pa, t.attrs, t.level),
        (PhysAddr(GIB1 + 0x5000), S2Attrs::DEVICE, 1)
    );
    assert_eq!(levels(&s2, &pool), [(top, GIB1, 1)]);
    assert_eq!(
        s2.vttbr_el2(7),
        (7 << 48) | s2.root_pa().0,
        "VTTBR holds BADDR and VMID"
    );
}

#[test]
fn level0_start_for_a_48_bit_ipa() {
    let mut pool = pool(8);
    let config = Stage2Config::new(48, PaRange::Bits48).unwrap();
    let mut s2 = Stage2Table::new(&mut pool, config).unwrap();
    assert_eq!(s2.start_level(), 0);
    let high = 0xffff_ffe0_0000; // top 2 MiB of the 256 TiB space
    s2.map(
        &mut pool,
        GuestPhysAddr(high),
        PhysAddr(0x8000_0000),
        MIB2,
        S2Attrs::RAM,
    )
    .unwrap();
    assert_eq!(s2.tables_used(), 3);
    assert_eq!(levels(&s2, &pool), [(high, MIB2, 2)]);
}

#[test]
fn refusals() {
    let mut pool = pool(8);
    let mut s2 = stage2(&mut pool, 36);
    let ram = S2Attrs::RAM;
    let map = |s2: &mut Stage2Table, pool: &mut Pool, ipa: u64, pa: u64, size: u64| {
        s2.map(pool, GuestPhysAddr(ipa), PhysAddr(pa), size, ram)
    };
    assert_eq!(map(&mut s2, &mut pool, 0, 0, 0), Err(Error::EmptyRange));
    assert_eq!(
        map(&mut s2, &mut pool, 0x800, 0, KIB4),
        Err(Error::Unaligned {
            what: "input address",
            value: 0x800
        })
    );
    assert_eq!(
        map(&mut s2, &mut pool, 0, 0x10, KIB4),
        Err(Error::Unaligned {
            what: "output address",
            value: 0x10
        })
    );
    assert_eq!(
        map(&mut s2, &mut pool, 0, 0, 0x1800),
        Err(Error::Unaligned {
            what: "size",
            value: 0x1800
        })
    );
    // 36-bit IPA: 64 GiB.
    assert_eq!(
        map(&mut s2, &mut pool, (1 << 36) - KIB4, 0, 2 * KIB4),
        Err(Error::InputOutOfRange {
            start: (1 << 36) - KIB4,
            size: 2 * KIB4,
            limit: 1 << 36
        })
    );
    assert!(matches!(
        map(&mut s2, &mut pool, 0, 0, !0xfff),
        Err(Error::InputOutOfRange { .. })
    ));
    // 44-bit PA range.
    assert_eq!(
        map(&mut s2, &mut pool, 0, (1 << 44) - KIB4, 2 * KIB4),
        Err(Error::OutputOutOfRange {
            start: (1 << 44) - KIB4,
            size: 2 * KIB4,
            limit: 1 << 44
        })
    );
    assert_eq!(s2.tables_used(), 1);
    assert_eq!(pool.in_use(), 1);
}

#[test]
fn overlap_is_refused_and_changes_nothing() {
    let mut pool = pool(16);
    let mut s2 = stage2(&mut pool, 39);
    s2.map(
        &mut pool,
        GuestPhysAddr(0x4040_0000),
        PhysAddr(0x9000_0000),
        KIB4,
        S2Attrs::DEVICE,
    )
    .unwrap();
    let before = levels(&s2, &pool);
    let tables = s2.tables_used();
    // A request that maps 4 MiB of pages and blocks before hitting the page.
    let err = s2.map(
        &mut pool,
        GuestPhysAddr(0x4000_1000),
        PhysAddr(0x8000_1000),
        8 << 20,
        S2Attrs::RAM,
    );
    assert_eq!(err, Err(Error::AlreadyMapped { input: 0x4040_0000 }));
    assert_eq!(levels(&s2, &pool), before);
    assert_eq!(s2.tables_used(), tables);
    assert_eq!(pool.in_use(), tables);
    // The same page twice, and a block over a page.
    let again = s2.map(
        &mut pool,
        GuestPhysAddr(0x4040_0000),
        PhysAddr(0),
        KIB4,
        S2Attrs::RAM,
    );
    assert_eq!(again, Err(Error::AlreadyMapped { input: 0x4040_0000 }));
    let block = s2.map(
        &mut pool,
        GuestPhysAddr(0x4040_0000),
        PhysAddr(0),
        MIB2,
        S2Attrs::RAM,
    );
    assert_eq!(block, Err(Error::AlreadyMapped { input: 0x4040_0000 }));
    // A page inside an existing block.
    s2.map(&mut pool, GuestPhysAddr(0), PhysAddr(0), GIB1, S2Attrs::RAM)
        .unwrap();
    let inside = s2.map(
        &mut pool,
        GuestPhysAddr(0x1234_5000),
        PhysAddr(0),
        KIB4,
        S2Attrs::RAM,
    );
    assert_eq!(inside, Err(Error::AlreadyMapped { input: 0x1234_5000 }));
    assert_eq!(pool.in_use(), s2.tables_used());
}

#[test]
fn out_of_tables_is_refused_and_changes_nothing() {
    // Root plus two tables: not enough for a page that needs level 2 and 3.
    let mut small = pool(3);
    let mut el2 = El2Table::new(&mut small, PaRange::Bits44).unwrap();
    el2.map_identity(&mut small, MemRange::new(0, MIB2), El2Attrs::DATA)
        .unwrap();
    assert_eq!(el2.tables_used(), 3);
    let err = el2.map_identity(&mut small, MemRange::new(GIB1, KIB4), El2Attrs::DATA);
    assert_eq!(err, Err(Error::OutOfTables));
    assert_eq!((el2.tables_used(), small.in_use()), (3, 3));

    // The first page fits (3 new tables), the second does not: the first
    // is undone and its tables given back.
    let mut small = pool(4);
    let mut el2 = El2Table::new(&mut small, PaRange::Bits44).unwrap();
    let err = el2.map_identity(
        &mut small,
        MemRange::new(GIB1 - KIB4, 2 * KIB4),
        El2Attrs::DATA,
    );
    assert_eq!(err, Err(Error::OutOfTables));
    assert_eq!(el2.mappings(&small).count(), 0);
    assert_eq!((el2.tables_used(), small.in_use()), (1, 1));
}

#[test]
fn unmap_frees_empty_tables_and_refuses_splits() {
    let mut pool = pool(16);
    let mut s2 = stage2(&mut pool, 39);
    s2.map(
        &mut pool,
        GuestPhysAddr(0x4000_0000),
        PhysAddr(0x8000_0000),
        MIB2 + KIB4,
        S2Attrs::RAM,
    )
    .unwrap();
    s2.map(
        &mut pool,
        GuestPhysAddr(0x4080_0000),
        PhysAddr(0x0900_0000),
        KIB4,
        S2Attrs::DEVICE,
    )
    .unwrap();
    assert_eq!(s2.tables_used(), 4); // root, level 2, two level 3
                                     // Cutting the block is refused, whole leaves are fine.
    assert_eq!(
        s2.unmap(&mut pool, GuestPhysAddr(0x4000_0000), KIB4),
        Err(Error::SplitsBlock {
            input: 0x4000_0000,
            level: 2
        })
    );
    assert_eq!(
        s2.unmap(&mut pool, GuestPhysAddr(0x4010_0000), MIB2),
        Err(Error::SplitsBlock {
            input: 0x4010_0000,
            level: 2
        })
    );
    assert_eq!(
        s2.unmap(&mut pool, GuestPhysAddr(0x4020_0000), KIB4),
        Ok(KIB4)
    );
    assert_eq!(s2.tables_used(), 3);
    assert_eq!(s2.translate(&pool, GuestPhysAddr(0x4020_0000)), None);
    // A range with holes: removes the block and the device page.
    assert_eq!(
        s2.unmap(&mut pool, GuestPhysAddr(0x4000_0000), 16 << 20),
        Ok(MIB2 + KIB4)
    );
    assert_eq!((s2.tables_used(), pool.in_use()), (1, 1));
    assert_eq!(s2.mappings(&pool).count(), 0);
    // Nothing mapped: nothing removed.
    assert_eq!(s2.unmap(&mut pool, GuestPhysAddr(0), GIB1), Ok(0));
    // Freed tables are reused.
    s2.map(
        &mut pool,
        GuestPhysAddr(KIB4),
        PhysAddr(KIB4),
        KIB4,
        S2Attrs::RAM,
    )
    .unwrap();
    assert_eq!((s2.tables_used(), pool.in_use()), (3, 3));
}

#[test]
fn release_returns_every_table() {
    let mut pool = pool(16);
    let mut s2 = stage2(&mut pool, 40);
    s2.map(
        &mut pool,
        GuestPhysAddr(0x4000_0000),
        PhysAddr(0x8000_0000),
        3 * MIB2 + 5 * KIB4,
        S2Attrs::RAM,
    )
    .unwrap();
    let mut el2 = El2Table::new(&mut pool, PaRange::Bits44).unwrap();
    el2.map_identity(&mut pool, MemRange::new(0x4000_0000, KIB4), El2Attrs::DATA)
        .unwrap();
    assert_eq!(pool.in_use(), s2.tables_used() + el2.tables_used());
    s2.release(&mut pool).unwrap();
    assert_eq!(pool.in_use(), el2.tables_used());
    el2.release(&mut pool).unwrap();
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn tables_hold_physical_addresses_of_their_children() {
    let mut pool = pool(8);
    let mut el2 = El2Table::new(&mut pool, PaRange::Bits44).unwrap();
    el2.map_identity(
        &mut pool,
        MemRange::new(0x0900_0000, KIB4),
        El2Attrs::DEVICE,
    )
    .unwrap();
    // Pool base 0x4000_0000: root is table 0, then levels 1, 2, 3.
    assert_eq!(el2.ttbr0_el2(), 0x4000_0000);
    let t = |i: usize| pool.table(bulkhead_core::pagetable::TableId(i)).unwrap().0;
    assert_eq!(t(0)[0], 0x4000_1003);
    assert_eq!(t(1)[0], 0x4000_2003);
    assert_eq!(t(2)[0x48], 0x4000_3003); // 0x0900_0000 >> 21 = 0x48
    assert_eq!(t(3)[0], 0x0040_0000_0900_0743);
}
