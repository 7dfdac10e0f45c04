//! The flattened device tree as bytes: header checks, a full check of the
//! structure block, and the /memreserve/ list.
//!
//! The `fdt` crate (0.1.5) walks the structure block with `unwrap`, `expect`,
//! `assert_eq!` and unchecked slicing, so on a malformed blob it panics. This
//! module proves, before `fdt` sees a byte, every property of the blob those
//! calls rely on:
//!
//! * the header's blocks lie inside `totalsize`, which lies inside the slice;
//! * the structure block is one root node (with an empty name) followed by
//!   `FDT_END`, every token is whole, names are NUL-terminated UTF-8, every
//!   property value lies inside the block and every property name offset
//!   points at a NUL-terminated UTF-8 string in the strings block;
//! * properties precede child nodes, and nodes nest at most [`MAX_DEPTH`]
//!   deep (`fdt` recurses once per level); there are at most [`MAX_NODES`];
//! * there is no `FDT_NOP`: `fdt` skips NOPs only in some places and asserts
//!   elsewhere, so a blob with NOPs (legal, written by libfdt's nop calls) is
//!   copied with its NOPs squeezed out and checked again.

use super::error::{DtError, HEADER_LEN};
use crate::addr::MemRange;
use alloc::borrow::Cow;
use alloc::vec::Vec;

const MAGIC: u32 = 0xd00d_feed;
const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;

/// Deepest nesting accepted, counting the root as level 1 (libfdt's limit).
pub const MAX_DEPTH: usize = 32;
/// Most nodes accepted. Real trees have tens (QEMU virt) to a few hundred
/// (Raspberry Pi 4); the limit bounds the node table a hostile blob makes.
pub const MAX_NODES: usize = 4096;

/// Header fields, in header order.
#[derive(Clone, Copy, Debug)]
pub struct Header {
    pub totalsize: u32,
    pub off_dt_struct: u32,
    pub off_dt_strings: u32,
    pub off_mem_rsvmap: u32,
    pub size_dt_strings: u32,
    pub size_dt_struct: u32,
}

/// A blob that passed every check: `fdt` can walk it without panicking.
pub struct Checked<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub header: Header,
}

/// Check `blob` and return the bytes `fdt` may be given (the blob cut to
/// `totalsize`, or a NOP-free copy of it).
pub fn check(blob: &[u8]) -> Result<Checked<'_>, DtError> {
    let header = read_header(blob)?;
    let bytes = blob.get(..header.totalsize as usize).unwrap_or_default();
    let walk = walk_structure(bytes, &header)?;
    if !walk.has_nops {
        return Ok(Checked {
            bytes: Cow::Borrowed(bytes),
            header,
        });
    }
    let squeezed = squeeze_nops(bytes, &header);
    let header = read_header(&squeezed)?;
    let again = walk_structure(&squeezed, &header)?;
    if again.has_nops {
        return Err(DtError::Structure {
            offset: 0,
            problem: "NOP tokens could not be removed",
        });
    }
    Ok(Checked {
        bytes: Cow::Owned(squeezed),
        header,
    })
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    let hi = be32(bytes, at)?;
    let lo = be32(bytes, at.checked_add(4)?)?;
    Some((u64::from(hi) << 32) | u64::from(lo))
}

fn read_header(blob: &[u8]) -> Result<Header, DtError> {
    let field = |i: usize| be32(blob, i * 4).ok_or(DtError::Truncated { len: blob.len() });
    let magic = field(0)?;
    // Check the length before the magic so that a short blob says so.
    field(9)?;
    if magic != MAGIC {
        return Err(DtError::BadMagic(magic));
    }
    let header = Header {
        totalsize: field(1)?,
        off_dt_struct: field(2)?,
        off_dt_strings: field(3)?,
        off_mem_rsvmap: field(4)?,
        size_dt_strings: field(8)?,
        size_dt_struct: field(9)?,
    };
    let (version, last_compatible) = (field(5)?, field(6)?);
    if version < 17 || last_compatible > 17 {
        return Err(DtError::Version {
            version,
            last_compatible,
        });
    }
    let total = header.totalsize;
    if (total as usize) < HEADER_LEN || total as usize > blob.len() {
        return Err(DtError::TotalSize {
            totalsize: total,
            available: blob.len(),
        });
    }
    let inside = |block: &'static str, offset: u32, size: u32| {
        let end = u64::from(offset) + u64::from(size);
        if (offset as usize) < HEADER_LEN || end > u64::from(total) {
            Err(DtError::Block {
                block,
                offset,
                size,
                totalsize: total,
            })
        } else {
            Ok(())
        }
    };
    inside("structure", header.off_dt_struct, header.size_dt_struct)?;
    inside("strings", header.off_dt_strings, header.size_dt_strings)?;
    // The reservation list has no size field; at least its first entry must
    // fit. `reservations` checks the rest.
    inside("memory reservation", header.off_mem_rsvmap, 16)?;
    Ok(header)
}

