//! Guests nobody here wrote: Debian's arm64 kernel (its Image and the Pi 4
//! device tree it ships) and busybox-static, fetched with apt-get into a
//! cache outside git (`.cache/debian-arm64/`), without touching the
//! machine's dpkg architectures or package lists.

use crate::images::workspace_root;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const RPI4_DTB: &str = "bcm2711-rpi-4-b.dtb";
const RECORD: &str = "guests.txt";

/// What `fetch-guests` yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guests {
    /// The kernel package, e.g. `linux-image-6.1.0-NN-arm64`.
    pub kernel_package: String,
    pub kernel_version: String,
    /// Uncompressed arm64 Image.
    pub kernel: PathBuf,
    pub rpi4_dtb: PathBuf,
    /// Static busybox for arm64.
    pub busybox: PathBuf,
}

pub fn cache_dir() -> PathBuf {
    workspace_root().join(".cache").join("debian-arm64")
}

fn apt_options(cache: &Path) -> Vec<String> {
    vec![
        "-oAPT::Architecture=arm64".into(),
        "-oAPT::Architectures=arm64".into(),
        format!("-oDir::State::Lists={}", cache.join("lists").display()),
        format!("-oDir::Cache={}", cache.join("apt").display()),
        // The cache lives in the work tree, which apt's sandbox user may not
        // be able to enter.
        "-oAPT::Sandbox::User=root".into(),
        "-q".into(),
    ]
}

fn command_output(mut c: Command, what: &str) -> Result<String, String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn command_status(mut c: Command, what: &str) -> Result<(), String> {
    eprintln!("fetch-guests: {what}");
    let st = c
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    st.success()
        .then_some(())
        .ok_or(format!("{what} failed ({st})"))
}

/// The versioned kernel package the `linux-image-arm64` metapackage depends
/// on, from `apt-cache depends` output.
pub fn kernel_package_from_depends(out: &str) -> Option<String> {
    out.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends:"))
        .map(|d| {
            d.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
        .filter(|d| {
            d.starts_with("linux-image-") && d.ends_with("-arm64") && d != "linux-image-arm64"
        })
        .max_by(|a, b| version_key(a).cmp(&version_key(b)))
}

/// Sort key for `linux-image-6.1.0-28-arm64`: the numbers in the name.
fn version_key(name: &str) -> Vec<u64> {
    name.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect()
}

fn read_record(cache: &Path) -> Option<Guests> {
    let text = fs::read_to_string(cache.join(RECORD)).ok()?;
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix('=').map(str::to_string))
    };
    let g = Guests {
        kernel_package: field("kernel_package")?,
        kernel_version: field("kernel_version")?,
        kernel: cache.join("Image"),
        rpi4_dtb: cache.join(RPI4_DTB),
        busybox: cache.join("busybox"),
    };
    (g.kernel.is_file() && g.rpi4_dtb.is_file() && g.busybox.is_file()).then_some(g)
}

/// The cached guests, if an earlier fetch completed.
pub fn cached() -> Option<Guests> {
    read_record(&cache_dir())
}

