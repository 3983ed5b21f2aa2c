//! What is made of the results on disk: the consolidated tables, the summary, the views.

// The flow is one way. [`build`] reads the journal ([`crate::store`]); [`write_trial_tables`]
// turns its records into `trials.parquet`, `trials.csv` and `epochs.parquet`; [`summarize`]
// reads only those files (never in-memory training state), so a summary can be redone or
// merged across result directories at any later time, and gives the same bytes for the same
// files. The data (`load`, `summary`) never imports the views (`views`), which only read a
// `Summary`.

pub mod collection;
mod command;
mod load;
mod missing;
pub mod optuna;
pub mod render;
pub mod scores;
pub mod stats;
pub mod summary;
pub mod tables;
mod views;

pub use command::{Report, build, build_for_sweep};
pub use load::RunMeta;
pub use missing::{MissingByShard, missing_trials};
pub use render::{fmt_acc, fmt_mse};
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
pub use views::html::{PLOT_FILES, REPORT_HTML, write_html};
pub use views::text::{SEARCH_LINES, TERMINAL_WIDTH};
