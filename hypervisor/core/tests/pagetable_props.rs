//! Property tests for the translation table builder.
//!
//! For random sets of non-overlapping, page-aligned regions with random
//! attributes, mapped in both regimes and several stage-2 geometries:
//! - every leaf lies inside one region, maps the right PA with the right
//!   attributes, and the leaves are disjoint and add up to the regions, so
//!   each mapped page is covered by exactly one leaf;
//! - translating pages of every region (all pages of a small address
//!   space, samples of a large one) gives the right PA and attributes;
//! - nothing outside the regions translates;
//! - the tables used are exactly the minimum for largest-block leaves:
//!
//!   tables = root tables + sum over levels l in (start, 3] of the number
//!   of windows W of `level_size(l - 1)` bytes that intersect a region and
//!   cannot be one block: l - 1 == 0, or W is not inside a single region,
//!   or that region's PA for W is not aligned to the window size.
//!
//!   (A weaker, simpler bound follows: at most root tables + the number of
//!   such windows intersecting any region at each level.)
//! - after unmapping some regions the same holds for the rest, and every
//!   freed table is back in the pool;
//! - a request overlapping a region is refused and changes nothing.

use bulkhead_core::addr::PhysAddr;
use bulkhead_core::pagetable::{
    level_size, El2Attrs, El2Table, Error, MairIndex, PaRange, Regime, S2Access, S2Attrs,
    S2MemAttr, Shareability, Stage2Config, Stage2Table, Table, TablePool, TranslationTable,
};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::fmt::Debug;

const PAGE: u64 = 4096;
const GIB: u64 = 1 << 30;

type Pool = TablePool<Vec<Table>>;

#[derive(Clone, Copy, Debug)]
struct Region<A> {
    ipa: u64,
    pa: u64,
    size: u64,
    attrs: A,
}

impl<A> Region<A> {
    fn end(&self) -> u64 {
        self.ipa + self.size
    }
    fn contains(&self, addr: u64) -> bool {
        (self.ipa..self.end()).contains(&addr)
    }
}

/// How one region is placed, before laying regions out one after another.
#[derive(Clone, Copy, Debug)]
struct Spec<A> {
    gap_pages: u64,
    align_pages: u64,
    size_pages: u64,
    /// Keep the PA at the same offset within a gigabyte as the IPA (so
    /// blocks are possible), or put it at a random page.
    same_phase: bool,
    pa_gib: u64,
    pa_page: u64,
    attrs: A,
}

fn s2_attrs() -> impl Strategy<Value = S2Attrs> {
    let mem = prop_oneof![
        Just(S2MemAttr::DEVICE_NGNRE),
        Just(S2MemAttr::NORMAL_WB),
        Just(S2MemAttr::NORMAL_NC),
    ];
    let access = prop_oneof![
        Just(S2Access::NoAccess),
        Just(S2Access::ReadOnly),
        Just(S2Access::WriteOnly),
        Just(S2Access::ReadWrite),
    ];
    let share = prop_oneof![
        Just(Shareability::NonShareable),
        Just(Shareability::OuterShareable),
        Just(Shareability::InnerShareable),
    ];
    (mem, access, any::<bool>(), share).prop_map(|(mem, access, executable, share)| S2Attrs {
        mem,
        access,
        executable,
        share,
    })
}

fn el2_attrs() -> impl Strategy<Value = El2Attrs> {
    (0u8..3, any::<bool>(), any::<bool>()).prop_map(|(i, writable, executable)| El2Attrs {
        mem: MairIndex::new(i).unwrap(),
        writable,
        executable,
    })
}

/// Region specs; `large` adds sizes around and above a gigabyte.
fn specs<A: Debug + Clone>(
    attrs: impl Strategy<Value = A>,
    count: usize,
    large: bool,
) -> impl Strategy<Value = Vec<Spec<A>>> {
    let align = if large {
        prop_oneof![Just(1u64), Just(512), Just(512 * 512)].boxed()
    } else {
        prop_oneof![Just(1u64), Just(512)].boxed()
    };
    let size = if large {
        prop_oneof![
            1u64..=40,
            500u64..=1100,
            (512 * 512 - 600u64)..=(512 * 512 * 2 + 700u64)
        ]
        .boxed()
    } else {
        prop_oneof![1u64..=40, 500u64..=1100].boxed()
    };
    let spec = (
        0u64..700,
        align,
        size,
        any::<bool>(),
        0u64..256,
        0u64..(1 << 26),
        attrs,
    )
        .prop_map(
            |(gap_pages, align_pages, size_pages, same_phase, pa_gib, pa_page, attrs)| Spec {
                gap_pages,
                align_pages,
                size_pages,
                same_phase,
                pa_gib,
                pa_page,
                attrs,
            },
        );
    prop::collection::vec(spec, 1..=count)
}

