//! The summary's words and tables as one document of sections, paragraphs and tables, which
//! every view renders: `summary.md`, the terminal and the HTML page say the same things.

use crate::report::render::{fmt_acc, fmt_mse, fmt_setting_float, signed};
use crate::report::summary::{BestBy, BestRow, PenaltyEffect, PenaltyTable, Summary};
use crate::report::tables::{SettingKind, setting_kind};

fn opt(value: Option<f64>, f: fn(f64) -> String) -> String {
    value.map(f).unwrap_or_default()
}

/// Which views a column appears in: the terminal swaps wide interval columns for narrower ones.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Show {
    Both,
    Markdown,
    Terminal,
}

pub(crate) struct ColumnSpec {
    /// The header in Markdown and HTML.
    pub header: String,
    /// The shorter header in the terminal.
    pub short: String,
    /// Right-aligned (numbers).
    pub right: bool,
    pub show: Show,
}

pub(crate) fn column(header: &str, short: &str, right: bool) -> ColumnSpec {
    ColumnSpec {
        header: header.into(),
        short: short.into(),
        right,
        show: Show::Both,
    }
}

pub(crate) struct TextTable {
    pub columns: Vec<ColumnSpec>,
    pub rows: Vec<Vec<String>>,
}

pub(crate) enum Block {
    Para(String),
    Table(TextTable),
}

pub(crate) struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

impl TextTable {
    /// The columns a view shows, with their headers and cells.
    pub fn view(&self, markdown: bool) -> (Vec<(&str, bool)>, Vec<Vec<&str>>) {
        let keep: Vec<usize> = (0..self.columns.len())
            .filter(|&i| match self.columns[i].show {
                Show::Both => true,
                Show::Markdown => markdown,
                Show::Terminal => !markdown,
            })
            .collect();
        let heads = keep
            .iter()
            .map(|&i| {
                let c = &self.columns[i];
                (
                    if markdown {
                        c.header.as_str()
                    } else {
                        c.short.as_str()
                    },
                    c.right,
                )
            })
            .collect();
        let rows = self
            .rows
            .iter()
            .map(|r| keep.iter().map(|&i| r[i].as_str()).collect())
            .collect();
        (heads, rows)
    }
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn interval_cell(lo: Option<f64>, hi: Option<f64>, n: usize, f: fn(f64) -> String) -> String {
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("[{}, {}]", f(lo), f(hi)),
        _ => format!("n={n}"),
    }
}

impl Summary {
    /// The summary as a document: the opening paragraphs, then one section per table.
    pub(crate) fn document(&self) -> (Vec<Block>, Vec<Section>) {
        (self.header_blocks(), self.sections())
    }

    fn header_blocks(&self) -> Vec<Block> {
        let c = &self.counts;
        let mut blocks = vec![Block::Para(format!(
            "{}: {} ok, {} diverged, {} failed.",
            plural(c.total, "trial", "trials"),
            c.ok,
            c.diverged,
            c.failed
        ))];
        if c.total == 0 {
            blocks.push(Block::Para(
                "No trial has finished yet: the tables have no rows. Run the sweep again to \
                 train the trials; finished ones are kept as they finish."
                    .into(),
            ));
        }
        let fixed = listed(self.fixed.iter().map(|(n, v)| format!("{n} = {v}")), "none");
        blocks.push(Block::Para(format!("Fixed settings: {fixed}.")));
        let axes = listed(
            self.axes.iter().map(|(n, k)| format!("{n} ({k} values)")),
            "none (every trial has the same settings)",
        );
        blocks.push(Block::Para(format!("Axes: {axes}.")));
        if self.baseline_rows == 0 {
            blocks.push(Block::Para(
                "No baselines.csv was found, so the baseline figures are blank.".into(),
            ));
        }
        if let Some(reason) = self.no_validation() {
            blocks.push(Block::Para(format!(
                "{reason} The validation columns below are blank."
            )));
        }
        blocks
    }