/// Fetches the guests unless the cache already holds them.
pub fn fetch(refresh: bool) -> Result<Guests, String> {
    let cache = cache_dir();
    // Tests fetch from several threads and processes at once: one at a
    // time, the others then find the record.
    static IN_PROCESS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _here = IN_PROCESS.lock().unwrap_or_else(|p| p.into_inner());
    fs::create_dir_all(&cache).map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    let lock_path = cache.join(".fetch.lock");
    let lock = fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    if !refresh {
        if let Some(g) = read_record(&cache) {
            return Ok(g);
        }
    }
    let _ = fs::remove_dir_all(cache.join("debs"));
    for d in ["lists/partial", "apt/archives/partial", "debs"] {
        fs::create_dir_all(cache.join(d))
            .map_err(|e| format!("cannot create {}: {e}", cache.join(d).display()))?;
    }
    let opts = apt_options(&cache);

    let mut c = Command::new("apt-get");
    c.args(&opts).arg("update");
    command_status(c, "apt-get update (arm64 package lists, in the cache)")?;

    let mut c = Command::new("apt-cache");
    c.args(&opts).args(["depends", "linux-image-arm64"]);
    let depends = command_output(c, "apt-cache depends linux-image-arm64")?;
    let kernel_package = kernel_package_from_depends(&depends).ok_or_else(|| {
        format!("no versioned kernel package in `apt-cache depends linux-image-arm64`:\n{depends}")
    })?;

    let debs = cache.join("debs");
    let mut c = Command::new("apt-get");
    c.current_dir(&debs)
        .args(&opts)
        .args(["download", &kernel_package, "busybox-static"]);
    command_status(
        c,
        &format!("apt-get download {kernel_package} busybox-static"),
    )?;

    let root = cache.join("root");
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    let mut kernel_version = None;
    for deb in fs::read_dir(&debs)
        .map_err(|e| format!("{}: {e}", debs.display()))?
        .flatten()
    {
        let path = deb.path();
        if path.extension().is_none_or(|e| e != "deb") {
            continue;
        }
        let mut c = Command::new("dpkg-deb");
        c.arg("-f").arg(&path).args(["Package", "Version"]);
        let fields = command_output(c, "dpkg-deb -f")?;
        if fields.contains(&format!("Package: {kernel_package}\n")) {
            kernel_version = fields
                .lines()
                .find_map(|l| l.strip_prefix("Version: "))
                .map(str::to_string);
        }
        let mut c = Command::new("dpkg");
        c.arg("-x").arg(&path).arg(&root);
        command_status(
            c,
            &format!(
                "dpkg -x {}",
                path.file_name().unwrap_or_default().to_string_lossy()
            ),
        )?;
    }
    let kernel_version = kernel_version.ok_or(format!("{kernel_package} was not downloaded"))?;
    // The Linux guest's modules, while the package is unpacked (else
    // fetch_modules downloads it again later).
    let release = kernel_package.trim_start_matches("linux-image-");
    let kept = modules_from_root(
        &kernel_package,
        release,
        &root,
        &cache.join("modules-out"),
        &cache.join("modules").join(release),
        crate::linux::MODULES,
    );
    let _ = fs::remove_dir_all(cache.join("modules-out"));
    if let Err(e) = kept {
        eprintln!("fetch-guests: kernel modules not kept ({e}); they are fetched when needed");
    }

    // The kernel: boot/vmlinuz-<release>; Debian gzips the arm64 Image.
    let vmlinuz = root.join("boot").join(format!("vmlinuz-{release}"));
    let packed =
        fs::read(&vmlinuz).map_err(|e| format!("cannot read {}: {e}", vmlinuz.display()))?;
    let image = if packed.starts_with(&[0x1f, 0x8b]) {
        crate::initramfs::gunzip(&packed).map_err(|e| format!("{}: {e}", vmlinuz.display()))?
    } else {
        packed
    };
    if image.get(56..60) != Some(&b"ARM\x64"[..]) {
        return Err(format!(
            "{} is not an arm64 Image (no ARM\\x64 magic)",
            vmlinuz.display()
        ));
    }
    fs::write(cache.join("Image"), &image)
        .map_err(|e| format!("cannot write the kernel Image: {e}"))?;

    let dtb = root
        .join("usr/lib")
        .join(format!("linux-image-{release}"))
        .join("broadcom")
        .join(RPI4_DTB);
    fs::copy(&dtb, cache.join(RPI4_DTB))
        .map_err(|e| format!("cannot copy {}: {e}", dtb.display()))?;
    let busybox = root.join("bin/busybox");
    fs::copy(&busybox, cache.join("busybox"))
        .map_err(|e| format!("cannot copy {}: {e}", busybox.display()))?;

    // The unpacked packages (modules, mostly) and the .debs are not needed
    // any more: hundreds of MiB.
    let _ = fs::remove_dir_all(&root);
    let _ = fs::remove_dir_all(&debs);
    fs::write(
        cache.join(RECORD),
        format!("kernel_package={kernel_package}\nkernel_version={kernel_version}\n"),
    )
    .map_err(|e| format!("cannot write {}: {e}", cache.join(RECORD).display()))?;
    read_record(&cache).ok_or("the guest cache is incomplete after fetching".into())
}

