//! Encoding: [`encode_raw`].

use super::{HEADER_SIZE, MAGIC, VERSION};
use crate::raw::{BootProtocol, FaultAction, RawMemory, RawPartition, RawSystem};
use alloc::string::String;
use alloc::vec::Vec;

/// Encodes a raw configuration. Meant for validated ones (use
/// [`crate::SystemConfig::encode`]); a raw configuration over the limits of
/// [`crate::limits`] encodes, but [`crate::decode`] refuses it.
pub fn encode_raw(raw: &RawSystem) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(512));
    w.opt(&raw.hypervisor.console, Writer::str);
    w.len(raw.partitions.len());
    for p in &raw.partitions {
        partition(&mut w, p);
    }
    let body = w.0;
    let mut out = Vec::with_capacity(HEADER_SIZE.saturating_add(body.len()));
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn partition(w: &mut Writer, p: &RawPartition) {
    w.str(&p.name);
    w.opt(&p.cpus, |w, v| w.list(v, |w, s| w.str(s)));
    w.opt(&p.mpidrs, |w, v| w.list(v, |w, m| w.u64(*m)));
    w.list(&p.memory, memory);
    w.list(&p.devices, |w, s| w.str(s));
    w.str(&p.kernel);
    w.opt(&p.ramdisk, Writer::str);
    w.opt(&p.dtb, Writer::str);
    w.opt(&p.bootargs, Writer::str);
    w.u8(match p.boot_protocol {
        BootProtocol::Linux => 0,
        BootProtocol::BareMetal => 1,
    });
    w.opt(&p.entry_offset, |w, v| w.u64(*v));
    w.opt(&p.console, Writer::str);
    w.u8(match p.on_fault {
        FaultAction::Stop => 0,
        FaultAction::Restart => 1,
        FaultAction::InjectAbort => 2,
    });
    w.opt(&p.restart, |w, r| {
        w.u32(r.max);
        w.u64(r.window_ms);
        w.u64(r.min_uptime_ms);
    });
    w.opt(&p.watchdog_ms, |w, v| w.u64(*v));
    w.u8(u8::from(p.manager));
    w.u32(p.snapshot_slots);
    w.list(&p.reset_on_restore, |w, s| w.str(s));
}

fn memory(w: &mut Writer, m: &RawMemory) {
    w.u64(m.size.0);
    w.opt(&m.base, |w, v| w.u64(*v));
    w.opt(&m.identity, |w, v| w.u8(u8::from(*v)));
    w.opt(&m.guest_base, |w, v| w.u64(*v));
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// A length; one too large for u32 becomes u32::MAX, which every bound
    /// of the decoder refuses.
    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn str(&mut self, s: &String) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt<T>(&mut self, v: &Option<T>, f: impl FnOnce(&mut Self, &T)) {
        match v {
            None => self.u8(0),
            Some(x) => {
                self.u8(1);
                f(self, x);
            }
        }
    }
    fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        self.len(items.len());
        for x in items {
            f(self, x);
        }
    }
}
