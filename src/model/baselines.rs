//! Reference forecasts every trial is compared with, computed once per dataset:
//! - `persistence`: the next value equals the last (`y_last`);
//! - `drift`: the last move continues (`y_last + (y_last − y_prev)`);
//! - `seasonal_naive`: the value one season earlier (only with `[data] season`);
//! - `naive2`: M4's benchmark, the last value carried over the seasonal indices of a
//!   multiplicative decomposition when the in-sample part is seasonal at lag `season`, else
//!   the last value ([`crate::data::Naive2`]);
//! - `ols`: least squares on the training windows with an intercept, solved in f64. For a
//!   `linear` model OLS's training MSE is the floor;
//! - `majority_direction`: no value, only a direction: the training set's more common move,
//!   every time. It has a trend accuracy and no MSE.
//!
//! Persistence predicts no move at all, so its trend accuracy is 0 by construction (only a
//! flat true move would match): it speaks to squared error only. Drift, seasonal naive and
//! majority direction are the baselines that speak to direction.

use crate::data::{Dataset, Split};
use crate::model::loss;
use crate::model::records::{BaselineRow, EvaluationSamples};
use crate::model::train::{Figures, figures, mase};

/// Every baseline's name, in the order the tables list them.
pub const BASELINE_NAMES: [&str; 6] = [
    "persistence",
    "drift",
    "seasonal_naive",
    "naive2",
    "ols",
    "majority_direction",
];

/// Least-squares coefficients (one per input, then the intercept) on the training split,
/// in model units. Solved by QR, since adjacent window values are nearly collinear, with
/// the triangular factor built one row at a time by Givens rotations: memory stays
/// O(inputs²) however long the series.
pub fn ols_coefficients(data: &Dataset) -> Vec<f64> {
    let d = data.n_inputs;
    let cols = d + 1; // the inputs and the intercept
    let width = cols + 1; // ... and the right-hand side
    // Row k of the upper-triangular factor, with Qᵀb in its last place.
    let mut r = vec![0.0f64; cols * width];
    let mut row = vec![0.0f64; width];
    let mut inputs = Vec::with_capacity(d);
    let train = &data.train;
    for i in 0..train.len() {
        inputs.clear();
        train.input_into(i, &mut inputs);
        for (slot, &v) in row.iter_mut().zip(&inputs) {
            *slot = v as f64;
        }
        row[d] = 1.0;
        // The target in f64 (not the f32 training copy), so the floor is exact in series units.
        row[cols] = data.target_scaler.scale(train.y_raw(i));
        for k in 0..cols {
            if row[k] == 0.0 {
                continue;
            }
            let rk = &mut r[k * width..(k + 1) * width];
            if rk[k] == 0.0 {
                // An empty pivot row takes the incoming row as it is.
                rk[k..].copy_from_slice(&row[k..]);
                break;
            }
            let h = rk[k].hypot(row[k]);
            let (c, s) = (rk[k] / h, row[k] / h);
            for j in k..width {
                let (a, b) = (rk[j], row[j]);
                rk[j] = c * a + s * b;
                row[j] = c * b - s * a;
            }
        }
    }
    // Back substitution; a pivot that is zero next to the largest (an input that is a
    // combination of others) gets coefficient 0.
    let scale = (0..cols)
        .map(|k| r[k * width + k].abs())
        .fold(0.0, f64::max);
    let mut coef = vec![0.0f64; cols];
    for k in (0..cols).rev() {
        let rk = &r[k * width..(k + 1) * width];
        let s = rk[cols] - (k + 1..cols).map(|j| rk[j] * coef[j]).sum::<f64>();
        coef[k] = if rk[k].abs() > 1e-12 * scale {
            s / rk[k]
        } else {
            0.0
        };
    }
    coef
}

