//! Windows, time-ordered splits and scaling. Sample `t` (for `t = w..n`) has input
//! `s[t-w..t]` (followed by the same window of each feature), target `s[t]` and
//! `y_last = s[t-1]`. The split keeps time order: train, then validation, then test.
//!
//! Windows are not copied out: a split is a range of positions over the scaled columns,
//! and a sample's input is read when a batch is built. A window of 16 would otherwise
//! store every value 16 times (64 bytes per sample in f32).

use std::ops::Range;
use std::sync::Arc;

use crate::config::{Scale, SplitSpec};
use crate::data::Series;
use crate::data::naive2::{Naive2, naive2};
use crate::error::{Result, bad_input};

/// An affine map between series units and model units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scaler {
    pub mean: f64,
    pub std: f64,
}

impl Scaler {
    pub const IDENTITY: Scaler = Scaler {
        mean: 0.0,
        std: 1.0,
    };

    pub fn scale(&self, v: f64) -> f64 {
        (v - self.mean) / self.std
    }
    pub fn unscale(&self, v: f64) -> f64 {
        v * self.std + self.mean
    }
}

/// The series as the model sees it (scaled, target first, then each feature) and the
/// target in its own units, shared by a dataset's splits.
#[derive(Debug)]
struct Columns {
    scaled: Vec<Vec<f32>>,
    raw: Arc<[f64]>,
}

/// One part of the samples, in time order: inputs and targets in model units (f32,
/// scaled) for training, and in series units (f64) for metrics.
#[derive(Debug, Clone)]
pub struct Split {
    cols: Arc<Columns>,
    window: usize,
    /// Series position of the first sample's target.
    first: usize,
    len: usize,
}

impl Split {
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Width of one input row: the window of the target, then of each feature.
    pub fn n_inputs(&self) -> usize {
        self.window * self.cols.scaled.len()
    }
    /// Appends sample `i`'s input row to `out`.
    pub fn input_into(&self, i: usize, out: &mut Vec<f32>) {
        let t = self.first + i;
        for col in &self.cols.scaled {
            out.extend_from_slice(&col[t - self.window..t]);
        }
    }
    /// The input rows of `range`, row-major.
    pub fn inputs(&self, range: Range<usize>) -> Vec<f32> {
        let mut out = Vec::with_capacity(range.len() * self.n_inputs());
        for i in range {
            self.input_into(i, &mut out);
        }
        out
    }
    /// Target of sample `i`, in model units.
    pub fn y(&self, i: usize) -> f32 {
        self.cols.scaled[0][self.first + i]
    }
    /// The target's previous value, in model units.
    pub fn y_last(&self, i: usize) -> f32 {
        self.cols.scaled[0][self.first + i - 1]
    }
    /// Target of sample `i`, in series units.
    pub fn y_raw(&self, i: usize) -> f64 {
        self.cols.raw[self.first + i]
    }
    /// The target's previous value, in series units.
    pub fn y_last_raw(&self, i: usize) -> f64 {
        self.cols.raw[self.first + i - 1]
    }
    /// The series value `lag` steps before sample `i`'s target, in series units; `None`
    /// before the series starts.
    pub fn y_lag_raw(&self, i: usize, lag: usize) -> Option<f64> {
        (self.first + i).checked_sub(lag).map(|t| self.cols.raw[t])
    }
    /// Sample `i`'s target position in the series (0 is the series' first value).
    pub fn position(&self, i: usize) -> usize {
        self.first + i
    }
    /// The whole series, in series units.
    pub fn raw(&self) -> &[f64] {
        &self.cols.raw
    }
}

/// The samples of one series for one window, shared by every trial with that window.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub window: usize,
    /// Model input width: `window × (1 + number of features)`.
    pub n_inputs: usize,
    /// Maps the target between series and model units.
    pub target_scaler: Scaler,
    pub train: Split,
    pub val: Split,
    pub test: Split,
    /// Samples per season, for the `seasonal_naive` baseline (`[data] season`).
    pub season: Option<usize>,
    /// MASE's denominator for validation figures: the in-sample MAE of the seasonal naive
    /// forecast (lag `season`, else 1) over every raw value up to the last training target.
    /// `None` when that part is too short for the lag or does not move at all.
    pub val_scale: Option<f64>,
    /// The same for test figures, over every raw value up to the last validation target.
    pub test_scale: Option<f64>,
    /// The Naive2 baseline fitted on the same in-sample part as `val_scale` (it forecasts the
    /// training and validation samples), and on that of `test_scale` (the test samples).
    pub val_naive2: Naive2,
    pub test_naive2: Naive2,
}

