use super::{pattern, sample};
use crate::format::{Kind, PAYLOAD_ALIGN};
use crate::Bundle;

#[test]
fn round_trip_gives_back_every_payload() {
    let bytes = sample();
    let b = Bundle::parse(&bytes).unwrap();
    assert_eq!(b.entries().len(), 5);
    assert_eq!(b.total_size(), bytes.len() as u64);
    assert_eq!(bytes.len() as u64 % PAYLOAD_ALIGN, 0);
    b.verify_all().unwrap();
    assert_eq!(b.config().unwrap().verify().unwrap(), b"config bytes");
    let k = b.find(Kind::Kernel, Some(0)).unwrap();
    assert_eq!(k.verify().unwrap(), &pattern(10_000, 1)[..]);
    assert_eq!(k.offset() % PAYLOAD_ALIGN, 0);
    assert_eq!(k.size(), 10_000);
    assert_eq!(b.find(Kind::Dtb, Some(0)).unwrap().size(), 1);
    let bm = b.find(Kind::BareMetalImage, Some(1)).unwrap();
    assert_eq!(bm.verify().unwrap(), &pattern(5000, 4)[..]);
    assert_eq!(bm.partition(), Some(1));
    assert!(b.find(Kind::Kernel, Some(1)).is_none());
    for (i, e) in b.entries().iter().enumerate() {
        assert_eq!(e.index(), i);
    }
}

#[test]
fn payloads_follow_each_other_on_page_boundaries() {
    let bytes = sample();
    let b = Bundle::parse(&bytes).unwrap();
    let offsets: Vec<u64> = b.entries().iter().map(|e| e.offset()).collect();
    // Header + 5 entries fit in the first page; 10 000 bytes take 3 pages.
    assert_eq!(offsets, vec![0x1000, 0x2000, 0x5000, 0x6000, 0x7000]);
    assert_eq!(bytes.len(), 0x9000);
}

#[test]
fn bytes_after_the_total_size_are_ignored() {
    let mut bytes = sample();
    let total = bytes.len();
    bytes.extend_from_slice(&[0xAA; 100]);
    let b = Bundle::parse(&bytes).unwrap();
    assert_eq!(b.as_bytes().len(), total);
    b.verify_all().unwrap();
}

#[test]
fn an_empty_bundle_is_one_page() {
    let bytes = crate::BundleBuilder::new().build().unwrap();
    assert_eq!(bytes.len(), 4096);
    let b = Bundle::parse(&bytes).unwrap();
    assert!(b.entries().is_empty());
    assert!(b.config().is_none());
}
