//! `/chosen` (command line, initrd, console) and `/aliases`.

use crate::error::GuestDtError;
use crate::spec::GuestDtSpec;
use vm_fdt::FdtWriter;

/// `console` is the console node's path, if the partition has one.
pub fn chosen(
    fdt: &mut FdtWriter,
    spec: &GuestDtSpec,
    console: Option<&str>,
) -> Result<(), GuestDtError> {
    let node = fdt.begin_node("chosen")?;
    if let Some(bootargs) = &spec.bootargs {
        fdt.property_string("bootargs", bootargs)?;
    }
    if let Some(initrd) = spec.initrd {
        // check_spec made sure the end does not wrap.
        let end = initrd.end().unwrap_or(u64::MAX);
        fdt.property_u64("linux,initrd-start", initrd.base.0)?;
        fdt.property_u64("linux,initrd-end", end)?;
    }
    if let Some(path) = console {
        fdt.property_string("stdout-path", path)?;
    }
    fdt.end_node(node)?;
    Ok(())
}

/// `serial0` for the console; no node without one.
pub fn aliases(fdt: &mut FdtWriter, console: Option<&str>) -> Result<(), GuestDtError> {
    let Some(path) = console else {
        return Ok(());
    };
    let node = fdt.begin_node("aliases")?;
    fdt.property_string("serial0", path)?;
    fdt.end_node(node)?;
    Ok(())
}
