//! The built images, checked from the files on disk: ELF with a `.defmt`
//! section and the log ring symbol, raw image with the right arm64 Image
//! header for its board.

use bulkhead_tests::{images, TestFailure};
use xtask::elf::Elf;
use xtask::image::{raw_image, ImageHeader};

fn check(platform: &str) -> Result<(), TestFailure> {
    let built = images(platform)?;
    let p = built.platform;
    let elf_bytes =
        std::fs::read(&built.elf).map_err(|e| format!("{}: {e}", built.elf.display()))?;
    let img = std::fs::read(&built.img).map_err(|e| format!("{}: {e}", built.img.display()))?;
    let elf = Elf::parse(&elf_bytes).map_err(String::from)?;

    let defmt = elf
        .section(".defmt")
        .ok_or_else(|| TestFailure::new("the ELF has no .defmt section (defmt.x not linked)"))?;
    assert!(!defmt.is_alloc(), ".defmt must not be loaded");
    let ring = elf
        .symbol(xtask::ring::SYMBOL)
        .map_err(String::from)?
        .ok_or_else(|| {
            TestFailure::new(format!("the ELF has no {} symbol", xtask::ring::SYMBOL))
        })?;
    assert!(
        ring.size >= xtask::ring::HEADER_LEN,
        "log ring symbol of {} bytes",
        ring.size
    );

    let h = ImageHeader::parse(&img)?;
    assert_eq!(&img[56..60], b"ARM\x64");
    assert_eq!(h.text_offset, p.text_offset, "text_offset for {platform}");
    assert!(
        h.image_size >= img.len() as u64,
        "image_size {:#x} < raw {:#x}",
        h.image_size,
        img.len()
    );
    // The raw image is exactly the load segments' file bytes from the load address.
    let raw = raw_image(&elf)?;
    assert_eq!(raw.base, p.load_address);
    assert!(
        raw.bytes == img,
        "bulkhead.img differs from the ELF's load segments"
    );
    // The log ring lies inside the memory the image claims.
    assert!(
        ring.value >= p.load_address && ring.value + ring.size <= p.load_address + h.image_size,
        "log ring {:#x}+{:#x} outside the image",
        ring.value,
        ring.size
    );
    Ok(())
}

#[test]
fn qemu_virt_image() -> Result<(), TestFailure> {
    check("qemu-virt")
}

#[test]
fn rpi4_image() -> Result<(), TestFailure> {
    check("rpi4")
}
