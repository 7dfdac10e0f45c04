//! QEMU command lines, shared by `cargo xtask run`/`log` and the boot tests.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const QEMU: &str = "qemu-system-aarch64";
/// Oldest QEMU with the `raspi4b` machine and a second PL011 on `virt`.
pub const MIN_QEMU_MAJOR: u32 = 10;

/// QEMU's `virt` board at EL2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Virt {
    /// 2 or 3.
    pub gic: u8,
    pub smp: u32,
    /// As given to `-m` (`1G`, `2048M`, `512`).
    pub mem: String,
    pub image: PathBuf,
    /// Appended as they are (loaders for a boot bundle, `-S -s`, ...).
    pub extra: Vec<String>,
}

impl Virt {
    pub fn new(image: &Path) -> Self {
        Virt {
            gic: 3,
            smp: 4,
            mem: "1G".into(),
            image: image.to_path_buf(),
            extra: Vec::new(),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        check_virt(self.gic, self.smp, &self.mem).map(|_| ())
    }

    pub fn args(&self) -> Vec<String> {
        let machine = format!("virt,virtualization=on,gic-version={}", self.gic);
        let mut a = virt_args(machine, self.smp, &self.mem, &self.image);
        a.extend(self.extra.iter().cloned());
        a
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(QEMU);
        c.args(self.args());
        c
    }
}

/// Checks the `--gic`, `--smp` and `--mem` of a `virt` machine; returns
/// its memory in MiB.
pub fn check_virt(gic: u8, smp: u32, mem: &str) -> Result<u64, String> {
    if gic != 2 && gic != 3 {
        return Err(format!("--gic must be 2 or 3, not {gic}"));
    }
    // GICv2 has eight CPU interfaces; QEMU's virt takes up to 512 cores with GICv3.
    let max = if gic == 2 { 8 } else { 512 };
    if smp == 0 || smp > max {
        return Err(format!("--smp must be 1..={max} with GICv{gic}, not {smp}"));
    }
    mem_mib(mem)
        .ok_or_else(|| format!("--mem `{mem}` is not a size QEMU takes (e.g. 512M, 1G, 2048)"))
}

/// The arguments of a `virt` machine (`machine`, as `-M` takes it) with
/// `smp` Cortex-A72 cores and `mem` of memory, the console on stdio,
/// booting `kernel`.
pub fn virt_args(machine: String, smp: u32, mem: &str, kernel: &Path) -> Vec<String> {
    vec![
        "-M".into(),
        machine,
        "-cpu".into(),
        "cortex-a72".into(),
        "-smp".into(),
        smp.to_string(),
        "-m".into(),
        mem.into(),
        "-nographic".into(),
        "-kernel".into(),
        kernel.display().to_string(),
    ]
}

/// QEMU's `raspi4b` board: the raw image (with its Image header) is loaded at
/// 0x80000 and entered at EL2, as the Pi firmware does. The board builds no
/// device tree of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raspi4b {
    pub image: PathBuf,
    pub dtb: PathBuf,
    pub extra: Vec<String>,
}

impl Raspi4b {
    pub fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "-M".into(),
            "raspi4b".into(),
            "-kernel".into(),
            self.image.display().to_string(),
            "-dtb".into(),
            self.dtb.display().to_string(),
            "-nographic".into(),
            // Both UARTs on the console: the PL011 (first serial) and the
            // mini-UART (second), which the Pi's device tree names as
            // stdout and which a real Pi wires to GPIO 14/15. The monitor
            // shares the mux, so Ctrl-A X still quits.
            "-chardev".into(),
            "stdio,id=console,mux=on".into(),
            "-serial".into(),
            "chardev:console".into(),
            "-serial".into(),
            "chardev:console".into(),
            "-mon".into(),
            "chardev=console,mode=readline".into(),
        ];
        a.extend(self.extra.iter().cloned());
        a
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(QEMU);
        c.args(self.args());
        c
    }
}

