//! The Tree-structured Parzen Estimator (Bergstra et al. 2011), with the defaults Watanabe
//! (2023) and Optuna settled on: the finished configurations are split into a small "good"
//! group and the rest, each group becomes a multivariate Parzen estimator (`l` for the good,
//! `g` for the rest), and of a handful of candidates drawn from `l` the one with the largest
//! `l / g` is proposed. With two or more objectives the split ranks by Pareto front and
//! crowding distance, as MOTPE does.
//!
//! Estimators work in each dimension's internal coordinate ([`Dim::internal_bounds`]): the
//! logarithm for log ranges, widened by half a step at each end for integers.

use rand::Rng;
use rand_distr::StandardNormal;
use statrs::function::erf::erfc;

use super::pareto;
use super::space::{Dim, Point, sample_uniform};

/// Settings of the sampler. The defaults are Optuna's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TpeOptions {
    /// Candidates drawn from the good group's estimator per suggestion; the one most likelier
    /// under the good group than under the rest wins. More candidates make the search greedier;
    /// at least one is drawn.
    pub candidates: usize,
    /// Weight of the prior kernel (spread over the whole space) against one observation's,
    /// which keeps every region reachable. Also sets the smoothing of choice dimensions.
    pub prior_weight: f64,
}

impl Default for TpeOptions {
    fn default() -> Self {
        TpeOptions {
            candidates: 24,
            prior_weight: 1.0,
        }
    }
}

/// How many of `n` finished configurations form the "good" group: Optuna's default,
/// `min(ceil(0.1 n), 25)`, at least 1. Small, so `l` stays focused on the best region.
pub fn n_good(n: usize) -> usize {
    n.div_ceil(10).clamp(1, 25)
}

/// The number of objectives: the longest value list in the history.
fn objectives(history: &[(Point, Vec<f64>)]) -> usize {
    history.iter().map(|(_, v)| v.len()).max().unwrap_or(0)
}

/// The split: the indices of the good group, best first, and of the rest, in history order.
///
/// With one objective, by value ascending (non-finite last, ties by index). With more,
/// by [`pareto::order`]: its first `n_good` are exactly MOTPE's split, whole fronts while they
/// fit and then the members of the next front with the largest crowding distance (ties by
/// index). Missing objective values count as the worst.
pub fn split(history: &[(Point, Vec<f64>)]) -> (Vec<usize>, Vec<usize>) {
    let n = history.len();
    let k = objectives(history);
    let ranked = if k >= 2 {
        let values: Vec<Vec<f64>> = history
            .iter()
            .map(|(_, v)| {
                (0..k)
                    .map(|j| v.get(j).copied().unwrap_or(f64::NAN))
                    .collect()
            })
            .collect();
        pareto::order(&values)
    } else {
        let key = |i: usize| {
            let v = history[i].1.first().copied().unwrap_or(f64::NAN);
            if v.is_finite() { v } else { f64::INFINITY }
        };
        let mut idx: Vec<usize> = (0..n).collect();
        idx.sort_by(|&i, &j| key(i).total_cmp(&key(j)).then(i.cmp(&j)));
        idx
    };
    let cut = n_good(n).min(n);
    let mut rest = ranked[cut..].to_vec();
    rest.sort_unstable();
    (ranked[..cut].to_vec(), rest)
}

/// Optuna's default observation weights for a group of `m`, oldest first: all 1 below 25;
/// otherwise the oldest `m - 25` ramp up linearly from `1/m` to 1 and the newest 25 get 1, so
/// early, mostly random observations count less once the search has moved on.
fn ramp_weights(m: usize) -> Vec<f64> {
    if m < 25 {
        return vec![1.0; m];
    }
    let k = m - 25;
    let start = 1.0 / m as f64;
    let ramp = (0..k).map(|i| {
        if k == 1 {
            start
        } else {
            start + (1.0 - start) * i as f64 / (k - 1) as f64
        }
    });
    ramp.chain(std::iter::repeat_n(1.0, 25)).collect()
}

/// `ln(sqrt(2 pi))`, the log normaliser of the standard normal density.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_7;

