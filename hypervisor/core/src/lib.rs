//! Bulkhead's pure logic.
//!
//! Everything in this crate is plain computation over bytes and numbers: it
//! touches no register and no physical address, so `cargo test` runs it on the
//! host. The hypervisor binary (`hypervisor/bulkhead`) is the only place that
//! turns its results into register writes.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod addr;
pub mod dt;
pub mod esr;
pub mod hw;
pub mod layout;
pub mod memmap;
pub mod mgmt;
pub mod mmio;
pub mod openline;
pub mod pagetable;
pub mod psci;
pub mod snapshot;
pub mod supervisor;
pub mod vgic;
pub mod vpl011;
