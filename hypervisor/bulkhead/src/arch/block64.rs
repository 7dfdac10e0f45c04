//! The pieces of the `asm!` loops that move 64 bytes a turn through eight
//! general registers (the hypervisor has no FP/SIMD): `crc`'s copy and
//! checksum loops and `memops`'s copy of an image into a partition.
//!
//! Every piece is an assembly template (a string literal) written against
//! the same operand names: `{a}`, `{b}`, `{c2}`, `{d}` .. `{h}` the block's
//! registers, `{s}` the source, `{t}` the destination, `{n}` the turns
//! left. [`loop64`] declares the block registers; its caller names the
//! others.

/// The four `ldp` of a turn: 64 bytes from `{s}` into `{a}`..`{h}`, each
/// `ldp` moving `{s}` on by 16.
macro_rules! load64 {
    () => {
        concat!(
            "ldp {a}, {b}, [{s}], #16\n",
            "ldp {c2}, {d}, [{s}], #16\n",
            "ldp {e}, {f}, [{s}], #16\n",
            "ldp {g}, {h}, [{s}], #16\n",
        )
    };
}
pub(super) use load64;

/// [`load64`] with one write-back: the first `ldp` moves `{s}` on by 64,
/// the other three load at offsets below it.
macro_rules! load64_offsets {
    () => {
        concat!(
            "ldp {a}, {b}, [{s}], #64\n",
            "ldp {c2}, {d}, [{s}, #-48]\n",
            "ldp {e}, {f}, [{s}, #-32]\n",
            "ldp {g}, {h}, [{s}, #-16]\n",
        )
    };
}
pub(super) use load64_offsets;

/// The four `stp` of a turn: `{a}`..`{h}` to `{t}`, which moves on.
macro_rules! store64 {
    () => {
        concat!(
            "stp {a}, {b}, [{t}], #16\n",
            "stp {c2}, {d}, [{t}], #16\n",
            "stp {e}, {f}, [{t}], #16\n",
            "stp {g}, {h}, [{t}], #16\n",
        )
    };
}
pub(super) use store64;

/// The four `stp` to `{t}`, a `dc cvac` of the (64-byte aligned) block,
/// and `{t}` moves on.
macro_rules! store64_clean {
    () => {
        concat!(
            "stp {a}, {b}, [{t}]\n",
            "stp {c2}, {d}, [{t}, #16]\n",
            "stp {e}, {f}, [{t}, #32]\n",
            "stp {g}, {h}, [{t}, #48]\n",
            "dc cvac, {t}\n",
            "add {t}, {t}, #64\n",
        )
    };
}
pub(super) use store64_clean;

/// One `asm!` loop of `{n}` (non-zero) turns of `$body`, with the eight
/// block registers as scratch and the caller's operands (`{n}`, and `{s}`,
/// `{t}` and whatever else the body uses). General registers only, no
/// stack. It must be used inside an `unsafe` block, whose `// SAFETY:`
/// comment says why the body's accesses are sound.
macro_rules! loop64 {
    ($body:expr, $($operands:tt)*) => {
        ::core::arch::asm!(
            "1:",
            $body,
            "subs {n}, {n}, #1",
            "b.ne 1b",
            $($operands)*
            a = out(reg) _,
            b = out(reg) _,
            c2 = out(reg) _,
            d = out(reg) _,
            e = out(reg) _,
            f = out(reg) _,
            g = out(reg) _,
            h = out(reg) _,
            options(nostack)
        )
    };
}
pub(super) use loop64;
