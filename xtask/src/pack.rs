//! Packing a system configuration into a boot bundle.
//!
//! 1. The board: its device tree (for QEMU `virt`, dumped by QEMU itself
//!    with the same machine options the run will use).
//! 2. The configuration is read and validated against that board, with the
//!    hypervisor's image and the boot loader's initrd/device-tree area kept
//!    out, exactly as the hypervisor validates it again at boot.
//! 3. Each partition's images are laid out (`bulkhead_core::layout`, the
//!    same function the hypervisor loads them with), its device tree is
//!    generated (`bulkhead-guest-dt`), and everything goes into the bundle
//!    with its SHA-256.

use crate::elf::Elf;
use crate::image::raw_image;
use crate::images::{cargo_release, target_dir, Built, GUEST_TARGET};
use crate::qemu::{mem_mib, Virt, QEMU};
use bulkhead_bundle::{BundleBuilder, Kind};
use bulkhead_config::{Boot, Console, Constraints, PartitionConfig, RawSystem, SystemConfig};
use bulkhead_core::addr::{GuestPhysAddr, MemRange};
use bulkhead_core::hw::Hardware;
use bulkhead_core::layout::{self, Protocol};
use bulkhead_guest_dt::{
    ConsoleCompat, GuestConsole, GuestDtSpec, GuestGic, GuestRange, REDISTRIBUTOR_SIZE,
};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Image names a configuration may use instead of a file path.
pub const GUEST_ARTIFACT: &str = "@guest";

/// QEMU virt puts the initrd at RAM base + min(RAM / 2, 128 MiB) and its
/// device tree (1 MiB) at the next 2 MiB boundary after the initrd.
const VIRT_RAM_BASE: u64 = 0x4000_0000;
const MIB: u64 = 1 << 20;

pub struct Board {
    pub dtb: Vec<u8>,
    pub hw: Hardware,
}

/// The device tree QEMU `virt` builds for these options (`dumpdtb`).
pub fn virt_board(v: &Virt) -> Result<Board, String> {
    let dir = target_dir().join("boards");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!(
        "virt-gicv{}-smp{}-{}-s{}.dtb",
        v.gic,
        v.smp,
        v.mem,
        serial_args(&v.extra).len() / 2
    ));
    let st = Command::new(QEMU)
        .args([
            "-M",
            &format!(
                "virt,virtualization=on,gic-version={},dumpdtb={}",
                v.gic,
                path.display()
            ),
            "-cpu",
            "cortex-a72",
            "-smp",
            &v.smp.to_string(),
            "-m",
            &v.mem,
            "-nographic",
        ])
        // Serial ports change the tree (a second `-serial` adds
        // /pl011@9040000): dump it with the run's own.
        .args(serial_args(&v.extra))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {QEMU}: {e}"))?;
    if !st.success() {
        return Err(format!("{QEMU} could not dump the virt device tree ({st})"));
    }
    let dtb = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let hw = bulkhead_core::dt::parse(&dtb).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Board { dtb, hw })
}

/// The `-serial X` pairs among a run's extra QEMU arguments, with the
/// backends replaced by `null` (the dump only needs the devices).
fn serial_args(extra: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = extra.iter();
    while let Some(a) = it.next() {
        if a == "-serial" && it.next().is_some() {
            out.push("-serial".to_string());
            out.push("null".to_string());
        }
    }
    out
}

/// Builds the bare-metal test guest and returns its raw image.
pub fn build_guest() -> Result<PathBuf, String> {
    // Two tests packing at once must not truncate each other's guest.bin.
    let _lock = crate::images::build_lock()?;
    let elf_path = cargo_release("bulkhead-guest", GUEST_TARGET, "guest", "the test guest")?;
    let bytes =
        fs::read(&elf_path).map_err(|e| format!("cannot read {}: {e}", elf_path.display()))?;
    let elf = Elf::parse(&bytes).map_err(|e| format!("{}: {e}", elf_path.display()))?;
    let raw = raw_image(&elf).map_err(|e| format!("{}: {e}", elf_path.display()))?;
    let dir = target_dir().join("images").join("guest");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let img = dir.join("guest.bin");
    crate::images::write_atomically(&img, &raw.bytes)?;
    Ok(img)
}

