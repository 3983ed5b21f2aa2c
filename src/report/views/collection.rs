//! A collection's summary as text and tables: `summary.md`, the terminal view, `best.csv`
//! and `penalty_effect.csv`, from a [`CollectionSummary`]; they say the same things.

use std::path::Path;

use polars::prelude::{Column, DataFrame};

use super::document::{Block, ColumnSpec, Section, Show, TextTable, column, plural};
use super::text::{TERMINAL_WIDTH, markdown_sections, title, wrap};
use crate::analysis::collection::{
    CollectionBaseline, CollectionSetting, CollectionSummary, Confirmation, Effect,
};
use crate::analysis::scores::{CLIP, Scores};
use crate::report::render::{fmt_acc, fmt_mse};
use crate::store::SkippedSeries;

/// How many settings the tables show, best first.
const SHOWN: usize = 10;

/// Below this many series a bootstrap over series has too few to resample from to be more
/// than a rough guide, and the verdict says so.
const FEW_SERIES: usize = 10;

fn opt(value: Option<f64>, f: fn(f64) -> String) -> String {
    value.map(f).unwrap_or_default()
}

/// Ratios (relative MSE, OWA) to four significant places.
pub(crate) fn fmt_ratio(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x.abs() >= 1000.0 || (x != 0.0 && x.abs() < 0.001) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}

/// A share as a whole percentage.
pub(crate) fn pct(x: f64) -> String {
    format!("{:.0} %", 100.0 * x)
}

fn described(label: &str) -> String {
    if label.is_empty() {
        "the only setting".to_string()
    } else {
        label.to_string()
    }
}

/// `a of n series`.
fn of(a: usize, n: usize) -> String {
    format!("{a} of {}", plural(n, "series", "series"))
}

impl Effect {
    /// `×0.97 [0.95, 0.99]`.
    pub(crate) fn interval_text(&self) -> String {
        format!(
            "×{} [{}, {}]",
            fmt_ratio(self.ratio),
            fmt_ratio(self.low),
            fmt_ratio(self.high)
        )
    }

    /// Whether the interval lies below 1 (helps), above it (hurts), or across it.
    pub(crate) fn reading(&self) -> &'static str {
        if self.high < 1.0 {
            "lowers the MSE"
        } else if self.low > 1.0 {
            "raises the MSE"
        } else {
            "has no clear effect on the MSE"
        }
    }
}

impl CollectionSummary {
    /// The opening paragraph: what was swept.
    pub(crate) fn counts(&self) -> String {
        let mut text = format!(
            "{} series, each swept as if alone: {} on each, {} ended ok on every series.",
            self.series,
            plural(self.trials, "trial", "trials"),
            self.trials_ok
        );
        if !self.skipped.is_empty() {
            text.push_str(&format!(
                " {} too short for the windows, splits and folds {} skipped: {}.",
                plural(self.skipped.len(), "series", "series"),
                if self.skipped.len() == 1 {
                    "was"
                } else {
                    "were"
                },
                SkippedSeries::listed(&self.skipped, 5)
            ));
        }
        if !self.naive2_plain.is_empty() {
            let names: Vec<String> = self
                .naive2_plain
                .iter()
                .take(5)
                .map(|s| crate::data::quoted_id(s))
                .collect();
            text.push_str(&format!(
                " naive2 is the plain naive forecast on {} whose values include zero or less: {}{}.",
                plural(self.naive2_plain.len(), "series", "series"),
                names.join(", "),
                if self.naive2_plain.len() > 5 {
                    format!(" and {} more", self.naive2_plain.len() - 5)
                } else {
                    String::new()
                }
            ));
        }
        text
    }

    /// How the collection is scored, in one paragraph.
    fn method(&self) -> String {
        format!(
            "Each series is scored on its own scale, then the series are aggregated so that none \
             dominates: rel_mse is a series' MSE over its reference baseline's (seasonal_naive, \
             persistence without a season), aggregated as a geometric mean with each series' \
             ratio clipped to [{}, {}], so one series moves it by at most a factor {}^(1/N); \
             OWA is M4's ½·(sMAPE/sMAPE_Naive2 + MASE/MASE_Naive2), each a ratio of the means \
             over the series; win share is the share of series on which the MSE is below that \
             of the series' best baseline (chosen on validation). Below 1 beats the reference.",
            CLIP.0, CLIP.1, CLIP.1
        )
    }

