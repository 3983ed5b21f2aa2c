//! The space a search draws configurations from, in numbers: one dimension per setting that
//! varies, each a range (a distribution from the grid file) or an unordered choice (a list).
//! The samplers work on points of this space; the grid side turns a point into settings.

use rand::Rng;

/// One dimension of a search space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dim {
    /// Values in `[low, high]`, drawn uniformly in the value itself or, with `log`, in its
    /// logarithm (`low > 0` then). With `int`, values are whole numbers: a sample is drawn
    /// over `[low - 0.5, high + 0.5)` (in the log case over the logarithms of those ends) and
    /// rounded, so every integer gets its fair share, the ends included.
    Range {
        low: f64,
        high: f64,
        log: bool,
        int: bool,
    },
    /// One of `n` unordered choices, by index (`0..n`).
    Choice { n: usize },
}

/// A point of a space: per dimension, a range's value or a choice's index (as `f64`).
pub type Point = Vec<f64>;

impl Dim {
    /// Whether a range is drawn in the logarithm, and whether it holds integers.
    pub(crate) fn log_int(&self) -> (bool, bool) {
        match *self {
            Dim::Range { log, int, .. } => (log, int),
            Dim::Choice { .. } => (false, false),
        }
    }

    /// The interval samples are drawn from, in the coordinate the dimension is uniform in
    /// (the logarithm for `log`). Integers widen by half a step at each end.
    pub fn internal_bounds(&self) -> (f64, f64) {
        let (log, int) = self.log_int();
        match *self {
            Dim::Range { low, high, .. } => {
                let (lo, hi) = if int {
                    (
                        (low - 0.5).max(if log { 0.5 } else { f64::MIN }),
                        high + 0.5,
                    )
                } else {
                    (low, high)
                };
                if log { (lo.ln(), hi.ln()) } else { (lo, hi) }
            }
            Dim::Choice { n } => (0.0, n as f64),
        }
    }

    /// A value's coordinate in the space samplers work in: the logarithm for `log` ranges.
    pub fn to_internal(&self, value: f64) -> f64 {
        match *self {
            Dim::Range { log: true, .. } => value.ln(),
            _ => value,
        }
    }

    /// The value at an internal coordinate, clamped to the range and rounded for integers.
    pub fn from_internal(&self, x: f64) -> f64 {
        let (log, int) = self.log_int();
        match *self {
            Dim::Range { low, high, .. } => {
                let v = if log { x.exp() } else { x };
                let v = if int { v.round() } else { v };
                v.clamp(low, high)
            }
            Dim::Choice { n } => x.floor().clamp(0.0, n.saturating_sub(1) as f64),
        }
    }

    /// A uniform draw: uniform in the value, or in its logarithm for `log` ranges; a choice
    /// uniformly among its options.
    pub fn sample(&self, rng: &mut impl Rng) -> f64 {
        match *self {
            Dim::Choice { n } => rng.gen_range(0..n.max(1)) as f64,
            Dim::Range { .. } => {
                let (lo, hi) = self.internal_bounds();
                let x = if hi > lo { rng.gen_range(lo..hi) } else { lo };
                self.from_internal(x)
            }
        }
    }
}

/// A point drawn uniformly from every dimension, independently.
pub fn sample_uniform(space: &[Dim], rng: &mut impl Rng) -> Point {
    space.iter().map(|d| d.sample(rng)).collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn integer_ranges_give_each_value_its_share_ends_included() {
        let d = Dim::Range {
            low: 1.0,
            high: 4.0,
            log: false,
            int: true,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut counts = [0usize; 5];
        for _ in 0..40_000 {
            counts[d.sample(&mut rng) as usize] += 1;
        }
        assert_eq!(counts[0], 0);
        for c in &counts[1..] {
            assert!((9_000..11_000).contains(c), "{counts:?}");
        }
    }

    #[test]
    fn log_ranges_are_uniform_in_the_logarithm() {
        let d = Dim::Range {
            low: 1e-5,
            high: 1e-1,
            log: true,
            int: false,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let below = (0..20_000)
            .map(|_| d.sample(&mut rng))
            .inspect(|v| assert!((1e-5..=1e-1).contains(v)))
            .filter(|v| *v < 1e-3)
            .count();
        // Half of the logarithm's range lies below 1e-3; a linear draw would put 1 % there.
        assert!((9_500..10_500).contains(&below), "{below}");
    }

    #[test]
    fn internal_coordinates_round_trip() {
        let d = Dim::Range {
            low: 4.0,
            high: 256.0,
            log: true,
            int: true,
        };
        let (lo, hi) = d.internal_bounds();
        assert!((lo - 3.5f64.ln()).abs() < 1e-12 && (hi - 256.5f64.ln()).abs() < 1e-12);
        assert_eq!(d.from_internal(d.to_internal(32.0)), 32.0);
        assert_eq!(d.from_internal(hi + 1.0), 256.0);
        let c = Dim::Choice { n: 3 };
        assert_eq!(c.from_internal(2.9), 2.0);
        assert_eq!(c.from_internal(7.0), 2.0);
    }
}
