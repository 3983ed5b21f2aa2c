//! A collection's summary as text: `summary.md` and the terminal view, from a
//! [`CollectionSummary`]; they say the same things.

use std::path::Path;

use super::document::{Block, Section, TextTable, column, plural};
use super::text::{TERMINAL_WIDTH, markdown_sections, title, wrap};
use crate::report::collection::{CollectionBaseline, CollectionSetting, CollectionSummary};
use crate::report::render::{fmt_acc, fmt_mse};
use crate::store::SkippedSeries;

/// Validation MASE and trend accuracy, then test MASE and trend accuracy.
type Figures = [Option<f64>; 4];

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
            format!(
                " {} too short for the windows, splits and folds {} skipped: {}.",
                plural(self.skipped.len(), "series", "series"),
                if self.skipped.len() == 1 {
                    "was"
                } else {
                    "were"
                },
                SkippedSeries::listed(&self.skipped, 5)
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

    /// A table of `rows`, each its label cells and its four figures: the label columns
    /// first, then the validation figures and, with test parts, the test ones.
    fn figures_table(
        &self,
        labels: &[(&str, bool)],
        rows: Vec<(Vec<String>, Figures)>,
    ) -> TextTable {
        let mut columns: Vec<_> = labels
            .iter()
            .map(|(name, right)| column(name, name, *right))
            .collect();
        columns.push(column("val_mase", "val_mase", true));
        columns.push(column("val_trend_acc", "val_acc", true));
        if self.tested {
            columns.push(column("test_mase", "test_mase", true));
            columns.push(column("test_trend_acc", "test_acc", true));
        }
        let rows = rows
            .into_iter()
            .map(|(mut row, [val_mase, val_acc, test_mase, test_acc])| {
                row.push(opt(val_mase, fmt_mse));
                row.push(opt(val_acc, fmt_acc));
                if self.tested {
                    row.push(opt(test_mase, fmt_mse));
                    row.push(opt(test_acc, fmt_acc));
                }
                row
            })
            .collect();
        TextTable { columns, rows }
    }

    fn settings_table(&self, rows: &[CollectionSetting]) -> TextTable {
        let rows = rows
            .iter()
            .map(|s| {
                let label = if s.label.is_empty() {
                    "(the only setting)".to_string()
                } else {
                    s.label.clone()
                };
                (
                    vec![label, s.seeds.to_string()],
                    [s.val_mase, s.val_trend_acc, s.test_mase, s.test_trend_acc],
                )
            })
            .collect();
        self.figures_table(&[("setting", false), ("seeds", true)], rows)
    }

    fn baselines_table(&self, rows: &[&CollectionBaseline]) -> TextTable {
        let rows = rows
            .iter()
            .map(|b| {
                (
                    vec![
                        b.baseline.clone(),
                        b.window.to_string(),
                        b.series.to_string(),
                    ],
                    [b.val_mase, b.val_trend_acc, b.test_mase, b.test_trend_acc],
                )
            })
            .collect();
        self.figures_table(
            &[("baseline", false), ("window", true), ("series", true)],
            rows,
        )
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
        markdown_sections(&mut out, &self.sections());
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
