//! The raw boot image and the checks every built image must pass.
//!
//! Boot loaders (QEMU's `-kernel`, the Pi firmware) take a flat binary that
//! starts with the arm64 Image header. It is cut here from the ELF's load
//! segments: it starts at the lowest physical address of a PT_LOAD segment
//! that carries file bytes and covers file bytes only (BSS is the loader's
//! business, announced through the header's image_size).

use crate::elf::{Elf, EM_AARCH64};
use bulkhead_platforms::Platform;

/// "ARM\x64", little-endian u32 at offset 56 of the arm64 Image header.
pub const ARM64_MAGIC: [u8; 4] = *b"ARM\x64";
pub const HEADER_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawImage {
    /// Physical address of the first byte.
    pub base: u64,
    pub bytes: Vec<u8>,
}

/// Largest raw image accepted: a gap this large between segments means the
/// linker script placed something far away, and the image would be mostly
/// zeros.
const MAX_RAW: u64 = 256 << 20;

pub fn raw_image(elf: &Elf) -> Result<RawImage, String> {
    let segs: Vec<_> = elf.loaded_segments().collect();
    let Some(base) = segs.iter().map(|s| s.paddr).min() else {
        return Err("the ELF has no PT_LOAD segment with file bytes: nothing to boot".into());
    };
    let mut end = base;
    for s in &segs {
        let seg_end = s
            .paddr
            .checked_add(s.filesz)
            .ok_or_else(|| format!("segment at {:#x} wraps the address space", s.paddr))?;
        end = end.max(seg_end);
    }
    if end - base > MAX_RAW {
        return Err(format!(
            "load segments span {:#x}..{:#x} ({} MiB): check the linker script, a raw image this large is mostly gap",
            base,
            end,
            (end - base) >> 20
        ));
    }
    let mut bytes = vec![0u8; (end - base) as usize];
    for s in &segs {
        let from = s.offset as usize;
        let src = elf
            .data
            .get(from..from.saturating_add(s.filesz as usize))
            .ok_or_else(|| {
                format!(
                    "segment at {:#x}: file bytes past the end of the ELF",
                    s.paddr
                )
            })?;
        let at = (s.paddr - base) as usize;
        bytes[at..at + src.len()].copy_from_slice(src);
    }
    Ok(RawImage { base, bytes })
}

/// The fields of the arm64 Image header that the loaders read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageHeader {
    pub text_offset: u64,
    pub image_size: u64,
    pub flags: u64,
}

impl ImageHeader {
    pub fn parse(raw: &[u8]) -> Result<Self, String> {
        if raw.len() < HEADER_LEN {
            return Err(format!(
                "the raw image is {} bytes, shorter than the 64-byte arm64 Image header",
                raw.len()
            ));
        }
        if raw[56..60] != ARM64_MAGIC {
            return Err(format!(
                "no arm64 Image header: expected magic \"ARM\\x64\" at offset 56, found {:02x?} \
                 (the boot section with the header must come first in the linker script)",
                &raw[56..60]
            ));
        }
        let u64_at = |o: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&raw[o..o + 8]);
            u64::from_le_bytes(b)
        };
        Ok(ImageHeader {
            text_offset: u64_at(8),
            image_size: u64_at(16),
            flags: u64_at(24),
        })
    }
}

/// What a good image looks like, as the build reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReport {
    pub base: u64,
    pub raw_size: u64,
    pub header: ImageHeader,
    pub defmt_size: u64,
}

