//! Seeds derived from names: every random stream of a trial or a search is a function of
//! what it is for, never of the order things run in.

use sha2::{Digest, Sha256};

/// A 64-bit seed derived from named parts. Weights depend on (seed, model shape) and the
/// batch order on the seed alone, so trials that differ only in λ, learning rate or loss
/// start from the same weights and see the same order: their difference is the setting's.
pub fn derived_seed(parts: &[&dyn std::fmt::Display]) -> u64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.to_string().as_bytes());
        h.update([0u8]);
    }
    u64::from_le_bytes(h.finalize()[..8].try_into().expect("8 bytes"))
}
