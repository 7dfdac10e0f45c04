//! The binary encoding: round trips, re-validation, refusals.

use super::{board, examples::example_texts, ok, raw, LINUX0};
use crate::wire::{HEADER_SIZE, MAGIC, VERSION};
use crate::{decode, encode_raw, validate, DecodeError, ErrorKind};

const RICH: &str = r#"
[hypervisor]
console = "/pl011@9000000"

[[partition]]
name = "linux0"
cpus = ["cpu@0", "cpu@1"]
memory = [{ size = "256M", base = 0x48000000 }, { size = "64M" }]
devices = ["/virtio_mmio@a003e00", "/pl011@9040000"]
kernel = "images/Image"
ramdisk = "images/initrd.cpio"
dtb = "images/linux0.dtb"
bootargs = "console=ttyAMA0 rdinit=/init"
console = "/pl011@9040000"
on_fault = "restart"
restart = { max = 2, window_ms = 30000, min_uptime_ms = 500 }
watchdog_ms = 2000
manager = true
snapshot_slots = 1
reset_on_restore = ["/virtio_mmio@a003e00"]

[[partition]]
name = "rtos"
mpidrs = [0x2]
memory = [{ size = "2M", identity = false, guest_base = 0x0 }]
kernel = "images/rtos.bin"
boot_protocol = "bare-metal"
entry_offset = 0x40
console = "none"
on_fault = "inject-abort"
"#;

#[test]
fn encode_decode_validate_gives_the_same_system() {
    for toml in [LINUX0, RICH] {
        let sys = ok(toml);
        let bytes = sys.encode();
        let back = decode(&bytes).unwrap();
        assert_eq!(back, sys.to_raw());
        let again = validate(&back, &board::qemu_virt(), &board::constraints()).unwrap();
        assert_eq!(again, sys);
        // And once more: the pinned form is a fixed point.
        assert_eq!(again.encode(), bytes);
    }
}

#[test]
fn examples_round_trip() {
    for (name, text) in example_texts() {
        let sys = ok(&text);
        let back = decode(&sys.encode()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = validate(&back, &board::qemu_virt(), &board::constraints()).unwrap();
        assert_eq!(again, sys, "{name}");
    }
}

#[test]
fn the_pinned_form_makes_every_choice_explicit() {
    let pinned = ok(RICH).to_raw();
    assert_eq!(pinned.hypervisor.console.as_deref(), Some("/pl011@9000000"));
    let p = &pinned.partitions[0];
    assert_eq!(p.cpus, None);
    assert_eq!(p.mpidrs, Some(vec![0, 1]));
    assert!(p
        .memory
        .iter()
        .all(|m| m.base.is_some() && m.identity.is_some()));
    assert_eq!(p.memory[1].base, Some(0x4220_0000));
    assert_eq!(pinned.partitions[1].console.as_deref(), Some("none"));
    assert_eq!(pinned.partitions[1].memory[0].guest_base, Some(0));
    let none = ok(&format!("[hypervisor]\nconsole = \"none\"\n{LINUX0}")).to_raw();
    assert_eq!(none.hypervisor.console.as_deref(), Some("none"));
}

#[test]
fn revalidation_against_another_board_fails_loudly() {
    let bytes = ok(LINUX0).encode();
    let mut small = board::qemu_virt();
    small.memory = vec![bulkhead_core::addr::MemRange::new(0x4000_0000, 0x1000_0000)];
    small.cpus.truncate(1);
    let e = validate(&decode(&bytes).unwrap(), &small, &board::constraints()).unwrap_err();
    assert!(e.any(|k| matches!(k, ErrorKind::OutsideRam { .. })), "{e}");
    assert!(e.any(|k| matches!(k, ErrorKind::UnknownCpu { .. })), "{e}");
}

fn header(body_len: u32) -> Vec<u8> {
    let mut b = MAGIC.to_vec();
    b.extend_from_slice(&VERSION.to_le_bytes());
    b.extend_from_slice(&body_len.to_le_bytes());
    b
}

/// An encoding with its body length fixed after a test edited the body.
fn fix_len(mut b: Vec<u8>) -> Vec<u8> {
    let n = (b.len() - HEADER_SIZE) as u32;
    b[12..16].copy_from_slice(&n.to_le_bytes());
    b
}

#[test]
fn refusals() {
    let good = ok(RICH).encode();
    let mut bad = good.clone();
    bad[0] = b'X';
    assert_eq!(decode(&bad), Err(DecodeError::BadMagic));
    // Version 1, before reset_on_restore, and a future one.
    for version in [1u8, 3] {
        let mut bad = good.clone();
        bad[8] = version;
        assert_eq!(
            decode(&bad),
            Err(DecodeError::UnsupportedVersion {
                found: u32::from(version)
            })
        );
    }
    assert_eq!(
        decode(&good[..good.len() - 1]).unwrap_err().to_string(),
        format!(
            "encoded configuration: header says {} body bytes, {} present",
            good.len() - HEADER_SIZE,
            good.len() - HEADER_SIZE - 1
        )
    );
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(
        decode(&fix_len(longer)),
        Err(DecodeError::TrailingBytes { count: 1 })
    );
    // Body cut short but length fixed: a truncated field.
    let cut = fix_len(good[..good.len() - 3].to_vec());
    assert!(matches!(
        decode(&cut),
        Err(DecodeError::Truncated {
            field: "reset_on_restore",
            ..
        })
    ));
    let mut huge = good.clone();
    huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(decode(&huge), Err(DecodeError::TooLarge { size: u32::MAX }));
    // Header only.
    assert!(matches!(
        decode(&good[..5]),
        Err(DecodeError::Truncated { field: "magic", .. })
    ));
}

#[test]
fn bad_tags_counts_strings() {
    // No console, 1 partition, then a name of length 33.
    let mut b = header(0);
    b.push(0);
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&33u32.to_le_bytes());
    b.extend_from_slice(&[b'a'; 33]);
    assert_eq!(
        decode(&fix_len(b)),
        Err(DecodeError::TooLong {
            field: "name",
            len: 33,
            max: 32
        })
    );
    let mut b = header(0);
    b.push(0);
    b.extend_from_slice(&17u32.to_le_bytes());
    assert_eq!(
        decode(&fix_len(b)).unwrap_err().to_string(),
        "encoded configuration: partitions: 17 items, at most 16"
    );
    let mut b = header(0);
    b.push(7);
    assert_eq!(
        decode(&fix_len(b)),
        Err(DecodeError::BadTag {
            field: "hypervisor.console",
            value: 7
        })
    );
    let mut b = header(0);
    b.push(1);
    b.extend_from_slice(&2u32.to_le_bytes());
    b.extend_from_slice(&[0xff, 0xfe]);
    b.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(
        decode(&fix_len(b)),
        Err(DecodeError::BadUtf8 {
            field: "hypervisor.console"
        })
    );
}

