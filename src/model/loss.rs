//! The trend loss. Per sample: `(y − p)² + λ·|p − y_last|·mask`, averaged over the batch.
//! `trend` masks where the predicted direction differs from the true one (the intent),
//! `seed` where it agrees (what the original code computes), `mse` has no penalty.
//! The mask is data, not a function to differentiate: it carries no gradient.

use dfdx::prelude::*;

use super::{Matrix, Taped};
use crate::config::{LossKind, PenaltyMean};

/// Direction of a change: 1, −1, or 0 for no change (so a zero trend matches only a zero trend).
pub fn sign<F: Into<f64>>(v: F) -> i8 {
    let v = v.into();
    if v > 0.0 {
        1
    } else if v < 0.0 {
        -1
    } else {
        0
    }
}

/// Whether sample `i` pays the penalty under `kind`.
fn penalised(kind: LossKind, y: f32, p: f32, y_last: f32) -> bool {
    let same = sign(y - y_last) == sign(p - y_last);
    match kind {
        LossKind::Trend => !same,
        LossKind::Seed => same,
        LossKind::Mse => false,
    }
}

/// A loss's settings: which mask, the penalty's weight λ and what its sum is divided by.
#[derive(Clone, Copy, Debug)]
pub struct LossSpec {
    pub kind: LossKind,
    pub lambda: f32,
    pub mean: PenaltyMean,
}

/// One batch's loss: a tensor on the tape, which carries every gradient, and a constant
/// added on the host, which carries none.
pub struct BatchLoss {
    pub taped: Tensor<(), f32, Cpu, Taped>,
    pub offset: f32,
}

impl BatchLoss {
    /// The loss's value.
    pub fn value(&self) -> f32 {
        self.taped.array() + self.offset
    }

    /// Runs the tape backwards: the gradients of the loss.
    pub fn backward(self) -> Gradients<f32, Cpu> {
        self.taped.backward()
    }
}

/// The batch loss for predictions `p` (`(batch, 1)`, as the model's second layer gives
/// them) and the batch's targets and previous values (plain slices: the mask is computed
/// from them on the host).
///
/// The penalty is put in a form that uses `p` once. With the mask and the sign of
/// `p − y_last` known at the current `p`, `λ·mask·|p − y_last|` is `c·(p − y_last)` with
/// `c = λ·mask·sign(p − y_last)`, the same value and the same gradient `c` (0 where
/// `p = y_last`, as `d|x|/dx` is taken at 0). Completing the square,
/// `(y − p)² + c·(p − y_last) = (p − a)² + k` with `a = y − c/2` and
/// `k = c·(y − y_last) − c²/4`, so the loss is `mean((p − a)²) + mean(k)`: three ops on the
/// tape instead of eight, no split tape, and `mean(k)`, which has no gradient, added on the
/// host. The golden file and the finite-difference tests check it against the direct form.
///
/// With `PenaltyMean::Mismatched` the penalty's sum is divided by the number `m` of
/// penalised samples instead of the batch size `n`: the same as weighing each penalised
/// sample by `λ·n/m` inside the batch mean. `Batch` leaves λ exactly as it was.
pub fn loss(
    kind: LossKind,
    lambda: f32,
    mean: PenaltyMean,
    p: Matrix<Taped>,
    y: &[f32],
    y_last: &[f32],
) -> BatchLoss {
    let n = p.shape().0;
    let dev = p.device().clone();
    if kind == LossKind::Mse || lambda == 0.0 {
        let y_t: Matrix = dev.tensor_from_vec(y.to_vec(), (n, 1));
        return BatchLoss {
            taped: (p - y_t).square().mean(),
            offset: 0.0,
        };
    }
    let (centre, offset) =
        centre_and_offset(LossSpec { kind, lambda, mean }, &p.as_vec(), y, y_last);
    let centre: Matrix = dev.tensor_from_vec(centre, (n, 1));
    BatchLoss {
        taped: (p - centre).square().mean(),
        offset,
    }
}

