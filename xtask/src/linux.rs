//! The Linux guest: Debian's arm64 kernel and a busybox initramfs built here
//! from `partitions/linux/`, the native QEMU command line that boots them
//! (the baseline for benchmarks) and disk images for virtio-blk runs.
//!
//! Caches (outside git):
//! - `.cache/debian-arm64/Image`: the kernel, gunzipped from the package's
//!   vmlinuz by `guests::fetch`;
//! - `.cache/debian-arm64/modules/<release>/`: the modules in [`MODULES`]
//!   and their dependencies (`guests::fetch_modules`);
//! - `.cache/linux/initramfs-busybox-<version>-<hash>.cpio.gz`: the hash
//!   covers everything under `partitions/linux/`, busybox, the modules and
//!   the layout version [`LAYOUT`], so any change gives a new file.

use crate::guests;
use crate::images::workspace_root;
use crate::initramfs::{self, ModuleFile, RootFs};
use crate::qemu::{check_virt, virt_args, QEMU};
use sha2::{Digest, Sha256};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Image names a partition configuration may use (`xtask::pack`): the
/// kernel Image and the initramfs, built if needed.
pub const KERNEL_ARTIFACT: &str = "@debian-linux";
pub const INITRAMFS_ARTIFACT: &str = "@debian-initramfs";

/// Bump when `initramfs::build_rootfs` lays the archive out differently.
pub const LAYOUT: u32 = 1;

/// Kernel modules the initramfs carries (with their dependencies): the
/// virtio-mmio transport, virtio-blk, virtio-net and ext4 (which also
/// mounts ext2/ext3), plus crc32c for ext4 metadata checksums. The init
/// script loads them only when a `bulkhead.*` option asks for a device, so
/// a plain boot stays as short as possible.
pub const MODULES: &[&str] = &[
    "virtio_mmio",
    "virtio_blk",
    "virtio_net",
    "ext4",
    "crc32c_generic",
];

/// Where the init script and the files baked into the initramfs live.
pub fn source_dir() -> PathBuf {
    workspace_root().join("partitions").join("linux")
}

pub fn cache_dir() -> PathBuf {
    workspace_root().join(".cache").join("linux")
}

/// The kernel and initramfs to boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linux {
    /// The uncompressed arm64 Image.
    pub kernel: PathBuf,
    /// The gzip'ed newc initramfs.
    pub initramfs: PathBuf,
    /// `6.1.0-56-arm64`.
    pub kernel_release: String,
    /// As busybox prints it (`BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)`).
    pub busybox_version: String,
}

/// The kernel Image path (fetching Debian's packages on first use), after
/// checking that it is an arm64 Image.
pub fn kernel() -> Result<PathBuf, String> {
    let g = guests::fetch(false)?;
    check_image(&g.kernel)?;
    Ok(g.kernel)
}

/// An arm64 Image has `ARM\x64` at byte 56.
pub fn check_image(path: &Path) -> Result<(), String> {
    use std::io::Read;
    let mut head = [0u8; 64];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if &head[56..60] != b"ARM\x64" {
        return Err(format!(
            "{} is not an arm64 Image (no ARM\\x64 magic at byte 56); \
             `cargo xtask fetch-guests --refresh` fetches it again",
            path.display()
        ));
    }
    Ok(())
}

/// The initramfs path, built if the cache has none for the current inputs.
pub fn initramfs() -> Result<PathBuf, String> {
    artifacts().map(|l| l.initramfs)
}

