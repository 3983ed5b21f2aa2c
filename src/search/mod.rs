//! Searching a space of settings rather than enumerating a grid: the space ([`space`]),
//! the samplers that propose configurations (random and TPE, [`tpe`]), Pareto ranking for
//! two objectives ([`pareto`]) and the pruning rules that stop poor configurations early
//! ([`prune`]). Everything here is a pure function of its inputs and an explicit seed, so a
//! search proposes and stops the same configurations whatever ran it and in what order.

pub mod pareto;
pub mod space;
pub mod tpe;

pub use space::{Dim, Point, sample_uniform};
