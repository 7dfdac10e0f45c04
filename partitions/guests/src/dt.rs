//! What the guest needs from its device tree: the console UART, the PSCI
//! conduit, the bootargs, the first memory region and the CPUs' MPIDRs.
//! Pure logic over the tree's bytes, unit-tested on the host.
//!
//! The `fdt` crate (0.1.5) walks the structure; property values are decoded
//! here from their raw bytes, because several of the crate's typed helpers
//! panic on trees that lack optional properties (QEMU virt's cpu nodes, for
//! one). Nodes carry no path or parent in that crate, so the walk below keeps
//! the chain of ancestors itself: that gives `#address-cells` for `reg` and
//! lets bus `ranges` translate a UART address to a CPU physical address.

use fdt::node::FdtNode;
use fdt::Fdt;

/// CPUs the guest keeps track of (stack slots).
pub const MAX_CPUS: usize = 8;
/// Deepest node the walk looks at.
const MAX_DEPTH: usize = 16;
/// Largest device tree accepted (the Linux arm64 boot protocol's limit).
pub const MAX_DTB_SIZE: usize = 2 << 20;
const FDT_MAGIC: u32 = 0xd00d_feed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conduit {
    Hvc,
    Smc,
}

impl Conduit {
    pub fn name(self) -> &'static str {
        match self {
            Conduit::Hvc => "hvc",
            Conduit::Smc => "smc",
        }
    }
}

/// Where the console was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UartSource {
    /// `/chosen/stdout-path`.
    StdoutPath,
    /// The first enabled `arm,pl011` / `arm,sbsa-uart` node (stdout-path
    /// missing, or naming something that is not a PL011).
    Compatible,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uart {
    /// CPU physical address of the registers (after bus `ranges`).
    pub base: u64,
    /// `arm,sbsa-uart` rather than a full `arm,pl011`.
    pub sbsa: bool,
    pub source: UartSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub base: u64,
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cpus {
    /// MPIDR (the cpu node's `reg`) of the first `count` CPUs, in tree order.
    pub mpidr: [u64; MAX_CPUS],
    pub count: usize,
    /// CPU nodes in the tree (may exceed MAX_CPUS).
    pub total: usize,
}

impl Cpus {
    pub fn list(&self) -> &[u64] {
        &self.mpidr[..self.count]
    }

    /// Index of the CPU whose MPIDR affinity fields equal `mpidr`'s.
    pub fn index_of(&self, mpidr: u64) -> Option<usize> {
        let aff = mpidr & MPIDR_AFFINITY_MASK;
        self.list()
            .iter()
            .position(|&m| m & MPIDR_AFFINITY_MASK == aff)
    }
}

/// Aff3 | Aff2 | Aff1 | Aff0.
pub const MPIDR_AFFINITY_MASK: u64 = 0xff_00ff_ffff;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info<'a> {
    pub bootargs: &'a str,
    pub uart: Option<Uart>,
    pub psci: Option<Conduit>,
    pub memory: Option<Region>,
    pub cpus: Cpus,
}

/// Checks the first 8 bytes of a device tree header (magic, totalsize) and
/// returns the tree's size.
pub fn header_size(first8: [u8; 8]) -> Option<usize> {
    let magic = u32::from_be_bytes([first8[0], first8[1], first8[2], first8[3]]);
    let size = u32::from_be_bytes([first8[4], first8[5], first8[6], first8[7]]) as usize;
    (magic == FDT_MAGIC && (40..=MAX_DTB_SIZE).contains(&size)).then_some(size)
}

/// Reads everything the guest needs from the tree in `blob`.
pub fn parse(blob: &[u8]) -> Result<Info<'_>, fdt::FdtError> {
    let fdt = Fdt::new(blob)?;
    let bootargs = root_child(&fdt, "chosen")
        .and_then(|c| c.property("bootargs"))
        .and_then(|p| p.as_str())
        .unwrap_or("");
    Ok(Info {
        bootargs,
        uart: find_uart(&fdt),
        psci: find_psci(&fdt),
        memory: find_memory(&fdt),
        cpus: find_cpus(&fdt),
    })
}

