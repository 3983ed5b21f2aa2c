//! The forecasting model: Dense(n_dense), an optional activation, then Dense(1). Sizes are
//! runtime values from the grid file, so the parameters are runtime-shaped dfdx tensors,
//! differentiated through dfdx's tape and updated with a per-tensor Adam.
//!
//! Each layer's bias is folded into its kernel, so a forward pass is two products and the
//! activation, three ops on the tape instead of eight. The input carries a trailing column
//! of ones ([`Model::augment`]), which multiplies the last row of `k1`, the first bias. `k1`
//! also has one column more than the layer has units: it is zero but for a last-row value
//! `u` whose activation is exactly 1, so the hidden layer ends in a column of ones too,
//! which multiplies the last row of `k2`, the second bias. That unit column is held fixed:
//! its gradient is cleared before every update ([`Model::clear_unit_gradient`]).

mod adam;
pub mod baselines;
pub mod loss;
pub mod records;
pub mod stack;
pub mod train;

pub use adam::Adam;

use dfdx::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::config::Activation;

pub type Matrix<T = NoneTape> = Tensor<(usize, usize), f32, Cpu, T>;
pub type Taped = OwnedTape<f32, Cpu>;

/// The two folded parameter tensors and the activation between the layers.
#[derive(Clone, Debug)]
pub struct Model {
    /// `(n_inputs + 1, n_dense + 1)`: the first Dense kernel as Keras stores it
    /// (`n_inputs × n_dense`), its bias as the last row, and the unit column.
    pub k1: Matrix,
    /// `(n_dense + 1, 1)`: the second kernel, then its bias.
    pub k2: Matrix,
    pub activation: Activation,
}

/// The last-row value of the unit column: one whose activation is exactly 1.0 in f32
/// (tanh(10) is 1 − 4·10⁻⁹, which rounds to 1).
fn unit_input(activation: Activation) -> f32 {
    match activation {
        Activation::Linear | Activation::Relu => 1.0,
        Activation::Tanh => 10.0,
    }
}

impl Model {
    /// Glorot-uniform kernels and zero biases, as Keras initialises Dense layers.
    pub fn new(
        dev: &Cpu,
        n_inputs: usize,
        n_dense: usize,
        activation: Activation,
        rng: &mut ChaCha8Rng,
    ) -> Model {
        let mut glorot = |fan_in: usize, fan_out: usize| -> Vec<f32> {
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
            (0..fan_in * fan_out)
                .map(|_| rng.gen_range(-limit..limit))
                .collect()
        };
        let w1 = glorot(n_inputs, n_dense);
        let w2 = glorot(n_dense, 1);
        let mut params = w1;
        params.extend(std::iter::repeat_n(0.0, n_dense));
        params.extend(w2);
        params.push(0.0);
        Model::from_parameters(dev, n_inputs, n_dense, activation, &params)
    }

    /// A model from its parameters in Keras's order: the first kernel (`n_inputs × n_dense`,
    /// row-major), its bias, the second kernel (`n_dense`), its bias.
    pub fn from_parameters(
        dev: &Cpu,
        n_inputs: usize,
        n_dense: usize,
        activation: Activation,
        params: &[f32],
    ) -> Model {
        let (n, h) = (n_inputs, n_dense);
        assert_eq!(
            params.len(),
            n * h + h + h + 1,
            "parameter count for {n} inputs and {h} units"
        );
        let mut k1 = vec![0.0; (n + 1) * (h + 1)];
        for row in 0..=n {
            k1[row * (h + 1)..row * (h + 1) + h].copy_from_slice(&params[row * h..row * h + h]);
        }
        k1[n * (h + 1) + h] = unit_input(activation);
        let k2 = params[(n + 1) * h..].to_vec();
        Model {
            k1: dev.tensor_from_vec(k1, (n + 1, h + 1)),
            k2: dev.tensor_from_vec(k2, (h + 1, 1)),
            activation,
        }
    }

    /// A copy that owns its own buffers, so later updates of `self` never reach it.
    pub fn snapshot(&self, dev: &Cpu) -> Model {
        Model {
            k1: dev.tensor_from_vec(self.k1.as_vec(), *self.k1.shape()),
            k2: dev.tensor_from_vec(self.k2.as_vec(), *self.k2.shape()),
            activation: self.activation,
        }
    }

    pub fn n_inputs(&self) -> usize {
        self.k1.shape().0 - 1
    }
    pub fn n_dense(&self) -> usize {
        self.k1.shape().1 - 1
    }

    /// Keras's order of the values of `k1` and `k2` (or of their gradients): first kernel,
    /// first bias, second kernel, second bias; the unit column is left out.
    pub fn unfold(&self, k1: &[f32], k2: &[f32]) -> Vec<f32> {
        let h = self.n_dense();
        let mut out: Vec<f32> = k1
            .chunks(h + 1)
            .flat_map(|row| &row[..h])
            .copied()
            .collect();
        out.extend_from_slice(k2);
        out
    }