/// Lays regions out in order below `limit`, dropping those that do not fit.
fn layout<A: Copy>(specs: &[Spec<A>], limit: u64) -> Vec<Region<A>> {
    let mut cursor = 0u64;
    let mut out = Vec::new();
    for s in specs {
        let align = s.align_pages * PAGE;
        let start = (cursor + s.gap_pages * PAGE).next_multiple_of(align);
        let size = s.size_pages * PAGE;
        if start + size > limit {
            continue;
        }
        let pa = if s.same_phase {
            s.pa_gib * GIB + start % GIB
        } else {
            s.pa_page * PAGE
        };
        out.push(Region {
            ipa: start,
            pa,
            size,
            attrs: s.attrs,
        });
        cursor = start + size;
    }
    out
}

/// The table count stated in the module comment.
fn expected_tables<A>(regions: &[Region<A>], start_level: u8, root_tables: usize) -> usize {
    let mut total = root_tables;
    for level in start_level + 1..=3 {
        let window = level_size(level - 1);
        let mut needed = BTreeSet::new();
        for r in regions {
            for w in r.ipa / window..=(r.end() - 1) / window {
                let base = w * window;
                let one_block = level > 1
                    && base >= r.ipa
                    && base + window <= r.end()
                    && (r.pa + (base - r.ipa)).is_multiple_of(window);
                if !one_block {
                    needed.insert(w);
                }
            }
        }
        total += needed.len();
    }
    total
}

fn map_all<R: Regime>(t: &mut TranslationTable<R>, pool: &mut Pool, regions: &[Region<R::Attrs>]) {
    for r in regions {
        t.map(
            pool,
            R::input_from_raw(r.ipa),
            PhysAddr(r.pa),
            r.size,
            r.attrs,
        )
        .unwrap_or_else(|e| panic!("mapping {r:?}: {e}"));
    }
}

/// A few offsets inside a region: ends, middle, and near block boundaries.
fn sample_offsets(size: u64) -> Vec<u64> {
    let mut v = vec![0, size - PAGE, (size / 2) & !(PAGE - 1), 0x123];
    for k in 1..8 {
        v.push((size * k / 8) & !(PAGE - 1));
    }
    v.retain(|&o| o < size);
    v
}

/// All the properties for `regions` mapped in `t`. With `scan`, every page
/// below it is translated too.
fn check<R>(
    t: &TranslationTable<R>,
    pool: &Pool,
    regions: &[Region<R::Attrs>],
    root_tables: usize,
    scan: Option<u64>,
) where
    R: Regime,
{
    let leaves: Vec<_> = t.mappings(pool).collect::<Result<_, _>>().unwrap();
    let mut covered = 0;
    let mut previous_end = 0;
    for m in &leaves {
        let input = R::input_to_raw(m.input);
        assert!(input >= previous_end, "leaves out of order or overlapping");
        assert_eq!(m.size, level_size(m.level));
        previous_end = input + m.size;
        let r = regions
            .iter()
            .find(|r| r.ipa <= input && input + m.size <= r.end())
            .unwrap_or_else(|| panic!("leaf at {input:#x} outside the regions"));
        assert_eq!(m.pa.0, r.pa + (input - r.ipa));
        assert_eq!(m.attrs, r.attrs);
        covered += m.size;
    }
    assert_eq!(covered, regions.iter().map(|r| r.size).sum::<u64>());

    for r in regions {
        for off in sample_offsets(r.size) {
            let tr = t.translate(pool, R::input_from_raw(r.ipa + off)).unwrap();
            assert_eq!(tr.pa.0, r.pa + off);
            assert_eq!(tr.attrs, r.attrs);
        }
        let outside = [r.ipa.checked_sub(PAGE), Some(r.end())];
        for addr in outside.into_iter().flatten() {
            if !regions.iter().any(|o| o.contains(addr)) {
                assert!(t.translate(pool, R::input_from_raw(addr)).is_none());
            }
        }
    }
    if let Some(limit) = scan {
        for addr in (0..limit).step_by(PAGE as usize) {
            let got = t.translate(pool, R::input_from_raw(addr));
            match regions.iter().find(|r| r.contains(addr)) {
                Some(r) => {
                    let got = got.unwrap();
                    assert_eq!((got.pa.0, got.attrs), (r.pa + addr - r.ipa, r.attrs));
                }
                None => assert!(got.is_none(), "{addr:#x} translates"),
            }
        }
    }
    let expected = expected_tables(regions, t.start_level(), root_tables);
    assert_eq!(t.tables_used(), expected);
    assert_eq!(pool.in_use(), t.tables_used());
}

/// A pool holding exactly what the regions need, plus a little slack.
fn pool_for<A>(regions: &[Region<A>], start_level: u8, root_tables: usize) -> Pool {
    let n = expected_tables(regions, start_level, root_tables) + 16;
    TablePool::new(vec![Table::ZERO; n], PhysAddr(0x8000_0000)).unwrap()
}

/// Unmaps the regions chosen by `drop` and checks the rest.
fn unmap_some<R>(
    t: &mut TranslationTable<R>,
    pool: &mut Pool,
    regions: &[Region<R::Attrs>],
    drop: &[bool],
    root_tables: usize,
) where
    R: Regime,
{
    let mut kept = Vec::new();
    for (i, r) in regions.iter().enumerate() {
        if drop.get(i).copied().unwrap_or(false) {
            let removed = t.unmap(pool, R::input_from_raw(r.ipa), r.size).unwrap();
            assert_eq!(removed, r.size);
        } else {
            kept.push(*r);
        }
    }
    check(t, pool, &kept, root_tables, None);
}

