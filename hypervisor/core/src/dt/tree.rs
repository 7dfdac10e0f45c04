//! The node table: every node of a checked blob with its full path and
//! parent, which `fdt` 0.1.5 nodes do not carry, plus the phandle index.
//! Everything else in `dt` looks nodes up here.

use super::blob::MAX_DEPTH;
use super::cells::{self, MAX_CELLS};
use super::error::DtError;
use alloc::string::String;
use alloc::vec::Vec;
use fdt::node::FdtNode;

/// Longest node path accepted, in bytes. Real paths are under 100 bytes;
/// the limit keeps a deep tree of long names from filling the heap.
pub const MAX_PATH: usize = 256;

pub struct Node<'b, 'a> {
    /// Full path, `/` for the root.
    pub path: String,
    /// Node name with unit address, empty for the root.
    pub name: &'a str,
    /// Index of the parent in [`Tree::nodes`]; None for the root. A
    /// parent's index is always smaller than its children's.
    pub parent: Option<usize>,
    raw: FdtNode<'b, 'a>,
}

pub struct Tree<'b, 'a> {
    /// Every node, depth first in blob order; the root is index 0.
    pub nodes: Vec<Node<'b, 'a>>,
    /// (phandle, node index), sorted by phandle.
    phandles: Vec<(u32, usize)>,
}

/// Which cells a node gives its children (`#address-cells`, `#size-cells`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellSizes {
    pub address: u32,
    pub size: u32,
}

impl<'b, 'a> Node<'b, 'a> {
    pub fn prop(&self, name: &str) -> Option<&'a [u8]> {
        self.raw.property(name).map(|p| p.value)
    }

    pub fn has(&self, name: &str) -> bool {
        self.prop(name).is_some()
    }

    /// The first string of a string property.
    pub fn str_prop(&self, name: &str) -> Option<&'a str> {
        self.prop(name).and_then(cells::first_string)
    }

    pub fn compatible(&self) -> impl Iterator<Item = &'a str> {
        cells::strings(self.prop("compatible").unwrap_or_default())
    }

    pub fn is_compatible(&self, any_of: &[&str]) -> bool {
        self.compatible().any(|c| any_of.contains(&c))
    }

    /// `status` absent, `okay` or `ok`. Anything else (`disabled`, `fail`,
    /// `fail-sss`, `reserved`) means the device is not usable.
    pub fn enabled(&self) -> bool {
        match self.prop("status") {
            None => true,
            Some(v) => matches!(cells::first_string(v), Some("okay" | "ok")),
        }
    }

    /// The node name without its unit address.
    pub fn base_name(&self) -> &'a str {
        self.name.split('@').next().unwrap_or_default()
    }

    /// A one-cell property, with an error naming the node if it is there
    /// but not one cell long.
    pub fn u32_prop(&self, name: &'static str) -> Result<Option<u32>, DtError> {
        match self.prop(name) {
            None => Ok(None),
            Some(v) => cells::u32_value(v).map(Some).ok_or_else(|| DtError::Cells {
                path: self.path.clone(),
                property: name,
                cells: v.len() / 4,
                expected: "1",
            }),
        }
    }

    /// The cell sizes this node gives its children; the DT specification's
    /// defaults (2 and 1) when absent.
    pub fn child_cells(&self) -> Result<CellSizes, DtError> {
        let get = |name: &'static str, default: u32| -> Result<u32, DtError> {
            let n = self.u32_prop(name)?.unwrap_or(default);
            if n > MAX_CELLS {
                return Err(DtError::Value {
                    path: self.path.clone(),
                    property: name,
                    value: u64::from(n),
                    problem: "is more than 4",
                });
            }
            Ok(n)
        };
        Ok(CellSizes {
            address: get("#address-cells", 2)?,
            size: get("#size-cells", 1)?,
        })
    }
}

