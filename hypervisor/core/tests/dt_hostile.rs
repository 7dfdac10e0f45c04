//! `dt::parse` must never panic, whatever the bytes: real trees mutated,
//! truncated and given lying headers. A panic fails the property test.

mod common;

use bulkhead_core::dt::{self, DtError, Summary};
use proptest::prelude::*;
use std::sync::OnceLock;

/// Real and built trees, compacted so mutations land on content rather
/// than on QEMU's 1 MiB of padding.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut seeds: Vec<Vec<u8>> = [
            &include_bytes!("fixtures/virt-gicv3-smp4-1g.dtb")[..],
            &include_bytes!("fixtures/virt-gicv2-smp1-2g.dtb")[..],
            &include_bytes!("fixtures/virt-gicv3-smp2-4g-chosen.dtb")[..],
        ]
        .iter()
        .map(|b| common::compact(b))
        .collect();
        seeds.push(common::with_nops(&seeds[1]));
        seeds.push(common::bootable(|t| {
            t.gic_v3();
            t.node("soc")
                .bus(1, 1)
                .cells("ranges", &[0, 0, 0x1000_0000, 0x100_0000]);
            t.node("uart@1000")
                .strs("compatible", &["arm,pl011"])
                .cells("reg", &[0x1000, 0x1000])
                .cells("interrupts-extended", &[1, 0, 1, 4])
                .end();
            t.end();
            t.node("timer")
                .strs("compatible", &["arm,armv8-timer"])
                .cells("interrupts", &[1, 13, 8, 1, 14, 8, 1, 11, 8, 1, 10, 8])
                .end();
            t.node("chosen")
                .str("stdout-path", "/soc/uart@1000:115200")
                .cells("linux,initrd-start", &[0x4800_0000])
                .cells("linux,initrd-end", &[0x4900_0000])
                .end();
        }));
        for s in &seeds {
            dt::parse(s).expect("seed parses");
        }
        seeds
    })
}

/// Parse, and on success exercise what the hypervisor does with the result.
fn parse_and_use(blob: &[u8]) -> Result<(), DtError> {
    let hw = dt::parse(blob)?;
    let _ = Summary(&hw).to_string();
    let _ = hw.total_memory();
    let _ = hw.console();
    Ok(())
}

fn word(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes(b[i * 4..i * 4 + 4].try_into().unwrap())
}

