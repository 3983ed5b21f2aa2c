//! A collection's summary as text: `summary.md` and the terminal view, from a
//! [`CollectionSummary`]; they say the same things.

use std::path::Path;

use super::document::{Block, Section, TextTable, column, plural};
use super::text::{TERMINAL_WIDTH, title, wrap};
use crate::report::collection::{CollectionBaseline, CollectionSetting, CollectionSummary};
use crate::report::render::{fmt_acc, fmt_mse};

/// How many settings the tables show, best first.
const SHOWN: usize = 10;

fn opt(value: Option<f64>, f: fn(f64) -> String) -> String {
    value.map(f).unwrap_or_default()
}

impl CollectionSummary {
    /// The opening paragraph: what was swept.
    fn counts(&self) -> String {
        let skipped = if self.skipped.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = self
                .skipped
                .iter()
                .take(5)
                .map(|s| {
                    format!(
                        "{} ({} values)",
                        crate::data::quoted_id(&s.series),
                        s.length
                    )
                })
                .collect();
            let more = self.skipped.len().saturating_sub(5);
            format!(
                " {} too short for the windows, splits and folds {} skipped: {}{}.",
                plural(self.skipped.len(), "series", "series"),
                if self.skipped.len() == 1 {
                    "was"
                } else {
                    "were"
                },
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        };
        format!(
            "{} series, each swept as if alone: {} on each, {} ended ok on every series.{skipped}",
            self.series,
            plural(self.trials, "trial", "trials"),
            self.trials_ok
        )
    }

    /// The verdict: the best setting by mean validation MASE, its held-out figures, and the
    /// best baseline of its window beside it.
    pub fn verdict(&self) -> Vec<String> {
        let mut out = vec![
            "MASE divides each series' mean absolute error by its own in-sample naive error \
             (seasonal with [data] season), so every series weighs the same whatever its scale; \
             below 1 beats that naive forecast in-sample. Means are over the series, then the \
             seeds."
                .to_string(),
        ];
        let Some(best) = self.best() else {
            out.push(format!(
                "No setting ended ok on all {} series, so none is ranked.",
                self.series
            ));
            return out;
        };
        let what = if best.label.is_empty() {
            "the only setting".to_string()
        } else {
            best.label.clone()
        };
        let held_out = if self.tested {
            format!(
                "; on the held-out test parts its mean MASE is {} (trend accuracy {})",
                opt(best.test_mase, fmt_mse),
                opt(best.test_trend_acc, fmt_acc)
            )
        } else {
            " (no test samples, test_fraction = 0: it is not checked on held-out data)".into()
        };
        out.push(format!(
            "Across {} series, the best setting by mean validation MASE is {what} ({}): MASE {}, \
             trend accuracy {}{held_out}.",
            self.series,
            plural(best.seeds, "seed", "seeds"),
            opt(best.val_mase, fmt_mse),
            opt(best.val_trend_acc, fmt_acc),
        ));
        if let Some(base) = self.best_baseline(best.window) {
            let beaten = self
                .settings
                .iter()
                .filter(|s| s.window == best.window)
                .all(|s| {
                    s.val_mase
                        .is_none_or(|m| m >= base.val_mase.unwrap_or(f64::NAN))
                });
            let test = if self.tested {
                format!(
                    " and {} on test (the setting: {})",
                    opt(base.test_mase, fmt_mse),
                    opt(best.test_mase, fmt_mse)
                )
            } else {
                String::new()
            };
            out.push(if beaten {
                format!(
                    "No setting beats the baseline {} on mean validation MASE: it scores {}{test}. \
                     Across these series the baseline is the better forecast.",
                    base.baseline,
                    opt(base.val_mase, fmt_mse)
                )
            } else {
                format!(
                    "The best baseline by mean validation MASE, {}, scores {}{test}.",
                    base.baseline,
                    opt(base.val_mase, fmt_mse)
                )
            });
        }
        out
    }

    fn settings_table(&self, rows: &[CollectionSetting]) -> TextTable {
        let mut columns = vec![
            column("setting", "setting", false),
            column("seeds", "seeds", true),
            column("val_mase", "val_mase", true),
            column("val_trend_acc", "val_acc", true),
        ];
        if self.tested {
            columns.push(column("test_mase", "test_mase", true));
            columns.push(column("test_trend_acc", "test_acc", true));
        }
        let rows = rows
            .iter()
            .map(|s| {
                let mut row = vec![
                    if s.label.is_empty() {
                        "(the only setting)".to_string()
                    } else {
                        s.label.clone()
                    },
                    s.seeds.to_string(),
                    opt(s.val_mase, fmt_mse),
                    opt(s.val_trend_acc, fmt_acc),
                ];
                if self.tested {
                    row.push(opt(s.test_mase, fmt_mse));
                    row.push(opt(s.test_trend_acc, fmt_acc));
                }
                row
            })
            .collect();
        TextTable { columns, rows }
    }

