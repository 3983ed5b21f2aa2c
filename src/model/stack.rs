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
//!   `tests/stack.rs` checks widths 1 to 17 and the shapes of the benchmarks. The backward
//!   pass is an op of this module's ([`first_layer_grad`]): the kernel's gradient, summed
//!   over the batch as gemm's backward product sums it, and no gradient for the input,
//!   which nothing needs.
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
use super::loss::{self, LossSpec};
use super::{Matrix, Model};
use crate::config::{Activation, TrainConfig};
use crate::data::Split;

/// The most trials a stack holds, chosen by measurement (docs/performance.md, "Stacked
/// trials"): at batch 1 steps/s per trial grows quickly up to about this width and slowly
/// after, at batch 32 a stack of 32 runs at under half the rate of 16, and a wider stack
/// holds more trials' memory at once and balances worse over threads.
pub const MAX_STACK: usize = 16;

/// gemm computes an inner dimension of at most this many values in one block (see the
/// module notes): longer ones are split depending on the other dimensions.
const GEMM_ONE_BLOCK: usize = 512;

/// What trials must share to train in one stack: everything that fixes the initial weights
/// and the batches. Two trials with equal keys start equal and see the same samples.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
            return unsafe { chains_fma(hidden, k2, n, block, p) };
        }
        #[cfg(target_arch = "aarch64")]
        return chains(hidden, k2, n, members, block, p, f32::mul_add);
    }
    chains(hidden, k2, n, members, block, p, |a, b, c| a * b + c)
}

/// [`chains`] with `f32::mul_add` compiled to the FMA instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn chains_fma(hidden: &[f32], k2: &[f32], n: usize, block: usize, p: &mut [f32]) {
    chains(hidden, k2, n, k2.len() / block, block, p, f32::mul_add)
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
    if n >= 8 {
        // Eight rows of one member at a time, sharing its weights.
        for s in 0..members {
            let w = &k2[s * block..(s + 1) * block];
            for i0 in (0..n).step_by(8) {
                let rows = (n - i0).min(8);
                let row = |l: usize| {
                    let at = (i0 + l.min(rows - 1)) * width + s * block;
                    &hidden[at..at + block]
                };
                let group: [&[f32]; 8] = std::array::from_fn(row);
                let mut acc = [0.0f32; 8];
                for (j, &wj) in w.iter().enumerate() {
                    for l in 0..8 {
                        // SAFETY: every slice of `group` is `block` long and `j < block`.
                        let h = unsafe { *group[l].get_unchecked(j) };
                        acc[l] = mul_add(h, wj, acc[l]);
                    }
                }
                p[s * n + i0..s * n + i0 + rows].copy_from_slice(&acc[..rows]);
            }
        }
        return;
    }
    // Lane `s·n + i` is member `s`, row `i`: eight at a time, whichever members they are;
    // a last group of fewer repeats its first lane and drops the copies.
    let lanes = members * n;
    for l0 in (0..lanes).step_by(8) {
        let m = (lanes - l0).min(8);
        let lane = |l: usize| {
            let (s, i) = ((l0 + l) / n, (l0 + l) % n);
            (
                &hidden[i * width + s * block..i * width + (s + 1) * block],
                &k2[s * block..(s + 1) * block],
            )
        };
        let group: [(&[f32], &[f32]); 8] = std::array::from_fn(|l| lane(if l < m { l } else { 0 }));
        let mut acc = [0.0f32; 8];
        for j in 0..block {
            for l in 0..8 {
                // SAFETY: every slice of `group` is `block` long and `j < block`.
                let (h, w) =
                    unsafe { (*group[l].0.get_unchecked(j), *group[l].1.get_unchecked(j)) };
                acc[l] = mul_add(h, w, acc[l]);
            }
        }
        p[l0..l0 + m].copy_from_slice(&acc[..m]);
    }
}

/// Calls `$any` (an `#[inline(always)]` function) from a copy of it compiled with AVX where
/// the CPU has AVX, and as it is elsewhere.
macro_rules! with_avx {
    ($any:ident($($arg:ident: $ty:ty),* $(,)?)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx")]
            unsafe fn avx($($arg: $ty),*) {
                $any($($arg),*)
            }
            if std::is_x86_feature_detected!("avx") {
                // SAFETY: the CPU has AVX, as checked on the line above.
                return unsafe { avx($($arg),*) };
            }
        }
        $any($($arg),*)
    }};
}

