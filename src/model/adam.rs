//! Adam for the model's four runtime-shaped tensors: dfdx's `AdamConfig::try_update` does
//! the arithmetic; this keeps one pair of moment buffers per tensor. dfdx 0.13 keeps
//! tensor ids private, so the gradients cannot be marked as the only leaves to keep: each
//! step starts a fresh gradient store and reads the four it needs after `backward`.

use dfdx::optim::AdamConfig;
use dfdx::prelude::*;

use super::{Model, Taped};

/// Keras's Adam: β1 0.9, β2 0.999, ε 1e-7, bias-corrected.
pub struct Adam {
    config: AdamConfig,
    step: i32,
    moments: [(<Cpu as Storage<f32>>::Vec, <Cpu as Storage<f32>>::Vec); 4],
}

impl Adam {
    pub fn new(dev: &Cpu, model: &Model, learning_rate: f64) -> Adam {
        let (n_in, h) = (model.n_inputs(), model.n_dense());
        let lens = [n_in * h, h, h, 1];
        let zeros = |n: usize| {
            let mut v = dev.try_alloc_len(n).expect("allocating optimiser state");
            v.fill(0.0);
            v
        };
        Adam {
            config: AdamConfig { lr: learning_rate, betas: [0.9, 0.999], eps: 1e-7, weight_decay: None },
            step: 0,
            moments: lens.map(|n| (zeros(n), zeros(n))),
        }
    }

    /// Starts a tape for one step: the batch carries it, the gradients land in our buffers.
    pub fn trace(&mut self, x: super::Matrix) -> super::Matrix<Taped> {
        x.traced(Gradients::leaky())
    }

    /// Takes the gradients from `backward` and moves every parameter one Adam step.
    pub fn update(&mut self, model: &mut Model, mut grads: Gradients<f32, Cpu>) {
        self.step += 1;
        let t = self.step;
        let [m0, m1, m2, m3] = &mut self.moments;
        let cfg = &self.config;
        let g = grads.get_or_alloc_mut(&model.w1).unwrap();
        cfg.try_update(t, &mut model.w1, &mut m0.0, &mut m0.1, g).unwrap();
        let g = grads.get_or_alloc_mut(&model.b1).unwrap();
        cfg.try_update(t, &mut model.b1, &mut m1.0, &mut m1.1, g).unwrap();
        let g = grads.get_or_alloc_mut(&model.w2).unwrap();
        cfg.try_update(t, &mut model.w2, &mut m2.0, &mut m2.1, g).unwrap();
        let g = grads.get_or_alloc_mut(&model.b2).unwrap();
        cfg.try_update(t, &mut model.b2, &mut m3.0, &mut m3.1, g).unwrap();
    }
}