/// The kernel and the initramfs, fetched and built as needed. Tests call
/// this from many threads and processes at once: a lock file serializes
/// the fetch and the build, so no one reads a file another is writing.
pub fn artifacts() -> Result<Linux, String> {
    static IN_PROCESS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _here = IN_PROCESS.lock().unwrap_or_else(|p| p.into_inner());
    let dir = cache_dir();
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let lock_path = dir.join(".lock");
    let lock = fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    let g = guests::fetch(false)?;
    check_image(&g.kernel)?;
    let modules = guests::fetch_modules(&g, MODULES)?;
    let busybox =
        fs::read(&g.busybox).map_err(|e| format!("cannot read {}: {e}", g.busybox.display()))?;
    let busybox_version =
        initramfs::busybox_version(&busybox).unwrap_or("BusyBox (unknown)".into());
    let mut sources = read_sources(&source_dir())?;
    sources.push(Source {
        rel: format!("rootfs/{MGMT_TOOL_PATH}"),
        exec: true,
        data: build_mgmt_tool()?,
    });
    let mut module_files = Vec::new();
    for f in &modules.load_order {
        let p = modules.dir.join(f);
        let data = fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        module_files.push(ModuleFile {
            path: f.clone(),
            data,
        });
    }

    let key = cache_key(&busybox, &sources, &modules.modules_dep, &module_files);
    let name = format!(
        "initramfs-busybox-{}-{}.cpio.gz",
        version_tag(&busybox_version),
        &key[..16]
    );
    let path = dir.join(&name);
    if !path.is_file() {
        let rootfs = rootfs_from_sources(
            busybox,
            &sources,
            &modules.release,
            module_files,
            modules.modules_dep,
        )?;
        let cpio = initramfs::build_rootfs(&rootfs)?;
        let gz = initramfs::gzip(&cpio)?;
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // Written aside and renamed: another run may read or write it too.
        let tmp = dir.join(format!(".{name}.{}", std::process::id()));
        fs::write(&tmp, &gz).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        fs::rename(&tmp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        prune(&dir, KEEP_BUILT);
        eprintln!(
            "linux: built {} ({} KiB, {} KiB unpacked)",
            path.display(),
            gz.len() / 1024,
            cpio.len() / 1024
        );
    }
    Ok(Linux {
        kernel: g.kernel,
        initramfs: path,
        kernel_release: modules.release,
        busybox_version,
    })
}

/// How many built initramfs files the cache keeps (the newest).
const KEEP_BUILT: usize = 8;

/// Removes all but the `keep` newest `initramfs-*.cpio.gz` files in `dir`.
/// Another run may still be about to boot an older one, hence not just one.
fn prune(dir: &Path, keep: usize) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut built: Vec<(std::time::SystemTime, PathBuf)> = rd
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("initramfs-") && n.ends_with(".cpio.gz")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    built.sort_by_key(|b| std::cmp::Reverse(b.0));
    for (_, p) in built.into_iter().skip(keep) {
        let _ = fs::remove_file(p);
    }
}

/// Where the manager partition's program goes in the initramfs (every
/// Linux guest gets it; only the manager's calls are carried out).
pub const MGMT_TOOL_PATH: &str = "bin/bulkhead-mgmt";
/// The Rust target of the Linux guests' own programs.
pub const LINUX_TARGET: &str = "aarch64-unknown-linux-musl";

/// Builds `partitions/manager` (`bulkhead-mgmt`) as a static arm64 Linux
/// program and returns its bytes.
pub fn build_mgmt_tool() -> Result<Vec<u8>, String> {
    let path = crate::images::cargo_release(
        "bulkhead-mgmt",
        LINUX_TARGET,
        "bulkhead-mgmt",
        &format!("bulkhead-mgmt for {LINUX_TARGET}"),
    )?;
    let bytes = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // A static arm64 ELF executable: what the guest kernel can run.
    if bytes.get(..4) != Some(b"\x7fELF") || bytes.get(18..20) != Some(&[0xB7, 0x00][..]) {
        return Err(format!("{} is not an arm64 ELF", path.display()));
    }
    Ok(bytes)
}

/// A file under `partitions/linux/`: its path there, whether it is
/// executable, its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub rel: String,
    pub exec: bool,
    pub data: Vec<u8>,
}