// ---- raw property decoding ----

fn be_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?))
}

/// Reads a number of `cells` 32-bit cells (0..=2; wider values are accepted
/// when their upper cells are zero) and returns it with the rest.
fn take_cells(bytes: &[u8], cells: u32) -> Option<(u64, &[u8])> {
    let len = cells as usize * 4;
    let (value, rest) = (bytes.get(..len)?, bytes.get(len..)?);
    let mut v: u64 = 0;
    for (i, c) in value.chunks_exact(4).enumerate() {
        let cell = be_u32(c)? as u64;
        if v >> 32 != 0 || (cells as usize - i > 2 && cell != 0) {
            return None;
        }
        v = (v << 32) | cell;
    }
    Some((v, rest))
}

fn cells(node: FdtNode<'_, '_>, name: &str, default: u32) -> u32 {
    node.property(name)
        .and_then(|p| be_u32(p.value))
        .unwrap_or(default)
}

fn address_cells(node: FdtNode<'_, '_>) -> u32 {
    cells(node, "#address-cells", 2)
}

fn size_cells(node: FdtNode<'_, '_>) -> u32 {
    cells(node, "#size-cells", 1)
}

fn str_prop<'a>(node: FdtNode<'_, 'a>, name: &str) -> Option<&'a str> {
    node.property(name).and_then(|p| p.as_str())
}

/// The strings of a string-list property (`compatible`).
fn strings<'a>(node: FdtNode<'_, 'a>, name: &str) -> impl Iterator<Item = &'a str> {
    let value = node.property(name).map(|p| p.value).unwrap_or(&[]);
    value
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .filter_map(|s| core::str::from_utf8(s).ok())
}

fn is_compatible(node: FdtNode<'_, '_>, with: impl Fn(&str) -> bool) -> bool {
    strings(node, "compatible").any(with)
}

fn is_enabled(node: FdtNode<'_, '_>) -> bool {
    matches!(str_prop(node, "status"), None | Some("okay") | Some("ok"))
}

