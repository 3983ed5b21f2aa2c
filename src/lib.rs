//! trendsweep: train a small forecasting model with a trend-aware loss over a grid of
//! settings, and compare the results.
//!
//! The data flows one way: a grid file ([`grid`]) expands into trials; each trial trains
//! the two-layer model ([`model`], [`train`]) on a shared dataset ([`data`]); every finished
//! trial reaches disk ([`sweep`]); the results become tables ([`report`]).

#[macro_use]
mod console;

pub mod baselines;
pub mod config;
pub mod data;
pub mod error;
pub mod grid;
pub mod memory;
pub mod model;
pub mod report;
pub mod results;
pub mod slurm;
pub mod sweep;
pub mod train;
