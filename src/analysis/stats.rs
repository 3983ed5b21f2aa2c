//! t-intervals for the paired differences, a median, and two tests of one method against
//! another: Diebold–Mariano on per-example losses and the exact McNemar test on right/wrong
//! outcomes. The distributions (Student's t, binomial) come from `statrs`.

use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, StudentsT};

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

/// The result of [`diebold_mariano`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DieboldMariano {
    /// Length of the loss-differential series.
    pub n: usize,
    /// Mean loss differential `d̄`; positive when the first method has the larger loss.
    pub mean_d: f64,
    /// The statistic after the Harvey–Leybourne–Newbold correction, `DM · √((n − 1)/n)`.
    pub statistic: f64,
    /// Two-sided p-value of `statistic` against Student's t with `n − 1` degrees of freedom.
    pub p_value: f64,
}

/// The Diebold–Mariano test of equal predictive accuracy for one-step-ahead forecasts, with the
/// small-sample correction of Harvey, Leybourne and Newbold (1997).
///
/// `d` is the loss differential `d_t = L(e1_t) − L(e2_t)`, one entry per forecast (here the
/// difference of squared errors). With a horizon of one the long-run variance of `d` is just its
/// lag-0 autocovariance `γ0 = (1/n) Σ (d_t − d̄)²`, so `DM = d̄ / √(γ0 / n)`. The corrected
/// statistic multiplies this by `√((n + 1 − 2h + h(h − 1)/n) / n)`, which for `h = 1` is
/// `√((n − 1)/n)`, and is read against Student's t with `n − 1` degrees of freedom rather than
/// the normal. (For `h = 1` this is the same number as a one-sample t statistic of `d` against
/// zero.)
///
/// Returns `None` when there are fewer than two values, when any value is NaN or infinite, or
/// when all the differences are equal: then `γ0 = 0`, the statistic would divide by zero, and
/// the test has no answer to give (no spread means no way to judge whether `d̄` is noise).
pub fn diebold_mariano(d: &[f64]) -> Option<DieboldMariano> {
    let n = d.len();
    if n < 2 || d.iter().any(|v| !v.is_finite()) {
        return None;
    }
    // Checked exactly, before the mean: a rounded mean of equal values can differ from them in
    // the last place and leave a spurious, tiny γ0.
    if d.iter().all(|&v| v == d[0]) {
        return None;
    }
    let nf = n as f64;
    let mean_d = d.iter().sum::<f64>() / nf;
    let gamma0 = d.iter().map(|v| (v - mean_d).powi(2)).sum::<f64>() / nf;
    // Overflow on huge values, or an underflow to zero on tiny ones.
    if !(mean_d.is_finite() && gamma0.is_finite()) || gamma0 <= 0.0 {
        return None;
    }
    let dm = mean_d / (gamma0 / nf).sqrt();
    let h = 1.0;
    let correction = ((nf + 1.0 - 2.0 * h + h * (h - 1.0) / nf) / nf).sqrt();
    let statistic = dm * correction;
    let t = StudentsT::new(0.0, 1.0, nf - 1.0)
        .unwrap_or_else(|e| panic!("Student-t with {} degrees of freedom: {e}", n - 1));
    // Twice the lower tail at −|t|, which keeps its precision for very small p-values.
    let p_value = (2.0 * t.cdf(-statistic.abs())).min(1.0);
    Some(DieboldMariano {
        n,
        mean_d,
        statistic,
        p_value,
    })
}