/// The completed square of [`loss`]: per sample the centre `a = y − c/2`, and the batch
/// mean of the constant `k = c·(y − y_last) − c²/4`, for predictions `p` (at which the mask
/// and the sign of `p − y_last` are taken). `λ = 0` or `mse` give `a = y`, `k = 0`.
fn centre_and_offset(spec: LossSpec, p: &[f32], y: &[f32], y_last: &[f32]) -> (Vec<f32>, f32) {
    let LossSpec { kind, lambda, mean } = spec;
    let n = p.len();
    if kind == LossKind::Mse || lambda == 0.0 {
        return (y[..n].to_vec(), 0.0);
    }
    let lambda = match mean {
        PenaltyMean::Batch => lambda,
        PenaltyMean::Mismatched => {
            let m = (0..n)
                .filter(|&i| penalised(kind, y[i], p[i], y_last[i]))
                .count();
            if m == 0 {
                lambda
            } else {
                lambda * n as f32 / m as f32
            }
        }
    };
    let mut centre = Vec::with_capacity(n);
    let mut offset = 0.0f64;
    for i in 0..n {
        let c = if penalised(kind, y[i], p[i], y_last[i]) {
            lambda * sign(p[i] - y_last[i]) as f32
        } else {
            0.0
        };
        centre.push(y[i] - c / 2.0);
        let c = c as f64;
        offset += c * (y[i] as f64 - y_last[i] as f64) - c * c / 4.0;
    }
    (centre, (offset / n as f64) as f32)
}

/// One stacked member's batch loss, computed on the host: its value, and its gradient with
/// respect to the member's predictions `p` written to `grad`. The arithmetic is that of
/// dfdx's ops in [`loss`], operation for operation (an f32 sum of the squares in order,
/// times `1/n`; the gradient `(d + d)·(1/n)`), so the numbers are the same bits as the
/// unstacked step's, and a function of the member's own numbers whatever stack it is in.
pub fn member_loss(spec: LossSpec, p: &[f32], y: &[f32], y_last: &[f32], grad: &mut [f32]) -> f32 {
    let n = p.len();
    let (centre, offset) = centre_and_offset(spec, p, y, y_last);
    // dfdx's mean: the sum times 1/n, rounded from f64.
    let inv = (1.0 / n as f64) as f32;
    let mut squares = 0.0f32;
    for i in 0..n {
        let d = p[i] - centre[i];
        squares += d * d;
        grad[i] = (d + d) * inv;
    }
    squares * inv + offset
}