fn set_word(b: &mut [u8], i: usize, v: u32) {
    b[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
}

/// Values that tend to matter in a device tree: tokens, small cell
/// counts, lengths near the edges.
fn interesting_word() -> impl Strategy<Value = u32> {
    prop_oneof![
        0u32..12,
        Just(0xffff_ffff),
        Just(0x7fff_ffff),
        Just(0x8000_0000),
        0xfff0u32..0x1_0010,
        any::<u32>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_byte_changes(
        seed in 0usize..5,
        changes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..32),
    ) {
        let mut blob = seeds()[seed].clone();
        for (at, byte) in changes {
            let i = at.index(blob.len());
            blob[i] = byte;
        }
        let _ = parse_and_use(&blob);
    }

    #[test]
    fn random_word_changes_in_the_structure_block(
        seed in 0usize..5,
        changes in prop::collection::vec((any::<prop::sample::Index>(), interesting_word()), 1..8),
    ) {
        let mut blob = seeds()[seed].clone();
        let (off, size) = (word(&blob, 2) as usize / 4, word(&blob, 9) as usize / 4);
        for (at, value) in changes {
            set_word(&mut blob, off + at.index(size), value);
        }
        let _ = parse_and_use(&blob);
    }

    /// Cut a run of words out of the structure block and paste it
    /// elsewhere: moves properties after child nodes, unbalances nodes,
    /// splits tokens.
    #[test]
    fn structure_words_moved(
        seed in 0usize..5,
        from in any::<prop::sample::Index>(),
        len in 1usize..48,
        to in any::<prop::sample::Index>(),
        keep in any::<bool>(),
    ) {
        let blob = &seeds()[seed];
        let (off, size) = (word(blob, 2) as usize, word(blob, 9) as usize);
        let mut words: Vec<u32> = (0..size / 4).map(|i| word(blob, off / 4 + i)).collect();
        let start = from.index(words.len());
        let end = (start + len).min(words.len());
        let chunk: Vec<u32> = if keep {
            words[start..end].to_vec()
        } else {
            words.drain(start..end).collect()
        };
        let at = to.index(words.len() + 1);
        words.splice(at..at, chunk);
        let _ = parse_and_use(&common::replace_structure(blob, &words));
    }

    #[test]
    fn truncated_with_a_header_that_agrees(seed in 0usize..5, cut in any::<prop::sample::Index>()) {
        let full = &seeds()[seed];
        let len = 40 + cut.index(full.len() - 40);
        let mut blob = full[..len].to_vec();
        set_word(&mut blob, 1, len as u32);
        for (off, size) in [(2, 9), (3, 8)] {
            let o = word(&blob, off) as usize;
            let s = (word(&blob, size) as usize).min(len.saturating_sub(o));
            set_word(&mut blob, size, s as u32);
        }
        let _ = parse_and_use(&blob);
    }

    #[test]
    fn lying_header_fields(
        seed in 0usize..5,
        field in 1usize..10,
        value in interesting_word(),
    ) {
        let mut blob = seeds()[seed].clone();
        set_word(&mut blob, field, value);
        let result = parse_and_use(&blob);
        if field == 1 && value as usize > blob.len() {
            let refused = matches!(result, Err(DtError::TotalSize { .. }));
            prop_assert!(refused, "{:?}", result);
        }
    }

    #[test]
    fn garbage_behind_a_plausible_header(body in prop::collection::vec(any::<u8>(), 0..600)) {
        let total = 40 + 16 + body.len() as u32;
        let header = [0xd00d_feed, total, 56, 56 + body.len() as u32 / 2, 40, 17, 16, 0,
            body.len() as u32 / 2, body.len() as u32 / 2];
        let mut blob: Vec<u8> = header.iter().flat_map(|w: &u32| w.to_be_bytes()).collect();
        blob.extend_from_slice(&[0; 16]);
        blob.extend_from_slice(&body);
        let _ = parse_and_use(&blob);
    }
}

/// Every prefix of a real tree is refused: its header promises more bytes
/// than there are.
#[test]
fn every_truncation_is_refused() {
    for seed in seeds() {
        for len in 0..seed.len() {
            let result = dt::parse(&seed[..len]);
            let expected_kind = if len < 40 {
                matches!(result, Err(DtError::Truncated { .. }))
            } else {
                matches!(result, Err(DtError::TotalSize { .. }))
            };
            assert!(expected_kind, "length {len}: {result:?}");
        }
    }
}

#[test]
fn lying_sizes_in_a_real_header_are_refused() {
    let real = common::compact(include_bytes!("fixtures/virt-gicv3-smp4-1g.dtb"));
    let lie = |field: usize, value: u32| {
        let mut b = real.clone();
        set_word(&mut b, field, value);
        dt::parse(&b).unwrap_err().to_string()
    };
    let len = real.len() as u32;
    assert_eq!(
        lie(1, len + 4),
        format!(
            "device tree: header says the blob is {} bytes but {len} are given",
            len + 4
        )
    );
    assert!(
        lie(9, len).starts_with("device tree: structure block at 0x40"),
        "{}",
        lie(9, len)
    );
    assert!(lie(8, len).starts_with("device tree: strings block at"));
    assert!(lie(4, len).starts_with("device tree: memory reservation block at"));
    assert_eq!(
        lie(0, 0xfeed_d00d),
        "device tree: bad magic 0xfeedd00d (expected 0xd00dfeed)"
    );
    // A structure block that claims to be shorter than it is ends early.
    assert!(lie(9, 64).starts_with("device tree: structure block offset"));
}