/// Tries a request overlapping region `pick` and checks nothing changed.
/// With `from_before` the request starts up to `shift_pages` before the
/// region, so the builder maps (and must then undo) pages and blocks
/// before it finds the overlap; otherwise it starts inside the region.
fn refuse_overlap<R: Regime>(
    t: &mut TranslationTable<R>,
    pool: &mut Pool,
    regions: &[Region<R::Attrs>],
    pick: usize,
    shift_pages: u64,
    from_before: bool,
) {
    let r = regions[pick % regions.len()];
    let (start, size) = if from_before {
        let back = (shift_pages * PAGE).min(r.ipa);
        (r.ipa - back, back + PAGE)
    } else {
        let shift = (shift_pages * PAGE) % r.size;
        (r.ipa + shift, r.size + 3 * level_size(2))
    };
    let before: Vec<_> = t.mappings(pool).collect::<Result<_, _>>().unwrap();
    let tables = t.tables_used();
    let got = t.map(
        pool,
        R::input_from_raw(start),
        PhysAddr(start),
        size,
        r.attrs,
    );
    assert!(
        matches!(
            got,
            Err(Error::AlreadyMapped { .. } | Error::InputOutOfRange { .. } | Error::OutOfTables)
        ),
        "{got:?}"
    );
    let after: Vec<_> = t.mappings(pool).collect::<Result<_, _>>().unwrap();
    assert_eq!(before.len(), after.len());
    assert!(before.iter().zip(&after).all(|(a, b)| {
        R::input_to_raw(a.input) == R::input_to_raw(b.input)
            && (a.pa, a.size, a.attrs) == (b.pa, b.size, b.attrs)
    }));
    assert_eq!((t.tables_used(), pool.in_use()), (tables, tables));
}

fn stage2_geometry() -> impl Strategy<Value = Stage2Config> {
    prop_oneof![
        Just(33u8),
        Just(36),
        Just(39),
        Just(40),
        Just(42),
        Just(44),
        Just(48)
    ]
    .prop_map(|bits| Stage2Config::new(bits, PaRange::Bits48).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// A 16 MiB IPA window, small regions, every page checked.
    #[test]
    fn stage2_small_space_every_page(
        config in stage2_geometry(),
        specs in specs(s2_attrs(), 8, false),
        drop in prop::collection::vec(any::<bool>(), 8),
        pick in 0usize..8,
        shift in 0u64..2000,
        from_before in any::<bool>(),
    ) {
        let space = 16 << 20;
        let regions = layout(&specs, space);
        let roots = config.root_tables();
        let mut pool = pool_for(&regions, config.start_level(), roots);
        let mut t = Stage2Table::new(&mut pool, config).unwrap();
        map_all(&mut t, &mut pool, &regions);
        check(&t, &pool, &regions, roots, Some(space + (4 << 20)));
        if !regions.is_empty() {
            refuse_overlap(&mut t, &mut pool, &regions, pick, shift, from_before);
        }
        unmap_some(&mut t, &mut pool, &regions, &drop, roots);
    }

    /// Up to 8 GiB of IPA space with gigabyte-sized regions, sampled.
    #[test]
    fn stage2_large_regions(
        config in stage2_geometry(),
        specs in specs(s2_attrs(), 6, true),
        drop in prop::collection::vec(any::<bool>(), 6),
        pick in 0usize..6,
        shift in 0u64..1_000_000,
        from_before in any::<bool>(),
    ) {
        let regions = layout(&specs, 8 * GIB);
        let roots = config.root_tables();
        let mut pool = pool_for(&regions, config.start_level(), roots);
        let mut t = Stage2Table::new(&mut pool, config).unwrap();
        map_all(&mut t, &mut pool, &regions);
        check(&t, &pool, &regions, roots, None);
        if !regions.is_empty() {
            refuse_overlap(&mut t, &mut pool, &regions, pick, shift, from_before);
        }
        unmap_some(&mut t, &mut pool, &regions, &drop, roots);
        t.release(&mut pool).unwrap();
        prop_assert_eq!(pool.in_use(), 0);
    }

    /// The EL2 regime (level-0 root, 48-bit VA) with the same regions.
    #[test]
    fn el2_regions(
        specs in specs(el2_attrs(), 6, true),
        drop in prop::collection::vec(any::<bool>(), 6),
        pick in 0usize..6,
        shift in 0u64..1_000_000,
        from_before in any::<bool>(),
    ) {
        let regions = layout(&specs, 8 * GIB);
        let mut pool = pool_for(&regions, 0, 1);
        let mut t = El2Table::new(&mut pool, PaRange::Bits44).unwrap();
        map_all(&mut t, &mut pool, &regions);
        check(&t, &pool, &regions, 1, None);
        if !regions.is_empty() {
            refuse_overlap(&mut t, &mut pool, &regions, pick, shift, from_before);
        }
        unmap_some(&mut t, &mut pool, &regions, &drop, 1);
    }
}
