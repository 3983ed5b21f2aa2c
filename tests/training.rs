//! The training core: gradients of the whole model against finite differences, convergence
//! to the least-squares floor, determinism, and divergence handled without a panic.

mod common;

use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use trendsweep::config::{
    Activation, LossKind, PenaltyMean, Scale, SplitSpec, Synthetic, SyntheticKind, TrainConfig,
};
use trendsweep::data::{Dataset, Series, generate};
use trendsweep::model::baselines::ols_train_floor;
use trendsweep::model::train::train;
use trendsweep::model::{Model, loss};
use trendsweep::store::records::{TrialResult, TrialStatus};

#[test]
fn model_gradients_match_finite_differences() {
    let dev = Cpu::default();
    let (n_in, h, batch) = (5, 7, 6);
    let lambda = 0.3;
    for (case, act) in Activation::ALL.into_iter().enumerate() {
        for (kind, mean) in LossKind::ALL
            .into_iter()
            .flat_map(|k| PenaltyMean::ALL.map(|m| (k, m)))
        {
            let mut rng = ChaCha8Rng::seed_from_u64(100 + case as u64);
            let mut params = Model::new(&dev, n_in, h, act, &mut rng).parameters();
            // Biases away from zero so every parameter's gradient is exercised.
            for b in &mut params[n_in * h..n_in * h + h] {
                *b = rng.gen_range(-0.5..0.5);
            }
            params[n_in * h + 2 * h] = 0.1;
            let model = Model::from_parameters(&dev, n_in, h, act, &params);
            let x: Vec<f32> = (0..batch * n_in)
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect();
            let p0 = model.predict_rows(&dev, &x);
            // y_last a fixed distance from the prediction, so |p − y_last| is far from its
            // kink, and true moves chosen so that predicted and true directions agree for
            // samples 0 and 3 (mod 4) and disagree for 1 and 2: both masks have members.
            let last: Vec<f32> = p0
                .iter()
                .enumerate()
                .map(|(i, p)| if i % 2 == 0 { p - 0.4 } else { p + 0.4 })
                .collect();
            let y: Vec<f32> = last
                .iter()
                .enumerate()
                .map(|(i, l)| if i % 4 < 2 { l + 0.7 } else { l - 0.7 })
                .collect();

            let xt = dev.tensor_from_vec(Model::augment(&x, n_in), (batch, n_in + 1));
            let out = loss::loss(
                kind,
                lambda,
                mean,
                model.forward(xt.leaky_trace()),
                &y,
                &last,
            );
            let grads = out.backward();
            let tape_grad = model.unfold(
                &grads.get(&model.k1).as_vec(),
                &grads.get(&model.k2).as_vec(),
            );

            let (_, ref_grad_p) = loss::reference(kind, lambda as f64, mean, &y, &p0, &last);
            // The mask the reference used: where the gradient has a penalty part.
            let mask: Vec<bool> = (0..batch)
                .map(|i| {
                    let mse_part = 2.0 * (p0[i] as f64 - y[i] as f64) / batch as f64;
                    (ref_grad_p[i] - mse_part).abs() > 1e-9
                })
                .collect();
            let penalised = mask.iter().filter(|&&m| m).count();
            // Each penalised sample's weight inside the batch mean: λ, or λ·n/m when the
            // penalty is averaged over the m penalised samples only.
            let weight = match mean {
                PenaltyMean::Batch => lambda as f64,
                PenaltyMean::Mismatched => lambda as f64 * batch as f64 / penalised.max(1) as f64,
            };
            let weights: Vec<f64> = mask.iter().map(|&m| if m { weight } else { 0.0 }).collect();
            let expected_penalised = if kind == LossKind::Mse { 0 } else { batch / 2 };
            assert_eq!(penalised, expected_penalised, "{kind:?}: {weights:?}");
            let params: Vec<f64> = model.parameters().iter().map(|&v| v as f64).collect();
            let step = 1e-6;
            for (k, &tg) in tape_grad.iter().enumerate() {
                let mut plus = params.clone();
                plus[k] += step;
                let mut minus = params.clone();
                minus[k] -= step;
                let fd = (common::model_loss_f64(&plus, n_in, h, act, &x, &y, &last, &weights)
                    - common::model_loss_f64(&minus, n_in, h, act, &x, &y, &last, &weights))
                    / (2.0 * step);
                let err = (tg as f64 - fd).abs();
                assert!(
                    err <= 1e-4 + 1e-3 * fd.abs(),
                    "{act:?} {kind:?} {mean:?} parameter {k}: tape {tg}, finite difference {fd}"
                );
            }
        }
    }
}

