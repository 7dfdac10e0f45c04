//! The board's blob as raw nodes: path, parent and property bytes, which is
//! what copying a passed-through device needs. `bulkhead_core::dt` keeps
//! its node table private and the `fdt` crate (0.1.5) carries no paths or
//! parents and panics on some legal blobs (NOP tokens), so this is a small
//! bounds-checked walk of its own. It runs after `bulkhead_core::dt::parse`
//! accepted the blob, but does not rely on that.

use crate::error::GuestDtError;
use alloc::string::String;
use alloc::vec::Vec;

const MAGIC: u32 = 0xd00d_feed;
const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;
/// Deepest nesting walked, counting the root as 1 (libfdt's limit).
const MAX_DEPTH: usize = 32;

pub struct Node<'a> {
    /// Full path, `/` for the root.
    pub path: String,
    /// Name with unit address, empty for the root.
    pub name: &'a str,
    pub parent: Option<usize>,
    pub props: Vec<(&'a str, &'a [u8])>,
}

impl<'a> Node<'a> {
    pub fn prop(&self, name: &str) -> Option<&'a [u8]> {
        self.props.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    pub fn has(&self, name: &str) -> bool {
        self.prop(name).is_some()
    }

    /// A one-cell property.
    pub fn u32_prop(&self, name: &str) -> Option<u32> {
        let value = self.prop(name)?;
        let bytes: [u8; 4] = value.try_into().ok()?;
        Some(u32::from_be_bytes(bytes))
    }

    /// The node name without its unit address.
    pub fn base_name(&self) -> &'a str {
        self.name.split('@').next().unwrap_or_default()
    }

    pub fn is_compatible(&self, wanted: &str) -> bool {
        self.prop("compatible")
            .unwrap_or_default()
            .split(|b| *b == 0)
            .any(|s| s == wanted.as_bytes())
    }
}

pub struct Board<'a> {
    /// Depth first in blob order; the root is index 0 and a parent always
    /// comes before its children.
    pub nodes: Vec<Node<'a>>,
}

fn malformed(offset: usize, problem: &'static str) -> GuestDtError {
    GuestDtError::BoardStructure { offset, problem }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn header(blob: &[u8], at: usize) -> Result<usize, GuestDtError> {
    be32(blob, at)
        .map(|v| v as usize)
        .ok_or(malformed(at, "header is cut short"))
}

/// A NUL-terminated UTF-8 string at `at`; returns it and the offset after
/// its NUL.
fn c_str(bytes: &[u8], at: usize) -> Option<(&str, usize)> {
    let rest = bytes.get(at..)?;
    let len = rest.iter().position(|b| *b == 0)?;
    let s = core::str::from_utf8(rest.get(..len)?).ok()?;
    Some((s, at + len + 1))
}

fn align4(at: usize) -> usize {
    at.saturating_add(3) & !3
}

impl<'a> Board<'a> {
    pub fn read(blob: &'a [u8]) -> Result<Self, GuestDtError> {
        if header(blob, 0)? != MAGIC as usize {
            return Err(malformed(0, "bad magic"));
        }
        let total = header(blob, 4)?.min(blob.len());
        let blob = blob.get(..total).unwrap_or_default();
        let struct_off = header(blob, 8)?;
        let strings_off = header(blob, 12)?;
        let strings_len = header(blob, 32)?;
        let struct_len = header(blob, 36)?;
        let structure = struct_off
            .checked_add(struct_len)
            .and_then(|end| blob.get(struct_off..end))
            .ok_or(malformed(8, "structure block lies outside the blob"))?;
        let strings = strings_off
            .checked_add(strings_len)
            .and_then(|end| blob.get(strings_off..end))
            .ok_or(malformed(12, "strings block lies outside the blob"))?;
        walk(structure, strings)
    }

    pub fn find(&self, path: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.path == path)
    }

    pub fn get(&self, index: usize) -> Option<&Node<'a>> {
        self.nodes.get(index)
    }

    pub fn by_phandle(&self, handle: u32) -> Option<usize> {
        self.nodes.iter().position(|n| {
            n.u32_prop("phandle") == Some(handle) || n.u32_prop("linux,phandle") == Some(handle)
        })
    }

    /// Node `index`'s ancestors, nearest first, ending with the root.
    pub fn ancestors(&self, index: usize) -> impl Iterator<Item = &Node<'a>> + '_ {
        let mut at = self.get(index).and_then(|n| n.parent);
        core::iter::from_fn(move || {
            let node = self.get(at?)?;
            at = node.parent;
            Some(node)
        })
    }

    /// Indices of node `index`'s direct children.
    pub fn children(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.parent == Some(index))
            .map(|(i, _)| i)
    }
}

fn walk<'a>(structure: &'a [u8], strings: &'a [u8]) -> Result<Board<'a>, GuestDtError> {
    let mut nodes: Vec<Node<'a>> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut at = 0;
    loop {
        let token = be32(structure, at).ok_or(malformed(at, "ends without FDT_END"))?;
        let here = at;
        at += 4;
        match token {
            BEGIN_NODE => {
                let (name, next) = c_str(structure, at).ok_or(malformed(here, "bad node name"))?;
                at = align4(next);
                let parent = open.last().copied();
                if parent.is_none() && !nodes.is_empty() {
                    return Err(malformed(here, "a second root node"));
                }
                if open.len() >= MAX_DEPTH {
                    return Err(malformed(here, "nodes nest too deeply"));
                }
                let path = match parent.and_then(|p| nodes.get(p)) {
                    None => String::from("/"),
                    Some(p) if p.path == "/" => alloc::format!("/{name}"),
                    Some(p) => alloc::format!("{}/{name}", p.path),
                };
                open.push(nodes.len());
                nodes.push(Node {
                    path,
                    name,
                    parent,
                    props: Vec::new(),
                });
            }
            END_NODE => {
                open.pop()
                    .ok_or(malformed(here, "unbalanced end of node"))?;
            }
            PROP => {
                let len = be32(structure, at).ok_or(malformed(here, "property cut short"))?;
                let name_off =
                    be32(structure, at + 4).ok_or(malformed(here, "property cut short"))?;
                let start = at + 8;
                let value = start
                    .checked_add(len as usize)
                    .and_then(|end| structure.get(start..end))
                    .ok_or(malformed(here, "property value runs past the block"))?;
                let (name, _) = c_str(strings, name_off as usize)
                    .ok_or(malformed(here, "bad property name offset"))?;
                let node = open
                    .last()
                    .and_then(|i| nodes.get_mut(*i))
                    .ok_or(malformed(here, "property outside a node"))?;
                node.props.push((name, value));
                at = align4(start + value.len());
            }
            NOP => {}
            END => {
                if !open.is_empty() || nodes.is_empty() {
                    return Err(malformed(here, "FDT_END inside a node or before the root"));
                }
                return Ok(Board { nodes });
            }
            _ => return Err(malformed(here, "unknown token")),
        }
    }
}