/// The OLS forecast of sample `i` in model units; `inputs` is scratch space.
fn ols_prediction(coef: &[f64], split: &Split, i: usize, inputs: &mut Vec<f32>) -> f64 {
    let d = coef.len() - 1;
    inputs.clear();
    split.input_into(i, inputs);
    inputs
        .iter()
        .zip(coef)
        .map(|(&v, c)| v as f64 * c)
        .sum::<f64>()
        + coef[d]
}

/// The direction the training set moves in most often, as a sign (1 up, −1 down, 0 flat);
/// a tie goes to up over down over flat, so the choice never depends on the order of the
/// samples.
pub fn majority_direction(train: &Split) -> i8 {
    const ORDER: [i8; 3] = [1, -1, 0];
    let mut counts = [0usize; 3];
    for i in 0..train.len() {
        let s = loss::sign(train.y_raw(i) - train.y_last_raw(i));
        counts[ORDER.iter().position(|&o| o == s).expect("a sign")] += 1;
    }
    let best = (0..3).fold(0, |b, k| if counts[k] > counts[b] { k } else { b });
    ORDER[best]
}

/// The baselines of one dataset, able to forecast any sample of any of its splits.
pub struct Forecasters<'a> {
    data: &'a Dataset,
    coef: Vec<f64>,
    /// The training set's more common direction, as a sign.
    pub majority: i8,
}

impl<'a> Forecasters<'a> {
    pub fn new(data: &'a Dataset) -> Forecasters<'a> {
        Forecasters {
            data,
            coef: ols_coefficients(data),
            majority: majority_direction(&data.train),
        }
    }

    /// The baselines this dataset has: all but `seasonal_naive` when no season is set.
    pub fn names(&self) -> Vec<&'static str> {
        BASELINE_NAMES
            .into_iter()
            .filter(|n| *n != "seasonal_naive" || self.data.season.is_some())
            .collect()
    }

    /// Baseline `name`'s forecast of sample `i` of `split`, in series units: `None` for
    /// `majority_direction` (a direction, not a value) and where the baseline needs values
    /// from before the series starts. `inputs` is scratch space.
    pub fn forecast(
        &self,
        name: &str,
        split: &Split,
        i: usize,
        inputs: &mut Vec<f32>,
    ) -> Option<f64> {
        let last = split.y_last_raw(i);
        match name {
            "persistence" => Some(last),
            "drift" => split.y_lag_raw(i, 2).map(|prev| last + (last - prev)),
            "seasonal_naive" => self.data.season.and_then(|s| split.y_lag_raw(i, s)),
            "naive2" => {
                // The test samples' indices come from the in-sample part up to the last
                // validation target; the other splits' from the part up to the last training one.
                let fitted = if std::ptr::eq(split, &self.data.test) {
                    &self.data.test_naive2
                } else {
                    &self.data.val_naive2
                };
                Some(fitted.forecast(split.raw(), split.position(i)))
            }
            "ols" => {
                let p = ols_prediction(&self.coef, split, i, inputs);
                Some(self.data.target_scaler.unscale(p))
            }
            _ => None,
        }
    }

    /// Whether baseline `name` gets sample `i`'s direction right; `None` where it has no
    /// forecast.
    pub fn hit(&self, name: &str, split: &Split, i: usize, inputs: &mut Vec<f32>) -> Option<bool> {
        let truth = loss::sign(split.y_raw(i) - split.y_last_raw(i));
        if name == "majority_direction" {
            return Some(truth == self.majority);
        }
        self.forecast(name, split, i, inputs)
            .map(|p| loss::sign(p - split.y_last_raw(i)) == truth)
    }

    /// `(mse, trend accuracy)` of baseline `name` on `split`, over the samples it can
    /// forecast; `None` for a figure it has no samples for. `majority_direction` has an
    /// accuracy only.
    pub fn figures(&self, name: &str, split: &Split) -> (Option<f64>, Option<f64>) {
        let f = self.all_figures(name, split);
        (
            f.map(|f| f.mse).filter(|_| name != "majority_direction"),
            f.map(|f| f.trend_acc),
        )
    }

