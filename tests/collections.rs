//! Scale-free figures and collections of series: MASE against values worked out here from
//! the raw series, and (below) long-format files swept series by series.

mod common;

use common::{Grid, Scene, read_csv, read_parquet, strings};

/// A wavy, rising series of `n` values: never constant over a season, never flat.
fn wavy(n: usize, phase: f64) -> Vec<f64> {
    (0..n)
        .map(|t| {
            let t = t as f64;
            10.0 + 0.3 * t + 3.0 * (t * 1.3 + phase).sin() + ((t * 7.0 + phase) % 5.0) * 0.4
        })
        .collect()
}

/// The in-sample MAE of the naive forecast at `lag` over `values`.
fn naive_mae(values: &[f64], lag: usize) -> f64 {
    let errors: Vec<f64> = (lag..values.len())
        .map(|t| (values[t] - values[t - lag]).abs())
        .collect();
    errors.iter().sum::<f64>() / errors.len() as f64
}

/// A float column's values, nulls as NaN.
fn floats(df: &polars::prelude::DataFrame, name: &str) -> Vec<f64> {
    df.column(name)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect()
}

#[track_caller]
fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{got} against {want}"
    );
}

/// MASE of a trial and of the baselines, against the raw series worked through by hand: 60
/// values, window 4 (56 samples: 33 train, 11 validation, 12 test), season 4.
#[test]
fn mase_is_the_mae_over_the_in_sample_seasonal_naive_mae() {
    let values = wavy(60, 0.0);
    let scene = Scene::new();
    let rows: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(t, v)| format!("{t},{v}"))
        .collect();
    scene.write("y.csv", common::csv("t,y", rows));
    let grid = Grid::file("y.csv", "y")
        .set("data", "test_fraction", "0.2")
        .set("data", "season", "4");
    let out = scene.sweep(&grid);
    scene.assert_trained(&out);

    // Validation targets are at positions 37..48, test targets at 48..60.
    let val_scale = naive_mae(&values[..37], 4);
    let test_scale = naive_mae(&values[..48], 4);
    let trials = read_csv(&scene.out().join("trials.csv"));
    let predictions = read_parquet(&scene.out().join("predictions.parquet"));
    let predicted = floats(&predictions, "prediction");
    assert_eq!(predicted.len(), 12);
    let mae = predicted
        .iter()
        .zip(&values[48..])
        .map(|(p, y)| (p - y).abs())
        .sum::<f64>()
        / 12.0;
    close(floats(&trials, "test_mase")[0], mae / test_scale);
    let val_mase = floats(&trials, "val_mase")[0];
    assert!(val_mase.is_finite() && val_mase > 0.0, "{val_mase}");

    // Persistence forecasts the previous value; seasonal naive the value 4 steps back.
    let baselines = read_csv(&scene.out().join("baselines.csv"));
    let names = strings(&baselines, "baseline");
    let row = |name: &str| names.iter().position(|n| n == name).unwrap();
    let naive = |lag: usize, targets: std::ops::Range<usize>| {
        let n = targets.len() as f64;
        targets
            .map(|t| (values[t] - values[t - lag]).abs())
            .sum::<f64>()
            / n
    };
    let (val_mase, test_mase) = (
        floats(&baselines, "val_mase"),
        floats(&baselines, "test_mase"),
    );
    close(val_mase[row("persistence")], naive(1, 37..48) / val_scale);
    close(test_mase[row("persistence")], naive(1, 48..60) / test_scale);
    close(
        val_mase[row("seasonal_naive")],
        naive(4, 37..48) / val_scale,
    );
    close(
        test_mase[row("seasonal_naive")],
        naive(4, 48..60) / test_scale,
    );
    assert!(val_mase[row("majority_direction")].is_nan());
    // The same table as Parquet.
    let parquet = read_parquet(&scene.out().join("baselines.parquet"));
    let bits = |v: Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(floats(&parquet, "test_mase")), bits(test_mase));
}
