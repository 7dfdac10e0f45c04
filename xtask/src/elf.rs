//! Just enough of ELF64 (little-endian) to cut a raw image from the load
//! segments, list sections and find a symbol. The hypervisor is a static
//! aarch64 executable, so nothing else is needed; every offset read is
//! bounds-checked and a malformed file gives an error, never a panic.

use std::fmt;

pub const PT_LOAD: u32 = 1;
pub const SHT_SYMTAB: u32 = 2;
pub const SHT_NOBITS: u32 = 8;
pub const SHF_ALLOC: u64 = 2;
pub const EM_AARCH64: u16 = 183;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfError(pub String);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed ELF: {}", self.0)
    }
}

impl From<ElfError> for String {
    fn from(e: ElfError) -> String {
        e.to_string()
    }
}

type Result<T> = std::result::Result<T, ElfError>;

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(ElfError(msg.into()))
}

fn bytes<'d>(data: &'d [u8], off: u64, len: u64, what: &str) -> Result<&'d [u8]> {
    let end = off.checked_add(len);
    match end {
        Some(end) if end <= data.len() as u64 => Ok(&data[off as usize..end as usize]),
        _ => err(format!(
            "{what} at offset {off:#x} (+{len:#x}) lies past the end of the file ({:#x} bytes)",
            data.len()
        )),
    }
}

fn u16_at(d: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([d[off], d[off + 1]])
}

fn u32_at(d: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([d[off], d[off + 1], d[off + 2], d[off + 3]])
}

fn u64_at(d: &[u8], off: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[off..off + 8]);
    u64::from_le_bytes(b)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub paddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
    pub link: u32,
}

impl Section {
    pub fn is_alloc(&self) -> bool {
        self.flags & SHF_ALLOC != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub value: u64,
    pub size: u64,
}

/// A parsed ELF64 little-endian file. Borrows the file's bytes.
#[derive(Debug)]
pub struct Elf<'a> {
    pub data: &'a [u8],
    pub machine: u16,
    pub entry: u64,
    pub segments: Vec<Segment>,
    pub sections: Vec<Section>,
}

impl<'a> Elf<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let ident = bytes(data, 0, 64, "ELF header")?;
        if &ident[..4] != b"\x7fELF" {
            return err("no ELF magic at the start of the file");
        }
        if ident[4] != 2 {
            return err("not a 64-bit ELF (EI_CLASS != ELFCLASS64)");
        }
        if ident[5] != 1 {
            return err("not a little-endian ELF (EI_DATA != ELFDATA2LSB)");
        }
        let machine = u16_at(ident, 18);
        let entry = u64_at(ident, 24);
        let phoff = u64_at(ident, 32);
        let shoff = u64_at(ident, 40);
        let phentsize = u16_at(ident, 54) as u64;
        let phnum = u16_at(ident, 56) as u64;
        let shentsize = u16_at(ident, 58) as u64;
        let shnum = u16_at(ident, 60) as u64;
        let shstrndx = u16_at(ident, 62) as u64;

        let mut segments = Vec::new();
        if phnum > 0 {
            if phentsize < 56 {
                return err(format!(
                    "program header entries of {phentsize} bytes (need 56)"
                ));
            }
            for i in 0..phnum {
                let ph = bytes(data, phoff + i * phentsize, 56, "program header")?;
                segments.push(Segment {
                    p_type: u32_at(ph, 0),
                    flags: u32_at(ph, 4),
                    offset: u64_at(ph, 8),
                    vaddr: u64_at(ph, 16),
                    paddr: u64_at(ph, 24),
                    filesz: u64_at(ph, 32),
                    memsz: u64_at(ph, 40),
                });
            }
        }

        let mut raw = Vec::new();
        if shnum > 0 {
            if shentsize < 64 {
                return err(format!(
                    "section header entries of {shentsize} bytes (need 64)"
                ));
            }
            for i in 0..shnum {
                let sh = bytes(data, shoff + i * shentsize, 64, "section header")?;
                raw.push((
                    u32_at(sh, 0),
                    Section {
                        name: String::new(),
                        sh_type: u32_at(sh, 4),
                        flags: u64_at(sh, 8),
                        addr: u64_at(sh, 16),
                        offset: u64_at(sh, 24),
                        size: u64_at(sh, 32),
                        link: u32_at(sh, 40),
                    },
                ));
            }
        }
        let mut sections = Vec::with_capacity(raw.len());
        if !raw.is_empty() {
            let Some((_, strtab)) = raw.get(shstrndx as usize) else {
                return err(format!("section name table index {shstrndx} out of range"));
            };
            let names = bytes(data, strtab.offset, strtab.size, "section name table")?.to_vec();
            for (name_off, mut s) in raw {
                s.name = c_str(&names, name_off as usize)?;
                sections.push(s);
            }
        }
        Ok(Elf {
            data,
            machine,
            entry,
            segments,
            sections,
        })
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The bytes a section occupies in the file (empty for NOBITS).
    pub fn section_data(&self, s: &Section) -> Result<&'a [u8]> {
        if s.sh_type == SHT_NOBITS {
            return Ok(&[]);
        }
        bytes(self.data, s.offset, s.size, &format!("section {}", s.name))
    }

    /// Every named symbol of the static symbol table (`.symtab`).
    pub fn symbols(&self) -> Result<Vec<Symbol>> {
        let Some(symtab) = self.sections.iter().find(|s| s.sh_type == SHT_SYMTAB) else {
            return Ok(Vec::new());
        };
        let Some(strtab) = self.sections.get(symtab.link as usize) else {
            return err("symbol table links to a missing string table");
        };
        let strs = self.section_data(strtab)?;
        let syms = self.section_data(symtab)?;
        let mut out = Vec::new();
        for ent in syms.chunks_exact(24) {
            let name = c_str(strs, u32_at(ent, 0) as usize)?;
            if name.is_empty() {
                continue;
            }
            out.push(Symbol {
                name,
                value: u64_at(ent, 8),
                size: u64_at(ent, 16),
            });
        }
        Ok(out)
    }

    pub fn symbol(&self, name: &str) -> Result<Option<Symbol>> {
        Ok(self.symbols()?.into_iter().find(|s| s.name == name))
    }

    /// The PT_LOAD segments that carry bytes from the file.
    pub fn loaded_segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments
            .iter()
            .filter(|s| s.p_type == PT_LOAD && s.filesz > 0)
    }
}

