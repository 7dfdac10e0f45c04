//! Bounds on every list and string of a configuration. Validation refuses a
//! configuration that exceeds them, and the binary decoder refuses an
//! encoding that does, so anything validated encodes and decodes again and
//! a corrupt encoding cannot make the decoder allocate without bound.

/// Most partitions in one system.
pub const MAX_PARTITIONS: usize = 16;
/// Most cores in one partition.
pub const MAX_CPUS_PER_PARTITION: usize = 16;
/// Most memory regions in one partition.
pub const MAX_MEMORY_REGIONS: usize = 8;
/// Most passed-through devices in one partition.
pub const MAX_DEVICES: usize = 64;
/// Longest partition name, in bytes.
pub const MAX_NAME: usize = 32;
/// Longest device path, image path or console value, in bytes.
pub const MAX_PATH: usize = 255;
/// Longest kernel command line, in bytes (Linux on arm64 takes 2048 with
/// the terminating NUL).
pub const MAX_BOOTARGS: usize = 2047;
/// Most restarts a restart policy may allow within its window.
pub const MAX_RESTARTS: u32 = 1000;
/// Longest restart window: one day.
pub const MAX_WINDOW_MS: u64 = 86_400_000;
/// Longest watchdog period: one hour.
pub const MAX_WATCHDOG_MS: u64 = 3_600_000;
/// Most snapshot slots per partition.
pub const MAX_SNAPSHOT_SLOTS: u32 = 4;
/// Largest binary encoding accepted (the bounds above keep real ones far
/// below this).
pub const MAX_ENCODED: usize = 1 << 20;
/// Smallest unit of memory: the stage-2 translation granule.
pub const PAGE: u64 = 0x1000;
/// Preferred alignment for placed regions: a level-2 block, which stage 2
/// maps with one descriptor, and the alignment Linux wants for its image.
pub const BLOCK: u64 = 0x20_0000;
/// Room per snapshot slot, beyond the partition's memory, for vCPU and
/// interrupt-controller state.
pub const SNAPSHOT_STATE_SIZE: u64 = 0x1_0000;
