//! What both benchmarks share: the series they train on and how figures are summarised.

use trendsweep::config::{SplitSpec, Synthetic, SyntheticKind, TrainConfig};
use trendsweep::data::{Dataset, Series, generate};

/// A z-scored noisy sine of `length` points (period 60) cut into windows of `window`, 15 %
/// of the samples held out for validation.
pub fn dataset(window: usize, length: usize) -> Dataset {
    let values = generate(&Synthetic {
        kind: SyntheticKind::Sine,
        length,
        noise: 0.2,
        period: 60.0,
        phi: [0.0; 2],
        drift: 0.0,
        seed: 1,
        series: None,
    });
    let series = Series {
        origin: "bench sine".into(),
        name: "value".into(),
        values: values.into(),
        features: vec![],
    };
    Dataset::build(&series, window, &SplitSpec::default()).expect("the bench series is long enough")
}

/// The trend loss at λ 0.01 with `n_dense` units and batches of `batch`; the rest default.
pub fn config(n_dense: usize, batch: usize) -> TrainConfig {
    TrainConfig {
        n_dense,
        batch_size: batch,
        lambda: 0.01,
        ..TrainConfig::default()
    }
}

/// `width` trials that can share a stack, differing as the default grid's do: λ over five
/// values, then the learning rate over three.
#[allow(dead_code)] // `figures` and `step` each use part of this module
pub fn stack_configs(n_dense: usize, batch: usize, width: usize) -> Vec<TrainConfig> {
    let lambdas = [0.0, 0.001, 0.01, 0.1, 1.0];
    let lrs = [1e-4, 1e-3, 1e-2];
    (0..width)
        .map(|i| TrainConfig {
            lambda: lambdas[i % 5],
            learning_rate: lrs[(i / 5) % 3],
            ..config(n_dense, batch)
        })
        .collect()
}

/// The median, the middle value after sorting (the upper one of an even count).
#[allow(dead_code)] // `step` leaves the summaries to divan
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