/// The standard normal's mass in `[a, b]`, from whichever tail keeps precision: subtracting
/// two CDFs near 1 would lose the far-tail masses the ratio `l / g` depends on.
fn normal_mass(a: f64, b: f64) -> f64 {
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let m = if a >= 0.0 {
        0.5 * (erfc(a * s) - erfc(b * s))
    } else if b <= 0.0 {
        0.5 * (erfc(-b * s) - erfc(-a * s))
    } else {
        1.0 - 0.5 * (erfc(b * s) + erfc(-a * s))
    };
    m.max(0.0)
}

/// The log of [`normal_mass`]; when the mass underflows, the density at the midpoint times
/// the width, which stays finite however far out the interval is.
fn log_normal_mass(a: f64, b: f64) -> f64 {
    let m = normal_mass(a, b);
    if m > 1e-300 {
        m.ln()
    } else if b > a {
        let mid = 0.5 * (a + b);
        (b - a).ln() - 0.5 * mid * mid - LN_SQRT_2PI
    } else {
        f64::NEG_INFINITY
    }
}

/// A draw from a normal truncated to `[lo, hi]`, by rejection. The centre lies in the
/// interval and the width is at most the interval's, so at least a third of draws land;
/// after 100 misses the last draw is clamped.
fn truncated_normal(mu: f64, sigma: f64, lo: f64, hi: f64, rng: &mut impl Rng) -> f64 {
    let mut x = mu;
    for _ in 0..100 {
        let z: f64 = rng.sample(StandardNormal);
        x = mu + sigma * z;
        if (lo..=hi).contains(&x) {
            return x;
        }
    }
    x.clamp(lo, hi)
}

/// A choice dimension's option for a stored value; unreadable values become option 0.
fn option(n: usize, v: f64) -> usize {
    if v.is_finite() {
        v.floor().clamp(0.0, n.saturating_sub(1) as f64) as usize
    } else {
        0
    }
}

/// One dimension of an estimator: per kernel (the observations in order, the prior last).
enum Axis {
    Numeric(Normals),
    /// Per kernel, each option's probability and its logarithm.
    Choice {
        prob: Vec<Vec<f64>>,
        log_prob: Vec<Vec<f64>>,
    },
    /// A range with a single value: nothing to model.
    Fixed {
        value: f64,
    },
}

/// Truncated normals in the internal coordinate over `[lo, hi]`, with their log normalisers.
struct Normals {
    dim: Dim,
    lo: f64,
    hi: f64,
    mu: Vec<f64>,
    sigma: Vec<f64>,
    log_z: Vec<f64>,
}

/// A multivariate Parzen estimator: one kernel per observation over all dimensions jointly,
/// plus a prior kernel, mixed by weight.
struct Parzen {
    weight: Vec<f64>,
    log_weight: Vec<f64>,
    axes: Vec<Axis>,
}