/// Finds an image named in the configuration: an artifact name, or a path
/// relative to the configuration file.
fn resolve(name: &str, config_dir: &Path) -> Result<PathBuf, String> {
    use crate::linux::{INITRAMFS_ARTIFACT, KERNEL_ARTIFACT};
    match name {
        GUEST_ARTIFACT => build_guest(),
        KERNEL_ARTIFACT => crate::linux::kernel(),
        INITRAMFS_ARTIFACT => crate::linux::initramfs(),
        _ if name.starts_with('@') => Err(format!(
            "unknown image `{name}` (known: {GUEST_ARTIFACT}, {KERNEL_ARTIFACT}, \
             {INITRAMFS_ARTIFACT})"
        )),
        _ => Ok(config_dir.join(name)),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Where QEMU `virt` will put an initrd of `bundle_len` bytes and its own
/// device tree, for a machine with `mem_mib` MiB of RAM.
pub fn virt_loader_area(mem_mib: u64, bundle_len: u64) -> MemRange {
    let start = VIRT_RAM_BASE + (mem_mib * MIB / 2).min(128 * MIB);
    let dtb = (start + bundle_len).next_multiple_of(2 * MIB);
    MemRange::new(start, dtb + 2 * MIB - start)
}

/// The ranges no partition may take: the hypervisor and the loader area.
fn keep_outs(hyp: &Built, loader: MemRange) -> Vec<(String, MemRange)> {
    let p = hyp.platform;
    vec![
        (
            "the hypervisor".into(),
            MemRange::new(p.load_address, hyp.report.header.image_size),
        ),
        ("QEMU's initrd (the bundle) and device tree".into(), loader),
    ]
}

pub fn validate(
    raw: &RawSystem,
    board: &Board,
    keep: &[(String, MemRange)],
) -> Result<SystemConfig, String> {
    let c = keep
        .iter()
        .fold(Constraints::new().ipa_bits(40), |c, (name, r)| {
            c.keep_out(name, *r)
        });
    bulkhead_config::validate(raw, &board.hw, &c)
        .map_err(|e| format!("configuration refused:\n{e}"))
}

/// The device tree description for one partition.
fn guest_spec(
    hw: &Hardware,
    p: &PartitionConfig,
    initrd: Option<(GuestPhysAddr, u64)>,
) -> Result<GuestDtSpec, String> {
    let timer = hw.timer.ok_or("the board has no architected timer node")?;
    let vcpus = p.cpus().len();
    let gic = match &hw.gic {
        Some(bulkhead_core::hw::Gic::V3 {
            distributor,
            redistributors,
            maintenance,
        }) => GuestGic::V3 {
            distributor: GuestRange {
                base: GuestPhysAddr(distributor.base.0),
                size: distributor.size,
            },
            redistributors: GuestRange {
                base: GuestPhysAddr(
                    redistributors
                        .first()
                        .ok_or("GICv3 without redistributors")?
                        .base
                        .0,
                ),
                size: vcpus as u64 * REDISTRIBUTOR_SIZE,
            },
            maintenance_intid: maintenance.map(|m| m.intid.0),
        },
        Some(bulkhead_core::hw::Gic::V2 {
            distributor,
            cpu_interface,
            ..
        }) => GuestGic::V2 {
            distributor: GuestRange {
                base: GuestPhysAddr(distributor.base.0),
                size: distributor.size,
            },
            cpu_interface: GuestRange {
                base: GuestPhysAddr(cpu_interface.base.0),
                size: cpu_interface.size.max(0x2000),
            },
        },
        None => return Err("the board has no GIC".into()),
    };
    let console = match p.console() {
        Console::Emulated => {
            let u = hw
                .console()
                .ok_or("the board has no console UART to emulate at")?;
            Some(GuestConsole {
                range: GuestRange {
                    base: GuestPhysAddr(u.base.base.0 & !0xFFF),
                    size: 0x1000,
                },
                intid: u.interrupt.map(|i| i.intid.0).unwrap_or(33),
                compatible: ConsoleCompat::Sbsa,
            })
        }
        Console::None | Console::Passthrough { .. } => None,
    };
    Ok(GuestDtSpec {
        name: p.name().into(),
        vcpus,
        memory: p
            .memory()
            .iter()
            .map(|m| GuestRange {
                base: m.guest,
                size: m.host.size,
            })
            .collect(),
        bootargs: Some(p.bootargs().to_string()).filter(|s| !s.is_empty()),
        initrd: initrd.map(|(base, size)| GuestRange { base, size }),
        gic,
        timer,
        console,
        passthrough: p.devices().iter().map(|d| d.path.clone()).collect(),
        mgmt_doorbell: p.is_manager(),
    })
}

pub struct Packed {
    pub path: PathBuf,
    pub bytes: u64,
    pub config: SystemConfig,
}

/// Validates `config_path` against `board` and writes the bundle to `out`.
pub fn pack(
    config_path: &Path,
    board: &Board,
    hyp: &Built,
    mem_mib: u64,
    out: &Path,
) -> Result<Packed, String> {
    let raw = RawSystem::load(config_path).map_err(|e| e.to_string())?;
    let dir = config_path.parent().unwrap_or(Path::new("."));

    // Images first: their sizes bound the bundle, which bounds the area
    // QEMU's loader takes, which partitions must avoid.
    let mut images = Vec::new();
    let mut bound: u64 = 256 * 1024;
    for p in &raw.partitions {
        let kernel = read(&resolve(&p.kernel, dir)?)?;
        let ramdisk = match &p.ramdisk {
            Some(r) => Some(read(&resolve(r, dir)?)?),
            None => None,
        };
        bound += kernel.len().next_multiple_of(4096) as u64 + 64 * 1024;
        bound += ramdisk
            .as_ref()
            .map(|r| r.len().next_multiple_of(4096) as u64)
            .unwrap_or(0);
        images.push((kernel, ramdisk));
    }
    let loader = virt_loader_area(mem_mib, bound);
    let keep = keep_outs(hyp, loader);
    let config = validate(&raw, board, &keep)?;

    let mut b = BundleBuilder::new();
    b.add(Kind::Config, None, config.encode())
        .map_err(|e| e.to_string())?;
    for (i, (p, (kernel, ramdisk))) in config.partitions().iter().zip(images).enumerate() {
        let pidx = Some(i as u32);
        let mem0 = p
            .memory()
            .first()
            .ok_or_else(|| format!("partition {}: no memory", p.name()))?;
        let (protocol, kind) = match p.boot() {
            Boot::Linux => (Protocol::Linux, Kind::Kernel),
            Boot::BareMetal { entry_offset } => {
                (Protocol::BareMetal { entry_offset }, Kind::BareMetalImage)
            }
        };
        let lay = layout::layout(
            mem0.guest.0,
            mem0.host.size,
            protocol,
            &kernel,
            ramdisk.as_ref().map(|r| r.len() as u64),
        )
        .map_err(|e| format!("partition \"{}\": {e}", p.name()))?;
        let dtb = match &p.images().dtb {
            Some(path) => read(&resolve(path, dir)?)?,
            None => {
                let spec = guest_spec(&board.hw, p, lay.initrd)?;
                bulkhead_guest_dt::generate(&board.dtb, &spec)
                    .map_err(|e| format!("partition \"{}\": {e}", p.name()))?
                    .dtb
            }
        };
        b.add(kind, pidx, kernel).map_err(|e| e.to_string())?;
        if let Some(rd) = ramdisk {
            b.add(Kind::Ramdisk, pidx, rd).map_err(|e| e.to_string())?;
        }
        b.add(Kind::Dtb, pidx, dtb).map_err(|e| e.to_string())?;
    }
    let bytes = b.build().map_err(|e| e.to_string())?;
    if bytes.len() as u64 > bound {
        return Err(format!(
            "internal: bundle is {} bytes, more than the {bound} bytes reserved for it",
            bytes.len()
        ));
    }
    if let Some(d) = out.parent() {
        fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    fs::write(out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(Packed {
        path: out.to_path_buf(),
        bytes: bytes.len() as u64,
        config,
    })
}

/// `mem` as QEMU takes it, in MiB.
pub fn mem_of(v: &Virt) -> Result<u64, String> {
    mem_mib(&v.mem).ok_or_else(|| format!("bad memory size `{}`", v.mem))
}
