//! `bulkhead-mgmt`: Bulkhead's management commands from the manager
//! partition's Linux user space.
//!
//! ```text
//! bulkhead-mgmt list
//! bulkhead-mgmt status [NAME]
//! bulkhead-mgmt stop|start|restart NAME
//! bulkhead-mgmt snapshot|restore|verify NAME [SLOT]
//! bulkhead-mgmt uid
//! ```
//!
//! The same commands and names as Bulkhead's console command mode, carried
//! out as the manager's hypercalls through the doorbell page that only the
//! manager partition has (docs/partition-lifecycle.md, "Management").
//! Exit code 0 on success, 1 when Bulkhead refused or failed, 2 on a usage
//! error; messages go to standard error.

mod cli;
mod devmem;

use std::io::Write;
use std::process::ExitCode;

fn parse_address(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut address = None;
    if args.first().map(String::as_str) == Some("--doorbell") {
        match args.get(1).and_then(|a| parse_address(a)) {
            Some(a) => address = Some(a),
            None => {
                eprintln!(
                    "bulkhead-mgmt: --doorbell takes an address\n{}",
                    cli::usage()
                );
                return ExitCode::from(cli::USAGE as u8);
            }
        }
        args.drain(..2);
    }
    if args.is_empty() || args[0] == "--help" || args[0] == "-h" {
        print!("{}", cli::usage());
        return if args.is_empty() {
            ExitCode::from(cli::USAGE as u8)
        } else {
            ExitCode::SUCCESS
        };
    }
    let address = match address.map(Ok).unwrap_or_else(devmem::find_address) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bulkhead-mgmt: {e}");
            return ExitCode::from(1);
        }
    };
    let mut doorbell = match devmem::Doorbell::open(address) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("bulkhead-mgmt: {e}");
            return ExitCode::from(1);
        }
    };
    match cli::run(&mut doorbell, &args) {
        Ok(out) => {
            let _ = std::io::stdout().write_all(out.as_bytes());
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("bulkhead-mgmt: {}", f.message);
            ExitCode::from(f.code.clamp(1, 255) as u8)
        }
    }
}

#[cfg(test)]
mod tests;