/// Every check a built image must pass before anyone boots it.
pub fn check(platform: &Platform, elf: &Elf, raw: &RawImage) -> Result<ImageReport, String> {
    let name = platform.name;
    if elf.machine != EM_AARCH64 {
        return Err(format!(
            "the ELF is for machine {}, not aarch64 ({EM_AARCH64})",
            elf.machine
        ));
    }
    let header = ImageHeader::parse(&raw.bytes)?;
    if header.text_offset != platform.text_offset {
        return Err(format!(
            "image header text_offset is {:#x}, but platform {name} needs {:#x}",
            header.text_offset, platform.text_offset
        ));
    }
    if header.image_size == 0 {
        return Err(
            "image header image_size is 0: it must cover the whole image, BSS and stacks included"
                .into(),
        );
    }
    let raw_size = raw.bytes.len() as u64;
    if header.image_size < raw_size {
        return Err(format!(
            "image header image_size {:#x} is smaller than the raw image ({raw_size:#x} bytes)",
            header.image_size
        ));
    }
    if raw.base != platform.load_address {
        return Err(format!(
            "the image is linked at {:#x}, but platform {name} loads it at {:#x}",
            raw.base, platform.load_address
        ));
    }
    let Some(defmt) = elf.section(".defmt") else {
        return Err(
            "the ELF has no .defmt section: defmt is not linked properly \
                    (pass -Tdefmt.x beside the linker script); its log could not be decoded"
                .into(),
        );
    };
    Ok(ImageReport {
        base: raw.base,
        raw_size,
        header,
        defmt_size: defmt.size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::synth::{elf, Seg};
    use bulkhead_platforms::{QEMU_VIRT, RPI4};

    fn header(text_offset: u64, image_size: u64) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[8..16].copy_from_slice(&text_offset.to_le_bytes());
        h[16..24].copy_from_slice(&image_size.to_le_bytes());
        h[24..32].copy_from_slice(&2u64.to_le_bytes());
        h[56..60].copy_from_slice(&ARM64_MAGIC);
        h
    }

    #[test]
    fn raw_image_spans_file_bytes_and_fills_gaps() {
        let mut text = header(0x20_0000, 0x10_0000);
        text.extend_from_slice(&[0xaa; 64]);
        let file = elf(
            &[
                Seg {
                    paddr: 0x4020_1000,
                    data: vec![0xbb; 16],
                    memsz: 0x8000,
                },
                Seg {
                    paddr: 0x4020_0000,
                    data: text.clone(),
                    memsz: 128,
                },
                Seg {
                    paddr: 0x4030_0000,
                    data: vec![],
                    memsz: 0x1000,
                }, // BSS only
            ],
            &[(".defmt", vec![1])],
            &[],
        );
        let e = Elf::parse(&file).unwrap();
        let raw = raw_image(&e).unwrap();
        assert_eq!(raw.base, 0x4020_0000);
        assert_eq!(raw.bytes.len(), 0x1000 + 16);
        assert_eq!(&raw.bytes[..128], &text[..]);
        assert!(raw.bytes[128..0x1000].iter().all(|&b| b == 0));
        assert_eq!(&raw.bytes[0x1000..], &[0xbb; 16]);
        let r = check(&QEMU_VIRT, &e, &raw).unwrap();
        assert_eq!(r.header.text_offset, 0x20_0000);
        assert_eq!(r.defmt_size, 1);
        // The same image for the Pi is refused: wrong text_offset.
        let err = check(&RPI4, &e, &raw).unwrap_err();
        assert!(err.contains("text_offset"), "{err}");
    }

    #[test]
    fn each_broken_rule_has_its_own_message() {
        let case = |hdr: Vec<u8>, paddr: u64, defmt: bool| {
            let secs = if defmt {
                vec![(".defmt", vec![1])]
            } else {
                vec![]
            };
            let file = elf(
                &[Seg {
                    paddr,
                    data: hdr,
                    memsz: 64,
                }],
                &secs,
                &[],
            );
            let e = Elf::parse(&file).unwrap();
            let raw = raw_image(&e).unwrap();
            check(&QEMU_VIRT, &e, &raw)
        };
        assert!(case(header(0x20_0000, 64), 0x4020_0000, true).is_ok());
        assert!(case(header(0x20_0000, 64), 0x4020_0000, false)
            .unwrap_err()
            .contains(".defmt"));
        assert!(case(header(0x20_0000, 0), 0x4020_0000, true)
            .unwrap_err()
            .contains("image_size is 0"));
        assert!(case(header(0x20_0000, 32), 0x4020_0000, true)
            .unwrap_err()
            .contains("smaller"));
        assert!(case(header(0x20_0000, 64), 0x4008_0000, true)
            .unwrap_err()
            .contains("linked at"));
        let mut no_magic = header(0x20_0000, 64);
        no_magic[56] = 0;
        assert!(case(no_magic, 0x4020_0000, true)
            .unwrap_err()
            .contains("magic"));
        assert!(ImageHeader::parse(&[0; 10])
            .unwrap_err()
            .contains("shorter"));
    }

    #[test]
    fn an_elf_without_load_segments_is_refused() {
        let file = elf(&[], &[(".defmt", vec![1])], &[]);
        let e = Elf::parse(&file).unwrap();
        assert!(raw_image(&e).unwrap_err().contains("PT_LOAD"));
    }
}
