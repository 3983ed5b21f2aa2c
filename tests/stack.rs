//! Stacked trials: a trial's numbers do not depend on its stack-mates (alone, in a stack of
//! 3 and of 16 give the same bits), members that diverge or stop early leave without
//! touching the others, and a stacked step's gradients are each member's own, checked
//! against finite differences and against the unstacked step.

mod common;

use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use trendsweep::config::{
    Activation, LossKind, MetricEpoch, PenaltyMean, Scale, SplitSpec, SyntheticKind, TrainConfig,
};
use trendsweep::data::Dataset;
use trendsweep::model::stack::{StackLearner, second_layer};
use trendsweep::model::train::{Learner, train, train_stack};
use trendsweep::model::{Model, loss};
use trendsweep::store::records::{TrialResult, TrialStatus};

fn dataset(window: usize, length: usize, folds: usize) -> Vec<Dataset> {
    let series = common::generated(SyntheticKind::Ar2, length, 1.0, 1.0, 5);
    Dataset::build_folds(
        &series,
        window,
        &SplitSpec {
            val_fraction: 0.2,
            test_fraction: 0.1,
            scale: Scale::Zscore,
            folds,
            ..SplitSpec::default()
        },
    )
    .unwrap()
}

/// A result with its timings cleared: everything else must match bit for bit.
fn numbers(mut r: TrialResult) -> TrialResult {
    r.wall_seconds = 0.0;
    r.steps_per_second = 0.0;
    r
}

/// Sixteen members that differ in everything a stack lets differ: λ, loss kind, penalty
/// mean, learning rate, metric epoch and patience.
fn members(base: &TrainConfig) -> Vec<TrainConfig> {
    let lambdas = [0.0, 0.01, 0.3, 1.0];
    let lrs = [1e-3, 3e-3, 1e-2, 3e-4];
    (0..16)
        .map(|i| TrainConfig {
            lambda: lambdas[i % 4],
            learning_rate: lrs[(i / 4) % 4],
            loss: LossKind::ALL[i % 3],
            penalty_mean: PenaltyMean::ALL[(i / 2) % 2],
            metric_epoch: if i % 5 == 0 {
                MetricEpoch::Best
            } else {
                MetricEpoch::Final
            },
            patience: if i % 7 == 3 { 1 } else { 0 },
            ..base.clone()
        })
        .collect()
}

fn assert_alone_equals_stacked(folds: &[Dataset], base: &TrainConfig) {
    let cfgs = members(base);
    let alone: Vec<TrialResult> = cfgs
        .iter()
        .map(|c| {
            let r = train_stack(folds, std::slice::from_ref(c));
            numbers(r.into_iter().next().unwrap())
        })
        .collect();
    let sixteen: Vec<TrialResult> = train_stack(folds, &cfgs).into_iter().map(numbers).collect();
    // Stacks of three, taking members from the middle, so positions change too.
    let picks = [[5, 0, 11], [15, 7, 2]];
    for pick in picks {
        let three: Vec<TrainConfig> = pick.iter().map(|&i| cfgs[i].clone()).collect();
        let got: Vec<TrialResult> = train_stack(folds, &three)
            .into_iter()
            .map(numbers)
            .collect();
        for (k, &i) in pick.iter().enumerate() {
            assert_eq!(got[k], alone[i], "{base:?}: member {i} in a stack of 3");
        }
    }
    for (i, (a, b)) in alone.iter().zip(&sixteen).enumerate() {
        assert_eq!(a, b, "{base:?}: member {i} in a stack of 16");
    }
    // The same settings alone through `train` (one fold) are the same trial.
    if folds.len() == 1 {
        assert_eq!(numbers(train(&folds[0], &cfgs[1])), alone[1]);
    }
    assert!(
        alone.iter().any(|r| r.status == TrialStatus::Ok),
        "some members train: {base:?}"
    );
}

#[test]
fn a_trial_alone_in_a_stack_of_3_and_of_16_has_the_same_bits() {
    let data = dataset(16, 700, 1);
    for (n_dense, batch, act) in [
        (32, 1, Activation::Linear),
        (32, 32, Activation::Linear),
        (8, 2, Activation::Relu),
        (3, 7, Activation::Tanh),
        (12, 64, Activation::Relu),
    ] {
        let base = TrainConfig {
            n_dense,
            batch_size: batch,
            activation: act,
            epochs: 3,
            seed: 4,
            ..TrainConfig::default()
        };
        assert_alone_equals_stacked(&data, &base);
    }
}

