//! Initramfs archives for the Linux guest, written in Rust: a newc cpio
//! writer (and a reader, for tests and checks), gzip, and the busybox root
//! file system that `xtask::linux` packs.
//!
//! The newc format (`cpio -H newc`, what the kernel unpacks): every entry is
//! a 110-byte ASCII header (`070701` and thirteen 8-digit hex fields), the
//! NUL-terminated name padded to a multiple of 4 bytes (counting the
//! header), then the data padded to a multiple of 4. A symbolic link's data
//! is its target. The archive ends with an entry named `TRAILER!!!`.
//!
//! Archives are reproducible: mtime, uid and gid are 0 and inode numbers
//! count up from 1, so the same inputs give the same bytes.

use flate2::{Compression, GzBuilder};
use std::collections::BTreeSet;
use std::io::Write;

const MAGIC: &[u8; 6] = b"070701";
const HEADER_LEN: usize = 110;
const TRAILER: &str = "TRAILER!!!";

pub const S_IFMT: u32 = 0o170000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFBLK: u32 = 0o060000;

/// A newc cpio archive being written. Paths are relative to the archive's
/// root (`bin/sh`; a leading `/` is dropped); every parent directory must be
/// added before what it holds, as the kernel creates entries in order.
#[derive(Debug, Default)]
pub struct Cpio {
    buf: Vec<u8>,
    next_ino: u32,
    dirs: BTreeSet<String>,
    names: BTreeSet<String>,
}

impl Cpio {
    pub fn new() -> Self {
        Cpio::default()
    }

    /// The checked, normalised form of `path`.
    fn name(&self, path: &str) -> Result<String, String> {
        let p = path.trim_start_matches('/');
        if p.is_empty() {
            return Err("cpio: an empty path (the root needs no entry)".into());
        }
        if p.len() > 4096 {
            return Err(format!("cpio: path too long: {}...", &p[..64]));
        }
        if p.contains('\0') {
            return Err(format!("cpio: NUL in path {p:?}"));
        }
        if p == TRAILER {
            return Err(format!("cpio: {TRAILER} is the end marker, not a path"));
        }
        for c in p.split('/') {
            if c.is_empty() || c == "." || c == ".." {
                return Err(format!("cpio: path {p:?} has an empty, . or .. component"));
            }
        }
        if self.names.contains(p) {
            return Err(format!("cpio: {p} added twice"));
        }
        if let Some((parent, _)) = p.rsplit_once('/') {
            if !self.dirs.contains(parent) {
                return Err(format!("cpio: {p} added before its directory {parent}"));
            }
        }
        Ok(p.to_string())
    }

