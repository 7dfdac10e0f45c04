//! Errors about cores.

use super::{board, raw, single, LINUX0};
use crate::{validate, ErrorKind as E};

fn with_cpus(line: &str) -> String {
    LINUX0.replace("cpus = [\"cpu@0\", \"cpu@1\"]", line)
}

#[test]
fn no_cpus() {
    single(
        &with_cpus(""),
        |k| *k == E::NoCpus,
        "partition \"linux0\": cpus: no cpus: give cpus = [\"cpu@0\", ...] or mpidrs = [0x0, ...]",
    );
    single(
        &with_cpus("mpidrs = []"),
        |k| *k == E::NoCpus,
        "partition \"linux0\": mpidrs: no cpus: give cpus = [\"cpu@0\", ...] or mpidrs = [0x0, ...]",
    );
}

#[test]
fn cpus_and_mpidrs() {
    single(
        &with_cpus("cpus = [\"cpu@0\"]\nmpidrs = [0]"),
        |k| *k == E::CpusAndMpidrs,
        "partition \"linux0\": cpus: give cpus or mpidrs, not both",
    );
}

#[test]
fn unknown_cpu_by_name() {
    single(
        &with_cpus("cpus = [\"cpu@0\", \"cpu@4\"]"),
        |k| matches!(k, E::UnknownCpu { .. }),
        "partition \"linux0\": cpus[1]: the board has no \"cpu@4\" (it has cpu@0, cpu@1, cpu@2, cpu@3)",
    );
}

#[test]
fn unknown_cpu_by_mpidr() {
    single(
        &with_cpus("mpidrs = [0x100]"),
        |k| matches!(k, E::UnknownCpu { .. }),
        "partition \"linux0\": mpidrs[0]: the board has no core with MPIDR 0x100 \
         (it has cpu@0 = 0x0, cpu@1 = 0x1, cpu@2 = 0x2, cpu@3 = 0x3)",
    );
}

#[test]
fn core_given_twice_in_one_partition() {
    single(
        &with_cpus("cpus = [\"cpu@1\", \"cpu@1\"]"),
        |k| matches!(k, E::CpuTaken { .. }),
        "partition \"linux0\": cpus[1]: cpu@1 (MPIDR 0x1) is already given to partition \"linux0\" cpus[0]",
    );
}

#[test]
fn core_given_to_two_partitions_by_name_and_by_mpidr() {
    let toml = format!(
        "{LINUX0}\n[[partition]]\nname = \"rtos\"\nmpidrs = [0x2, 0x1]\nmemory = [{{ size = \"16M\" }}]\nkernel = \"k\"\n"
    );
    single(
        &toml,
        |k| matches!(k, E::CpuTaken { .. }),
        "partition \"rtos\": mpidrs[1]: cpu@1 (MPIDR 0x1) is already given to partition \"linux0\" cpus[1]",
    );
}

#[test]
fn core_beyond_what_the_hypervisor_supports() {
    let e = validate(
        &raw(&with_cpus("cpus = [\"cpu@0\", \"cpu@3\"]")),
        &board::qemu_virt(),
        &board::constraints().max_cpus(2),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition \"linux0\": cpus[1]: cpu@3 (MPIDR 0x3) is core 3 of the board, \
         but this hypervisor supports cores 0 to 1"
    );
}

#[test]
fn too_many_cpus_in_one_partition() {
    let list = vec!["\"cpu@0\""; 17].join(", ");
    single(
        &with_cpus(&format!("cpus = [{list}]")),
        |k| matches!(k, E::TooMany { count: 17, max: 16 }),
        "partition \"linux0\": cpus: 17 given, at most 16",
    );
}