    /// The verdict: the setting for the collection and its test check, the baselines, the
    /// per-series winners and the penalty.
    pub fn verdict(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(best) = self.best() else {
            out.push(format!(
                "No setting has a validation figure on all {} series, so none is ranked.",
                self.series
            ));
            return out;
        };
        let [val, test] = &best.scores;
        out.push(format!(
            "For the whole collection, the best setting by validation rel_mse (geometric mean) \
             is {} ({}): rel_mse {}, OWA {}, mean MASE {}, trend accuracy {}, and it beats the \
             best baseline on {} of the series.",
            described(&best.label),
            plural(best.seeds, "seed", "seeds"),
            opt(val.rel_mse_gmean, fmt_ratio),
            opt(val.owa, fmt_ratio),
            opt(val.mase, fmt_mse),
            opt(val.trend_acc, fmt_acc),
            opt(val.win_share, pct),
        ));
        match (&self.confirmation, self.tested) {
            (Some(c), true) => out.push(format!(
                "Confirmed on the held-out test parts: rel_mse {}, OWA {}; it beats Naive2 on \
                 {} and the best baseline on {}.",
                opt(test.rel_mse_gmean, fmt_ratio),
                opt(test.owa, fmt_ratio),
                of(c.beats_naive2, c.series),
                of(c.beats_best, c.series),
            )),
            _ => out.push(
                "There are no test parts (test_fraction = 0): the choice is not checked on \
                 held-out data."
                    .into(),
            ),
        }
        if let Some(base) = self.best_baseline(best.window) {
            let naive2 = self.naive2(best.window);
            let beaten = base.scores[0].rel_mse_gmean <= val.rel_mse_gmean;
            let n2 = naive2
                .map(|n| {
                    format!(
                        " Naive2 scores rel_mse {} (OWA 1 by definition).",
                        opt(n.scores[0].rel_mse_gmean, fmt_ratio)
                    )
                })
                .unwrap_or_default();
            out.push(if beaten {
                format!(
                    "No setting beats the baseline {} across these series: its validation \
                     rel_mse is {} (test {}), OWA {}. Here the baseline is the better forecast.{n2}",
                    base.baseline,
                    opt(base.scores[0].rel_mse_gmean, fmt_ratio),
                    opt(base.scores[1].rel_mse_gmean, fmt_ratio),
                    opt(base.scores[0].owa, fmt_ratio),
                )
            } else {
                format!(
                    "The best baseline across the series, {}, scores validation rel_mse {} \
                     (test {}), OWA {}.{n2}",
                    base.baseline,
                    opt(base.scores[0].rel_mse_gmean, fmt_ratio),
                    opt(base.scores[1].rel_mse_gmean, fmt_ratio),
                    opt(base.scores[0].owa, fmt_ratio),
                )
            });
        }
        if let Some(w) = &self.winners {
            let checked = match &w.confirmation {
                Some(c) => format!(
                    "on test, rel_mse {}, OWA {}; they beat Naive2 on {} and the best baseline \
                     on {}",
                    opt(w.scores[1].rel_mse_gmean, fmt_ratio),
                    opt(w.scores[1].owa, fmt_ratio),
                    of(c.beats_naive2, c.series),
                    of(c.beats_best, c.series),
                ),
                None => format!(
                    "on validation (where they were chosen), rel_mse {}",
                    opt(w.scores[0].rel_mse_gmean, fmt_ratio)
                ),
            };
            out.push(format!(
                "Picking each series' own best setting on validation instead ({} win \
                 somewhere): {checked}.",
                plural(w.distinct, "setting", "different settings"),
            ));
        }
        for e in &self.effects {
            let Some(v) = &e.splits[0] else { continue };
            let test = e.splits[1]
                .as_ref()
                .map(|t| {
                    format!(
                        "; on test {}, lower on {}",
                        t.interval_text(),
                        of(t.helped, t.series)
                    )
                })
                .unwrap_or_default();
            let few = if v.series < FEW_SERIES {
                format!(
                    " With only {} the interval is rough.",
                    plural(v.series, "series", "series")
                )
            } else {
                String::new()
            };
            out.push(format!(
                "λ = {} against λ = 0, paired within series, seed and the other settings, {}: \
                 validation MSE {} (geometric mean over series, 95 % bootstrap interval), lower \
                 on {}{test}.{few}",
                crate::grid::fmt_setting_float(e.lambda),
                v.reading(),
                v.interval_text(),
                of(v.helped, v.series),
            ));
        }
        out
    }

