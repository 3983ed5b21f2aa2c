//! trendsweep: train a small forecasting model with a trend-aware loss over a grid of
//! settings, and compare the results.
//!
//! The data flows one way: a grid file ([`grid`]) expands into trials; the series
//! ([`data`]) is loaded once and shared; each trial trains the two-layer model ([`model`],
//! [`train`]) on worker threads ([`sweep`]); every finished trial reaches the results
//! directory ([`store`]); the report ([`report`]) turns what is stored into tables, plots
//! and a summary, and never trains.

#[macro_use]
mod console;

pub mod baselines;
pub mod config;
pub mod data;
pub mod error;
pub mod grid;
pub mod interrupt;
mod memory;
pub mod model;
pub mod report;
pub mod results;
pub mod store;
pub mod sweep;
pub mod train;