#[test]
fn stacking_on_folds_and_on_other_windows_keeps_the_bits() {
    for (window, n_dense, batch, folds) in [(4, 5, 3, 3), (40, 16, 16, 2), (1, 64, 5, 1)] {
        let data = dataset(window, 600, folds);
        let base = TrainConfig {
            n_dense,
            batch_size: batch,
            epochs: 2,
            seed: 9,
            shuffle: window != 1,
            ..TrainConfig::default()
        };
        assert_alone_equals_stacked(&data, &base);
    }
}

/// gemm's product, column by column, against the same columns alone: the property the
/// stacked first layer rests on, for widths 1 to 17 blocks and the batch sizes of a step.
#[test]
fn each_column_of_the_stacked_product_is_the_product_of_its_own_block() {
    let dev = Cpu::default();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for &(rows, inner, block) in &[
        (1, 17, 33),
        (32, 17, 33),
        (3, 5, 9),
        (64, 129, 13),
        (2, 2, 4),
    ] {
        let x: Vec<f32> = (0..rows * inner)
            .map(|_| rng.gen_range(-2.0..2.0))
            .collect();
        let xt: Tensor<(usize, usize), f32, Cpu> = dev.tensor_from_vec(x.clone(), (rows, inner));
        let wide: Vec<f32> = (0..inner * 17 * block)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        for members in 1..=17 {
            let width = members * block;
            let k: Vec<f32> = wide
                .chunks(17 * block)
                .flat_map(|row| &row[..width])
                .copied()
                .collect();
            let kt = dev.tensor_from_vec(k, (inner, width));
            let got = xt.clone().matmul(kt).as_vec();
            for s in 0..members {
                let own: Vec<f32> = wide
                    .chunks(17 * block)
                    .flat_map(|row| &row[s * block..(s + 1) * block])
                    .copied()
                    .collect();
                let alone = xt
                    .clone()
                    .matmul(dev.tensor_from_vec(own, (inner, block)))
                    .as_vec();
                for i in 0..rows {
                    let a = &got[i * width + s * block..i * width + (s + 1) * block];
                    let b = &alone[i * block..(i + 1) * block];
                    assert!(
                        a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits()),
                        "rows {rows}, inner {inner}, block {block}: member {s} of {members}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_diverging_member_leaves_and_the_others_do_not_notice() {
    let data = dataset(8, 800, 1);
    let base = TrainConfig {
        n_dense: 16,
        batch_size: 4,
        epochs: 4,
        seed: 2,
        lambda: 0.1,
        ..TrainConfig::default()
    };
    let wild = TrainConfig {
        learning_rate: 1e30,
        ..base.clone()
    };
    let calm = TrainConfig {
        learning_rate: 1e-3,
        ..base.clone()
    };
    let stacked: Vec<TrialResult> = train_stack(&data, &[calm.clone(), wild.clone(), base.clone()])
        .into_iter()
        .map(numbers)
        .collect();
    assert_eq!(stacked[1].status, TrialStatus::Diverged, "{:?}", stacked[1]);
    assert_eq!(
        stacked[1],
        numbers(train(&data[0], &wild)),
        "diverges the same way alone"
    );
    assert_eq!(stacked[0], numbers(train(&data[0], &calm)));
    assert_eq!(stacked[2], numbers(train(&data[0], &base)));
    assert_eq!(stacked[0].status, TrialStatus::Ok);
    assert_eq!(stacked[0].curve.len(), 4);
}

#[test]
fn an_early_stopped_member_keeps_its_weights_and_the_others_go_on() {
    let data = dataset(8, 800, 1);
    let base = TrainConfig {
        n_dense: 8,
        batch_size: 8,
        epochs: 12,
        seed: 1,
        learning_rate: 0.05,
        ..TrainConfig::default()
    };
    let stopping = TrainConfig {
        patience: 1,
        ..base.clone()
    };
    let stacked = train_stack(&data, &[stopping.clone(), base.clone()]);
    assert!(
        stacked[0].curve.len() < 12,
        "patience 1 stops early here: {} epochs",
        stacked[0].curve.len()
    );
    assert_eq!(stacked[1].curve.len(), 12);
    assert_eq!(
        numbers(stacked[0].clone()),
        numbers(train(&data[0], &stopping))
    );
    assert_eq!(numbers(stacked[1].clone()), numbers(train(&data[0], &base)));
}

/// A stacked step's gradient, member by member, against finite differences of that
/// member's own loss, and against the unstacked step's tape (the same loss, summed in
/// another order, so equal to rounding).
#[test]
fn stacked_gradients_are_each_members_own() {
    let dev = Cpu::default();
    let (n_in, h, batch) = (5, 7, 6);
    for (case, act) in Activation::ALL.into_iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(300 + case as u64);
        let cfgs: Vec<TrainConfig> = LossKind::ALL
            .into_iter()
            .flat_map(|k| PenaltyMean::ALL.map(|m| (k, m)))
            .enumerate()
            .map(|(i, (loss, penalty_mean))| TrainConfig {
                n_dense: h,
                lambda: 0.2 + 0.1 * i as f64,
                loss,
                penalty_mean,
                batch_size: batch,
                ..TrainConfig::default()
            })
            .collect();
        let models: Vec<Model> = cfgs
            .iter()
            .map(|_| {
                let mut params = Model::new(&dev, n_in, h, act, &mut rng).parameters();
                for b in &mut params[n_in * h..n_in * h + h] {
                    *b = rng.gen_range(-0.5..0.5);
                }
                params[n_in * h + 2 * h] = rng.gen_range(-0.3..0.3);
                Model::from_parameters(&dev, n_in, h, act, &params)
            })
            .collect();
        let x: Vec<f32> = (0..batch * n_in)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let y: Vec<f32> = (0..batch).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let last: Vec<f32> = (0..batch).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let mut stack = StackLearner::from_models(&cfgs, &models);
        let got = stack.gradients(&x, &y, &last);
        for (s, ((value, grad), cfg)) in got.iter().zip(&cfgs).enumerate() {
            let model = &models[s];
            let p = model.predict_rows(&dev, &x);
            let (ref_value, ref_grad_p) =
                loss::reference(cfg.loss, cfg.lambda, cfg.penalty_mean, &y, &p, &last);
            assert!(
                (*value as f64 - ref_value).abs() <= 1e-5 * (1.0 + ref_value.abs()),
                "{act:?} member {s}: value {value} vs {ref_value}"
            );
            // The penalty weight of each sample, read off the reference gradient.
            let w: Vec<f64> = (0..batch)
                .map(|i| {
                    let mse = 2.0 * (p[i] as f64 - y[i] as f64) / batch as f64;
                    let pen = (ref_grad_p[i] - mse) * batch as f64;
                    pen.abs()
                })
                .collect();
            let params: Vec<f64> = model.parameters().iter().map(|&v| v as f64).collect();
            let step = 1e-6;
            for (k, &g) in grad.iter().enumerate() {
                let (mut plus, mut minus) = (params.clone(), params.clone());
                plus[k] += step;
                minus[k] -= step;
                let fd = (common::model_loss_f64(&plus, n_in, h, act, &x, &y, &last, &w)
                    - common::model_loss_f64(&minus, n_in, h, act, &x, &y, &last, &w))
                    / (2.0 * step);
                assert!(
                    (g as f64 - fd).abs() <= 1e-4 + 1e-3 * fd.abs(),
                    "{act:?} member {s} ({:?}, {:?}) parameter {k}: stacked {g}, finite difference {fd}",
                    cfg.loss,
                    cfg.penalty_mean
                );
            }
            // The unstacked tape on the same member.
            let xt = dev.tensor_from_vec(Model::augment(&x, n_in), (batch, n_in + 1));
            let out = loss::loss(
                cfg.loss,
                cfg.lambda as f32,
                cfg.penalty_mean,
                model.forward(xt.leaky_trace()),
                &y,
                &last,
            );
            let grads = out.backward();
            let tape = model.unfold(
                &grads.get(&model.k1).as_vec(),
                &grads.get(&model.k2).as_vec(),
            );
            for (k, (a, b)) in grad.iter().zip(&tape).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                    "{act:?} member {s} parameter {k}: stacked {a}, unstacked {b}"
                );
            }
        }
    }
}

/// A stacked member and the unstacked step train the same trial to the same bits: every
/// sum is taken in the unstacked ops' order, with their roundings. Over batch sizes that
/// take each of gemm's paths (one row, two, a partial tile, full tiles), widths whose
/// hidden block has two terms or more, and every activation and loss.
#[test]
fn a_stacked_member_trains_as_the_unstacked_step_does_bit_for_bit() {
    let data = dataset(6, 500, 1);
    let train_split = &data[0].train;
    for (n_dense, batch, act, loss) in [
        (32, 1, Activation::Linear, LossKind::Trend),
        (32, 2, Activation::Tanh, LossKind::Seed),
        (1, 5, Activation::Relu, LossKind::Trend),
        (2, 3, Activation::Linear, LossKind::Mse),
        (8, 32, Activation::Relu, LossKind::Trend),
        (17, 9, Activation::Tanh, LossKind::Trend),
    ] {
        for mean in PenaltyMean::ALL {
            let cfg = TrainConfig {
                n_dense,
                batch_size: batch,
                activation: act,
                loss,
                penalty_mean: mean,
                lambda: 0.3,
                learning_rate: 3e-3,
                ..TrainConfig::default()
            };
            let mut learner = Learner::new(data[0].n_inputs, &cfg);
            let mut stack = StackLearner::new(data[0].n_inputs, &[cfg.clone(), cfg.clone()]);
            // Two epochs, so that a batch of many rows follows an epoch's last partial batch
            // (one row at batch 2): one-row batches take another path.
            let rows: Vec<u32> = (0..train_split.len() as u32)
                .rev()
                .chain(0..train_split.len() as u32)
                .collect();
            assert_eq!(
                train_split.len() % 2,
                1,
                "a last batch of one row at batch 2"
            );
            for (k, chunk) in rows
                .chunks(train_split.len())
                .flat_map(|epoch| epoch.chunks(batch))
                .enumerate()
            {
                let single = learner.step(train_split, chunk);
                let stacked = stack.step(train_split, chunk).to_vec();
                assert_eq!(
                    single.to_bits(),
                    stacked[0].to_bits(),
                    "{cfg:?}: loss at step {k}"
                );
                assert_eq!(stacked[0].to_bits(), stacked[1].to_bits());
            }
            let a = learner.model().parameters();
            let b = stack.member_model(1).parameters();
            assert!(
                a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()),
                "{cfg:?}: weights after two epochs"
            );
        }
    }
}