    fn scores_columns(&self) -> Vec<ColumnSpec> {
        let mut columns = Vec::new();
        let md = |header: &str| ColumnSpec {
            show: Show::Markdown,
            ..column(header, header, true)
        };
        columns.push(column("val_rel_mse", "val_rel", true));
        columns.push(column("val_owa", "val_owa", true));
        columns.push(md("val_mase"));
        columns.push(md("val_trend_acc"));
        columns.push(column("val_win_share", "val_win", true));
        if self.tested {
            columns.push(column("test_rel_mse", "test_rel", true));
            columns.push(column("test_owa", "test_owa", true));
            columns.push(md("test_mase"));
            columns.push(md("test_trend_acc"));
            columns.push(md("test_win_share"));
        }
        columns
    }

    fn scores_cells(&self, scores: &[Scores; 2]) -> Vec<String> {
        let mut cells = Vec::new();
        for (k, s) in scores.iter().enumerate() {
            if k == 1 && !self.tested {
                break;
            }
            cells.extend([
                opt(s.rel_mse_gmean, fmt_ratio),
                opt(s.owa, fmt_ratio),
                opt(s.mase, fmt_mse),
                opt(s.trend_acc, fmt_acc),
                opt(s.win_share, pct),
            ]);
        }
        cells
    }

    fn settings_table(&self, rows: &[CollectionSetting]) -> TextTable {
        let mut columns = vec![
            column("setting", "setting", false),
            column("seeds", "seeds", true),
        ];
        columns.extend(self.scores_columns());
        let rows = rows
            .iter()
            .map(|s| {
                let mut row = vec![described(&s.label), s.seeds.to_string()];
                row.extend(self.scores_cells(&s.scores));
                row
            })
            .collect();
        TextTable { columns, rows }
    }

    fn baselines_table(&self, rows: &[&CollectionBaseline]) -> TextTable {
        let mut columns = vec![
            column("baseline", "baseline", false),
            column("window", "window", true),
        ];
        columns.extend(self.scores_columns());
        let rows = rows
            .iter()
            .map(|b| {
                let mut row = vec![b.baseline.clone(), b.window.to_string()];
                row.extend(self.scores_cells(&b.scores));
                row
            })
            .collect();
        TextTable { columns, rows }
    }

    fn effects_table(&self) -> TextTable {
        let columns = vec![
            column("λ", "λ", true),
            column("split", "split", false),
            column("MSE ratio vs λ = 0", "ratio", true),
            column("95 % interval", "interval", true),
            column("series", "series", true),
            column("lower on", "lower", true),
        ];
        let mut rows = Vec::new();
        for e in &self.effects {
            for (k, split) in ["validation", "test"].into_iter().enumerate() {
                if let Some(x) = &e.splits[k] {
                    rows.push(vec![
                        crate::grid::fmt_setting_float(e.lambda),
                        split.to_string(),
                        fmt_ratio(x.ratio),
                        format!("[{}, {}]", fmt_ratio(x.low), fmt_ratio(x.high)),
                        x.series.to_string(),
                        x.helped.to_string(),
                    ]);
                }
            }
        }
        TextTable { columns, rows }
    }