    /// MSE, MAE and trend accuracy of baseline `name` on `split` (see [`Self::figures`]); for
    /// `majority_direction` only the accuracy means anything.
    fn all_figures(&self, name: &str, split: &Split) -> Option<Figures> {
        let mut inputs = Vec::with_capacity(self.data.n_inputs);
        if name == "majority_direction" {
            let hits = (0..split.len())
                .filter(|&i| self.hit(name, split, i, &mut inputs) == Some(true))
                .count();
            return (!split.is_empty()).then(|| Figures {
                mse: f64::NAN,
                mae: f64::NAN,
                trend_acc: hits as f64 / split.len() as f64,
                smape: f64::NAN,
            });
        }
        let samples: Vec<(f64, f64, f64)> = (0..split.len())
            .filter_map(|i| {
                self.forecast(name, split, i, &mut inputs)
                    .map(|p| (p, split.y_raw(i), split.y_last_raw(i)))
            })
            .collect();
        (!samples.is_empty()).then(|| figures(samples.into_iter()))
    }

    /// MASE of baseline `name` on `split` against `scale`; `None` for `majority_direction`.
    fn mase(&self, name: &str, split: &Split, scale: Option<f64>) -> Option<f64> {
        if name == "majority_direction" {
            return None;
        }
        self.all_figures(name, split)
            .and_then(|f| mase(f.mae, scale))
    }

    /// sMAPE (percent) of baseline `name` on `split`; `None` for `majority_direction`.
    fn smape(&self, name: &str, split: &Split) -> Option<f64> {
        if name == "majority_direction" {
            return None;
        }
        self.all_figures(name, split)
            .map(|f| f.smape)
            .filter(|v| v.is_finite())
    }
}

/// Figures for every baseline on `data`, with the same metrics as the trials. Validation
/// and test figures are absent without validation or test samples, as for the trials.
pub fn baselines(data: &Dataset) -> Vec<BaselineRow> {
    let f = Forecasters::new(data);
    let mut rows: Vec<BaselineRow> = f
        .names()
        .into_iter()
        .map(|name| {
            let (train_mse, _) = f.figures(name, &data.train);
            let (val_mse, val_trend_acc) = f.figures(name, &data.val);
            let (test_mse, test_trend_acc) = f.figures(name, &data.test);
            BaselineRow {
                series: None,
                baseline: name.into(),
                window: data.window,
                train_mse,
                val_mse,
                val_trend_acc,
                val_mase: f.mase(name, &data.val, data.val_scale),
                val_smape: f.smape(name, &data.val),
                val_rel_mse: None,
                test_mse,
                test_trend_acc,
                test_mase: f.mase(name, &data.test, data.test_scale),
                test_smape: f.smape(name, &data.test),
                test_rel_mse: None,
            }
        })
        .collect();
    set_relative_mse(&mut rows);
    rows
}

/// The baseline relative MSEs are measured against: `seasonal_naive` where there is a season,
/// else `persistence`.
pub fn reference_baseline(names: &[&str]) -> &'static str {
    if names.contains(&"seasonal_naive") {
        "seasonal_naive"
    } else {
        "persistence"
    }
}

/// Fills each row's `val_rel_mse` and `test_rel_mse`: its MSE over the reference baseline's
/// ([`reference_baseline`]) among `rows` (one window's baselines); `None` where either is
/// missing or the reference's is 0.
pub fn set_relative_mse(rows: &mut [BaselineRow]) {
    let names: Vec<&str> = rows.iter().map(|r| r.baseline.as_str()).collect();
    let reference = reference_baseline(&names);
    let Some(at) = rows.iter().position(|r| r.baseline == reference) else {
        return;
    };
    let (val, test) = (rows[at].val_mse, rows[at].test_mse);
    for r in rows.iter_mut() {
        r.val_rel_mse = relative(r.val_mse, val);
        r.test_rel_mse = relative(r.test_mse, test);
    }
}

