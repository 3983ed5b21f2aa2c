//! trendsweep: train a small forecasting model with a trend-aware loss over a grid of
//! settings, and compare the results.
//!
//! The data flows one way: a grid file ([`grid`]) expands into trials; the series
//! ([`data`]) is loaded once and shared; each trial trains the two-layer model ([`model`],
//! with its trainer and the baselines it is compared with) on worker threads ([`sweep`]);
//! every finished trial's record reaches the results directory ([`store`]); the analysis
//! ([`analysis`]) turns what is stored into tables and aggregates, and the report
//! ([`report`]) shows them as a summary, a page and plots; neither trains.
//! [`config`] holds the plain settings values every stage shares, [`error`] what can go
//! wrong. No module imports one later in that flow: the crate's modules form no circle.

#[macro_use]
mod console;

pub mod analysis;
pub mod config;
pub mod data;
pub mod error;
mod floats;
pub mod grid;
mod memory;
pub mod model;
pub mod report;
pub mod search;
mod seeds;
pub mod store;
pub mod sweep;
