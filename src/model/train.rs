//! One trial: train the model on a dataset with one configuration and measure it after
//! every epoch. A pure function of its settings and the data, so it can run on any
//! thread, in any order, in any process, and give the same numbers.

use std::ops::Range;
use std::time::Instant;

use dfdx::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::config::{LossKind, MetricEpoch, PenaltyMean, TrainConfig};
use crate::data::{Dataset, Scaler, Split};
use crate::model::records::{EpochMetrics, FoldResult, TrialResult, TrialStatus, lowest_val_mse};
use crate::model::stack::StackLearner;
use crate::model::{Adam, Model, loss};

pub use crate::seeds::derived_seed;

/// A forecast's figures on a set of samples, all in series units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub mse: f64,
    /// Mean absolute error, the numerator of MASE.
    pub mae: f64,
    pub trend_acc: f64,
    /// M4's symmetric MAPE in percent: the mean of `200·|y − p| / (|y| + |p|)`, a sample
    /// whose truth and forecast are both 0 counting as no error.
    pub smape: f64,
}

/// One sample's term of the symmetric MAPE, in percent (0 to 200).
pub fn smape_term(p: f64, y: f64) -> f64 {
    let denominator = y.abs() + p.abs();
    if denominator == 0.0 {
        0.0
    } else {
        200.0 * (y - p).abs() / denominator
    }
}

/// MSE, MAE and trend-match accuracy of predictions against targets and previous values,
/// all in series units. Direction uses `sign` with `sign(0) = 0`: a flat true move is matched
/// only by an exactly flat prediction. NaN for every figure without samples.
pub fn figures(samples: impl Iterator<Item = (f64, f64, f64)>) -> Figures {
    let (mut n, mut se, mut ae, mut matched) = (0usize, 0.0, 0.0, 0usize);
    let mut sym = 0.0;
    for (p, y, last) in samples {
        n += 1;
        se += (y - p).powi(2);
        ae += (y - p).abs();
        sym += smape_term(p, y);
        if loss::sign(p - last) == loss::sign(y - last) {
            matched += 1;
        }
    }
    if n == 0 {
        return Figures {
            mse: f64::NAN,
            mae: f64::NAN,
            trend_acc: f64::NAN,
            smape: f64::NAN,
        };
    }
    Figures {
        mse: se / n as f64,
        mae: ae / n as f64,
        trend_acc: matched as f64 / n as f64,
        smape: sym / n as f64,
    }
}

/// MSE and trend-match accuracy of [`figures`].
pub fn mse_and_trend_accuracy(samples: impl Iterator<Item = (f64, f64, f64)>) -> (f64, f64) {
    let f = figures(samples);
    (f.mse, f.trend_acc)
}

/// [`mse_and_trend_accuracy`] of the model on a split, predicting a block of rows at a time
/// so a long series never has all its windows, or all its predictions, in memory at once.
pub fn evaluate(model: &Model, dev: &Cpu, split: &Split, scaler: &Scaler) -> (f64, f64) {
    let f = evaluate_figures(model, dev, split, scaler);
    (f.mse, f.trend_acc)
}

/// [`figures`] of the model on a split (see [`evaluate`]).
pub fn evaluate_figures(model: &Model, dev: &Cpu, split: &Split, scaler: &Scaler) -> Figures {
    const ROWS: usize = 4096;
    figures((0..split.len()).step_by(ROWS).flat_map(|start| {
        let end = (start + ROWS).min(split.len());
        let pred = model.predict_rows(dev, &split.inputs(start..end));
        (start..end).zip(pred).map(|(i, p)| {
            (
                scaler.unscale(p as f64),
                split.y_raw(i),
                split.y_last_raw(i),
            )
        })
    }))
}

/// MASE: `mae` over the in-sample naive error `scale` ([`Dataset::val_scale`] or
/// [`Dataset::test_scale`]); `None` without a scale.
pub fn mase(mae: f64, scale: Option<f64>) -> Option<f64> {
    scale.map(|s| mae / s)
}

