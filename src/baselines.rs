//! Reference forecasts every trial is compared with, computed once per dataset:
//! `persistence` (tomorrow equals today) and `ols` (least squares on the training windows
//! with an intercept, solved in f64). For a `linear` model OLS's training MSE is the floor.

use crate::data::Dataset;
use crate::results::BaselineRow;
use crate::train::evaluate;

/// Least-squares coefficients (one per input, then the intercept) on the training split,
/// in model units; solved by Householder QR, since adjacent window values are nearly collinear.
pub fn ols_coefficients(data: &Dataset) -> Vec<f64> {
    let d = data.n_inputs;
    let cols = d + 1;
    let n = data.train.len();
    // Column-major design matrix with a trailing column of ones.
    let mut a = vec![0.0f64; n * cols];
    for i in 0..n {
        for j in 0..d {
            a[j * n + i] = data.train.x[i * d + j] as f64;
        }
        a[d * n + i] = 1.0;
    }
    // The target in f64 (not the f32 training copy), so the floor is exact in series units.
    let mut b: Vec<f64> = data.train.y_raw.iter().map(|&v| data.target_scaler.scale(v)).collect();
    let mut diag = vec![0.0f64; cols];
    for k in 0..cols.min(n) {
        let col = &mut a[k * n..(k + 1) * n];
        let norm = col[k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        let alpha = if col[k] > 0.0 { -norm } else { norm };
        col[k] -= alpha;
        let vnorm2 = col[k..].iter().map(|v| v * v).sum::<f64>();
        diag[k] = alpha;
        if vnorm2 == 0.0 {
            continue;
        }
        let v: Vec<f64> = col[k..].to_vec();
        for j in k + 1..cols {
            let cj = &mut a[j * n..(j + 1) * n];
            let dot: f64 = v.iter().zip(&cj[k..]).map(|(x, y)| x * y).sum();
            let f = 2.0 * dot / vnorm2;
            for (c, vi) in cj[k..].iter_mut().zip(&v) {
                *c -= f * vi;
            }
        }
        let dot: f64 = v.iter().zip(&b[k..]).map(|(x, y)| x * y).sum();
        let f = 2.0 * dot / vnorm2;
        for (c, vi) in b[k..].iter_mut().zip(&v) {
            *c -= f * vi;
        }
    }
    // Back substitution on R (diagonal in `diag`, upper part in `a`); a zero pivot
    // (a column that is a combination of others) gets coefficient 0.
    let mut coef = vec![0.0f64; cols];
    for k in (0..cols.min(n)).rev() {
        let mut s = b[k];
        for j in k + 1..cols {
            s -= a[j * n + k] * coef[j];
        }
        coef[k] = if diag[k].abs() > 1e-12 { s / diag[k] } else { 0.0 };
    }
    coef
}

fn ols_predict(coef: &[f64], x: &[f32], d: usize) -> Vec<f32> {
    x.chunks(d)
        .map(|row| (row.iter().zip(coef).map(|(&v, c)| v as f64 * c).sum::<f64>() + coef[d]) as f32)
        .collect()
}

/// Figures for both baselines on `data`, with the same metrics as the trials.
pub fn baselines(data: &Dataset) -> Vec<BaselineRow> {
    let s = &data.target_scaler;
    let persistence = |split: &crate::data::Split| evaluate(&split.y_last, split, s);
    let coef = ols_coefficients(data);
    let d = data.n_inputs;
    let ols = |split: &crate::data::Split| evaluate(&ols_predict(&coef, &split.x, d), split, s);
    let row = |name: &str, f: &dyn Fn(&crate::data::Split) -> (f64, f64)| {
        let (train_mse, _) = f(&data.train);
        let (val_mse, val_trend_acc) = f(&data.val);
        BaselineRow { baseline: name.into(), window: data.window, train_mse, val_mse, val_trend_acc }
    };
    vec![row("persistence", &persistence), row("ols", &ols)]
}

/// OLS's training MSE in series units computed in f64 throughout (no f32 rounding of the
/// predictions), the exact floor a linear model's training MSE can approach.
pub fn ols_train_floor(data: &Dataset) -> f64 {
    let coef = ols_coefficients(data);
    let d = data.n_inputs;
    let s = &data.target_scaler;
    let n = data.train.len();
    (0..n)
        .map(|i| {
            let row = &data.train.x[i * d..(i + 1) * d];
            let p = row.iter().zip(&coef).map(|(&v, c)| v as f64 * c).sum::<f64>() + coef[d];
            (s.unscale(p) - data.train.y_raw[i]).powi(2)
        })
        .sum::<f64>()
        / n as f64
}