#[test]
fn the_second_layer_is_each_members_own_dot_product() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for (n, block, members) in [(1, 33, 3), (13, 9, 4), (2, 2, 5), (8, 1, 2)] {
        let hidden: Vec<f32> = (0..n * block * members)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let k2: Vec<f32> = (0..block * members)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let mut p = vec![0.0f32; n * members];
        second_layer(&hidden, &k2, n, block, &mut p);
        for s in 0..members {
            for i in 0..n {
                let want: f64 = (0..block)
                    .map(|j| {
                        hidden[i * block * members + s * block + j] as f64
                            * k2[s * block + j] as f64
                    })
                    .sum();
                assert!(
                    (p[s * n + i] as f64 - want).abs() < 1e-5,
                    "n {n}, block {block}: member {s}, row {i}"
                );
            }
            // The same member alone gives the same bits.
            let own: Vec<f32> = (0..n)
                .flat_map(|i| {
                    hidden[i * block * members + s * block..i * block * members + (s + 1) * block]
                        .to_vec()
                })
                .collect();
            let mut alone = vec![0.0f32; n];
            second_layer(&own, &k2[s * block..(s + 1) * block], n, block, &mut alone);
            assert_eq!(
                alone.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                p[s * n..(s + 1) * n]
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            );
        }
    }
}

