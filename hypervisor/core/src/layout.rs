//! Where a partition's images go inside its first memory region. The host
//! tool uses this to write addresses into the partition's device tree
//! (/chosen initrd) and the hypervisor uses the same function to load the
//! images, so the two always agree.
//!
//! Layout of `memory[0]` (guest-physical):
//!
//! ```text
//! base                                                          end
//! | text_offset | kernel image_size ... | free | initrd | DTB (2 MiB) |
//! ```
//!
//! The kernel goes at `base + text_offset` (Linux arm64 boot protocol; a
//! bare-metal image without an Image header at `base + entry_offset`), the
//! device tree in the last 2 MiB, the initrd right below it.

use crate::addr::GuestPhysAddr;
use core::fmt;

/// Space kept for the device tree at the top of `memory[0]`.
pub const DTB_WINDOW: u64 = 2 << 20;
/// Largest device tree a partition may get (Linux's limit).
pub const MAX_DTB: u64 = DTB_WINDOW;
const PAGE: u64 = 4096;
/// Offset of the "ARM\x64" magic in an arm64 Image header.
const MAGIC_AT: usize = 56;

/// What the arm64 Image header of a kernel says, if it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageHeader {
    pub text_offset: u64,
    /// Bytes the kernel occupies once running (BSS included); at least the
    /// file size.
    pub image_size: u64,
}

