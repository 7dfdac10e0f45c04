//! The defmt log reaches the host: boot, read the RAM ring over QMP, decode
//! it against the ELF.

use bulkhead_tests::{images, scratch, Qemu, TestFailure, Virt, DEFAULT_LIMIT};
use std::time::Duration;
use xtask::elf::Elf;
use xtask::qmp::Qmp;
use xtask::ring;

#[test]
fn defmt_log_decodes_from_the_ring() -> Result<(), TestFailure> {
    let built = images("qemu-virt")?;
    let sock = scratch("log-ring.qmp");
    let _ = std::fs::remove_file(&sock);
    let mut v = Virt::new(&built.img);
    v.extra = vec![
        "-qmp".into(),
        format!("unix:{},server=on,wait=off", sock.display()),
    ];
    let q = Qemu::virt(&v)?;
    q.wait_for("bulkhead: ready", DEFAULT_LIMIT)?;

    let elf_bytes =
        std::fs::read(&built.elf).map_err(|e| format!("{}: {e}", built.elf.display()))?;
    let elf = Elf::parse(&elf_bytes).map_err(String::from)?;
    let sym = elf
        .symbol(ring::SYMBOL)
        .map_err(String::from)?
        .ok_or_else(|| TestFailure::new(format!("no {} symbol", ring::SYMBOL)))?;
    let mut qmp = Qmp::connect(&sock, Duration::from_secs(5)).map_err(|e| q.failure(e))?;
    let dump = qmp
        .read_memory(sym.value, sym.size, &scratch("log-ring.bin"))
        .map_err(|e| q.failure(e))?;
    let (header, data) = ring::parse(&dump).map_err(|e| q.failure(e))?;
    let stream = ring::reconstruct(header, data);
    let lines = ring::decode(&elf_bytes, &stream.bytes).map_err(|e| q.failure(e))?;
    let _ = std::fs::remove_file(&sock);
    if lines.is_empty() || lines.iter().any(|l| l.contains("malformed")) {
        return Err(q.failure(format!(
            "the log ring ({} bytes written) decoded to {} line(s):\n{}",
            header.written,
            lines.len(),
            lines.join("\n")
        )));
    }
    println!("{} defmt line(s), first: {}", lines.len(), lines[0]);
    Ok(())
}