fn c_str(table: &[u8], off: usize) -> Result<String> {
    let Some(rest) = table.get(off..) else {
        return err(format!("string offset {off:#x} past its table"));
    };
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// Builds small synthetic ELF files for tests.
#[cfg(any(test, feature = "test-util"))]
pub mod synth {
    pub struct Seg {
        pub paddr: u64,
        pub data: Vec<u8>,
        pub memsz: u64,
    }

    /// An aarch64 ELF with the given load segments, section names (each a
    /// PROGBITS section with the given bytes, not loaded) and symbols.
    pub fn elf(
        segs: &[Seg],
        sections: &[(&str, Vec<u8>)],
        symbols: &[(&str, u64, u64)],
    ) -> Vec<u8> {
        let mut out = vec![0u8; 64];
        let phoff = 64u64;
        out.resize(64 + 56 * segs.len(), 0);
        // Segment contents.
        let mut seg_offs = Vec::new();
        for s in segs {
            seg_offs.push(out.len() as u64);
            out.extend_from_slice(&s.data);
        }
        // Section contents: user sections, .strtab, .symtab, .shstrtab.
        let mut shstr = vec![0u8];
        let name_of = |n: &str, shstr: &mut Vec<u8>| {
            let off = shstr.len() as u32;
            shstr.extend_from_slice(n.as_bytes());
            shstr.push(0);
            off
        };
        let mut shdrs: Vec<(u32, u32, u64, u64, u32)> = vec![(0, 0, 0, 0, 0)]; // name, type, off, size, link
        for (n, d) in sections {
            let name = name_of(n, &mut shstr);
            shdrs.push((name, 1, out.len() as u64, d.len() as u64, 0));
            out.extend_from_slice(d);
        }
        let mut strtab = vec![0u8];
        let mut symtab = vec![0u8; 24];
        for (n, v, sz) in symbols {
            let mut e = [0u8; 24];
            e[0..4].copy_from_slice(&(strtab.len() as u32).to_le_bytes());
            e[8..16].copy_from_slice(&v.to_le_bytes());
            e[16..24].copy_from_slice(&sz.to_le_bytes());
            strtab.extend_from_slice(n.as_bytes());
            strtab.push(0);
            symtab.extend_from_slice(&e);
        }
        let strtab_idx = shdrs.len() as u32;
        let n = name_of(".strtab", &mut shstr);
        shdrs.push((n, 3, out.len() as u64, strtab.len() as u64, 0));
        out.extend_from_slice(&strtab);
        let n = name_of(".symtab", &mut shstr);
        shdrs.push((n, 2, out.len() as u64, symtab.len() as u64, strtab_idx));
        out.extend_from_slice(&symtab);
        let shstrndx = shdrs.len() as u16;
        let n = name_of(".shstrtab", &mut shstr);
        shdrs.push((n, 3, out.len() as u64, 0, 0));
        let shstr_len = shstr.len() as u64;
        out.extend_from_slice(&shstr);
        if let Some(last) = shdrs.last_mut() {
            last.3 = shstr_len;
        }
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
        let shoff = out.len() as u64;
        for (name, ty, off, size, link) in &shdrs {
            let mut h = [0u8; 64];
            h[0..4].copy_from_slice(&name.to_le_bytes());
            h[4..8].copy_from_slice(&ty.to_le_bytes());
            h[24..32].copy_from_slice(&off.to_le_bytes());
            h[32..40].copy_from_slice(&size.to_le_bytes());
            h[40..44].copy_from_slice(&link.to_le_bytes());
            out.extend_from_slice(&h);
        }
        // ELF header.
        out[0..4].copy_from_slice(b"\x7fELF");
        out[4] = 2;
        out[5] = 1;
        out[6] = 1;
        out[16..18].copy_from_slice(&2u16.to_le_bytes());
        out[18..20].copy_from_slice(&super::EM_AARCH64.to_le_bytes());
        out[32..40].copy_from_slice(&phoff.to_le_bytes());
        out[40..48].copy_from_slice(&shoff.to_le_bytes());
        out[52..54].copy_from_slice(&64u16.to_le_bytes());
        out[54..56].copy_from_slice(&56u16.to_le_bytes());
        out[56..58].copy_from_slice(&(segs.len() as u16).to_le_bytes());
        out[58..60].copy_from_slice(&64u16.to_le_bytes());
        out[60..62].copy_from_slice(&(shdrs.len() as u16).to_le_bytes());
        out[62..64].copy_from_slice(&shstrndx.to_le_bytes());
        for (i, s) in segs.iter().enumerate() {
            let o = 64 + 56 * i;
            out[o..o + 4].copy_from_slice(&super::PT_LOAD.to_le_bytes());
            out[o + 8..o + 16].copy_from_slice(&seg_offs[i].to_le_bytes());
            out[o + 16..o + 24].copy_from_slice(&s.paddr.to_le_bytes());
            out[o + 24..o + 32].copy_from_slice(&s.paddr.to_le_bytes());
            out[o + 32..o + 40].copy_from_slice(&(s.data.len() as u64).to_le_bytes());
            out[o + 40..o + 48].copy_from_slice(&s.memsz.to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::synth::{elf, Seg};
    use super::*;

    #[test]
    fn parses_segments_sections_and_symbols() {
        let file = elf(
            &[Seg {
                paddr: 0x4020_0000,
                data: vec![1, 2, 3, 4],
                memsz: 0x1000,
            }],
            &[(".defmt", vec![9; 16])],
            &[("BULKHEAD_LOG_RING", 0x4030_0000, 4096)],
        );
        let e = Elf::parse(&file).expect("parses");
        assert_eq!(e.machine, EM_AARCH64);
        let segs: Vec<_> = e.loaded_segments().collect();
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].paddr, 0x4020_0000);
        assert_eq!(segs[0].memsz, 0x1000);
        let defmt = e.section(".defmt").expect(".defmt");
        assert_eq!(e.section_data(defmt).unwrap(), &[9; 16]);
        let sym = e.symbol("BULKHEAD_LOG_RING").unwrap().expect("symbol");
        assert_eq!((sym.value, sym.size), (0x4030_0000, 4096));
        assert_eq!(e.symbol("nope").unwrap(), None);
    }

    #[test]
    fn truncated_and_foreign_files_are_errors_not_panics() {
        assert!(Elf::parse(b"").is_err());
        assert!(Elf::parse(&[0u8; 64]).is_err());
        let file = elf(
            &[Seg {
                paddr: 0,
                data: vec![1; 8],
                memsz: 8,
            }],
            &[],
            &[],
        );
        for cut in [10, 63, 64, 100, file.len() - 1] {
            // Any prefix either parses or errors; it must not panic.
            let _ = Elf::parse(&file[..cut]);
        }
        let mut be = file.clone();
        be[5] = 2;
        assert!(Elf::parse(&be).unwrap_err().0.contains("little-endian"));
    }
}