fn base_name(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

// ---- the walk, with ancestors ----

/// A child of the root by name. (`Fdt::find_node` is not used: it gives up
/// at FDT_NOP tokens between sibling nodes, which libfdt's `fdt_nop_node`
/// leaves behind; QEMU does that to the memory nodes of a `-dtb` tree. The
/// children iterator skips them.)
fn root_child<'b, 'a>(fdt: &'b Fdt<'a>, name: &str) -> Option<FdtNode<'b, 'a>> {
    fdt.find_node("/")?.children().find(|n| n.name == name)
}

/// A node and its ancestors: `nodes[0]` is the root, `nodes[len - 1]` the
/// node itself.
struct Chain<'b, 'a> {
    nodes: [FdtNode<'b, 'a>; MAX_DEPTH],
    len: usize,
}

impl<'b, 'a> Chain<'b, 'a> {
    fn node(&self) -> FdtNode<'b, 'a> {
        self.nodes[self.len - 1]
    }

    fn path(&self) -> &[FdtNode<'b, 'a>] {
        &self.nodes[..self.len]
    }

    /// First `reg` entry of the node, translated through its ancestors'
    /// `ranges` to a CPU physical address.
    fn first_reg(&self) -> Option<Region> {
        if self.len < 2 {
            return None;
        }
        let parent = self.nodes[self.len - 2];
        let reg = self.node().property("reg")?.value;
        let (mut base, rest) = take_cells(reg, address_cells(parent))?;
        let (size, _) = take_cells(rest, size_cells(parent))?;
        // Bus nodes between the root and the node, innermost first.
        for i in (1..self.len - 1).rev() {
            base = translate(self.nodes[i], self.nodes[i - 1], base)?;
        }
        Some(Region { base, size })
    }
}

/// Translates `addr` from `bus`'s child address space to its parent's. A bus
/// without `ranges` (or with an empty one) is taken as an identity mapping.
fn translate(bus: FdtNode<'_, '_>, parent: FdtNode<'_, '_>, addr: u64) -> Option<u64> {
    let Some(ranges) = bus.property("ranges").map(|p| p.value) else {
        return Some(addr);
    };
    if ranges.is_empty() {
        return Some(addr);
    }
    let (child_ac, parent_ac, sc) = (address_cells(bus), address_cells(parent), size_cells(bus));
    let mut rest = ranges;
    while !rest.is_empty() {
        let (child, r) = take_cells(rest, child_ac)?;
        let (parent_addr, r) = take_cells(r, parent_ac)?;
        let (size, r) = take_cells(r, sc)?;
        rest = r;
        if addr >= child && addr - child < size {
            return parent_addr.checked_add(addr - child);
        }
    }
    None
}

/// Depth-first search for the first node (with its ancestors) for which
/// `pred` holds.
fn find<'b, 'a>(
    fdt: &'b Fdt<'a>,
    mut pred: impl FnMut(&[FdtNode<'b, 'a>]) -> bool,
) -> Option<Chain<'b, 'a>> {
    fn visit<'b, 'a>(
        chain: &mut Chain<'b, 'a>,
        pred: &mut dyn FnMut(&[FdtNode<'b, 'a>]) -> bool,
    ) -> bool {
        if pred(chain.path()) {
            return true;
        }
        if chain.len == MAX_DEPTH {
            return false;
        }
        for child in chain.node().children() {
            chain.nodes[chain.len] = child;
            chain.len += 1;
            if visit(chain, pred) {
                return true;
            }
            chain.len -= 1;
        }
        false
    }
    let root = fdt.find_node("/")?;
    let mut chain = Chain {
        nodes: [root; MAX_DEPTH],
        len: 1,
    };
    visit(&mut chain, &mut pred).then_some(chain)
}

/// Whether the node names in `path` (root first) spell `want` ("/a/b@1"). A
/// component without a unit address matches any unit address.
fn path_matches(path: &[FdtNode<'_, '_>], want: &str) -> bool {
    let mut parts = want.split('/').filter(|s| !s.is_empty());
    for node in &path[1..] {
        match parts.next() {
            Some(p) if p == node.name || (!p.contains('@') && p == base_name(node.name)) => {}
            _ => return false,
        }
    }
    parts.next().is_none()
}

// ---- the things the guest looks for ----

fn is_pl011(node: FdtNode<'_, '_>) -> Option<bool> {
    let mut sbsa = None;
    for c in strings(node, "compatible") {
        match c {
            "arm,pl011" => return Some(false),
            "arm,sbsa-uart" => sbsa = Some(true),
            _ => {}
        }
    }
    sbsa
}

fn find_uart(fdt: &Fdt<'_>) -> Option<Uart> {
    let from_chain = |chain: &Chain<'_, '_>, source| {
        let sbsa = is_pl011(chain.node())?;
        Some(Uart {
            base: chain.first_reg()?.base,
            sbsa,
            source,
        })
    };

    let stdout = root_child(fdt, "chosen")
        .and_then(|c| str_prop(c, "stdout-path").or_else(|| str_prop(c, "linux,stdout-path")));
    if let Some(stdout) = stdout {
        // "serial0:115200n8": options after ':'; a name without '/' is an alias.
        let target = stdout.split(':').next().unwrap_or("");
        let path = if target.starts_with('/') {
            Some(target)
        } else {
            root_child(fdt, "aliases").and_then(|a| str_prop(a, target))
        };
        if let Some(path) = path {
            if let Some(uart) = find(fdt, |p| path_matches(p, path))
                .and_then(|c| from_chain(&c, UartSource::StdoutPath))
            {
                return Some(uart);
            }
        }
    }

    let chain = find(fdt, |p| {
        let n = p[p.len() - 1];
        is_pl011(n).is_some() && is_enabled(n) && n.property("reg").is_some()
    })?;
    from_chain(&chain, UartSource::Compatible)
}

fn find_psci(fdt: &Fdt<'_>) -> Option<Conduit> {
    let chain = find(fdt, |p| {
        is_compatible(p[p.len() - 1], |c| c.starts_with("arm,psci"))
    })?;
    match str_prop(chain.node(), "method")? {
        "hvc" => Some(Conduit::Hvc),
        "smc" => Some(Conduit::Smc),
        _ => None,
    }
}

fn find_memory(fdt: &Fdt<'_>) -> Option<Region> {
    let chain = find(fdt, |p| {
        let n = p[p.len() - 1];
        p.len() == 2
            && (str_prop(n, "device_type") == Some("memory") || base_name(n.name) == "memory")
            && n.property("reg").is_some()
    })?;
    chain.first_reg()
}

fn find_cpus(fdt: &Fdt<'_>) -> Cpus {
    let mut cpus = Cpus {
        mpidr: [0; MAX_CPUS],
        count: 0,
        total: 0,
    };
    let Some(parent) = find(fdt, |p| p.len() == 2 && p[1].name == "cpus").map(|c| c.node()) else {
        return cpus;
    };
    let ac = address_cells(parent);
    for cpu in parent.children() {
        let is_cpu = match str_prop(cpu, "device_type") {
            Some(t) => t == "cpu",
            None => base_name(cpu.name) == "cpu",
        };
        let Some((mpidr, _)) = cpu.property("reg").and_then(|r| take_cells(r.value, ac)) else {
            continue;
        };
        if !is_cpu {
            continue;
        }
        if cpus.count < MAX_CPUS {
            cpus.mpidr[cpus.count] = mpidr;
            cpus.count += 1;
        }
        cpus.total += 1;
    }
    cpus
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm_fdt::FdtWriter;

    /// A tree shaped like QEMU virt's at EL1 (flat, 2 address and size cells).
    fn virt_like(stdout: Option<&str>, psci_method: &str, cpus: u32) -> Vec<u8> {
        let mut w = FdtWriter::new().unwrap();
        let root = w.begin_node("").unwrap();
        w.property_u32("#address-cells", 2).unwrap();
        w.property_u32("#size-cells", 2).unwrap();
        w.property_string("compatible", "linux,dummy-virt").unwrap();

        let psci = w.begin_node("psci").unwrap();
        w.property_string_list(
            "compatible",
            vec![
                "arm,psci-1.0".into(),
                "arm,psci-0.2".into(),
                "arm,psci".into(),
            ],
        )
        .unwrap();
        w.property_string("method", psci_method).unwrap();
        w.end_node(psci).unwrap();

        let mem = w.begin_node("memory@40000000").unwrap();
        w.property_string("device_type", "memory").unwrap();
        w.property_array_u64("reg", &[0x4000_0000, 0x1000_0000])
            .unwrap();
        w.end_node(mem).unwrap();

        let uart = w.begin_node("pl011@9000000").unwrap();
        w.property_string_list(
            "compatible",
            vec!["arm,pl011".into(), "arm,primecell".into()],
        )
        .unwrap();
        w.property_array_u64("reg", &[0x900_0000, 0x1000]).unwrap();
        w.end_node(uart).unwrap();

        let cpus_node = w.begin_node("cpus").unwrap();
        w.property_u32("#address-cells", 1).unwrap();
        w.property_u32("#size-cells", 0).unwrap();
        for i in 0..cpus {
            let cpu = w.begin_node(&format!("cpu@{i}")).unwrap();
            w.property_string("device_type", "cpu").unwrap();
            w.property_string("compatible", "arm,cortex-a72").unwrap();
            w.property_u32("reg", i).unwrap();
            w.property_string("enable-method", "psci").unwrap();
            w.end_node(cpu).unwrap();
        }
        // A non-cpu child, as on real trees.
        let map = w.begin_node("cpu-map").unwrap();
        w.end_node(map).unwrap();
        w.end_node(cpus_node).unwrap();

        let chosen = w.begin_node("chosen").unwrap();
        if let Some(s) = stdout {
            w.property_string("stdout-path", s).unwrap();
        }
        w.property_string("bootargs", "mode=counter name=p1")
            .unwrap();
        w.end_node(chosen).unwrap();

        w.end_node(root).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn virt_tree() {
        let blob = virt_like(Some("/pl011@9000000"), "hvc", 2);
        let info = parse(&blob).unwrap();
        assert_eq!(info.bootargs, "mode=counter name=p1");
        assert_eq!(
            info.uart,
            Some(Uart {
                base: 0x900_0000,
                sbsa: false,
                source: UartSource::StdoutPath
            })
        );
        assert_eq!(info.psci, Some(Conduit::Hvc));
        assert_eq!(
            info.memory,
            Some(Region {
                base: 0x4000_0000,
                size: 0x1000_0000
            })
        );
        assert_eq!(info.cpus.list(), &[0, 1]);
        assert_eq!(info.cpus.total, 2);
        assert_eq!(info.cpus.index_of(0x8000_0001), Some(1));
        assert_eq!(info.cpus.index_of(0x8000_0100), None);
    }

    #[test]
    fn stdout_options_are_stripped_and_missing_stdout_falls_back() {
        let blob = virt_like(Some("/pl011@9000000:115200n8"), "smc", 1);
        let info = parse(&blob).unwrap();
        assert_eq!(info.uart.unwrap().source, UartSource::StdoutPath);
        assert_eq!(info.psci, Some(Conduit::Smc));

        let blob = virt_like(None, "hvc", 1);
        let uart = parse(&blob).unwrap().uart.unwrap();
        assert_eq!(
            uart,
            Uart {
                base: 0x900_0000,
                sbsa: false,
                source: UartSource::Compatible
            }
        );

        // stdout-path naming a node that does not exist: first PL011 instead.
        let blob = virt_like(Some("/serial@1234"), "hvc", 1);
        assert_eq!(
            parse(&blob).unwrap().uart.unwrap().source,
            UartSource::Compatible
        );
    }

    #[test]
    fn cpu_count_is_capped_but_total_kept() {
        let blob = virt_like(None, "hvc", 10);
        let cpus = parse(&blob).unwrap().cpus;
        assert_eq!(cpus.count, MAX_CPUS);
        assert_eq!(cpus.total, 10);
        assert_eq!(cpus.list(), &[0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn unknown_psci_method_means_no_psci() {
        let blob = virt_like(None, "magic", 1);
        assert_eq!(parse(&blob).unwrap().psci, None);
    }

    /// A Pi-4-like tree: the UART sits on a bus with `ranges`, is named by an
    /// alias, and the cpus use 2 address cells.
    fn soc_tree() -> Vec<u8> {
        let mut w = FdtWriter::new().unwrap();
        let root = w.begin_node("").unwrap();
        w.property_u32("#address-cells", 2).unwrap();
        w.property_u32("#size-cells", 1).unwrap();

        let aliases = w.begin_node("aliases").unwrap();
        w.property_string("serial1", "/soc/serial@7e201000")
            .unwrap();
        w.end_node(aliases).unwrap();

        let chosen = w.begin_node("chosen").unwrap();
        w.property_string("stdout-path", "serial1:115200n8")
            .unwrap();
        w.end_node(chosen).unwrap();

        let soc = w.begin_node("soc").unwrap();
        w.property_u32("#address-cells", 1).unwrap();
        w.property_u32("#size-cells", 1).unwrap();
        // child 0x7e000000 -> parent 0x0_fe000000, 0x1800000 bytes
        w.property_array_u32("ranges", &[0x7e00_0000, 0x0, 0xfe00_0000, 0x180_0000])
            .unwrap();
        let disabled = w.begin_node("serial@7e201400").unwrap();
        w.property_string("compatible", "arm,pl011").unwrap();
        w.property_array_u32("reg", &[0x7e20_1400, 0x200]).unwrap();
        w.property_string("status", "disabled").unwrap();
        w.end_node(disabled).unwrap();
        let uart = w.begin_node("serial@7e201000").unwrap();
        w.property_string_list(
            "compatible",
            vec!["arm,pl011".into(), "arm,primecell".into()],
        )
        .unwrap();
        w.property_array_u32("reg", &[0x7e20_1000, 0x200]).unwrap();
        w.end_node(uart).unwrap();
        w.end_node(soc).unwrap();

        let mem = w.begin_node("memory@0").unwrap();
        w.property_string("device_type", "memory").unwrap();
        w.property_array_u32("reg", &[0, 0, 0x3b40_0000]).unwrap();
        w.end_node(mem).unwrap();

        let cpus = w.begin_node("cpus").unwrap();
        w.property_u32("#address-cells", 2).unwrap();
        w.property_u32("#size-cells", 0).unwrap();
        for i in 0..4u64 {
            let cpu = w.begin_node(&format!("cpu@{i}")).unwrap();
            w.property_string("device_type", "cpu").unwrap();
            w.property_array_u32("reg", &[0, i as u32 + 0x100]).unwrap();
            w.end_node(cpu).unwrap();
        }
        w.end_node(cpus).unwrap();
        w.end_node(root).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn alias_and_bus_ranges() {
        let blob = soc_tree();
        let info = parse(&blob).unwrap();
        assert_eq!(
            info.uart,
            Some(Uart {
                base: 0xfe20_1000,
                sbsa: false,
                source: UartSource::StdoutPath
            })
        );
        assert_eq!(
            info.memory,
            Some(Region {
                base: 0,
                size: 0x3b40_0000
            })
        );
        assert_eq!(info.cpus.list(), &[0x100, 0x101, 0x102, 0x103]);
        assert_eq!(info.psci, None);
        assert_eq!(info.bootargs, "");
    }

    #[test]
    fn sbsa_uart_without_stdout_path_and_disabled_nodes_skipped() {
        let mut w = FdtWriter::new().unwrap();
        let root = w.begin_node("").unwrap();
        w.property_u32("#address-cells", 2).unwrap();
        w.property_u32("#size-cells", 2).unwrap();
        let off = w.begin_node("uart@1000").unwrap();
        w.property_string("compatible", "arm,pl011").unwrap();
        w.property_string("status", "disabled").unwrap();
        w.property_array_u64("reg", &[0x1000, 0x1000]).unwrap();
        w.end_node(off).unwrap();
        let bus = w.begin_node("bus").unwrap();
        w.property_u32("#address-cells", 2).unwrap();
        w.property_u32("#size-cells", 2).unwrap();
        w.property_null("ranges").unwrap();
        let on = w.begin_node("uart@9000000").unwrap();
        w.property_string("compatible", "arm,sbsa-uart").unwrap();
        w.property_array_u64("reg", &[0x900_0000, 0x1000]).unwrap();
        w.end_node(on).unwrap();
        w.end_node(bus).unwrap();
        w.end_node(root).unwrap();
        let blob = w.finish().unwrap();
        let info = parse(&blob).unwrap();
        assert_eq!(
            info.uart,
            Some(Uart {
                base: 0x900_0000,
                sbsa: true,
                source: UartSource::Compatible
            })
        );
        assert_eq!(info.cpus.count, 0);
        assert_eq!(info.memory, None);
    }

    #[test]
    fn address_outside_every_range_is_not_translated() {
        let mut w = FdtWriter::new().unwrap();
        let root = w.begin_node("").unwrap();
        w.property_u32("#address-cells", 1).unwrap();
        w.property_u32("#size-cells", 1).unwrap();
        let bus = w.begin_node("bus").unwrap();
        w.property_u32("#address-cells", 1).unwrap();
        w.property_u32("#size-cells", 1).unwrap();
        w.property_array_u32("ranges", &[0x0, 0x1000_0000, 0x1000])
            .unwrap();
        let uart = w.begin_node("uart@2000").unwrap();
        w.property_string("compatible", "arm,pl011").unwrap();
        w.property_array_u32("reg", &[0x2000, 0x1000]).unwrap();
        w.end_node(uart).unwrap();
        w.end_node(bus).unwrap();
        w.end_node(root).unwrap();
        let blob = w.finish().unwrap();
        assert_eq!(parse(&blob).unwrap().uart, None);
    }

    /// Overwrites the node named `name` (one with properties only) with
    /// FDT_NOP tokens, as libfdt's fdt_nop_node does.
    fn nop_node(blob: &mut [u8], name: &str) {
        let mut pattern = vec![0, 0, 0, 1];
        pattern.extend_from_slice(name.as_bytes());
        pattern.push(0);
        let start = blob
            .windows(pattern.len())
            .position(|w| w == pattern.as_slice())
            .unwrap();
        let token = |b: &[u8], at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap());
        let mut at = start + 4 + (name.len() + 1).div_ceil(4) * 4;
        while token(blob, at) == 3 {
            let len = token(blob, at + 4) as usize;
            at += 12 + len.div_ceil(4) * 4;
        }
        assert_eq!(token(blob, at), 2, "END_NODE");
        for word in blob[start..at + 4].chunks_exact_mut(4) {
            word.copy_from_slice(&4u32.to_be_bytes());
        }
    }

    #[test]
    fn nop_tokens_between_root_children_are_skipped() {
        let mut w = FdtWriter::new().unwrap();
        let root = w.begin_node("").unwrap();
        w.property_u32("#address-cells", 2).unwrap();
        w.property_u32("#size-cells", 2).unwrap();
        let gone = w.begin_node("memory@80000000").unwrap();
        w.property_string("device_type", "memory").unwrap();
        w.property_array_u64("reg", &[0x8000_0000, 0x1000]).unwrap();
        w.end_node(gone).unwrap();
        let mem = w.begin_node("memory@40000000").unwrap();
        w.property_string("device_type", "memory").unwrap();
        w.property_array_u64("reg", &[0x4000_0000, 0x1000_0000])
            .unwrap();
        w.end_node(mem).unwrap();
        let uart = w.begin_node("pl011@9000000").unwrap();
        w.property_string("compatible", "arm,pl011").unwrap();
        w.property_array_u64("reg", &[0x900_0000, 0x1000]).unwrap();
        w.end_node(uart).unwrap();
        let chosen = w.begin_node("chosen").unwrap();
        w.property_string("bootargs", "name=x").unwrap();
        w.property_string("stdout-path", "/pl011@9000000").unwrap();
        w.end_node(chosen).unwrap();
        w.end_node(root).unwrap();
        let mut blob = w.finish().unwrap();
        nop_node(&mut blob, "memory@80000000");
        let info = parse(&blob).unwrap();
        assert_eq!(info.bootargs, "name=x");
        assert_eq!(info.uart.unwrap().source, UartSource::StdoutPath);
        assert_eq!(
            info.memory,
            Some(Region {
                base: 0x4000_0000,
                size: 0x1000_0000
            })
        );
    }

    #[test]
    fn header_checks() {
        let blob = virt_like(None, "hvc", 1);
        let first8: [u8; 8] = blob[..8].try_into().unwrap();
        assert_eq!(header_size(first8), Some(blob.len()));
        assert_eq!(header_size([0; 8]), None);
        assert_eq!(
            header_size([0xd0, 0x0d, 0xfe, 0xed, 0xff, 0, 0, 0]),
            None,
            "too large"
        );
        assert!(parse(&[0u8; 64]).is_err());
    }

    #[test]
    fn cells() {
        assert_eq!(take_cells(&[0, 0, 0, 5, 9], 1), Some((5, &[9u8][..])));
        assert_eq!(
            take_cells(&[0, 0, 0, 1, 0, 0, 0, 2], 2),
            Some((0x1_0000_0002, &[][..]))
        );
        assert_eq!(
            take_cells(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2], 3),
            Some((0x1_0000_0002, &[][..]))
        );
        assert_eq!(take_cells(&[0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2], 3), None);
        assert_eq!(take_cells(&[1, 2, 3], 1), None);
        assert_eq!(take_cells(&[1, 2], 0), Some((0, &[1u8, 2][..])));
    }
}