/// The model's forecasts of the samples `range` of `split`, in series units.
pub fn predictions(
    model: &Model,
    dev: &Cpu,
    split: &Split,
    range: Range<usize>,
    scaler: &Scaler,
) -> Vec<f64> {
    const ROWS: usize = 4096;
    let mut out = Vec::with_capacity(range.len());
    for start in range.clone().step_by(ROWS) {
        let end = (start + ROWS).min(range.end);
        let pred = model.predict_rows(dev, &split.inputs(start..end));
        out.extend(pred.into_iter().map(|p| scaler.unscale(p as f64)));
    }
    out
}

/// Trains one configuration. Never panics on bad numbers: a non-finite loss or weight
/// ends the trial as `diverged`, with the epochs before it kept.
pub fn train(data: &Dataset, cfg: &TrainConfig) -> TrialResult {
    train_with_model(data, cfg).0
}

/// The parts of a training step in the order it runs them, named for timing each one
/// ([`Learner::step_timed`]).
pub const STEP_PHASES: [&str; 5] = [
    "batch to tensors",
    "forward",
    "loss",
    "backward",
    "Adam update",
];

/// The samples `rows` of `split` as a step takes them: their inputs, each row followed by a
/// 1 (the folded bias, see [`Model`]), into `x`; their targets into `y`, and the previous
/// values into `y_last`.
pub fn batch_into(
    split: &Split,
    rows: &[u32],
    x: &mut Vec<f32>,
    y: &mut Vec<f32>,
    y_last: &mut Vec<f32>,
) {
    x.clear();
    y.clear();
    y_last.clear();
    for &i in rows {
        let i = i as usize;
        split.input_into(i, x);
        x.push(1.0);
        y.push(split.y(i));
        y_last.push(split.y_last(i));
    }
}

/// The weights a trial with `cfg` starts from on inputs `n_inputs` wide: drawn from
/// (seed, input width, n_dense), so trials that differ in λ, loss or learning rate start
/// equal.
pub fn initial_model(dev: &Cpu, n_inputs: usize, cfg: &TrainConfig) -> Model {
    let mut init_rng =
        ChaCha8Rng::seed_from_u64(derived_seed(&[&"init", &cfg.seed, &n_inputs, &cfg.n_dense]));
    Model::new(dev, n_inputs, cfg.n_dense, cfg.activation, &mut init_rng)
}

/// One trial's model and optimiser alone, unstacked: the step as it was before trials were
/// stacked ([`StackLearner`] trains them now). The benchmarks time it beside the stacked
/// step, and the tests check a stacked member against it.
pub struct Learner {
    dev: Cpu,
    model: Model,
    adam: Adam,
    loss: LossKind,
    lambda: f32,
    penalty_mean: PenaltyMean,
    xb: Vec<f32>,
    yb: Vec<f32>,
    lb: Vec<f32>,
}

