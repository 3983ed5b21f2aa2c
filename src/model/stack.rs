//! Stacked trials: several trials that start from the same weights and see the same
//! batches in the same order, trained as one model, so that dfdx's per-op cost is paid once
//! per step for all of them.
//!
//! Trials stack when they share the input width, `n_dense`, the activation and the seed
//! (hence the same initial weights), and the batch size, shuffling, epochs and training
//! data (hence the same batches): see [`StackKey`]. They differ in λ, loss kind,
//! penalty mean and learning rate, which act only on their own parameters.
//!
//! The layout keeps each member's numbers independent of its stack-mates, bit for bit:
//! - **First layer.** The members' folded kernels (`(n_inputs + 1, n_dense + 1)` each, see
//!   [`Model`]) side by side, one `(n_inputs + 1, S·(n_dense + 1))` matrix and one dfdx
//!   product. gemm computes every output element as its own chain of multiply-adds over
//!   the inner dimension, in order, so a column's value does not depend on how many columns
//!   there are, provided the inner dimension is not split into blocks: gemm splits it only
//!   beyond 512, so the batch and the input row stay at most that long ([`max_width`]).
//!   The backward product for the kernel sums over the batch the same way. `tests/stack.rs`
//!   checks widths 1 to 17 and the shapes of the benchmarks.
//! - **Second layer.** Each member's prediction is the dot product of its own block of the
//!   hidden layer with its own `n_dense + 1` weights ([`second_layer`]), an op of this
//!   module's on dfdx's tape: a broadcast multiply and a sum, fused. Its backward pass writes
//!   each member's gradients from that member's numbers only.
//! - **Loss.** Each member's loss and its gradient are computed on the host from its own
//!   predictions ([`loss::member_loss`]).
//! - **Adam.** Element by element, with each member's learning rate on its own weights.
//!
//! Every sum is taken in the order, and with the roundings, of the unstacked step's ops
//! (gemm's kernels, dfdx's reductions), so a stacked trial's numbers are not only
//! independent of its stack-mates but the same bits as the trial trained by the unstacked
//! [`crate::model::train::Learner`]: `tests/stack.rs` checks both.
//!
//! A member that diverges, stops early or is pruned leaves the stack: its columns are
//! removed, and the others go on exactly as before, since nothing of theirs depended on it.
//! A non-finite value in one member never reaches another's numbers, as no op mixes members.

use dfdx::prelude::*;

use super::adam::{Slot, corrections};
use super::{Matrix, Model, loss};
use crate::config::{Activation, LossKind, PenaltyMean, TrainConfig};
use crate::data::Split;

/// The most trials a stack holds, chosen by measurement (docs/performance.md, "Stacked
/// trials"): at batch 1 steps/s per trial grows up to about this width and then flattens,
/// while a wider stack holds more trials' memory at once and balances worse over threads.
pub const MAX_STACK: usize = 16;

/// gemm computes an inner dimension of at most this many values in one block (see the
/// module notes): longer ones are split depending on the other dimensions.
const GEMM_ONE_BLOCK: usize = 512;

/// What trials must share to train in one stack: everything that fixes the initial weights
/// and the batches. Two trials with equal keys start equal and see the same samples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackKey {
    pub window: usize,
    pub seed: u64,
    pub n_dense: usize,
    pub activation: Activation,
    pub batch_size: usize,
    pub shuffle: bool,
    pub epochs: usize,
}

impl StackKey {
    pub fn of(window: usize, cfg: &TrainConfig) -> StackKey {
        StackKey {
            window,
            seed: cfg.seed,
            n_dense: cfg.n_dense,
            activation: cfg.activation,
            batch_size: cfg.batch_size.max(1),
            shuffle: cfg.shuffle,
            epochs: cfg.epochs,
        }
    }
}

/// The widest stack for trials of this shape, at most `limit`: 1 where a product's inner
/// dimension (the batch, or the input row with its bias) would be split by gemm, since a
/// member's numbers would then depend on the stack's width.
pub fn max_width(n_inputs: usize, batch_size: usize, limit: usize) -> usize {
    if n_inputs + 1 > GEMM_ONE_BLOCK || batch_size > GEMM_ONE_BLOCK {
        1
    } else {
        limit.max(1)
    }
}

/// One member's loss settings.
#[derive(Clone, Copy, Debug)]
struct MemberLoss {
    kind: LossKind,
    lambda: f32,
    mean: PenaltyMean,
}