impl Parzen {
    /// The estimator of the configurations `group` (history indices, ascending) with
    /// observation weights `weights`.
    fn new(
        space: &[Dim],
        history: &[(Point, Vec<f64>)],
        group: &[usize],
        weights: &[f64],
        prior_weight: f64,
    ) -> Parzen {
        let n = group.len();
        let prior = if prior_weight.is_finite() {
            prior_weight.max(0.0)
        } else {
            0.0
        };
        let mut weight: Vec<f64> = weights.to_vec();
        weight.push(prior);
        let total: f64 = weight.iter().sum();
        if !(total > 0.0 && total.is_finite()) {
            // Nothing to weigh by: the prior alone.
            weight.iter_mut().for_each(|w| *w = 0.0);
            weight[n] = 1.0;
        } else {
            weight.iter_mut().for_each(|w| *w /= total);
        }
        let log_weight = weight.iter().map(|w| w.ln()).collect();
        let value = |i: usize, d: usize| history[i].0.get(d).copied().unwrap_or(f64::NAN);
        let axes = space
            .iter()
            .enumerate()
            .map(|(d, &dim)| match dim {
                Dim::Choice { n: options } => {
                    let options = options.max(1);
                    // Optuna's smoothing: every option gets `a = prior_weight / (n + 1)` on top
                    // of the observed one's 1, normalised; the weight is taken as at least
                    // 0.001 so no option's probability is ever 0.
                    let a = prior.max(1e-3) / (n + 1) as f64;
                    let mut prob: Vec<Vec<f64>> = group
                        .iter()
                        .map(|&i| {
                            let c = option(options, value(i, d));
                            let mut p = vec![a / (1.0 + options as f64 * a); options];
                            p[c] = (1.0 + a) / (1.0 + options as f64 * a);
                            p
                        })
                        .collect();
                    prob.push(vec![1.0 / options as f64; options]);
                    let log_prob = prob
                        .iter()
                        .map(|p| p.iter().map(|q| q.ln()).collect())
                        .collect();
                    Axis::Choice { prob, log_prob }
                }
                Dim::Range { .. } => {
                    let (lo, hi) = dim.internal_bounds();
                    let width = hi - lo;
                    if !(width > 0.0 && width.is_finite()) {
                        return Axis::Fixed {
                            value: dim.from_internal(lo),
                        };
                    }
                    // Scott's rule as in Optuna's multivariate TPE, then its "magic clip",
                    // which keeps kernels from collapsing onto a few close observations.
                    let scott =
                        0.2 * (n.max(1) as f64).powf(-1.0 / (space.len() as f64 + 4.0)) * width;
                    let sigma_obs = scott.clamp(width / (100f64.min(1.0 + n as f64)), width);
                    let centre = 0.5 * (lo + hi);
                    let mut mu: Vec<f64> = group
                        .iter()
                        .map(|&i| {
                            let x = dim.to_internal(value(i, d));
                            if x.is_nan() { centre } else { x.clamp(lo, hi) }
                        })
                        .collect();
                    mu.push(centre);
                    let mut sigma = vec![sigma_obs; n];
                    sigma.push(width);
                    let log_z = mu
                        .iter()
                        .zip(&sigma)
                        .map(|(&m, &s)| log_normal_mass((lo - m) / s, (hi - m) / s))
                        .collect();
                    Axis::Numeric(Normals {
                        dim,
                        lo,
                        hi,
                        mu,
                        sigma,
                        log_z,
                    })
                }
            })
            .collect();
        Parzen {
            weight,
            log_weight,
            axes,
        }
    }

    /// A draw: a kernel by mixture weight, then each dimension from that kernel.
    fn sample(&self, rng: &mut impl Rng) -> Point {
        let k = pick(&self.weight, rng);
        self.axes
            .iter()
            .map(|axis| match axis {
                Axis::Numeric(g) => g
                    .dim
                    .from_internal(truncated_normal(g.mu[k], g.sigma[k], g.lo, g.hi, rng)),
                Axis::Choice { prob, .. } => pick(&prob[k], rng) as f64,
                Axis::Fixed { value } => *value,
            })
            .collect()
    }

    /// The log density of the mixture at a point of the space. An integer's density is its
    /// kernel's mass over the integer's cell (the internal interval that rounds to it), so the
    /// integers' masses sum to 1 like the options' probabilities.
    fn log_density(&self, x: &[f64]) -> f64 {
        let mut acc = self.log_weight.clone();
        for (axis, &v) in self.axes.iter().zip(x) {
            match axis {
                Axis::Numeric(g) => {
                    let Normals {
                        dim, lo, hi, mu, ..
                    } = g;
                    let (sigma, log_z) = (&g.sigma, &g.log_z);
                    let (log, int) = dim.log_int();
                    let kernels = acc.iter_mut().zip(mu.iter().zip(sigma).zip(log_z));
                    if int {
                        let below = if log { (v - 0.5).max(0.5) } else { v - 0.5 };
                        let a = dim.to_internal(below).clamp(*lo, *hi);
                        let b = dim.to_internal(v + 0.5).clamp(*lo, *hi);
                        for (s, ((&m, &sd), &z)) in kernels {
                            *s += log_normal_mass((a - m) / sd, (b - m) / sd) - z;
                        }
                    } else {
                        let t = dim.to_internal(v).clamp(*lo, *hi);
                        for (s, ((&m, &sd), &z)) in kernels {
                            let u = (t - m) / sd;
                            *s += -0.5 * u * u - sd.ln() - LN_SQRT_2PI - z;
                        }
                    }
                }
                Axis::Choice { log_prob, .. } => {
                    let c = option(log_prob[0].len(), v);
                    for (s, p) in acc.iter_mut().zip(log_prob) {
                        *s += p[c];
                    }
                }
                Axis::Fixed { .. } => {}
            }
        }
        log_sum_exp(&acc)
    }
}