/// The first layer for a batch of one row `x` (`inputs` values) and the stacked kernel `k`
/// (`inputs × width`, row-major), into `h` (`width`): each element summed over the inputs as
/// gemm's matrix-vector path sums a one-row product, in order from zero and unfused
/// (`x₀·k₀ + 0`, then `+ x₁·k₁`, …). Vectorised over the columns.
pub fn first_layer_row(x: &[f32], k: &[f32], h: &mut [f32]) {
    with_avx!(row_any(x: &[f32], k: &[f32], h: &mut [f32]))
}

#[inline(always)]
fn row_any(x: &[f32], k: &[f32], h: &mut [f32]) {
    let width = h.len();
    h.fill(0.0);
    for (&a, row) in x.iter().zip(k.chunks_exact(width)) {
        for (d, &w) in h.iter_mut().zip(row) {
            *d += a * w;
        }
    }
}

/// The first layer's kernel gradient `x^T · g` (`(inputs, width)`, row-major) for a batch
/// `x` of `rows` rows of `inputs` values and the gradient `g` of the layer's output
/// (`rows × width`). Each element is summed over the rows as gemm sums the unstacked
/// product: in order from zero, fused when there are more than two rows (gemm's kernel)
/// and unfused for one or two (its outer-product path). No gradient of `x` is computed:
/// nothing needs it.
pub fn first_layer_grad(x: &[f32], g: &[f32], rows: usize, inputs: usize, out: &mut [f32]) {
    let fused = rows > 2;
    #[cfg(target_arch = "x86_64")]
    {
        if fused && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has FMA, as checked on the line above.
            return unsafe { outer_fma(x, g, rows, inputs, out) };
        }
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, as checked on the line above.
            return unsafe { outer_avx(x, g, rows, inputs, out) };
        }
    }
    #[cfg(target_arch = "aarch64")]
    if fused {
        return outer(x, g, rows, inputs, out, f32::mul_add);
    }
    outer(x, g, rows, inputs, out, |a, b, c| a * b + c)
}

/// [`outer`] with `f32::mul_add` compiled to the FMA instruction (as gemm's kernel sums
/// on a CPU with FMA).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn outer_fma(x: &[f32], g: &[f32], rows: usize, inputs: usize, out: &mut [f32]) {
    outer(x, g, rows, inputs, out, f32::mul_add)
}

/// [`outer`] unfused (gemm's outer-product path, or its kernel without FMA), compiled for
/// 8-wide vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn outer_avx(x: &[f32], g: &[f32], rows: usize, inputs: usize, out: &mut [f32]) {
    outer(x, g, rows, inputs, out, |a, b, c| a * b + c)
}

#[inline(always)]
fn outer(
    x: &[f32],
    g: &[f32],
    rows: usize,
    inputs: usize,
    out: &mut [f32],
    mul_add: impl Fn(f32, f32, f32) -> f32 + Copy,
) {
    let width = g.len() / rows.max(1);
    // Tiles of 4 input rows (then 1 for the rest) by 16 columns, their sums held in
    // registers while the batch rows pass; each element's sum runs over the rows in
    // order, from zero.
    let full_c = width / TILE_C * TILE_C;
    let mut r0 = 0;
    while r0 < inputs {
        let step = if r0 + 4 <= inputs { 4 } else { 1 };
        for c0 in (0..full_c).step_by(TILE_C) {
            if step == 4 {
                tile::<4>(x, g, rows, inputs, width, r0, c0, out, mul_add);
            } else {
                tile::<1>(x, g, rows, inputs, width, r0, c0, out, mul_add);
            }
        }
        // The last columns, fewer than a tile.
        for r in r0..r0 + step {
            let o = &mut out[r * width + full_c..(r + 1) * width];
            o.fill(0.0);
            for (xi, gi) in x.chunks_exact(inputs).zip(g.chunks_exact(width)).take(rows) {
                for (d, &gc) in o.iter_mut().zip(&gi[full_c..]) {
                    *d = mul_add(xi[r], gc, *d);
                }
            }
        }
        r0 += step;
    }
}

const TILE_C: usize = 16;