/// The OLS training MSE by another route: normal equations solved by Gaussian elimination
/// with partial pivoting (fine for a well-conditioned AR(2) with unit noise).
fn normal_equations_floor(data: &Dataset) -> f64 {
    let d = data.n_inputs + 1;
    let rows: Vec<Vec<f64>> = (0..data.train.len())
        .map(|i| {
            let mut r: Vec<f64> = data
                .train
                .inputs(i..i + 1)
                .iter()
                .map(|&v| v as f64)
                .collect();
            r.push(1.0);
            r
        })
        .collect();
    let target: Vec<f64> = (0..data.train.len())
        .map(|i| data.target_scaler.scale(data.train.y_raw(i)))
        .collect();
    let mut a = vec![vec![0.0; d + 1]; d];
    for (r, t) in rows.iter().zip(&target) {
        for j in 0..d {
            for k in 0..d {
                a[j][k] += r[j] * r[k];
            }
            a[j][d] += r[j] * t;
        }
    }
    for col in 0..d {
        let pivot = (col..d)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        // The pivot row does not change while the others are reduced by it.
        let pivot_row = a[col].clone();
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (x, p) in r[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * p;
                }
            }
        }
    }
    let coef: Vec<f64> = (0..d).map(|j| a[j][d] / a[j][j]).collect();
    let s = &data.target_scaler;
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            (s.unscale(r.iter().zip(&coef).map(|(x, c)| x * c).sum::<f64>()) - data.train.y_raw(i))
                .powi(2)
        })
        .sum::<f64>()
        / rows.len() as f64
}

fn ar2_dataset(window: usize) -> Dataset {
    ar2_split(window, 0.0)
}

fn ar2_split(window: usize, test_fraction: f64) -> Dataset {
    let series = common::generated(SyntheticKind::Ar2, 3000, 1.0, 1.0, 11);
    Dataset::build(
        &series,
        window,
        &SplitSpec {
            val_fraction: 0.15,
            test_fraction,
            scale: Scale::Zscore,
            season: None,
            folds: 1,
            gap: 0,
        },
    )
    .unwrap()
}

#[test]
fn linear_model_reaches_the_least_squares_floor() {
    let data = ar2_dataset(8);
    let floor = ols_train_floor(&data);
    let check = normal_equations_floor(&data);
    assert!(
        (check - floor).abs() <= 1e-9 * floor,
        "streaming QR floor {floor} vs normal equations {check}"
    );
    let cfg = TrainConfig {
        n_dense: 16,
        lambda: 0.0,
        batch_size: 32,
        learning_rate: 3e-3,
        seed: 1,
        epochs: 40,
        loss: LossKind::Mse,
        activation: Activation::Linear,
        shuffle: true,
        metric_epoch: Default::default(),
        penalty_mean: Default::default(),
        patience: 0,
    };
    let result = train(&data, &cfg);
    assert_eq!(result.status, TrialStatus::Ok);
    let last = result.last().unwrap();
    let gap = last.train_mse / floor - 1.0;
    println!(
        "OLS floor {floor:.6}, final train_mse {:.6}, gap {:.3} %",
        last.train_mse,
        gap * 100.0
    );
    assert!(
        gap <= 0.02,
        "train_mse {} is {:.2} % above the floor {floor}",
        last.train_mse,
        gap * 100.0
    );
    never_below(&result, floor, &cfg);
}

