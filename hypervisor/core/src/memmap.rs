//! Free-memory computation. (Being written.)
