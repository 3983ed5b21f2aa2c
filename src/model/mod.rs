//! The forecasting model: Dense(n_dense), an optional activation, then Dense(1). Sizes are
//! runtime values from the grid file, so the parameters are runtime-shaped dfdx tensors,
//! differentiated through dfdx's tape and updated with a per-tensor Adam.

mod adam;
pub mod loss;

pub use adam::Adam;

use dfdx::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::config::Activation;

pub type Matrix<T = NoneTape> = Tensor<(usize, usize), f32, Cpu, T>;
pub type Vector<T = NoneTape> = Tensor<(usize,), f32, Cpu, T>;
pub type Taped = OwnedTape<f32, Cpu>;

/// The four parameter tensors and the activation between the layers.
#[derive(Clone, Debug)]
pub struct Model {
    /// `(n_inputs, n_dense)`, as Keras stores a Dense kernel.
    pub w1: Matrix,
    pub b1: Vector,
    /// `(n_dense, 1)`.
    pub w2: Matrix,
    pub b2: Vector,
    pub activation: Activation,
}

impl Model {
    /// Glorot-uniform kernels and zero biases, as Keras initialises Dense layers.
    pub fn new(dev: &Cpu, n_inputs: usize, n_dense: usize, activation: Activation, rng: &mut ChaCha8Rng) -> Model {
        let mut glorot = |fan_in: usize, fan_out: usize| -> Matrix {
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
            let values: Vec<f32> = (0..fan_in * fan_out).map(|_| rng.gen_range(-limit..limit)).collect();
            dev.tensor_from_vec(values, (fan_in, fan_out))
        };
        let w1 = glorot(n_inputs, n_dense);
        let w2 = glorot(n_dense, 1);
        Model {
            w1,
            b1: dev.zeros_like(&(n_dense,)),
            w2,
            b2: dev.zeros_like(&(1,)),
            activation,
        }
    }

    pub fn n_inputs(&self) -> usize {
        self.w1.shape().0
    }
    pub fn n_dense(&self) -> usize {
        self.w1.shape().1
    }

    /// Predictions for a batch `x` of shape `(batch, n_inputs)`. With a taped `x` the
    /// tape records every op, so `backward` reaches all four parameters.
    pub fn forward<T: Tape<f32, Cpu>>(&self, x: Matrix<T>) -> Vector<T> {
        let batch = x.shape().0;
        let h = self.n_dense();
        let hidden = x.matmul(self.w1.clone()) + self.b1.clone().broadcast_like::<_, Axis<0>>(&(batch, h));
        let hidden = match self.activation {
            Activation::Linear => hidden,
            Activation::Relu => hidden.relu(),
            Activation::Tanh => hidden.tanh(),
        };
        let out = hidden.matmul(self.w2.clone()) + self.b2.clone().broadcast_like::<_, Axis<0>>(&(batch, 1));
        out.reshape_like(&(batch,))
    }

    /// Predictions for every row of a row-major input block, without a tape.
    pub fn predict_rows(&self, dev: &Cpu, x: &[f32]) -> Vec<f32> {
        let n_in = self.n_inputs();
        let n = x.len() / n_in;
        if n == 0 {
            return Vec::new();
        }
        self.forward(dev.tensor_from_vec(x.to_vec(), (n, n_in))).as_vec()
    }

    /// Every parameter value, in the order w1, b1, w2, b2.
    pub fn parameters(&self) -> Vec<f32> {
        let mut out = self.w1.as_vec();
        out.extend(self.b1.as_vec());
        out.extend(self.w2.as_vec());
        out.extend(self.b2.as_vec());
        out
    }

    pub fn is_finite(&self) -> bool {
        [&self.w1, &self.w2]
            .iter()
            .all(|t| t.as_vec().iter().all(|v| v.is_finite()))
            && [&self.b1, &self.b2].iter().all(|t| t.as_vec().iter().all(|v| v.is_finite()))
    }
}
