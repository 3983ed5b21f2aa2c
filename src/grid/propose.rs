//! How a search proposes its configurations: each drawn from the search seed and its own
//! index (at random, or by TPE from the finished configurations' results), redrawn while it
//! repeats an earlier one. The sweep runs the search with these; `plan` lists the ones known
//! before any result.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{Config, GridSpec};
use crate::config::Strategy;
use crate::search::{Dim, Point, sample_uniform, tpe};
use crate::seeds::derived_seed;

/// How many times a proposal that repeats an earlier configuration is drawn again before
/// the generation goes without it.
pub const REDRAWS: usize = 100;

impl GridSpec {
    /// The rng configuration `index` is drawn with: from the search seed and the index alone,
    /// so random search proposes the same configurations whatever the generation size, and
    /// TPE's startup configurations are random search's.
    fn config_rng(&self, index: usize) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(derived_seed(&[&"search", &self.search.seed, &index]))
    }

    /// Proposes configuration `index` from the finished configurations' `history` (points
    /// and their objectives), or `None` when every draw repeated one of `taken`.
    pub fn propose<'a>(
        &self,
        dims: &[Dim],
        index: usize,
        history: &[(Point, Vec<f64>)],
        taken: impl Iterator<Item = &'a Config> + Clone,
    ) -> Option<Config> {
        let mut rng = self.config_rng(index);
        let modelled = self.search.strategy == Strategy::Tpe
            && index >= self.search.startup
            && history.len() >= 2;
        let options = tpe::TpeOptions::default();
        for _ in 0..REDRAWS {
            let point = if modelled {
                tpe::suggest(dims, history, &options, &mut rng)
            } else {
                sample_uniform(dims, &mut rng)
            };
            let config = self.config_at(&point);
            let repeat = taken
                .clone()
                .any(|p| p.window == config.window && p.config == config.config);
            if !repeat {
                return Some(config);
            }
        }
        None
    }

    /// The first `n` configurations the search proposes when they do not depend on results:
    /// a grid's in order, a random search's, or TPE's random start. As the sweep proposes
    /// them.
    pub fn planned_configs(&self, n: usize) -> Vec<Config> {
        if self.search.strategy == Strategy::Grid {
            return self.grid_configs().into_iter().take(n).collect();
        }
        let n = match self.search.strategy {
            Strategy::Tpe => n.min(self.search.startup),
            _ => n,
        };
        let dims: Vec<Dim> = self.space().into_iter().map(|(_, d)| d).collect();
        let mut proposed: Vec<Config> = Vec::new();
        let mut index = 0;
        while proposed.len() < n && index < n.saturating_mul(2) + REDRAWS {
            if let Some(config) = self.propose(&dims, index, &[], proposed.iter()) {
                proposed.push(config);
            }
            index += 1;
        }
        proposed
    }
}
