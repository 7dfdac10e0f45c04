//! Command-line options of xtask's commands: `--name value` or
//! `--name=value`, switches (`--print`), short aliases taking the next
//! argument (`-m 2G`), and `--` before arguments passed on as they are.
//!
//! [`Args`] walks the options one at a time; a command matches each name
//! and asks for its value with a getter, which names the option in its
//! errors:
//!
//! ```
//! # use xtask::args::Args;
//! let argv: Vec<String> = ["--smp=2", "--print"].map(String::from).into();
//! let (mut smp, mut print) = (1u32, false);
//! let mut args = Args::new(&argv);
//! while let Some(flag) = args.next_flag() {
//!     match flag {
//!         "--smp" => smp = args.parse("a number")?,
//!         "--print" => print = true,
//!         _ => return Err(args.unknown()),
//!     }
//! }
//! assert_eq!((smp, print), (2, true));
//! # Ok::<(), String>(())
//! ```

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// The options of one command line, walked by [`Args::next_flag`].
#[derive(Debug, Clone)]
pub struct Args<'a> {
    /// The arguments not read yet.
    rest: &'a [String],
    /// The option `next_flag` returned last, as named.
    flag: &'a str,
    /// Its `=value`, if it had one.
    inline: Option<&'a str>,
}

impl<'a> Args<'a> {
    pub fn new(args: &'a [String]) -> Self {
        Args {
            rest: args,
            flag: "",
            inline: None,
        }
    }

