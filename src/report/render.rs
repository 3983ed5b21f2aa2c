//! How numbers print, the same in every view (summary.md, terminal, HTML, plots). Pure
//! functions of their input; this module reads no summary and writes no file.

pub use crate::grid::fmt_setting_float;

/// `-0.0` prints as `-0`; nobody means that.
fn no_negative_zero(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x }
}

/// Six significant digits, `%g` style: MSEs span many orders of magnitude across series, so a
/// fixed number of decimals would print some as 0.000000. Trailing zeros are kept so that a
/// column's digits line up.
pub fn fmt_mse(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let x = no_negative_zero(x);
    if x == 0.0 {
        return "0".into();
    }
    // The exponent after rounding to 6 digits (9.999996 becomes 1.00000e1).
    let sci = format!("{x:.5e}");
    let exp: i32 = sci
        .split('e')
        .nth(1)
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    if (-4..6).contains(&exp) {
        let decimals = (5 - exp) as usize;
        let fixed = format!("{x:.decimals$}");
        // Rounding in fixed notation can disagree with the exponent by one digit only at the
        // boundary; the scientific form is always right, so fall back to it then.
        let digits = fixed
            .chars()
            .filter(|c| c.is_ascii_digit())
            .skip_while(|c| *c == '0')
            .count();
        if digits == 6 { fixed } else { sci }
    } else {
        sci
    }
}

/// Four decimals: accuracies are fractions in [0, 1].
pub fn fmt_acc(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    format!("{:.4}", no_negative_zero(x))
}

/// A difference with an explicit sign, so that "worse" and "better" read at a glance.
pub fn signed(s: String) -> String {
    if s.starts_with('-') || s == "0" || s.chars().all(|c| c == '0' || c == '.') {
        s
    } else {
        format!("+{s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mse_has_six_significant_digits() {
        assert_eq!(fmt_mse(1.0), "1.00000");
        assert_eq!(fmt_mse(0.0123456789), "0.0123457");
        assert_eq!(fmt_mse(123456.7), "123457");
        assert_eq!(fmt_mse(1234567.0), "1.23457e6");
        assert_eq!(fmt_mse(12345.67), "12345.7");
        assert_eq!(fmt_mse(9.9999996), "10.0000");
        assert_eq!(fmt_mse(0.000012345678), "1.23457e-5");
        assert_eq!(fmt_mse(-0.5), "-0.500000");
        assert_eq!(fmt_mse(0.0), "0");
        assert_eq!(fmt_mse(-0.0), "0");
    }

    #[test]
    fn accuracy_and_settings() {
        assert_eq!(fmt_acc(0.56789), "0.5679");
        assert_eq!(fmt_acc(-0.0), "0.0000");
        assert_eq!(signed(fmt_acc(0.01)), "+0.0100");
        assert_eq!(signed(fmt_acc(-0.01)), "-0.0100");
        assert_eq!(signed(fmt_acc(0.0)), "0.0000");
        assert_eq!(fmt_setting_float(0.01), "0.01");
        assert_eq!(fmt_setting_float(1e-3), "0.001");
        assert_eq!(fmt_setting_float(1e-7), "1e-7");
        assert_eq!(fmt_setting_float(0.0), "0");
    }
}