/// One tile of [`outer`]: input rows `r0..r0 + R`, columns `c0..c0 + 16`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tile<const R: usize>(
    x: &[f32],
    g: &[f32],
    rows: usize,
    inputs: usize,
    width: usize,
    r0: usize,
    c0: usize,
    out: &mut [f32],
    mul_add: impl Fn(f32, f32, f32) -> f32,
) {
    let mut acc = [[0.0f32; TILE_C]; R];
    for (xi, gi) in x.chunks_exact(inputs).zip(g.chunks_exact(width)).take(rows) {
        let a: [f32; R] = xi[r0..r0 + R].try_into().expect("R values");
        let gi: [f32; TILE_C] = gi[c0..c0 + TILE_C].try_into().expect("a tile's values");
        for rr in 0..R {
            for c in 0..TILE_C {
                acc[rr][c] = mul_add(a[rr], gi[c], acc[rr][c]);
            }
        }
    }
    for (rr, acc) in acc.iter().enumerate() {
        out[(r0 + rr) * width + c0..(r0 + rr) * width + c0 + TILE_C].copy_from_slice(acc);
    }
}

/// The second layer's backward pass: `dL/dhidden` into `gh` (`n × members·block`, added to
/// what is there) and `dL/dk2` into `gk2` (`members × block`, from zero), from each member's
/// loss gradient `g` (`members × n`, scaled by `go`), summed as gemm sums the unstacked
/// products: a product per element for `dL/dhidden`, and for `dL/dk2` an unfused sum over
/// the rows in order.
/// What the second layer's backward pass reads.
struct SecondLayerInputs<'a> {
    g: &'a [f32],
    go: f32,
    k2: &'a [f32],
    hidden: &'a [f32],
    n: usize,
    block: usize,
}

fn second_layer_grads(inputs: &SecondLayerInputs<'_>, gh: &mut [f32], gk2: &mut [f32]) {
    with_avx!(second_layer_grads_any(
        inputs: &SecondLayerInputs<'_>,
        gh: &mut [f32],
        gk2: &mut [f32]
    ))
}

#[inline(always)]
fn second_layer_grads_any(inputs: &SecondLayerInputs<'_>, gh: &mut [f32], gk2: &mut [f32]) {
    let &SecondLayerInputs {
        g,
        go,
        k2,
        hidden,
        n,
        block,
    } = inputs;
    let members = k2.len() / block;
    let width = members * block;
    gk2.fill(0.0);
    for i in 0..n {
        let (gh_row, h_row) = (
            &mut gh[i * width..(i + 1) * width],
            &hidden[i * width..(i + 1) * width],
        );
        for s in 0..members {
            let c = go * g[s * n + i];
            let w = &k2[s * block..(s + 1) * block];
            for (d, &wj) in gh_row[s * block..(s + 1) * block].iter_mut().zip(w) {
                *d += c * wj;
            }
            let acc = &mut gk2[s * block..(s + 1) * block];
            for (d, &h) in acc.iter_mut().zip(&h_row[s * block..(s + 1) * block]) {
                *d += c * h;
            }
        }
    }
}

/// The kernels' gradients of one step, filled by the ops' backward passes on the tape.
#[derive(Default)]
struct StepGradients {
    k1: Vec<f32>,
    k2: Vec<f32>,
}