    fn axis_sections(&self) -> Vec<Section> {
        self.axis_tables
            .iter()
            .map(|t| {
                let intro = format!(
                    "Each row pools every trial with this {axis}, across all other settings and \
                     seeds. \"diverged\" counts trials that did not finish (diverged or failed); \
                     the means and sample standard deviations (blank with fewer than two) of the \
                     final validation MSE and trend accuracy are over the ok trials.",
                    axis = t.axis
                );
                let columns = vec![
                    column(&t.axis, &t.axis, is_numeric_setting(&t.axis)),
                    column("trials", "trials", true),
                    column("diverged", "div", true),
                    column("val_mse mean", "mse_mean", true),
                    column("val_mse std", "mse_std", true),
                    column("val_trend_acc mean", "acc_mean", true),
                    column("val_trend_acc std", "acc_std", true),
                ];
                let rows = t
                    .rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.value.to_string(),
                            r.trials.to_string(),
                            r.diverged.to_string(),
                            opt(r.val_mse_mean, fmt_mse),
                            opt(r.val_mse_std, fmt_mse),
                            opt(r.val_trend_acc_mean, fmt_acc),
                            opt(r.val_trend_acc_std, fmt_acc),
                        ]
                    })
                    .collect();
                Section {
                    heading: format!("By {}", t.axis),
                    blocks: vec![
                        Block::Para(intro),
                        Block::Table(TextTable { columns, rows }),
                    ],
                }
            })
            .collect()
    }

    fn penalty_section(&self) -> Section {
        let heading = "Penalty effect".to_string();
        let table = match &self.penalty {
            PenaltyEffect::NotApplicable(reason) => {
                return Section {
                    heading,
                    blocks: vec![Block::Para(format!(
                        "{reason} This table needs trials with λ = 0 and trials with λ > 0 that \
                         otherwise share their settings."
                    ))],
                };
            }
            PenaltyEffect::Computed(t) => t,
        };
        let mut blocks = vec![Block::Para(
            "For each ok trial with λ > 0, the difference to the ok trial with λ = 0 and \
             otherwise identical settings, seed included: d_val_mse = val_mse(λ) − val_mse(0), \
             and d_val_trend_acc likewise. Rows group the pairs by λ and the other axes, pooling \
             seeds; n is the number of pairs, and the interval is the 95 % t-interval over seeds, \
             mean ± t(0.975, n−1)·sd/√n (\"n=1\" where one pair allows none). A negative \
             d_val_mse or a positive d_val_trend_acc favours the penalty."
                .into(),
        )];
        if table.rows.is_empty() {
            blocks.push(Block::Para(
                "No pair could be formed, so the table is empty.".into(),
            ));
        } else {
            blocks.push(Block::Table(penalty_text_table(table)));
        }
        blocks.push(Block::Para(if table.unpaired == 0 {
            "Every ok trial with λ > 0 had its λ = 0 partner.".to_string()
        } else {
            format!(
                "{} with λ > 0 had no ok λ = 0 partner with the same other settings and {} \
                 skipped.",
                plural(table.unpaired, "ok trial", "ok trials"),
                if table.unpaired == 1 { "was" } else { "were" }
            )
        }));
        Section { heading, blocks }
    }

    fn best_section(&self) -> Section {
        let mut blocks = vec![Block::Para(
            "Ok trials grouped by every setting except the seed: the group with the lowest mean \
             final validation MSE and the group with the highest mean trend accuracy (means over \
             seeds), beside the persistence and OLS baselines at the same window."
                .into(),
        )];
        let by_mse = self.best_by(BestBy::LowestValMse);
        let by_acc = self.best_by(BestBy::HighestValTrendAcc);
        if by_mse.is_none() && by_acc.is_none() {
            blocks.push(Block::Para(format!(
                "{}, so there is no best setting.",
                self.nothing_validated()
            )));
        } else {
            blocks.push(Block::Table(self.best_text_table(by_mse, by_acc)));
        }
        Section {
            heading: "Best settings".into(),
            blocks,
        }
    }

    fn best_text_table(&self, by_mse: Option<&BestRow>, by_acc: Option<&BestRow>) -> TextTable {
        let columns = vec![
            column("", "", false),
            column("lowest val_mse", "best by mse", true),
            column("highest val_trend_acc", "best by acc", true),
        ];
        let cell =
            |row: Option<&BestRow>, f: &dyn Fn(&BestRow) -> String| row.map(f).unwrap_or_default();
        let mut rows = Vec::new();
        for (axis, _) in self.axes.iter().filter(|(a, _)| a != "seed") {
            let value = |b: &BestRow| b.setting(axis).map(|v| v.to_string()).unwrap_or_default();
            rows.push(vec![
                axis.clone(),
                cell(by_mse, &value),
                cell(by_acc, &value),
            ]);
        }
        type Getter = fn(&BestRow) -> String;
        let figures: [(&str, Getter); 7] = [
            ("seeds", |b| b.n_seeds.to_string()),
            ("val_mse", |b| opt(b.val_mse_mean, fmt_mse)),
            ("val_trend_acc", |b| opt(b.val_trend_acc_mean, fmt_acc)),
            ("persistence val_mse", |b| {
                opt(b.persistence.map(|p| p.val_mse), fmt_mse)
            }),
            ("persistence val_trend_acc", |b| {
                opt(b.persistence.map(|p| p.val_trend_acc), fmt_acc)
            }),
            ("ols val_mse", |b| opt(b.ols.map(|p| p.val_mse), fmt_mse)),
            ("ols val_trend_acc", |b| {
                opt(b.ols.map(|p| p.val_trend_acc), fmt_acc)
            }),
        ];
        for (name, get) in figures {
            rows.push(vec![
                name.to_string(),
                cell(by_mse, &get),
                cell(by_acc, &get),
            ]);
        }
        TextTable { columns, rows }
    }

    fn sections(&self) -> Vec<Section> {
        let mut sections = self.axis_sections();
        sections.push(self.penalty_section());
        sections.push(self.best_section());
        sections
    }
}