/// `mse / reference`, where both are finite and the reference is above 0.
pub fn relative(mse: Option<f64>, reference: Option<f64>) -> Option<f64> {
    match (mse, reference) {
        (Some(m), Some(r)) if r > 0.0 && r.is_finite() && m.is_finite() => Some(m / r),
        _ => None,
    }
}

/// The samples of `data`'s evaluation split (test, else validation) the significance tests
/// use ([`Dataset::evaluation_range`]), with each baseline's forecast of them.
pub fn evaluation_samples(data: &Dataset) -> EvaluationSamples {
    let f = Forecasters::new(data);
    let split = data.evaluation_split();
    let range = data.evaluation_range();
    let mut inputs = Vec::with_capacity(data.n_inputs);
    let forecasts = f
        .names()
        .into_iter()
        .filter(|n| *n != "majority_direction")
        .map(|name| {
            let values = range
                .clone()
                .map(|i| f.forecast(name, split, i, &mut inputs))
                .collect();
            (name, values)
        })
        .collect();
    EvaluationSamples {
        window: data.window,
        split: data.evaluation_split_name(),
        y_true: range.clone().map(|i| split.y_raw(i)).collect(),
        y_last: range.map(|i| split.y_last_raw(i)).collect(),
        forecasts,
        majority_sign: f.majority,
    }
}

