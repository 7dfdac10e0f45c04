//! Turning the boot bundle into running partitions.
//!
//! The bundle (the boot loader's initrd: QEMU `-initrd`, the Pi firmware's
//! `initramfs`) carries the encoded configuration, every partition's images
//! and device tree, and a SHA-256 of each. Nothing boots unless all of it
//! checks out: the bundle's structure and hashes, and the configuration
//! validated again against the device tree this board handed over.

use crate::arch::{self, cache};
use crate::partition::{self, BootImage, EmulatedConsole, Partition, State};
use crate::vconsole::LineBuffer;
use crate::{memory, println, smp, vcpu};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_bundle::{Bundle, Kind};
use bulkhead_config::{Boot, Console, Constraints, PartitionConfig, SystemConfig};
use bulkhead_core::addr::{GuestPhysAddr, MemRange, PhysAddr};
use bulkhead_core::hw::Hardware;
use bulkhead_core::layout::{self, Protocol};
use bulkhead_core::pagetable::{S2Attrs, Stage2Config, Stage2Table};
use bulkhead_core::supervisor::{OnFault, Policy as SupPolicy, RestartLimits, Supervisor};
use bulkhead_core::vgic::{GicVersion, OwnedSpi, SpiKind, Vgic, VgicConfig};
use bulkhead_core::vpl011::VirtPl011;

/// Guest-physical address bits every partition gets.
const IPA_BITS: u8 = 40;

/// Why nothing boots. Each reads as a message.
pub enum SetupError {
    Bundle(bulkhead_bundle::BundleError),
    NoConfig,
    Decode(bulkhead_config::DecodeError),
    Config(bulkhead_config::ConfigErrors),
    Partition { name: String, what: String },
}

impl core::fmt::Display for SetupError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SetupError::Bundle(e) => write!(f, "{e}"),
            SetupError::NoConfig => write!(f, "bundle: no configuration entry"),
            SetupError::Decode(e) => write!(f, "bundle: configuration: {e}"),
            SetupError::Config(e) => write!(f, "configuration refused by this board:\n{e}"),
            SetupError::Partition { name, what } => write!(f, "partition \"{name}\": {what}"),
        }
    }
}

fn perr(p: &PartitionConfig, what: impl core::fmt::Display) -> SetupError {
    SetupError::Partition {
        name: String::from(p.name()),
        what: format!("{what}"),
    }
}

/// The bundle's bytes: the initrd range /chosen gives.
pub fn bundle_bytes(hw: &Hardware) -> Option<&'static [u8]> {
    let r = hw.chosen.initrd?;
    if r.is_empty() || !hw.memory.iter().any(|m| m.covers(&r)) {
        return None;
    }
    // SAFETY: the range lies inside a RAM bank the EL2 map covers as normal
    // memory, and the frame allocator never hands it out (it is in the
    // boot-time `taken` list); the boot loader put the bundle there and
    // nothing writes to it afterwards.
    Some(unsafe { core::slice::from_raw_parts(r.base.0 as *const u8, r.size as usize) })
}