    fn baselines_table(&self, rows: &[&CollectionBaseline]) -> TextTable {
        let mut columns = vec![
            column("baseline", "baseline", false),
            column("window", "window", true),
            column("series", "series", true),
            column("val_mase", "val_mase", true),
            column("val_trend_acc", "val_acc", true),
        ];
        if self.tested {
            columns.push(column("test_mase", "test_mase", true));
            columns.push(column("test_trend_acc", "test_acc", true));
        }
        let rows = rows
            .iter()
            .map(|b| {
                let mut row = vec![
                    b.baseline.clone(),
                    b.window.to_string(),
                    b.series.to_string(),
                    opt(b.val_mase, fmt_mse),
                    opt(b.val_trend_acc, fmt_acc),
                ];
                if self.tested {
                    row.push(opt(b.test_mase, fmt_mse));
                    row.push(opt(b.test_trend_acc, fmt_acc));
                }
                row
            })
            .collect();
        TextTable { columns, rows }
    }

    fn sections(&self) -> Vec<Section> {
        let mut sections = vec![Section {
            heading: "Verdict".into(),
            blocks: self.verdict().into_iter().map(Block::Para).collect(),
        }];
        if !self.settings.is_empty() {
            sections.push(Section {
                heading: format!(
                    "Settings by mean validation MASE (the best {} of {})",
                    SHOWN.min(self.settings.len()),
                    self.settings.len()
                ),
                blocks: vec![
                    Block::Para(
                        "Only settings that ended ok on every series count; each seed's figure \
                         is its mean over the series, and the row is the mean over the seeds. \
                         Every trial on every series is in series.csv."
                            .into(),
                    ),
                    Block::Table(
                        self.settings_table(&self.settings[..SHOWN.min(self.settings.len())]),
                    ),
                ],
            });
        }
        if !self.baselines.is_empty() {
            let rows: Vec<&CollectionBaseline> = self.baselines.iter().collect();
            sections.push(Section {
                heading: "Baselines (means over the series)".into(),
                blocks: vec![Block::Table(self.baselines_table(&rows))],
            });
        }
        sections
    }

    /// The whole `summary.md`. No timestamps or paths: the same files give the same bytes.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# Sweep summary: {} series\n\n{}\n",
            self.series,
            self.counts()
        );
        for section in self.sections() {
            out.push_str(&format!("\n## {}\n", section.heading));
            for block in &section.blocks {
                out.push('\n');
                match block {
                    Block::Para(p) => {
                        out.push_str(p);
                        out.push('\n');
                    }
                    Block::Table(t) => out.push_str(&t.markdown()),
                }
            }
        }
        out
    }

    /// What a terminal shows after a sweep or a report of a collection.
    pub fn terminal(&self, dir: &Path) -> String {
        let max = TERMINAL_WIDTH;
        let mut out = title(&format!("Sweep summary: {} series", self.series), '=', max);
        out.push('\n');
        out.push_str(&wrap(&self.counts(), max));
        out.push('\n');
        out.push_str(&title("Verdict", '-', max));
        for v in self.verdict() {
            out.push('\n');
            out.push_str(&wrap(&v, max));
        }
        if !self.settings.is_empty() {
            out.push('\n');
            out.push_str(&title(
                "Best settings by mean validation MASE (chosen on validation)",
                '-',
                max,
            ));
            out.push('\n');
            out.push_str(
                &self
                    .settings_table(&self.settings[..5.min(self.settings.len())])
                    .terminal(max),
            );
        }
        if let Some(best) = self.best() {
            let rows: Vec<&CollectionBaseline> = self
                .baselines
                .iter()
                .filter(|b| b.window == best.window)
                .collect();
            if !rows.is_empty() {
                out.push('\n');
                out.push_str(&title("Baselines (means over the series)", '-', max));
                out.push('\n');
                out.push_str(&self.baselines_table(&rows).terminal(max));
            }
        }
        out.push('\n');
        out.push_str(&wrap(
            &format!(
                "Every table: {}. Data: trials.parquet (a row per trial), series.parquet (a row \
                 per trial and series), epochs.parquet, baselines.csv.",
                dir.join("summary.md").display()
            ),
            max,
        ));
        out
    }

    /// Writes `summary.md` into `dir`.
    pub fn write(&self, dir: &Path) -> crate::error::Result<()> {
        crate::store::write_bytes(&dir.join("summary.md"), self.markdown().as_bytes())
    }
}