    #[allow(clippy::too_many_arguments)]
    fn entry(
        &mut self,
        name: &str,
        mode: u32,
        nlink: u32,
        rdev: (u32, u32),
        data: &[u8],
    ) -> Result<(), String> {
        let size = u32::try_from(data.len())
            .map_err(|_| format!("cpio: {name} is over 4 GiB, which newc cannot hold"))?;
        let ino = if name == TRAILER {
            0
        } else {
            self.next_ino += 1;
            self.next_ino
        };
        let fields: [u32; 13] = [
            ino,
            mode,
            0, // uid
            0, // gid
            nlink,
            0, // mtime
            size,
            0, // devmajor: of the file system it came from
            0, // devminor
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0, // check: only for the crc format
        ];
        self.buf.extend_from_slice(MAGIC);
        for f in fields {
            self.buf.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(0);
        pad4(&mut self.buf);
        self.buf.extend_from_slice(data);
        pad4(&mut self.buf);
        Ok(())
    }

    /// A directory; `mode` holds the permission bits (0o755).
    pub fn dir(&mut self, path: &str, mode: u32) -> Result<(), String> {
        let name = self.name(path)?;
        self.entry(&name, S_IFDIR | (mode & 0o7777), 2, (0, 0), &[])?;
        self.names.insert(name.clone());
        self.dirs.insert(name);
        Ok(())
    }

    /// Every missing directory on the way to `path` (itself included).
    pub fn dirs_to(&mut self, path: &str) -> Result<(), String> {
        let p = path.trim_start_matches('/');
        let mut at = String::new();
        for c in p.split('/') {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(c);
            if !self.dirs.contains(&at) {
                self.dir(&at, 0o755)?;
            }
        }
        Ok(())
    }

    /// A regular file; `mode` holds the permission bits.
    pub fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> Result<(), String> {
        let name = self.name(path)?;
        self.entry(&name, S_IFREG | (mode & 0o7777), 1, (0, 0), data)?;
        self.names.insert(name);
        Ok(())
    }

    /// A symbolic link to `target` (not checked: it may dangle).
    pub fn symlink(&mut self, path: &str, target: &str) -> Result<(), String> {
        let name = self.name(path)?;
        if target.is_empty() || target.contains('\0') {
            return Err(format!("cpio: {name}: bad link target {target:?}"));
        }
        self.entry(&name, S_IFLNK | 0o777, 1, (0, 0), target.as_bytes())?;
        self.names.insert(name);
        Ok(())
    }

    /// A character device node.
    pub fn char_dev(
        &mut self,
        path: &str,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> Result<(), String> {
        let name = self.name(path)?;
        self.entry(&name, S_IFCHR | (mode & 0o7777), 1, (major, minor), &[])?;
        self.names.insert(name);
        Ok(())
    }

    /// Whether `path` was added.
    pub fn contains(&self, path: &str) -> bool {
        self.names.contains(path.trim_start_matches('/'))
    }

    /// The archive, with its trailer.
    pub fn finish(mut self) -> Vec<u8> {
        // The trailer's name is fixed and valid; entry() cannot fail on it.
        let _ = self.entry(TRAILER, 0, 1, (0, 0), &[]);
        self.buf
    }
}

fn pad4(buf: &mut Vec<u8>) {
    while !buf.len().is_multiple_of(4) {
        buf.push(0);
    }
}

/// One entry read back from a newc archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub ino: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub mtime: u32,
    pub rdev: (u32, u32),
    pub data: Vec<u8>,
}

impl Entry {
    pub fn kind(&self) -> u32 {
        self.mode & S_IFMT
    }
    pub fn perm(&self) -> u32 {
        self.mode & 0o7777
    }
    /// A symbolic link's target.
    pub fn link_target(&self) -> Option<&str> {
        (self.kind() == S_IFLNK)
            .then(|| std::str::from_utf8(&self.data).ok())
            .flatten()
    }
}

/// Reads a newc archive up to its trailer (entries after it are not read).
pub fn parse(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut at = 0usize;
    let mut out = Vec::new();
    loop {
        let h = bytes
            .get(at..at + HEADER_LEN)
            .ok_or(format!("cpio: truncated header at offset {at}"))?;
        if &h[..6] != MAGIC {
            return Err(format!(
                "cpio: no newc magic at offset {at} ({:?})",
                String::from_utf8_lossy(&h[..6])
            ));
        }
        let mut f = [0u32; 13];
        for (i, v) in f.iter_mut().enumerate() {
            let s = &h[6 + 8 * i..6 + 8 * (i + 1)];
            let s = std::str::from_utf8(s).map_err(|_| format!("cpio: bad header at {at}"))?;
            *v = u32::from_str_radix(s, 16)
                .map_err(|_| format!("cpio: bad hex field {s:?} at offset {at}"))?;
        }
        let [ino, mode, uid, gid, nlink, mtime, size, _, _, rmaj, rmin, namesize, _] = f;
        let name_start = at + HEADER_LEN;
        let namesize = namesize as usize;
        if namesize == 0 {
            return Err(format!("cpio: entry at {at} has no name"));
        }
        let raw_name = bytes
            .get(name_start..name_start + namesize)
            .ok_or(format!("cpio: truncated name at offset {name_start}"))?;
        if raw_name.last() != Some(&0) {
            return Err(format!("cpio: name at {name_start} is not NUL-terminated"));
        }
        let name = String::from_utf8(raw_name[..namesize - 1].to_vec())
            .map_err(|_| format!("cpio: name at {name_start} is not UTF-8"))?;
        let data_start = (name_start + namesize).next_multiple_of(4);
        let data = bytes
            .get(data_start..data_start + size as usize)
            .ok_or(format!("cpio: {name}: truncated data"))?
            .to_vec();
        at = (data_start + size as usize).next_multiple_of(4);
        if name == TRAILER {
            return Ok(out);
        }
        out.push(Entry {
            name,
            ino,
            mode,
            uid,
            gid,
            nlink,
            mtime,
            rdev: (rmaj, rmin),
            data,
        });
    }
}

/// gzip with a zero mtime, so the output depends on the input only.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut enc = GzBuilder::new()
        .mtime(0)
        .write(Vec::with_capacity(data.len() / 2), Compression::best());
    enc.write_all(data).map_err(|e| format!("gzip: {e}"))?;
    enc.finish().map_err(|e| format!("gzip: {e}"))
}