/// A journal's records by trial id, with the timings (the only figures that may differ
/// between runs) taken out.
fn numbers_by_id(out: &std::path::Path) -> std::collections::BTreeMap<String, serde_json::Value> {
    common::journal_records(&out.join("journal.jsonl"))
        .into_iter()
        .map(|mut r| {
            let result = r["result"].as_object_mut().expect("a result");
            result.remove("wall_seconds");
            result.remove("steps_per_second");
            (r["trial_id"].as_str().unwrap().to_string(), r)
        })
        .collect()
}

const DATA: &str = r#"
[data]
kind = "ar2"
length = 500
noise = 1.0
seed = 2
window = 6
val_fraction = 0.2
test_fraction = 0.1
"#;

/// The same grid stacked (the default, on two threads) and with `--no-stack` on one gives
/// the same journal records, timings aside: a grid whose stacks hold several λ, learning
/// rates (one diverging), losses and patiences, and a pruned TPE search whose pruning takes
/// members out of their stacks.
#[test]
fn stacked_and_unstacked_sweeps_write_the_same_records() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = common::write(
        tmp.path(),
        "grid.toml",
        format!(
            r#"name = "stacks"
{DATA}
[train]
epochs = 5
patience = 2

[grid]
n_dense = [4, 9]
lambda = [0.0, 0.1, 1.0]
learning_rate = [1e-3, 3e-2, 1e30]
loss = ["trend", "seed"]
batch_size = [1, 16]
seed = [0, 1]
"#
        ),
    );
    let tpe = common::search_table("tpe", (12, 6), 5, 2, "startup = 6\nconfirm_seeds = 2");
    let search = common::write(
        tmp.path(),
        "search.toml",
        format!(
            r#"name = "search"
{DATA}
[train]
epochs = 9

{tpe}
[grid]
learning_rate = {{ log_uniform = [1e-3, 1e-1] }}
lambda = {{ uniform = [0.0, 1.0] }}
n_dense = [4, 8]
batch_size = [8]
seed = [0, 1]

[prune]
strategy = "asha"
min_epochs = 1
reduction_factor = 3
"#
        ),
    );
    for (file, pruned) in [(&grid, false), (&search, true)] {
        let stacked = tmp.path().join(format!("{}-stacked", file.display()));
        let alone = tmp.path().join(format!("{}-alone", file.display()));
        common::assert_ok(&common::sweep(file, &stacked, &["--threads", "2"]));
        common::assert_ok(&common::sweep(
            file,
            &alone,
            &["--threads", "1", "--no-stack"],
        ));
        let (a, b) = (numbers_by_id(&stacked), numbers_by_id(&alone));
        assert!(a.len() >= 12, "{}: {} records", file.display(), a.len());
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (id, record) in &a {
            assert_eq!(record, &b[id], "{}: trial {id}", file.display());
        }
        let statuses: Vec<&str> = a
            .values()
            .map(|r| r["result"]["status"].as_str().unwrap())
            .collect();
        if pruned {
            assert!(
                statuses.contains(&"pruned"),
                "the search prunes: {statuses:?}"
            );
        } else {
            assert!(
                statuses.contains(&"diverged"),
                "lr 1e30 diverges: {statuses:?}"
            );
            assert!(statuses.contains(&"ok"));
        }
    }
}

