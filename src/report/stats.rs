//! Student-t quantiles and t-intervals, computed here so the crate needs no statistics library.

/// `ln Γ(x)` for `x > 0`, Lanczos approximation (g = 7, 9 terms); about 15 significant digits,
/// which is far more than a confidence interval printed to 6 digits needs.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in the range where it is accurate.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEF[0];
    for (i, c) in COEF.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// Continued fraction for the incomplete beta function (modified Lentz); converges fast for
/// `x < (a + 1) / (a + b + 2)`, which the caller guarantees by symmetry.
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-16;
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function `I_x(a, b)`.
pub fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

/// `P(T ≤ t)` for Student's t with `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The `p` quantile of Student's t with `df` degrees of freedom. Bisection is slow but cannot
/// miss: the CDF is monotone, and 200 halvings reach the limit of f64 for any bracket used here.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0,
        "quantile probability must lie in (0, 1), got {p}"
    );
    assert!(df > 0.0, "degrees of freedom must be positive, got {df}");
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    let mut lo = 0.0;
    let mut hi = 1.0;
    while student_t_cdf(hi, df) < p {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
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
    fn cdf_is_symmetric_and_inverts_quantile() {
        for df in [1.0, 3.0, 7.5, 100.0] {
            assert!((student_t_cdf(0.0, df) - 0.5).abs() < 1e-15);
            for p in [0.01, 0.2, 0.9, 0.999] {
                let q = student_t_quantile(p, df);
                assert!((student_t_cdf(q, df) - p).abs() < 1e-12, "df={df} p={p}");
            }
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
}