/// Checks the bundle and the configuration, builds every partition, and
/// posts vCPU 0 of each to its core. All or nothing: the first error stops
/// it before any partition runs. Returns the memory the partitions own.
pub fn start_partitions(
    hw: &Hardware,
    bytes: &'static [u8],
    keep_out: &[(&str, MemRange)],
) -> Result<Vec<MemRange>, SetupError> {
    let bundle = Bundle::parse(bytes).map_err(SetupError::Bundle)?;
    // Every entry is hashed exactly once, here; the payloads used below
    // are the ones just verified.
    bundle
        .verify_all_with(&arch::sha256::digest)
        .map_err(SetupError::Bundle)?;
    let config_entry = bundle.config().ok_or(SetupError::NoConfig)?;
    let raw =
        bulkhead_config::decode(config_entry.unverified_payload()).map_err(SetupError::Decode)?;
    let constraints = keep_out.iter().fold(
        Constraints::new()
            .max_cpus(arch::MAX_CPUS)
            .ipa_bits(IPA_BITS),
        |c, (name, r)| c.keep_out(name, *r),
    );
    let config = bulkhead_config::validate(&raw, hw, &constraints).map_err(SetupError::Config)?;
    println!(
        "bundle: {} entries verified, {} partition(s) configured",
        bundle.entries().len(),
        config.partitions().len()
    );

    let order = smp::logical_order(hw, arch::cpu::mpidr());
    let mut partitions = Vec::new();
    for (i, p) in config.partitions().iter().enumerate() {
        partitions.push(build(hw, &config, &bundle, i, p, &order)?);
    }
    let owned: Vec<MemRange> = config
        .partitions()
        .iter()
        .flat_map(|p| {
            p.memory()
                .iter()
                .map(|m| m.host)
                .chain(p.snapshots().map(|s| s.area))
        })
        .collect();
    let starts: Vec<(usize, u64, u64)> = partitions
        .iter()
        .filter_map(|p| p.cores.first().map(|&core| (core, p.entry, p.dtb)))
        .collect();
    for p in &partitions {
        for (v, &core) in p.cores.iter().enumerate() {
            vcpu::assign(core, p.id, v);
        }
    }
    crate::stats::init(partitions.len(), crate::arch::cpu::counter_hz());
    partition::install(partitions);
    // The physical side of each partition's interrupts, as its virtual GIC
    // says at reset (all masked, routed to vCPU 0's core).
    for cell in partition::all() {
        let mut p = cell.lock();
        let fx = p.vgic.hw_state();
        crate::virq::apply(&mut p, &fx);
    }
    for (core, entry, dtb) in starts {
        let _ = vcpu::post_start(core, entry, dtb);
    }
    Ok(owned)
}

