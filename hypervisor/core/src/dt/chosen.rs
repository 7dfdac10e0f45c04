//! /chosen: boot arguments, the initrd and the console.

use super::cells::{lossy_string, u64_value};
use super::devices::Devices;
use super::error::DtError;
use super::tree::Tree;
use crate::addr::MemRange;
use crate::hw::{Chosen, Uart};
use alloc::string::String;

/// `bootargs`, `linux,initrd-start`/`-end` (one or two cells each) and
/// `stdout-path` (or the older `linux,stdout-path`) with any `:options`
/// removed. An absent /chosen gives an empty [`Chosen`].
pub fn chosen(tree: &Tree<'_, '_>) -> Result<Chosen, DtError> {
    let Some(node) = tree.find("/chosen").and_then(|i| tree.get(i)) else {
        return Ok(Chosen::default());
    };
    let address = |property: &'static str| -> Result<Option<u64>, DtError> {
        let Some(value) = node.prop(property) else {
            return Ok(None);
        };
        u64_value(value).map(Some).ok_or_else(|| DtError::Cells {
            path: node.path.clone(),
            property,
            cells: value.len() / 4,
            expected: "1 or 2",
        })
    };
    let initrd = match (address("linux,initrd-start")?, address("linux,initrd-end")?) {
        (None, None) => None,
        (Some(start), Some(end)) if end >= start => Some(MemRange::new(start, end - start)),
        (Some(_), Some(end)) => {
            return Err(DtError::Value {
                path: node.path.clone(),
                property: "linux,initrd-end",
                value: end,
                problem: "lies below linux,initrd-start",
            })
        }
        (None, Some(_)) | (Some(_), None) => {
            return Err(DtError::Missing {
                path: node.path.clone(),
                property: if node.has("linux,initrd-start") {
                    "linux,initrd-end"
                } else {
                    "linux,initrd-start"
                },
            })
        }
    };
    let stdout_path = node
        .str_prop("stdout-path")
        .or_else(|| node.str_prop("linux,stdout-path"))
        .map(|p| String::from(p.split(':').next().unwrap_or_default()));
    Ok(Chosen {
        bootargs: node.prop("bootargs").map(lossy_string),
        initrd,
        stdout_path,
    })
}

/// The index in `uarts` of the UART that `stdout_path` names, directly or
/// through /aliases.
pub fn stdout(
    tree: &Tree<'_, '_>,
    stdout_path: &str,
    found: &Devices,
    uarts: &[Uart],
) -> Option<usize> {
    let path = if stdout_path.starts_with('/') {
        stdout_path
    } else {
        let aliases = tree.find("/aliases").and_then(|i| tree.get(i))?;
        aliases.str_prop(stdout_path)?
    };
    let node = tree.find(path)?;
    let device = found.nodes.iter().position(|&n| n == node)?;
    uarts.iter().position(|u| u.device == device)
}