/// The in-sample MAE of the naive forecast at `lag` over `values` (each value against the one
/// `lag` steps before it): MASE's denominator. `None` when no value has one `lag` steps
/// before it, or the errors are all zero (or not finite), where MASE is undefined.
pub fn naive_scale(values: &[f64], lag: usize) -> Option<f64> {
    let lag = lag.max(1);
    if values.len() <= lag {
        return None;
    }
    let n = values.len() - lag;
    let sum: f64 = (lag..values.len())
        .map(|t| (values[t] - values[t - lag]).abs())
        .sum();
    let scale = sum / n as f64;
    (scale > 0.0 && scale.is_finite()).then_some(scale)
}

/// The most evaluation samples the significance tests use: the last ones of the split. Every
/// trial keeps its forecast of each, so this bounds what a trial adds to the journal (about
/// 100 kB) however long the series; the tests have ample power long before it.
pub const MAX_EVALUATION_SAMPLES: usize = 5000;

impl Dataset {
    /// The samples of [`Dataset::evaluation_split`] the significance tests use: its last
    /// [`MAX_EVALUATION_SAMPLES`] at most.
    pub fn evaluation_range(&self) -> Range<usize> {
        let n = self.evaluation_split().len();
        n.saturating_sub(MAX_EVALUATION_SAMPLES)..n
    }

    /// The split the significance tests use: test when it has samples, else validation.
    pub fn evaluation_split(&self) -> &Split {
        if self.test.is_empty() {
            &self.val
        } else {
            &self.test
        }
    }

    /// The name of [`Dataset::evaluation_split`].
    pub fn evaluation_split_name(&self) -> &'static str {
        if self.test.is_empty() {
            "validation"
        } else {
            "test"
        }
    }
}

/// `(train, val, test)` sample counts for `n_samples`: validation and test come off the
/// end, and the training count is rounded down as Keras's `validation_split` does.
pub fn split_sizes(
    n_samples: usize,
    val_fraction: f64,
    test_fraction: f64,
) -> (usize, usize, usize) {
    let n = n_samples as f64;
    let n_train = (n * (1.0 - val_fraction - test_fraction)).floor() as usize;
    let n_before_test = ((n * (1.0 - test_fraction)).floor() as usize).max(n_train);
    (n_train, n_before_test - n_train, n_samples - n_before_test)
}

/// The sample ranges of fold `fold` (0-based) of `n_samples`: training, validation and
/// test. The validation part of [`split_sizes`] is cut into `split.folds` blocks in time
/// order; fold k validates on block k and trains on every sample before it but the last
/// `split.gap`. The test part follows the last block, the same for every fold. With one
/// fold and no gap these are [`split_sizes`]'s parts.
pub fn fold_ranges(
    n_samples: usize,
    split: &SplitSpec,
    fold: usize,
) -> (Range<usize>, Range<usize>, Range<usize>) {
    let (n_train, n_val, n_test) = split_sizes(n_samples, split.val_fraction, split.test_fraction);
    let k = split.folds.max(1);
    let start = n_train + fold * n_val / k;
    let end = n_train + (fold + 1) * n_val / k;
    let test = n_train + n_val..n_train + n_val + n_test;
    (0..start.saturating_sub(split.gap), start..end, test)
}

impl Dataset {
    /// Windows, splits and scales `series` for its only fold (or the first). Errors (exit
    /// status 2) when the series is too short for the window and the splits, or is
    /// constant where z-scoring needs a spread.
    pub fn build(series: &Series, window: usize, split: &SplitSpec) -> Result<Dataset> {
        Dataset::build_fold(series, window, split, 0)
    }

    /// One dataset per fold ([`fold_ranges`]), each scaled from its own training part.
    pub fn build_folds(series: &Series, window: usize, split: &SplitSpec) -> Result<Vec<Dataset>> {
        (0..split.folds.max(1))
            .map(|fold| Dataset::build_fold(series, window, split, fold))
            .collect()
    }