fn build(
    hw: &Hardware,
    config: &SystemConfig,
    bundle: &Bundle<'static>,
    index: usize,
    p: &PartitionConfig,
    order: &[&bulkhead_core::hw::Cpu],
) -> Result<Partition, SetupError> {
    let _ = config;
    let pidx = Some(index as u32);
    let kind = match p.boot() {
        Boot::Linux => Kind::Kernel,
        Boot::BareMetal { .. } => Kind::BareMetalImage,
    };
    let kernel = bundle
        .find(kind, pidx)
        .ok_or_else(|| perr(p, "the bundle has no image for it"))?;
    let kernel = kernel.unverified_payload();
    let ramdisk = bundle
        .find(Kind::Ramdisk, pidx)
        .map(|e| e.unverified_payload());
    let dtb = bundle
        .find(Kind::Dtb, pidx)
        .ok_or_else(|| perr(p, "the bundle has no device tree for it"))?;
    let dtb = dtb.unverified_payload();
    if dtb.len() as u64 > layout::MAX_DTB {
        return Err(perr(p, "its device tree is larger than 2 MiB"));
    }
    check_guest_tree(hw, p, dtb)?;

    let mem0 = p.memory().first().ok_or_else(|| perr(p, "no memory"))?;
    let protocol = match p.boot() {
        Boot::Linux => Protocol::Linux,
        Boot::BareMetal { entry_offset } => Protocol::BareMetal { entry_offset },
    };
    let guest = mem0.guest_range();
    let lay = layout::layout(
        guest.base.0,
        guest.size,
        protocol,
        kernel,
        ramdisk.map(|r| r.len() as u64),
    )
    .map_err(|e| perr(p, e))?;

    // Copy the images into the partition's memory (through EL2's identity
    // map of RAM) and clean them to the point of coherency: the guest
    // starts with its MMU and caches off.
    let to_host = |ipa: GuestPhysAddr| -> u64 { mem0.host.base.0 + (ipa.0 - mem0.guest.0) };
    let mut loads: Vec<(u64, &'static [u8])> =
        alloc::vec![(to_host(lay.kernel), kernel), (to_host(lay.dtb), dtb)];
    if let (Some((at, _)), Some(rd)) = (lay.initrd, ramdisk) {
        loads.push((to_host(at), rd));
    }
    load(to_host(lay.kernel), kernel);
    load(to_host(lay.dtb), dtb);
    if let (Some((at, _)), Some(rd)) = (lay.initrd, ramdisk) {
        load(to_host(at), rd);
    }

    // The virtual GIC: the partition's devices' SPIs are passed through
    // (hardware-linked); the emulated console's line is virtual.
    let gic_hw = hw
        .gic
        .as_ref()
        .ok_or_else(|| perr(p, "the board has no GIC"))?;
    let console_intid = match p.console() {
        Console::Emulated => hw.console().and_then(|u| u.interrupt).map(|i| i.intid.0),
        _ => None,
    };
    let mut spis: Vec<OwnedSpi> = p
        .devices()
        .iter()
        .flat_map(|d| d.interrupts.iter())
        .filter(|i| i.intid.is_spi())
        .map(|i| OwnedSpi {
            intid: i.intid.0,
            kind: SpiKind::Hardware,
        })
        .collect();
    if let Some(intid) = console_intid {
        if !spis.iter().any(|s| s.intid == intid) {
            spis.push(OwnedSpi {
                intid,
                kind: SpiKind::Virtual,
            });
        }
    }
    let vcpus = p.cpus().len();
    let (version, gic_dist, gic_redist, gicv_map) = match gic_hw {
        bulkhead_core::hw::Gic::V3 {
            distributor,
            redistributors,
            ..
        } => {
            let r = redistributors
                .first()
                .ok_or_else(|| perr(p, "GICv3 without redistributors"))?;
            let size = vcpus as u64 * bulkhead_core::vgic::REDIST_FRAME;
            (
                GicVersion::V3,
                MemRange::new(distributor.base.0, 0x1_0000),
                Some(MemRange::new(r.base.0, size)),
                None,
            )
        }
        bulkhead_core::hw::Gic::V2 {
            distributor,
            cpu_interface,
            virt_cpu_interface,
            ..
        } => {
            let gicv = virt_cpu_interface
                .ok_or_else(|| perr(p, "the board's GICv2 has no virtual CPU interface"))?;
            (
                GicVersion::V2,
                MemRange::new(distributor.base.0, 0x1000),
                None,
                Some((cpu_interface.base.0, gicv.base.0)),
            )
        }
    };
    let vgic_config = VgicConfig {
        version,
        vcpus,
        spis,
    };
    let vgic =
        Vgic::new(vgic_config.clone()).map_err(|e| perr(p, format!("virtual GIC: {e:?}")))?;

    // Stage 2: RAM as normal memory, passed-through devices as device
    // memory, nothing else. The emulated console and distributor stay
    // unmapped so that every access traps.
    let pa = arch::mmu::pa_range();
    let s2 = Stage2Config::new(IPA_BITS.min(pa.bits()), pa)
        .or_else(|_| Ok::<_, bulkhead_core::pagetable::Error>(Stage2Config::widest(pa)))
        .map_err(|e| perr(p, e))?;
    let vmid = u8::try_from(index + 1).map_err(|_| perr(p, "more than 255 partitions"))?;
    let vttbr = memory::with_pool(|pool| {
        let mut t = Stage2Table::new(pool, s2)?;
        for m in p.memory() {
            t.map(pool, m.guest, m.host.base, m.host.size, S2Attrs::RAM)?;
        }
        for d in p.devices() {
            for page in &d.pages {
                t.map(
                    pool,
                    GuestPhysAddr(page.base.0),
                    page.base,
                    page.size,
                    S2Attrs::DEVICE,
                )?;
            }
        }
        // GICv2: the guest's CPU interface (at the board's GICC address) is
        // the hardware's virtual CPU interface, GICV.
        if let Some((gicc_ipa, gicv_pa)) = gicv_map {
            t.map(
                pool,
                GuestPhysAddr(gicc_ipa),
                PhysAddr(gicv_pa),
                0x2000,
                S2Attrs::DEVICE,
            )?;
        }
        Ok(t.vttbr_el2(vmid))
    })
    .map_err(|e| perr(p, format!("stage-2 tables: {e}")))?;

    let console = match p.console() {
        Console::Emulated => hw.console().map(|u| EmulatedConsole {
            window: MemRange::new(u.base.base.0 & !0xFFF, bulkhead_core::vpl011::WINDOW),
            uart: VirtPl011::default(),
            line: LineBuffer::new(),
            pending: alloc::collections::VecDeque::new(),
        }),
        Console::None | Console::Passthrough { .. } => None,
    };
    let on_fault = match p.on_fault() {
        bulkhead_config::FaultPolicy::Stop => OnFault::Stop,
        bulkhead_config::FaultPolicy::InjectAbort => OnFault::InjectAbort,
        bulkhead_config::FaultPolicy::Restart(r) => OnFault::Restart(RestartLimits {
            max: r.max,
            window_ms: r.window_ms,
            min_uptime_ms: r.min_uptime_ms,
        }),
    };
    let sup = Supervisor::new(
        SupPolicy {
            on_fault,
            watchdog_ms: p.watchdog_ms(),
        },
        crate::arch::cpu::uptime_us(),
    );
    let boot = BootImage {
        scrub: p.memory().iter().map(|m| m.host).collect(),
        loads,
        vgic: vgic_config,
    };
    let cores = p
        .cpus()
        .iter()
        .map(|c| {
            order
                .iter()
                .position(|o| o.mpidr == c.mpidr)
                .filter(|&i| i < arch::MAX_CPUS)
        })
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| perr(p, "one of its cores is not running"))?;
    let cores_text: Vec<String> = cores.iter().map(|c| format!("{c}")).collect();
    println!(
        "partition {index} ({}): cores [{}], {} MiB at {}, entry {:#x}, device tree {:#x}{}",
        p.name(),
        cores_text.join(" "),
        p.memory_size() >> 20,
        mem0.host,
        lay.entry.0,
        lay.dtb.0,
        if p.devices().is_empty() {
            String::new()
        } else {
            format!(", {} device(s)", p.devices().len())
        }
    );
    Ok(Partition {
        id: index,
        name: String::from(p.name()),
        cores,
        memory: p.memory().iter().map(|m| m.guest_range()).collect(),
        vttbr,
        vtcr: s2.vtcr_el2(),
        entry: lay.entry.0,
        dtb: lay.dtb.0,
        console,
        state: State::Running,
        faults: 0,
        traps: 0,
        storm_window: (0, 0),
        vgic,
        gic_dist,
        gic_redist,
        console_intid,
        ppi_want: alloc::vec![0; vcpus],
        irq_counts: alloc::collections::BTreeMap::new(),
        idle_waits: 0,
        exits_by_class: [0; 64],
        sup,
        boot,
        manager: p.is_manager(),
        doorbell: bulkhead_core::mgmt::doorbell::Doorbell::default(),
        last_op_failed: false,
        pending: None,
        restore_counter: None,
        devices: crate::devreset::of(p, hw),
        quiesced: false,
        after_pause: State::Running,
        held: alloc::vec![None; vcpus],
        snapshots: p
            .snapshots()
            .map(|s| (s.area, s.slot_size, s.slots.min(255) as u8)),
    })
}