/// The exact two-sided McNemar p-value from the discordant pair counts.
///
/// `b` counts the examples only the first method got right, `c` those only the second got right;
/// the examples both got right or both got wrong carry no information about which is better.
/// Under the null each discordant pair falls either way with probability ½, so the p-value is
/// `min(1, 2 · P(X ≤ min(b, c)))` with `X ~ Binomial(b + c, ½)`, and 1 when there are no
/// discordant pairs (or when `b` and `c` differ by at most one). The binomial tail comes from
/// `statrs` through the regularized incomplete beta function rather than a sum of factorials, so
/// large counts neither overflow nor lose the tail: against scipy the relative error is about
/// 1e-13 for a few hundred pairs and about 5e-11 for forty thousand.
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    // By the symmetry of Binomial(n, ½), P(X ≤ min(b, c)) is at least ½ exactly when b and c
    // differ by at most one (it is ½ on the nose for b + c odd), so p is 1 there. Returning it
    // directly keeps the beta function's last-place error from giving 0.9999999999993.
    if b.abs_diff(c) <= 1 {
        return 1.0;
    }
    let n = b + c;
    let binomial = Binomial::new(0.5, n)
        .unwrap_or_else(|e| panic!("binomial with {n} trials and p = 0.5: {e}"));
    (2.0 * binomial.cdf(b.min(c))).min(1.0)
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

    fn close(got: f64, want: f64, what: &str) {
        // Relative to 1e-9, or absolute for p-values far below that scale.
        let tol = 1e-9 * want.abs().max(1e-12);
        assert!(
            (got - want).abs() <= tol,
            "{what}: got {got:e}, want {want:e} (difference {:e})",
            (got - want).abs()
        );
    }

    fn fixture(text: &str) -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(text).expect("fixture parses");
        v["cases"].as_array().expect("fixture has cases").clone()
    }

    const DM_FIXTURE: &str = include_str!("../../tests/fixtures/stats/diebold_mariano.json");
    const MCNEMAR_FIXTURE: &str = include_str!("../../tests/fixtures/stats/mcnemar.json");

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

    #[test]
    fn diebold_mariano_matches_python_fixtures() {
        let cases = fixture(DM_FIXTURE);
        assert!(cases.len() >= 12, "only {} cases", cases.len());
        for case in &cases {
            let name = case["name"].as_str().unwrap();
            let d: Vec<f64> = case["d"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let n = case["n"].as_u64().unwrap() as usize;
            assert_eq!(d.len(), n, "{name}");
            let got = diebold_mariano(&d).unwrap_or_else(|| panic!("{name}: no result"));
            assert_eq!(got.n, n, "{name}");
            let mean_d = case["mean_d"].as_f64().unwrap();
            assert!(
                (got.mean_d - mean_d).abs() <= 1e-9 * mean_d.abs().max(1e-9),
                "{name}: mean {} vs {mean_d}",
                got.mean_d
            );
            let statistic = case["statistic"].as_f64().unwrap();
            assert!(
                (got.statistic - statistic).abs() <= 1e-9 * statistic.abs().max(1e-9),
                "{name}: statistic {} vs {statistic}",
                got.statistic
            );
            close(got.p_value, case["p_value"].as_f64().unwrap(), name);
        }
    }

    #[test]
    fn diebold_mariano_is_not_the_uncorrected_or_one_sided_test() {
        // The fixtures also hold the uncorrected statistic and its normal p-value; the
        // differences are large enough that an implementation which skips the correction, uses
        // the normal, or reports one tail would fail `diebold_mariano_matches_python_fixtures`.
        // Check that claim on the short series, where it matters most.
        for case in fixture(DM_FIXTURE) {
            let n = case["n"].as_u64().unwrap();
            let statistic = case["statistic"].as_f64().unwrap();
            let uncorrected = case["dm_uncorrected"].as_f64().unwrap();
            let p = case["p_value"].as_f64().unwrap();
            let p_normal = case["p_value_uncorrected_normal"].as_f64().unwrap();
            if n <= 50 && statistic != 0.0 {
                assert!((statistic - uncorrected).abs() > 1e-6 * statistic.abs());
                assert!((p - p_normal).abs() > 1e-6 * p);
            }
        }
        // A hand-checkable case: d = (1, 2, 3), d̄ = 2, γ0 = 2/3, DM = 2/√(2/9) = 3√2, and the
        // correction √(2/3) gives 2√3. Two-sided t on 2 df: p = 1 − |t|/√(2 + t²) = 1 − √(6/7).
        let r = diebold_mariano(&[1.0, 2.0, 3.0]).unwrap();
        assert!((r.mean_d - 2.0).abs() < 1e-15);
        assert!((r.statistic - 2.0 * 3f64.sqrt()).abs() < 1e-12);
        let p_two_sided = 1.0 - (6.0f64 / 7.0).sqrt();
        close(r.p_value, p_two_sided, "d = 1, 2, 3");
        // The sign follows d̄ and the p-value does not.
        let neg = diebold_mariano(&[-1.0, -2.0, -3.0]).unwrap();
        assert_eq!(neg.statistic, -r.statistic);
        assert_eq!(neg.p_value, r.p_value);
    }

    #[test]
    fn diebold_mariano_undefined_cases() {
        assert_eq!(diebold_mariano(&[]), None);
        assert_eq!(diebold_mariano(&[1.5]), None);
        // All differences equal: γ0 = 0.
        assert_eq!(diebold_mariano(&[0.0, 0.0, 0.0]), None);
        assert_eq!(diebold_mariano(&[0.1; 10]), None);
        assert_eq!(diebold_mariano(&[1.0, f64::NAN, 2.0]), None);
        assert_eq!(diebold_mariano(&[1.0, f64::INFINITY, 2.0]), None);
        // Two values are enough.
        let two = diebold_mariano(&[1.0, 3.0]).unwrap();
        assert_eq!(two.n, 2);
        // d̄ = 2, γ0 = 1, DM = 2√2, corrected 2; on 1 df (Cauchy) p = 1 − 2·atan(2)/π.
        assert!((two.statistic - 2.0).abs() < 1e-12);
        close(
            two.p_value,
            1.0 - 2.0 * 2f64.atan() / std::f64::consts::PI,
            "d = 1, 3",
        );
    }

    #[test]
    fn mcnemar_matches_statsmodels_fixtures() {
        let cases = fixture(MCNEMAR_FIXTURE);
        assert!(cases.len() >= 9);
        for case in &cases {
            let b = case["b"].as_u64().unwrap();
            let c = case["c"].as_u64().unwrap();
            let want = case["p_value"].as_f64().unwrap();
            close(mcnemar_exact(b, c), want, &format!("b={b}, c={c}"));
        }
    }

    #[test]
    fn mcnemar_edge_cases_and_symmetry() {
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        // Small counts by hand: 2 · 2⁻⁵ and 2 · (1 + 10) · 2⁻¹⁰.
        close(mcnemar_exact(0, 5), 0.0625, "b=0, c=5");
        close(mcnemar_exact(1, 9), 22.0 / 1024.0, "b=1, c=9");
        for (b, c) in [(0, 1), (3, 3), (4, 5), (7, 19), (250, 199), (9000, 9100)] {
            let p = mcnemar_exact(b, c);
            assert_eq!(p, mcnemar_exact(c, b), "b={b}, c={c}");
            assert!(p > 0.0 && p <= 1.0, "b={b}, c={c}: {p}");
        }
        // Balanced counts give p = 1, not the 2 · P(X ≤ n/2) > 1 it would be unclamped.
        assert_eq!(mcnemar_exact(3, 3), 1.0);
        assert_eq!(mcnemar_exact(500, 501), 1.0);
        assert_eq!(mcnemar_exact(20_001, 20_000), 1.0);
        assert!(mcnemar_exact(500, 502) < 1.0);
        assert!(mcnemar_exact(20_000, 20_002) < 1.0);
        // Lopsided counts give tiny but positive p-values rather than zero.
        close(
            mcnemar_exact(0, 1000),
            2.0 * 0.5f64.powi(1000),
            "b=0, c=1000",
        );
    }
}