/// The weights, optimiser state and loss settings of a stack of trials, and the buffers a
/// batch is assembled in.
pub struct StackLearner {
    dev: Cpu,
    n_inputs: usize,
    /// Columns per member: `n_dense + 1` (the unit column last).
    block: usize,
    activation: Activation,
    /// `(n_inputs + 1, S·block)`: the members' first kernels side by side (a copy of
    /// Adam's values, for dfdx's product), brought up to date only when a batch of more
    /// than one row needs it (`k1_stale`).
    k1: Matrix,
    k1_stale: bool,
    /// The gradients of the last step: `k1`'s, and `(S, block)` for the second kernels
    /// (each member's second kernel and bias, a row each, as Adam's second slot holds them).
    grads: std::sync::Arc<std::sync::Mutex<StepGradients>>,
    /// Adam's state of `k1` and `k2`, and each value's learning rate.
    slots: [Slot; 2],
    lrs: [Vec<f32>; 2],
    step: i32,
    losses: Vec<LossSpec>,
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
            k1_stale: false,
            grads: Default::default(),
            dev,
            n_inputs,
            block,
            activation: models[0].activation,
            slots: [Slot::new(stacked1), Slot::new(stacked2)],
            lrs: [lr1, lr2],
            step: 0,
            losses: cfgs
                .iter()
                .map(|c| LossSpec {
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
        super::train::batch_into(split, rows, &mut self.xb, &mut self.yb, &mut self.lb);
        self.backward();
        self.step += 1;
        let (c1, c2) = corrections(self.step);
        let grads = self.grads.lock().expect("not poisoned");
        let [s1, s2] = &mut self.slots;
        s1.step_each(&grads.k1, &self.lrs[0], c1, c2);
        s2.step_each(&grads.k2, &self.lrs[1], c1, c2);
        self.k1_stale = true;
        &self.values
    }

    /// Each member's loss on a batch (`x`: rows of `n_inputs` values; targets `y`, previous
    /// values `y_last`) and its gradient in Keras's order ([`Model::unfold`]), without an
    /// update: what [`StackLearner::step`] feeds Adam.
    pub fn gradients(&mut self, x: &[f32], y: &[f32], y_last: &[f32]) -> Vec<(f32, Vec<f32>)> {
        self.xb = Model::augment(x, self.n_inputs);
        self.yb = y.to_vec();
        self.lb = y_last.to_vec();
        self.backward();
        let (block, width) = (self.block, self.members() * self.block);
        let (g1, g2) = {
            let grads = self.grads.lock().expect("not poisoned");
            (grads.k1.clone(), grads.k2.clone())
        };
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
    /// member's loss in `values`, and the gradients of the kernels in `grads` (unit
    /// columns cleared).
    fn backward(&mut self) {
        let (n_in, block, members) = (self.n_inputs, self.block, self.members());
        let width = members * block;
        let n = self.yb.len();
        let pre: Matrix = if n == 1 && n_in + 1 > 2 {
            // One row (and more than two inputs, below which gemm takes another path): gemm's
            // matrix-vector path, summed here from Adam's values directly.
            let mut h = vec![0.0f32; width];
            first_layer_row(&self.xb, &self.slots[0].value, &mut h);
            self.dev.tensor_from_vec(h, (1, width))
        } else {
            if self.k1_stale {
                self.k1.copy_from(&self.slots[0].value);
                self.k1_stale = false;
            }
            let x: Matrix = self.dev.tensor_from_vec(self.xb.clone(), (n, n_in + 1));
            x.matmul(self.k1.clone())
        };
        let (pre, mut tape) = pre.traced(Gradients::leaky()).split_tape();
        let (pre_ghost, xv, side) = (pre.clone(), self.xb.clone(), self.grads.clone());
        tape.add_backward_op(move |grads| {
            let mut side = side.lock().expect("not poisoned");
            side.k1.resize((n_in + 1) * width, 0.0);
            let g = grads.get_or_alloc_mut(&pre_ghost)?;
            first_layer_grad(&xv, g, n, n_in + 1, &mut side.k1);
            Ok(())
        });
        let hidden = pre.put_tape(tape);
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
            let value = loss::member_loss(
                self.losses[s],
                &self.p[s * n..(s + 1) * n],
                &self.yb,
                &self.lb,
                &mut self.g[s * n..(s + 1) * n],
            );
            self.values.push(value);
        }

        // Backward of the second layer, on the tape: dL/dhidden and dL/dk2, each member's
        // from its own numbers, summed as gemm sums the unstacked products (a product per
        // element for dL/dhidden; for dL/dk2 an unfused sum over the rows, in order).
        let out: Tensor<(), f32, Cpu> = self.dev.tensor(0.0);
        let (out_ghost, g, side) = (out.clone(), self.g.clone(), self.grads.clone());
        tape.add_backward_op(move |grads| {
            let go = grads.get_or_alloc_mut(&out_ghost)?[0];
            let gh = grads.get_or_alloc_mut(&hidden)?;
            let mut side = side.lock().expect("not poisoned");
            side.k2.resize(width, 0.0);
            second_layer_grads(
                &SecondLayerInputs {
                    g: &g,
                    go,
                    k2: &k2v,
                    hidden: &hv,
                    n,
                    block,
                },
                gh,
                &mut side.k2,
            );
            Ok(())
        });
        drop(out.put_tape(tape).backward());
        let mut side = self.grads.lock().expect("not poisoned");
        // Each member's unit column stays as it is (see `Model`).
        for chunk in side.k1.chunks_mut(block) {
            chunk[block - 1] = 0.0;
        }
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
        self.k1_stale = false;
    }
}
