//! The board this image is built for (one `platform-*` feature).

use bulkhead_platforms::Platform;

#[cfg(feature = "platform-qemu-virt")]
pub const PLATFORM: Platform = bulkhead_platforms::QEMU_VIRT;
#[cfg(feature = "platform-rpi4")]
pub const PLATFORM: Platform = bulkhead_platforms::RPI4;
