//! vCPU identities. A partition's vCPUs are numbered from 0 whatever
//! physical cores run them, and the tree's cpu nodes, the virtual GIC's
//! redistributor affinities and VMPIDR_EL2 must all agree on the number.

/// Largest vCPU count a GICv3 partition may have.
pub const MAX_VCPUS_GICV3: usize = 255;
/// GICv2 has eight CPU interfaces.
pub const MAX_VCPUS_GICV2: usize = 8;

/// The MPIDR affinity of vCPU `index` (the cpu node's `reg`, and what the
/// hypervisor must write to VMPIDR_EL2): sixteen vCPUs per cluster, Aff0 =
/// index % 16 and Aff1 = index / 16, as KVM does, because a GICv3 SGI's
/// target list only reaches Aff0 0-15. Below 16 vCPUs this is just the
/// index.
pub const fn vcpu_mpidr(index: usize) -> u64 {
    let aff0 = (index % 16) as u64;
    let aff1 = ((index / 16) % 256) as u64;
    (aff1 << 8) | aff0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_per_cluster() {
        assert_eq!(vcpu_mpidr(0), 0);
        assert_eq!(vcpu_mpidr(15), 15);
        assert_eq!(vcpu_mpidr(16), 0x100);
        assert_eq!(vcpu_mpidr(254), 0xf0e);
    }

    #[test]
    fn distinct_for_every_allowed_index() {
        let mut all: alloc::vec::Vec<u64> = (0..MAX_VCPUS_GICV3).map(vcpu_mpidr).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), MAX_VCPUS_GICV3);
    }
}
