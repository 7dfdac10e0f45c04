//! Links the aarch64 guest as a position-independent executable with
//! `linker/guest.ld`. Host builds (unit tests) get no special link flags.

use std::env;
use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let script = manifest.join("../../linker/guest.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-changed=build.rs");

    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    // The image is linked at address 0 and relocates itself at entry
    // (src/arch/entry.rs applies .rela.dyn), so it runs wherever it is loaded.
    // Code generated with the default static relocation model is already
    // PC-relative on aarch64 (adrp/add); `--pie` turns every absolute pointer
    // stored in data into an R_AARCH64_RELATIVE entry, and `-z notext` allows
    // those entries in read-only sections (the guest writes them with the MMU
    // off, before anything is read-only).
    println!("cargo:rustc-link-arg-bin=guest=-T{}", script.display());
    println!("cargo:rustc-link-arg-bin=guest=--pie");
    println!("cargo:rustc-link-arg-bin=guest=-znotext");
    println!("cargo:rustc-link-arg-bin=guest=--no-dynamic-linker");
}