/// The second layer's forward pass: `p[s·n + i]`, member `s`'s prediction for row `i`, is
/// the dot product of the member's block of hidden row `i` (`hidden` is `n` rows of
/// `members·block` values) with its weights `k2[s·block..]`.
///
/// Each dot product is summed as gemm sums the unstacked product `hidden × k2`: in order,
/// from zero, with fused multiply-adds where gemm's kernel uses them (more than one row,
/// more than two terms, and a CPU with FMA) and separate multiplies and adds where its
/// vector-matrix path does. A member's predictions are then the same bits as the unstacked
/// model's, and depend on nothing but its own numbers. Eight rows are summed side by side,
/// so the chains overlap in the pipeline.
pub fn second_layer(hidden: &[f32], k2: &[f32], n: usize, block: usize, p: &mut [f32]) {
    let members = k2.len() / block;
    if n > 1 && block > 2 {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has FMA, as checked on the line above.
            return unsafe { chains_fma(hidden, k2, n, members, block, p) };
        }
        #[cfg(target_arch = "aarch64")]
        return chains(hidden, k2, n, members, block, p, f32::mul_add);
    }
    chains(hidden, k2, n, members, block, p, |a, b, c| a * b + c)
}

/// [`chains`] with `f32::mul_add` compiled to the FMA instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn chains_fma(
    hidden: &[f32],
    k2: &[f32],
    n: usize,
    members: usize,
    block: usize,
    p: &mut [f32],
) {
    chains(hidden, k2, n, members, block, p, f32::mul_add)
}

#[inline(always)]
fn chains(
    hidden: &[f32],
    k2: &[f32],
    n: usize,
    members: usize,
    block: usize,
    p: &mut [f32],
    mul_add: impl Fn(f32, f32, f32) -> f32,
) {
    let width = members * block;
    for s in 0..members {
        let w = &k2[s * block..(s + 1) * block];
        for i0 in (0..n).step_by(8) {
            let rows = (n - i0).min(8);
            let mut acc = [0.0f32; 8];
            for (j, &wj) in w.iter().enumerate() {
                for (l, a) in acc[..rows].iter_mut().enumerate() {
                    *a = mul_add(hidden[(i0 + l) * width + s * block + j], wj, *a);
                }
            }
            p[s * n + i0..s * n + i0 + rows].copy_from_slice(&acc[..rows]);
        }
    }
}

/// The weights, optimiser state and loss settings of a stack of trials, and the buffers a
/// batch is assembled in.
pub struct StackLearner {
    dev: Cpu,
    n_inputs: usize,
    /// Columns per member: `n_dense + 1` (the unit column last).
    block: usize,
    activation: Activation,
    /// `(n_inputs + 1, S·block)`: the members' first kernels side by side.
    k1: Matrix,
    /// `(S, block)`: each member's second kernel and bias, a row each.
    k2: Matrix,
    /// Adam's state of `k1` and `k2`, and each value's learning rate.
    slots: [Slot; 2],
    lrs: [Vec<f32>; 2],
    step: i32,
    losses: Vec<MemberLoss>,
    xb: Vec<f32>,
    yb: Vec<f32>,
    lb: Vec<f32>,
    /// Predictions and loss gradients of the last step, member by member (`S × batch`).
    p: Vec<f32>,
    g: Vec<f32>,
    values: Vec<f32>,
}

impl StackLearner {
    /// A stack of `cfgs` (which must share their [`StackKey`]) on inputs `n_inputs` wide,
    /// every member starting from the weights a trial of its settings starts from.
    pub fn new(n_inputs: usize, cfgs: &[TrainConfig]) -> StackLearner {
        let first = cfgs.first().expect("a stack has at least one member");
        let model = super::train::initial_model(&Cpu::default(), n_inputs, first);
        StackLearner::from_models(cfgs, &vec![model; cfgs.len()])
    }

