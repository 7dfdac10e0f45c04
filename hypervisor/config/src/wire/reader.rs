//! Decoding: [`decode`]. Every read is bounds-checked and every count and
//! length bounded before anything is allocated, so corrupt input yields a
//! [`DecodeError`], never a panic or a large allocation.

use super::{DecodeError, HEADER_SIZE, MAGIC, VERSION};
use crate::limits::{
    MAX_BOOTARGS, MAX_CPUS_PER_PARTITION, MAX_DEVICES, MAX_ENCODED, MAX_MEMORY_REGIONS, MAX_NAME,
    MAX_PARTITIONS, MAX_PATH,
};
use crate::raw::{
    BootProtocol, FaultAction, RawHypervisor, RawMemory, RawPartition, RawRestart, RawSystem,
};
use crate::size::ByteSize;
use alloc::string::String;
use alloc::vec::Vec;

/// Decodes what [`crate::SystemConfig::encode`] wrote. The result is raw:
/// validate it (against the board's real device tree) before use.
pub fn decode(bytes: &[u8]) -> Result<RawSystem, DecodeError> {
    let mut header = Reader { buf: bytes, pos: 0 };
    if header.take(MAGIC.len(), "magic")? != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let version = header.u32("version")?;
    if version != VERSION {
        return Err(DecodeError::UnsupportedVersion { found: version });
    }
    let body_len = header.u32("body length")?;
    if usize::try_from(body_len).map_or(true, |n| n > MAX_ENCODED) {
        return Err(DecodeError::TooLarge { size: body_len });
    }
    let body = bytes.get(HEADER_SIZE..).unwrap_or(&[]);
    if usize::try_from(body_len).ok() != Some(body.len()) {
        return Err(DecodeError::LengthMismatch {
            header: body_len,
            actual: body.len(),
        });
    }
    let mut r = Reader {
        buf: bytes,
        pos: HEADER_SIZE,
    };
    let console = r.opt("hypervisor.console", |r| {
        r.str("hypervisor.console", MAX_PATH)
    })?;
    let partitions = r.list("partitions", MAX_PARTITIONS, partition)?;
    let left = bytes.len().saturating_sub(r.pos);
    if left != 0 {
        return Err(DecodeError::TrailingBytes { count: left });
    }
    Ok(RawSystem {
        hypervisor: RawHypervisor { console },
        partitions,
    })
}

fn partition(r: &mut Reader<'_>) -> Result<RawPartition, DecodeError> {
    Ok(RawPartition {
        name: r.str("name", MAX_NAME)?,
        cpus: r.opt("cpus", |r| {
            r.list("cpus", MAX_CPUS_PER_PARTITION, |r| r.str("cpus", MAX_PATH))
        })?,
        mpidrs: r.opt("mpidrs", |r| {
            r.list("mpidrs", MAX_CPUS_PER_PARTITION, |r| r.u64("mpidrs"))
        })?,
        memory: r.list("memory", MAX_MEMORY_REGIONS, memory)?,
        devices: r.list("devices", MAX_DEVICES, |r| r.str("devices", MAX_PATH))?,
        kernel: r.str("kernel", MAX_PATH)?,
        ramdisk: r.opt("ramdisk", |r| r.str("ramdisk", MAX_PATH))?,
        dtb: r.opt("dtb", |r| r.str("dtb", MAX_PATH))?,
        bootargs: r.opt("bootargs", |r| r.str("bootargs", MAX_BOOTARGS))?,
        boot_protocol: match r.u8("boot_protocol")? {
            0 => BootProtocol::Linux,
            1 => BootProtocol::BareMetal,
            value => return Err(r.bad_tag("boot_protocol", value)),
        },
        entry_offset: r.opt("entry_offset", |r| r.u64("entry_offset"))?,
        console: r.opt("console", |r| r.str("console", MAX_PATH))?,
        on_fault: match r.u8("on_fault")? {
            0 => FaultAction::Stop,
            1 => FaultAction::Restart,
            2 => FaultAction::InjectAbort,
            value => return Err(r.bad_tag("on_fault", value)),
        },
        restart: r.opt("restart", |r| {
            Ok(RawRestart {
                max: r.u32("restart.max")?,
                window_ms: r.u64("restart.window_ms")?,
                min_uptime_ms: r.u64("restart.min_uptime_ms")?,
            })
        })?,
        watchdog_ms: r.opt("watchdog_ms", |r| r.u64("watchdog_ms"))?,
        manager: r.bool("manager")?,
        snapshot_slots: r.u32("snapshot_slots")?,
        reset_on_restore: r.list("reset_on_restore", MAX_DEVICES, |r| {
            r.str("reset_on_restore", MAX_PATH)
        })?,
    })
}

fn memory(r: &mut Reader<'_>) -> Result<RawMemory, DecodeError> {
    Ok(RawMemory {
        size: ByteSize(r.u64("memory.size")?),
        base: r.opt("memory.base", |r| r.u64("memory.base"))?,
        identity: r.opt("memory.identity", |r| r.bool("memory.identity"))?,
        guest_base: r.opt("memory.guest_base", |r| r.u64("memory.guest_base"))?,
    })
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let truncated = DecodeError::Truncated {
            field,
            at: self.pos,
        };
        let end = self.pos.checked_add(n).ok_or(truncated.clone())?;
        let out = self.buf.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let at = self.pos;
        self.take(N, field)?
            .try_into()
            .map_err(|_| DecodeError::Truncated { field, at })
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        self.array::<1>(field).map(|[b]| b)
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        self.array(field).map(u32::from_le_bytes)
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        self.array(field).map(u64::from_le_bytes)
    }

    fn bad_tag(&self, field: &'static str, value: u8) -> DecodeError {
        DecodeError::BadTag { field, value }
    }

    fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(self.bad_tag(field, value)),
        }
    }

    fn str(&mut self, field: &'static str, max: usize) -> Result<String, DecodeError> {
        let len = self.u32(field)?;
        let n = usize::try_from(len)
            .ok()
            .filter(|n| *n <= max)
            .ok_or(DecodeError::TooLong { field, len, max })?;
        let bytes = self.take(n, field)?;
        core::str::from_utf8(bytes)
            .map(String::from)
            .map_err(|_| DecodeError::BadUtf8 { field })
    }

    fn opt<T>(
        &mut self,
        field: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        match self.u8(field)? {
            0 => Ok(None),
            1 => f(self).map(Some),
            value => Err(self.bad_tag(field, value)),
        }
    }

    fn list<T>(
        &mut self,
        field: &'static str,
        max: usize,
        mut f: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let count = self.u32(field)?;
        let n = usize::try_from(count)
            .ok()
            .filter(|n| *n <= max)
            .ok_or(DecodeError::TooMany { field, count, max })?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(f(self)?);
        }
        Ok(out)
    }
}