    /// The document every view renders: the verdict, then one section per table.
    pub(crate) fn sections(&self) -> Vec<Section> {
        let mut sections = vec![Section {
            heading: "Verdict".into(),
            blocks: self.verdict().into_iter().map(Block::Para).collect(),
        }];
        if !self.settings.is_empty() {
            let shown = SHOWN.min(self.settings.len());
            let incomplete = if self.incomplete > 0 {
                format!(
                    " {} without a figure on some series (every seed failed there) {} not ranked.",
                    plural(self.incomplete, "setting", "settings"),
                    if self.incomplete == 1 { "is" } else { "are" }
                )
            } else {
                String::new()
            };
            sections.push(Section {
                heading: format!(
                    "Settings by validation rel_mse (the best {shown} of {})",
                    self.settings.len()
                ),
                blocks: vec![
                    Block::Para(format!(
                        "{} A setting's figure on a series is the mean over its seeds that ended \
                         ok there.{incomplete} Every trial on every series is in series.csv.",
                        self.method()
                    )),
                    Block::Table(self.settings_table(&self.settings[..shown])),
                ],
            });
        }
        if self.effects.iter().any(|e| e.splits[0].is_some()) {
            sections.push(Section {
                heading: "The penalty, paired within series and seed".into(),
                blocks: vec![
                    Block::Para(
                        "Each λ > 0 trial is paired with the λ = 0 trial of the same series, seed \
                         and other settings; a series' effect is the geometric mean of its pairs' \
                         MSE ratios (each clipped like rel_mse), and the collection's is the \
                         geometric mean over series, with a 95 % percentile bootstrap interval \
                         that resamples series. Below 1 the penalty lowers the MSE."
                            .into(),
                    ),
                    Block::Table(self.effects_table()),
                ],
            });
        }
        if !self.baselines.is_empty() {
            let rows: Vec<&CollectionBaseline> = self.baselines.iter().collect();
            sections.push(Section {
                heading: "Baselines across the series".into(),
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
                "Best settings by validation rel_mse (geometric mean over series)",
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
                out.push_str(&title("Baselines across the series", '-', max));
                out.push('\n');
                out.push_str(&self.baselines_table(&rows).terminal(max));
            }
        }
        out.push('\n');
        out.push_str(&wrap(
            &format!(
                "Every table: {}. Data: trials.parquet (a row per trial), series.parquet (a row \
                 per trial and series), best.csv, penalty_effect.csv, baselines.csv; figures in \
                 report.html.",
                dir.join("summary.md").display()
            ),
            max,
        ));
        out
    }

    /// `best.csv`: the setting chosen for the collection and the per-series winners, each
    /// with its scores on both splits and its test check.
    fn best_frame(&self) -> crate::error::Result<DataFrame> {
        let mut choice = Vec::new();
        let mut setting = Vec::new();
        let mut rows: Vec<([Scores; 2], Option<&Confirmation>)> = Vec::new();
        if let Some(best) = self.best() {
            choice.push("collection");
            setting.push(best.label.clone());
            rows.push((
                best.scores,
                self.confirmation.as_ref().filter(|_| self.tested),
            ));
        }
        if let Some(w) = &self.winners {
            choice.push("per_series");
            setting.push(format!("{} settings", w.distinct));
            rows.push((w.scores, w.confirmation.as_ref()));
        }
        let mut columns = vec![
            Column::new("choice".into(), choice),
            Column::new("setting".into(), setting),
        ];
        for (k, split) in ["val", "test"].into_iter().enumerate() {
            let f = |name: &str, g: fn(&Scores) -> Option<f64>| {
                Column::new(
                    format!("{split}_{name}").into(),
                    rows.iter().map(|(s, _)| g(&s[k])).collect::<Vec<_>>(),
                )
            };
            columns.extend([
                f("rel_mse_gmean", |s| s.rel_mse_gmean),
                f("owa", |s| s.owa),
                f("mase", |s| s.mase),
                f("trend_acc", |s| s.trend_acc),
                f("win_share", |s| s.win_share),
            ]);
        }
        let count = |g: fn(&Confirmation) -> usize| {
            rows.iter()
                .map(|(_, c)| c.map(|c| g(c) as i64))
                .collect::<Vec<Option<i64>>>()
        };
        columns.extend([
            Column::new("test_series".into(), count(|c| c.series)),
            Column::new("test_beats_naive2".into(), count(|c| c.beats_naive2)),
            Column::new("test_beats_best_baseline".into(), count(|c| c.beats_best)),
        ]);
        Ok(DataFrame::new_infer_height(columns)?)
    }

    /// `penalty_effect.csv`: one row per λ > 0 and split.
    fn effects_frame(&self) -> crate::error::Result<DataFrame> {
        let mut rows: Vec<(f64, &str, &Effect)> = Vec::new();
        for e in &self.effects {
            for (k, split) in ["val", "test"].into_iter().enumerate() {
                if let Some(x) = &e.splits[k] {
                    rows.push((e.lambda, split, x));
                }
            }
        }
        Ok(DataFrame::new_infer_height(vec![
            Column::new(
                "lambda".into(),
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            ),
            Column::new("split".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            Column::new(
                "mse_ratio_gmean".into(),
                rows.iter().map(|r| r.2.ratio).collect::<Vec<_>>(),
            ),
            Column::new(
                "ci_low".into(),
                rows.iter().map(|r| r.2.low).collect::<Vec<_>>(),
            ),
            Column::new(
                "ci_high".into(),
                rows.iter().map(|r| r.2.high).collect::<Vec<_>>(),
            ),
            Column::new(
                "series".into(),
                rows.iter().map(|r| r.2.series as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "helped".into(),
                rows.iter().map(|r| r.2.helped as i64).collect::<Vec<_>>(),
            ),
        ])?)
    }

    /// Writes `summary.md`, `best.csv`, `penalty_effect.csv` and `report.html` (with its
    /// figures) into `dir`.
    pub fn write(&self, dir: &Path) -> crate::error::Result<()> {
        crate::store::write_bytes(&dir.join("summary.md"), self.markdown().as_bytes())?;
        crate::store::write_csv(&dir.join("best.csv"), &mut self.best_frame()?)?;
        crate::store::write_csv(&dir.join("penalty_effect.csv"), &mut self.effects_frame()?)?;
        super::html::collection::write_collection_html(dir, self)
    }
}