/// OLS's training MSE in series units, the floor a linear model's training MSE can approach.
pub fn ols_train_floor(data: &Dataset) -> f64 {
    let (mse, _) = Forecasters::new(data).figures("ols", &data.train);
    mse.expect("a dataset has training samples")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Scale, SplitSpec};
    use crate::data::Series;

    /// Twelve values; window 2 makes ten samples: five to train (targets at positions 2–6),
    /// two to validate (7, 8) and three to test (9, 10, 11).
    fn data(season: Option<usize>) -> Dataset {
        let values = vec![
            10.0, 12.0, 11.0, 13.0, 15.0, 14.0, 16.0, 18.0, 17.0, 19.0, 21.0, 20.0,
        ];
        let series = Series {
            origin: "hand".into(),
            name: "y".into(),
            values: values.into(),
            features: vec![],
        };
        let split = SplitSpec {
            val_fraction: 0.25,
            test_fraction: 0.25,
            scale: Scale::None,
            season,
            folds: 1,
            gap: 0,
        };
        Dataset::build(&series, 2, &split).unwrap()
    }

    fn row<'a>(rows: &'a [BaselineRow], name: &str) -> &'a BaselineRow {
        rows.iter().find(|r| r.baseline == name).unwrap()
    }

    #[track_caller]
    fn close(got: Option<f64>, want: f64) {
        let got = got.unwrap();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }

    #[test]
    fn baselines_on_a_series_worked_by_hand() {
        let d = data(Some(3));
        assert_eq!((d.train.len(), d.val.len(), d.test.len()), (5, 2, 3));
        let rows = baselines(&d);
        let names: Vec<&str> = rows.iter().map(|r| r.baseline.as_str()).collect();
        assert_eq!(names, BASELINE_NAMES);
        // Test targets 19, 21, 20 after 17, 19, 21 (and 18, 17, 19 before those).
        // Persistence: errors 2, 2, −1; it never predicts a move, so it never matches one.
        close(row(&rows, "persistence").test_mse, 3.0);
        close(row(&rows, "persistence").test_trend_acc, 0.0);
        // Drift forecasts 16, 21, 23: errors 3, 0, −3; only the middle move is right.
        close(row(&rows, "drift").test_mse, 6.0);
        close(row(&rows, "drift").test_trend_acc, 1.0 / 3.0);
        // Seasonal naive (season 3) forecasts 16, 18, 17: errors 3, 3, 3; only the fall is
        // called.
        close(row(&rows, "seasonal_naive").test_mse, 9.0);
        close(row(&rows, "seasonal_naive").test_trend_acc, 1.0 / 3.0);
        // Training moves: down, up, up, down, up: the majority is up, which the test moves
        // (up, up, down) follow twice and validation's (up, down) once.
        let majority = row(&rows, "majority_direction");
        assert_eq!(majority.test_mse, None);
        assert_eq!(majority.train_mse, None);
        close(majority.test_trend_acc, 2.0 / 3.0);
        close(majority.val_trend_acc, 0.5);
        // Seasonal naive cannot forecast the first training target (no value 3 steps back).
        // Training targets 13, 15, 14, 16 against 10, 12, 11, 13 (positions 0–3): 3 off each.
        close(row(&rows, "seasonal_naive").train_mse, 9.0);
    }

    #[test]
    fn mase_divides_by_the_in_sample_naive_error_worked_by_hand() {
        // Validation's in-sample part is every value up to the last training target
        // (positions 0-6: 10 12 11 13 15 14 16), the test's every value up to the last
        // validation target (positions 0-8, adding 18 17).
        let d = data(Some(3));
        // Lag 3: every difference is 3, in both parts.
        close(d.val_scale, 3.0);
        close(d.test_scale, 3.0);
        let rows = baselines(&d);
        // Test errors as above: persistence 2 2 1 (MAE 5/3), drift 3 0 3 (2), seasonal
        // naive 3 3 3 (3). Validation targets 18 17 after 16 18: persistence errs 2 and 1.
        close(row(&rows, "persistence").test_mase, 5.0 / 9.0);
        close(row(&rows, "drift").test_mase, 2.0 / 3.0);
        close(row(&rows, "seasonal_naive").test_mase, 1.0);
        close(row(&rows, "persistence").val_mase, 1.5 / 3.0);
        assert_eq!(row(&rows, "majority_direction").val_mase, None);
        // Lag 1 without a season: the part's steps are 2 1 2 2 1 2 (mean 10/6) and, with
        // 18 17, 2 1 2 2 1 2 2 1 (mean 13/8).
        let d = data(None);
        close(d.val_scale, 10.0 / 6.0);
        close(d.test_scale, 13.0 / 8.0);
        let rows = baselines(&d);
        close(
            row(&rows, "persistence").test_mase,
            (5.0 / 3.0) / (13.0 / 8.0),
        );
        close(row(&rows, "persistence").val_mase, 1.5 / (10.0 / 6.0));
    }

    #[test]
    fn a_part_without_moves_has_no_mase() {
        assert_eq!(crate::data::naive_scale(&[4.0, 4.0, 4.0], 1), None);
        assert_eq!(crate::data::naive_scale(&[1.0, 2.0], 2), None);
        assert_eq!(crate::data::naive_scale(&[1.0, 2.0, 4.0], 2), Some(3.0));
    }

    #[test]
    fn seasonal_naive_needs_a_season() {
        let rows = baselines(&data(None));
        assert!(rows.iter().all(|r| r.baseline != "seasonal_naive"));
        assert_eq!(rows.len(), BASELINE_NAMES.len() - 1);
        let e = evaluation_samples(&data(None));
        assert!(e.forecasts.iter().all(|(n, _)| *n != "seasonal_naive"));
    }

    #[test]
    fn evaluation_samples_are_the_test_split_with_each_forecast() {
        let e = evaluation_samples(&data(Some(3)));
        assert_eq!(e.split, "test");
        assert_eq!(e.y_true, [19.0, 21.0, 20.0]);
        assert_eq!(e.y_last, [17.0, 19.0, 21.0]);
        let drift = &e.forecasts.iter().find(|(n, _)| *n == "drift").unwrap().1;
        assert_eq!(drift, &[Some(16.0), Some(21.0), Some(23.0)]);
        assert_eq!(e.majority_sign, 1);
    }
}