/// The MiB that QEMU's `-m SIZE` gives: a number with an optional K/M/G/T
/// suffix (no suffix means MiB). `None` for anything else or for sizes that
/// are not whole MiB.
pub fn mem_mib(size: &str) -> Option<u64> {
    let s = size.trim();
    let (num, unit_kib): (&str, u64) = match s.char_indices().last()? {
        (i, 'K' | 'k') => (&s[..i], 1),
        (i, 'M' | 'm') => (&s[..i], 1 << 10),
        (i, 'G' | 'g') => (&s[..i], 1 << 20),
        (i, 'T' | 't') => (&s[..i], 1 << 30),
        _ => (s, 1 << 10),
    };
    let n: u64 = num.parse().ok()?;
    let kib = n.checked_mul(unit_kib)?;
    (kib % 1024 == 0 && kib > 0).then_some(kib / 1024)
}

/// `(major, minor, micro)` from `qemu-system-aarch64 --version` output.
pub fn parse_version(out: &str) -> Option<(u32, u32, u32)> {
    let rest = out.split("version ").nth(1)?;
    let ver = rest
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    let mut it = ver.split('.').map(|p| p.parse::<u32>().ok());
    Some((
        it.next()??,
        it.next().flatten().unwrap_or(0),
        it.next().flatten().unwrap_or(0),
    ))
}

/// The installed QEMU's version, or `None` if there is no QEMU on PATH.
pub fn installed_version() -> Option<(u32, u32, u32)> {
    let out = Command::new(QEMU).arg("--version").output().ok()?;
    if !out.status.success() {
        return None;
    }
    parse_version(&String::from_utf8_lossy(&out.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virt_command_line() {
        let mut v = Virt::new(Path::new("target/images/qemu-virt/bulkhead.img"));
        v.gic = 2;
        v.smp = 1;
        v.mem = "2G".into();
        v.extra = vec!["-device".into(), "loader,file=b.bin,addr=0x50000000".into()];
        assert_eq!(
            v.args().join(" "),
            "-M virt,virtualization=on,gic-version=2 -cpu cortex-a72 -smp 1 -m 2G -nographic \
             -kernel target/images/qemu-virt/bulkhead.img -device loader,file=b.bin,addr=0x50000000"
        );
        assert!(v.validate().is_ok());
        v.smp = 9;
        assert!(v.validate().is_err());
        v.smp = 4;
        v.gic = 4;
        assert!(v.validate().is_err());
        v.gic = 3;
        v.mem = "lots".into();
        assert!(v.validate().unwrap_err().contains("lots"));
    }

    #[test]
    fn raspi_command_line() {
        let r = Raspi4b {
            image: "i.img".into(),
            dtb: "b.dtb".into(),
            extra: vec![],
        };
        assert_eq!(
            r.args().join(" "),
            "-M raspi4b -kernel i.img -dtb b.dtb -nographic -chardev stdio,id=console,mux=on \
             -serial chardev:console -serial chardev:console -mon chardev=console,mode=readline"
        );
    }

    #[test]
    fn memory_sizes_as_qemu_reads_them() {
        assert_eq!(mem_mib("1G"), Some(1024));
        assert_eq!(mem_mib("2g"), Some(2048));
        assert_eq!(mem_mib("512M"), Some(512));
        assert_eq!(mem_mib("512"), Some(512));
        assert_eq!(mem_mib("2048K"), Some(2));
        assert_eq!(mem_mib("1T"), Some(1 << 20));
        assert_eq!(mem_mib("1000K"), None);
        assert_eq!(mem_mib("0"), None);
        assert_eq!(mem_mib("G"), None);
        assert_eq!(mem_mib(""), None);
    }

    #[test]
    fn versions() {
        let out = "QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\nCopyright";
        assert_eq!(parse_version(out), Some((10, 0, 2)));
        assert_eq!(
            parse_version("QEMU emulator version 7.2.15 (Debian)"),
            Some((7, 2, 15))
        );
        assert_eq!(parse_version("QEMU emulator version 9.1"), Some((9, 1, 0)));
        assert_eq!(parse_version("nonsense"), None);
    }
}
