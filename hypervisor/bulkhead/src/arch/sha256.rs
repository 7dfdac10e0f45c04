//! SHA-256 for the boot bundle's checks, on the ARMv8 Cryptographic
//! Extension when the core has it.
//!
//! The portable `sha2` code costs about 36 ns of QEMU virtual time per byte
//! (-icount shift=0): 1.255 s for the 33 MiB bundle of a Linux partition
//! (Image + initramfs), more than the native Linux boot it precedes. The
//! block function below uses SHA256H, SHA256H2, SHA256SU0 and SHA256SU1
//! (four rounds per SHA256H/SHA256H2 pair) and takes 0.063 s for the same
//! bundle.
//!
//! - Used only when ID_AA64ISAR0_EL1.SHA2 (bits 15:12) is non-zero (QEMU's
//!   cortex-a72 has it; the Raspberry Pi 4's BCM2711 does not), and only if
//!   it gives the FIPS 180-2 answers for "abc" and the two-block message,
//!   checked once at first use; otherwise the portable code, with a warning
//!   if the instructions exist but answered wrongly.
//! - The hypervisor is built for a soft-float target, so the compiler never
//!   touches the FP/SIMD registers and a guest's values stay in them across
//!   a trap. The block function uses v0-v7: it saves them on the stack first
//!   and restores them before it returns. Its instructions are integer
//!   vector operations: FPSR and FPCR are left alone.

use core::arch::{asm, global_asm};

/// Digest of the bytes given.
pub type Digest = [u8; 32];

/// Which implementation [`digest`] uses, decided at first use.
static CHOICE: super::probed::Probed = super::probed::Probed::new();

/// SHA-256 of `data`: the ARMv8 instructions if this core has them (and
/// they passed the known-answer check), else the portable `sha2` code.
pub fn digest(data: &[u8]) -> Digest {
    if use_instructions() {
        digest_ce(data)
    } else {
        bulkhead_bundle::Bundle::sha256(data)
    }
}

fn use_instructions() -> bool {
    CHOICE.use_instructions(probe)
}

/// FIPS 180-2, appendix B.1: SHA-256("abc").
const ABC: Digest = [
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
];

/// FIPS 180-2, appendix B.2: a 448-bit message, whose padding takes a
/// second block.
const TWO_BLOCK_MSG: &[u8] = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const TWO_BLOCK: Digest = [
    0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26, 0x93, 0x0c, 0x3e, 0x60, 0x39,
    0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1,
];

/// ID_AA64ISAR0_EL1.SHA2 != 0 and the known answers come out right.
fn probe() -> bool {
    if !has_sha256_instructions() {
        defmt::info!("sha256: no SHA-256 instructions on this core: portable code");
        return false;
    }
    if digest_ce(b"abc") != ABC || digest_ce(TWO_BLOCK_MSG) != TWO_BLOCK {
        crate::println!(
            "sha256: WARNING: the SHA-256 instructions gave a wrong known answer; \
             using the portable code"
        );
        return false;
    }
    defmt::info!("sha256: ARMv8 SHA-256 instructions (known answers checked)");
    true
}

/// ID_AA64ISAR0_EL1 bits 15:12: 0 none, 1 SHA-256, 2 SHA-256 and SHA-512.
fn has_sha256_instructions() -> bool {
    let isar0: u64;
    // SAFETY: reading an ID register has no side effects; it is readable at
    // EL1 and above.
    unsafe {
        asm!("mrs {}, id_aa64isar0_el1", out(reg) isar0, options(nomem, nostack, preserves_flags))
    };
    (isar0 >> 12) & 0xf != 0
}

const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The round constants (FIPS 180-4, 4.2.2), read by the block function.
#[repr(C, align(16))]
struct RoundConstants([u32; 64]);

