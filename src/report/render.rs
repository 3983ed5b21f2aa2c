//! A [`Summary`] as text (summary.md, terminal) and CSVs; pure, so same files give same bytes.

use std::path::Path;

use crate::error::Context;
use polars::prelude::{Column, DataFrame};

use super::summary::{BestBy, BestRow, PenaltyEffect, PenaltyTable, SettingValue, Summary};
use super::tables::{self, SettingKind, setting_kind};

/// The terminal view's line limit.
pub const TERMINAL_WIDTH: usize = 100;

pub use crate::grid::fmt_setting_float;

/// `-0.0` prints as `-0`; nobody means that.
fn no_negative_zero(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x }
}

/// Six significant digits, `%g` style: MSEs span many orders of magnitude across series, so a
/// fixed number of decimals would print some as 0.000000. Trailing zeros are kept so that a
/// column's digits line up.
pub fn fmt_mse(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let x = no_negative_zero(x);
    if x == 0.0 {
        return "0".into();
    }
    // The exponent after rounding to 6 digits (9.999996 becomes 1.00000e1).
    let sci = format!("{x:.5e}");
    let exp: i32 = sci
        .split('e')
        .nth(1)
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    if (-4..6).contains(&exp) {
        let decimals = (5 - exp) as usize;
        let fixed = format!("{x:.decimals$}");
        // Rounding in fixed notation can disagree with the exponent by one digit only at the
        // boundary; the scientific form is always right, so fall back to it then.
        let digits = fixed
            .chars()
            .filter(|c| c.is_ascii_digit())
            .skip_while(|c| *c == '0')
            .count();
        if digits == 6 { fixed } else { sci }
    } else {
        sci
    }
}

/// Four decimals: accuracies are fractions in [0, 1].
pub fn fmt_acc(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    format!("{:.4}", no_negative_zero(x))
}

/// A difference with an explicit sign, so that "worse" and "better" read at a glance.
fn signed(s: String) -> String {
    if s.starts_with('-') || s == "0" || s.chars().all(|c| c == '0' || c == '.') {
        s
    } else {
        format!("+{s}")
    }
}

fn opt(value: Option<f64>, f: fn(f64) -> String) -> String {
    value.map(f).unwrap_or_default()
}

/// Which views a column appears in: the terminal swaps wide interval columns for narrower ones.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Show {
    Both,
    Markdown,
    Terminal,
}

struct ColumnSpec {
    header: String,
    short: String,
    right: bool,
    show: Show,
}

fn column(header: &str, short: &str, right: bool) -> ColumnSpec {
    ColumnSpec {
        header: header.into(),
        short: short.into(),
        right,
        show: Show::Both,
    }
}

struct TextTable {
    columns: Vec<ColumnSpec>,
    rows: Vec<Vec<String>>,
}

enum Block {
    Para(String),
    Table(TextTable),
}

struct Section {
    heading: String,
    blocks: Vec<Block>,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize, right: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

impl TextTable {
    /// The columns a view shows, with their headers and cells.
    fn view(&self, markdown: bool) -> (Vec<(&str, bool)>, Vec<Vec<&str>>) {
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

    fn widths(heads: &[(&str, bool)], rows: &[Vec<&str>], min: usize) -> Vec<usize> {
        heads
            .iter()
            .enumerate()
            .map(|(i, (h, _))| {
                rows.iter()
                    .map(|r| width(r[i]))
                    .chain([width(h), min])
                    .max()
                    .unwrap()
            })
            .collect()
    }

    fn markdown(&self) -> String {
        let (heads, rows) = self.view(true);
        let escape = |s: &str| s.replace('|', "\\|");
        let heads: Vec<(String, bool)> = heads.iter().map(|(h, r)| (escape(h), *r)).collect();
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| escape(c)).collect())
            .collect();
        let head_refs: Vec<(&str, bool)> = heads.iter().map(|(h, r)| (h.as_str(), *r)).collect();
        let row_refs: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let w = Self::widths(&head_refs, &row_refs, 3);
        let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        let mut out = line(
            head_refs
                .iter()
                .zip(&w)
                .map(|((h, r), w)| pad(h, *w, *r))
                .collect(),
        );
        out.push_str(&line(
            head_refs
                .iter()
                .zip(&w)
                .map(|((_, r), w)| {
                    if *r {
                        format!("{}:", "-".repeat(w - 1))
                    } else {
                        format!(":{}", "-".repeat(w - 1))
                    }
                })
                .collect(),
        ));
        for row in &row_refs {
            out.push_str(&line(
                row.iter()
                    .zip(&head_refs)
                    .zip(&w)
                    .map(|((c, (_, r)), w)| pad(c, *w, *r))
                    .collect(),
            ));
        }
        out
    }

