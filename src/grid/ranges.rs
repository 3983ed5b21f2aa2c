//! Distributions in `[grid]`: a setting given as `{ log_uniform = [1e-5, 1e-1] }` rather
//! than a list is drawn from that range by a search.

use crate::search::Dim;

use super::settings::SettingValue;

/// The kinds of distribution a `[grid]` setting may carry, by their grid-file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistKind {
    Uniform,
    LogUniform,
    IntUniform,
    IntLogUniform,
}

impl DistKind {
    pub const ALL: [DistKind; 4] = [
        DistKind::Uniform,
        DistKind::LogUniform,
        DistKind::IntUniform,
        DistKind::IntLogUniform,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DistKind::Uniform => "uniform",
            DistKind::LogUniform => "log_uniform",
            DistKind::IntUniform => "int_uniform",
            DistKind::IntLogUniform => "int_log_uniform",
        }
    }

    pub fn parse(name: &str) -> Option<DistKind> {
        DistKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn log(self) -> bool {
        matches!(self, DistKind::LogUniform | DistKind::IntLogUniform)
    }

    pub fn int(self) -> bool {
        matches!(self, DistKind::IntUniform | DistKind::IntLogUniform)
    }
}

/// A setting drawn from a range.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub name: &'static str,
    pub kind: DistKind,
    pub low: f64,
    pub high: f64,
}

/// Significant digits a drawn float keeps: a learning rate of 0.002346 rather than
/// 0.0023456789012345, so tables and ids stay readable. The grid of such values is far finer
/// than any difference training can tell apart.
pub const FLOAT_DIGITS: i32 = 4;

impl Range {
    pub fn dim(&self) -> Dim {
        Dim::Range {
            low: self.low,
            high: self.high,
            log: self.kind.log(),
            int: self.kind.int(),
        }
    }

    /// The setting's value at a coordinate of [`Range::dim`]: a whole number, or a float
    /// rounded to [`FLOAT_DIGITS`] significant digits (kept inside the range).
    pub fn value(&self, x: f64) -> SettingValue {
        if self.kind.int() {
            SettingValue::Int(x.round().clamp(self.low, self.high) as u64)
        } else {
            SettingValue::Float(round_significant(x, FLOAT_DIGITS).clamp(self.low, self.high))
        }
    }

    /// The coordinate of a value (the inverse of [`Range::value`] up to rounding).
    pub fn coordinate(&self, value: &SettingValue) -> f64 {
        value.as_f64().unwrap_or(self.low)
    }

    /// As a grid file writes it: `{ log_uniform = [1e-5, 0.1] }`.
    pub fn grid_text(&self) -> String {
        let end = |x: f64| {
            if self.kind.int() {
                format!("{}", x as u64)
            } else {
                format!("{x:?}")
            }
        };
        format!(
            "{{ {} = [{}, {}] }}",
            self.kind.name(),
            end(self.low),
            end(self.high)
        )
    }
}

/// `x` rounded to `digits` significant decimal digits, through its decimal text so that the
/// result is the float nearest that decimal (and prints as it).
pub fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{:.*e}", (digits - 1).max(0) as usize, x)
        .parse()
        .unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_keep_four_significant_digits_and_stay_in_range() {
        assert_eq!(round_significant(0.0023456789, 4), 0.002346);
        assert_eq!(round_significant(1.99996, 4), 2.0);
        let range = |name, kind, low, high| Range {
            name,
            kind,
            low,
            high,
        };
        let r = range("lambda", DistKind::Uniform, 0.0, 2.0);
        assert_eq!(r.value(1.99996), SettingValue::Float(2.0));
        assert_eq!(r.value(1.23449), SettingValue::Float(1.234));
        let n = range("n_dense", DistKind::IntLogUniform, 4.0, 256.0);
        assert_eq!(n.value(31.6), SettingValue::Int(32));
        assert_eq!(n.grid_text(), "{ int_log_uniform = [4, 256] }");
    }
}
