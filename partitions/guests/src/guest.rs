//! What the guest does once its MMU is on: read the device tree, say hello,
//! bring the other CPUs up through PSCI, then run the mode the bootargs ask
//! for. Also the exception handler the vectors call.

use crate::arch::{cpu, entry, mmu, psci as conduit, vectors::TrapFrame};
use crate::bootargs::{self, Config, CrashKind, Mode};
use crate::dt::{self, Info, UartSource, MAX_CPUS};
use crate::psci::{self, Version};
use crate::{console, esr, println};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Bit i set: device-tree cpu i has reached `guest_secondary_main`.
static ONLINE: AtomicU32 = AtomicU32::new(0);
/// mode=counter's counter: a plain variable in guest memory, so that a
/// snapshot of the partition's RAM carries it.
static COUNTER: AtomicU64 = AtomicU64::new(0);
/// Data aborts taken (and skipped) so far.
static DATA_ABORTS: AtomicU64 = AtomicU64::new(0);

/// How long the boot CPU waits for a started CPU to say it is online.
const ONLINE_TIMEOUT_MS: u64 = 2000;
/// Assumed when CNTFRQ_EL0 reads 0 (QEMU's usual 62.5 MHz).
const FALLBACK_FREQUENCY: u64 = 62_500_000;

#[no_mangle]
extern "C" fn guest_primary_main(x0: usize, image_start: usize, image_end: usize) -> ! {
    let dtb = entry::dtb_location(x0).filter(|_| mmu::dtb_mapped());
    let Some((dtb_addr, dtb_size)) = dtb else {
        // No device tree, so no console to complain on.
        cpu::park()
    };
    let info = match dt::parse(entry::dtb_bytes(dtb_addr, dtb_size)) {
        Ok(info) => info,
        Err(_) => cpu::park(),
    };
    let Some(uart) = info.uart else { cpu::park() };
    console::init(uart.base as usize, uart.sbsa);
    cpu::unmask_serror();

    let cfg = bootargs::parse(info.bootargs, |_| {});
    println!("hello from {} on {} cpu(s)", cfg.name, info.cpus.total);
    describe(&info, &cfg, x0, dtb_addr, image_start, image_end);
    // Second pass, now that the hello line is out: report what was not taken.
    bootargs::parse(info.bootargs, |issue| println!("{issue}"));

    if let Some(c) = info.psci {
        conduit::set_conduit(c);
        match conduit::call(psci::PSCI_VERSION, 0, 0, 0).and_then(Version::from_ret) {
            Some(v) => println!("psci version {v}"),
            None => println!("guest: PSCI_VERSION not supported"),
        }
    }
    bring_up(&info, &cfg);
    run(&cfg)
}

/// One line with where everything is, for whoever reads the log.
fn describe(
    info: &Info<'_>,
    cfg: &Config<'_>,
    x0: usize,
    dtb: usize,
    image_start: usize,
    image_end: usize,
) {
    let el = cpu::current_el();
    if el != 1 {
        println!("guest: warning: running at EL{el}, not EL1");
    }
    let uart = info.uart.expect("console found");
    let dtb_from = if x0 == dtb { "x0" } else { "fallback" };
    let mmu = match (el, cpu::sctlr() & 1) {
        (1, 1) => "on",
        (1, _) => "off",
        _ => "n/a",
    };
    println!(
        "guest: el{el}, mmu {mmu}, image 0x{image_start:x}-0x{image_end:x}, dtb 0x{dtb:x} ({dtb_from}), {} 0x{:x} ({}), psci {}, timer {} Hz",
        if uart.sbsa { "sbsa-uart" } else { "pl011" },
        uart.base,
        match uart.source {
            UartSource::StdoutPath => "stdout-path",
            UartSource::Compatible => "compatible",
        },
        info.psci.map(|c| c.name()).unwrap_or("none"),
        cpu::counter_frequency(),
    );
    match info.memory {
        Some(m) => println!("guest: memory 0x{:x}-0x{:x}", m.base, m.base + m.size),
        None => println!("guest: no memory node"),
    }
    println!(
        "guest: bootargs \"{}\" -> mode={} period_ms={}",
        info.bootargs,
        cfg.mode.name(),
        cfg.period_ms
    );
}

