//! Naive2, the benchmark the M4 competition scores every method against: the naive forecast
//! on the series deseasonalised by a classical multiplicative decomposition, when an
//! autocorrelation test finds seasonality at the season's lag, and the plain naive forecast
//! otherwise.

/// How Naive2 forecasts one part of a series.
#[derive(Debug, Clone, PartialEq)]
pub enum Naive2 {
    /// The plain naive forecast (the previous value), and why it is not seasonal.
    Plain(Plain),
    /// Seasonal indices by position modulo the season, positions counted from the series'
    /// first value; they average to 1.
    Seasonal(Vec<f64>),
}

/// Why Naive2 is the plain naive forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plain {
    /// No `season` above 1 was given.
    NoSeason,
    /// The in-sample part holds fewer than three seasons, too few to test.
    TooShort,
    /// The test finds no seasonality at the season's lag.
    NotSeasonal,
    /// The in-sample part has a value at or below zero, which a multiplicative decomposition
    /// cannot divide by.
    NonPositive,
}

/// The autocorrelation of `values` at lag `k`, about their mean (M4's `acf`). 0 for a
/// constant series.
pub fn autocorrelation(values: &[f64], k: usize) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let spread: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    if spread == 0.0 || k >= n {
        return 0.0;
    }
    let cross: f64 = (k..n)
        .map(|t| (values[t] - mean) * (values[t - k] - mean))
        .sum();
    cross / spread
}

/// M4's 90 % seasonality test at lag `m`: `|r_m| > 1.645·sqrt((1 + 2·Σ_{k<m} r_k²) / n)`.
pub fn is_seasonal(values: &[f64], m: usize) -> bool {
    let n = values.len() as f64;
    let sum: f64 = (1..m).map(|k| autocorrelation(values, k).powi(2)).sum();
    let limit = 1.645 * ((1.0 + 2.0 * sum) / n).sqrt();
    autocorrelation(values, m).abs() > limit
}

/// The seasonal indices of a classical multiplicative decomposition with period `m`: the
/// values over a centred moving average (of order `m`, or 2×`m` for an even `m`), averaged by
/// position modulo `m`, then scaled to average 1. `None` if a position has no ratio.
pub fn seasonal_indices(values: &[f64], m: usize) -> Option<Vec<f64>> {
    let n = values.len();
    let h = m / 2;
    if m < 2 || n < 2 * h + 1 {
        return None;
    }
    let (mut sums, mut counts) = (vec![0.0; m], vec![0usize; m]);
    for t in h..n - h {
        let trend = if m.is_multiple_of(2) {
            let inner: f64 = values[t + 1 - h..t + h].iter().sum();
            (inner + 0.5 * (values[t - h] + values[t + h])) / m as f64
        } else {
            values[t - h..=t + h].iter().sum::<f64>() / m as f64
        };
        sums[t % m] += values[t] / trend;
        counts[t % m] += 1;
    }
    if counts.contains(&0) {
        return None;
    }
    let averages: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| s / c as f64)
        .collect();
    let mean = averages.iter().sum::<f64>() / m as f64;
    let indices: Vec<f64> = averages.iter().map(|a| a / mean).collect();
    indices
        .iter()
        .all(|i| i.is_finite() && *i > 0.0)
        .then_some(indices)
}

/// Naive2 for a series whose in-sample part is `values` (every raw value up to the last
/// target the figures may learn from), with `season` samples per season.
pub fn naive2(values: &[f64], season: Option<usize>) -> Naive2 {
    let Some(m) = season.filter(|&m| m > 1) else {
        return Naive2::Plain(Plain::NoSeason);
    };
    if values.len() < 3 * m {
        return Naive2::Plain(Plain::TooShort);
    }
    if values.iter().any(|v| *v <= 0.0) {
        return Naive2::Plain(Plain::NonPositive);
    }
    if !is_seasonal(values, m) {
        return Naive2::Plain(Plain::NotSeasonal);
    }
    match seasonal_indices(values, m) {
        Some(indices) => Naive2::Seasonal(indices),
        None => Naive2::Plain(Plain::NotSeasonal),
    }
}