    /// A stack of `cfgs` (which must share their [`StackKey`]), member `s` starting from
    /// `models[s]` (all of one shape and activation).
    pub fn from_models(cfgs: &[TrainConfig], models: &[Model]) -> StackLearner {
        let first = cfgs.first().expect("a stack has at least one member");
        assert!(
            cfgs.iter()
                .all(|c| StackKey::of(0, c) == StackKey::of(0, first)),
            "stacked trials share seed, n_dense, activation, batch, shuffle and epochs"
        );
        assert_eq!(cfgs.len(), models.len());
        let dev = Cpu::default();
        let n_inputs = models[0].n_inputs();
        let block = models[0].n_dense() + 1;
        let members = cfgs.len();
        let k1s: Vec<Vec<f32>> = models.iter().map(|m| m.k1.as_vec()).collect();
        let mut stacked1 = Vec::with_capacity(k1s[0].len() * members);
        for row in 0..=n_inputs {
            for k1 in &k1s {
                stacked1.extend_from_slice(&k1[row * block..(row + 1) * block]);
            }
        }
        let stacked2: Vec<f32> = models.iter().flat_map(|m| m.k2.as_vec()).collect();
        let lr1: Vec<f32> = (0..=n_inputs)
            .flat_map(|_| cfgs.iter())
            .flat_map(|c| std::iter::repeat_n(c.learning_rate as f32, block))
            .collect();
        let lr2: Vec<f32> = cfgs
            .iter()
            .flat_map(|c| std::iter::repeat_n(c.learning_rate as f32, block))
            .collect();
        let batch = first.batch_size.max(1);
        StackLearner {
            k1: dev.tensor_from_vec(stacked1.clone(), (n_inputs + 1, members * block)),
            k2: dev.tensor_from_vec(stacked2.clone(), (members, block)),
            dev,
            n_inputs,
            block,
            activation: models[0].activation,
            slots: [Slot::new(stacked1), Slot::new(stacked2)],
            lrs: [lr1, lr2],
            step: 0,
            losses: cfgs
                .iter()
                .map(|c| MemberLoss {
                    kind: c.loss,
                    lambda: c.lambda as f32,
                    mean: c.penalty_mean,
                })
                .collect(),
            xb: Vec::with_capacity(batch * (n_inputs + 1)),
            yb: Vec::with_capacity(batch),
            lb: Vec::with_capacity(batch),
            p: Vec::new(),
            g: Vec::new(),
            values: Vec::new(),
        }
    }

    /// How many trials the stack holds now.
    pub fn members(&self) -> usize {
        self.losses.len()
    }

    /// One step of every member on the samples `rows` of `split`: each member's batch
    /// loss before the update (in stack order), then one Adam update of every member.
    pub fn step(&mut self, split: &Split, rows: &[u32]) -> &[f32] {
        self.xb.clear();
        self.yb.clear();
        self.lb.clear();
        for &i in rows {
            let i = i as usize;
            split.input_into(i, &mut self.xb);
            self.xb.push(1.0);
            self.yb.push(split.y(i));
            self.lb.push(split.y_last(i));
        }
        let mut grads = self.backward();
        self.step += 1;
        let (c1, c2) = corrections(self.step);
        let [s1, s2] = &mut self.slots;
        let g1 = grads.get_or_alloc_mut(&self.k1).expect("cpu");
        s1.step_each(g1, &self.lrs[0], c1, c2);
        let g2 = grads.get_or_alloc_mut(&self.k2).expect("cpu");
        s2.step_each(g2, &self.lrs[1], c1, c2);
        self.k1.copy_from(&s1.value);
        self.k2.copy_from(&s2.value);
        &self.values
    }

    /// Each member's loss on a batch (`x`: rows of `n_inputs` values; targets `y`, previous
    /// values `y_last`) and its gradient in Keras's order ([`Model::unfold`]), without an
    /// update: what [`StackLearner::step`] feeds Adam.
    pub fn gradients(&mut self, x: &[f32], y: &[f32], y_last: &[f32]) -> Vec<(f32, Vec<f32>)> {
        self.xb = Model::augment(x, self.n_inputs);
        self.yb = y.to_vec();
        self.lb = y_last.to_vec();
        let mut grads = self.backward();
        let (block, width) = (self.block, self.members() * self.block);
        let g1 = grads.get_or_alloc_mut(&self.k1).expect("cpu").to_vec();
        let g2 = grads.get_or_alloc_mut(&self.k2).expect("cpu").to_vec();
        (0..self.members())
            .map(|s| {
                let k1: Vec<f32> = g1
                    .chunks(width)
                    .flat_map(|row| &row[s * block..(s + 1) * block])
                    .copied()
                    .collect();
                let model = self.member_model(s);
                (
                    self.values[s],
                    model.unfold(&k1, &g2[s * block..(s + 1) * block]),
                )
            })
            .collect()
    }