/// Starts the CPUs the bootargs ask for (all of the tree's by default), one
/// at a time, and reports them.
fn bring_up(info: &Info<'_>, cfg: &Config<'_>) {
    let cpus = &info.cpus;
    let my_mpidr = cpu::mpidr() & dt::MPIDR_AFFINITY_MASK;
    let me = match cpus.index_of(my_mpidr) {
        Some(i) => i,
        None => {
            println!("guest: warning: boot cpu (mpidr 0x{my_mpidr:x}) is not in the device tree");
            0
        }
    };
    cpu::set_index(me);
    ONLINE.fetch_or(1 << me, Ordering::SeqCst);
    println!("cpu {me} online (mpidr 0x{my_mpidr:x})");

    if cpus.total > MAX_CPUS {
        println!(
            "guest: {} cpus in the device tree, using the first {MAX_CPUS}",
            cpus.total
        );
    }
    let available = cpus.count.max(1);
    let want = match cfg.cpus {
        Some(n) if n as usize > available => {
            println!("guest: cpus={n} but only {available} cpu(s) available");
            available
        }
        Some(n) => n as usize,
        None => available,
    };
    if want > 1 && conduit::conduit().is_none() {
        println!("guest: no PSCI in the device tree: staying on 1 cpu");
        println!("all 1 cpus online");
        return;
    }

    let entry_point = entry::secondary_entry_address();
    let freq = frequency();
    let mut started = 1;
    let mut slot = 1;
    for (i, &mpidr) in cpus.list().iter().enumerate() {
        if started == want {
            break;
        }
        if i == me {
            continue;
        }
        let state = conduit::call(psci::AFFINITY_INFO_64, mpidr, 0, 0).unwrap_or(-1);
        println!(
            "psci affinity_info 0x{mpidr:x}: {}",
            psci::affinity_state(state)
        );
        let context = (slot as u64) | ((i as u64) << 8);
        let ret = conduit::call(psci::CPU_ON_64, mpidr, entry_point, context).unwrap_or(-1);
        started += 1;
        if ret != 0 {
            println!(
                "guest: CPU_ON 0x{mpidr:x} failed: {} ({ret})",
                psci::ret_name(ret)
            );
            continue;
        }
        slot += 1;
        let deadline = cpu::counter() + freq * ONLINE_TIMEOUT_MS / 1000;
        while ONLINE.load(Ordering::Acquire) & (1 << i) == 0 {
            if cpu::counter() > deadline {
                println!("guest: cpu {i} (mpidr 0x{mpidr:x}) did not come online");
                break;
            }
            core::hint::spin_loop();
        }
    }

    let online = ONLINE.load(Ordering::Acquire);
    for (i, &mpidr) in cpus.list().iter().enumerate() {
        if i != me && online & (1 << i) != 0 {
            let state = conduit::call(psci::AFFINITY_INFO_64, mpidr, 0, 0).unwrap_or(-1);
            println!(
                "psci affinity_info 0x{mpidr:x}: {}",
                psci::affinity_state(state)
            );
        }
    }
    let n = online.count_ones() as usize;
    if n == want {
        println!("all {n} cpus online");
    } else {
        println!("guest: only {n} of {want} cpus online");
    }
}

/// A secondary CPU after its MMU is on: report and stop.
#[no_mangle]
extern "C" fn guest_secondary_main(context: u64) -> ! {
    let i = ((context >> 8) & 0xff) as usize;
    let mpidr = cpu::mpidr() & dt::MPIDR_AFFINITY_MASK;
    println!("cpu {i} online (mpidr 0x{mpidr:x})");
    ONLINE.fetch_or(1 << i, Ordering::SeqCst);
    cpu::park()
}

fn frequency() -> u64 {
    match cpu::counter_frequency() {
        0 => FALLBACK_FREQUENCY,
        f => f,
    }
}