#[test]
fn any_truncation_is_refused() {
    let good = ok(RICH).encode();
    for cut in 0..good.len() {
        assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
        if cut >= HEADER_SIZE {
            assert!(
                decode(&fix_len(good[..cut].to_vec())).is_err(),
                "cut at {cut}, length fixed"
            );
        }
    }
}

#[test]
fn reset_on_restore_round_trips() {
    let sys = ok(RICH);
    let p = &sys.partitions()[0];
    assert_eq!(
        p.devices()[0].reset_on_restore,
        Some(crate::ResetMethod::VirtioMmio)
    );
    // The UART is not reset: it still blocks a snapshot.
    assert_eq!(p.devices()[1].reset_on_restore, None);
    assert_eq!(
        p.snapshot_blocker().map(|d| d.path.as_str()),
        Some("/pl011@9040000")
    );
    let pinned = sys.to_raw();
    assert_eq!(
        pinned.partitions[0].reset_on_restore,
        vec![String::from("/virtio_mmio@a003e00")]
    );
    assert!(pinned.partitions[1].reset_on_restore.is_empty());
    let back = decode(&sys.encode()).unwrap();
    assert_eq!(
        back.partitions[0].reset_on_restore,
        pinned.partitions[0].reset_on_restore
    );
    let again = validate(&back, &board::qemu_virt(), &board::constraints()).unwrap();
    assert_eq!(again, sys);
    // Every device reset: nothing blocks a snapshot.
    let all = ok(&format!(
        "{LINUX0}reset_on_restore = [\"/virtio_mmio@a003e00\"]\n"
    ));
    assert_eq!(all.partitions()[0].snapshot_blocker(), None);
    assert!(ok(LINUX0).partitions()[0].snapshot_blocker().is_some());
}

#[test]
fn an_over_limit_raw_config_encodes_but_does_not_decode() {
    let mut r = raw(LINUX0);
    r.partitions[0].devices = vec!["/x".into(); 65];
    assert!(matches!(
        decode(&encode_raw(&r)),
        Err(DecodeError::TooMany {
            field: "devices",
            count: 65,
            max: 64
        })
    ));
    let mut r = raw(LINUX0);
    r.partitions[0].reset_on_restore = vec!["/x".into(); 65];
    assert!(matches!(
        decode(&encode_raw(&r)),
        Err(DecodeError::TooMany {
            field: "reset_on_restore",
            count: 65,
            max: 64
        })
    ));
    let mut r = raw(LINUX0);
    r.partitions[0].reset_on_restore = vec!["/x".repeat(200)];
    assert!(matches!(
        decode(&encode_raw(&r)),
        Err(DecodeError::TooLong {
            field: "reset_on_restore",
            len: 400,
            max: 255
        })
    ));
}
