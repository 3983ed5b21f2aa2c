//! Reference forecasts every trial is compared with, computed once per dataset:
//! `persistence` (tomorrow equals today) and `ols` (least squares on the training windows
//! with an intercept, solved in f64). For a `linear` model OLS's training MSE is the floor.

use crate::data::{Dataset, Split};
use crate::model::train::mse_and_trend_accuracy;
use crate::store::records::BaselineRow;

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

/// Figures for both baselines on `data`, with the same metrics as the trials.
pub fn baselines(data: &Dataset) -> Vec<BaselineRow> {
    let s = &data.target_scaler;
    let coef = ols_coefficients(data);
    let persistence = |split: &Split| {
        mse_and_trend_accuracy(
            (0..split.len()).map(|i| (split.y_last_raw(i), split.y_raw(i), split.y_last_raw(i))),
        )
    };
    let ols = |split: &Split| {
        let mut inputs = Vec::with_capacity(data.n_inputs);
        mse_and_trend_accuracy((0..split.len()).map(|i| {
            (
                s.unscale(ols_prediction(&coef, split, i, &mut inputs)),
                split.y_raw(i),
                split.y_last_raw(i),
            )
        }))
    };
    // Without validation samples the validation figures are absent, as for the trials.
    let has_val = !data.val.is_empty();
    let row = |name: &str, train: (f64, f64), val: (f64, f64)| BaselineRow {
        baseline: name.into(),
        window: data.window,
        train_mse: train.0,
        val_mse: has_val.then_some(val.0),
        val_trend_acc: has_val.then_some(val.1),
    };
    vec![
        row(
            "persistence",
            persistence(&data.train),
            persistence(&data.val),
        ),
        row("ols", ols(&data.train), ols(&data.val)),
    ]
}

/// OLS's training MSE in series units, the floor a linear model's training MSE can approach.
pub fn ols_train_floor(data: &Dataset) -> f64 {
    baselines(data)
        .into_iter()
        .find(|b| b.baseline == "ols")
        .map(|b| b.train_mse)
        .expect("ols is a baseline")
}
