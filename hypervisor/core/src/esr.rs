//! ESR_ELx decoding. (Being written.)
