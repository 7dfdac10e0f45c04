//! What `bulkhead-mgmt` does, apart from reaching the hardware: the command
//! line (the console's command syntax, `bulkhead_core::mgmt::parse_command`)
//! carried out as Bulkhead's management hypercalls through a [`Caller`],
//! and the answers printed. Tested on the host against the hypervisor's own
//! hypercall code.

use bulkhead_core::mgmt::hypercall::{
    CALL_UID, MGMT_COMMAND, PARTITION_COUNT, PARTITION_INFO, PARTITION_NAME, REVISION, UID,
};
use bulkhead_core::mgmt::{
    failure_name, info_flags, op_code, parse_command, reason_name, state_name, verified_line,
    Command, HvcStatus, Op, PackedInfo, Target, VerifiedSlot, HELP,
};
use std::fmt::Write as _;

/// Makes one hypercall: x0..x3 in, x0..x3 out.
pub trait Caller {
    fn call(&mut self, x: [u64; 4]) -> [u64; 4];
    /// Waits a little between two polls of an operation under way.
    fn pause(&mut self);
}

/// Why a command did not succeed: the message, and the exit code.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl Failure {
    fn refused(message: String) -> Self {
        Failure { message, code: 1 }
    }
}

/// Exit code of a usage error.
pub const USAGE: i32 = 2;

/// How long `snapshot` and `restore` wait for the hypervisor to finish, in
/// polls (see [`Caller::pause`]; the real one sleeps 10 ms).
pub const WAIT_POLLS: u32 = 6000;

/// One partition as PARTITION_INFO and PARTITION_NAME give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    pub index: usize,
    pub name: String,
    pub packed: PackedInfo,
    pub generation: u64,
    pub uptime_ms: u64,
}

/// What a status code means, in words.
pub fn status_words(x0: u64) -> String {
    match HvcStatus::from_x0(x0) {
        Some(HvcStatus::Ok) => "ok".into(),
        Some(HvcStatus::NotSupported) => {
            "not supported (is this a Bulkhead partition, and the manager?)".into()
        }
        Some(HvcStatus::InvalidParameter) => "invalid parameter".into(),
        Some(HvcStatus::NotManager) => {
            "refused: this partition is not the manager (manager = true in the configuration)"
                .into()
        }
        Some(HvcStatus::NoSuchPartition) => "no such partition (try list)".into(),
        Some(HvcStatus::Busy) => "busy: the partition is restarting".into(),
        Some(HvcStatus::NoSuchSlot) => "no such snapshot slot".into(),
        Some(HvcStatus::WrongState) => {
            "not in a state this applies to (see status; a held partition needs start)".into()
        }
        Some(HvcStatus::Failed) => {
            "failed (an empty or corrupt slot, or one too small; Bulkhead's console says which)"
                .into()
        }
        None => format!("unexpected status {x0:#x}"),
    }
}

/// What a verify's results mean, in words: the status, and for FAILED what
/// was wrong with the slot (x1, a `failure_code`).
pub fn verify_words(r: [u64; 4]) -> String {
    use bulkhead_core::mgmt::failure_code;
    if r[0] == HvcStatus::Failed.to_x0() {
        match u8::try_from(r[1]).map_or(failure_code::OTHER, |c| c) {
            failure_code::EMPTY => return format!("failed: {}", failure_name(failure_code::EMPTY)),
            code if !failure_name(code).is_empty() => {
                return format!(
                    "failed: {} (Bulkhead's console logs the details)",
                    failure_name(code)
                )
            }
            _ => {}
        }
    }
    status_words(r[0])
}

fn checked(what: &str, r: [u64; 4]) -> Result<[u64; 4], Failure> {
    if r[0] == HvcStatus::Ok.to_x0() {
        Ok(r)
    } else {
        Err(Failure::refused(format!("{what}: {}", status_words(r[0]))))
    }
}

pub fn count<C: Caller>(c: &mut C) -> Result<usize, Failure> {
    let r = checked(
        "partition count",
        c.call([u64::from(PARTITION_COUNT), 0, 0, 0]),
    )?;
    Ok(usize::try_from(r[1]).unwrap_or(0).min(256))
}

pub fn name<C: Caller>(c: &mut C, index: usize) -> Result<String, Failure> {
    let mut bytes = Vec::with_capacity(32);
    let mut len = 0usize;
    for chunk in 0..2u64 {
        let r = checked(
            &format!("name of partition {index}"),
            c.call([u64::from(PARTITION_NAME), index as u64, chunk, 0]),
        )?;
        bytes.extend_from_slice(&r[1].to_le_bytes());
        bytes.extend_from_slice(&r[2].to_le_bytes());
        len = usize::try_from(r[3]).unwrap_or(32).min(32);
    }
    bytes.truncate(len);
    Ok(bytes
        .iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect())
}

pub fn info<C: Caller>(c: &mut C, index: usize) -> Result<Info, Failure> {
    let r = checked(
        &format!("partition {index}"),
        c.call([u64::from(PARTITION_INFO), index as u64, 0, 0]),
    )?;
    Ok(Info {
        index,
        name: name(c, index)?,
        packed: PackedInfo::unpack(r[1]),
        generation: r[2],
        uptime_ms: r[3],
    })
}

fn resolve<C: Caller>(c: &mut C, target: &Target) -> Result<usize, Failure> {
    let n = count(c)?;
    match target {
        Target::Index(i) if *i < n => Ok(*i),
        Target::Name(want) => {
            for i in 0..n {
                if name(c, i)? == want.as_str() {
                    return Ok(i);
                }
            }
            Err(Failure::refused(format!(
                "{target}: no such partition (try list)"
            )))
        }
        Target::Index(_) => Err(Failure::refused(format!(
            "{target}: no such partition (try list)"
        ))),
    }
}

