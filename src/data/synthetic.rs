//! Generated series with known behaviour: a sine's direction is predictable, an AR(2)'s
//! partly, a random walk's not at all. Seeded, so a grid that uses one is reproducible.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::config::{Synthetic, SyntheticKind};

/// Steps thrown away before an AR(2) series starts, so it begins near its stationary law.
const AR2_BURN_IN: usize = 200;

/// Generates the series `spec` describes: `length` values of its kind.
pub fn generate(spec: &Synthetic) -> Vec<f64> {
    let (length, noise) = (spec.length, spec.noise);
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut eps = move || -> f64 { StandardNormal.sample(&mut rng) };
    match spec.kind {
        SyntheticKind::Sine => (0..length)
            .map(|t| (std::f64::consts::TAU * t as f64 / spec.period).sin() + noise * eps())
            .collect(),
        SyntheticKind::Ar2 => {
            let (mut x1, mut x2) = (0.0, 0.0);
            let mut out = Vec::with_capacity(length);
            for t in 0..length + AR2_BURN_IN {
                let x = spec.phi[0] * x1 + spec.phi[1] * x2 + noise * eps();
                x2 = x1;
                x1 = x;
                if t >= AR2_BURN_IN {
                    out.push(x);
                }
            }
            out
        }
        SyntheticKind::RandomWalk => {
            let mut x = 0.0;
            (0..length)
                .map(|_| {
                    x += spec.drift + noise * eps();
                    x
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A series of `kind` with every parameter at a plain value, for tests to change.
    fn series(kind: SyntheticKind) -> Synthetic {
        Synthetic {
            kind,
            length: 500,
            noise: 0.0,
            period: 1.0,
            phi: [0.0; 2],
            drift: 0.0,
            seed: 0,
            series: None,
        }
    }

    fn lag1_autocorrelation(s: &[f64]) -> f64 {
        let n = s.len() as f64;
        let mean = s.iter().sum::<f64>() / n;
        let var: f64 = s.iter().map(|v| (v - mean).powi(2)).sum();
        let cov: f64 = s.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum();
        cov / var
    }

    #[test]
    fn ar2_lag1_autocorrelation_matches_theory() {
        // For a stationary AR(2), rho1 = phi1 / (1 - phi2).
        let phi = [0.6, -0.3];
        let s = generate(&Synthetic {
            kind: SyntheticKind::Ar2,
            length: 200_000,
            noise: 1.0,
            period: 1.0,
            phi,
            drift: 0.0,
            seed: 3,
            series: None,
        });
        let theory = phi[0] / (1.0 - phi[1]);
        let got = lag1_autocorrelation(&s);
        assert!((got - theory).abs() < 0.01, "rho1 {got} vs {theory}");
    }

    #[test]
    fn random_walk_steps_have_the_drift_and_noise_asked_for() {
        let s = generate(&Synthetic {
            length: 100_000,
            noise: 0.5,
            drift: 0.2,
            seed: 1,
            series: None,
            ..series(SyntheticKind::RandomWalk)
        });
        let steps: Vec<f64> = s.windows(2).map(|w| w[1] - w[0]).collect();
        let n = steps.len() as f64;
        let mean = steps.iter().sum::<f64>() / n;
        let sd = (steps.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        assert!((mean - 0.2).abs() < 0.01, "drift {mean}");
        assert!((sd - 0.5).abs() < 0.01, "step sd {sd}");
    }

    #[test]
    fn sine_without_noise_has_its_period() {
        let s = generate(&Synthetic {
            period: 50.0,
            ..series(SyntheticKind::Sine)
        });
        for t in 0..450 {
            assert!((s[t] - s[t + 50]).abs() < 1e-9);
        }
        assert!((s[12] - (std::f64::consts::TAU * 12.0 / 50.0).sin()).abs() < 1e-12);
    }

    #[test]
    fn same_seed_same_series_other_seed_other_series() {
        let ar2 = |seed| {
            generate(&Synthetic {
                kind: SyntheticKind::Ar2,
                length: 100,
                noise: 1.0,
                period: 1.0,
                phi: [0.5, 0.1],
                drift: 0.0,
                seed,
                series: None,
            })
        };
        let (a, b, c) = (ar2(7), ar2(7), ar2(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
