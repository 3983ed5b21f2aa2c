//! t-intervals for the paired differences, and a median. The Student-t quantile comes from
//! `statrs`.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The `p` quantile of Student's t with `df` degrees of freedom.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0,
        "quantile probability must lie in (0, 1), got {p}"
    );
    let t = StudentsT::new(0.0, 1.0, df)
        .unwrap_or_else(|e| panic!("Student-t with {df} degrees of freedom: {e}"));
    t.inverse_cdf(p)
}

/// The two-sided 95 % critical value `t_{0.975, df}`.
pub fn t_975(df: usize) -> f64 {
    student_t_quantile(0.975, df as f64)
}

/// A mean over seeds and, when there are at least two, its 95 % t-interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub mean: f64,
    /// Sample standard deviation (ddof 1); `None` for a single observation.
    pub sd: Option<f64>,
    /// `t_{0.975, n−1} · sd / √n`; `None` for a single observation.
    pub half_width: Option<f64>,
}

impl Interval {
    /// From the summary statistics that polars computed, so the interval never needs the raw
    /// differences again.
    pub fn from_stats(mean: f64, sd: Option<f64>, n: usize) -> Interval {
        let sd = if n >= 2 { sd } else { None };
        let half_width = sd.map(|sd| t_975(n - 1) * sd / (n as f64).sqrt());
        Interval {
            mean,
            sd,
            half_width,
        }
    }

    pub fn low(&self) -> Option<f64> {
        self.half_width.map(|h| self.mean - h)
    }

    pub fn high(&self) -> Option<f64> {
        self.half_width.map(|h| self.mean + h)
    }
}

/// The median of the finite values, or `None` when there are none.
///
/// NaN and infinite entries are skipped rather than sorted in; for an even count the result is
/// the mean of the two middle values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    finite.sort_by(f64::total_cmp);
    let mid = finite.len() / 2;
    if finite.len() % 2 == 1 {
        Some(finite[mid])
    } else {
        // Halve before adding so two values near `f64::MAX` do not overflow.
        Some(finite[mid - 1] / 2.0 + finite[mid] / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Published three-decimal values.
        for (df, want) in [
            (1, 12.706),
            (2, 4.303),
            (4, 2.776),
            (10, 2.228),
            (30, 2.042),
        ] {
            let got = t_975(df);
            assert!((got - want).abs() < 5e-4, "df={df}: {got} vs {want}");
        }
        // More digits, to catch an approximation that is merely close.
        for (df, want) in [
            (1, 12.706_204_736_174_7),
            (2, 4.302_652_729_749_464),
            (4, 2.776_445_105_197_793),
            (10, 2.228_138_851_986_274),
            (30, 2.042_272_456_301_238),
        ] {
            let got = t_975(df);
            assert!((got - want).abs() < 1e-9, "df={df}: {got} vs {want}");
        }
    }

    #[test]
    fn quantiles_are_symmetric() {
        for df in [1.0, 3.0, 7.5, 100.0] {
            assert!((student_t_quantile(0.1, df) + student_t_quantile(0.9, df)).abs() < 1e-9);
        }
    }

    #[test]
    fn cauchy_closed_form() {
        // df = 1 is the Cauchy distribution: q(p) = tan(π (p − ½)).
        for p in [0.6, 0.75, 0.975, 0.995] {
            let want = (std::f64::consts::PI * (p - 0.5)).tan();
            let got = student_t_quantile(p, 1.0);
            assert!(
                (got - want).abs() < 1e-9 * want.abs().max(1.0),
                "p={p}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn interval_needs_two_observations() {
        let one = Interval::from_stats(0.5, Some(1.0), 1);
        assert_eq!(one.half_width, None);
        assert_eq!(one.low(), None);
        let three = Interval::from_stats(1.0, Some(0.5), 3);
        let h = 4.302_652_729_749_464 * 0.5 / 3f64.sqrt();
        assert!((three.high().unwrap() - (1.0 + h)).abs() < 1e-12);
        assert!((three.low().unwrap() - (1.0 - h)).abs() < 1e-12);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[-1.0, -1.0, 5.0, 5.0]), Some(2.0));
        assert_eq!(median(&[f64::MAX, f64::MAX]), Some(f64::MAX));
    }

    #[test]
    fn median_skips_nan_and_empty_is_none() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, f64::NAN]), None);
        assert_eq!(median(&[f64::NAN, 1.0, 10.0, f64::NAN, 4.0]), Some(4.0));
        assert_eq!(median(&[2.0, f64::NAN, 1.0]), Some(1.5));
        assert_eq!(median(&[f64::INFINITY, 1.0, f64::NEG_INFINITY]), Some(1.0));
    }
}
