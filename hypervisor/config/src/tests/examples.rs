//! The sample files under partitions/examples/, and validation against
//! device trees QEMU really produced (parsed by bulkhead-core).

use super::{ok, raw};
use crate::{validate, Console, Constraints};
use bulkhead_core::addr::MemRange;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (file name, text) of every example.
pub(super) fn example_texts() -> Vec<(String, String)> {
    let dir = repo().join("partitions/examples");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no examples in {}", dir.display());
    out
}

#[test]
fn every_example_validates_on_qemu_virt() {
    for (name, text) in example_texts() {
        if let Err(e) = super::check(&text) {
            panic!("{name}:\n{e}");
        }
    }
}

#[test]
fn linux_rtos_example_resolves_as_documented() {
    let text =
        std::fs::read_to_string(repo().join("partitions/examples/qemu-virt-linux-rtos.toml"))
            .unwrap();
    let sys = ok(&text);
    let rtos = &sys.partitions()[1];
    assert_eq!(rtos.cpus()[0].name, "cpu@2");
    assert_eq!(rtos.console(), Console::Passthrough { device: 0 });
    assert_eq!(rtos.memory()[0].host, MemRange::new(0x4000_0000, 0x20_0000));
}

fn fixture(name: &str) -> bulkhead_core::hw::Hardware {
    let path = repo().join("hypervisor/core/tests/fixtures").join(name);
    let blob = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bulkhead_core::dt::parse(&blob).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

/// The hypervisor at QEMU virt's load address, 2 MiB, like the tests'
/// hand-made board.
fn cons() -> Constraints {
    Constraints::new().keep_out("hypervisor image", MemRange::new(0x4020_0000, 0x20_0000))
}

#[test]
fn validates_against_qemus_own_tree_four_cores() {
    let hw = fixture("virt-gicv3-smp4-1g.dtb");
    let text = r#"
[[partition]]
name = "linux0"
cpus = ["cpu@0", "cpu@1"]
memory = [{ size = "256M", base = 0x48000000 }]
devices = ["/virtio_mmio@a003e00"]
kernel = "Image"

[[partition]]
name = "rtos"
cpus = ["cpu@2", "cpu@3"]
memory = [{ size = "2M" }]
devices = ["/pl031@9010000"]
kernel = "rtos.bin"
boot_protocol = "bare-metal"
"#;
    let sys = validate(&raw(text), &hw, &cons()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sys.console().unwrap().path, "/pl011@9000000");
    let v = &sys.partitions()[0].devices()[0];
    assert_eq!(v.regs, vec![MemRange::new(0xa00_3e00, 0x200)]);
    assert_eq!(v.interrupts[0].intid.0, 79);
    assert!(v.dma);
    // The GIC (with its ITS child) and the console stay the hypervisor's.
    let grab = text.replace("/pl031@9010000", "/pl011@9000000");
    assert!(validate(&raw(&grab), &hw, &cons()).is_err());
    let gic = hw
        .devices
        .iter()
        .find(|d| d.compatible.iter().any(|c| c == "arm,gic-v3"))
        .unwrap();
    let grab = text.replace("/pl031@9010000", &gic.path);
    assert!(validate(&raw(&grab), &hw, &cons()).is_err());
}

#[test]
fn validates_against_qemus_own_tree_with_two_uarts_and_an_initrd() {
    let hw = fixture("virt-gicv3-smp2-4g-chosen.dtb");
    let text = r#"
[[partition]]
name = "linux0"
cpus = ["cpu@0"]
memory = [{ size = "512M" }]
devices = ["/virtio_mmio@a000000"]
kernel = "Image"

[[partition]]
name = "rtos"
cpus = ["cpu@1"]
memory = [{ size = "2M" }]
devices = ["/pl011@9040000"]
console = "/pl011@9040000"
kernel = "rtos.bin"
boot_protocol = "bare-metal"
"#;
    let sys = validate(&raw(text), &hw, &cons()).unwrap_or_else(|e| panic!("{e}"));
    // Nothing was placed over the initrd QEMU loaded.
    let initrd = hw.chosen.initrd.expect("fixture has an initrd");
    for p in sys.partitions() {
        for m in p.memory() {
            assert!(!m.host.overlaps(&initrd), "{} over the initrd", p.name());
        }
    }
    assert_eq!(
        sys.partitions()[1].console(),
        Console::Passthrough { device: 0 }
    );
}

/// The commented example in docs/configuration.md is a valid system.
#[test]
fn the_documented_example_validates() {
    let doc = std::fs::read_to_string(repo().join("docs/configuration.md")).unwrap();
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let len = doc[start..].find("```").unwrap();
    let sys = ok(&doc[start..start + len]);
    assert_eq!(sys.partitions().len(), 2);
}