/// An index drawn with probability proportional to `weights` (all non-negative).
fn pick(weights: &[f64], rng: &mut impl Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.r#gen::<f64>() * total;
    for (i, &w) in weights.iter().enumerate() {
        if u < w {
            return i;
        }
        u -= w;
    }
    // Rounding left `u` past the end: the last index with any weight.
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// `ln(sum(exp(xs)))` without overflow; `-inf` when every term is.
fn log_sum_exp(xs: &[f64]) -> f64 {
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY || !max.is_finite() {
        return max;
    }
    max + xs.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}

/// One new point of `space`, proposed from `history`: finished configurations as (point,
/// objective values), every objective to be minimised (negate maximised ones); a non-finite
/// value counts as the worst. One value per entry is single-objective, two or more
/// multi-objective (MOTPE-style split, all observation weights 1). With fewer than two entries
/// there is nothing to split, and the point is uniform.
///
/// Each coordinate is valid for its dimension: a range's value within `[low, high]` and whole
/// for integers, a choice's index in `0..n`. The result depends only on the inputs and the
/// state of `rng`.
pub fn suggest(
    space: &[Dim],
    history: &[(Point, Vec<f64>)],
    options: &TpeOptions,
    rng: &mut impl Rng,
) -> Point {
    if history.len() < 2 || space.is_empty() {
        return sample_uniform(space, rng);
    }
    let (mut good, bad) = split(history);
    // Weights ramp by age, so both groups go in history order.
    good.sort_unstable();
    let multi = objectives(history) >= 2;
    let weights = |m: usize| if multi { vec![1.0; m] } else { ramp_weights(m) };
    let l = Parzen::new(
        space,
        history,
        &good,
        &weights(good.len()),
        options.prior_weight,
    );
    let g = Parzen::new(
        space,
        history,
        &bad,
        &weights(bad.len()),
        options.prior_weight,
    );
    let mut best = l.sample(rng);
    let mut best_score = score(&l, &g, &best);
    for _ in 1..options.candidates {
        let x = l.sample(rng);
        let s = score(&l, &g, &x);
        if s > best_score {
            best = x;
            best_score = s;
        }
    }
    best
}

/// The acquisition `log l(x) - log g(x)`; an undefined one counts as the worst.
fn score(l: &Parzen, g: &Parzen, x: &[f64]) -> f64 {
    let s = l.log_density(x) - g.log_density(x);
    if s.is_nan() { f64::NEG_INFINITY } else { s }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    type History = Vec<(Point, Vec<f64>)>;

    /// `startup` uniform points then `steps` suggestions, each scored by `f` plus Gaussian
    /// noise of `sd` from its own seeded stream.
    fn optimise(
        space: &[Dim],
        startup: usize,
        steps: usize,
        sd: f64,
        f: impl Fn(&Point) -> f64,
    ) -> History {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut noise = ChaCha8Rng::seed_from_u64(8);
        let mut history: History = Vec::new();
        for i in 0..startup + steps {
            let x = if i < startup {
                sample_uniform(space, &mut rng)
            } else {
                suggest(space, &history, &TpeOptions::default(), &mut rng)
            };
            let e: f64 = noise.sample(StandardNormal);
            let y = f(&x) + sd * e;
            history.push((x, vec![y]));
        }
        history
    }

    fn median(mut xs: Vec<f64>) -> f64 {
        xs.sort_by(f64::total_cmp);
        let n = xs.len();
        if n % 2 == 1 {
            xs[n / 2]
        } else {
            0.5 * (xs[n / 2 - 1] + xs[n / 2])
        }
    }

    /// Uniform draws to compare with. A thousand, as the median of 30 wanders by a quarter.
    fn uniform(space: &[Dim]) -> Vec<Point> {
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        (0..1000).map(|_| sample_uniform(space, &mut rng)).collect()
    }

    fn range(low: f64, high: f64, log: bool, int: bool) -> Dim {
        Dim::Range {
            low,
            high,
            log,
            int,
        }
    }

    #[test]
    fn a_noisy_quadratic_is_found() {
        let space = [range(-5.0, 5.0, false, false)];
        let h = optimise(&space, 10, 60, 0.1, |x| (x[0] - 1.3).powi(2));
        let dist = |p: &Point| (p[0] - 1.3).abs();
        let tpe = median(h[40..].iter().map(|(p, _)| dist(p)).collect());
        let uni = median(uniform(&space).iter().map(dist).collect());
        // Uniform gives 2.5. Over 40 seeds this statistic ran from 0.41 to 0.66 (median 0.51);
        // Optuna 5.0's TPE, on the same problem, has a median of 0.68 over 20 seeds.
        assert!(tpe < 0.7 && tpe < uni / 3.0, "tpe {tpe}, uniform {uni}");
        assert!(h.iter().all(|(p, _)| (-5.0..=5.0).contains(&p[0])));
    }

    #[test]
    fn log_and_integer_ranges_are_searched_in_the_logarithm() {
        let space = [range(1e-4, 1.0, true, false), range(1.0, 64.0, true, true)];
        let (ox, oy) = (0.01f64.ln(), 16f64.ln());
        let f = |p: &Point| (p[0].ln() - ox).powi(2) + (p[1].ln() - oy).powi(2) / 4.0;
        let h = optimise(&space, 10, 80, 0.05, f);
        let best = h.iter().min_by(|a, b| a.1[0].total_cmp(&b.1[0])).unwrap();
        let (bx, by) = (best.0[0], best.0[1]);
        assert!(
            (0.005..=0.02).contains(&bx) && (8.0..=32.0).contains(&by),
            "{best:?}"
        );
        let dist = |p: &Point| ((p[0].ln() - ox).powi(2) + (p[1].ln() - oy).powi(2)).sqrt();
        let tpe = median(h[60..].iter().map(|(p, _)| dist(p)).collect());
        let uni = median(uniform(&space).iter().map(dist).collect());
        assert!(tpe < uni / 2.0, "tpe {tpe}, uniform {uni}");
        for (p, _) in &h[10..] {
            assert!((1e-4..=1.0).contains(&p[0]), "{p:?}");
            assert!(p[1].fract() == 0.0 && (1.0..=64.0).contains(&p[1]), "{p:?}");
        }
    }

    #[test]
    fn the_best_choice_is_preferred() {
        let space = [Dim::Choice { n: 4 }, range(0.0, 1.0, false, false)];
        let f = |p: &Point| if p[0] == 2.0 { 0.0 } else { 1.0 } + (p[1] - 0.5).powi(2);
        let h = optimise(&space, 10, 40, 0.05, f);
        let twos = h[30..].iter().filter(|(p, _)| p[0] == 2.0).count();
        assert!(twos >= 12, "{twos} of 20");
        assert!(h.iter().all(|(p, _)| [0.0, 1.0, 2.0, 3.0].contains(&p[0])));
    }

    #[test]
    fn two_objectives_split_by_front_then_crowding() {
        // 21 entries, so 3 are good. Front 0 is A, B, C, D: A and D are its ends; crowding
        // gives B (0.5 - 0) / 1 + (1 - 0.25) / 1 = 1.25 and C (1 - 0.2) + (0.64 - 0) = 1.44.
        let front = [
            (3, [0.0, 1.0]),
            (8, [0.2, 0.64]),
            (12, [0.5, 0.25]),
            (17, [1.0, 0.0]),
        ];
        let mut h: History = (0..21)
            .map(|i| {
                let x = i as f64 / 20.0;
                (vec![x], vec![x + 0.5, (1.0 - x).powi(2) + 0.5])
            })
            .collect();
        for (i, v) in front {
            h[i].1 = v.to_vec();
        }
        h[5].1 = vec![f64::NAN, 0.5];
        let (good, rest) = split(&h);
        assert_eq!(good, vec![3, 17, 12]);
        assert_eq!(rest.len(), 18);
        assert!(rest.windows(2).all(|w| w[0] < w[1]) && rest.contains(&8));

        let space = [range(0.0, 1.0, false, false), range(2.0, 9.0, false, true)];
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut h: History = Vec::new();
        for _ in 0..30 {
            let p = suggest(&space, &h, &TpeOptions::default(), &mut rng);
            assert!(
                (0.0..=1.0).contains(&p[0]) && (2.0..=9.0).contains(&p[1]),
                "{p:?}"
            );
            assert_eq!(p[1].fract(), 0.0);
            let v = vec![p[0], (1.0 - p[0]).powi(2) + p[1] / 10.0];
            h.push((p, v));
        }
    }

    #[test]
    fn single_objective_split_and_weights() {
        let h: History = [
            3.0,
            f64::NAN,
            1.0,
            2.0,
            1.0,
            5.0,
            0.5,
            9.0,
            4.0,
            6.0,
            7.0,
            8.0,
        ]
        .iter()
        .map(|&v| (vec![0.0], vec![v]))
        .collect();
        assert_eq!(
            split(&h),
            (vec![6, 2], vec![0, 1, 3, 4, 5, 7, 8, 9, 10, 11])
        );
        assert_eq!(ramp_weights(3), vec![1.0; 3]);
        let w = ramp_weights(30);
        assert_eq!(w.len(), 30);
        assert!(
            (w[0] - 1.0 / 30.0).abs() < 1e-12 && w[4] == 1.0 && w[5..].iter().all(|&x| x == 1.0)
        );
        assert!((w[1] - (1.0 / 30.0 + 0.25 * 29.0 / 30.0)).abs() < 1e-12);
        assert_eq!(ramp_weights(26), [vec![1.0 / 26.0], vec![1.0; 25]].concat());
    }

    #[test]
    fn good_group_sizes() {
        assert_eq!(n_good(1), 1);
        assert_eq!(n_good(10), 1);
        assert_eq!(n_good(11), 2);
        assert_eq!(n_good(300), 25);
    }

    #[test]
    fn densities_are_normalised() {
        let space = [
            range(-2.0, 3.0, false, false),
            range(1.0, 40.0, true, true),
            Dim::Choice { n: 3 },
        ];
        let h: History = vec![
            (vec![2.9, 1.0, 0.0], vec![0.0]),
            (vec![-1.0, 17.0, 2.0], vec![1.0]),
            (vec![0.5, 40.0, 2.0], vec![2.0]),
        ];
        let p = Parzen::new(&space, &h, &[0, 1, 2], &[1.0, 0.5, 2.0], 1.0);
        let steps = 2000;
        let dx = 5.0 / steps as f64;
        let mut total = 0.0;
        for c in 0..3 {
            for y in 1..=40 {
                for s in 0..steps {
                    let x = -2.0 + (s as f64 + 0.5) * dx;
                    total += p.log_density(&[x, y as f64, c as f64]).exp() * dx;
                }
            }
        }
        assert!((total - 1.0).abs() < 1e-4, "{total}");
    }

    #[test]
    fn draws_follow_the_mixture() {
        // Five observations at 1 in [0, 10]: sigma is the clip's 10 / 6, and their kernels
        // (5/6 of the mass) put 0.84 of a draw in [0, 3], the prior's 0.29; 0.75 in all.
        let space = [range(0.0, 10.0, false, false)];
        let h: History = vec![(vec![1.0], vec![0.0]); 5];
        let p = Parzen::new(&space, &h, &[0, 1, 2, 3, 4], &[1.0; 5], 1.0);
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let near = (0..4000)
            .map(|_| p.sample(&mut rng)[0])
            .inspect(|x| assert!((0.0..=10.0).contains(x)))
            .filter(|x| *x <= 3.0)
            .count();
        assert!((2800..3200).contains(&near), "{near}");
    }

    #[test]
    fn the_same_seed_gives_the_same_point() {
        let space = [
            range(1e-3, 1.0, true, false),
            range(0.0, 10.0, false, true),
            Dim::Choice { n: 5 },
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let h: History = (0..40)
            .map(|i| {
                let p = sample_uniform(&space, &mut rng);
                let v = p[0] + p[1] + (i % 3) as f64;
                (p, vec![v])
            })
            .collect();
        let run = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let p = suggest(&space, &h, &TpeOptions::default(), &mut rng);
            p.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        };
        assert_eq!(run(5), run(5));
        assert_ne!(run(5), run(6));
        let mut a = ChaCha8Rng::seed_from_u64(1);
        let mut b = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(
            suggest(&space, &h[..1], &TpeOptions::default(), &mut a),
            sample_uniform(&space, &mut b)
        );
    }
}