/// gunzip, for a gzip stream (magic 1f 8b).
pub fn gunzip(data: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    if !data.starts_with(&[0x1f, 0x8b]) {
        return Err("not gzip data (no 1f 8b magic)".into());
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(|e| format!("gunzip: {e}"))?;
    Ok(out)
}

/// The applet names compiled into a busybox binary: its sorted table of
/// NUL-separated names, which starts with `[` and `[[` and ends at an empty
/// name. None when the table is not found (a busybox built without `[`).
pub fn busybox_applets(busybox: &[u8]) -> Option<Vec<String>> {
    let start = busybox.windows(5).position(|w| w == b"[\0[[\0")?;
    let mut names: Vec<String> = Vec::new();
    let mut at = start;
    loop {
        let len = busybox.get(at..)?.iter().position(|&b| b == 0)?;
        if len == 0 {
            break;
        }
        let name = std::str::from_utf8(&busybox[at..at + len]).ok()?;
        let plausible = name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"[-_.".contains(&b));
        if !plausible || names.last().is_some_and(|prev| prev.as_str() >= name) {
            break;
        }
        names.push(name.to_string());
        at += len + 1;
    }
    (names.len() > 2).then_some(names)
}

/// `BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)`, as the binary says it.
pub fn busybox_version(busybox: &[u8]) -> Option<String> {
    let start = busybox.windows(9).position(|w| w == b"BusyBox v")?;
    let rest = &busybox[start..];
    let end = rest
        .iter()
        .position(|&b| b == 0 || b == b'\n')
        .unwrap_or(rest.len())
        .min(120);
    let s = std::str::from_utf8(&rest[..end]).ok()?.trim();
    (s.len() > 9).then(|| s.to_string())
}

/// The applets the init script, the DHCP script and a usable shell need.
/// The build fails when busybox lacks one of them.
pub const REQUIRED_APPLETS: &[&str] = &[
    "sh", "cat", "dd", "echo", "gzip", "head", "hostname", "ifconfig", "insmod", "ip", "ls",
    "mkdir", "modprobe", "mount", "poweroff", "route", "sed", "setsid", "cttyhack", "sleep",
    "udhcpc", "uname", "umount",
];

/// A kernel module to carry, at `path` under `/lib/modules/<release>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFile {
    pub path: String,
    pub data: Vec<u8>,
}

/// What goes into the Linux guest's initramfs.
#[derive(Debug, Clone, Default)]
pub struct RootFs {
    /// The static busybox binary, installed as /bin/busybox.
    pub busybox: Vec<u8>,
    /// /init.
    pub init: Vec<u8>,
    /// Extra files: (path in the archive, permission bits, bytes).
    pub files: Vec<(String, u32, Vec<u8>)>,
    /// The kernel release the modules are for (`6.1.0-56-arm64`).
    pub kernel_release: String,
    /// Module files and the contents of their modules.dep.
    pub modules: Vec<ModuleFile>,
    pub modules_dep: String,
}

