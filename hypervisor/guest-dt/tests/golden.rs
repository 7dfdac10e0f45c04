//! The whole tree for a small partition, as dtc prints it. A change here
//! is a change in what partitions see: read the diff, then bless it with
//! `BULKHEAD_BLESS=1 cargo test -p bulkhead-guest-dt --test golden`. The
//! text is dtc 1.6.1's; another dtc version may lay it out differently.

mod common;

use common::*;

fn check(name: &str, dts: &str) {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("BULKHEAD_BLESS").is_some() {
        std::fs::write(&path, dts).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if want != dts {
        for (i, (w, g)) in want.lines().zip(dts.lines()).enumerate() {
            if w != g {
                panic!(
                    "{name} differs first at line {}:\n want: {w}\n  got: {g}\n\n{dts}",
                    i + 1
                );
            }
        }
        panic!("{name}: the texts differ in length\n\n{dts}");
    }
}

#[test]
fn small_partition_on_virt_gicv3() {
    let out = bulkhead_guest_dt::generate(&virt_v3(), &small_spec()).unwrap();
    let (dts, warnings) = dtc(&out.dtb);
    assert_eq!(warnings, "");
    check("small-virt-gicv3.dts", &dts);
}

#[test]
fn pl011_console_and_primecell_on_virt_gicv2() {
    let spec = bulkhead_guest_dt::GuestDtSpec {
        vcpus: 1,
        console: Some(bulkhead_guest_dt::GuestConsole {
            compatible: bulkhead_guest_dt::ConsoleCompat::Pl011,
            ..small_spec().console.unwrap()
        }),
        passthrough: vec!["/pl031@9010000".into()],
        mgmt_doorbell: false,
        ..small_spec_v2()
    };
    let out = bulkhead_guest_dt::generate(&virt_v2(), &spec).unwrap();
    let (dts, warnings) = dtc(&out.dtb);
    assert_eq!(warnings, "");
    check("pl011-virt-gicv2.dts", &dts);
}
