//! CRC-32C on the Armv8 CRC32 instructions: the snapshot slots' checksum,
//! and the copy loops of snapshot and restore. Every loop takes 64 bytes a
//! turn in eight general registers (four `ldp`):
//!
//! - [`crc32c`]: eight `crc32cx` on them (`verify`, the header and the
//!   state sections);
//! - [`copy_crc32c`]: copy and checksum fused into one pass, four `stp`
//!   and eight `crc32cx` on the registers just loaded. A snapshot writes
//!   each memory region into its slot with it;
//! - [`copy_crc32c_clean`]: the restore's variant, which also cleans each
//!   64-byte block of the destination to the point of coherency right
//!   after storing it (one `dc cvac` a turn instead of a second pass over
//!   the partition's memory); the restore compares the CRC at the end of
//!   each region;
//! - [`fast_copy`]: the copy loop without the CRC instructions, the
//!   fastest plain copy of this shape; only the benchmark baseline uses it.
//!
//! Only general registers: the hypervisor is built soft-float and leaves
//! the guest's FP/SIMD registers alone. The instructions are used when
//! ID_AA64ISAR0_EL1.CRC32 (bits 19:16) is non-zero and, checked once at
//! first use, they give the known answer (CRC-32C of "123456789") and the
//! loops the portable code's values on a test pattern. Otherwise the
//! portable `bulkhead_core::snapshot::hash` functions, which give the same
//! values.

use super::block64::{load64, loop64, store64, store64_clean};
use super::probed::Probed;
use aarch64_cpu::registers::{Readable, ID_AA64ISAR0_EL1};
use bulkhead_core::snapshot::hash as portable;
use core::arch::asm;

/// Which implementation is used, decided at first use.
static CHOICE: Probed = Probed::new();

/// Bytes per turn of every loop.
const BLOCK: usize = 64;

/// The eight `crc32cx` of a turn: `{a}`..`{h}` into `{x}` (after the
/// directive that lets the assembler take them; it emits no instruction).
macro_rules! crc64 {
    () => {
        concat!(
            ".arch_extension crc\n",
            "crc32cx {x:w}, {x:w}, {a}\n",
            "crc32cx {x:w}, {x:w}, {b}\n",
            "crc32cx {x:w}, {x:w}, {c2}\n",
            "crc32cx {x:w}, {x:w}, {d}\n",
            "crc32cx {x:w}, {x:w}, {e}\n",
            "crc32cx {x:w}, {x:w}, {f}\n",
            "crc32cx {x:w}, {x:w}, {g}\n",
            "crc32cx {x:w}, {x:w}, {h}\n",
        )
    };
}

fn has_crc32() -> bool {
    (ID_AA64ISAR0_EL1.get() >> 16) & 0xF != 0
}

fn use_instructions() -> bool {
    CHOICE.use_instructions(probe)
}

/// The instructions exist and give the portable code's values.
fn probe() -> bool {
    if !has_crc32() {
        defmt::info!("crc: no CRC32 instructions on this core: portable CRC-32C");
        return false;
    }
    // 200 bytes at an odd address (three turns and a tail), and a 64-byte
    // aligned destination for the restore's variant.
    #[repr(align(64))]
    struct Aligned([u8; 208]);
    let mut pattern = Aligned([0; 208]);
    for (i, b) in pattern.0.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(7);
    }
    let src = pattern.0.get(1..201).unwrap_or(&[]);
    let want = portable::crc32c(0, src);
    let mut out = Aligned([0; 208]);
    let dst = out.0.get_mut(..200).unwrap_or(&mut []);
    let cut = src.split_at(77);
    let ok = crc32c_ce(0, b"123456789") == 0xE306_9283
        && crc32c_ce(0, src) == want
        && crc32c_ce(crc32c_ce(0, cut.0), cut.1) == want
        && copy_crc32c_ce(src, dst) == want
        && dst == src
        && {
            dst.fill(0);
            copy_with(src, dst, copy_crc_clean_blocks) == want && dst == src
        };
    if !ok {
        crate::println!(
            "crc: WARNING: the CRC32 instructions gave a wrong known answer; using the portable CRC-32C"
        );
    }
    ok
}