/// No epoch of a linear run may beat the least-squares floor by more than float error.
fn never_below(result: &TrialResult, floor: f64, cfg: &TrainConfig) {
    for m in &result.curve {
        assert!(
            m.train_mse >= floor * (1.0 - 1e-5),
            "{cfg:?} epoch {}: {} below the floor {floor}",
            m.epoch,
            m.train_mse
        );
    }
}

#[test]
fn no_linear_run_goes_below_the_floor() {
    let data = ar2_dataset(4);
    let floor = ols_train_floor(&data);
    for (lambda, batch, lr) in [(0.1, 1, 1e-3), (0.01, 8, 1e-2), (0.0, 64, 3e-2)] {
        let cfg = TrainConfig {
            lambda,
            batch_size: batch,
            learning_rate: lr,
            epochs: 5,
            n_dense: 4,
            ..TrainConfig::default()
        };
        never_below(&train(&data, &cfg), floor, &cfg);
    }
}

#[test]
fn same_seed_same_curve_other_seed_other_curve() {
    let data = ar2_dataset(6);
    let cfg = TrainConfig {
        epochs: 3,
        batch_size: 16,
        ..TrainConfig::default()
    };
    let bits = |c: &[trendsweep::store::records::EpochMetrics]| -> Vec<[u64; 4]> {
        c.iter()
            .map(|m| {
                [
                    m.train_loss.to_bits(),
                    m.train_mse.to_bits(),
                    m.val_mse.expect("validation figures").to_bits(),
                    m.val_trend_acc.expect("validation figures").to_bits(),
                ]
            })
            .collect()
    };
    let a = train(&data, &cfg);
    let b = train(&data, &cfg);
    assert_eq!(bits(&a.curve), bits(&b.curve));
    let c = train(
        &data,
        &TrainConfig {
            seed: 1,
            ..cfg.clone()
        },
    );
    assert_ne!(bits(&a.curve), bits(&c.curve));
    // Without shuffling the order is fixed, but the seed still sets the initial weights.
    let d = train(
        &data,
        &TrainConfig {
            shuffle: false,
            ..cfg.clone()
        },
    );
    let e = train(
        &data,
        &TrainConfig {
            shuffle: false,
            seed: 5,
            ..cfg
        },
    );
    assert_ne!(bits(&d.curve), bits(&e.curve));
    assert_ne!(bits(&a.curve), bits(&d.curve));
}

#[test]
fn a_blowing_up_learning_rate_is_reported_as_diverged() {
    // Raw (unscaled) values in the tens of thousands. Adam's steps are bounded by the
    // learning rate and its second moment saturates, so float32 training only turns
    // non-finite at absurd rates: 1e3 gives losses near 1e24 that are still finite.
    let values: Vec<f64> = generate(&Synthetic {
        kind: SyntheticKind::Sine,
        length: 2000,
        noise: 0.1,
        period: 40.0,
        phi: [0.0; 2],
        drift: 0.0,
        seed: 2,
        series: None,
    })
    .into_iter()
    .map(|v| 30_000.0 + 5_000.0 * v)
    .collect();
    let series = Series {
        origin: "sine".into(),
        name: "value".into(),
        values: values.into(),
        features: vec![],
    };
    let data = Dataset::build(
        &series,
        16,
        &SplitSpec {
            scale: Scale::None,
            ..SplitSpec::default()
        },
    )
    .unwrap();

    // At once: the second step's loss is infinite; nothing to keep, but no panic.
    let cfg = TrainConfig {
        learning_rate: 1e8,
        epochs: 20,
        batch_size: 32,
        ..TrainConfig::default()
    };
    let result = train(&data, &cfg);
    assert_eq!(result.status, TrialStatus::Diverged);
    assert!(
        result.message.as_deref().unwrap().contains("loss became"),
        "{:?}",
        result.message
    );
    assert!(result.curve.is_empty());
    assert_eq!(result.best_epoch, None);

    // Later: tanh saturates, the output weights grow step by step, and the loss turns NaN
    // in the second epoch; the first epoch's figures are kept.
    let cfg = TrainConfig {
        learning_rate: 1e13,
        epochs: 20,
        batch_size: 256,
        activation: Activation::Tanh,
        ..TrainConfig::default()
    };
    let result = train(&data, &cfg);
    assert_eq!(
        result.status,
        TrialStatus::Diverged,
        "{:?}",
        result.curve.last()
    );
    assert!(
        !result.curve.is_empty() && result.curve.len() < 20,
        "{} epochs kept",
        result.curve.len()
    );
    for m in &result.curve {
        assert!(
            m.train_mse.is_finite()
                && m.train_loss.is_finite()
                && m.val_mse.is_some_and(f64::is_finite)
        );
    }
    assert_eq!(
        result.best_epoch.map(|e| e <= result.curve.len()),
        Some(true)
    );
    println!(
        "diverged after {} finished epochs: {:?}",
        result.curve.len(),
        result.message
    );
}

