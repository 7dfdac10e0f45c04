//! QEMU harness. (Being written.)
