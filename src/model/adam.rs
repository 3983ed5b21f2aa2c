//! Adam for the model's two runtime-shaped tensors, with Keras's constants (β1 0.9,
//! β2 0.999, ε 1e-7) and bias correction. The arithmetic is that of dfdx's
//! `AdamConfig::try_update`, term for term, with the bias corrections computed once per
//! step instead of once per element (dfdx's kernel calls `powi` for every weight, which
//! showed up as 4 % of a batch-1 step in a profile).
//!
//! dfdx 0.13 keeps tensor ids private, so gradients cannot be marked as the only leaves to
//! keep: each step starts a fresh gradient store and reads the two it needs after `backward`.

use dfdx::prelude::*;

use super::{Matrix, Model, Taped};

pub const BETA1: f32 = 0.9;
pub const BETA2: f32 = 0.999;
pub const EPSILON: f32 = 1e-7;

/// One tensor's copy of its values and its two moment estimates.
pub(super) struct Slot {
    pub(super) value: Vec<f32>,
    pub(super) m: Vec<f32>,
    pub(super) v: Vec<f32>,
}

impl Slot {
    pub(super) fn new(value: Vec<f32>) -> Slot {
        let n = value.len();
        Slot {
            value,
            m: vec![0.0; n],
            v: vec![0.0; n],
        }
    }

    fn step(&mut self, grad: &[f32], lr: f32, c1: f32, c2: f32) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, as checked on the line above.
            return unsafe { self.step_avx(grad, |_| lr, c1, c2) };
        }
        self.step_any(grad, |_| lr, c1, c2)
    }

    /// As [`Slot::step`], with a learning rate for each value (`lrs`, as long as the
    /// tensor): the stacked trials' Adam, whose members each keep their own rate. Each
    /// element's arithmetic is the same as with one rate.
    pub(super) fn step_each(&mut self, grad: &[f32], lrs: &[f32], c1: f32, c2: f32) {
        let lrs = &lrs[..self.value.len()];
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, as checked on the line above.
            return unsafe { self.step_avx(grad, |i| lrs[i], c1, c2) };
        }
        self.step_any(grad, |i| lrs[i], c1, c2)
    }

    /// [`Slot::step`] compiled for 8-wide vectors. Each element's arithmetic is the same
    /// sequence of IEEE operations (no fused multiply-add), so the result is bit-identical.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    unsafe fn step_avx(&mut self, grad: &[f32], lr: impl Fn(usize) -> f32, c1: f32, c2: f32) {
        self.step_any(grad, lr, c1, c2)
    }

    #[inline(always)]
    fn step_any(&mut self, grad: &[f32], lr: impl Fn(usize) -> f32, c1: f32, c2: f32) {
        // Equal-length slices and an index loop, so the compiler can vectorise it.
        let n = self.value.len();
        let (p, g, m, v) = (
            &mut self.value[..n],
            &grad[..n],
            &mut self.m[..n],
            &mut self.v[..n],
        );
        for i in 0..n {
            m[i] = m[i] * BETA1 + g[i] * (1.0 - BETA1);
            v[i] = v[i] * BETA2 + g[i] * g[i] * (1.0 - BETA2);
            let m_hat = m[i] * c1;
            let v_hat = v[i] * c2;
            p[i] -= lr(i) * m_hat / (v_hat.sqrt() + EPSILON);
        }
    }
}

/// The bias corrections `1/(1 − β1^t)` and `1/(1 − β2^t)` of step `t` (1-based).
pub(super) fn corrections(t: i32) -> (f32, f32) {
    ((1.0 - BETA1.powi(t)).recip(), (1.0 - BETA2.powi(t)).recip())
}

pub struct Adam {
    lr: f32,
    step: i32,
    slots: [Slot; 2],
}

impl Adam {
    pub fn new(model: &Model, learning_rate: f64) -> Adam {
        Adam {
            lr: learning_rate as f32,
            step: 0,
            slots: [model.k1.as_vec(), model.k2.as_vec()].map(Slot::new),
        }
    }

    /// Starts a tape for one step: the batch carries it, and the parameters' gradients
    /// are recorded by every op it meets.
    pub fn trace(&mut self, x: Matrix) -> Matrix<Taped> {
        x.traced(Gradients::leaky())
    }

    /// Moves every parameter one Adam step along the gradients from `backward`.
    pub fn update(&mut self, model: &mut Model, mut grads: Gradients<f32, Cpu>) {
        self.step += 1;
        let (c1, c2) = corrections(self.step);
        let lr = self.lr;
        let [s1, s2] = &mut self.slots;
        let g1 = grads.get_or_alloc_mut(&model.k1).expect("cpu");
        model.clear_unit_gradient(g1);
        s1.step(g1, lr, c1, c2);
        s2.step(grads.get_or_alloc_mut(&model.k2).expect("cpu"), lr, c1, c2);
        model.k1.copy_from(&s1.value);
        model.k2.copy_from(&s2.value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::optim::AdamConfig;

    #[test]
    fn matches_dfdx_adam_bit_for_bit() {
        let dev = Cpu::default();
        let cfg = AdamConfig {
            lr: 3e-3,
            betas: [0.9, 0.999],
            eps: 1e-7,
            weight_decay: None,
        };
        let start: Vec<f32> = (0..10).map(|i| i as f32 * 0.1 - 0.4).collect();
        let mut theirs: Tensor<(usize,), f32, Cpu> = dev.tensor_from_vec(start.clone(), (10,));
        let mut m = dev.try_alloc_len(10).unwrap();
        let mut v = dev.try_alloc_len(10).unwrap();
        m.fill(0.0);
        v.fill(0.0);
        let mut ours = Slot::new(start);
        for t in 1..=50 {
            let grad: Vec<f32> = (0..10)
                .map(|i| ((i * 7 + t * 3) % 11) as f32 * 0.05 - 0.25)
                .collect();
            let mut g = dev.try_alloc_len(10).unwrap();
            g.copy_from_slice(&grad);
            cfg.try_update(t, &mut theirs, &mut m, &mut v, &g).unwrap();
            let (c1, c2) = corrections(t);
            ours.step(&grad, 3e-3, c1, c2);
            let a: Vec<u32> = theirs.as_vec().iter().map(|x| x.to_bits()).collect();
            let b: Vec<u32> = ours.value.iter().map(|x| x.to_bits()).collect();
            assert_eq!(a, b, "step {t}");
        }
    }
}
