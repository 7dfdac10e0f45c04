//! A checked configuration written back as raw data with every choice made
//! explicit ("pinned"): cores as MPIDRs, every region with its base, every
//! console spelled out. Validating the pinned form against the same board
//! and constraints gives back an equal [`SystemConfig`]; against a
//! different board it fails loudly instead of choosing differently.

use crate::checked::{Boot, Console, FaultPolicy, PartitionConfig, SystemConfig};
use crate::raw::{RawHypervisor, RawMemory, RawPartition, RawRestart, RawSystem};
use crate::size::ByteSize;
use alloc::string::String;
use alloc::vec::Vec;

impl SystemConfig {
    /// The pinned raw form (see the module documentation).
    pub fn to_raw(&self) -> RawSystem {
        RawSystem {
            hypervisor: RawHypervisor {
                console: Some(
                    self.console
                        .as_ref()
                        .map_or_else(|| String::from("none"), |c| c.path.clone()),
                ),
            },
            partitions: self.partitions.iter().map(pin_partition).collect(),
        }
    }

    /// The binary form for the boot bundle: [`crate::encode_raw`] of
    /// [`SystemConfig::to_raw`]. [`crate::decode`] reads it back.
    pub fn encode(&self) -> Vec<u8> {
        crate::wire::encode_raw(&self.to_raw())
    }
}

fn pin_partition(p: &PartitionConfig) -> RawPartition {
    RawPartition {
        name: p.name.clone(),
        cpus: None,
        mpidrs: Some(p.cpus.iter().map(|c| c.mpidr).collect()),
        memory: p
            .memory
            .iter()
            .map(|m| RawMemory {
                size: ByteSize(m.host.size),
                base: Some(m.host.base.0),
                identity: Some(m.identity),
                guest_base: (!m.identity).then_some(m.guest.0),
            })
            .collect(),
        devices: p.devices.iter().map(|d| d.path.clone()).collect(),
        kernel: p.images.kernel.clone(),
        ramdisk: p.images.ramdisk.clone(),
        dtb: p.images.dtb.clone(),
        bootargs: (!p.bootargs.is_empty()).then(|| p.bootargs.clone()),
        boot_protocol: p.boot.protocol(),
        entry_offset: match p.boot {
            Boot::Linux => None,
            Boot::BareMetal { entry_offset } => Some(entry_offset),
        },
        console: Some(match p.console {
            Console::None => String::from("none"),
            Console::Emulated => String::from("emulated"),
            Console::Passthrough { device } => p
                .devices
                .get(device)
                .map_or_else(|| String::from("none"), |d| d.path.clone()),
        }),
        on_fault: p.on_fault.action(),
        restart: match p.on_fault {
            FaultPolicy::Restart(r) => Some(RawRestart {
                max: r.max,
                window_ms: u64::from(r.window_ms),
                min_uptime_ms: u64::from(r.min_uptime_ms),
            }),
            FaultPolicy::Stop | FaultPolicy::InjectAbort => None,
        },
        watchdog_ms: p.watchdog_ms.map(u64::from),
        manager: p.manager,
        snapshot_slots: p.snapshots.map_or(0, |s| s.slots),
        reset_on_restore: p
            .devices
            .iter()
            .filter(|d| d.reset_on_restore.is_some())
            .map(|d| d.path.clone())
            .collect(),
    }
}
