//! Consoles: the hypervisor's UART, and each partition's.

use super::Checker;
use crate::checked::{Console, ConsoleUart, PassthroughDevice};
use crate::error::{ErrorKind, PartRef};
use crate::limits::MAX_PATH;
use alloc::string::String;
use bulkhead_core::hw::{Hardware, Uart};

fn uart_at<'h>(hw: &'h Hardware, path: &str) -> Option<&'h Uart> {
    hw.uarts
        .iter()
        .find(|u| hw.devices.get(u.device).is_some_and(|d| d.path == path))
}

fn console_uart(hw: &Hardware, u: &Uart) -> Option<ConsoleUart> {
    Some(ConsoleUart {
        path: hw.devices.get(u.device)?.path.clone(),
        kind: u.kind,
        base: u.base,
        interrupt: u.interrupt,
    })
}

/// `[hypervisor] console`: absent means the board's console, `"none"`
/// means none, otherwise a UART's path.
pub(super) fn hypervisor(c: &mut Checker<'_>, value: Option<&str>) -> Option<ConsoleUart> {
    let hw = c.hw;
    match value {
        None => hw.console().and_then(|u| console_uart(hw, u)),
        Some("none") => None,
        Some(path) if path.len() > MAX_PATH => {
            c.hyp(
                "console",
                ErrorKind::TooLong {
                    len: path.len(),
                    max: MAX_PATH,
                },
            );
            None
        }
        Some(path) if path.starts_with('/') => {
            if hw.device_by_path(path).is_none() {
                c.hyp(
                    "console",
                    ErrorKind::UnknownDevice {
                        path: String::from(path),
                    },
                );
                return None;
            }
            let uart = uart_at(hw, path).and_then(|u| console_uart(hw, u));
            if uart.is_none() {
                c.hyp(
                    "console",
                    ErrorKind::NotAUart {
                        path: String::from(path),
                    },
                );
            }
            uart
        }
        Some(other) => {
            c.hyp(
                "console",
                ErrorKind::BadConsole {
                    value: String::from(other),
                    emulated_allowed: false,
                },
            );
            None
        }
    }
}

/// A partition's `console`; a physical UART must be one of its devices.
/// `listed` is the `devices` list as written: a UART listed there but
/// refused (already reported) draws no second error.
pub(super) fn partition(
    c: &mut Checker<'_>,
    part: &PartRef,
    value: Option<&str>,
    listed: &[String],
    devices: &[PassthroughDevice],
) -> Console {
    let path = match value {
        None | Some("emulated") => return Console::Emulated,
        Some("none") => return Console::None,
        Some(path) if path.starts_with('/') => path,
        Some(other) => {
            let kind = if other.len() > MAX_PATH {
                ErrorKind::TooLong {
                    len: other.len(),
                    max: MAX_PATH,
                }
            } else {
                ErrorKind::BadConsole {
                    value: String::from(other),
                    emulated_allowed: true,
                }
            };
            c.part(part, "console", kind);
            return Console::Emulated;
        }
    };
    let hw = c.hw;
    let owned = devices.iter().position(|d| d.path == path);
    let kind = if hw.device_by_path(path).is_none() {
        ErrorKind::UnknownDevice {
            path: String::from(path),
        }
    } else if uart_at(hw, path).is_none() {
        ErrorKind::NotAUart {
            path: String::from(path),
        }
    } else if let Some(device) = owned {
        return Console::Passthrough { device };
    } else if listed.iter().any(|l| l == path) {
        return Console::Emulated;
    } else {
        ErrorKind::ConsoleNotOwned {
            path: String::from(path),
        }
    };
    c.part(part, "console", kind);
    Console::Emulated
}