impl Learner {
    /// The starting point of a trial with `cfg` on inputs `n_inputs` wide: weights drawn
    /// from (seed, input width, n_dense), and an optimiser with no steps taken.
    pub fn new(n_inputs: usize, cfg: &TrainConfig) -> Learner {
        let dev = Cpu::default();
        let model = initial_model(&dev, n_inputs, cfg);
        let adam = Adam::new(&model, cfg.learning_rate);
        let batch = cfg.batch_size.max(1);
        Learner {
            dev,
            model,
            adam,
            loss: cfg.loss,
            lambda: cfg.lambda as f32,
            penalty_mean: cfg.penalty_mean,
            xb: Vec::with_capacity(batch * (n_inputs + 1)),
            yb: Vec::with_capacity(batch),
            lb: Vec::with_capacity(batch),
        }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// One step on the samples `rows` of `split`: the batch's loss, then one update of
    /// the weights. Returns the loss before the update.
    pub fn step(&mut self, split: &Split, rows: &[u32]) -> f32 {
        self.step_timed(split, rows, |_| {})
    }

    /// As [`Learner::step`], calling `lap(i)` as phase `i` of [`STEP_PHASES`] ends.
    pub fn step_timed(&mut self, split: &Split, rows: &[u32], mut lap: impl FnMut(usize)) -> f32 {
        let n_in = self.model.n_inputs();
        batch_into(split, rows, &mut self.xb, &mut self.yb, &mut self.lb);
        let x = self
            .dev
            .tensor_from_vec(self.xb.clone(), (rows.len(), n_in + 1));
        lap(0);
        let p = self.model.forward(self.adam.trace(x));
        lap(1);
        let l = loss::loss(
            self.loss,
            self.lambda,
            self.penalty_mean,
            p,
            &self.yb,
            &self.lb,
        );
        let value = l.value();
        lap(2);
        let grads = l.backward();
        lap(3);
        self.adam.update(&mut self.model, grads);
        lap(4);
        value
    }
}

/// As [`train`], also returning the final model (for tests and benchmarks).
pub fn train_with_model(data: &Dataset, cfg: &TrainConfig) -> (TrialResult, Model) {
    let mut run = StackRun::new(data, std::slice::from_ref(cfg));
    run.advance(data, cfg.epochs);
    run.finish(data, false).pop().expect("one member")
}

/// One trial's state in a stack, apart from the weights the stack holds.
#[derive(Clone)]
struct Member {
    cfg: TrainConfig,
    curve: Vec<EpochMetrics>,
    status: TrialStatus,
    message: Option<String>,
    /// No further epoch will run: the last epoch is done, or it diverged, or it stopped early.
    ended: bool,
    steps: u64,
    step_seconds: f64,
    wall_seconds: f64,
    /// The lowest finite validation MSE so far and its epoch (the first, on a tie): the best
    /// epoch, and what early stopping measures from.
    lowest: Option<(f64, usize)>,
    /// With `metric_epoch = "best"`, that epoch's weights, for the test pass.
    best_model: Option<Model>,
    /// The weights it ended with, once it has left the stack.
    final_model: Option<Model>,
    /// Taken out of the stack by [`StackRun::take`] (a search's pruning): it trains no more.
    taken: bool,
}

impl Member {
    fn diverged(&mut self, message: String) {
        self.status = TrialStatus::Diverged;
        self.message = Some(message);
        self.ended = true;
    }
}

/// Trials stacked on one dataset (see [`crate::model::stack`]), part-way through training,
/// so that a search can train them to one epoch, decide, and go on:
/// [`StackRun::advance`] trains up to an epoch, [`StackRun::finish`] ends them. Training in
/// parts runs exactly the steps training in one go runs, and a member's numbers do not
/// depend on its stack-mates, so they are the same bit for bit however the trial is run.
pub struct StackRun {
    learner: StackLearner,
    /// Which member each of the learner's stacked models is, in stack order.
    active: Vec<usize>,
    members: Vec<Member>,
    order_rng: ChaCha8Rng,
    order: Vec<u32>,
    /// Epochs the stack has trained.
    done: usize,
}

impl StackRun {
    /// Trials `cfgs` (sharing a [`crate::model::stack::StackKey`]) with no epoch trained yet.
    pub fn new(data: &Dataset, cfgs: &[TrainConfig]) -> StackRun {
        let started = Instant::now();
        let learner = StackLearner::new(data.n_inputs, cfgs);
        let order_rng = ChaCha8Rng::seed_from_u64(derived_seed(&[&"order", &cfgs[0].seed]));
        // u32 halves the one per-sample array a stack holds; shuffling draws the same
        // positions whatever the element type, so the order is that of a usize index.
        let n32 = u32::try_from(data.train.len()).expect("fewer than 2^32 training samples");
        let wall = started.elapsed().as_secs_f64() / cfgs.len() as f64;
        let members: Vec<Member> = cfgs
            .iter()
            .map(|cfg| Member {
                cfg: cfg.clone(),
                curve: Vec::with_capacity(cfg.epochs),
                status: TrialStatus::Ok,
                message: None,
                ended: cfg.epochs == 0,
                steps: 0,
                step_seconds: 0.0,
                wall_seconds: wall,
                lowest: None,
                best_model: None,
                final_model: None,
                taken: false,
            })
            .collect();
        let mut run = StackRun {
            learner,
            active: (0..cfgs.len()).collect(),
            members,
            order_rng,
            order: (0..n32).collect(),
            done: 0,
        };
        run.leave();
        run
    }

