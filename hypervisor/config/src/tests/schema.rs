//! The TOML schema: field names, defaults, sizes, unknown keys refused.

use crate::{BootProtocol, ByteSize, FaultAction, RawMemory, RawSystem};

#[test]
fn defaults() {
    let r = RawSystem::from_toml(
        "[[partition]]\nname = \"a\"\ncpus = [\"cpu@0\"]\nmemory = [{ size = \"4K\" }]\nkernel = \"k\"\n",
    )
    .unwrap();
    assert_eq!(r.hypervisor.console, None);
    let p = &r.partitions[0];
    assert_eq!(p.mpidrs, None);
    assert!(p.devices.is_empty());
    assert_eq!(p.boot_protocol, BootProtocol::Linux);
    assert_eq!(p.on_fault, FaultAction::Stop);
    assert_eq!(
        (p.restart, p.watchdog_ms, p.manager, p.snapshot_slots),
        (None, None, false, 0)
    );
    assert_eq!(
        p.memory[0],
        RawMemory {
            size: ByteSize(4096),
            base: None,
            identity: None,
            guest_base: None
        }
    );
}

#[test]
fn sizes_as_strings_or_integers() {
    let r = RawSystem::from_toml(
        "[[partition]]\nname = \"a\"\nkernel = \"k\"\n\
         memory = [{ size = \"64M\" }, { size = 4096 }, { size = \"1G\" }, { size = \"0x2000\" }]\n",
    )
    .unwrap();
    let sizes: Vec<u64> = r.partitions[0].memory.iter().map(|m| m.size.0).collect();
    assert_eq!(sizes, [64 << 20, 4096, 1 << 30, 0x2000]);
}

#[test]
fn bad_sizes_name_the_problem() {
    let e = RawSystem::from_toml(
        "[[partition]]\nname = \"a\"\nkernel = \"k\"\nmemory = [{ size = \"12Q\" }]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("size \"12Q\": unknown suffix (use K, M, G or T)"),
        "{e}"
    );
    let e = RawSystem::from_toml(
        "[[partition]]\nname = \"a\"\nkernel = \"k\"\nmemory = [{ size = -1 }]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("a size cannot be negative"), "{e}");
}

#[test]
fn unknown_keys_are_refused_everywhere() {
    for (toml, key) in [
        ("[hypervisor]\nconsol = \"none\"\n", "consol"),
        ("[hypervisors]\n", "hypervisors"),
        ("[[partitions]]\nname = \"a\"\n", "partitions"),
        (
            "[[partition]]\nname = \"a\"\nkernel = \"k\"\ncpu = [\"cpu@0\"]\n",
            "cpu",
        ),
        (
            "[[partition]]\nname = \"a\"\nkernel = \"k\"\nmemory = [{ size = 1, bse = 0 }]\n",
            "bse",
        ),
        (
            "[[partition]]\nname = \"a\"\nkernel = \"k\"\nrestart = { maximum = 1 }\n",
            "maximum",
        ),
    ] {
        let e = RawSystem::from_toml(toml).unwrap_err().to_string();
        assert!(
            e.contains(key) && e.starts_with("configuration: "),
            "{toml}: {e}"
        );
    }
}

#[test]
fn enumerations_and_required_fields() {
    let e = RawSystem::from_toml(
        "[[partition]]\nname = \"a\"\nkernel = \"k\"\nboot_protocol = \"uefi\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("uefi") && e.contains("bare-metal"), "{e}");
    let e = RawSystem::from_toml(
        "[[partition]]\nname = \"a\"\non_fault = \"reboot\"\nkernel = \"k\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("inject-abort"), "{e}");
    let e = RawSystem::from_toml("[[partition]]\nname = \"a\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field `kernel`"), "{e}");
    let r = RawSystem::from_toml(
        "[[partition]]\nname = \"a\"\nkernel = \"k\"\nboot_protocol = \"bare-metal\"\non_fault = \"inject-abort\"\n",
    )
    .unwrap();
    assert_eq!(r.partitions[0].boot_protocol, BootProtocol::BareMetal);
    assert_eq!(r.partitions[0].on_fault, FaultAction::InjectAbort);
}

#[test]
fn errors_carry_the_line() {
    let e = RawSystem::from_toml("\n\n[[partition]]\nname = 5\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 4"), "{e}");
}