    /// Fold `fold` of [`Dataset::build_folds`].
    pub fn build_fold(
        series: &Series,
        window: usize,
        split: &SplitSpec,
        fold: usize,
    ) -> Result<Dataset> {
        let n = series.values.len();
        if n <= window || !enough_samples(n - window, split) {
            let needed = needed_rows(n, window, split);
            let folds = if split.folds > 1 || split.gap > 0 {
                format!(", folds = {} and gap = {}", split.folds, split.gap)
            } else {
                String::new()
            };
            return Err(bad_input(format!(
                "{}: {} rows are too few for window = {window} with val_fraction = {} and \
                 test_fraction = {}{folds}: at least {needed} rows are needed",
                series.origin, n, split.val_fraction, split.test_fraction
            )));
        }
        let (train, val, test) = fold_ranges(n - window, split, fold);
        // Statistics come from the part of the series the fold's training samples see.
        let train_rows = train.end + window;
        let scaler_for = |name: &str, values: &[f64]| -> Result<Scaler> {
            let scaler = match split.scale {
                Scale::None => Scaler::IDENTITY,
                Scale::Zscore => {
                    check_range(&series.origin, name, values, train_rows)?;
                    let part = &values[..train_rows];
                    let mean = part.iter().sum::<f64>() / part.len() as f64;
                    let var =
                        part.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / part.len() as f64;
                    let std = var.sqrt();
                    if !(std > 0.0 && std.is_finite()) {
                        return Err(bad_input(format!(
                            "{}: column {name:?} is constant over the training part (first {train_rows} rows), \
                             so scale = \"zscore\" cannot divide by its spread; use scale = \"none\" or another column",
                            series.origin
                        )));
                    }
                    Scaler { mean, std }
                }
            };
            check_scaled(&series.origin, name, values, &scaler, split.scale)?;
            Ok(scaler)
        };
        let target_scaler = scaler_for(&series.name, &series.values)?;
        let mut columns: Vec<Vec<f32>> = vec![
            series
                .values
                .iter()
                .map(|&v| target_scaler.scale(v) as f32)
                .collect(),
        ];
        for (name, values) in &series.features {
            let s = scaler_for(name, values)?;
            columns.push(values.iter().map(|&v| s.scale(v) as f32).collect());
        }
        let n_inputs = window * columns.len();
        let cols = Arc::new(Columns {
            scaled: columns,
            raw: series.values.clone(),
        });
        let make = |range: Range<usize>| Split {
            cols: cols.clone(),
            window,
            first: range.start + window,
            len: range.len(),
        };
        // MASE's in-sample parts: every raw value up to the fold's last training target, and
        // up to its last validation target.
        let lag = split.season.unwrap_or(1);
        let (val_part, test_part) = (
            &series.values[..train.end + window],
            &series.values[..val.end + window],
        );
        let val_scale = naive_scale(val_part, lag);
        let test_scale = naive_scale(test_part, lag);
        let val_naive2 = naive2(val_part, split.season);
        let test_naive2 = naive2(test_part, split.season);
        Ok(Dataset {
            window,
            n_inputs,
            target_scaler,
            train: make(train),
            val: make(val),
            test: make(test),
            season: split.season,
            val_scale,
            test_scale,
            val_naive2,
            test_naive2,
        })
    }
}

/// The largest magnitude a z-scored column may have, and the smallest spread of its
/// training part. Errors are measured in series units (val_mse, test_mse), and the squares
/// of values beyond 1e100 or below 1e-100, summed over every sample, leave the range f64
/// holds (1.8e308 down to 2.2e-308), so such a column is refused rather than reported as
/// infinite or zero error.
pub const MAX_MAGNITUDE: f64 = 1e100;
pub const MIN_SPREAD: f64 = 1e-100;

/// The largest magnitude of a value the model sees (after scaling). The model trains in
/// f32, whose squares overflow above 1.8e19 (f32 holds up to 3.4e38).
pub const MAX_MODEL_VALUE: f64 = 1e18;