/// Continues the CRC-32C `crc` over `data` (the slot format's
/// `Crc32cFn`).
pub fn crc32c(crc: u32, data: &[u8]) -> u32 {
    if use_instructions() {
        crc32c_ce(crc, data)
    } else {
        portable::crc32c(crc, data)
    }
}

/// Copies `src` into `dst` (the shorter length) and returns the CRC-32C of
/// the bytes copied, in one pass.
pub fn copy_crc32c(src: &[u8], dst: &mut [u8]) -> u32 {
    if use_instructions() {
        copy_crc32c_ce(src, dst)
    } else {
        portable::copy_crc32c(0, src, dst)
    }
}

/// [`copy_crc32c`], and `dst` cleaned to the point of coherency (what
/// `cache::clean_to_poc` does), in the same pass when `dst` is 64-byte
/// aligned and the data cache line is at least 64 bytes (a partition's
/// page-aligned region), else in a second one.
pub fn copy_crc32c_clean(src: &[u8], dst: &mut [u8]) -> u32 {
    let n = src.len().min(dst.len());
    let start = dst.as_ptr() as usize;
    let fused =
        use_instructions() && start.is_multiple_of(BLOCK) && super::cache::dcache_line() >= BLOCK;
    let (crc, cleaned) = if fused {
        (
            copy_with(src, dst, copy_crc_clean_blocks),
            n / BLOCK * BLOCK,
        )
    } else {
        (copy_crc32c(src, dst), 0)
    };
    // What the loop did not clean (the tail, or everything), and the
    // barrier that completes every clean.
    super::cache::clean_to_poc(start + cleaned, n - cleaned);
    crc
}

/// Copies `src` into `dst` (the shorter length) with the loop of
/// [`copy_crc32c`] minus its CRC instructions.
pub fn fast_copy(src: &[u8], dst: &mut [u8]) {
    let n = src.len().min(dst.len());
    let blocks = n / BLOCK;
    if blocks > 0 {
        // SAFETY: `src` is readable and `dst` writable for `blocks * 64 <=
        // n` bytes (both slices are at least `n` long); a `&` and a
        // `&mut` slice never overlap.
        unsafe { copy_blocks(src.as_ptr(), dst.as_mut_ptr(), blocks) };
    }
    let done = blocks * BLOCK;
    if let (Some(s), Some(d)) = (src.get(done..n), dst.get_mut(done..n)) {
        d.copy_from_slice(s);
    }
}

fn crc32c_ce(crc: u32, data: &[u8]) -> u32 {
    let mut c: u32 = !crc;
    let (head, words, tail) = {
        // SAFETY: reinterpreting aligned bytes as u64 words is sound for any
        // bit pattern; `align_to` gives the aligned middle part.
        unsafe { data.align_to::<u64>() }
    };
    for &b in head {
        c = crc32cb(c, b);
    }
    // Eight words (64 bytes) a turn, then one at a time.
    let (blocks, rest) = words.split_at(words.len() / 8 * 8);
    if !blocks.is_empty() {
        // SAFETY: reads `blocks.len()` u64s (a non-zero multiple of 8)
        // from `blocks`, a valid slice; writes no memory.
        unsafe {
            loop64!(
                concat!(load64!(), crc64!()),
                s = inout(reg) blocks.as_ptr() => _,
                n = inout(reg) blocks.len() / 8 => _,
                x = inout(reg) c,
            )
        };
    }
    if !rest.is_empty() {
        // SAFETY: reads `rest.len()` u64s from `rest`, which is a valid
        // slice; only general registers are used.
        unsafe {
            asm!(
                ".arch_extension crc",
                "1:",
                "ldr {w}, [{p}], #8",
                "crc32cx {c:w}, {c:w}, {w}",
                "subs {n}, {n}, #1",
                "b.ne 1b",
                p = inout(reg) rest.as_ptr() => _,
                n = inout(reg) rest.len() => _,
                w = out(reg) _,
                c = inout(reg) c,
                options(nostack, readonly)
            )
        };
    }
    for &b in tail {
        c = crc32cb(c, b);
    }
    !c
}

fn copy_crc32c_ce(src: &[u8], dst: &mut [u8]) -> u32 {
    copy_with(src, dst, copy_crc_blocks)
}

