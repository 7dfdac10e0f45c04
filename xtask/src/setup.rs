//! Making a Debian 12 machine ready: the Rust target, QEMU >= 10 (from
//! Debian's backports suite), the device tree compiler. Idempotent, and fast
//! when there is nothing to do. The apt source for backports is derived from
//! the machine's own apt configuration: no mirror name is written here.

use crate::qemu;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

pub const DEB822_SOURCES: &str = "/etc/apt/sources.list.d/debian.sources";
pub const ONE_LINE_SOURCES: &str = "/etc/apt/sources.list";
pub const BACKPORTS_SOURCES: &str = "/etc/apt/sources.list.d/bulkhead-backports.sources";
pub const OS_RELEASE: &str = "/etc/os-release";

/// `VERSION_CODENAME` from an os-release file's text.
pub fn codename(os_release: &str) -> Option<String> {
    os_release.lines().find_map(|l| {
        let v = l.trim().strip_prefix("VERSION_CODENAME=")?;
        let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// A deb822 sources file for `<codename>-backports`, made from the first
/// stanza of a deb822 sources file: the same lines (comments included) with
/// `Suites:` replaced.
pub fn backports_from_deb822(text: &str, codename: &str) -> Result<String, String> {
    let stanza: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .collect();
    if stanza.is_empty() {
        return Err("no stanza in the deb822 sources file".into());
    }
    let is_field = |l: &str, f: &str| {
        l.split_once(':')
            .is_some_and(|(k, _)| !l.starts_with('#') && k.trim().eq_ignore_ascii_case(f))
    };
    if !stanza.iter().any(|l| is_field(l, "URIs")) {
        return Err("the first stanza of the deb822 sources file has no URIs field".into());
    }
    let mut out = String::new();
    let mut suites = false;
    let mut in_suites = false;
    for l in &stanza {
        // A continuation line (leading space) belongs to the previous field.
        if in_suites && l.starts_with([' ', '\t']) {
            continue;
        }
        in_suites = false;
        if is_field(l, "Suites") {
            out.push_str(&format!("Suites: {codename}-backports\n"));
            suites = true;
            in_suites = true;
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    if !suites {
        return Err("the first stanza of the deb822 sources file has no Suites field".into());
    }
    out.push('\n');
    Ok(out)
}

/// The same, from the first `deb` line of a one-line-style sources.list:
/// `deb [opt=val ...] URI suite component...`.
pub fn backports_from_one_line(text: &str, codename: &str) -> Result<String, String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("deb ") || l.starts_with("deb\t"))
        .ok_or("no `deb` line in sources.list")?;
    let mut rest = line[3..].trim_start();
    let mut options = Vec::new();
    if let Some(r) = rest.strip_prefix('[') {
        let (opts, after) = r
            .split_once(']')
            .ok_or("unclosed `[` in the sources.list deb line")?;
        options = opts
            .split_whitespace()
            .filter_map(|o| o.split_once('='))
            .collect();
        rest = after.trim_start();
    }
    let mut words = rest.split_whitespace();
    let uri = words.next().ok_or("the sources.list deb line has no URI")?;
    let _suite = words
        .next()
        .ok_or("the sources.list deb line has no suite")?;
    let components: Vec<&str> = words.collect();
    if components.is_empty() {
        return Err("the sources.list deb line has no components".into());
    }
    let mut out = format!(
        "Types: deb\nURIs: {uri}\nSuites: {codename}-backports\nComponents: {}\n",
        components.join(" ")
    );
    for (k, v) in options {
        let field = match k {
            "signed-by" => "Signed-By",
            "arch" => "Architectures",
            "trusted" => "Trusted",
            _ => continue,
        };
        out.push_str(&format!("{field}: {v}\n"));
    }
    out.push('\n');
    Ok(out)
}

/// The backports sources file this machine should carry.
pub fn backports_for_this_machine() -> Result<String, String> {
    let os =
        fs::read_to_string(OS_RELEASE).map_err(|e| format!("cannot read {OS_RELEASE}: {e}"))?;
    let codename = codename(&os).ok_or(format!("no VERSION_CODENAME in {OS_RELEASE}"))?;
    if Path::new(DEB822_SOURCES).exists() {
        let text = fs::read_to_string(DEB822_SOURCES)
            .map_err(|e| format!("cannot read {DEB822_SOURCES}: {e}"))?;
        backports_from_deb822(&text, &codename).map_err(|e| format!("{DEB822_SOURCES}: {e}"))
    } else {
        let text = fs::read_to_string(ONE_LINE_SOURCES)
            .map_err(|e| format!("cannot read {ONE_LINE_SOURCES}: {e}"))?;
        backports_from_one_line(&text, &codename).map_err(|e| format!("{ONE_LINE_SOURCES}: {e}"))
    }
}

/// How commands that need root are run: directly as root, through
/// `sudo -n`, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    Root,
    Sudo,
    None,
}

pub fn privilege() -> Privilege {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if uid.as_deref() == Some("0") {
        return Privilege::Root;
    }
    let sudo = Command::new("sudo")
        .args(["-n", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if sudo.is_ok_and(|s| s.success()) {
        Privilege::Sudo
    } else {
        Privilege::None
    }
}

fn privileged(p: Privilege, program: &str) -> Command {
    match p {
        Privilege::Sudo => {
            let mut c = Command::new("sudo");
            c.args(["-n", "env", "DEBIAN_FRONTEND=noninteractive", program]);
            c
        }
        _ => {
            let mut c = Command::new(program);
            c.env("DEBIAN_FRONTEND", "noninteractive");
            c
        }
    }
}

fn run(mut c: Command, what: &str) -> Result<(), String> {
    eprintln!("setup: {what}");
    let st = c
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({st})"))
    }
}

fn need_root(p: Privilege, what: &str) -> Result<(), String> {
    if p == Privilege::None {
        return Err(format!(
            "{what} needs root: run `cargo xtask setup` as root, or with a password-less sudo"
        ));
    }
    Ok(())
}

/// Adds the hypervisor's, the test guests' and the Linux guests' programs'
/// targets to the active toolchain where their standard library is
/// missing (rust-toolchain.toml lists them too).
pub fn rust_target() -> Result<(), String> {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    for target in [
        crate::images::TARGET,
        crate::images::GUEST_TARGET,
        crate::linux::LINUX_TARGET,
    ] {
        let lib = Path::new(&sysroot).join("lib/rustlib").join(target);
        if lib.is_dir() {
            continue;
        }
        let mut c = Command::new("rustup");
        c.args(["target", "add", target]);
        run(c, &format!("rustup target add {target}"))?;
    }
    Ok(())
}

/// Writes the backports sources file if it is missing or different.
/// Returns whether it changed.
pub fn backports_source(p: Privilege) -> Result<bool, String> {
    let want = backports_for_this_machine()?;
    if fs::read_to_string(BACKPORTS_SOURCES).is_ok_and(|have| have == want) {
        return Ok(false);
    }
    need_root(p, "adding Debian's backports suite")?;
    eprintln!("setup: writing {BACKPORTS_SOURCES}");
    match p {
        Privilege::Root => fs::write(BACKPORTS_SOURCES, &want)
            .map_err(|e| format!("cannot write {BACKPORTS_SOURCES}: {e}"))?,
        _ => {
            let mut child = Command::new("sudo")
                .args(["-n", "tee", BACKPORTS_SOURCES])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| format!("sudo tee: {e}"))?;
            if let Some(mut stdin) = child.stdin.take() {
                use std::io::Write;
                stdin
                    .write_all(want.as_bytes())
                    .map_err(|e| format!("sudo tee: {e}"))?;
            }
            let st = child.wait().map_err(|e| format!("sudo tee: {e}"))?;
            if !st.success() {
                return Err(format!("writing {BACKPORTS_SOURCES} through sudo failed"));
            }
        }
    }
    Ok(true)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Everything `cargo xtask setup` does.
pub fn setup() -> Result<(), String> {
    rust_target()?;
    let qemu_ok =
        matches!(qemu::installed_version(), Some((major, _, _)) if major >= qemu::MIN_QEMU_MAJOR);
    let dtc_ok = have("dtc");
    if qemu_ok && dtc_ok {
        return Ok(());
    }
    if !have("apt-get") {
        return Err(format!(
            "QEMU >= {} (qemu-system-aarch64) and dtc are needed, and this is not a Debian machine \
             (no apt-get): install them by hand",
            qemu::MIN_QEMU_MAJOR
        ));
    }
    let p = privilege();
    need_root(p, "installing QEMU and dtc with apt-get")?;
    let os =
        fs::read_to_string(OS_RELEASE).map_err(|e| format!("cannot read {OS_RELEASE}: {e}"))?;
    let codename = codename(&os).ok_or(format!("no VERSION_CODENAME in {OS_RELEASE}"))?;
    if !qemu_ok {
        backports_source(p)?;
    }
    let mut c = privileged(p, "apt-get");
    c.args(["update", "-q"]);
    run(c, "apt-get update")?;
    if !qemu_ok {
        let mut c = privileged(p, "apt-get");
        c.args([
            "install",
            "-y",
            "-q",
            "-t",
            &format!("{codename}-backports"),
            "qemu-system-arm",
        ]);
        run(c, "apt-get install qemu-system-arm (backports)")?;
        match qemu::installed_version() {
            Some((major, minor, micro)) if major >= qemu::MIN_QEMU_MAJOR => {
                eprintln!("setup: QEMU {major}.{minor}.{micro}")
            }
            Some((major, minor, micro)) => {
                return Err(format!(
                    "QEMU {major}.{minor}.{micro} is installed after apt-get, but >= {} is needed",
                    qemu::MIN_QEMU_MAJOR
                ))
            }
            None => return Err("qemu-system-aarch64 is still missing after apt-get install".into()),
        }
    }
    if !dtc_ok {
        let mut c = privileged(p, "apt-get");
        c.args(["install", "-y", "-q", "device-tree-compiler"]);
        run(c, "apt-get install device-tree-compiler")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Host names here are placeholders (RFC 2606), not real mirrors.
    const DEB822: &str = "\
Types: deb
# http://archive.example/snapshot/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
";

    #[test]
    fn backports_from_the_first_deb822_stanza() {
        let got = backports_from_deb822(DEB822, "bookworm").unwrap();
        assert_eq!(
            got,
            "Types: deb\n# http://archive.example/snapshot/20250520T000000Z\n\
             URIs: http://mirror.example/debian\nSuites: bookworm-backports\nComponents: main\n\
             Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        );
        // Applying it to its own output is stable (idempotent setup).
        assert_eq!(backports_from_deb822(&got, "bookworm").unwrap(), got);
    }

    #[test]
    fn deb822_edge_cases() {
        let lead = format!("\n\n{DEB822}");
        assert!(backports_from_deb822(&lead, "bookworm")
            .unwrap()
            .starts_with("Types: deb\n"));
        let multi = "Types: deb\nURIs: http://m.example/d\nSuites:\n bookworm\n bookworm-updates\nComponents: main\n";
        assert_eq!(
            backports_from_deb822(multi, "bookworm").unwrap(),
            "Types: deb\nURIs: http://m.example/d\nSuites: bookworm-backports\nComponents: main\n\n"
        );
        assert!(backports_from_deb822("", "bookworm").is_err());
        assert!(backports_from_deb822("Types: deb\nURIs: x\n", "bookworm")
            .unwrap_err()
            .contains("Suites"));
        assert!(backports_from_deb822("Types: deb\nSuites: x\n", "bookworm")
            .unwrap_err()
            .contains("URIs"));
    }

    #[test]
    fn backports_from_a_one_line_sources_list() {
        let list = "# comment\ndeb-src http://m.example/debian bookworm main\n\
                    deb [arch=arm64,amd64 signed-by=/k.gpg] http://m.example/debian bookworm main contrib\n";
        assert_eq!(
            backports_from_one_line(list, "bookworm").unwrap(),
            "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm-backports\n\
             Components: main contrib\nArchitectures: arm64,amd64\nSigned-By: /k.gpg\n\n"
        );
        assert!(
            backports_from_one_line("deb http://m.example/debian bookworm\n", "bookworm").is_err()
        );
        assert!(backports_from_one_line("# nothing\n", "bookworm").is_err());
    }

    #[test]
    fn codename_from_os_release() {
        let os = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n";
        assert_eq!(codename(os).as_deref(), Some("bookworm"));
        assert_eq!(
            codename("VERSION_CODENAME=\"trixie\"\n").as_deref(),
            Some("trixie")
        );
        assert_eq!(codename("ID=debian\n"), None);
    }

    #[test]
    fn this_machine_gives_the_file_it_carries() {
        // Only meaningful where the file exists (a machine set up before).
        if let (Ok(have), Ok(want)) = (
            fs::read_to_string(BACKPORTS_SOURCES),
            backports_for_this_machine(),
        ) {
            assert_eq!(have, want);
        }
    }
}