/// The boot CPU's loop: one tick per period.
fn run(cfg: &Config<'_>) -> ! {
    let freq = frequency();
    if cpu::counter_frequency() == 0 {
        println!("guest: CNTFRQ_EL0 is 0, assuming {FALLBACK_FREQUENCY} Hz");
    }
    let period = ((freq as u128 * cfg.period_ms as u128) / 1000).max(1) as u64;
    let mut next = cpu::counter() + period;
    let mut beat: u64 = 0;
    loop {
        if beat > 0 {
            while cpu::counter() < next {
                core::hint::spin_loop();
            }
            next += period;
            let now = cpu::counter();
            if now >= next {
                // Far behind (the partition was paused, or restored from a
                // snapshot): carry on from now rather than catch up in a burst.
                next = now + period;
            }
            match cfg.mode {
                Mode::Counter => {
                    let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
                    println!("counter {n}");
                }
                _ => println!("heartbeat {beat}"),
            }
        }
        if let Some(f) = cfg.fault {
            if f.after == beat {
                fault(f.addr, f.write);
            }
        }
        if cfg.after == beat {
            act(cfg);
        }
        beat += 1;
    }
}

/// The deliberate access outside the partition (fault_addr).
fn fault(addr: u64, write: bool) {
    let before = DATA_ABORTS.load(Ordering::Relaxed);
    if write {
        println!("guest: writing 0x{addr:x}");
        cpu::probe_write(addr, 0x6775_6573_7421_0000);
    } else {
        println!("guest: reading 0x{addr:x}");
        let v = cpu::probe_read(addr);
        if DATA_ABORTS.load(Ordering::Relaxed) == before {
            println!("guest: read 0x{addr:x} = 0x{v:x}, no abort");
        }
    }
    if DATA_ABORTS.load(Ordering::Relaxed) != before {
        println!("guest: survived the abort, continuing");
    } else if write {
        println!("guest: wrote 0x{addr:x}, no abort");
    }
}

/// The end of mode=crash/hang/off/reset.
fn act(cfg: &Config<'_>) {
    match cfg.mode {
        Mode::Heartbeat | Mode::Counter => {}
        Mode::Crash => match cfg.crash {
            CrashKind::Undefined => {
                println!("guest: crashing: undefined instruction");
                cpu::undefined_instruction()
            }
            CrashKind::Panic => {
                println!("guest: crashing: panic");
                panic!("crash requested (mode=crash crash=panic)")
            }
        },
        Mode::Hang => {
            println!("guest: hanging with interrupts masked");
            cpu::hang()
        }
        Mode::Off => power(psci::SYSTEM_OFF, "SYSTEM_OFF"),
        Mode::Reset => power(psci::SYSTEM_RESET, "SYSTEM_RESET"),
        Mode::Manage => {
            // PARTITION_COUNT, then MGMT_COMMAND(restart, partition 0).
            for (name, f, a1, a2) in [
                ("partition_count", 0xC600_0010u32, 0, 0),
                ("restart #0", 0xC600_0020, 3, 0),
            ] {
                match conduit::call(f, a1, a2, 0) {
                    Some(ret) => println!("guest: hypercall {name} returned {ret}"),
                    None => println!("guest: no conduit for hypercall {name}"),
                }
            }
        }
    }
}

fn power(function: u32, name: &str) -> ! {
    println!("guest: calling PSCI {name}");
    match conduit::call(function, 0, 0, 0) {
        Some(ret) => println!(
            "guest: PSCI {name} returned {} ({ret})",
            psci::ret_name(ret)
        ),
        None => println!("guest: no PSCI in the device tree, cannot call {name}"),
    }
    cpu::park()
}

/// Called by the vectors. Data aborts are reported and skipped; SErrors are
/// reported; anything else is reported and stops the CPU.
pub fn exception(frame: &mut TrapFrame, kind: u64) {
    let (esr, far) = (cpu::esr(), cpu::far());
    match kind & 3 {
        0 if esr::is_data_abort(esr) => {
            DATA_ABORTS.fetch_add(1, Ordering::Relaxed);
            println!("guest: data abort at 0x{far:x} (ESR 0x{esr:x})");
            println!(
                "guest: {} at ELR 0x{:x}, skipping it",
                if esr::is_write(esr) { "write" } else { "read" },
                frame.elr
            );
            frame.elr += 4;
        }
        0 => {
            println!(
                "guest: {} (ESR 0x{esr:x}, FAR 0x{far:x}, ELR 0x{:x})",
                esr::class_name(esr),
                frame.elr
            );
            println!("guest: stopped");
            cpu::park()
        }
        3 => println!("guest: serror (ESR 0x{esr:x})"),
        _ => {
            println!(
                "guest: unexpected {} (vector {kind})",
                if kind & 3 == 1 { "irq" } else { "fiq" }
            );
            cpu::park()
        }
    }
}