/// The console's `list` line for a partition.
pub fn list_line(i: &Info) -> String {
    format!(
        "{} {} {} gen {} up {} ms",
        i.index,
        i.name,
        state_name(i.packed.state),
        i.generation,
        i.uptime_ms
    )
}

/// `status` lines for a partition: what PARTITION_INFO tells.
pub fn status_lines(i: &Info, out: &mut String) {
    let p = &i.packed;
    let reason = reason_name(p.reason);
    let _ = writeln!(out, "name: {}", i.name);
    let _ = writeln!(out, "index: {}", i.index);
    if reason.is_empty() {
        let _ = writeln!(out, "state: {}", state_name(p.state));
    } else {
        let _ = writeln!(out, "state: {} ({reason})", state_name(p.state));
    }
    let _ = writeln!(out, "generation: {}", i.generation);
    let _ = writeln!(out, "uptime_ms: {}", i.uptime_ms);
    let _ = writeln!(out, "restarts: {}", p.restarts);
    let _ = writeln!(out, "faults: {}", p.faults);
    let mut flags = Vec::new();
    if p.flags & info_flags::OP_PENDING != 0 {
        flags.push("snapshot or restore under way");
    }
    if p.flags & info_flags::OP_FAILED != 0 {
        flags.push("the last snapshot or restore failed");
    }
    if !flags.is_empty() {
        let _ = writeln!(out, "note: {}", flags.join("; "));
    }
}

/// `snapshot` and `restore` are carried out after the call returns (the
/// partition's vCPUs are held first): waits until the hypervisor is done
/// and says how it went.
fn wait_done<C: Caller>(c: &mut C, index: usize, what: &str) -> Result<(), Failure> {
    for _ in 0..WAIT_POLLS {
        let i = info(c, index)?;
        if i.packed.flags & info_flags::OP_PENDING == 0 {
            if i.packed.flags & info_flags::OP_FAILED != 0 {
                return Err(Failure::refused(format!(
                    "{what}: failed (Bulkhead's console says why)"
                )));
            }
            return Ok(());
        }
        c.pause();
    }
    Err(Failure::refused(format!(
        "{what}: still under way, stopped waiting"
    )))
}

/// The usage text.
pub fn usage() -> String {
    let mut s = String::from(
        "usage: bulkhead-mgmt [--doorbell ADDRESS] COMMAND\n\
         Bulkhead's management commands from the manager partition, the same as on\n\
         Bulkhead's console (NAME is a partition name or #INDEX):\n",
    );
    for l in HELP.iter().filter(|l| !l.starts_with("Console:")) {
        let _ = writeln!(s, "  {l}");
    }
    s.push_str("  uid             Bulkhead's identity and interface revision\n");
    s
}

/// Carries out the command line `words` (without the program name) and
/// returns what to print on standard output.
pub fn run<C: Caller>(c: &mut C, words: &[String]) -> Result<String, Failure> {
    let line = words.join(" ");
    if line == "uid" {
        let r = c.call([u64::from(CALL_UID), 0, 0, 0]);
        if r != UID.map(u64::from) {
            return Err(Failure::refused(
                "uid: the hypervisor is not Bulkhead (CALL_UID does not match)".into(),
            ));
        }
        let v = c.call([u64::from(REVISION), 0, 0, 0]);
        return Ok(format!(
            "Bulkhead f4371927-bce0-4294-b3c5-289bbe592bb4, interface {}.{}\n",
            v[0], v[1]
        ));
    }
    let command = parse_command(&line).map_err(|e| Failure {
        message: format!("{e}\n{}", usage()),
        code: USAGE,
    })?;
    let mut out = String::new();
    match command {
        Command::Help => out = usage(),
        Command::List => {
            for i in 0..count(c)? {
                let _ = writeln!(out, "{}", list_line(&info(c, i)?));
            }
        }
        Command::Status(None) => {
            for i in 0..count(c)? {
                status_lines(&info(c, i)?, &mut out);
            }
        }
        Command::Status(Some(t)) => {
            let i = resolve(c, &t)?;
            status_lines(&info(c, i)?, &mut out);
        }
        Command::Manage { op, target, slot } => {
            let index = resolve(c, &target)?;
            let what = if op.takes_slot() {
                format!("{} {target} slot {slot}", op.name())
            } else {
                format!("{} {target}", op.name())
            };
            let r = c.call([
                u64::from(MGMT_COMMAND),
                op_code(op),
                index as u64,
                u64::from(slot),
            ]);
            if op == Op::Verify && r[0] == HvcStatus::InvalidParameter.to_x0() {
                let v = c.call([u64::from(REVISION), 0, 0, 0]);
                return Err(Failure::refused(format!(
                    "{what}: not offered by Bulkhead's interface {}.{} (verify needs 1.2); \
                     use Bulkhead's console",
                    v[0], v[1]
                )));
            }
            if op == Op::Verify && r[0] != HvcStatus::Ok.to_x0() {
                return Err(Failure::refused(format!("{what}: {}", verify_words(r))));
            }
            let r = checked(&what, r)?;
            match op {
                Op::Snapshot | Op::Restore => wait_done(c, index, &what)?,
                Op::Verify => {
                    // Answered when the check is done: x1..x3 say what the
                    // slot holds.
                    let name = match &target {
                        Target::Name(n) => n.as_str().to_string(),
                        Target::Index(_) => name(c, index)?,
                    };
                    let v = VerifiedSlot::unpack([r[1], r[2], r[3]]);
                    let _ = writeln!(out, "{}", verified_line(slot, &name, &v, None));
                }
                Op::Stop | Op::Start | Op::Restart => {}
            }
            let _ = writeln!(out, "{what}: ok");
        }
    }
    Ok(out)
}