/// Refuses a column z-scoring cannot handle in f64: too large for its squared errors, or
/// varying by so little over the training part that squared errors underflow.
fn check_range(origin: &str, name: &str, values: &[f64], train_rows: usize) -> Result<()> {
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest > MAX_MAGNITUDE {
        return Err(bad_input(format!(
            "{origin}: column {name:?} has values as large as {}, beyond the {MAX_MAGNITUDE:e} trendsweep \
             accepts: errors are squared in the column's units (val_mse, test_mse), and squares of such values \
             overflow f64 (max 1.8e308); divide the column by a power of ten",
            short(largest)
        )));
    }
    let part = &values[..train_rows];
    let (lo, hi) = part
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let spread = hi - lo;
    if spread > 0.0 && spread < MIN_SPREAD {
        return Err(bad_input(format!(
            "{origin}: column {name:?} varies by only {} over the training part (first {train_rows} rows), \
             below the {MIN_SPREAD:e} trendsweep accepts: errors are squared in the column's units (val_mse, test_mse), \
             and squares that small underflow f64 (min 2.2e-308); multiply the column by a power of ten",
            short(spread)
        )));
    }
    Ok(())
}

/// Refuses a column whose values, as the model sees them, do not fit f32 training.
fn check_scaled(
    origin: &str,
    name: &str,
    values: &[f64],
    scaler: &Scaler,
    scale: Scale,
) -> Result<()> {
    let (row, largest) = values
        .iter()
        .map(|&v| scaler.scale(v).abs())
        .enumerate()
        .fold(
            (0, 0.0f64),
            |(br, bm), (r, m)| if m > bm { (r, m) } else { (br, bm) },
        );
    if scale == Scale::None && largest > 0.0 && largest < 1.0 / MAX_MODEL_VALUE {
        return Err(bad_input(format!(
            "{origin}: column {name:?} has no value larger than {} in size; with scale = \"none\" the model \
             trains on the values as they are, in f32, where squares of values below {:e} underflow (f32's smallest \
             normal number is 1.2e-38); use scale = \"zscore\" or multiply the column by a power of ten",
            short(largest),
            1.0 / MAX_MODEL_VALUE
        )));
    }
    if largest <= MAX_MODEL_VALUE {
        return Ok(());
    }
    let why = match scale {
        Scale::None => format!(
            "with scale = \"none\" the model trains on the values as they are, in f32, where squares of values \
             above {MAX_MODEL_VALUE:e} overflow (f32 holds up to 3.4e38); use scale = \"zscore\" or divide the column \
             by a power of ten"
        ),
        Scale::Zscore => format!(
            "z-scored by the training part's mean {} and spread {}, that is {} spreads from the mean, \
             beyond the {MAX_MODEL_VALUE:e} f32 training can hold (its squares overflow f32's 3.4e38); the series \
             changes scale after the training part: choose rows where it does not",
            short(scaler.mean),
            short(scaler.std),
            short(largest)
        ),
    };
    Err(bad_input(format!(
        "{origin}: column {name:?} has a value of {} at position {} of the rows used; {why}",
        short(values[row]),
        row + 1
    )))
}

/// A number for a message, to three significant digits: 6e-200, 1.5e30, 2.35.
fn short(x: f64) -> String {
    let text = format!("{x:.2e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    if exponent == "0" {
        mantissa.to_string()
    } else {
        format!("{mantissa}e{exponent}")
    }
}

/// True when `samples` windows leave at least one training sample (and one validation
/// sample when a validation fraction is asked for).
/// Whether a series of `n` values is long enough for `window` and the splits and folds
/// (what [`Dataset::build_fold`] refuses otherwise), and if not, the fewest rows that are.
pub fn too_short(n: usize, window: usize, split: &SplitSpec) -> Option<usize> {
    (n <= window || !enough_samples(n - window, split)).then(|| needed_rows(n, window, split))
}

fn enough_samples(samples: usize, split: &SplitSpec) -> bool {
    let (tr, va, _) = split_sizes(samples, split.val_fraction, split.test_fraction);
    tr > split.gap && (split.val_fraction == 0.0 || va >= split.folds.max(1))
}

