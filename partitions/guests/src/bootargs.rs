//! The guest's command line: `/chosen/bootargs`, space-separated `key=value`
//! pairs. Pure logic, unit-tested on the host.
//!
//! Unknown keys and bad values are reported through a callback (the guest
//! prints them) and otherwise ignored: the defaults stay in force.

/// What the boot vCPU does after bring-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// "heartbeat <n>" every period, forever.
    Heartbeat,
    /// "counter <n>", n kept in a static (snapshot/restore tests).
    Counter,
    /// After `after` heartbeats: an exception the guest cannot recover from.
    Crash,
    /// After `after` heartbeats: spin silently with interrupts masked.
    Hang,
    /// After `after` heartbeats: PSCI SYSTEM_OFF.
    Off,
    /// After `after` heartbeats: PSCI SYSTEM_RESET.
    Reset,
    /// After `after` heartbeats: Bulkhead's management hypercalls
    /// (partition count, restart of partition 0), answers printed, then
    /// heartbeats go on.
    Manage,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Heartbeat => "heartbeat",
            Mode::Counter => "counter",
            Mode::Crash => "crash",
            Mode::Hang => "hang",
            Mode::Off => "off",
            Mode::Reset => "reset",
            Mode::Manage => "manage",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        [
            Mode::Heartbeat,
            Mode::Counter,
            Mode::Crash,
            Mode::Hang,
            Mode::Off,
            Mode::Reset,
            Mode::Manage,
        ]
        .into_iter()
        .find(|m| m.name() == s)
    }
}

/// How `mode=crash` crashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashKind {
    /// `udf #0`: an undefined-instruction exception taken by the vectors.
    Undefined,
    /// A Rust panic, reported by the panic handler.
    Panic,
}

/// A deliberate access outside the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Number of heartbeats (or counter ticks) before the access.
    pub after: u64,
    pub addr: u64,
    pub write: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config<'a> {
    pub mode: Mode,
    pub name: &'a str,
    pub period_ms: u64,
    /// Number of CPUs to bring online (None: every CPU in the device tree).
    pub cpus: Option<u32>,
    /// Heartbeats before the crash/hang/off/reset action.
    pub after: u64,
    pub crash: CrashKind,
    pub fault: Option<Fault>,
}

pub const DEFAULT_PERIOD_MS: u64 = 200;
pub const DEFAULT_AFTER: u64 = 3;
pub const DEFAULT_NAME: &str = "guest";
/// Largest `cpus=` accepted (the guest has this many stack slots).
pub const MAX_CPUS: u32 = 8;

impl Default for Config<'_> {
    fn default() -> Self {
        Config {
            mode: Mode::Heartbeat,
            name: DEFAULT_NAME,
            period_ms: DEFAULT_PERIOD_MS,
            cpus: None,
            after: DEFAULT_AFTER,
            crash: CrashKind::Undefined,
            fault: None,
        }
    }
}

/// Something in the bootargs that was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issue<'a> {
    UnknownKey(&'a str),
    BadValue {
        key: &'a str,
        value: &'a str,
    },
    /// A key that only means something together with another one.
    Ignored {
        key: &'a str,
        needs: &'static str,
    },
}

impl core::fmt::Display for Issue<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Issue::UnknownKey(k) => write!(f, "guest: unknown bootargs key {k}"),
            Issue::BadValue { key, value } => write!(f, "guest: bad bootargs value {key}={value}"),
            Issue::Ignored { key, needs } => {
                write!(f, "guest: bootargs key {key} ignored without {needs}")
            }
        }
    }
}

/// Parses a decimal or `0x`-prefixed hexadecimal number (`_` allowed).
pub fn parse_number(s: &str) -> Option<u64> {
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (s, 10),
    };
    if digits.is_empty() || digits.starts_with('_') {
        return None;
    }
    let mut value: u64 = 0;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(radix)?;
        value = value.checked_mul(radix as u64)?.checked_add(d as u64)?;
    }
    Some(value)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// Parses `args`. Every key that is not taken is passed to `report`; later