/// Kernel modules taken from the kernel package for the Linux guest's
/// initramfs (Debian builds virtio-mmio, virtio-blk, virtio-net and ext4 as
/// modules). Kept under `.cache/debian-arm64/modules/<release>/`: the
/// `kernel/...` files of the wanted modules and their dependencies, and a
/// `modules.dep` for just those, in depmod's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modules {
    /// The kernel release (`6.1.0-56-arm64`), the directory name under
    /// `/lib/modules`.
    pub release: String,
    pub dir: PathBuf,
    /// Module files relative to `dir`, dependencies before their users.
    pub load_order: Vec<String>,
    pub modules_dep: String,
}

/// `6.1.0-56-arm64` for `linux-image-6.1.0-56-arm64`.
pub fn kernel_release(g: &Guests) -> &str {
    g.kernel_package.trim_start_matches("linux-image-")
}

/// A module's name as the kernel knows it: the file stem with `-` as `_`.
pub fn module_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split_once(".ko").map_or(file, |(s, _)| s);
    stem.replace('-', "_")
}

/// The `depends=` field of a module's `.modinfo` section.
pub fn module_depends(ko: &[u8]) -> Result<Vec<String>, String> {
    let elf = crate::elf::Elf::parse(ko).map_err(|e| e.to_string())?;
    let Some(sec) = elf.section(".modinfo") else {
        return Err("no .modinfo section".into());
    };
    let info = elf.section_data(sec).map_err(|e| e.to_string())?;
    Ok(info
        .split(|&b| b == 0)
        .filter_map(|f| f.strip_prefix(b"depends="))
        .flat_map(|d| d.split(|&b| b == b','))
        .filter(|d| !d.is_empty())
        .map(|d| String::from_utf8_lossy(d).replace('-', "_"))
        .collect())
}

/// Resolves `wanted` against `deps` (module name -> its direct
/// dependencies): every module needed, dependencies before their users.
pub fn load_order(
    wanted: &[&str],
    deps: &dyn Fn(&str) -> Result<Vec<String>, String>,
) -> Result<Vec<String>, String> {
    fn visit(
        name: &str,
        deps: &dyn Fn(&str) -> Result<Vec<String>, String>,
        done: &mut Vec<String>,
        path: &mut Vec<String>,
    ) -> Result<(), String> {
        if done.iter().any(|d| d == name) {
            return Ok(());
        }
        if path.iter().any(|p| p == name) {
            return Err(format!(
                "module dependency cycle: {} -> {name}",
                path.join(" -> ")
            ));
        }
        path.push(name.to_string());
        for d in deps(name)? {
            visit(&d, deps, done, path)?;
        }
        path.pop();
        done.push(name.to_string());
        Ok(())
    }
    let mut done = Vec::new();
    for w in wanted {
        visit(&module_name(w), deps, &mut done, &mut Vec::new())?;
    }
    Ok(done)
}

/// modules.dep lines for `order` (dependencies first): each module with all
/// its dependencies, listed the way depmod does (the last one loads first).
pub fn modules_dep_text(
    order: &[String],
    path_of: &dyn Fn(&str) -> String,
    direct: &dyn Fn(&str) -> Vec<String>,
) -> String {
    let mut text = String::new();
    for m in order {
        // All transitive dependencies, in load order.
        let mut all: Vec<String> = Vec::new();
        let mut stack = direct(m);
        while let Some(d) = stack.pop() {
            if !all.contains(&d) {
                stack.extend(direct(&d));
                all.push(d);
            }
        }
        let mut listed: Vec<&String> = order.iter().filter(|o| all.contains(o)).collect();
        listed.reverse();
        text.push_str(&path_of(m));
        text.push(':');
        for d in listed {
            text.push(' ');
            text.push_str(&path_of(d));
        }
        text.push('\n');
    }
    text
}

/// Parses a modules.dep: (module file, its dependency files).
pub fn parse_modules_dep(text: &str) -> Vec<(String, Vec<String>)> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(m, d)| {
            (
                m.trim().to_string(),
                d.split_whitespace().map(str::to_string).collect(),
            )
        })
        .collect()
}