/// Stacks narrow to what memory holds instead of refusing a grid: sixteen trials of about
/// 4 GiB each (n_dense 1,000,000) that share a stack key plan as stacks as wide as fit, and
/// the plan's count of stacks follows from the width it names.
#[test]
fn stacks_narrow_to_fit_in_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let lambdas: Vec<String> = (0..16).map(|i| format!("{}", i as f64 / 10.0)).collect();
    let grid = common::write(
        tmp.path(),
        "huge.toml",
        format!(
            "name = \"huge\"\n{DATA}\n[train]\nepochs = 2\nn_dense = 1000000\n\n[grid]\nlambda = [{}]\n",
            lambdas.join(", ")
        ),
    );
    let out = common::bin()
        .args(["plan", grid.to_str().unwrap()])
        .output()
        .unwrap();
    common::assert_ok(&out);
    let text = common::stdout(&out);
    let line = text
        .lines()
        .find(|l| l.starts_with("stacks"))
        .unwrap_or_else(|| panic!("a stacks line: {text}"));
    let count: usize = line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':')
        .parse()
        .unwrap();
    let width: usize = text
        .split("up to ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("a width: {text}"));
    assert!((1..=16).contains(&width), "{line}");
    assert_eq!(count, 16usize.div_ceil(width), "{text}");
}
