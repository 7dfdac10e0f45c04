//! Helpers shared by the device tree tests: a terse tree builder over
//! vm-fdt, and blob surgery (compacting QEMU's padded dumps, inserting NOP
//! tokens).
#![allow(dead_code)]

use vm_fdt::{FdtReserveEntry, FdtWriter, FdtWriterNode};

/// Builds a blob node by node. Properties must come before child nodes
/// (vm-fdt enforces the DT rule).
pub struct Dtb {
    w: FdtWriter,
    open: Vec<FdtWriterNode>,
}

impl Dtb {
    pub fn new() -> Self {
        Self::with_reservations(&[])
    }

    /// A blob whose header lists `(address, size)` /memreserve/ entries.
    pub fn with_reservations(entries: &[(u64, u64)]) -> Self {
        let entries: Vec<FdtReserveEntry> = entries
            .iter()
            .map(|&(a, s)| FdtReserveEntry::new(a, s).unwrap())
            .collect();
        let mut w = FdtWriter::new_with_mem_reserv(&entries).unwrap();
        let root = w.begin_node("").unwrap();
        Dtb {
            w,
            open: vec![root],
        }
    }

    pub fn node(&mut self, name: &str) -> &mut Self {
        let n = self.w.begin_node(name).unwrap();
        self.open.push(n);
        self
    }

    pub fn end(&mut self) -> &mut Self {
        let n = self.open.pop().expect("no open node");
        self.w.end_node(n).unwrap();
        self
    }

    pub fn cells(&mut self, name: &str, cells: &[u32]) -> &mut Self {
        self.w.property_array_u32(name, cells).unwrap();
        self
    }

    pub fn str(&mut self, name: &str, value: &str) -> &mut Self {
        self.w.property_string(name, value).unwrap();
        self
    }

    pub fn strs(&mut self, name: &str, values: &[&str]) -> &mut Self {
        self.w
            .property_string_list(name, values.iter().map(|s| s.to_string()).collect())
            .unwrap();
        self
    }

    pub fn bytes(&mut self, name: &str, value: &[u8]) -> &mut Self {
        self.w.property(name, value).unwrap();
        self
    }

    pub fn flag(&mut self, name: &str) -> &mut Self {
        self.w.property_null(name).unwrap();
        self
    }

    /// `#address-cells` and `#size-cells`.
    pub fn bus(&mut self, address: u32, size: u32) -> &mut Self {
        self.cells("#address-cells", &[address])
            .cells("#size-cells", &[size])
    }

    pub fn finish(mut self) -> Vec<u8> {
        while !self.open.is_empty() {
            self.end();
        }
        self.w.finish().unwrap()
    }

    /// One PSCI core (`cpu@0`) under /cpus with one address cell.
    pub fn one_cpu(&mut self) -> &mut Self {
        self.node("cpus")
            .bus(1, 0)
            .node("cpu@0")
            .str("device_type", "cpu")
            .cells("reg", &[0])
            .str("enable-method", "psci")
            .end()
            .end()
    }

    /// 1 GiB at 0x40000000 (root with two address and two size cells).
    pub fn one_gib(&mut self) -> &mut Self {
        self.node("memory@40000000")
            .str("device_type", "memory")
            .cells("reg", &[0, 0x4000_0000, 0, 0x4000_0000])
            .end()
    }

    /// A GICv3 with phandle 1 at the root, 3 interrupt cells.
    pub fn gic_v3(&mut self) -> &mut Self {
        self.node("intc@8000000")
            .strs("compatible", &["arm,gic-v3"])
            .flag("interrupt-controller")
            .cells("#interrupt-cells", &[3])
            .cells(
                "reg",
                &[0, 0x0800_0000, 0, 0x1_0000, 0, 0x080a_0000, 0, 0xf6_0000],
            )
            .cells("interrupts", &[1, 9, 4])
            .cells("phandle", &[1])
            .end()
    }
}

/// A bootable tree: root with two address and two size cells and
/// interrupt-parent = <1>, then `body` adds nodes, then one core and 1 GiB.
pub fn bootable(body: impl FnOnce(&mut Dtb)) -> Vec<u8> {
    let mut t = Dtb::new();
    t.bus(2, 2).cells("interrupt-parent", &[1]);
    body(&mut t);
    t.one_cpu().one_gib();
    t.finish()
}

fn word(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn set_word(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// QEMU pads its dumps to 1 MiB: cut the blob after its last block and
/// make `totalsize` say so, so that truncation and mutation hit real
/// content.
pub fn compact(blob: &[u8]) -> Vec<u8> {
    let end = [(2, 9), (3, 8)]
        .iter()
        .map(|&(off, size)| (word(blob, off * 4) + word(blob, size * 4)) as usize)
        .max()
        .unwrap();
    let mut out = blob[..end].to_vec();
    set_word(&mut out, 4, end as u32);
    out
}

/// The same tree with a NOP token before every token of the structure
/// block (legal, and what libfdt's nop functions leave behind).
pub fn with_nops(blob: &[u8]) -> Vec<u8> {
    let (off, size) = (word(blob, 8) as usize, word(blob, 36) as usize);
    let s = &blob[off..off + size];
    let mut out_s = Vec::new();
    let mut at = 0;
    loop {
        let tag = word(s, at);
        let next = match tag {
            1 => {
                let len = s[at + 4..].iter().position(|&b| b == 0).unwrap();
                (at + 4 + len + 1 + 3) & !3
            }
            3 => (at + 12 + word(s, at + 4) as usize + 3) & !3,
            _ => at + 4,
        };
        out_s.extend_from_slice(&4u32.to_be_bytes());
        out_s.extend_from_slice(&s[at..next]);
        if tag == 9 {
            break;
        }
        at = next;
    }
    // Rebuild: header, everything before the structure block, the new
    // structure block, then the strings block at its new place.
    let (str_off, str_size) = (word(blob, 12) as usize, word(blob, 32) as usize);
    assert!(
        str_off >= off + size,
        "strings block expected after structure"
    );
    let mut out = blob[..off].to_vec();
    out.extend_from_slice(&out_s);
    let new_str_off = out.len();
    out.extend_from_slice(&blob[str_off..str_off + str_size]);
    let total = out.len() as u32;
    set_word(&mut out, 4, total);
    set_word(&mut out, 12, new_str_off as u32);
    set_word(&mut out, 36, out_s.len() as u32);
    out
}

/// The blob with its structure block replaced by `words` (the strings
/// block moves behind it; the header follows).
pub fn replace_structure(blob: &[u8], words: &[u32]) -> Vec<u8> {
    let off = word(blob, 8) as usize;
    let (str_off, str_size) = (word(blob, 12) as usize, word(blob, 32) as usize);
    let mut out = blob[..off].to_vec();
    out.extend(words.iter().flat_map(|w| w.to_be_bytes()));
    let new_str_off = out.len();
    out.extend_from_slice(&blob[str_off..str_off + str_size]);
    let total = out.len() as u32;
    set_word(&mut out, 4, total);
    set_word(&mut out, 12, new_str_off as u32);
    set_word(&mut out, 36, (words.len() * 4) as u32);
    out
}