/// Numbers read best right-aligned, names left-aligned.
fn is_numeric_setting(name: &str) -> bool {
    matches!(
        setting_kind(name),
        Some(SettingKind::Int | SettingKind::Float)
    )
}

fn penalty_text_table(t: &PenaltyTable) -> TextTable {
    let mut columns = vec![column("lambda", "lambda", true)];
    for a in &t.other_axes {
        columns.push(column(a, a, is_numeric_setting(a)));
    }
    columns.push(column("n", "n", true));
    // Each difference, then its interval: as bounds in Markdown, as a ± half-width in the
    // terminal.
    for (header, short) in [("d_val_mse", "d_mse"), ("d_val_trend_acc", "d_acc")] {
        columns.push(column(header, short, true));
        columns.push(ColumnSpec {
            show: Show::Markdown,
            ..column("95% CI", "", false)
        });
        columns.push(ColumnSpec {
            show: Show::Terminal,
            ..column("", "±95%", true)
        });
    }
    let rows = t
        .rows
        .iter()
        .map(|r| {
            let mut cells = vec![fmt_setting_float(r.lambda)];
            cells.extend(r.others.iter().map(|v| v.to_string()));
            cells.push(r.n.to_string());
            for (iv, f) in [
                (&r.d_val_mse, fmt_mse as fn(f64) -> String),
                (&r.d_val_trend_acc, fmt_acc),
            ] {
                cells.push(signed(f(iv.mean)));
                cells.push(interval_cell(iv.low(), iv.high(), r.n, f));
                cells.push(
                    iv.half_width
                        .map(|h| format!("±{}", f(h)))
                        .unwrap_or_else(|| format!("n={}", r.n)),
                );
            }
            cells
        })
        .collect();
    TextTable { columns, rows }
}

/// The items joined by commas, or `none` when there are none.
fn listed(items: impl Iterator<Item = String>, none: &str) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        none.to_string()
    } else {
        items.join(", ")
    }
}
