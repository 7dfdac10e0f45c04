//! Errors about devices and consoles.

use super::{board, errors, ok, raw, single, LINUX0};
use crate::{validate, Console, ErrorKind as E};

/// LINUX0 with its devices line replaced.
fn with_devices(line: &str) -> String {
    LINUX0.replace("devices = [\"/virtio_mmio@a003e00\"]", line)
}

/// LINUX0 plus a partition "b" on cpu@2 with `extra` lines.
fn with_b(extra: &str) -> String {
    format!(
        "{LINUX0}\n[[partition]]\nname = \"b\"\ncpus = [\"cpu@2\"]\nmemory = [{{ size = \"16M\" }}]\nkernel = \"k\"\n{extra}\n"
    )
}

#[test]
fn unknown_device() {
    single(
        &with_devices("devices = [\"/virtio_mmio@a004000\"]"),
        |k| matches!(k, E::UnknownDevice { .. }),
        "partition \"linux0\": devices[0]: the board has no device \"/virtio_mmio@a004000\"",
    );
}

#[test]
fn disabled_device() {
    let mut hw = board::qemu_virt();
    hw.devices[2].enabled = false;
    let e = validate(
        &raw(&with_devices("devices = [\"/pl031@9010000\"]")),
        &hw,
        &board::constraints(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition \"linux0\": devices[0]: \"/pl031@9010000\" is disabled in the device tree (status = \"disabled\")"
    );
}

#[test]
fn the_interrupt_controller_is_the_hypervisors() {
    let e = errors(&with_devices("devices = [\"/intc@8000000\"]"));
    assert!(e.any(|k| matches!(k, E::DeviceReserved { .. })));
    assert_eq!(
        e.errors()[0].to_string(),
        "partition \"linux0\": devices[0]: \"/intc@8000000\" is the interrupt controller, \
         which the hypervisor drives; no partition can own it"
    );
}

#[test]
fn other_interrupt_controllers_are_refused_by_compatible() {
    let mut hw = board::qemu_virt();
    hw.devices.push(board::device(
        "/soc/local_intc@40000000",
        "brcm,bcm2836-l1-intc",
        &[(0x7000_0000, 0x100)],
        &[],
    ));
    let toml = with_devices("devices = [\"/soc/local_intc@40000000\"]");
    let e = validate(&raw(&toml), &hw, &board::constraints()).unwrap_err();
    assert!(e.any(|k| matches!(k, E::DeviceReserved { .. })), "{e}");
}

#[test]
fn the_hypervisor_console_is_the_hypervisors() {
    single(
        &with_devices("devices = [\"/pl011@9000000\"]"),
        |k| matches!(k, E::DeviceReserved { .. }),
        "partition \"linux0\": devices[0]: \"/pl011@9000000\" is the hypervisor's console \
         ([hypervisor] console, or the board's stdout-path); no partition can own it",
    );
    // Unless the hypervisor is told to use the other UART, or none.
    let moved = format!(
        "[hypervisor]\nconsole = \"/pl011@9040000\"\n{}",
        with_devices("devices = [\"/pl011@9000000\"]\nconsole = \"/pl011@9000000\"")
    );
    let sys = ok(&moved);
    assert_eq!(sys.console().unwrap().path, "/pl011@9040000");
    assert_eq!(
        sys.partitions()[0].console(),
        Console::Passthrough { device: 0 }
    );
    let none = format!(
        "[hypervisor]\nconsole = \"none\"\n{}",
        with_devices("devices = [\"/pl011@9000000\"]")
    );
    assert!(ok(&none).console().is_none());
}

#[test]
fn device_given_twice() {
    single(
        &with_devices("devices = [\"/virtio_mmio@a003e00\", \"/virtio_mmio@a003e00\"]"),
        |k| matches!(k, E::DeviceTaken { .. }),
        "partition \"linux0\": devices[1]: \"/virtio_mmio@a003e00\" is already given to \
         partition \"linux0\" devices[0]",
    );
    single(
        &with_b("devices = [\"/virtio_mmio@a003e00\"]"),
        |k| matches!(k, E::DeviceTaken { .. }),
        "partition \"b\": devices[0]: \"/virtio_mmio@a003e00\" is already given to \
         partition \"linux0\" devices[0]",
    );
}

#[test]
fn devices_of_two_partitions_on_one_page() {
    single(
        &with_b("devices = [\"/virtio_mmio@a003c00\"]"),
        |k| matches!(k, E::DevicePageShared { .. }),
        "partition \"b\": devices[0]: \"/virtio_mmio@a003c00\" shares page [0xa003000..0xa004000) with \
         partition \"linux0\" devices[0] \"/virtio_mmio@a003e00\" (stage 2 maps whole 4 KiB pages)",
    );
    // One page apart is fine.
    assert!(super::check(&with_b("devices = [\"/virtio_mmio@a002e00\"]")).is_ok());
}

#[test]
fn per_core_interrupt() {
    single(
        &with_devices("devices = [\"/pmu-like@9050000\"]"),
        |k| matches!(k, E::PerCoreInterrupt { intid: 23, .. }),
        "partition \"linux0\": devices[0]: \"/pmu-like@9050000\" uses per-core interrupt 23; \
         only devices with shared peripheral interrupts can be passed through",
    );
}

#[test]
fn interrupt_shared_with_another_partition() {
    let mut hw = board::qemu_virt();
    hw.devices[2].interrupts = vec![board::level(40)]; // the RTC now shares UART1's line
    let toml = with_b("devices = [\"/pl031@9010000\"]").replace(
        "devices = [\"/virtio_mmio@a003e00\"]",
        "devices = [\"/pl011@9040000\"]",
    );
    let e = validate(&raw(&toml), &hw, &board::constraints()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition \"b\": devices[0]: \"/pl031@9010000\" uses interrupt 40, which partition \"linux0\" \
         devices[0] \"/pl011@9040000\" also uses"
    );
}

#[test]
fn interrupt_shared_with_the_hypervisor_console() {
    let mut hw = board::qemu_virt();
    hw.devices[2].interrupts = vec![board::level(33)];
    let e = validate(
        &raw(&with_devices("devices = [\"/pl031@9010000\"]")),
        &hw,
        &board::constraints(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition \"linux0\": devices[0]: \"/pl031@9010000\" uses interrupt 33, which the hypervisor's console also uses"
    );
}

#[test]
fn partition_console_values() {
    single(
        &format!("{LINUX0}console = \"ttyAMA0\"\n"),
        |k| matches!(k, E::BadConsole { .. }),
        "partition \"linux0\": console: \"ttyAMA0\" is not \"emulated\", \"none\" or a device path",
    );
    assert_eq!(ok(LINUX0).partitions()[0].console(), Console::Emulated);
    assert_eq!(
        ok(&format!("{LINUX0}console = \"none\"\n")).partitions()[0].console(),
        Console::None
    );
}

#[test]
fn console_not_a_uart() {
    single(
        &with_devices("devices = [\"/pl031@9010000\"]\nconsole = \"/pl031@9010000\""),
        |k| matches!(k, E::NotAUart { .. }),
        "partition \"linux0\": console: \"/pl031@9010000\" is not a UART",
    );
}

#[test]
fn console_uart_not_owned() {
    single(
        &format!("{LINUX0}console = \"/pl011@9040000\"\n"),
        |k| matches!(k, E::ConsoleNotOwned { .. }),
        "partition \"linux0\": console: \"/pl011@9040000\" is not in this partition's devices; \
         list it there to pass the UART through",
    );
}

#[test]
fn console_uart_owned_twice() {
    let toml = with_b("devices = [\"/pl011@9040000\"]\nconsole = \"/pl011@9040000\"").replace(
        "devices = [\"/virtio_mmio@a003e00\"]",
        "devices = [\"/pl011@9040000\"]\nconsole = \"/pl011@9040000\"",
    );
    assert_eq!(
        errors(&toml).to_string(),
        "partition \"b\": devices[0]: \"/pl011@9040000\" is already given to partition \"linux0\" devices[0]"
    );
}

#[test]
fn hypervisor_console_values() {
    let with = |v: &str| format!("[hypervisor]\nconsole = \"{v}\"\n{LINUX0}");
    assert_eq!(
        errors(&with("/pl031@9010000")).to_string(),
        "[hypervisor] console: \"/pl031@9010000\" is not a UART"
    );
    assert_eq!(
        errors(&with("/nowhere")).to_string(),
        "[hypervisor] console: the board has no device \"/nowhere\""
    );
    assert_eq!(
        errors(&with("serial0")).to_string(),
        "[hypervisor] console: \"serial0\" is neither \"none\" nor a device path"
    );
}

#[test]
fn reset_on_restore_of_an_owned_virtio_device() {
    let sys = ok(&format!(
        "{LINUX0}reset_on_restore = [\"/virtio_mmio@a003e00\"]\n"
    ));
    let d = &sys.partitions()[0].devices()[0];
    assert_eq!(d.reset_on_restore, Some(crate::ResetMethod::VirtioMmio));
    // Not listed: not reset.
    assert_eq!(
        ok(LINUX0).partitions()[0].devices()[0].reset_on_restore,
        None
    );
}

#[test]
fn reset_on_restore_of_a_device_the_partition_does_not_own() {
    single(
        &format!("{LINUX0}reset_on_restore = [\"/virtio_mmio@a003c00\"]\n"),
        |k| matches!(k, E::ResetNotOwned { .. }),
        "partition \"linux0\": reset_on_restore[0]: \"/virtio_mmio@a003c00\" is not in this \
         partition's devices; only a device it owns can be reset on restore",
    );
    // Another partition's device is not this one's either.
    single(
        &with_b(
            "devices = [\"/virtio_mmio@a000000\"]\nreset_on_restore = [\"/virtio_mmio@a003e00\"]",
        ),
        |k| matches!(k, E::ResetNotOwned { .. }),
        "partition \"b\": reset_on_restore[0]: \"/virtio_mmio@a003e00\" is not in this \
         partition's devices; only a device it owns can be reset on restore",
    );
}

#[test]
fn reset_on_restore_needs_a_known_reset_method() {
    single(
        &format!(
            "{}reset_on_restore = [\"/virtio_mmio@a003e00\", \"/pl031@9010000\"]\n",
            with_devices("devices = [\"/virtio_mmio@a003e00\", \"/pl031@9010000\"]")
        ),
        |k| matches!(k, E::NoResetMethod { .. }),
        "partition \"linux0\": reset_on_restore[1]: no reset method known for \"/pl031@9010000\" \
         (compatible \"arm,pl031\"); only virtio,mmio devices can be reset on restore",
    );
}

#[test]
fn reset_on_restore_lists_a_device_once() {
    single(
        &format!(
            "{LINUX0}reset_on_restore = [\"/virtio_mmio@a003e00\", \"/virtio_mmio@a003e00\"]\n"
        ),
        |k| matches!(k, E::ResetListedTwice { first: 0, .. }),
        "partition \"linux0\": reset_on_restore[1]: \"/virtio_mmio@a003e00\" is already listed \
         as reset_on_restore[0]",
    );
}

#[test]
fn reset_on_restore_of_a_refused_device_draws_no_second_error() {
    single(
        &format!(
            "{}reset_on_restore = [\"/virtio_mmio@a004000\"]\n",
            with_devices("devices = [\"/virtio_mmio@a004000\"]")
        ),
        |k| matches!(k, E::UnknownDevice { .. }),
        "partition \"linux0\": devices[0]: the board has no device \"/virtio_mmio@a004000\"",
    );
}

#[test]
fn reset_on_restore_lengths() {
    let many: Vec<String> = (0..65).map(|i| format!("\"/x{i}\"")).collect();
    single(
        &format!("{LINUX0}reset_on_restore = [{}]\n", many.join(", ")),
        |k| matches!(k, E::TooMany { count: 65, max: 64 }),
        "partition \"linux0\": reset_on_restore: 65 given, at most 64",
    );
    let long = "/".repeat(256);
    single(
        &format!("{LINUX0}reset_on_restore = [\"{long}\"]\n"),
        |k| matches!(k, E::TooLong { len: 256, max: 255 }),
        "partition \"linux0\": reset_on_restore[0]: 256 bytes long, at most 255",
    );
}
