//! Partition configuration. (Being written.)
#![cfg_attr(not(any(test, feature = "host")), no_std)]
#![forbid(unsafe_code)]
extern crate alloc;
