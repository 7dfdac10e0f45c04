//! The EL1 system registers a vCPU's snapshot holds, as a named list: the
//! struct, its register names (for reports) and its order in the encoding
//! all come from the one list below.

macro_rules! register_list {
    ($(#[$doc:meta])* $name:ident { $($reg:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $(pub $reg: u64,)+
        }

        impl $name {
            /// The architectural names, in encoding order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($reg)),+];

            /// The values in encoding order.
            pub fn to_array(&self) -> [u64; Self::COUNT] {
                [$(self.$reg),+]
            }

            /// From values in encoding order.
            pub fn from_array(values: [u64; Self::COUNT]) -> Self {
                let [$($reg),+] = values;
                $name { $($reg),+ }
            }
        }
    };
}

register_list! {
    /// The EL1 (and EL0 thread-ID) system registers a guest owns.
    El1SysRegs {
        sctlr_el1,
        ttbr0_el1,
        ttbr1_el1,
        tcr_el1,
        mair_el1,
        amair_el1,
        vbar_el1,
        contextidr_el1,
        tpidr_el0,
        tpidrro_el0,
        tpidr_el1,
        esr_el1,
        far_el1,
        afsr0_el1,
        afsr1_el1,
        par_el1,
        cpacr_el1,
        cntkctl_el1,
        csselr_el1,
        mdscr_el1,
    }
}

impl El1SysRegs {
    pub const COUNT: usize = 20;
}

#[cfg(test)]
mod tests {
    use super::El1SysRegs;

    #[test]
    fn names_match_the_count_and_arrays_round_trip() {
        assert_eq!(El1SysRegs::NAMES.len(), El1SysRegs::COUNT);
        let mut values = [0u64; El1SysRegs::COUNT];
        for (i, v) in values.iter_mut().enumerate() {
            *v = i as u64 * 3 + 1;
        }
        let r = El1SysRegs::from_array(values);
        assert_eq!(r.sctlr_el1, 1);
        assert_eq!(r.mdscr_el1, 58);
        assert_eq!(r.to_array(), values);
    }
}