    /// How many trials the stack started with.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Member `m`'s epochs trained so far, with their figures.
    pub fn curve(&self, m: usize) -> &[EpochMetrics] {
        &self.members[m].curve
    }

    /// Whether no further epoch will run for member `m`.
    pub fn member_ended(&self, m: usize) -> bool {
        self.members[m].ended
    }

    /// Whether no further epoch will run for any member.
    pub fn ended(&self) -> bool {
        self.active.is_empty()
    }

    /// Trains epochs until `epoch` (1-based, inclusive) has been trained, or every member
    /// has ended first (its last epoch, divergence, early stopping).
    pub fn advance(&mut self, data: &Dataset, epoch: usize) {
        while !self.active.is_empty() && self.done < epoch {
            let started = Instant::now();
            let active = self.active.clone();
            self.epoch(data);
            let share = started.elapsed().as_secs_f64() / active.len() as f64;
            for m in active {
                self.members[m].wall_seconds += share;
            }
        }
    }

    /// Takes the members that have ended out of the stack, keeping their final weights.
    fn leave(&mut self) {
        let keep: Vec<bool> = self
            .active
            .iter()
            .map(|&m| !self.members[m].ended && !self.members[m].taken)
            .collect();
        if keep.iter().all(|&k| k) {
            return;
        }
        for (k, &m) in self.active.iter().enumerate() {
            if !keep[k] && self.members[m].final_model.is_none() {
                self.members[m].final_model = Some(self.learner.member_model(k));
            }
        }
        if keep.iter().any(|&k| k) {
            self.learner.retain(&keep);
        }
        let mut k = 0;
        self.active.retain(|_| {
            k += 1;
            keep[k - 1]
        });
    }

    fn epoch(&mut self, data: &Dataset) {
        let epoch = self.done + 1;
        self.done = epoch;
        let first = &self.members[self.active[0]].cfg;
        let train = &data.train;
        let batch = first.batch_size.max(1);
        if first.shuffle {
            self.order.shuffle(&mut self.order_rng);
        }
        let epoch_start = Instant::now();
        let mut loss_sums = vec![0.0f64; self.active.len()];
        let mut batches = 0usize;
        let order = std::mem::take(&mut self.order);
        for chunk in order.chunks(batch) {
            let values = self.learner.step(train, chunk);
            let mut left = false;
            for (k, &m) in self.active.iter().enumerate() {
                let member = &mut self.members[m];
                member.steps += 1;
                let value = values[k];
                if value.is_finite() {
                    loss_sums[k] += value as f64;
                } else {
                    member.diverged(format!(
                        "loss became {value} at epoch {epoch}, step {}",
                        member.steps
                    ));
                    left = true;
                }
            }
            batches += 1;
            if left {
                let still: Vec<bool> = self
                    .active
                    .iter()
                    .map(|&m| !self.members[m].ended)
                    .collect();
                let mut k = 0;
                loss_sums.retain(|_| {
                    k += 1;
                    still[k - 1]
                });
                self.leave();
                if self.active.is_empty() {
                    break;
                }
            }
        }
        self.order = order;
        let share = epoch_start.elapsed().as_secs_f64() / self.active.len().max(1) as f64;
        for (k, &m) in self.active.iter().enumerate() {
            let model = self.learner.member_model(k);
            let member = &mut self.members[m];
            member.step_seconds += share;
            member_epoch(
                member,
                model,
                data,
                epoch,
                loss_sums[k] / batches.max(1) as f64,
            );
        }
        self.leave();
    }