fn block(bytes: &[u8], offset: u32, size: u32) -> &[u8] {
    let start = offset as usize;
    bytes
        .get(start..start.saturating_add(size as usize))
        .unwrap_or_default()
}

fn structure<'a>(bytes: &'a [u8], header: &Header) -> &'a [u8] {
    block(bytes, header.off_dt_struct, header.size_dt_struct)
}

fn strings<'a>(bytes: &'a [u8], header: &Header) -> &'a [u8] {
    block(bytes, header.off_dt_strings, header.size_dt_strings)
}

/// Round up to the next multiple of 4, or None past `usize::MAX`.
fn align4(n: usize) -> Option<usize> {
    Some(n.checked_add(3)? & !3)
}

/// A NUL-terminated UTF-8 string starting at `at`; returns its length
/// without the NUL.
fn c_string(bytes: &[u8], at: usize) -> Option<usize> {
    let rest = bytes.get(at..)?;
    let len = rest.iter().position(|&b| b == 0)?;
    core::str::from_utf8(rest.get(..len)?).ok()?;
    Some(len)
}

/// One token of the structure block: its tag and the offset just past it
/// (including its name or value and the padding after them).
struct Token {
    tag: u32,
    at: usize,
    next: usize,
    /// For PROP: offset of the name in the strings block.
    name_offset: u32,
}

fn token(s: &[u8], at: usize) -> Result<Token, DtError> {
    let bad = |offset: usize, problem: &'static str| DtError::Structure { offset, problem };
    let tag = be32(s, at).ok_or(bad(at, "ends without an FDT_END token"))?;
    let body = at + 4;
    let (next, name_offset) = match tag {
        BEGIN_NODE => {
            let len = c_string(s, body).ok_or(bad(at, "node name is not NUL-terminated UTF-8"))?;
            (align4(body + len + 1), 0)
        }
        PROP => {
            let len = be32(s, body).ok_or(bad(at, "property header is cut short"))?;
            let name_offset = be32(s, body + 4).ok_or(bad(at, "property header is cut short"))?;
            let end = (body + 8).checked_add(len as usize);
            if end.is_none_or(|end| end > s.len()) {
                return Err(bad(at, "property value runs past the end of the block"));
            }
            (end.and_then(align4), name_offset)
        }
        END_NODE | NOP | END => (Some(body), 0),
        _ => return Err(bad(at, "unknown token")),
    };
    let next = next.ok_or(bad(at, "token runs past the end of the block"))?;
    Ok(Token {
        tag,
        at,
        next,
        name_offset,
    })
}

struct Walk {
    has_nops: bool,
}

fn walk_structure(bytes: &[u8], header: &Header) -> Result<Walk, DtError> {
    let s = structure(bytes, header);
    let names = strings(bytes, header);
    let bad = |offset: usize, problem: &'static str| DtError::Structure { offset, problem };
    let (mut at, mut depth, mut nodes) = (0usize, 0usize, 0usize);
    let (mut seen_root, mut props_allowed, mut has_nops) = (false, false, false);
    loop {
        let t = token(s, at)?;
        match t.tag {
            BEGIN_NODE => {
                if depth == 0 && seen_root {
                    return Err(bad(t.at, "a second root node"));
                }
                if depth == 0 && s.get(t.at + 4) != Some(&0) {
                    return Err(bad(t.at, "the root node has a name"));
                }
                depth += 1;
                nodes += 1;
                if depth > MAX_DEPTH {
                    return Err(DtError::Limit {
                        what: "levels of node nesting",
                        limit: MAX_DEPTH,
                    });
                }
                if nodes > MAX_NODES {
                    return Err(DtError::Limit {
                        what: "nodes",
                        limit: MAX_NODES,
                    });
                }
                seen_root = true;
                props_allowed = true;
            }
            END_NODE => {
                if depth == 0 {
                    return Err(bad(t.at, "FDT_END_NODE without a node"));
                }
                depth -= 1;
                props_allowed = false;
            }
            PROP => {
                if depth == 0 {
                    return Err(bad(t.at, "property outside any node"));
                }
                if !props_allowed {
                    return Err(bad(t.at, "property after a child node"));
                }
                if c_string(names, t.name_offset as usize).is_none() {
                    return Err(bad(
                        t.at,
                        "property name is not a string in the strings block",
                    ));
                }
            }
            NOP => has_nops = true,
            _ => {
                // END
                if depth != 0 || !seen_root {
                    return Err(bad(t.at, "FDT_END before the root node is closed"));
                }
                return Ok(Walk { has_nops });
            }
        }
        at = t.next;
    }
}

