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

    // The kernel: boot/vmlinuz-<release>; Debian gzips the arm64 Image.
    let release = kernel_package.trim_start_matches("linux-image-");
    let vmlinuz = root.join("boot").join(format!("vmlinuz-{release}"));
    let packed =
        fs::read(&vmlinuz).map_err(|e| format!("cannot read {}: {e}", vmlinuz.display()))?;
    let image = if packed.starts_with(&[0x1f, 0x8b]) {
        let mut c = Command::new("gzip");
        c.arg("-dc").arg(&vmlinuz);
        let out = c
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("gzip: {e}"))?;
        if !out.status.success() {
            return Err(format!("gzip -dc {} failed", vmlinuz.display()));
        }
        out.stdout
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
}
