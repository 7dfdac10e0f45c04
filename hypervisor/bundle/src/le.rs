//! Little-endian fixed-size fields at fixed offsets, read without panicking.

/// `N` bytes at `at`, or `None` when they are not all there.
pub(crate) fn bytes<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    let end = at.checked_add(N)?;
    buf.get(at..end)?.try_into().ok()
}

pub(crate) fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    bytes::<4>(buf, at).map(u32::from_le_bytes)
}

pub(crate) fn u64_at(buf: &[u8], at: usize) -> Option<u64> {
    bytes::<8>(buf, at).map(u64::from_le_bytes)
}

/// Writes `value` at `at`; `false` when `buf` is too short.
pub(crate) fn put(buf: &mut [u8], at: usize, value: &[u8]) -> bool {
    let Some(end) = at.checked_add(value.len()) else {
        return false;
    };
    match buf.get_mut(at..end) {
        Some(dst) => {
            dst.copy_from_slice(value);
            true
        }
        None => false,
    }
}
