//! SHA-256, as the format uses it.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub(crate) type Sha256Digest = [u8; 32];

pub(crate) fn sha256(data: &[u8]) -> Sha256Digest {
    Sha256::digest(data).into()
}

/// SHA-256 of several pieces in order, as if concatenated.
pub(crate) fn sha256_of(parts: &[&[u8]]) -> Sha256Digest {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}