impl<'b, 'a> Tree<'b, 'a> {
    /// Index a checked blob. `fdt` must have been built over bytes that
    /// passed [`super::blob::check`].
    pub fn new(fdt: &'b fdt::Fdt<'a>) -> Result<Self, DtError> {
        let root = fdt.all_nodes().next().ok_or(DtError::Structure {
            offset: 0,
            problem: "no root node",
        })?;
        let mut tree = Tree {
            nodes: Vec::new(),
            phandles: Vec::new(),
        };
        tree.nodes.push(Node {
            path: String::from("/"),
            name: "",
            parent: None,
            raw: root,
        });
        tree.add_children(0, 1)?;
        for (index, node) in tree.nodes.iter().enumerate() {
            for name in ["phandle", "linux,phandle"] {
                if let Some(handle) = node.prop(name).and_then(cells::u32_value) {
                    tree.phandles.push((handle, index));
                }
            }
        }
        tree.phandles.sort_unstable();
        Ok(tree)
    }

    fn add_children(&mut self, parent: usize, depth: usize) -> Result<(), DtError> {
        if depth > MAX_DEPTH {
            return Err(DtError::Limit {
                what: "levels of node nesting",
                limit: MAX_DEPTH,
            });
        }
        let Some(node) = self.nodes.get(parent) else {
            return Ok(());
        };
        let (raw, prefix) = (node.raw, node.path.clone());
        for child in raw.children() {
            let mut path = prefix.clone();
            if parent != 0 {
                path.push('/');
            }
            path.push_str(child.name);
            if path.len() > MAX_PATH {
                return Err(DtError::Limit {
                    what: "bytes in a node path",
                    limit: MAX_PATH,
                });
            }
            self.nodes.push(Node {
                path,
                name: child.name,
                parent: Some(parent),
                raw: child,
            });
            let index = self.nodes.len() - 1;
            self.add_children(index, depth + 1)?;
        }
        Ok(())
    }

    pub fn root(&self) -> Option<&Node<'b, 'a>> {
        self.nodes.first()
    }

    pub fn get(&self, index: usize) -> Option<&Node<'b, 'a>> {
        self.nodes.get(index)
    }

    pub fn parent(&self, index: usize) -> Option<usize> {
        self.get(index).and_then(|n| n.parent)
    }

    /// Indices of the root's direct children whose name (without unit
    /// address) is `name`.
    pub fn top_level(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        let wanted = String::from(name);
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.parent == Some(0) && n.base_name() == wanted)
            .map(|(i, _)| i)
    }

    /// The index of the root's child that `index` lies under (itself if it
    /// is one), or None for the root.
    pub fn top_ancestor(&self, mut index: usize) -> Option<usize> {
        loop {
            match self.parent(index)? {
                0 => return Some(index),
                up => index = up,
            }
        }
    }

    pub fn by_phandle(&self, handle: u32) -> Option<usize> {
        let at = self
            .phandles
            .binary_search_by_key(&handle, |&(h, _)| h)
            .ok()?;
        self.phandles.get(at).map(|&(_, i)| i)
    }

    /// The node at `path`. Each component matches a node name exactly, or
    /// its name without unit address when the component gives none (the DT
    /// specification allows `/soc/serial` for `/soc/serial@7e201000` when
    /// it is unambiguous; the first match is taken).
    pub fn find(&self, path: &str) -> Option<usize> {
        let mut at = 0;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at = self.children(at).find(|&i| {
                self.get(i).is_some_and(|n| {
                    n.name == part || (!part.contains('@') && n.base_name() == part)
                })
            })?;
        }
        Some(at)
    }

    /// Indices of the direct children of `index`.
    pub fn children(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .skip(index + 1)
            .filter(move |(_, n)| n.parent == Some(index))
            .map(|(i, _)| i)
    }

    /// Cell sizes for the children of `index`.
    pub fn cells_of(&self, index: usize) -> Result<CellSizes, DtError> {
        match self.get(index) {
            Some(n) => n.child_cells(),
            None => Ok(CellSizes {
                address: 2,
                size: 1,
            }),
        }
    }
}
