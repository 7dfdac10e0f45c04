//! Building the hypervisor image for a platform: the one code path that
//! `cargo xtask build` and the boot tests share.

use crate::elf::Elf;
use crate::image::{check, raw_image, ImageReport};
use bulkhead_platforms::Platform;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Rust target the hypervisor is built for. The soft-float variant
/// keeps the compiler off the FP/SIMD registers, so a guest's FP state
/// survives every trap without being saved (docs/architecture.md).
pub const TARGET: &str = "aarch64-unknown-none-softfloat";
/// The Rust target the bare-metal test guests are built for.
pub const GUEST_TARGET: &str = "aarch64-unknown-none";
/// Environment variable naming a folder with prebuilt `<platform>/bulkhead.{elf,img}`.
pub const IMAGES_ENV: &str = "BULKHEAD_IMAGES";

/// The repository root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Cargo's target folder: `CARGO_TARGET_DIR` if set, else `<root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => workspace_root().join(d),
        _ => workspace_root().join("target"),
    }
}

/// Where the images of a platform are written: `<target>/images/<name>/`.
pub fn images_dir(platform: &str) -> PathBuf {
    target_dir().join("images").join(platform)
}

pub fn platform(name: &str) -> Result<&'static Platform, String> {
    bulkhead_platforms::by_name(name).ok_or_else(|| {
        let known: Vec<_> = bulkhead_platforms::ALL.iter().map(|p| p.name).collect();
        format!("unknown platform `{name}`; known: {}", known.join(", "))
    })
}

/// A checked image pair on disk.
#[derive(Debug, Clone)]
pub struct Built {
    pub platform: &'static Platform,
    pub elf: PathBuf,
    pub img: PathBuf,
    pub report: ImageReport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Cargo's progress goes to the terminal.
    Show,
    /// Cargo's output is kept and shown only if the build fails (tests).
    Capture,
}

/// Builds the hypervisor for `name`, writes `bulkhead.elf` and `bulkhead.img`
/// to [`images_dir`] and checks them. Holds a file lock from the cargo call to
/// the copy, so two builds for different platforms (two tests, or a test and
/// a person) cannot swap each other's ELF.
pub fn build(name: &str, output: Output) -> Result<Built, String> {
    let platform = platform(name)?;
    let out_dir = images_dir(name);
    fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let lock = build_lock()?;

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["build", "-p", "bulkhead", "--release", "--target", TARGET])
        .args(["--no-default-features", "--features"])
        .arg(format!("platform-{name}"))
        .stdin(Stdio::null());
    // defmt keeps only error-level frames unless told otherwise at build time.
    if std::env::var_os("DEFMT_LOG").is_none() {
        cmd.env("DEFMT_LOG", "info");
    }
    let failed = format!("building the hypervisor for {name} failed");
    match output {
        Output::Show => {
            let st = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
            if !st.success() {
                return Err(format!("{failed} (cargo's errors above)"));
            }
        }
        Output::Capture => {
            let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "{failed}:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }

    let cargo_elf = target_dir().join(TARGET).join("release").join("bulkhead");
    let elf_bytes =
        fs::read(&cargo_elf).map_err(|e| format!("cannot read {}: {e}", cargo_elf.display()))?;
    let elf = Elf::parse(&elf_bytes).map_err(|e| format!("{}: {e}", cargo_elf.display()))?;
    let raw = raw_image(&elf).map_err(|e| format!("{}: {e}", cargo_elf.display()))?;
    let report = check(platform, &elf, &raw)
        .map_err(|e| format!("{} ({name}): {e}", cargo_elf.display()))?;

    let elf_path = out_dir.join("bulkhead.elf");
    let img_path = out_dir.join("bulkhead.img");
    write_atomically(&elf_path, &elf_bytes)?;
    write_atomically(&img_path, &raw.bytes)?;
    drop(lock);
    Ok(Built {
        platform,
        elf: elf_path,
        img: img_path,
        report,
    })
}

/// Builds `package` for `target` with `cargo build --release`, keeping
/// cargo's output (shown if the build fails, naming `what`), and returns
/// the path of its binary `bin`.
pub fn cargo_release(
    package: &str,
    target: &str,
    bin: &str,
    what: &str,
) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "-p", package, "--release", "--target", target])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "building {what} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(target_dir().join(target).join("release").join(bin))
}

/// Loads and re-checks images that are already on disk, from `dir` (which
/// holds `bulkhead.elf` and `bulkhead.img`). The raw image must be exactly
/// the one the ELF gives.
pub fn load(name: &str, dir: &Path) -> Result<Built, String> {
    let platform = platform(name)?;
    let elf_path = dir.join("bulkhead.elf");
    let img_path = dir.join("bulkhead.img");
    let hint = format!("run `cargo xtask build --platform {name}` first");
    let elf_bytes = fs::read(&elf_path)
        .map_err(|e| format!("cannot read {}: {e}; {hint}", elf_path.display()))?;
    let img = fs::read(&img_path)
        .map_err(|e| format!("cannot read {}: {e}; {hint}", img_path.display()))?;
    let elf = Elf::parse(&elf_bytes).map_err(|e| format!("{}: {e}", elf_path.display()))?;
    let raw = raw_image(&elf).map_err(|e| format!("{}: {e}", elf_path.display()))?;
    if raw.bytes != img {
        return Err(format!(
            "{} does not match the load segments of {}; {hint}",
            img_path.display(),
            elf_path.display()
        ));
    }
    let report =
        check(platform, &elf, &raw).map_err(|e| format!("{} ({name}): {e}", elf_path.display()))?;
    Ok(Built {
        platform,
        elf: elf_path,
        img: img_path,
        report,
    })
}

/// The images the boot tests use: prebuilt ones from `$BULKHEAD_IMAGES/<name>/`
/// when that is set (as `cargo xtask test` does after building), otherwise
/// built now through [`build`], so a test never runs a stale image.
pub fn for_tests(name: &str) -> Result<Built, String> {
    match std::env::var_os(IMAGES_ENV) {
        Some(dir) if !dir.is_empty() => load(name, &Path::new(&dir).join(name))
            .map_err(|e| format!("{e} (images taken from ${IMAGES_ENV})")),
        _ => build(name, Output::Capture),
    }
}

/// The lock that every image build holds from its cargo call to writing its
/// files: cargo's own lock ends with the build, and the uplifted binary
/// (`target/<target>/release/<name>`) is shared by every feature set.
/// Released when the file is dropped. Not reentrant: take it once.
pub fn build_lock() -> Result<File, String> {
    let dir = target_dir().join("images");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let lock_path = dir.join(".build.lock");
    let lock = File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    Ok(lock)
}

/// Writes through a temporary file and a rename, so that a reader (a test
/// booting the previous image) never sees a half-written file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    fs::rename(&tmp, path)
        .map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), path.display()))
}