#[test]
fn trend_accuracy_counts_matching_directions_with_ties() {
    use trendsweep::model::train::mse_and_trend_accuracy;
    // (prediction, truth, previous): up/up (match), up/down (miss), flat/flat (match), up/flat (miss).
    let samples = [
        (1.5, 2.0, 1.0),
        (1.5, 0.0, 1.0),
        (1.0, 1.0, 1.0),
        (1.2, 1.0, 1.0),
    ];
    let (mse, acc) = mse_and_trend_accuracy(samples.into_iter());
    assert!((acc - 0.5).abs() < 1e-12);
    assert!((mse - (0.25 + 2.25 + 0.0 + 0.04) / 4.0).abs() < 1e-12);
}

/// The held-out pass scores the model the figures describe: the last epoch's, or with
/// `metric_epoch = "best"` the best epoch's weights, exactly those a run stopped there has.
#[test]
fn the_test_pass_scores_the_metric_epochs_model() {
    let data = ar2_split(8, 0.15);
    // A step size that wanders, so the best epoch is not the last.
    let cfg = TrainConfig {
        n_dense: 8,
        lambda: 0.0,
        batch_size: 4,
        learning_rate: 0.05,
        seed: 3,
        epochs: 8,
        ..TrainConfig::default()
    };
    let (last, model) = trendsweep::model::train::train_with_model(&data, &cfg);
    assert_eq!(last.status, TrialStatus::Ok);
    let (mse, acc) = trendsweep::model::train::evaluate(
        &model,
        &Cpu::default(),
        &data.test,
        &data.target_scaler,
    );
    assert_eq!(last.test_mse, Some(mse));
    assert_eq!(last.test_trend_acc, Some(acc));
    assert_eq!(last.eval_predictions.len(), data.test.len());

    let best = train(
        &data,
        &TrainConfig {
            metric_epoch: trendsweep::config::MetricEpoch::Best,
            ..cfg.clone()
        },
    );
    let k = best.best_epoch.expect("a best epoch");
    assert!(
        k < cfg.epochs,
        "the best epoch should not be the last here: {k}"
    );
    assert_eq!(best.curve, last.curve, "the setting changes no training");
    let stopped = train(&data, &TrainConfig { epochs: k, ..cfg });
    assert_eq!(best.test_mse, stopped.test_mse);
    assert_eq!(best.test_trend_acc, stopped.test_trend_acc);
    assert_eq!(best.eval_predictions, stopped.eval_predictions);
    assert_ne!(best.test_mse, last.test_mse);
}