/// Plain f64 value and gradient with respect to `p` of the batch loss, for checking a
/// number by hand. The mask is computed in f32, as the training step computes it.
pub fn reference(
    kind: LossKind,
    lambda: f64,
    mean: PenaltyMean,
    y: &[f32],
    p: &[f32],
    y_last: &[f32],
) -> (f64, Vec<f64>) {
    let n = y.len() as f64;
    // The penalty's divisor: the batch, or the penalised samples (the sum over none is 0).
    let m = (0..y.len())
        .filter(|&i| penalised(kind, y[i], p[i], y_last[i]))
        .count()
        .max(1) as f64;
    let lambda = match mean {
        PenaltyMean::Batch => lambda,
        PenaltyMean::Mismatched => lambda * n / m,
    };
    let mut value = 0.0;
    let mut grad = Vec::with_capacity(y.len());
    for i in 0..y.len() {
        let (yi, pi, li) = (y[i] as f64, p[i] as f64, y_last[i] as f64);
        let mut g = 2.0 * (pi - yi);
        value += (yi - pi).powi(2);
        if penalised(kind, y[i], p[i], y_last[i]) {
            value += lambda * (pi - li).abs();
            g += lambda * sign(pi - li) as f64;
        }
        grad.push(g / n);
    }
    (value / n, grad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_of_zero_is_zero() {
        assert_eq!(sign(0.0f32), 0);
        assert_eq!(sign(-0.0f32), 0);
        assert_eq!(sign(2.5f32), 1);
        assert_eq!(sign(-1e-30f64), -1);
    }

    #[test]
    fn trend_penalises_the_wrong_direction_and_seed_the_right_one() {
        // y rises from 1 to 2; p = 0.5 falls: wrong direction.
        let (y, p, l) = ([2.0f32], [0.5f32], [1.0f32]);
        let b = PenaltyMean::Batch;
        let (trend, _) = reference(LossKind::Trend, 0.1, b, &y, &p, &l);
        let (seed, _) = reference(LossKind::Seed, 0.1, b, &y, &p, &l);
        let (mse, _) = reference(LossKind::Mse, 0.1, b, &y, &p, &l);
        assert!((mse - 2.25).abs() < 1e-12);
        assert!((trend - (2.25 + 0.1 * 0.5)).abs() < 1e-12);
        assert!((seed - 2.25).abs() < 1e-12);
    }

    #[test]
    fn dfdx_loss_matches_reference_on_a_small_batch() {
        let dev = Cpu::default();
        let y = [1.0f32, -0.5, 0.3, 0.3];
        let p = [0.2f32, -0.1, 0.9, 0.1];
        let l = [0.5f32, 0.0, 0.3, 0.3];
        for kind in LossKind::ALL {
            for mean in PenaltyMean::ALL {
                let pt: Matrix = dev.tensor_from_vec(p.to_vec(), (4, 1));
                let out = loss(kind, 0.7, mean, pt.leaky_trace(), &y, &l);
                let value = out.value() as f64;
                let grads = out.backward();
                let g = grads.get(&pt).as_vec();
                let (rv, rg) = reference(kind, 0.7, mean, &y, &p, &l);
                assert!(
                    (value - rv).abs() < 1e-6,
                    "{kind:?} {mean:?}: {value} vs {rv}"
                );
                for (a, b) in g.iter().zip(&rg) {
                    assert!(
                        (*a as f64 - b).abs() < 1e-6,
                        "{kind:?} {mean:?}: {g:?} vs {rg:?}"
                    );
                }
            }
        }
    }

    /// A batch of four with one wrong direction: the batch mean weighs its penalty 1/4, the
    /// mismatched mean 1/1. Worked by hand.
    #[test]
    fn the_mismatched_mean_divides_by_the_penalised_count() {
        let dev = Cpu::default();
        let l = [1.0f32; 4];
        let y = [2.0f32, 2.0, 0.0, 0.0];
        // Sample 0 falls where the truth rises (|p − y_last| = 0.5); the others agree.
        let p = [0.5f32, 3.0, 0.5, 0.5];
        let mse = (2.25 + 1.0 + 0.25 + 0.25) / 4.0;
        for (mean, value, grad0) in [
            (PenaltyMean::Batch, mse + 0.2 * 0.5 / 4.0, -0.75 - 0.2 / 4.0),
            (PenaltyMean::Mismatched, mse + 0.2 * 0.5, -0.75 - 0.2),
        ] {
            let (rv, rg) = reference(LossKind::Trend, 0.2, mean, &y, &p, &l);
            assert!((rv - value).abs() < 1e-12, "{mean:?}: {rv} vs {value}");
            assert!(
                (rg[0] - grad0).abs() < 1e-12,
                "{mean:?}: {} vs {grad0}",
                rg[0]
            );
            let pt: Matrix = dev.tensor_from_vec(p.to_vec(), (4, 1));
            let out = loss(LossKind::Trend, 0.2, mean, pt.leaky_trace(), &y, &l);
            assert!((out.value() as f64 - value).abs() < 1e-6);
            let g = out.backward().get(&pt).as_vec();
            assert!((g[0] as f64 - grad0).abs() < 1e-6, "{mean:?}: {g:?}");
        }
        // Nobody penalised: both means are the squared error alone.
        let agree = [3.0f32, 3.0, 0.5, 0.5];
        let plain = (1.0 + 1.0 + 0.25 + 0.25) / 4.0;
        for mean in PenaltyMean::ALL {
            let (rv, _) = reference(LossKind::Trend, 0.2, mean, &y, &agree, &l);
            assert!((rv - plain).abs() < 1e-12, "{mean:?}: {rv}");
        }
    }
}
