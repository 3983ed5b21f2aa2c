//! How the results are shown: the `report` command, the summary in the terminal and as
//! Markdown, the HTML page and its SVG figures, the table CSVs and the Optuna journal. The
//! numbers come from [`crate::analysis`]; the views (`views`) only read its [`Summary`].

mod command;
mod missing;
pub mod optuna;
pub mod render;
mod views;

pub use crate::analysis::{
    AxisRow, AxisTable, BASELINES_CSV, BaselineFigures, BestBy, BestRow, CONFIRM, ConfigRow,
    ConfigStatus, Confirmed, EPOCHS_PARQUET, Interval, PenaltyEffect, PenaltyRow, PenaltyTable,
    RunMeta, SEARCH_CONFIG, SEARCH_GENERATION, SETTINGS, SearchSummary, SettingValue, Summary,
    TRIALS_CSV, TRIALS_PARQUET, TrialCounts, collection, scores, stats, student_t_quantile,
    summarize, summary, t_975, tables, write_trial_tables,
};
pub use command::{Report, build, build_for_sweep};
pub use missing::{MissingByShard, missing_trials};
pub use render::{fmt_acc, fmt_mse};
pub use views::html::{PLOT_FILES, REPORT_HTML, write_html};
pub use views::text::{SEARCH_LINES, TERMINAL_WIDTH};