    /// Aligned columns when they fit in `max` columns; otherwise one block of `header value`
    /// lines per row, which always fits.
    fn terminal(&self, max: usize) -> String {
        let (heads, rows) = self.view(false);
        let w = Self::widths(&heads, &rows, 1);
        let gap = "  ";
        let total: usize = w.iter().sum::<usize>() + gap.len() * w.len().saturating_sub(1);
        let mut out = String::new();
        if total <= max {
            let line = |cells: Vec<String>| cells.join(gap).trim_end().to_string() + "\n";
            out.push_str(&line(
                heads
                    .iter()
                    .zip(&w)
                    .map(|((h, r), w)| pad(h, *w, *r))
                    .collect(),
            ));
            out.push_str(&line(w.iter().map(|w| "-".repeat(*w)).collect()));
            for row in &rows {
                out.push_str(&line(
                    row.iter()
                        .zip(&heads)
                        .zip(&w)
                        .map(|((c, (_, r)), w)| pad(c, *w, *r))
                        .collect(),
                ));
            }
        } else {
            let hw = heads.iter().map(|(h, _)| width(h)).max().unwrap_or(0);
            for (i, row) in rows.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                for ((h, _), c) in heads.iter().zip(row) {
                    out.push_str(&clip(
                        format!("{}{gap}{c}", pad(h, hw, false)).trim_end(),
                        max,
                    ));
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// Last resort for a value too long for any layout.
fn clip(line: &str, max: usize) -> String {
    if width(line) <= max {
        line.to_string()
    } else {
        line.chars().take(max - 1).chain(['…']).collect()
    }
}

/// Greedy word wrap; a single word longer than the line is clipped.
fn wrap(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && width(&line) + 1 + width(word) > max {
            out.push_str(&clip(&line, max));
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&clip(&line, max));
        out.push('\n');
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn interval_cell(lo: Option<f64>, hi: Option<f64>, n: usize, f: fn(f64) -> String) -> String {
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("[{}, {}]", f(lo), f(hi)),
        _ => format!("n={n}"),
    }
}

impl Summary {
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
        let fixed = if self.fixed.is_empty() {
            "none".to_string()
        } else {
            self.fixed
                .iter()
                .map(|(n, v)| format!("{n} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        blocks.push(Block::Para(format!("Fixed settings: {fixed}.")));
        let axes = if self.axes.is_empty() {
            "none (every trial has the same settings)".to_string()
        } else {
            self.axes
                .iter()
                .map(|(n, k)| format!("{n} ({k} values)"))
                .collect::<Vec<_>>()
                .join(", ")
        };
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

    /// The whole `summary.md`. No timestamps or paths: the same files must give the same bytes.
    pub fn markdown(&self) -> String {
        let mut out = String::from("# Sweep summary\n");
        let render = |out: &mut String, blocks: &[Block]| {
            for block in blocks {
                out.push('\n');
                match block {
                    Block::Para(p) => {
                        out.push_str(p);
                        out.push('\n');
                    }
                    Block::Table(t) => out.push_str(&t.markdown()),
                }
            }
        };
        render(&mut out, &self.header_blocks());
        for section in self.sections() {
            out.push_str(&format!("\n## {}\n", section.heading));
            render(&mut out, &section.blocks);
        }
        out
    }

    /// The same content for a terminal: aligned columns, shorter headers, nothing wider than
    /// [`TERMINAL_WIDTH`].
    pub fn terminal(&self) -> String {
        let max = TERMINAL_WIDTH;
        let mut out = String::new();
        let title = |out: &mut String, text: &str, rule: char| {
            let text = clip(text, max);
            out.push_str(&format!(
                "{text}\n{}\n",
                rule.to_string().repeat(width(&text))
            ));
        };
        let render = |out: &mut String, blocks: &[Block]| {
            for block in blocks {
                out.push('\n');
                match block {
                    Block::Para(p) => out.push_str(&wrap(p, max)),
                    Block::Table(t) => out.push_str(&t.terminal(max)),
                }
            }
        };
        title(&mut out, "Sweep summary", '=');
        render(&mut out, &self.header_blocks());
        for section in self.sections() {
            out.push('\n');
            title(&mut out, &section.heading, '-');
            render(&mut out, &section.blocks);
        }
        out
    }

    /// Writes `summary.md`, `axis_<name>.csv` per axis table, `penalty_effect.csv` (when the
    /// table exists) and `best.csv` into `out`. Table CSVs from an earlier summary that this one
    /// does not have are removed, so the folder never mixes two summaries.
    pub fn write(&self, out: &Path) -> crate::error::Result<()> {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let mut keep: Vec<String> = Vec::new();
        for t in &self.axis_tables {
            let name = format!("axis_{}.csv", t.axis);
            let values: Vec<&SettingValue> = t.rows.iter().map(|r| &r.value).collect();
            let rows = &t.rows;
            let mut df = DataFrame::new_infer_height(vec![
                setting_column(&t.axis, &values)?,
                Column::new(
                    "trials".into(),
                    rows.iter().map(|r| r.trials as i64).collect::<Vec<_>>(),
                ),
                Column::new(
                    "diverged".into(),
                    rows.iter().map(|r| r.diverged as i64).collect::<Vec<_>>(),
                ),
                Column::new(
                    "val_mse_mean".into(),
                    rows.iter().map(|r| r.val_mse_mean).collect::<Vec<_>>(),
                ),
                Column::new(
                    "val_mse_std".into(),
                    rows.iter().map(|r| r.val_mse_std).collect::<Vec<_>>(),
                ),
                Column::new(
                    "val_trend_acc_mean".into(),
                    rows.iter()
                        .map(|r| r.val_trend_acc_mean)
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "val_trend_acc_std".into(),
                    rows.iter().map(|r| r.val_trend_acc_std).collect::<Vec<_>>(),
                ),
            ])?;
            tables::write_csv(&out.join(&name), &mut df)?;
            keep.push(name);
        }
        if let PenaltyEffect::Computed(t) = &self.penalty {
            let mut df = penalty_frame(t)?;
            tables::write_csv(&out.join("penalty_effect.csv"), &mut df)?;
            keep.push("penalty_effect.csv".into());
        }
        let mut best = best_frame(&self.best)?;
        tables::write_csv(&out.join("best.csv"), &mut best)?;
        let md = self.markdown();
        crate::store::write_atomically(&out.join("summary.md"), |f| {
            use std::io::Write;
            f.write_all(md.as_bytes())?;
            Ok(())
        })?;
        remove_stale(out, &keep)
    }
}

fn remove_stale(out: &Path, keep: &[String]) -> crate::error::Result<()> {
    for entry in std::fs::read_dir(out).with_context(|| format!("cannot list {}", out.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours =
            (name.starts_with("axis_") && name.ends_with(".csv")) || name == "penalty_effect.csv";
        if ours && !keep.contains(&name) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove the stale {}", entry.path().display()))?;
        }
    }
    Ok(())
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
    columns.push(column("d_val_mse", "d_mse", true));
    columns.push(ColumnSpec {
        show: Show::Markdown,
        ..column("95% CI", "", false)
    });
    columns.push(ColumnSpec {
        show: Show::Terminal,
        ..column("", "±95%", true)
    });
    columns.push(column("d_val_trend_acc", "d_acc", true));
    columns.push(ColumnSpec {
        show: Show::Markdown,
        ..column("95% CI", "", false)
    });
    columns.push(ColumnSpec {
        show: Show::Terminal,
        ..column("", "±95%", true)
    });
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

/// A setting column typed as in `trials.parquet`, so a CSV reader infers the same type.
fn setting_column(name: &str, values: &[&SettingValue]) -> crate::error::Result<Column> {
    let kind = setting_kind(name).with_context(|| format!("{name} is not a setting"))?;
    // Every value must be of the column's kind; `get` picks it out of the enum.
    fn typed<T>(
        name: &str,
        values: &[&SettingValue],
        get: impl Fn(&SettingValue) -> Option<T>,
    ) -> crate::error::Result<Vec<T>> {
        values
            .iter()
            .map(|v| {
                get(v)
                    .with_context(|| format!("setting {name} has a value of the wrong type: {v:?}"))
            })
            .collect()
    }
    let name_ = name.into();
    Ok(match kind {
        SettingKind::Int => Column::new(
            name_,
            typed(name, values, |v| match v {
                SettingValue::Int(x) => i64::try_from(*x).ok(),
                _ => None,
            })?,
        ),
        SettingKind::Float => Column::new(
            name_,
            typed(name, values, |v| match v {
                SettingValue::Float(x) => Some(*x),
                _ => None,
            })?,
        ),
        SettingKind::Str => Column::new(
            name_,
            typed(name, values, |v| match v {
                SettingValue::Str(x) => Some(x.clone()),
                _ => None,
            })?,
        ),
        SettingKind::Bool => Column::new(
            name_,
            typed(name, values, |v| match v {
                SettingValue::Bool(x) => Some(*x),
                _ => None,
            })?,
        ),
    })
}

fn penalty_frame(t: &PenaltyTable) -> crate::error::Result<DataFrame> {
    let rows = &t.rows;
    let mut columns = vec![Column::new(
        "lambda".into(),
        rows.iter().map(|r| r.lambda).collect::<Vec<_>>(),
    )];
    for (i, axis) in t.other_axes.iter().enumerate() {
        let values: Vec<&SettingValue> = rows.iter().map(|r| &r.others[i]).collect();
        columns.push(setting_column(axis, &values)?);
    }
    columns.push(Column::new(
        "n".into(),
        rows.iter().map(|r| r.n as i64).collect::<Vec<_>>(),
    ));
    for (prefix, get) in [
        (
            "d_val_mse",
            (|r| &r.d_val_mse) as fn(&super::summary::PenaltyRow) -> &super::stats::Interval,
        ),
        ("d_val_trend_acc", |r| &r.d_val_trend_acc),
    ] {
        columns.push(Column::new(
            format!("{prefix}_mean").into(),
            rows.iter().map(|r| get(r).mean).collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{prefix}_sd").into(),
            rows.iter().map(|r| get(r).sd).collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{prefix}_ci_low").into(),
            rows.iter().map(|r| get(r).low()).collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{prefix}_ci_high").into(),
            rows.iter().map(|r| get(r).high()).collect::<Vec<_>>(),
        ));
    }
    Ok(DataFrame::new_infer_height(columns)?)
}

fn best_frame(best: &[BestRow]) -> crate::error::Result<DataFrame> {
    let mut columns = vec![Column::new(
        "criterion".into(),
        best.iter().map(|b| b.by.name()).collect::<Vec<_>>(),
    )];
    for (name, kind) in tables::SETTINGS.iter().filter(|(n, _)| *n != "seed") {
        let values = best
            .iter()
            .map(|b| {
                b.setting(name)
                    .with_context(|| format!("best row lacks {name}"))
            })
            .collect::<crate::error::Result<Vec<_>>>()?;
        columns.push(if values.is_empty() {
            Column::new_empty((*name).into(), &kind.dtype())
        } else {
            setting_column(name, &values)?
        });
    }
    columns.push(Column::new(
        "n_seeds".into(),
        best.iter().map(|b| b.n_seeds as i64).collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "val_mse_mean".into(),
        best.iter().map(|b| b.val_mse_mean).collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "val_trend_acc_mean".into(),
        best.iter()
            .map(|b| b.val_trend_acc_mean)
            .collect::<Vec<_>>(),
    ));
    for (prefix, get) in [
        (
            "persistence",
            (|b| b.persistence) as fn(&BestRow) -> Option<super::summary::BaselineFigures>,
        ),
        ("ols", |b| b.ols),
    ] {
        columns.push(Column::new(
            format!("{prefix}_val_mse").into(),
            best.iter()
                .map(|b| get(b).map(|f| f.val_mse))
                .collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{prefix}_val_trend_acc").into(),
            best.iter()
                .map(|b| get(b).map(|f| f.val_trend_acc))
                .collect::<Vec<_>>(),
        ));
    }
    let df = DataFrame::new_infer_height(columns)?;
    if df.height() != best.len() {
        crate::fail!(
            "best table has {} rows for {} best groups",
            df.height(),
            best.len()
        );
    }
    Ok(df)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mse_has_six_significant_digits() {
        assert_eq!(fmt_mse(1.0), "1.00000");
        assert_eq!(fmt_mse(0.0123456789), "0.0123457");
        assert_eq!(fmt_mse(123456.7), "123457");
        assert_eq!(fmt_mse(1234567.0), "1.23457e6");
        assert_eq!(fmt_mse(12345.67), "12345.7");
        assert_eq!(fmt_mse(9.9999996), "10.0000");
        assert_eq!(fmt_mse(0.000012345678), "1.23457e-5");
        assert_eq!(fmt_mse(-0.5), "-0.500000");
        assert_eq!(fmt_mse(0.0), "0");
        assert_eq!(fmt_mse(-0.0), "0");
    }

    #[test]
    fn accuracy_and_settings() {
        assert_eq!(fmt_acc(0.56789), "0.5679");
        assert_eq!(fmt_acc(-0.0), "0.0000");
        assert_eq!(signed(fmt_acc(0.01)), "+0.0100");
        assert_eq!(signed(fmt_acc(-0.01)), "-0.0100");
        assert_eq!(signed(fmt_acc(0.0)), "0.0000");
        assert_eq!(fmt_setting_float(0.01), "0.01");
        assert_eq!(fmt_setting_float(1e-3), "0.001");
        assert_eq!(fmt_setting_float(1e-7), "1e-7");
        assert_eq!(fmt_setting_float(0.0), "0");
    }

    #[test]
    fn wide_tables_fall_back_to_records() {
        let columns = (0..12)
            .map(|i| column(&format!("column_{i}"), &format!("col_{i}"), true))
            .collect();
        let t = TextTable {
            columns,
            rows: vec![(0..12).map(|i| format!("value-{i:04}")).collect()],
        };
        let text = t.terminal(100);
        assert!(text.lines().all(|l| width(l) <= 100), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("col_11") && l.ends_with("value-0011")),
            "{text}"
        );
        let narrow = TextTable {
            columns: vec![column("a", "a", false)],
            rows: vec![vec!["x".into()]],
        };
        assert_eq!(narrow.terminal(100), "a\n-\nx\n");
    }

    #[test]
    fn wrap_respects_width() {
        let text = "word ".repeat(60);
        let wrapped = wrap(&text, 20);
        assert!(wrapped.lines().all(|l| width(l) <= 20));
        assert_eq!(wrapped.split_whitespace().count(), 60);
    }
}