    /// Ends every member: as it stands, or with `pruned` as stopped by a search's pruning
    /// (no held-out pass then: a pruned trial is never chosen). Returns each member's result
    /// and final model, in member order.
    pub fn finish(mut self, data: &Dataset, pruned: bool) -> Vec<(TrialResult, Model)> {
        (0..self.members.len())
            .map(|m| self.take(m, data, pruned))
            .collect()
    }

    /// Ends member `m` (see [`StackRun::finish`]) and takes it out of the stack; the others
    /// train on as before. A member is taken once.
    pub fn take(&mut self, m: usize, data: &Dataset, pruned: bool) -> (TrialResult, Model) {
        assert!(!self.members[m].taken, "member {m} was taken already");
        self.members[m].taken = true;
        self.leave();
        finish_member(self.members[m].clone(), data, pruned)
    }
}

/// The end of an epoch for one member, with its weights `model` after the epoch's last
/// step: its figures, its best epoch, and whether it ends here.
fn member_epoch(member: &mut Member, model: Model, data: &Dataset, epoch: usize, train_loss: f64) {
    let dev = &model.k1.device().clone();
    let train = &data.train;
    if !model.is_finite() {
        member.diverged(format!("a weight became non-finite during epoch {epoch}"));
        return;
    }
    let (train_mse, _) = evaluate(&model, dev, train, &data.target_scaler);
    // No validation samples (val_fraction = 0): no validation figures, rather than NaN.
    let val = (!data.val.is_empty())
        .then(|| evaluate_figures(&model, dev, &data.val, &data.target_scaler));
    if !train_mse.is_finite() {
        member.diverged(format!(
            "training predictions became non-finite at epoch {epoch}"
        ));
        return;
    }
    if let Some(v) = val.map(|v| v.mse).filter(|v| v.is_finite())
        && member.lowest.is_none_or(|(b, _)| v < b)
    {
        member.lowest = Some((v, epoch));
        if member.cfg.metric_epoch == MetricEpoch::Best {
            member.best_model = Some(model.snapshot(dev));
        }
    }
    member.curve.push(EpochMetrics {
        epoch,
        train_loss,
        train_mse,
        val_mse: val.map(|v| v.mse),
        val_trend_acc: val.map(|v| v.trend_acc),
        val_mase: val.and_then(|v| mase(v.mae, data.val_scale)),
        val_smape: val.map(|v| v.smape).filter(|v| v.is_finite()),
    });
    // Early stopping: no improvement for `patience` epochs. The trial ends ok; its
    // `epochs_run` and `best_epoch` say where it stopped and why.
    let cfg = &member.cfg;
    let stalled = cfg.patience > 0
        && member
            .lowest
            .is_some_and(|(_, at)| epoch - at >= cfg.patience);
    if stalled || epoch >= cfg.epochs {
        member.ended = true;
        member.final_model = Some(model);
    }
}

/// One member's result and final model (see [`StackRun::finish`]).
fn finish_member(mut member: Member, data: &Dataset, pruned: bool) -> (TrialResult, Model) {
    let started = Instant::now();
    if pruned && member.status == TrialStatus::Ok && !member.ended {
        member.status = TrialStatus::Pruned;
        member.message = Some(format!("pruned after epoch {}", member.curve.len()));
    }
    let last = member.final_model.take().expect("a member's final weights");
    // Chosen by validation only: without a validation split there is no best epoch.
    let best_epoch = member.lowest.map(|(_, epoch)| epoch);
    // The held-out pass, once, with the model the figures describe: selection never
    // sees it.
    let (mut test, mut eval_predictions) = (None, Vec::new());
    if member.status == TrialStatus::Ok {
        let model = member.best_model.as_ref().unwrap_or(&last);
        let dev = &model.k1.device().clone();
        let scaler = &data.target_scaler;
        if !data.test.is_empty() {
            test = Some(evaluate_figures(model, dev, &data.test, scaler));
        }
        eval_predictions = predictions(
            model,
            dev,
            data.evaluation_split(),
            data.evaluation_range(),
            scaler,
        );
    }
    let result = TrialResult {
        status: member.status,
        message: member.message,
        curve: member.curve,
        best_epoch,
        test_mse: test.map(|t| t.mse),
        test_trend_acc: test.map(|t| t.trend_acc),
        test_mase: test.and_then(|t| mase(t.mae, data.test_scale)),
        test_smape: test.map(|t| t.smape).filter(|v| v.is_finite()),
        eval_predictions,
        folds: Vec::new(),
        wall_seconds: member.wall_seconds + started.elapsed().as_secs_f64(),
        steps: member.steps,
        steps_per_second: if member.step_seconds > 0.0 {
            member.steps as f64 / member.step_seconds
        } else {
            0.0
        },
    };
    (result, last)
}

/// Trials on rolling-origin folds: one [`StackRun`] per fold, trained in lockstep, so a
/// search's rung sees every fold at the same epoch. With one fold it is that fold's run and
/// a trial's result is exactly [`train`]'s.
pub struct FoldedRun {
    runs: Vec<StackRun>,
}

impl FoldedRun {
    /// Trials `cfgs`, stacked (they share a [`crate::model::stack::StackKey`]).
    pub fn stacked(folds: &[Dataset], cfgs: &[TrainConfig]) -> FoldedRun {
        FoldedRun {
            runs: folds.iter().map(|d| StackRun::new(d, cfgs)).collect(),
        }
    }