/// With one sample a batch, the penalised count is the batch size whenever there is a
/// penalty, so both ways of averaging train bit for bit the same; with larger batches they
/// differ.
#[test]
fn penalty_means_agree_at_batch_one_and_differ_above() {
    let data = ar2_dataset(4);
    let cfg = TrainConfig {
        n_dense: 4,
        lambda: 0.5,
        batch_size: 1,
        learning_rate: 1e-3,
        seed: 2,
        epochs: 2,
        ..TrainConfig::default()
    };
    let mismatched = |cfg: &TrainConfig| TrainConfig {
        penalty_mean: PenaltyMean::Mismatched,
        ..cfg.clone()
    };
    let a = train(&data, &cfg);
    let b = train(&data, &mismatched(&cfg));
    assert_eq!(a.curve, b.curve);
    let wide = TrainConfig {
        batch_size: 16,
        ..cfg
    };
    assert_ne!(
        train(&data, &wide).curve,
        train(&data, &mismatched(&wide)).curve
    );
}

/// Early stopping ends a trial after `patience` epochs without a lower validation MSE: its
/// curve is the unstopped run's, cut at that epoch, and it ends ok.
#[test]
fn patience_cuts_the_curve_where_validation_stops_improving() {
    let data = ar2_dataset(8);
    let cfg = TrainConfig {
        n_dense: 8,
        lambda: 0.0,
        batch_size: 4,
        learning_rate: 0.05,
        seed: 3,
        epochs: 25,
        ..TrainConfig::default()
    };
    let full = train(&data, &cfg);
    for patience in [1, 2, 3] {
        // Where the unstopped curve first goes `patience` epochs without a new low.
        let mut low = f64::INFINITY;
        let mut at = 0;
        let mut stop = cfg.epochs;
        for m in &full.curve {
            let v = m.val_mse.unwrap();
            if v < low {
                low = v;
                at = m.epoch;
            }
            if m.epoch - at >= patience {
                stop = m.epoch;
                break;
            }
        }
        let early = train(
            &data,
            &TrainConfig {
                patience,
                ..cfg.clone()
            },
        );
        assert_eq!(early.status, TrialStatus::Ok);
        assert_eq!(early.epochs_run(), stop, "patience {patience}");
        assert_eq!(early.curve[..], full.curve[..stop]);
        if patience == 1 {
            assert!(stop < cfg.epochs, "the example should stop early");
        }
    }
}

/// However long the evaluation split, a trial keeps its forecasts of the last
/// `MAX_EVALUATION_SAMPLES` only, the same samples `evaluation_samples` describes.
#[test]
fn forecasts_kept_for_the_tests_are_capped_at_the_last_samples() {
    use trendsweep::data::MAX_EVALUATION_SAMPLES;
    use trendsweep::model::baselines::evaluation_samples;
    let series = common::generated(SyntheticKind::Sine, 30_000, 0.1, 50.0, 4);
    let split = SplitSpec {
        val_fraction: 0.1,
        test_fraction: 0.25,
        ..SplitSpec::default()
    };
    let data = Dataset::build(&series, 4, &split).unwrap();
    assert!(data.test.len() > MAX_EVALUATION_SAMPLES);
    let cfg = TrainConfig {
        n_dense: 2,
        batch_size: 512,
        epochs: 1,
        ..TrainConfig::default()
    };
    let result = train(&data, &cfg);
    assert_eq!(result.eval_predictions.len(), MAX_EVALUATION_SAMPLES);
    let samples = evaluation_samples(&data);
    assert_eq!(samples.y_true.len(), MAX_EVALUATION_SAMPLES);
    // The last samples of the test split, in order.
    let first = data.test.len() - MAX_EVALUATION_SAMPLES;
    assert_eq!(samples.y_true[0], data.test.y_raw(first));
    assert_eq!(
        *samples.y_true.last().unwrap(),
        data.test.y_raw(data.test.len() - 1)
    );
    // The test figures still cover every test sample.
    assert!(result.test_mse.is_some());
}