/// A loop over 64-byte blocks: copies `blocks` of them from `src` to `dst`
/// and continues the raw (inverted) CRC-32C register value over them.
///
/// # Safety
/// `src` readable and `dst` writable for `blocks * 64` bytes, not
/// overlapping, `blocks` non-zero; what else the loop needs, it says.
type BlockLoop = unsafe fn(*const u8, *mut u8, usize, u32) -> u32;

/// Copies `src` to `dst` (the shorter length) with `blocks` for the whole
/// 64-byte blocks and the CRC instructions a byte at a time for the tail;
/// returns the CRC-32C of the bytes copied.
fn copy_with(src: &[u8], dst: &mut [u8], blocks: BlockLoop) -> u32 {
    let n = src.len().min(dst.len());
    let whole = n / BLOCK;
    let mut c: u32 = !0;
    if whole > 0 {
        // SAFETY: both ranges are valid for `whole * 64 <= n` bytes and
        // do not overlap (a `&` and a `&mut` slice); the clean variant is
        // only passed a 64-byte aligned `dst` with lines of 64 bytes or
        // more (`copy_crc32c_clean`, `probe`).
        c = unsafe { blocks(src.as_ptr(), dst.as_mut_ptr(), whole, c) };
    }
    let done = whole * BLOCK;
    if let (Some(s), Some(d)) = (src.get(done..n), dst.get_mut(done..n)) {
        for (d, &b) in d.iter_mut().zip(s) {
            *d = b;
            c = crc32cb(c, b);
        }
    }
    !c
}

/// A [`BlockLoop`]: four `ldp`, four `stp`, eight `crc32cx` a turn.
///
/// # Safety
/// As for [`BlockLoop`].
unsafe fn copy_crc_blocks(src: *const u8, dst: *mut u8, blocks: usize, crc: u32) -> u32 {
    let mut c = crc;
    // SAFETY: forwarded from the caller: the loop reads and writes exactly
    // `blocks * 64` bytes from `src` and to `dst`.
    unsafe {
        loop64!(
            concat!(load64!(), store64!(), crc64!()),
            s = inout(reg) src => _,
            t = inout(reg) dst => _,
            n = inout(reg) blocks => _,
            x = inout(reg) c,
        )
    };
    c
}

/// A [`BlockLoop`]: [`copy_crc_blocks`] plus a `dc cvac` of each
/// destination block after its stores (no barrier: the caller's `dsb`
/// completes them).
///
/// # Safety
/// As for [`BlockLoop`], and `dst` must be 64-byte aligned, with a data
/// cache line of at least 64 bytes, so that each `dc cvac` covers the
/// block just written.
unsafe fn copy_crc_clean_blocks(src: *const u8, dst: *mut u8, blocks: usize, crc: u32) -> u32 {
    let mut c = crc;
    // SAFETY: forwarded from the caller, as in `copy_crc_blocks`; `dc
    // cvac` writes a line back to memory if it is dirty and never changes
    // its contents as this core sees them.
    unsafe {
        loop64!(
            concat!(load64!(), store64_clean!(), crc64!()),
            s = inout(reg) src => _,
            t = inout(reg) dst => _,
            n = inout(reg) blocks => _,
            x = inout(reg) c,
        )
    };
    c
}

/// [`copy_crc_blocks`] without the CRC instructions.
///
/// # Safety
/// As for [`BlockLoop`].
unsafe fn copy_blocks(src: *const u8, dst: *mut u8, blocks: usize) {
    // SAFETY: forwarded from the caller, as in `copy_crc_blocks`.
    unsafe {
        loop64!(
            concat!(load64!(), store64!()),
            s = inout(reg) src => _,
            t = inout(reg) dst => _,
            n = inout(reg) blocks => _,
        )
    };
}

fn crc32cb(crc: u32, b: u8) -> u32 {
    let mut c = crc;
    // SAFETY: one CRC instruction on registers.
    unsafe {
        asm!(".arch_extension crc", "crc32cb {c:w}, {c:w}, {b:w}", c = inout(reg) c, b = in(reg) u32::from(b), options(nomem, nostack, preserves_flags))
    };
    c
}