    /// Forward and backward through the tape for the batch in `xb`, `yb`, `lb`: each
    /// member's loss in `values`, and the gradients of `k1` (unit columns cleared) and `k2`.
    fn backward(&mut self) -> Gradients<f32, Cpu> {
        let (n_in, block, members) = (self.n_inputs, self.block, self.members());
        let width = members * block;
        let n = self.yb.len();
        let x: Matrix = self.dev.tensor_from_vec(self.xb.clone(), (n, n_in + 1));
        let hidden = x.traced(Gradients::leaky()).matmul(self.k1.clone());
        let hidden = match self.activation {
            Activation::Linear => hidden,
            Activation::Relu => hidden.relu(),
            Activation::Tanh => hidden.tanh(),
        };
        let (hidden, mut tape) = hidden.split_tape();
        let mut hv = vec![0.0f32; n * width];
        hidden.copy_into(&mut hv);
        let k2v = self.slots[1].value.clone();

        // Forward of the second layer, and each member's loss and its gradient.
        self.p.clear();
        self.p.resize(members * n, 0.0);
        self.g.clear();
        self.g.resize(members * n, 0.0);
        self.values.clear();
        second_layer(&hv, &k2v, n, block, &mut self.p);
        for s in 0..members {
            let l = self.losses[s];
            let value = loss::member_loss(
                l.kind,
                l.lambda,
                l.mean,
                &self.p[s * n..(s + 1) * n],
                &self.yb,
                &self.lb,
                &mut self.g[s * n..(s + 1) * n],
            );
            self.values.push(value);
        }

        // Backward of the second layer, on the tape: dL/dhidden and dL/dk2, each member's
        // from its own numbers.
        let out: Tensor<(), f32, Cpu> = self.dev.tensor(self.values.iter().sum::<f32>());
        let out_ghost = out.clone();
        let k2_ghost = self.k2.clone();
        let g = self.g.clone();
        tape.add_backward_op(move |grads| {
            let go = grads.get_or_alloc_mut(&out_ghost)?[0];
            let gh = grads.get_or_alloc_mut(&hidden)?;
            for s in 0..members {
                let w = &k2v[s * block..(s + 1) * block];
                for i in 0..n {
                    let c = go * g[s * n + i];
                    let at = i * width + s * block;
                    for (d, &wj) in gh[at..at + block].iter_mut().zip(w) {
                        *d += c * wj;
                    }
                }
            }
            let gk2 = grads.get_or_alloc_mut(&k2_ghost)?;
            for s in 0..members {
                let acc = &mut gk2[s * block..(s + 1) * block];
                for i in 0..n {
                    let c = go * g[s * n + i];
                    let at = i * width + s * block;
                    for (d, &h) in acc.iter_mut().zip(&hv[at..at + block]) {
                        *d += c * h;
                    }
                }
            }
            Ok(())
        });
        let mut grads = out.put_tape(tape).backward();
        let g1 = grads.get_or_alloc_mut(&self.k1).expect("cpu");
        // Each member's unit column stays as it is (see `Model`).
        for chunk in g1.chunks_mut(block) {
            chunk[block - 1] = 0.0;
        }
        grads
    }

    /// Member `s`'s model as it stands: a copy of its weights, laid out as a trial alone.
    pub fn member_model(&self, s: usize) -> Model {
        let (block, width) = (self.block, self.members() * self.block);
        let k1: Vec<f32> = self.slots[0]
            .value
            .chunks(width)
            .flat_map(|row| &row[s * block..(s + 1) * block])
            .copied()
            .collect();
        let k2 = self.slots[1].value[s * block..(s + 1) * block].to_vec();
        Model {
            k1: self.dev.tensor_from_vec(k1, (self.n_inputs + 1, block)),
            k2: self.dev.tensor_from_vec(k2, (block, 1)),
            activation: self.activation,
        }
    }

    /// Keeps the members whose `keep` is true, in their order, and drops the others with
    /// everything of theirs: weights, moments and learning rates.
    pub fn retain(&mut self, keep: &[bool]) {
        assert_eq!(keep.len(), self.members());
        let block = self.block;
        let kept = keep.iter().filter(|&&k| k).count();
        // Both tensors are blocks of `block` values cycling through the members (a row of
        // `k1` holds one block of each; `k2` one block a member).
        let pick = |v: &[f32]| -> Vec<f32> {
            v.chunks(block)
                .zip(keep.iter().cycle())
                .filter(|(_, k)| **k)
                .flat_map(|(c, _)| c)
                .copied()
                .collect()
        };
        for i in 0..2 {
            let s = &mut self.slots[i];
            s.value = pick(&s.value);
            s.m = pick(&s.m);
            s.v = pick(&s.v);
            self.lrs[i] = pick(&self.lrs[i]);
        }
        let mut i = 0;
        self.losses.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        self.k1 = self.dev.tensor_from_vec(
            self.slots[0].value.clone(),
            (self.n_inputs + 1, kept * block),
        );
        self.k2 = self
            .dev
            .tensor_from_vec(self.slots[1].value.clone(), (kept, block));
    }
}