static K: RoundConstants = RoundConstants([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/// SHA-256 with the block function below: whole blocks straight from
/// `data`, then the padded tail (one or two blocks).
fn digest_ce(data: &[u8]) -> Digest {
    let mut state = H0;
    let whole = data.len() - data.len() % 64;
    let (blocks, rest) = data.split_at(whole);
    compress(&mut state, blocks);

    // Padding: 0x80, zeros, the message length in bits (big-endian) in the
    // last 8 bytes; a second block when fewer than 9 bytes are left.
    let mut tail = [0u8; 128];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let len = if rest.len() < 56 { 64 } else { 128 };
    let bits = (data.len() as u64).wrapping_mul(8);
    tail[len - 8..len].copy_from_slice(&bits.to_be_bytes());
    compress(&mut state, &tail[..len]);

    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// Runs the block function over `blocks` (a multiple of 64 bytes).
fn compress(state: &mut [u32; 8], blocks: &[u8]) {
    let n = blocks.len() / 64;
    if n == 0 {
        return;
    }
    // SAFETY: `state` is 8 writable u32s; `blocks` holds `n` * 64 readable
    // bytes; K is 64 u32s. The function reads and writes nothing else but
    // its own stack frame, saves and restores every SIMD register it uses
    // (v0-v7), and follows the AAPCS64 for the general registers (x0-x4
    // and the flags only). It is called only after `has_sha256_instructions`
    // said the core implements the instructions, and FP/SIMD is not trapped
    // at EL2 (CPTR_EL2.TFP is cleared at entry, before any Rust code).
    unsafe { bulkhead_sha256_ce_blocks(state.as_mut_ptr(), blocks.as_ptr(), n, K.0.as_ptr()) }
}

extern "C" {
    /// `state`: H0..H7; `blocks`: `count` 64-byte blocks (any alignment);
    /// `k`: the 64 round constants.
    fn bulkhead_sha256_ce_blocks(state: *mut u32, blocks: *const u8, count: usize, k: *const u32);
}

// Register use: v0 = ABCD, v1 = EFGH (lane 0 = A / E, as H0..H7 load),
// v2 = ABCD before the 4 rounds (SHA256H2 needs it), v3 = W + K for the
// 4 rounds, v4..v7 = the 16-word message schedule window. x4 walks K.
//
// A group of 4 rounds i..i+3 (bh_sha256_4): v3 = K[i..i+3] + W[i..i+3];
// SHA256H makes the new ABCD from ABCD, EFGH and v3; SHA256H2 the new EFGH
// from EFGH, the old ABCD and v3.
//
// The schedule (bh_sha256_w): with wa = W[t-16..t-13], wb = W[t-12..t-9],
// wc = W[t-8..t-5], wd = W[t-4..t-1], SHA256SU0 wa, wb leaves
// W[t-16+e] + sigma0(W[t-15+e]) in wa, and SHA256SU1 wa, wc, wd adds
// W[t-7+e] + sigma1(W[t-2+e]), so wa becomes W[t..t+3].
//
// The `.arch_extension` lines let the assembler take FP/SIMD and SHA-256
// instructions in this block although the soft-float target disables them
// for compiled code, and turn them off again after it.
global_asm!(
    r#"
    .arch_extension fp
    .arch_extension simd
    .arch_extension sha2

    .macro bh_sha256_4 w
    ld1     {{v3.4s}}, [x4], #16
    add     v3.4s, v3.4s, \w\().4s
    mov     v2.16b, v0.16b
    sha256h q0, q1, v3.4s
    sha256h2 q1, q2, v3.4s
    .endm

    .macro bh_sha256_w wa, wb, wc, wd
    sha256su0 \wa\().4s, \wb\().4s
    sha256su1 \wa\().4s, \wc\().4s, \wd\().4s
    .endm

    .section .text.bulkhead_sha256_ce_blocks, "ax", %progbits
    .global bulkhead_sha256_ce_blocks
    .type   bulkhead_sha256_ce_blocks, %function
    .balign 4
bulkhead_sha256_ce_blocks:
    // x0 = state, x1 = blocks, x2 = count, x3 = K
    sub     sp, sp, #128
    stp     q0, q1, [sp]
    stp     q2, q3, [sp, #32]
    stp     q4, q5, [sp, #64]
    stp     q6, q7, [sp, #96]
    cbz     x2, 2f
    ld1     {{v0.4s, v1.4s}}, [x0]
1:
    ld1     {{v4.16b, v5.16b, v6.16b, v7.16b}}, [x1], #64
    rev32   v4.16b, v4.16b
    rev32   v5.16b, v5.16b
    rev32   v6.16b, v6.16b
    rev32   v7.16b, v7.16b
    mov     x4, x3

    // Rounds 0-47, computing W[16..63] on the way.
    bh_sha256_4 v4
    bh_sha256_w v4, v5, v6, v7
    bh_sha256_4 v5
    bh_sha256_w v5, v6, v7, v4
    bh_sha256_4 v6
    bh_sha256_w v6, v7, v4, v5
    bh_sha256_4 v7
    bh_sha256_w v7, v4, v5, v6

    bh_sha256_4 v4
    bh_sha256_w v4, v5, v6, v7
    bh_sha256_4 v5
    bh_sha256_w v5, v6, v7, v4
    bh_sha256_4 v6
    bh_sha256_w v6, v7, v4, v5
    bh_sha256_4 v7
    bh_sha256_w v7, v4, v5, v6

    bh_sha256_4 v4
    bh_sha256_w v4, v5, v6, v7
    bh_sha256_4 v5
    bh_sha256_w v5, v6, v7, v4
    bh_sha256_4 v6
    bh_sha256_w v6, v7, v4, v5
    bh_sha256_4 v7
    bh_sha256_w v7, v4, v5, v6

    // Rounds 48-63.
    bh_sha256_4 v4
    bh_sha256_4 v5
    bh_sha256_4 v6
    bh_sha256_4 v7

    // Add the block's starting state (still in memory) and store.
    ld1     {{v2.4s, v3.4s}}, [x0]
    add     v0.4s, v0.4s, v2.4s
    add     v1.4s, v1.4s, v3.4s
    st1     {{v0.4s, v1.4s}}, [x0]
    subs    x2, x2, #1
    b.ne    1b
2:
    ldp     q0, q1, [sp]
    ldp     q2, q3, [sp, #32]
    ldp     q4, q5, [sp, #64]
    ldp     q6, q7, [sp, #96]
    add     sp, sp, #128
    ret
    .size   bulkhead_sha256_ce_blocks, . - bulkhead_sha256_ce_blocks

    .arch_extension nosha2
    .arch_extension nosimd
    .arch_extension nofp
"#
);