/// Every file under `dir`, sorted by path.
pub fn read_sources(dir: &Path) -> Result<Vec<Source>, String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<Source>) -> Result<(), String> {
        let rd = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for e in rd {
            let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
            let p = e.path();
            let meta = fs::metadata(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            if meta.is_dir() {
                walk(&p, base, out)?;
                continue;
            }
            let rel = p
                .strip_prefix(base)
                .map_err(|_| format!("{} is outside {}", p.display(), base.display()))?
                .to_str()
                .ok_or(format!("{}: not a UTF-8 path", p.display()))?
                .to_string();
            // Editor leftovers do not belong in the guest.
            let file = rel.rsplit('/').next().unwrap_or(&rel);
            if file.starts_with('.') || file.ends_with('~') || file.ends_with(".swp") {
                continue;
            }
            let data = fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            out.push(Source {
                rel,
                exec: meta.permissions().mode() & 0o111 != 0,
                data,
            });
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// `init` becomes /init; `rootfs/X` becomes /X (mode 0755 if executable,
/// else 0644); anything else (the README) stays out.
pub fn rootfs_from_sources(
    busybox: Vec<u8>,
    sources: &[Source],
    release: &str,
    modules: Vec<ModuleFile>,
    modules_dep: String,
) -> Result<RootFs, String> {
    let init = sources
        .iter()
        .find(|s| s.rel == "init")
        .ok_or("partitions/linux/init is missing")?;
    if !init.data.starts_with(b"#!") {
        return Err("partitions/linux/init does not start with #!".into());
    }
    let files = sources
        .iter()
        .filter_map(|s| {
            let to = s.rel.strip_prefix("rootfs/")?;
            Some((
                to.to_string(),
                if s.exec { 0o755 } else { 0o644 },
                s.data.clone(),
            ))
        })
        .collect();
    Ok(RootFs {
        busybox,
        init: init.data.clone(),
        files,
        kernel_release: release.to_string(),
        modules,
        modules_dep,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 over everything that goes into the initramfs.
pub fn cache_key(
    busybox: &[u8],
    sources: &[Source],
    modules_dep: &str,
    modules: &[ModuleFile],
) -> String {
    let mut h = Sha256::new();
    let mut field = |tag: &str, data: &[u8]| {
        h.update(tag.as_bytes());
        h.update((data.len() as u64).to_le_bytes());
        h.update(data);
    };
    field("layout", &LAYOUT.to_le_bytes());
    field("busybox", busybox);
    for s in sources {
        field("source", s.rel.as_bytes());
        field(if s.exec { "exec" } else { "plain" }, &s.data);
    }
    field("modules.dep", modules_dep.as_bytes());
    for m in modules {
        field("module", m.path.as_bytes());
        field("ko", &m.data);
    }
    hex(&h.finalize())
}

/// `1.35.0-4+deb12u1+b1` from `BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)`:
/// the packaged version if there is one, else the upstream one; only
/// characters safe in a file name.
pub fn version_tag(version: &str) -> String {
    let upstream = version
        .strip_prefix("BusyBox v")
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("unknown");
    let packaged = version
        .split_once("(Debian ")
        .and_then(|(_, r)| r.split(')').next())
        .map(|v| v.rsplit(':').next().unwrap_or(v));
    packaged
        .unwrap_or(upstream)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Linux booted directly on QEMU's `virt` (no hypervisor): the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeLinux {
    pub smp: u32,
    /// As given to `-m`.
    pub mem: String,
    /// 2 or 3.
    pub gic: u8,
    /// Appended to the kernel command line after `console=ttyAMA0`
    /// (`bulkhead.name=a bulkhead.poweroff=1`).
    pub append: String,
    /// Use `-icount shift=0,sleep=off`: guest time follows executed
    /// instructions and repeats from run to run.
    pub icount: bool,
    /// Appended to QEMU's arguments as they are (drives, netdevs, ...).
    pub extra: Vec<String>,
}

impl Default for NativeLinux {
    fn default() -> Self {
        NativeLinux {
            smp: 2,
            mem: "1G".into(),
            gic: 3,
            append: String::new(),
            icount: false,
            extra: Vec::new(),
        }
    }
}

impl NativeLinux {
    pub fn validate(&self) -> Result<(), String> {
        let m = check_virt(self.gic, self.smp, &self.mem)?;
        if m < 64 {
            return Err(format!(
                "--mem {m} MiB is too small for Linux (64 MiB at least)"
            ));
        }
        if self.append.contains('\n') {
            return Err("--append must be one line".into());
        }
        Ok(())
    }

    /// The kernel command line.
    pub fn cmdline(&self) -> String {
        let a = self.append.trim();
        if a.is_empty() {
            "console=ttyAMA0".into()
        } else {
            format!("console=ttyAMA0 {a}")
        }
    }

    /// QEMU's arguments for these files.
    pub fn args(&self, l: &Linux) -> Vec<String> {
        let machine = format!("virt,gic-version={}", self.gic);
        let mut a = virt_args(machine, self.smp, &self.mem, &l.kernel);
        a.extend([
            "-initrd".into(),
            l.initramfs.display().to_string(),
            "-append".into(),
            self.cmdline(),
        ]);
        if self.icount {
            a.extend(["-icount".into(), "shift=0,sleep=off".into()]);
        }
        a.extend(self.extra.iter().cloned());
        a
    }

    /// The QEMU command (validated), for these files.
    pub fn command_for(&self, l: &Linux) -> Result<Command, String> {
        self.validate()?;
        let mut c = Command::new(QEMU);
        c.args(self.args(l));
        Ok(c)
    }

    /// The QEMU command, fetching and building the kernel and initramfs as
    /// needed.
    pub fn command(&self) -> Result<Command, String> {
        self.validate()?;
        self.command_for(&artifacts()?)
    }
}

/// The command as a shell line, quoted where needed (for copying).
pub fn shell_line(cmd: &Command) -> String {
    let quote = |s: &str| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c))
        {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
    };
    let mut line = quote(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        line.push(' ');
        line.push_str(&quote(&a.to_string_lossy()));
    }
    line
}

/// QEMU arguments for a virtio-blk disk (raw format) on virtio-mmio.
pub fn disk_args(image: &Path, id: &str) -> Vec<String> {
    vec![
        "-drive".into(),
        format!("file={},if=none,format=raw,id={id}", image.display()),
        "-device".into(),
        format!("virtio-blk-device,drive={id}"),
    ]
}

/// QEMU arguments for a virtio-net device on virtio-mmio with user-mode
/// networking (QEMU's DHCP server hands out 10.0.2.15).
pub fn net_args(id: &str) -> Vec<String> {
    vec![
        "-netdev".into(),
        format!("user,id={id}"),
        "-device".into(),
        format!("virtio-net-device,netdev={id}"),
    ]
}

/// `mkfs.ext2` (from e2fsprogs), installed with apt-get if it is missing
/// and this process may.
fn mkfs_ext2() -> Result<PathBuf, String> {
    let find = || {
        [
            "/usr/sbin/mkfs.ext2",
            "/sbin/mkfs.ext2",
            "/usr/bin/mkfs.ext2",
        ]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
    };
    if let Some(p) = find() {
        return Ok(p);
    }
    let install = match crate::setup::privilege() {
        crate::setup::Privilege::Root => {
            let mut c = Command::new("apt-get");
            c.args(["install", "-y", "-q", "e2fsprogs"]);
            Some(c)
        }
        crate::setup::Privilege::Sudo => {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get", "install", "-y", "-q", "e2fsprogs"]);
            Some(c)
        }
        crate::setup::Privilege::None => None,
    };
    if let Some(mut c) = install {
        eprintln!("linux: apt-get install e2fsprogs (for mkfs.ext2)");
        let _ = c
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .status();
    }
    find().ok_or("mkfs.ext2 is missing: install e2fsprogs (apt-get install e2fsprogs)".into())
}

/// Writes an ext2 file system image of `size_mib` MiB to `path` holding
/// `files` (path inside the file system, bytes), made by `mkfs.ext2 -d`.
/// ext2 because the guest's ext4 driver mounts it without journal or
/// checksum features, and `-d` fills it without mounting anything here.
pub fn ext2_disk(
    path: &Path,
    size_mib: u64,
    label: &str,
    files: &[(&str, &[u8])],
) -> Result<(), String> {
    if !(1..=65536).contains(&size_mib) {
        return Err(format!("disk size {size_mib} MiB is out of 1..=65536"));
    }
    if label.len() > 16 || label.contains(|c: char| !c.is_ascii_graphic()) {
        return Err(format!(
            "ext2 label {label:?}: up to 16 printable ASCII characters"
        ));
    }
    let mkfs = mkfs_ext2()?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let stage = parent.join(format!(
        ".{}.d.{}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&stage);
    let result = (|| {
        fs::create_dir_all(&stage)
            .map_err(|e| format!("cannot create {}: {e}", stage.display()))?;
        for (name, data) in files {
            let rel = Path::new(name.trim_start_matches('/'));
            if rel.as_os_str().is_empty()
                || rel
                    .components()
                    .any(|c| !matches!(c, std::path::Component::Normal(_)))
            {
                return Err(format!("bad file name {name:?} for the disk"));
            }
            let to = stage.join(rel);
            if let Some(d) = to.parent() {
                fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
            }
            fs::write(&to, data).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
        }
        let f =
            fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        f.set_len(size_mib << 20)
            .map_err(|e| format!("cannot size {}: {e}", path.display()))?;
        drop(f);
        let out = Command::new(&mkfs)
            .args(["-q", "-F", "-m", "0", "-L", label, "-d"])
            .arg(&stage)
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", mkfs.display()))?;
        if !out.status.success() {
            return Err(format!(
                "mkfs.ext2 -d for {} failed ({}):\n{}",
                path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    })();
    let _ = fs::remove_dir_all(&stage);
    result
}

/// Writes a raw disk of `sectors` 512-byte sectors, no file system: sector
/// N starts with `bulkhead sector N\n` and is zero after it, so a guest can
/// check what it reads with `dd if=/dev/vda bs=512 skip=N count=1`.
pub fn raw_disk(path: &Path, sectors: u64) -> Result<(), String> {
    if !(1..=(8 << 20)).contains(&sectors) {
        return Err(format!("{sectors} sectors is out of 1..=8Mi"));
    }
    let mut buf = vec![0u8; (sectors * 512) as usize];
    for (n, s) in buf.chunks_mut(512).enumerate() {
        let tag = format!("bulkhead sector {n}\n");
        s[..tag.len()].copy_from_slice(tag.as_bytes());
    }
    fs::write(path, buf).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Linux {
        Linux {
            kernel: "/k/Image".into(),
            initramfs: "/k/initramfs.cpio.gz".into(),
            kernel_release: "6.1.0-1-arm64".into(),
            busybox_version: "BusyBox v1.35.0".into(),
        }
    }

    #[test]
    fn native_command_line() {
        let n = NativeLinux {
            append: "bulkhead.name=a bulkhead.poweroff=1".into(),
            icount: true,
            extra: disk_args(Path::new("/d/disk.img"), "d0"),
            ..NativeLinux::default()
        };
        let a = n.args(&files()).join(" ");
        assert_eq!(
            a,
            "-M virt,gic-version=3 -cpu cortex-a72 -smp 2 -m 1G -nographic \
             -kernel /k/Image -initrd /k/initramfs.cpio.gz \
             -append console=ttyAMA0 bulkhead.name=a bulkhead.poweroff=1 \
             -icount shift=0,sleep=off \
             -drive file=/d/disk.img,if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0"
        );
        let c = n.command_for(&files()).unwrap();
        assert!(shell_line(&c)
            .contains(" -append 'console=ttyAMA0 bulkhead.name=a bulkhead.poweroff=1' "));
        assert_eq!(shell_line(&Command::new("it's")), "'it'\\''s'");
        assert_eq!(NativeLinux::default().cmdline(), "console=ttyAMA0");
        let bad = |n: NativeLinux| n.validate().unwrap_err();
        assert!(bad(NativeLinux {
            gic: 4,
            ..Default::default()
        })
        .contains("--gic"));
        assert!(bad(NativeLinux {
            gic: 2,
            smp: 9,
            ..Default::default()
        })
        .contains("--smp"));
        assert!(bad(NativeLinux {
            mem: "lots".into(),
            ..Default::default()
        })
        .contains("--mem"));
        assert!(bad(NativeLinux {
            mem: "32M".into(),
            ..Default::default()
        })
        .contains("small"));
        assert!(bad(NativeLinux {
            append: "a\nb".into(),
            ..Default::default()
        })
        .contains("line"));
    }

    #[test]
    fn version_tags() {
        assert_eq!(
            version_tag("BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)"),
            "1.35.0-4+deb12u1+b1"
        );
        assert_eq!(
            version_tag("BusyBox v1.36.1 (2024-01-01 00:00:00 UTC)"),
            "1.36.1"
        );
        assert_eq!(version_tag("garbage"), "unknown");
        assert_eq!(version_tag("BusyBox v1/2"), "1_2");
    }

    #[test]
    fn sources_map_to_the_root() {
        let s = |rel: &str, exec: bool, data: &[u8]| Source {
            rel: rel.into(),
            exec,
            data: data.to_vec(),
        };
        let sources = vec![
            s("README.md", false, b"docs"),
            s("init", true, b"#!/bin/sh\n"),
            s("rootfs/etc/motd", false, b"hi"),
            s("rootfs/etc/udhcpc/default.script", true, b"#!/bin/sh\n"),
        ];
        let r = rootfs_from_sources(vec![1], &sources, "r", vec![], String::new()).unwrap();
        assert_eq!(r.init, b"#!/bin/sh\n");
        assert_eq!(
            r.files,
            vec![
                ("etc/motd".to_string(), 0o644, b"hi".to_vec()),
                (
                    "etc/udhcpc/default.script".to_string(),
                    0o755,
                    b"#!/bin/sh\n".to_vec()
                ),
            ]
        );
        assert!(rootfs_from_sources(vec![], &sources[..1], "r", vec![], String::new()).is_err());
        let k1 = cache_key(b"bb", &sources, "", &[]);
        let mut changed = sources.clone();
        changed[1].data.push(b'#');
        assert_ne!(k1, cache_key(b"bb", &changed, "", &[]));
        assert_ne!(k1, cache_key(b"bb2", &sources, "", &[]));
        assert_eq!(k1, cache_key(b"bb", &sources, "", &[]));
        assert_eq!(k1.len(), 64);
    }

    /// The real sources: the init script and the files the guest needs.
    #[test]
    fn the_repository_sources() {
        let sources = read_sources(&source_dir()).unwrap();
        let init = sources.iter().find(|s| s.rel == "init").unwrap();
        assert!(init.exec, "partitions/linux/init must be executable");
        let text = String::from_utf8(init.data.clone()).unwrap();
        for line in [
            "say() { echo \"bulkhead-linux: $*\"; }",
            "say \"shell ready\"",
            "say \"powering off\"",
            "say \"$name up\"",
            "workload: round",
        ] {
            assert!(text.contains(line), "init lacks {line:?}");
        }
        assert!(sources
            .iter()
            .any(|s| s.rel == "rootfs/etc/udhcpc/default.script" && s.exec));
    }

    #[test]
    fn disks() {
        let dir = std::env::temp_dir().join(format!("bulkhead-disk-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let raw = dir.join("raw.img");
        raw_disk(&raw, 4).unwrap();
        let b = fs::read(&raw).unwrap();
        assert_eq!(b.len(), 2048);
        assert!(b[1536..].starts_with(b"bulkhead sector 3\n"));
        assert!(raw_disk(&raw, 0).is_err());

        let img = dir.join("fs.img");
        match ext2_disk(
            &img,
            4,
            "bulkhead",
            &[("hello.txt", b"hello\n"), ("d/x", b"x")],
        ) {
            Ok(()) => {
                let b = fs::read(&img).unwrap();
                assert_eq!(b.len(), 4 << 20);
                // The ext2 superblock magic 0xEF53 at 1024 + 56.
                assert_eq!(&b[1080..1082], &[0x53, 0xef]);
            }
            Err(e) if e.contains("mkfs.ext2 is missing") => eprintln!("skipped: {e}"),
            Err(e) => panic!("{e}"),
        }
        assert!(ext2_disk(&img, 4, "l", &[("../x", b"")]).is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}
