//! Guest time across a snapshot.
//!
//! The rule: **guest virtual time does not jump.** The guest's virtual
//! counter reads `CNTVCT = CNTPCT - CNTVOFF`. At the snapshot it read
//! `V = counter_at_save - cntvoff_at_save`; on restore the hypervisor sets
//! `CNTVOFF = counter_now - V`, so the guest's first read after the restore
//! is `V` (plus the few ticks since), as if it had been paused. CNTV_CVAL,
//! in virtual time, is restored unchanged, so a timer armed for 5 ms ahead
//! still fires 5 ms (of guest time) later. Wall-clock time inside the guest
//! (an RTC it reads, NTP) does jump: the guest is told nothing.
//!
//! Counters wrap at 2^64 (architecturally at least 56 bits); the arithmetic
//! is modular on purpose.

/// The CNTVOFF_EL2 to program when restoring a vCPU saved with
/// `saved_cntvoff` at physical count `counter_at_save`, now that the
/// physical count is `counter_now`.
pub fn restored_cntvoff(saved_cntvoff: u64, counter_at_save: u64, counter_now: u64) -> u64 {
    let virtual_at_save = counter_at_save.wrapping_sub(saved_cntvoff);
    counter_now.wrapping_sub(virtual_at_save)
}

#[cfg(test)]
mod tests {
    use super::restored_cntvoff;

    #[test]
    fn virtual_time_resumes_where_it_stopped() {
        // Saved at physical 1000 with offset 400: the guest saw 600.
        let off = restored_cntvoff(400, 1000, 50_000);
        assert_eq!(50_000 - off, 600);
        // Restored "before" the save (another boot): still 600.
        let off = restored_cntvoff(400, 1000, 10);
        assert_eq!(10u64.wrapping_sub(off), 600);
        // Across the wrap.
        let off = restored_cntvoff(u64::MAX, 5, 3);
        assert_eq!(3u64.wrapping_sub(off), 6);
    }
}
