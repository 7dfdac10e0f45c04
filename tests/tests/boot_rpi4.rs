//! Boots the Raspberry Pi 4 image on QEMU's `raspi4b` board, with the device
//! tree from Debian's arm64 kernel package (`cargo xtask fetch-guests`,
//! fetched here on first use): four cores up, then ready.

use bulkhead_tests::{images, Qemu, Raspi4b, TestFailure, DEFAULT_LIMIT};

#[test]
fn raspi4b_4_cores() -> Result<(), TestFailure> {
    let built = images("rpi4")?;
    let guests =
        xtask::guests::fetch(false).map_err(|e| format!("fetching the Pi 4 device tree: {e}"))?;
    let r = Raspi4b {
        image: built.img.clone(),
        dtb: guests.rpi4_dtb,
        extra: Vec::new(),
    };
    let q = Qemu::start(r.command(), DEFAULT_LIMIT)?;
    let all = q.wait_for("all cores up (4/4)", DEFAULT_LIMIT)?;
    let ready = q.wait_for("bulkhead: ready", DEFAULT_LIMIT)?;
    q.assert_no_failures()?;
    if q.matching("memory: ").is_empty() {
        return Err(q.failure("no `memory:` line".into()));
    }
    println!(
        "raspi4b: all cores up at {:.2} s, ready at {:.2} s (wall time)",
        all.at.as_secs_f64(),
        ready.at.as_secs_f64()
    );
    Ok(())
}