/// A copy of a checked blob whose structure block has no NOP tokens. The
/// other blocks stay where they were; the structure block just gets shorter.
fn squeeze_nops(bytes: &[u8], header: &Header) -> Vec<u8> {
    let s = structure(bytes, header);
    let mut squeezed: Vec<u8> = Vec::with_capacity(s.len());
    let mut at = 0;
    while let Ok(t) = token(s, at) {
        if t.tag != NOP {
            squeezed.extend_from_slice(s.get(t.at..t.next).unwrap_or_default());
        }
        if t.tag == END {
            break;
        }
        at = t.next;
    }
    let mut out = bytes.to_vec();
    let start = header.off_dt_struct as usize;
    if let Some(dst) = out.get_mut(start..start + squeezed.len()) {
        dst.copy_from_slice(&squeezed);
    }
    let size = u32::try_from(squeezed.len()).unwrap_or(header.size_dt_struct);
    if let Some(dst) = out.get_mut(36..40) {
        dst.copy_from_slice(&size.to_be_bytes());
    }
    out
}

/// The /memreserve/ entries, up to the terminating all-zero entry. Entries
/// of size zero are dropped; sizes running past the top of the address
/// space are clipped.
pub fn reservations(checked: &Checked<'_>) -> Result<Vec<MemRange>, DtError> {
    let bytes: &[u8] = &checked.bytes;
    let offset = checked.header.off_mem_rsvmap;
    let mut found = Vec::new();
    let mut at = offset as usize;
    loop {
        let (Some(base), Some(size)) = (be64(bytes, at), be64(bytes, at + 8)) else {
            return Err(DtError::MemReserve { offset });
        };
        if base == 0 && size == 0 {
            return Ok(found);
        }
        if size != 0 {
            found.push(MemRange::new(base, size.min(u64::MAX - base)));
        }
        at += 16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny blob: header, empty reservation list, then `structure` and
    /// `strings`.
    pub(crate) fn blob(structure: &[u32], strings: &[u8]) -> Vec<u8> {
        let s: Vec<u8> = structure.iter().flat_map(|w| w.to_be_bytes()).collect();
        let off_rsv = 40u32;
        let off_struct = off_rsv + 16;
        let off_strings = off_struct + s.len() as u32;
        let total = off_strings + strings.len() as u32;
        let header = [
            MAGIC,
            total,
            off_struct,
            off_strings,
            off_rsv,
            17,
            16,
            0,
            strings.len() as u32,
            s.len() as u32,
        ];
        let mut out: Vec<u8> = header.iter().flat_map(|w| w.to_be_bytes()).collect();
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&s);
        out.extend_from_slice(strings);
        out
    }

    #[test]
    fn minimal_tree_passes() {
        let b = blob(&[BEGIN_NODE, 0, END_NODE, END], b"");
        let c = check(&b).unwrap();
        assert!(matches!(c.bytes, Cow::Borrowed(_)));
        assert!(reservations(&c).unwrap().is_empty());
    }

    #[test]
    #[rustfmt::skip]
    fn nops_are_squeezed_out() {
        // root { a = <1>; } with NOPs before, between and after.
        let b = blob(
            &[
                NOP, BEGIN_NODE, 0, NOP, PROP, 4, 0, 1, NOP, BEGIN_NODE, 0x6300_0000, NOP,
                END_NODE, NOP, END_NODE, NOP, END,
            ],
            b"a\0",
        );
        let c = check(&b).unwrap();
        let Cow::Owned(ref bytes) = c.bytes else {
            panic!("expected a copy")
        };
        assert_eq!(c.header.size_dt_struct, 11 * 4);
        let fdt = fdt::Fdt::new(bytes).unwrap();
        let root = fdt.all_nodes().next().unwrap();
        assert_eq!(root.property("a").unwrap().value, &[0, 0, 0, 1]);
        assert_eq!(root.children().next().unwrap().name, "c");
    }

    #[test]
    #[rustfmt::skip]
    fn malformed_structures_are_refused() {
        let cases: &[(&[u32], &str)] = &[
            (&[BEGIN_NODE, 0, END_NODE], "ends without an FDT_END token"),
            (&[BEGIN_NODE, 0, END], "FDT_END before the root node is closed"),
            (&[END_NODE, END], "FDT_END_NODE without a node"),
            (&[PROP, 0, 0, END], "property outside any node"),
            (&[BEGIN_NODE, 0x6100_0000, END_NODE, END], "the root node has a name"),
            (&[BEGIN_NODE, 0, END_NODE, BEGIN_NODE, 0, END_NODE, END], "a second root node"),
            (&[BEGIN_NODE, 0, PROP, 100, 0, END_NODE, END], "property value runs past the end of the block"),
            (&[BEGIN_NODE, 0, PROP, 0, 99, END_NODE, END], "property name is not a string in the strings block"),
            (&[BEGIN_NODE, 0, BEGIN_NODE, 0x6300_0000, END_NODE, PROP, 0, 0, END_NODE, END], "property after a child node"),
            (&[BEGIN_NODE, 0, 7, END], "unknown token"),
            (&[BEGIN_NODE, 0x6161_6161], "node name is not NUL-terminated UTF-8"),
        ];
        for (structure, problem) in cases {
            let b = blob(structure, b"a\0");
            match check(&b) {
                Err(DtError::Structure { problem: p, .. }) => assert_eq!(&p, problem),
                other => panic!("{structure:x?}: {:?}", other.err()),
            }
        }
    }

    #[test]
    fn nesting_is_limited() {
        let mut s = Vec::new();
        for _ in 0..=MAX_DEPTH {
            s.extend_from_slice(&[BEGIN_NODE, 0x6e00_0000]);
        }
        s[1] = 0;
        s.extend(core::iter::repeat_n(END_NODE, MAX_DEPTH + 1));
        s.push(END);
        assert_eq!(
            check(&blob(&s, b"")).err(),
            Some(DtError::Limit {
                what: "levels of node nesting",
                limit: MAX_DEPTH
            })
        );
        // One level less is fine.
        let mut s = Vec::new();
        for _ in 0..MAX_DEPTH {
            s.extend_from_slice(&[BEGIN_NODE, 0x6e00_0000]);
        }
        s[1] = 0;
        s.extend(core::iter::repeat_n(END_NODE, MAX_DEPTH));
        s.push(END);
        assert!(check(&blob(&s, b"")).is_ok());
    }

    #[test]
    fn lying_headers_are_refused() {
        let good = blob(&[BEGIN_NODE, 0, END_NODE, END], b"");
        let with = |word: usize, value: u32| {
            let mut b = good.clone();
            b[word * 4..word * 4 + 4].copy_from_slice(&value.to_be_bytes());
            check(&b).err()
        };
        assert_eq!(
            check(&good[..39]).err(),
            Some(DtError::Truncated { len: 39 })
        );
        assert_eq!(with(0, 0x1234), Some(DtError::BadMagic(0x1234)));
        let len = good.len();
        assert_eq!(
            with(1, len as u32 + 1),
            Some(DtError::TotalSize {
                totalsize: len as u32 + 1,
                available: len
            })
        );
        assert!(matches!(with(1, 8), Some(DtError::TotalSize { .. })));
        assert!(matches!(
            with(9, 0x1000),
            Some(DtError::Block {
                block: "structure",
                ..
            })
        ));
        assert!(matches!(
            with(2, u32::MAX),
            Some(DtError::Block {
                block: "structure",
                ..
            })
        ));
        assert!(matches!(
            with(2, 4),
            Some(DtError::Block {
                block: "structure",
                ..
            })
        ));
        assert!(matches!(
            with(8, 1),
            Some(DtError::Block {
                block: "strings",
                ..
            })
        ));
        assert!(matches!(
            with(4, len as u32 - 8),
            Some(DtError::Block { .. })
        ));
        assert!(matches!(
            with(5, 16),
            Some(DtError::Version { version: 16, .. })
        ));
        // Shrinking the structure block cuts the token stream short.
        assert!(matches!(with(9, 8), Some(DtError::Structure { .. })));
    }

    #[test]
    fn reservation_list_is_read_and_must_end() {
        let mut b = blob(&[BEGIN_NODE, 0, END_NODE, END], b"");
        // Point the list at the structure block: its words are not a
        // terminator, and reading on falls off the end of the blob.
        b[16..20].copy_from_slice(&56u32.to_be_bytes());
        let c = check(&b).unwrap();
        assert_eq!(reservations(&c), Err(DtError::MemReserve { offset: 56 }));

        let mut b = blob(&[BEGIN_NODE, 0, END_NODE, END], b"");
        // Reuse the 16 zero bytes: a single entry then the structure block
        // as terminator is not possible, so build one by hand.
        let mut rsv = Vec::new();
        for v in [0x1000u64, 0x2000, u64::MAX - 5, 100, 7, 0, 0, 0] {
            rsv.extend_from_slice(&v.to_be_bytes());
        }
        b.splice(40..56, rsv.iter().copied());
        let shift = (rsv.len() - 16) as u32;
        for word in [1usize, 2, 3] {
            let v = u32::from_be_bytes(b[word * 4..word * 4 + 4].try_into().unwrap()) + shift;
            b[word * 4..word * 4 + 4].copy_from_slice(&v.to_be_bytes());
        }
        let c = check(&b).unwrap();
        assert_eq!(
            reservations(&c).unwrap(),
            [
                MemRange::new(0x1000, 0x2000),
                MemRange::new(u64::MAX - 5, 5)
            ]
        );
    }
}