/// occurrences of a key override earlier ones.
pub fn parse<'a>(args: &'a str, mut report: impl FnMut(Issue<'a>)) -> Config<'a> {
    let mut cfg = Config::default();
    let mut fault_after: Option<u64> = None;
    let mut fault_addr: Option<u64> = None;
    let mut fault_write: Option<bool> = None;

    for token in args.split_ascii_whitespace() {
        let (key, value) = match token.split_once('=') {
            Some((k, v)) => (k, v),
            None => (token, ""),
        };
        let bad = Issue::BadValue { key, value };
        match key {
            "mode" => match Mode::from_name(value) {
                Some(m) => cfg.mode = m,
                None => report(bad),
            },
            "name" => {
                if value.is_empty() {
                    report(bad)
                } else {
                    cfg.name = value
                }
            }
            "period_ms" => match parse_number(value) {
                Some(n) if n > 0 && n <= 3_600_000 => cfg.period_ms = n,
                _ => report(bad),
            },
            "cpus" => match parse_number(value) {
                Some(n) if n >= 1 && n <= MAX_CPUS as u64 => cfg.cpus = Some(n as u32),
                _ => report(bad),
            },
            "after" => match parse_number(value) {
                Some(n) => cfg.after = n,
                None => report(bad),
            },
            "crash" => match value {
                "udf" => cfg.crash = CrashKind::Undefined,
                "panic" => cfg.crash = CrashKind::Panic,
                _ => report(bad),
            },
            "fault_after" => match parse_number(value) {
                Some(n) => fault_after = Some(n),
                None => report(bad),
            },
            "fault_addr" => match parse_number(value) {
                Some(n) => fault_addr = Some(n),
                None => report(bad),
            },
            "fault_write" => match parse_bool(value) {
                Some(b) => fault_write = Some(b),
                None => report(bad),
            },
            _ => report(Issue::UnknownKey(key)),
        }
    }

    match fault_addr {
        Some(addr) => {
            cfg.fault = Some(Fault {
                after: fault_after.unwrap_or(DEFAULT_AFTER),
                addr,
                write: fault_write.unwrap_or(false),
            })
        }
        None => {
            if fault_after.is_some() {
                report(Issue::Ignored {
                    key: "fault_after",
                    needs: "fault_addr",
                });
            }
            if fault_write.is_some() {
                report(Issue::Ignored {
                    key: "fault_write",
                    needs: "fault_addr",
                });
            }
        }
    }
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(args: &str) -> (Config<'_>, Vec<Issue<'_>>) {
        let mut issues = Vec::new();
        let cfg = parse(args, |i| issues.push(i));
        (cfg, issues)
    }

    #[test]
    fn empty_gives_defaults() {
        let (cfg, issues) = parse_all("");
        assert_eq!(cfg, Config::default());
        assert_eq!(cfg.mode, Mode::Heartbeat);
        assert_eq!(cfg.name, "guest");
        assert_eq!(cfg.period_ms, 200);
        assert_eq!(cfg.cpus, None);
        assert!(issues.is_empty());
    }

    #[test]
    fn heartbeat_line() {
        let (cfg, issues) = parse_all("  mode=heartbeat   period_ms=100 cpus=2 name=p1\t");
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(cfg.mode, Mode::Heartbeat);
        assert_eq!(cfg.period_ms, 100);
        assert_eq!(cfg.cpus, Some(2));
        assert_eq!(cfg.name, "p1");
    }

    #[test]
    fn every_mode_parses() {
        for (s, m) in [
            ("heartbeat", Mode::Heartbeat),
            ("counter", Mode::Counter),
            ("crash", Mode::Crash),
            ("hang", Mode::Hang),
            ("off", Mode::Off),
            ("reset", Mode::Reset),
        ] {
            let args = format!("mode={s}");
            let (cfg, issues) = parse_all(&args);
            assert_eq!(cfg.mode, m);
            assert_eq!(m.name(), s);
            assert!(issues.is_empty());
        }
    }

    #[test]
    fn fault_keys_combine() {
        let (cfg, issues) = parse_all("fault_after=5 fault_addr=0x50000000 fault_write=1");
        assert!(issues.is_empty());
        assert_eq!(
            cfg.fault,
            Some(Fault {
                after: 5,
                addr: 0x5000_0000,
                write: true
            })
        );

        let (cfg, _) = parse_all("fault_addr=0x1000");
        assert_eq!(
            cfg.fault,
            Some(Fault {
                after: DEFAULT_AFTER,
                addr: 0x1000,
                write: false
            })
        );
    }

    #[test]
    fn fault_options_without_address_are_reported() {
        let (cfg, issues) = parse_all("fault_after=2 fault_write=yes");
        assert_eq!(cfg.fault, None);
        assert_eq!(
            issues,
            vec![
                Issue::Ignored {
                    key: "fault_after",
                    needs: "fault_addr"
                },
                Issue::Ignored {
                    key: "fault_write",
                    needs: "fault_addr"
                },
            ]
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_reported_and_defaults_kept() {
        let (cfg, issues) = parse_all(
            "console=ttyAMA0 mode=dance period_ms=0 cpus=9 cpus=x quiet after=-1 crash=boom",
        );
        assert_eq!(cfg, Config::default());
        assert_eq!(
            issues,
            vec![
                Issue::UnknownKey("console"),
                Issue::BadValue {
                    key: "mode",
                    value: "dance"
                },
                Issue::BadValue {
                    key: "period_ms",
                    value: "0"
                },
                Issue::BadValue {
                    key: "cpus",
                    value: "9"
                },
                Issue::BadValue {
                    key: "cpus",
                    value: "x"
                },
                Issue::UnknownKey("quiet"),
                Issue::BadValue {
                    key: "after",
                    value: "-1"
                },
                Issue::BadValue {
                    key: "crash",
                    value: "boom"
                },
            ]
        );
    }

    #[test]
    fn issue_lines() {
        assert_eq!(
            Issue::UnknownKey("foo").to_string(),
            "guest: unknown bootargs key foo"
        );
        assert_eq!(
            Issue::BadValue {
                key: "cpus",
                value: "0"
            }
            .to_string(),
            "guest: bad bootargs value cpus=0"
        );
        assert_eq!(
            Issue::Ignored {
                key: "fault_after",
                needs: "fault_addr"
            }
            .to_string(),
            "guest: bootargs key fault_after ignored without fault_addr"
        );
    }

    #[test]
    fn later_keys_override_earlier_ones() {
        let (cfg, issues) = parse_all("mode=off mode=counter name=a name=b after=7 crash=panic");
        assert!(issues.is_empty());
        assert_eq!(cfg.mode, Mode::Counter);
        assert_eq!(cfg.name, "b");
        assert_eq!(cfg.after, 7);
        assert_eq!(cfg.crash, CrashKind::Panic);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0"), Some(0));
        assert_eq!(parse_number("42"), Some(42));
        assert_eq!(parse_number("0x48000000"), Some(0x4800_0000));
        assert_eq!(parse_number("0XfF"), Some(255));
        assert_eq!(parse_number("0x4800_0000"), Some(0x4800_0000));
        assert_eq!(parse_number("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_number("18446744073709551616"), None);
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("_1"), None);
        assert_eq!(parse_number("12a"), None);
        assert_eq!(parse_number("-1"), None);
    }

    #[test]
    fn empty_value_and_bare_key() {
        let (cfg, issues) = parse_all("name= mode fault_addr=");
        assert_eq!(cfg, Config::default());
        assert_eq!(
            issues,
            vec![
                Issue::BadValue {
                    key: "name",
                    value: ""
                },
                Issue::BadValue {
                    key: "mode",
                    value: ""
                },
                Issue::BadValue {
                    key: "fault_addr",
                    value: ""
                },
            ]
        );
    }
}
