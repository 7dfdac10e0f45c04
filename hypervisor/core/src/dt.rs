//! Device tree discovery: DTB bytes in, [`crate::hw::Hardware`] out.
//! (Being written.)
