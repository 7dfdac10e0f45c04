//! Errors about the system as a whole, names and strings; and that every
//! error is reported, not just the first.

use super::{board, errors, messages, raw, single, LINUX0};
use crate::{validate, ErrorKind as E};

#[test]
fn no_partition() {
    single(
        "",
        |k| *k == E::NoPartitions,
        "no [[partition]]: there is nothing to boot",
    );
}

#[test]
fn too_many_partitions() {
    let toml = format!(
        "{LINUX0}\n[[partition]]\nname = \"b\"\ncpus = [\"cpu@2\"]\nmemory = [{{ size = \"16M\" }}]\nkernel = \"k\"\n"
    );
    let e = validate(
        &raw(&toml),
        &board::qemu_virt(),
        &board::constraints().max_partitions(1),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "2 partitions, this hypervisor supports at most 1"
    );
}

fn two(second: &str) -> String {
    format!("{LINUX0}\n[[partition]]\ncpus = [\"cpu@2\"]\nmemory = [{{ size = \"16M\" }}]\nkernel = \"k\"\n{second}\n")
}

#[test]
fn second_manager() {
    let toml = format!(
        "{}manager = true\n{}",
        LINUX0,
        "[[partition]]\nname = \"b\"\ncpus = [\"cpu@2\"]\nmemory = [{ size = \"16M\" }]\nkernel = \"k\"\nmanager = true\n"
    );
    single(
        &toml,
        |k| matches!(k, E::SecondManager { .. }),
        "partition \"b\": manager: partition \"linux0\" is already the manager; there can be only one",
    );
}

#[test]
fn empty_name() {
    single(
        &two("name = \"\""),
        |k| *k == E::EmptyName,
        "partition #1: name: empty; every partition needs a name",
    );
}

#[test]
fn bad_name_character() {
    single(
        &two("name = \"rt os\""),
        |k| matches!(k, E::BadNameCharacter { found: ' ' }),
        "partition \"rt os\": name: ' ' is not allowed (use A-Z a-z 0-9 - _ .)",
    );
}

#[test]
fn duplicate_name() {
    single(
        &two("name = \"linux0\""),
        |k| matches!(k, E::DuplicateName { first: 0 }),
        "partition \"linux0\": name: the same name as partition #0",
    );
}

#[test]
fn name_too_long() {
    let name = "n".repeat(33);
    let e = errors(&two(&format!("name = \"{name}\"")));
    assert_eq!(
        e.to_string(),
        format!("partition \"{name}\": name: 33 bytes long, at most 32")
    );
}

#[test]
fn bootargs_too_long_or_with_nul() {
    let long = "x".repeat(2048);
    assert_eq!(
        messages(&two(&format!("name = \"b\"\nbootargs = \"{long}\""))),
        ["partition \"b\": bootargs: 2048 bytes long, at most 2047"]
    );
    single(
        &two("name = \"b\"\nbootargs = \"a\\u0000b\""),
        |k| *k == E::ContainsNul,
        "partition \"b\": bootargs: contains a NUL character",
    );
}

#[test]
fn empty_image_path() {
    let toml = LINUX0.replace("kernel = \"images/Image\"", "kernel = \"\"\nramdisk = \"\"");
    assert_eq!(
        messages(&toml),
        [
            "partition \"linux0\": kernel: empty; give the path of the image",
            "partition \"linux0\": ramdisk: empty; give the path of the image",
        ]
    );
}

#[test]
fn too_many_items() {
    let regions = ["{ size = \"4K\" }"; 9].join(", ");
    let toml = LINUX0.replace(
        "memory = [{ size = \"256M\", base = 0x48000000 }]",
        &format!("memory = [{regions}]"),
    );
    single(
        &toml,
        |k| matches!(k, E::TooMany { count: 9, max: 8 }),
        "partition \"linux0\": memory: 9 given, at most 8",
    );
}

#[test]
fn every_error_is_reported() {
    let toml = r#"
[hypervisor]
console = "/nope"

[[partition]]
name = "a"
cpus = ["cpu@0", "cpu@9"]
memory = [{ size = "1M", base = 0x48000800 }, { size = 0 }]
devices = ["/virtio_mmio@a000000", "/missing"]
kernel = "k"
entry_offset = 4
on_fault = "stop"
restart = { max = 1 }

[[partition]]
name = "a"
cpus = ["cpu@0"]
memory = [{ size = "2G" }]
devices = ["/virtio_mmio@a000000"]
kernel = "k"
watchdog_ms = 0
"#;
    let m = messages(toml);
    let expected = [
        "[hypervisor] console: the board has no device \"/nope\"",
        "partition \"a\": cpus[1]: the board has no \"cpu@9\" (it has cpu@0, cpu@1, cpu@2, cpu@3)",
        "partition \"a\": devices[1]: the board has no device \"/missing\"",
        "partition \"a\": entry_offset: entry_offset applies only to boot_protocol = \"bare-metal\"",
        "partition \"a\": restart: a restart policy needs on_fault = \"restart\"",
        "partition \"a\": memory[0]: base 0x48000800 is not a multiple of 4 KiB (the smallest page stage 2 maps)",
        "partition \"a\": memory[1]: size is zero",
        "partition \"a\": name: the same name as partition #0",
        "partition \"a\": cpus[0]: cpu@0 (MPIDR 0x0) is already given to partition \"a\" cpus[0]",
        "partition \"a\": devices[0]: \"/virtio_mmio@a000000\" is already given to partition \"a\" devices[0]",
        "partition \"a\": watchdog_ms: 0 ms is out of range (1 to 3600000; leave watchdog_ms out for no watchdog)",
        "partition \"a\": memory[0]: no free RAM for 0x80000000 bytes (the largest free block left is 0x3de00000 bytes)",
    ];
    for e in &expected {
        assert!(
            m.iter().any(|x| x == e),
            "missing {e:?} in\n{}",
            m.join("\n")
        );
    }
    assert_eq!(m.len(), expected.len(), "{}", m.join("\n"));
}