    /// Trains every fold until `epoch`, or until the fold ends. Each fold trains on even
    /// when another has diverged, so every fold's curve is the same whichever epochs the
    /// trial was advanced to on the way (a search's rungs, or none).
    pub fn advance(&mut self, folds: &[Dataset], epoch: usize) {
        for (run, data) in self.runs.iter_mut().zip(folds) {
            run.advance(data, epoch);
        }
    }

    /// Whether no further epoch will run in any fold for trial `m`.
    pub fn member_ended(&self, m: usize) -> bool {
        self.runs.iter().all(|r| r.member_ended(m))
    }

    /// The curve that stands for trial `m`: its only fold's, or the epoch-by-epoch mean over
    /// the folds for the epochs every fold has trained.
    pub fn curve_of(&self, m: usize) -> Vec<EpochMetrics> {
        let curves: Vec<&[EpochMetrics]> = self.runs.iter().map(|r| r.curve(m)).collect();
        mean_curve(&curves)
    }

    /// Ends trial `m` in every fold and takes it out of the stacks (see [`StackRun::take`]);
    /// its folds combined are its result.
    pub fn take(&mut self, m: usize, folds: &[Dataset], pruned: bool) -> TrialResult {
        let mut results: Vec<TrialResult> = self
            .runs
            .iter_mut()
            .zip(folds)
            .map(|(run, data)| run.take(m, data, pruned).0)
            .collect();
        if results.len() == 1 {
            results.pop().expect("one fold")
        } else {
            combine_folds(results)
        }
    }