    /// The next option's name, `None` after the last argument: `--name` of
    /// `--name=value`, else the argument as it is (`-m`, `--`, or a stray
    /// word, which the caller reports with [`Args::unknown`]).
    pub fn next_flag(&mut self) -> Option<&'a str> {
        let (arg, rest) = self.rest.split_first()?;
        self.rest = rest;
        (self.flag, self.inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (arg.as_str(), None),
        };
        Some(self.flag)
    }

    /// The current option's value: after its `=`, else the next argument.
    pub fn value(&mut self) -> Result<String, String> {
        self.take_value()
            .map(String::from)
            .ok_or_else(|| format!("{} needs a value", self.flag))
    }

    /// The current option's value if it has one: after its `=`, else the
    /// next argument unless that is an option (starts with `-`).
    pub fn optional_value(&mut self) -> Option<String> {
        if self.inline.is_none() && self.rest.first()?.starts_with('-') {
            return None;
        }
        self.take_value().map(String::from)
    }

    /// The current option's value through `convert`; when that gives
    /// `None`, the error says the option must be `what`.
    pub fn value_as<T>(
        &mut self,
        what: &str,
        convert: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, String> {
        let v = self.value()?;
        convert(&v).ok_or_else(|| format!("{} must be {what}, not `{v}`", self.flag))
    }

    /// The current option's value parsed as a `T` (`what` describes it in
    /// the error).
    pub fn parse<T: FromStr>(&mut self, what: &str) -> Result<T, String> {
        self.value_as(what, |v| v.parse().ok())
    }

    /// The current option's value parsed as a `T` within `range`; `unit`
    /// (`seconds`, or empty) follows the range in the error.
    pub fn in_range<T: FromStr + PartialOrd + Display>(
        &mut self,
        range: RangeInclusive<T>,
        unit: &str,
    ) -> Result<T, String> {
        let what = match unit {
            "" => format!("{}..={}", range.start(), range.end()),
            _ => format!("{}..={} {unit}", range.start(), range.end()),
        };
        self.value_as(&what, |v| v.parse().ok().filter(|n| range.contains(n)))
    }

    /// Every argument after the current option, as they are (for `--`).
    pub fn rest(&mut self) -> Vec<String> {
        let rest = self.rest.to_vec();
        self.rest = &[];
        rest
    }

    /// The error for an option the command does not know.
    pub fn unknown(&self) -> String {
        format!("unknown option `{}`", self.flag)
    }

    /// The value after `=`, else the next argument, taken.
    fn take_value(&mut self) -> Option<&'a str> {
        if let Some(v) = self.inline.take() {
            return Some(v);
        }
        let (next, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    /// Every option with its value, as `value` reads it.
    fn pairs(s: &str) -> Vec<(String, Result<String, String>)> {
        let v = argv(s);
        let mut args = Args::new(&v);
        let mut out = Vec::new();
        while let Some(flag) = args.next_flag() {
            out.push((flag.to_string(), args.value()));
        }
        out
    }

    #[test]
    fn values_inline_or_next() {
        assert_eq!(
            pairs("--a 1 --b=2 -m 3G --c= --d=x=y"),
            [
                ("--a".into(), Ok("1".into())),
                ("--b".into(), Ok("2".into())),
                ("-m".into(), Ok("3G".into())),
                ("--c".into(), Ok("".into())),
                ("--d".into(), Ok("x=y".into())),
            ]
        );
        // The next argument is the value even when it looks like an option.
        assert_eq!(pairs("--a --b"), [("--a".into(), Ok("--b".into()))]);
        // Only `--` options split at `=`.
        assert_eq!(pairs("-m=2G x"), [("-m=2G".into(), Ok("x".into()))]);
        assert_eq!(
            pairs("--smp"),
            [("--smp".into(), Err("--smp needs a value".into()))]
        );
        assert_eq!(pairs(""), []);
    }

    #[test]
    fn optional_values() {
        let v = argv("--attach --timeout 5 --attach /tmp/s --attach=/tmp/t --attach");
        let mut args = Args::new(&v);
        let mut got = Vec::new();
        while let Some(flag) = args.next_flag() {
            match flag {
                "--attach" => got.push(args.optional_value()),
                "--timeout" => assert_eq!(args.parse::<u64>("seconds"), Ok(5)),
                _ => panic!("{}", args.unknown()),
            }
        }
        assert_eq!(
            got,
            [None, Some("/tmp/s".into()), Some("/tmp/t".into()), None]
        );
    }

    #[test]
    fn typed_values_name_the_option() {
        let v = argv("--smp x --runs=0 --runs 7 --secs 2.5 --gic 4 --timeout 5");
        let mut args = Args::new(&v);
        args.next_flag();
        assert_eq!(
            args.parse::<u32>("a number"),
            Err("--smp must be a number, not `x`".into())
        );
        args.next_flag();
        assert_eq!(
            args.in_range(1..=100usize, ""),
            Err("--runs must be 1..=100, not `0`".into())
        );
        args.next_flag();
        assert_eq!(args.in_range(1..=100usize, ""), Ok(7));
        args.next_flag();
        assert_eq!(args.in_range(1.0..=600.0, "seconds"), Ok(2.5));
        args.next_flag();
        let gic = |v: &str| match v {
            "2" => Some(2u8),
            "3" => Some(3),
            _ => None,
        };
        assert_eq!(
            args.value_as("2 or 3", gic),
            Err("--gic must be 2 or 3, not `4`".into())
        );
        args.next_flag();
        assert_eq!(
            args.in_range(10..=3600u64, "seconds"),
            Err("--timeout must be 10..=3600 seconds, not `5`".into())
        );
        assert_eq!(args.next_flag(), None);
    }

    #[test]
    fn switches_rest_and_unknown() {
        let v = argv("--print stray --fast=1 -- -S --print");
        let mut args = Args::new(&v);
        assert_eq!(args.next_flag(), Some("--print"));
        assert_eq!(args.next_flag(), Some("stray"));
        assert_eq!(args.unknown(), "unknown option `stray`");
        assert_eq!(args.next_flag(), Some("--fast"));
        assert_eq!(args.unknown(), "unknown option `--fast`");
        assert_eq!(args.next_flag(), Some("--"));
        assert_eq!(args.rest(), ["-S", "--print"]);
        assert_eq!(args.next_flag(), None);
    }
}