fn le64(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// Reads the arm64 Image header; `None` if `image` has none.
pub fn image_header(image: &[u8]) -> Option<ImageHeader> {
    if image.get(MAGIC_AT..MAGIC_AT + 4)? != b"ARM\x64" {
        return None;
    }
    let text_offset = le64(image, 8)?;
    let image_size = le64(image, 16)?;
    // Kernels before 3.17 leave image_size 0 and mean text_offset 0x80000.
    let (text_offset, image_size) = if image_size == 0 {
        (0x8_0000, 0)
    } else {
        (text_offset, image_size)
    };
    Some(ImageHeader {
        text_offset,
        image_size: image_size.max(image.len() as u64),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Linux,
    BareMetal { entry_offset: u64 },
}

/// Where everything goes, in guest-physical addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestLayout {
    pub kernel: GuestPhysAddr,
    /// Bytes reserved for the kernel from `kernel` on.
    pub kernel_span: u64,
    pub entry: GuestPhysAddr,
    pub dtb: GuestPhysAddr,
    pub initrd: Option<(GuestPhysAddr, u64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// A Linux kernel without an arm64 Image header.
    NotAnImage,
    /// `memory[0]` is not 2 MiB aligned (Linux requires it).
    Unaligned { base: u64 },
    /// The pieces do not fit in `memory[0]`.
    TooSmall { need: u64, have: u64 },
    /// text_offset or entry_offset outside the region.
    BadOffset { offset: u64 },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::NotAnImage => write!(f, "the kernel has no arm64 Image header (magic ARM\\x64 at offset 56)"),
            LayoutError::Unaligned { base } => write!(f, "memory[0] at {base:#x} is not 2 MiB aligned, as Linux requires"),
            LayoutError::TooSmall { need, have } => write!(
                f,
                "memory[0] is too small: kernel, initrd and the 2 MiB device tree window need {} KiB, it has {} KiB",
                need.div_ceil(1024),
                have / 1024
            ),
            LayoutError::BadOffset { offset } => write!(f, "image offset {offset:#x} lies outside memory[0]"),
        }
    }
}

const fn align_down(v: u64, a: u64) -> u64 {
    v & !(a - 1)
}

/// Lays out a partition's images in `memory[0]` = `[base, base + size)`.
pub fn layout(
    base: u64,
    size: u64,
    protocol: Protocol,
    kernel: &[u8],
    initrd_len: Option<u64>,
) -> Result<GuestLayout, LayoutError> {
    let header = image_header(kernel);
    let (offset, span) = match (protocol, header) {
        (Protocol::Linux, None) => return Err(LayoutError::NotAnImage),
        (Protocol::Linux, Some(_)) if !base.is_multiple_of(2 << 20) => {
            return Err(LayoutError::Unaligned { base })
        }
        (_, Some(h)) => (h.text_offset, h.image_size),
        (Protocol::BareMetal { entry_offset }, None) => (entry_offset, kernel.len() as u64),
    };
    let end = base
        .checked_add(size)
        .ok_or(LayoutError::BadOffset { offset: size })?;
    let kernel_at = base
        .checked_add(offset)
        .filter(|a| *a < end)
        .ok_or(LayoutError::BadOffset { offset })?;
    let kernel_end = kernel_at
        .checked_add(span.next_multiple_of(PAGE))
        .ok_or(LayoutError::BadOffset { offset })?;
    let dtb = end.checked_sub(DTB_WINDOW).ok_or(LayoutError::TooSmall {
        need: DTB_WINDOW,
        have: size,
    })?;
    let initrd = match initrd_len {
        None | Some(0) => None,
        Some(len) => {
            let start =
                dtb.checked_sub(len)
                    .map(|s| align_down(s, PAGE))
                    .ok_or(LayoutError::TooSmall {
                        need: len.saturating_add(DTB_WINDOW),
                        have: size,
                    })?;
            Some((GuestPhysAddr(start), len))
        }
    };
    let low_water = initrd.map(|(a, _)| a.0).unwrap_or(dtb);
    if kernel_end > low_water {
        let need = (kernel_end - base).saturating_add(end - low_water);
        return Err(LayoutError::TooSmall { need, have: size });
    }
    Ok(GuestLayout {
        kernel: GuestPhysAddr(kernel_at),
        kernel_span: kernel_end - kernel_at,
        entry: GuestPhysAddr(kernel_at),
        dtb: GuestPhysAddr(dtb),
        initrd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn image(text_offset: u64, image_size: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len.max(64)];
        v[8..16].copy_from_slice(&text_offset.to_le_bytes());
        v[16..24].copy_from_slice(&image_size.to_le_bytes());
        v[56..60].copy_from_slice(b"ARM\x64");
        v
    }

    const M: u64 = 1 << 20;

    #[test]
    fn linux_kernel_initrd_and_dtb() {
        let k = image(0, 30 * M, 20 * (M as usize));
        let l = layout(0x4800_0000, 256 * M, Protocol::Linux, &k, Some(5 * M + 3)).unwrap();
        assert_eq!(l.kernel.0, 0x4800_0000);
        assert_eq!(l.entry, l.kernel);
        assert_eq!(l.kernel_span, 30 * M);
        assert_eq!(l.dtb.0, 0x4800_0000 + 254 * M);
        let (start, len) = l.initrd.unwrap();
        assert_eq!(len, 5 * M + 3);
        assert_eq!(start.0 % 4096, 0);
        assert!(start.0 + len <= l.dtb.0);
        assert!(start.0 >= l.kernel.0 + l.kernel_span);
    }

    #[test]
    fn bare_metal_with_and_without_header() {
        let k = image(0x8_0000, 0x3_2000, 0x1_0000);
        let l = layout(
            0x5000_0000,
            4 * M,
            Protocol::BareMetal { entry_offset: 0 },
            &k,
            None,
        )
        .unwrap();
        assert_eq!(l.entry.0, 0x5008_0000);
        let raw = vec![0u8; 4096];
        let l = layout(
            0x5000_1000,
            4 * M,
            Protocol::BareMetal {
                entry_offset: 0x100,
            },
            &raw,
            None,
        )
        .unwrap();
        assert_eq!(l.entry.0, 0x5000_1100);
        assert_eq!(l.dtb.0, 0x5000_1000 + 2 * M);
    }

    #[test]
    fn refusals() {
        let k = image(0, 30 * M, 4096);
        assert_eq!(
            layout(0x4810_0000, 256 * M, Protocol::Linux, &k, None),
            Err(LayoutError::Unaligned { base: 0x4810_0000 })
        );
        assert_eq!(
            layout(0x4800_0000, 256 * M, Protocol::Linux, &[0u8; 100], None),
            Err(LayoutError::NotAnImage)
        );
        assert!(matches!(
            layout(0x4800_0000, 31 * M, Protocol::Linux, &k, None),
            Err(LayoutError::TooSmall { .. })
        ));
        assert!(matches!(
            layout(0x4800_0000, 64 * M, Protocol::Linux, &k, Some(40 * M)),
            Err(LayoutError::TooSmall { .. })
        ));
        assert!(matches!(
            layout(
                0x4800_0000,
                M,
                Protocol::BareMetal { entry_offset: 0 },
                &[0u8; 16],
                None
            ),
            Err(LayoutError::TooSmall { .. })
        ));
        assert!(matches!(
            layout(
                0x4800_0000,
                4 * M,
                Protocol::BareMetal {
                    entry_offset: 8 * M
                },
                &[0u8; 16],
                None
            ),
            Err(LayoutError::BadOffset { .. })
        ));
        assert!(layout(
            u64::MAX - 4095,
            8 * M,
            Protocol::BareMetal { entry_offset: 0 },
            &[0u8; 16],
            None
        )
        .is_err());
        // Truncated header: no panic, just "not an image".
        assert_eq!(
            layout(0x4800_0000, 64 * M, Protocol::Linux, &k[..50], None),
            Err(LayoutError::NotAnImage)
        );
    }
}