impl Naive2 {
    /// The one-step forecast of the value at position `t` (≥ 1) of `series`: the previous
    /// value, deseasonalised by its own index and reseasonalised by the index of `t`.
    pub fn forecast(&self, series: &[f64], t: usize) -> f64 {
        let last = series[t - 1];
        match self {
            Naive2::Plain(_) => last,
            Naive2::Seasonal(s) => last / s[(t - 1) % s.len()] * s[t % s.len()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autocorrelation_matches_a_hand_computation() {
        // Mean 2.5, deviations −1.5, −0.5, 0.5, 1.5: Σd² = 5; lag 1: 0.75 − 0.25 + 0.75 = 1.25.
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((autocorrelation(&v, 1) - 0.25).abs() < 1e-12);
        // Lag 2: (0.5)(−1.5) + (1.5)(−0.5) = −1.5.
        assert!((autocorrelation(&v, 2) + 0.3).abs() < 1e-12);
        assert_eq!(autocorrelation(&[3.0; 5], 1), 0.0);
    }

    #[test]
    fn odd_and_even_seasons_decompose_by_hand() {
        // Period 3 around a flat level of 10: the moving average is 10 everywhere it is
        // defined, so the indices are the pattern itself.
        let pattern = [0.8, 1.0, 1.2];
        let v: Vec<f64> = (0..12).map(|t| 10.0 * pattern[t % 3]).collect();
        let s = seasonal_indices(&v, 3).unwrap();
        for (a, b) in s.iter().zip(pattern) {
            assert!((a - b).abs() < 1e-12, "{s:?}");
        }
        // Period 2 on 1, 3, 1, 3, …: the 2×2 average is (0.5·1 + 3 + 0.5·1)/2 = 2 at a 3 and
        // (0.5·3 + 1 + 0.5·3)/2 = 2 at a 1: ratios 0.5 and 1.5.
        let v: Vec<f64> = (0..8).map(|t| if t % 2 == 0 { 1.0 } else { 3.0 }).collect();
        let s = seasonal_indices(&v, 2).unwrap();
        assert!(
            (s[0] - 0.5).abs() < 1e-12 && (s[1] - 1.5).abs() < 1e-12,
            "{s:?}"
        );
    }

    #[test]
    fn the_test_finds_a_strong_season_and_not_a_trend() {
        let seasonal: Vec<f64> = (0..48)
            .map(|t| 100.0 + 20.0 * (t as f64 * std::f64::consts::TAU / 12.0).sin())
            .collect();
        assert!(is_seasonal(&seasonal, 12));
        assert!(matches!(naive2(&seasonal, Some(12)), Naive2::Seasonal(_)));
        let trend: Vec<f64> = (0..48).map(|t| 100.0 + t as f64).collect();
        assert_eq!(naive2(&trend, Some(12)), Naive2::Plain(Plain::NotSeasonal));
        assert_eq!(
            naive2(&seasonal[..35], Some(12)),
            Naive2::Plain(Plain::TooShort)
        );
        assert_eq!(naive2(&seasonal, None), Naive2::Plain(Plain::NoSeason));
        let mut negative = seasonal.clone();
        negative[3] = -1.0;
        assert_eq!(
            naive2(&negative, Some(12)),
            Naive2::Plain(Plain::NonPositive)
        );
    }

    #[test]
    fn a_seasonal_forecast_moves_the_last_value_between_indices() {
        let n2 = Naive2::Seasonal(vec![0.5, 1.5]);
        // Position 3 follows position 2 (index 0.5): 4 / 0.5 · 1.5 = 12.
        assert_eq!(n2.forecast(&[1.0, 2.0, 4.0, 9.0], 3), 12.0);
        assert_eq!(Naive2::Plain(Plain::NoSeason).forecast(&[1.0, 2.0], 1), 1.0);
    }
}
