//! Bulkhead's host tool as a library: the parts that `cargo xtask` and the
//! boot tests (`bulkhead-tests`) share, so that both build, check and boot
//! images the same way.
#![forbid(unsafe_code)]

pub mod args;
pub mod elf;
pub mod gdb;
pub mod guests;
pub mod image;
pub mod images;
pub mod initramfs;
pub mod linux;
pub mod mgmt;
pub mod pack;
pub mod qemu;
pub mod qmp;
pub mod ring;
pub mod setup;
