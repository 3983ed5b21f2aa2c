//! The loss against TensorFlow: value and gradient with respect to the predictions, for
//! 300 recorded batches and all three loss kinds, both through dfdx's tape and through the
//! plain f64 reference.

use dfdx::prelude::*;
use serde::Deserialize;
use trendsweep::config::{LossKind, PenaltyMean};
use trendsweep::model::{Matrix, loss};

#[derive(Deserialize)]
struct Case {
    lambda: f64,
    y_true: Vec<f32>,
    y_pred: Vec<f32>,
    y_last: Vec<f32>,
    loss_mse: f64,
    grad_mse: Vec<f64>,
    loss_seed: f64,
    grad_seed: Vec<f64>,
    loss_trend: f64,
    grad_trend: Vec<f64>,
}

impl Case {
    /// The plain f64 loss and gradient of this case, with the penalty averaged over the batch.
    fn reference(&self, kind: LossKind) -> (f64, Vec<f64>) {
        loss::reference(
            kind,
            self.lambda,
            PenaltyMean::Batch,
            &self.y_true,
            &self.y_pred,
            &self.y_last,
        )
    }
}

fn cases() -> Vec<Case> {
    let text = include_str!("data/trend_loss_tf.jsonl");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a golden case"))
        .collect()
}

/// The largest errors seen: relative, and absolute where TensorFlow's value is near zero
/// (|v| < 0.1, where 1e-6 absolute is tighter than 1e-5 relative would be).
struct Worst {
    rel: f64,
    abs_near_zero: f64,
}

impl Worst {
    fn check(&mut self, got: f64, want: f64, what: &str) {
        if want.abs() < 0.1 {
            let e = (got - want).abs();
            self.abs_near_zero = self.abs_near_zero.max(e);
            assert!(
                e <= 1e-6,
                "{what}: got {got}, TensorFlow {want}, absolute error {e:e}"
            );
        } else {
            let e = ((got - want) / want).abs();
            self.rel = self.rel.max(e);
            assert!(
                e <= 1e-5,
                "{what}: got {got}, TensorFlow {want}, relative error {e:e}"
            );
        }
    }
}

fn expected(c: &Case, kind: LossKind) -> (f64, &[f64]) {
    match kind {
        LossKind::Mse => (c.loss_mse, &c.grad_mse),
        LossKind::Seed => (c.loss_seed, &c.grad_seed),
        LossKind::Trend => (c.loss_trend, &c.grad_trend),
    }
}

#[test]
fn there_are_300_cases_with_ties() {
    let cs = cases();
    assert_eq!(cs.len(), 300);
    let ties = cs
        .iter()
        .flat_map(|c| c.y_true.iter().zip(&c.y_pred).zip(&c.y_last))
        .filter(|((y, p), l)| y == l || p == l)
        .count();
    assert!(ties > 0, "the golden file should exercise sign(0)");
}

#[test]
fn dfdx_loss_and_the_stacked_members_loss_match_tensorflow() {
    let dev = Cpu::default();
    let mut worst = Worst {
        rel: 0.0,
        abs_near_zero: 0.0,
    };
    for (i, c) in cases().iter().enumerate() {
        let n = c.y_true.len();
        for kind in LossKind::ALL {
            let p: Matrix = dev.tensor_from_vec(c.y_pred.clone(), (n, 1));
            let out = loss::loss(
                kind,
                c.lambda as f32,
                PenaltyMean::Batch,
                p.leaky_trace(),
                &c.y_true,
                &c.y_last,
            );
            let value = out.value();
            let grad = out.backward().get(&p).as_vec();
            let (want, want_grad) = expected(c, kind);
            worst.check(value as f64, want, &format!("case {i} {kind:?} value"));
            for (j, (g, w)) in grad.iter().zip(want_grad).enumerate() {
                worst.check(*g as f64, *w, &format!("case {i} {kind:?} grad[{j}]"));
            }
            // A stacked member's loss, computed on the host: the same bits as the tape's.
            let mut member_grad = vec![0.0f32; n];
            let member_value = loss::member_loss(
                loss::LossSpec {
                    kind,
                    lambda: c.lambda as f32,
                    mean: PenaltyMean::Batch,
                },
                &c.y_pred,
                &c.y_true,
                &c.y_last,
                &mut member_grad,
            );
            assert_eq!(
                member_value.to_bits(),
                value.to_bits(),
                "case {i} {kind:?}: stacked value"
            );
            assert_eq!(
                member_grad.iter().map(|g| g.to_bits()).collect::<Vec<_>>(),
                grad.iter().map(|g| g.to_bits()).collect::<Vec<_>>(),
                "case {i} {kind:?}: stacked gradient"
            );
        }
    }
    println!(
        "dfdx: largest relative error {:e}, largest absolute error near zero {:e}",
        worst.rel, worst.abs_near_zero
    );
}

#[test]
fn reference_loss_matches_tensorflow() {
    let mut worst = Worst {
        rel: 0.0,
        abs_near_zero: 0.0,
    };
    for (i, c) in cases().iter().enumerate() {
        for kind in LossKind::ALL {
            let (value, grad) = c.reference(kind);
            let (want, want_grad) = expected(c, kind);
            worst.check(value, want, &format!("case {i} {kind:?} value"));
            for (j, (g, w)) in grad.iter().zip(want_grad).enumerate() {
                worst.check(*g, *w, &format!("case {i} {kind:?} grad[{j}]"));
            }
        }
    }
    println!(
        "reference: largest relative error {:e}, largest absolute error near zero {:e}",
        worst.rel, worst.abs_near_zero
    );
}

#[test]
fn the_kinds_disagree_where_they_should() {
    // A check that could fail if the masks were swapped or ignored: on cases with λ > 0
    // the three kinds give three different values somewhere.
    let cs = cases();
    let differs = cs.iter().filter(|c| c.lambda > 0.0).any(|c| {
        let value = |kind| c.reference(kind).0;
        let (t, s, m) = (
            value(LossKind::Trend),
            value(LossKind::Seed),
            value(LossKind::Mse),
        );
        t != s && s != m && t != m
    });
    assert!(differs);
}