/// The directories every guest root has.
const DIRS: &[&str] = &[
    "bin", "dev", "etc", "lib", "mnt", "proc", "root", "run", "sys", "tmp", "usr", "var",
];

/// Lays out the root file system and returns the (uncompressed) archive.
pub fn build_rootfs(r: &RootFs) -> Result<Vec<u8>, String> {
    let mut c = Cpio::new();
    for d in DIRS {
        let mode = if *d == "tmp" { 0o1777 } else { 0o755 };
        c.dir(d, mode)?;
    }
    // The kernel opens /dev/console for init before any devtmpfs is mounted.
    c.char_dev("dev/console", 0o600, 5, 1)?;
    c.char_dev("dev/null", 0o666, 1, 3)?;
    c.symlink("sbin", "bin")?;
    c.symlink("usr/bin", "../bin")?;
    c.symlink("usr/sbin", "../bin")?;
    c.file("bin/busybox", 0o755, &r.busybox)?;
    let applets = match busybox_applets(&r.busybox) {
        Some(all) => {
            let missing: Vec<&str> = REQUIRED_APPLETS
                .iter()
                .copied()
                .filter(|a| !all.iter().any(|n| n == a))
                .collect();
            if !missing.is_empty() {
                return Err(format!(
                    "busybox lacks applets the guest needs: {}",
                    missing.join(", ")
                ));
            }
            all
        }
        None => REQUIRED_APPLETS.iter().map(|s| s.to_string()).collect(),
    };
    for a in applets.iter().filter(|a| a.as_str() != "busybox") {
        c.symlink(&format!("bin/{a}"), "busybox")?;
    }
    c.file("init", 0o755, &r.init)?;
    if !r.modules.is_empty() {
        if r.kernel_release.is_empty() || r.kernel_release.contains('/') {
            return Err(format!("bad kernel release {:?}", r.kernel_release));
        }
        let base = format!("lib/modules/{}", r.kernel_release);
        c.dirs_to(&base)?;
        for m in &r.modules {
            let path = format!("{base}/{}", m.path.trim_start_matches('/'));
            if let Some((dir, _)) = path.rsplit_once('/') {
                c.dirs_to(dir)?;
            }
            c.file(&path, 0o644, &m.data)?;
        }
        c.file(
            &format!("{base}/modules.dep"),
            0o644,
            r.modules_dep.as_bytes(),
        )?;
    }
    for (path, mode, data) in &r.files {
        let p = path.trim_start_matches('/');
        if let Some((dir, _)) = p.rsplit_once('/') {
            c.dirs_to(dir)?;
        }
        c.file(p, *mode, data)?;
    }
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut c = Cpio::new();
        c.dir("bin", 0o755).unwrap();
        c.dir("dev", 0o755).unwrap();
        c.char_dev("dev/console", 0o600, 5, 1).unwrap();
        c.char_dev("/dev/null", 0o666, 1, 3).unwrap();
        c.file("bin/busybox", 0o755, b"\x7fELF not really").unwrap();
        c.symlink("bin/sh", "busybox").unwrap();
        c.file("init", 0o755, b"#!/bin/sh\necho hi\n").unwrap();
        c.file("empty", 0o644, b"").unwrap();
        c.finish()
    }

    #[test]
    fn writes_and_parses_back() {
        let a = sample();
        assert_eq!(a.len() % 4, 0);
        let e = parse(&a).unwrap();
        let names: Vec<&str> = e.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "bin",
                "dev",
                "dev/console",
                "dev/null",
                "bin/busybox",
                "bin/sh",
                "init",
                "empty"
            ]
        );
        let by = |n: &str| e.iter().find(|e| e.name == n).unwrap();
        assert_eq!(by("bin").kind(), S_IFDIR);
        assert_eq!(by("bin").perm(), 0o755);
        assert_eq!(by("dev/console").kind(), S_IFCHR);
        assert_eq!(by("dev/console").rdev, (5, 1));
        assert_eq!(by("dev/null").rdev, (1, 3));
        assert_eq!(by("bin/sh").link_target(), Some("busybox"));
        assert_eq!(by("init").data, b"#!/bin/sh\necho hi\n");
        assert_eq!(by("init").mode, S_IFREG | 0o755);
        assert!(by("empty").data.is_empty());
        // Distinct inodes, none zero, reproducible headers.
        let inos: BTreeSet<u32> = e.iter().map(|e| e.ino).collect();
        assert_eq!(inos.len(), e.len());
        assert!(!inos.contains(&0));
        assert!(e.iter().all(|e| e.mtime == 0 && e.uid == 0 && e.gid == 0));
        assert_eq!(a, sample());
        // The trailer is last.
        assert!(a
            .windows(TRAILER.len())
            .rposition(|w| w == TRAILER.as_bytes())
            .is_some_and(|p| p > a.len() - 16));
    }

    #[test]
    fn header_layout_byte_by_byte() {
        let mut c = Cpio::new();
        c.file("ab", 0o644, b"xyz").unwrap();
        let a = c.finish();
        let h = std::str::from_utf8(&a[..HEADER_LEN]).unwrap();
        assert_eq!(
            h,
            concat!(
                "070701", "00000001", "000081a4", "00000000", "00000000", "00000001", "00000000",
                "00000003", "00000000", "00000000", "00000000", "00000000", "00000003", "00000000"
            )
        );
        // 110 + "ab\0" = 113, padded to 116; data 3 bytes padded to 120.
        assert_eq!(&a[110..116], b"ab\0\0\0\0");
        assert_eq!(&a[116..120], b"xyz\0");
        assert_eq!(&a[120..126], MAGIC);
    }

    #[test]
    fn refuses_bad_paths() {
        let mut c = Cpio::new();
        assert!(c
            .file("a/b", 0o644, b"")
            .unwrap_err()
            .contains("before its directory"));
        assert!(c.file("", 0o644, b"").is_err());
        assert!(c.file("x/../y", 0o644, b"").is_err());
        assert!(c.file("x//y", 0o644, b"").is_err());
        assert!(c.file(TRAILER, 0o644, b"").is_err());
        c.file("f", 0o644, b"").unwrap();
        assert!(c.file("/f", 0o644, b"").unwrap_err().contains("twice"));
        assert!(c.symlink("l", "").is_err());
        c.dirs_to("a/b/c").unwrap();
        c.file("a/b/c/d", 0o600, b"1").unwrap();
        assert!(c.contains("/a/b"));
    }

    #[test]
    fn parse_rejects_damage() {
        let a = sample();
        assert!(parse(&a[..50]).unwrap_err().contains("truncated"));
        let mut bad = a.clone();
        bad[0] = b'1';
        assert!(parse(&bad).unwrap_err().contains("magic"));
        let mut bad = a.clone();
        bad[10] = b'g';
        assert!(parse(&bad).unwrap_err().contains("hex"));
        // Without its trailer the archive runs out.
        let cut = a.len() - 124;
        assert!(parse(&a[..cut]).is_err());
    }

    #[test]
    fn gzip_round_trip_is_reproducible() {
        let a = sample();
        let z = gzip(&a).unwrap();
        assert_eq!(&z[..2], &[0x1f, 0x8b]);
        assert_eq!(z, gzip(&a).unwrap());
        assert_eq!(gunzip(&z).unwrap(), a);
        assert!(gunzip(&a).is_err());
    }

    /// GNU cpio lists the archive the same way (skipped when cpio is not
    /// installed: `apt-get install cpio`).
    #[test]
    fn gnu_cpio_lists_it() {
        use std::process::{Command, Stdio};
        let a = sample();
        let mut child = match Command::new("cpio")
            .args(["-t", "-v", "--quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(c) => c,
            Err(_) => {
                eprintln!("cpio not installed: GNU cpio check skipped");
                return;
            }
        };
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(&a));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(
            out.status.success(),
            "cpio -t: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 8, "{text}");
        let line = |name: &str| {
            *lines
                .iter()
                .find(|l| l.split_whitespace().any(|w| w == name))
                .unwrap_or_else(|| panic!("{name} not listed:\n{text}"))
        };
        assert!(line("bin").starts_with("drwxr-xr-x"));
        assert!(line("dev/console").starts_with("crw-------"));
        assert!(line("dev/console").contains("5,"));
        assert!(line("bin/sh").starts_with("lrwxrwxrwx"));
        assert!(line("bin/sh").contains("-> busybox"));
        assert!(line("init").starts_with("-rwxr-xr-x"));
    }

    #[test]
    fn busybox_tables() {
        let mut bin = b"\x7fELF....BusyBox v1.35.0 (Debian 1:1.35.0-4)\0junk".to_vec();
        bin.extend_from_slice(b"\0[\0[[\0acpid\0ash\0cat\0sh\0\0more");
        assert_eq!(
            busybox_applets(&bin).unwrap(),
            ["[", "[[", "acpid", "ash", "cat", "sh"]
        );
        assert_eq!(
            busybox_version(&bin).as_deref(),
            Some("BusyBox v1.35.0 (Debian 1:1.35.0-4)")
        );
        assert_eq!(busybox_applets(b"no table"), None);
        assert_eq!(busybox_version(b"no version"), None);
    }

    #[test]
    fn rootfs_layout() {
        let mut bb = b"\x7fELF".to_vec();
        bb.extend_from_slice(b"\0[\0[[\0");
        for a in REQUIRED_APPLETS.iter().copied().collect::<BTreeSet<_>>() {
            bb.extend_from_slice(a.as_bytes());
            bb.push(0);
        }
        bb.push(0);
        let r = RootFs {
            busybox: bb.clone(),
            init: b"#!/bin/sh\n".to_vec(),
            files: vec![(
                "etc/udhcpc/default.script".into(),
                0o755,
                b"#!/bin/sh\n".to_vec(),
            )],
            kernel_release: "6.1.0-1-arm64".into(),
            modules: vec![ModuleFile {
                path: "kernel/fs/ext4/ext4.ko".into(),
                data: b"ko".to_vec(),
            }],
            modules_dep: "kernel/fs/ext4/ext4.ko:\n".into(),
        };
        let e = parse(&build_rootfs(&r).unwrap()).unwrap();
        let by = |n: &str| {
            e.iter()
                .find(|e| e.name == n)
                .unwrap_or_else(|| panic!("{n} missing"))
        };
        assert_eq!(by("dev/console").rdev, (5, 1));
        assert_eq!(by("dev/null").rdev, (1, 3));
        assert_eq!(by("bin/busybox").data, bb);
        assert_eq!(by("bin/sh").link_target(), Some("busybox"));
        assert_eq!(by("bin/cttyhack").link_target(), Some("busybox"));
        assert_eq!(by("sbin").link_target(), Some("bin"));
        assert_eq!(by("init").mode, S_IFREG | 0o755);
        assert_eq!(by("tmp").perm(), 0o1777);
        assert_eq!(
            by("lib/modules/6.1.0-1-arm64/kernel/fs/ext4/ext4.ko").data,
            b"ko"
        );
        assert_eq!(
            by("lib/modules/6.1.0-1-arm64/modules.dep").data,
            b"kernel/fs/ext4/ext4.ko:\n"
        );
        assert_eq!(by("etc/udhcpc/default.script").perm(), 0o755);

        // A busybox without a needed applet is refused by name.
        let mut thin = b"\0[\0[[\0ash\0cat\0\0".to_vec();
        thin.extend_from_slice(b"x");
        let err = build_rootfs(&RootFs { busybox: thin, ..r }).unwrap_err();
        assert!(err.contains("cttyhack"), "{err}");
    }
}