    /// Every parameter value, in Keras's order (see [`Model::unfold`]).
    pub fn parameters(&self) -> Vec<f32> {
        self.unfold(&self.k1.as_vec(), &self.k2.as_vec())
    }

    /// Zeroes the entries of a gradient of `k1` that belong to the unit column, so that
    /// Adam leaves the column as it is (zero gradient, zero moments, zero step).
    pub fn clear_unit_gradient(&self, k1_grad: &mut [f32]) {
        let h = self.n_dense();
        for row in k1_grad.chunks_mut(h + 1) {
            row[h] = 0.0;
        }
    }

    /// Input rows (`n_inputs` values each, row-major) with a 1 after each row: the layout
    /// [`forward`] takes.
    ///
    /// [`forward`]: Model::forward
    pub fn augment(rows: &[f32], n_inputs: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(rows.len() / n_inputs.max(1) * (n_inputs + 1));
        for row in rows.chunks(n_inputs.max(1)) {
            out.extend_from_slice(row);
            out.push(1.0);
        }
        out
    }

    /// Predictions `(batch, 1)` for a batch `x` of shape `(batch, n_inputs + 1)` whose last
    /// column is all ones. With a taped `x` the tape records every op, so `backward`
    /// reaches both parameter tensors.
    pub fn forward<T: Tape<f32, Cpu>>(&self, x: Matrix<T>) -> Matrix<T> {
        self.hidden(x).matmul(self.k2.clone())
    }

    /// The hidden layer `(batch, n_dense + 1)`, its last column the ones that carry the
    /// second bias.
    fn hidden<T: Tape<f32, Cpu>>(&self, x: Matrix<T>) -> Matrix<T> {
        let hidden = x.matmul(self.k1.clone());
        match self.activation {
            Activation::Linear => hidden,
            Activation::Relu => hidden.relu(),
            Activation::Tanh => hidden.tanh(),
        }
    }

    /// Predictions for every row of a row-major input block (`n_inputs` values a row),
    /// without a tape.
    pub fn predict_rows(&self, dev: &Cpu, x: &[f32]) -> Vec<f32> {
        let n_in = self.n_inputs();
        let n = x.len().checked_div(n_in).unwrap_or(0);
        if n == 0 {
            return Vec::new();
        }
        self.forward(dev.tensor_from_vec(Model::augment(x, n_in), (n, n_in + 1)))
            .as_vec()
    }

    pub fn is_finite(&self) -> bool {
        [&self.k1, &self.k2]
            .iter()
            .all(|t| t.as_vec().iter().all(|v| v.is_finite()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn parameters_round_trip_through_the_folded_layout() {
        let dev = Cpu::default();
        let params: Vec<f32> = (0..3 * 4 + 4 + 4 + 1)
            .map(|i| i as f32 * 0.25 - 2.0)
            .collect();
        let model = Model::from_parameters(&dev, 3, 4, Activation::Tanh, &params);
        assert_eq!(model.parameters(), params);
        assert_eq!((model.n_inputs(), model.n_dense()), (3, 4));
    }

    #[test]
    fn hidden_layer_ends_in_exact_ones_for_every_activation() {
        let dev = Cpu::default();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for act in Activation::ALL {
            let model = Model::new(&dev, 4, 5, act, &mut rng);
            let x: Vec<f32> = (0..6 * 4).map(|_| rng.gen_range(-50.0..50.0)).collect();
            let xt = dev.tensor_from_vec(Model::augment(&x, 4), (6, 5));
            let hidden = model.hidden(xt);
            assert_eq!(hidden.shape(), &(6, 6));
            for row in hidden.as_vec().chunks(6) {
                assert_eq!(row[5], 1.0, "{act:?}: {row:?}");
            }
        }
    }

    #[test]
    fn predictions_are_those_of_the_unfolded_layers() {
        let dev = Cpu::default();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (n, h) = (3, 4);
        for act in Activation::ALL {
            let params: Vec<f32> = (0..n * h + h + h + 1)
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect();
            let model = Model::from_parameters(&dev, n, h, act, &params);
            let x: Vec<f32> = (0..2 * n).map(|_| rng.gen_range(-2.0..2.0)).collect();
            let got = model.predict_rows(&dev, &x);
            for (i, row) in x.chunks(n).enumerate() {
                let mut out = params[n * h + 2 * h] as f64;
                for k in 0..h {
                    let mut a = params[n * h + k] as f64;
                    for j in 0..n {
                        a += row[j] as f64 * params[j * h + k] as f64;
                    }
                    let a = match act {
                        Activation::Linear => a,
                        Activation::Relu => a.max(0.0),
                        Activation::Tanh => a.tanh(),
                    };
                    out += a * params[n * h + h + k] as f64;
                }
                assert!(
                    (got[i] as f64 - out).abs() < 1e-5,
                    "{act:?} row {i}: {} vs {out}",
                    got[i]
                );
            }
        }
    }
}
