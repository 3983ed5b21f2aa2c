//! What the results say, as numbers: the consolidated tables and the aggregates the report
//! shows. It reads the results directory ([`crate::store`]) and writes only data files; how
//! they are shown (terminal, Markdown, HTML, SVG) is the report's, which reads a
//! [`Summary`] or a [`collection::CollectionSummary`] and computes nothing of its own.
//!
//! The flow is one way. [`tables`] turns the journal's records into `trials.parquet`,
//! `trials.csv` and `epochs.parquet`; [`summarize`] reads only those files (never in-memory
//! training state, through [`load`]), so a summary can be redone or merged across result
//! directories at any later time, and gives the same bytes for the same files. [`scores`]
//! and [`collection`] score a collection's series against their baselines; [`stats`] holds
//! the intervals and tests every aggregate uses.

pub mod collection;
pub(crate) mod load;
pub mod scores;
pub mod stats;
pub mod summary;
pub mod tables;

pub use load::RunMeta;
pub use stats::{Interval, student_t_quantile, t_975};
pub use summary::{
    AxisRow, AxisTable, BaselineFigures, BestBy, BestRow, ConfigRow, ConfigStatus, Confirmed,
    PenaltyEffect, PenaltyRow, PenaltyTable, SearchSummary, SettingValue, Summary, TrialCounts,
    summarize,
};
pub use tables::{
    BASELINES_CSV, CONFIRM, EPOCHS_PARQUET, SEARCH_CONFIG, SEARCH_GENERATION, SETTINGS, TRIALS_CSV,
    TRIALS_PARQUET, write_trial_tables,
};