fn read_modules(dir: &Path, release: &str, wanted: &[&str]) -> Option<Modules> {
    let modules_dep = fs::read_to_string(dir.join("modules.dep")).ok()?;
    let entries = parse_modules_dep(&modules_dep);
    let have = |name: &str| {
        entries
            .iter()
            .any(|(f, _)| module_name(f) == module_name(name))
    };
    if !wanted.iter().all(|w| have(w)) || !entries.iter().all(|(f, _)| dir.join(f).is_file()) {
        return None;
    }
    // Lines are written dependencies first.
    let load_order = entries.into_iter().map(|(f, _)| f).collect();
    Some(Modules {
        release: release.to_string(),
        dir: dir.to_path_buf(),
        load_order,
        modules_dep,
    })
}

fn walk_modules(dir: &Path, base: &Path, out: &mut Vec<String>) -> Result<(), String> {
    for e in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
        let p = e.path();
        let ft = e.file_type().map_err(|e| format!("{}: {e}", p.display()))?;
        if ft.is_dir() {
            walk_modules(&p, base, out)?;
        } else if p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains(".ko"))
        {
            if let Ok(rel) = p.strip_prefix(base) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    Ok(())
}

/// The kernel modules `wanted` (names like `virtio_blk`) and their
/// dependencies, from the cache or else from the kernel package, which is
/// downloaded again for them (`fetch` keeps only the Image).
pub fn fetch_modules(g: &Guests, wanted: &[&str]) -> Result<Modules, String> {
    let cache = cache_dir();
    let release = kernel_release(g).to_string();
    if release.is_empty() || release.contains('/') {
        return Err(format!("odd kernel package name {}", g.kernel_package));
    }
    let dir = cache.join("modules").join(&release);
    if let Some(m) = read_modules(&dir, &release, wanted) {
        return Ok(m);
    }
    // Private scratch space: other xtask runs may fetch at the same time.
    let tmp = cache.join(format!("modules-tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let result = extract_modules(g, wanted, &cache, &tmp, &dir, &release);
    let _ = fs::remove_dir_all(&tmp);
    result?;
    read_modules(&dir, &release, wanted).ok_or(format!(
        "{}: the modules are incomplete after extracting them",
        dir.display()
    ))
}

fn extract_modules(
    g: &Guests,
    wanted: &[&str],
    cache: &Path,
    tmp: &Path,
    dir: &Path,
    release: &str,
) -> Result<(), String> {
    let debs = tmp.join("debs");
    let root = tmp.join("root");
    let out = tmp.join("out");
    for d in [&debs, &root, &out] {
        fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    for d in ["lists/partial", "apt/archives/partial"] {
        fs::create_dir_all(cache.join(d))
            .map_err(|e| format!("cannot create {}: {e}", cache.join(d).display()))?;
    }
    let opts = apt_options(cache);
    let download = || {
        let mut c = Command::new("apt-get");
        c.current_dir(&debs)
            .args(&opts)
            .args(["download", &g.kernel_package]);
        command_status(
            c,
            &format!("apt-get download {} (for its modules)", g.kernel_package),
        )
    };
    if download().is_err() {
        // The package lists may be older than the archive: refresh, retry.
        let mut c = Command::new("apt-get");
        c.args(&opts).arg("update");
        command_status(c, "apt-get update (arm64 package lists, in the cache)")?;
        download()?;
    }
    let deb = fs::read_dir(&debs)
        .map_err(|e| format!("{}: {e}", debs.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .ok_or(format!("{} was not downloaded", g.kernel_package))?;
    let mut c = Command::new("dpkg");
    c.arg("-x").arg(&deb).arg(&root);
    command_status(c, &format!("dpkg -x {}", g.kernel_package))?;
    modules_from_root(&g.kernel_package, release, &root, &out, dir, wanted)
}

/// Copies the `wanted` modules and their dependencies from an unpacked
/// kernel package at `root` into `dir`, by way of the scratch `out`.
fn modules_from_root(
    kernel_package: &str,
    release: &str,
    root: &Path,
    out: &Path,
    dir: &Path,
    wanted: &[&str],
) -> Result<(), String> {
    fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let tree = ["lib", "usr/lib"]
        .iter()
        .map(|l| root.join(l).join("modules").join(release))
        .find(|p| p.is_dir())
        .ok_or(format!("{kernel_package} has no lib/modules/{release}"))?;
    let mut files = Vec::new();
    walk_modules(&tree.join("kernel"), &tree, &mut files)?;
    files.sort();
    let path_of =
        |name: &str| -> Option<String> { files.iter().find(|f| module_name(f) == name).cloned() };
    let direct = |name: &str| -> Result<Vec<String>, String> {
        let f = path_of(name).ok_or(format!(
            "module {name} is not in {kernel_package} (built in, or not built?)"
        ))?;
        let bytes = fs::read(tree.join(&f)).map_err(|e| format!("{f}: {e}"))?;
        if f.ends_with(".ko") {
            module_depends(&bytes).map_err(|e| format!("{f}: {e}"))
        } else {
            Err(format!("{f}: compressed modules are not handled"))
        }
    };
    let order = load_order(wanted, &direct)?;
    let mut deps_of = std::collections::BTreeMap::new();
    for m in &order {
        deps_of.insert(m.clone(), direct(m)?);
        let f = path_of(m).ok_or(format!("module {m} vanished"))?;
        let to = out.join(&f);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::copy(tree.join(&f), &to).map_err(|e| format!("cannot copy {f}: {e}"))?;
    }
    let text = modules_dep_text(&order, &|m| path_of(m).unwrap_or_default(), &|m| {
        deps_of.get(m).cloned().unwrap_or_default()
    });
    fs::write(out.join("modules.dep"), text)
        .map_err(|e| format!("cannot write modules.dep: {e}"))?;
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let _ = fs::remove_dir_all(dir);
    if let Err(e) = fs::rename(out, dir) {
        // Another run may have put the same modules there meanwhile.
        if read_modules(dir, release, wanted).is_none() {
            return Err(format!("cannot move the modules to {}: {e}", dir.display()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_package_from_apt_cache_depends() {
        let out = "linux-image-arm64\n  Depends: linux-image-6.1.0-56-arm64\n";
        assert_eq!(
            kernel_package_from_depends(out).as_deref(),
            Some("linux-image-6.1.0-56-arm64")
        );
        let two = "linux-image-arm64\n  Depends: linux-image-6.1.0-9-arm64\n  Depends: <linux-image-6.1.0-10-arm64>\n";
        assert_eq!(
            kernel_package_from_depends(two).as_deref(),
            Some("linux-image-6.1.0-10-arm64")
        );
        assert_eq!(kernel_package_from_depends("linux-image-arm64\n"), None);
    }

    #[test]
    fn module_names_and_order() {
        assert_eq!(
            module_name("kernel/drivers/char/hw_random/virtio-rng.ko"),
            "virtio_rng"
        );
        assert_eq!(module_name("kernel/fs/ext4/ext4.ko.xz"), "ext4");
        let deps = |n: &str| -> Result<Vec<String>, String> {
            Ok(match n {
                "virtio_net" => vec!["net_failover".into()],
                "net_failover" => vec!["failover".into()],
                "ext4" => vec!["jbd2".into(), "mbcache".into(), "crc16".into()],
                "loop_a" => vec!["loop_b".into()],
                "loop_b" => vec!["loop_a".into()],
                "failover" | "jbd2" | "mbcache" | "crc16" | "virtio_blk" => vec![],
                other => return Err(format!("no {other}")),
            })
        };
        let order = load_order(&["virtio_blk", "virtio-net", "ext4"], &deps).unwrap();
        assert_eq!(
            order,
            [
                "virtio_blk",
                "failover",
                "net_failover",
                "virtio_net",
                "jbd2",
                "mbcache",
                "crc16",
                "ext4"
            ]
        );
        assert!(load_order(&["loop_a"], &deps)
            .unwrap_err()
            .contains("cycle"));
        assert!(load_order(&["nope"], &deps)
            .unwrap_err()
            .contains("no nope"));

        let text = modules_dep_text(&order, &|m| format!("k/{m}.ko"), &|m| {
            deps(m).unwrap_or_default()
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "k/virtio_blk.ko:");
        // The last dependency listed is loaded first.
        assert_eq!(lines[3], "k/virtio_net.ko: k/net_failover.ko k/failover.ko");
        assert_eq!(lines[7], "k/ext4.ko: k/crc16.ko k/mbcache.ko k/jbd2.ko");
        let parsed = parse_modules_dep(&text);
        assert_eq!(parsed.len(), 8);
        assert_eq!(parsed[2].1, ["k/failover.ko"]);
    }
}