/// Copies `bytes` to machine-physical `at` and cleans them to memory.
fn load(at: u64, bytes: &[u8]) {
    // SAFETY: `at` lies in the partition's own memory (validated against
    // the board's RAM and every other owner, and laid out by
    // `layout::layout` inside memory[0]), which the EL2 map covers and no
    // one else uses; the bundle bytes do not overlap it (validation keeps
    // partition memory off the initrd).
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), at as *mut u8, bytes.len()) };
    cache::clean_to_poc(at as usize, bytes.len());
}

/// The partition's device tree must describe what the validated
/// configuration gives it: its memory regions exactly, and one cpu node per
/// vCPU. (Stage 2 enforces isolation whatever the tree says; this catches a
/// bundle packed for another configuration before the guest is misled.)
fn check_guest_tree(hw: &Hardware, p: &PartitionConfig, dtb: &[u8]) -> Result<(), SetupError> {
    let tree =
        bulkhead_core::dt::parse(dtb).map_err(|e| perr(p, format!("its device tree: {e}")))?;
    let want = hw.gic.as_ref().map(|g| g.version()).unwrap_or(0);
    let got = tree.gic.as_ref().map(|g| g.version()).unwrap_or(0);
    if want != got {
        return Err(perr(
            p,
            format!("its device tree describes GICv{got}, this board has GICv{want} (pack the bundle for this board)"),
        ));
    }
    let mut want: Vec<MemRange> = p.memory().iter().map(|m| m.guest_range()).collect();
    want.sort();
    if tree.memory != want {
        return Err(perr(
            p,
            "its device tree's memory does not match its configuration",
        ));
    }
    if tree.cpus.len() != p.cpus().len() {
        return Err(perr(
            p,
            format!(
                "its device tree lists {} cpus, its configuration {}",
                tree.cpus.len(),
                p.cpus().len()
            ),
        ));
    }
    Ok(())
}