/// The fewest rows above `n` from which on every length works, for the message when `n`
/// rows do not. Rounding makes "enough" non-monotone when both fractions are set (with
/// val_fraction 0.01 and test_fraction 0.5, 4 samples leave one for validation and 5 leave
/// none), so the smallest working length is not the answer; past `1 / fraction` samples
/// every length works, so the search ends there.
fn needed_rows(n: usize, window: usize, split: &SplitSpec) -> usize {
    let per = |f: f64| {
        if f > 0.0 {
            (1.0 / f).ceil().min(1e9) as usize + 2
        } else {
            0
        }
    };
    let first = n.saturating_sub(window);
    let bound = per(split.val_fraction).max(per(1.0 - split.val_fraction - split.test_fraction));
    let bound = bound.min(first.saturating_add(10_000_000)).max(first);
    let last_bad = (first..=bound)
        .rev()
        .find(|&s| !enough_samples(s, split))
        .unwrap_or(first);
    last_bad + 1 + window
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: Vec<f64>) -> Series {
        Series {
            origin: "test".into(),
            name: "y".into(),
            values: values.into(),
            features: vec![],
        }
    }

    #[test]
    fn keras_rounding_of_the_split() {
        // 100 samples, 15 % validation: Keras trains on the first int(100 * 0.85) = 85.
        assert_eq!(split_sizes(100, 0.15, 0.0), (85, 15, 0));
        // 101 samples: floor(85.85) = 85 train, 16 validation.
        assert_eq!(split_sizes(101, 0.15, 0.0), (85, 16, 0));
        assert_eq!(split_sizes(100, 0.2, 0.1), (70, 20, 10));
        assert_eq!(split_sizes(10, 0.0, 0.0), (10, 0, 0));
    }

    #[test]
    fn folds_tile_the_validation_part_and_scale_from_their_own_training_part() {
        // 30 values, window 2: 28 samples; val 0.5 and test 0.25 give train [0, 7),
        // validation [7, 21) and test [21, 28). Three folds cut validation at 7 + 14k/3:
        // [7, 11), [11, 16), [16, 21); a gap of 1 drops the last training sample of each.
        let s = series((0..30).map(|v| v as f64).collect());
        let spec = SplitSpec {
            val_fraction: 0.5,
            test_fraction: 0.25,
            folds: 3,
            gap: 1,
            ..SplitSpec::default()
        };
        assert_eq!(fold_ranges(28, &spec, 0), (0..6, 7..11, 21..28));
        assert_eq!(fold_ranges(28, &spec, 1), (0..10, 11..16, 21..28));
        assert_eq!(fold_ranges(28, &spec, 2), (0..15, 16..21, 21..28));
        let folds = Dataset::build_folds(&s, 2, &spec).unwrap();
        assert_eq!(folds.len(), 3);
        // Sample i's target is value i + 2.
        let (first_val, train_len) = ([9.0, 13.0, 18.0], [6, 10, 15]);
        for (k, d) in folds.iter().enumerate() {
            assert_eq!(d.train.len(), train_len[k], "fold {k}");
            assert_eq!(d.val.y_raw(0), first_val[k], "fold {k}");
            assert_eq!(d.test.y_raw(0), 23.0, "fold {k}: the test part is shared");
            assert_eq!(d.test.len(), 7);
        }
        // Fold 0's training samples see values 0..=7 (rows up to target 7): mean 3.5 and
        // population sd sqrt((8² − 1)/12); fold 2's see 0..=16: mean 8, sd sqrt(24).
        let sd = |n: f64| ((n * n - 1.0) / 12.0).sqrt();
        assert!((folds[0].target_scaler.mean - 3.5).abs() < 1e-12);
        assert!((folds[0].target_scaler.std - sd(8.0)).abs() < 1e-12);
        assert!((folds[2].target_scaler.mean - 8.0).abs() < 1e-12);
        assert!((folds[2].target_scaler.std - sd(17.0)).abs() < 1e-12);
        // One fold without a gap is the plain split, sample for sample.
        let one = SplitSpec {
            folds: 1,
            gap: 0,
            ..spec.clone()
        };
        let (tr, va, te) = split_sizes(28, 0.5, 0.25);
        assert_eq!(
            fold_ranges(28, &one, 0),
            (0..tr, tr..tr + va, tr + va..tr + va + te)
        );
        // Too few validation samples for the folds, or a gap eating the training part.
        let many = SplitSpec {
            folds: 15,
            ..spec.clone()
        };
        assert!(Dataset::build_folds(&s, 2, &many).is_err());
        let wide = SplitSpec { gap: 7, ..spec };
        assert!(Dataset::build_folds(&s, 2, &wide).is_err());
    }

    #[test]
    fn windows_targets_and_previous_values_line_up() {
        let s = series((0..30).map(|v| v as f64).collect());
        let spec = SplitSpec {
            val_fraction: 0.2,
            scale: Scale::None,
            ..SplitSpec::default()
        };
        let d = Dataset::build(&s, 4, &spec).unwrap();
        assert_eq!(d.train.len() + d.val.len(), 26);
        assert_eq!(d.train.len(), 20);
        assert_eq!(d.train.inputs(0..1), [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(d.train.y(0), 4.0);
        assert_eq!(d.train.y_last(0), 3.0);
        // The first validation sample follows the last training one in time.
        assert_eq!(d.val.y(0), 24.0);
        assert_eq!(d.val.inputs(0..1), [20.0, 21.0, 22.0, 23.0]);
        // A later row is the same window shifted: rows are views, not copies.
        assert_eq!(d.train.inputs(19..20), [19.0, 20.0, 21.0, 22.0]);
    }

    #[test]
    fn zscore_uses_only_the_training_part() {
        let mut values: Vec<f64> = (0..20).map(|v| (v % 2) as f64).collect();
        values.extend(std::iter::repeat_n(1000.0, 5)); // a jump the scaler must not see
        let s = series(values);
        let spec = SplitSpec {
            val_fraction: 0.25,
            ..SplitSpec::default()
        };
        let d = Dataset::build(&s, 2, &spec).unwrap();
        // 23 samples: 17 train → rows 0..19, alternating 0/1 over 19 rows.
        let part: Vec<f64> = (0..19).map(|v| (v % 2) as f64).collect();
        let mean = part.iter().sum::<f64>() / 19.0;
        assert!((d.target_scaler.mean - mean).abs() < 1e-12);
        assert!((d.val.y_raw(d.val.len() - 1) - 1000.0).abs() < 1e-12);
    }

    #[test]
    fn features_follow_the_target_window() {
        let mut s = series((0..12).map(|v| v as f64).collect());
        s.features
            .push(("f".into(), (0..12).map(|v| 100.0 + v as f64).collect()));
        let spec = SplitSpec {
            val_fraction: 0.0,
            scale: Scale::None,
            ..SplitSpec::default()
        };
        let d = Dataset::build(&s, 3, &spec).unwrap();
        assert_eq!(d.n_inputs, 6);
        assert_eq!(d.train.inputs(0..1), [0.0, 1.0, 2.0, 100.0, 101.0, 102.0]);
    }

    #[test]
    fn the_row_count_a_refusal_asks_for_always_suffices() {
        // Rounding makes "enough rows" non-monotone when both fractions are set: the count
        // in the message must work, and so must every larger one.
        for (vf, tf) in [
            (0.01, 0.5),
            (0.15, 0.0),
            (0.2, 0.1),
            (0.6, 0.39),
            (0.0, 0.3),
            (0.05, 0.9),
        ] {
            for window in [1, 4, 16] {
                let spec = SplitSpec {
                    val_fraction: vf,
                    test_fraction: tf,
                    scale: Scale::None,
                    ..SplitSpec::default()
                };
                for n in 0..60 {
                    let s = series((0..n).map(|v| v as f64).collect());
                    let Err(e) = Dataset::build(&s, window, &spec) else {
                        continue;
                    };
                    let msg = e.to_string();
                    let needed: usize = msg
                        .split("at least ")
                        .nth(1)
                        .and_then(|r| r.split(' ').next())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or_else(|| panic!("no count in {msg}"));
                    assert!(needed > n, "{msg}");
                    for m in needed..needed + 300 {
                        let s = series((0..m).map(|v| v as f64).collect());
                        assert!(
                            Dataset::build(&s, window, &spec).is_ok(),
                            "{m} rows fail after: {msg}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn too_short_and_constant_series_are_bad_input() {
        let spec = SplitSpec::default();
        let e = Dataset::build(&series(vec![1.0, 2.0, 3.0]), 16, &spec).unwrap_err();
        assert!(crate::error::is_bad_input(&e));
        assert!(e.to_string().contains("at least"), "{e}");
        let e = Dataset::build(&series(vec![5.0; 100]), 4, &spec).unwrap_err();
        assert!(e.to_string().contains("constant"), "{e}");
    }
}