    /// Ends every fold of every trial and combines each trial's folds, in trial order.
    pub fn finish_all(mut self, folds: &[Dataset], pruned: bool) -> Vec<TrialResult> {
        let members = self.runs.first().map_or(0, StackRun::len);
        (0..members).map(|m| self.take(m, folds, pruned)).collect()
    }
}

/// The epoch-by-epoch mean of several folds' curves, over the epochs all of them reached.
/// A validation figure is the mean only where every fold has one.
pub fn mean_curve(curves: &[&[EpochMetrics]]) -> Vec<EpochMetrics> {
    if let [only] = curves {
        return only.to_vec();
    }
    let epochs = curves.iter().map(|c| c.len()).min().unwrap_or(0);
    let n = curves.len() as f64;
    (0..epochs)
        .map(|i| {
            let mean =
                |f: &dyn Fn(&EpochMetrics) -> f64| curves.iter().map(|c| f(&c[i])).sum::<f64>() / n;
            let mean_opt = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| {
                curves
                    .iter()
                    .map(|c| f(&c[i]))
                    .collect::<Option<Vec<f64>>>()
                    .map(|v| v.iter().sum::<f64>() / n)
            };
            EpochMetrics {
                epoch: i + 1,
                train_loss: mean(&|m| m.train_loss),
                train_mse: mean(&|m| m.train_mse),
                val_mse: mean_opt(&|m| m.val_mse),
                val_trend_acc: mean_opt(&|m| m.val_trend_acc),
                val_mase: mean_opt(&|m| m.val_mase),
                val_smape: mean_opt(&|m| m.val_smape),
            }
        })
        .collect()
}

/// One trial's result from its folds' results (see [`TrialResult::folds`]).
fn combine_folds(results: Vec<TrialResult>) -> TrialResult {
    let curves: Vec<&[EpochMetrics]> = results.iter().map(|r| r.curve.as_slice()).collect();
    let curve = mean_curve(&curves);
    let best_epoch = lowest_val_mse(&curve).map(|m| m.epoch);
    let (status, message) = results
        .iter()
        .enumerate()
        .find(|(_, r)| r.status != TrialStatus::Ok)
        .map_or((TrialStatus::Ok, None), |(k, r)| {
            (
                r.status,
                r.message.as_ref().map(|m| format!("fold {k}: {m}")),
            )
        });
    let steps: u64 = results.iter().map(|r| r.steps).sum();
    let step_seconds: f64 = results
        .iter()
        .filter(|r| r.steps_per_second > 0.0)
        .map(|r| r.steps as f64 / r.steps_per_second)
        .sum();
    let last = results.last().expect("at least two folds");
    let (test_mse, test_trend_acc, test_mase, test_smape) = if status == TrialStatus::Ok {
        (
            last.test_mse,
            last.test_trend_acc,
            last.test_mase,
            last.test_smape,
        )
    } else {
        (None, None, None, None)
    };
    let eval_predictions = if status == TrialStatus::Ok {
        last.eval_predictions.clone()
    } else {
        Vec::new()
    };
    TrialResult {
        status,
        message,
        best_epoch,
        test_mse,
        test_trend_acc,
        test_mase,
        test_smape,
        eval_predictions,
        wall_seconds: results.iter().map(|r| r.wall_seconds).sum(),
        steps,
        steps_per_second: if step_seconds > 0.0 {
            steps as f64 / step_seconds
        } else {
            0.0
        },
        folds: results
            .iter()
            .enumerate()
            .map(|(fold, r)| FoldResult {
                fold,
                status: r.status,
                message: r.message.clone(),
                curve: r.curve.clone(),
                best_epoch: r.best_epoch,
            })
            .collect(),
        curve,
    }
}

/// Trains trials `cfgs` stacked (they share a [`crate::model::stack::StackKey`]) on every
/// fold of `folds`; each result is what the trial gives alone (with one fold, [`train`]'s).
pub fn train_stack(folds: &[Dataset], cfgs: &[TrainConfig]) -> Vec<TrialResult> {
    let mut run = FoldedRun::stacked(folds, cfgs);
    run.advance(folds, cfgs.iter().map(|c| c.epochs).max().unwrap_or(0));
    run.finish_all(folds, false)
}
