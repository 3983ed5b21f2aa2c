//! The summary's words and tables as one document of sections, paragraphs and tables, which
//! every view renders: `summary.md`, the terminal and the HTML page say the same things.

use crate::analysis::summary::{
    BaselineFigures, BestBy, BestRow, PenaltyEffect, PenaltyRow, Summary, baseline_names,
};
use crate::analysis::tables::{SettingKind, setting_kind};
use crate::report::render::{fmt_acc, fmt_mse, fmt_setting_float, signed};

pub(crate) mod search;

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

/// The heading of the verdict's section, which the page lifts to its top.
pub(crate) const VERDICT: &str = "Verdict";

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
            "{}: {}.{}",
            plural(c.total, "trial", "trials"),
            c.outcomes(),
            if c.unstable > 0 {
                format!(
                    " {} of the ok ones {} unstable: final validation MSE over {}× {} own best; \
                     every table counts them.",
                    c.unstable,
                    if c.unstable == 1 { "is" } else { "are" },
                    crate::store::records::UNSTABLE_RATIO,
                    if c.unstable == 1 { "its" } else { "their" }
                )
            } else {
                String::new()
            }
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
        let ranged = |n: &str| self.search.as_ref().is_some_and(|s| s.is_ranged(n));
        let axes = listed(
            self.axes
                .iter()
                .filter(|(n, _)| !ranged(n))
                .map(|(n, k)| format!("{n} ({k} values)")),
            "none (every trial has the same settings)",
        );
        let drawn: Vec<String> = self
            .axes
            .iter()
            .filter(|(n, _)| ranged(n))
            .map(|(n, k)| format!("{n} ({k} values)"))
            .collect();
        blocks.push(Block::Para(if drawn.is_empty() {
            format!("Axes: {axes}.")
        } else {
            format!(
                "Axes: {axes}. Drawn from ranges by the search, a value per configuration: {}.",
                drawn.join(", ")
            )
        }));
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
        if !self.tested && c.ok > 0 {
            blocks.push(Block::Para(
                "No test samples (test_fraction = 0): the test columns are absent, and the \
                 best settings are compared with the baselines on validation, the samples they \
                 were chosen on."
                    .into(),
            ));
        }
        blocks
    }

    /// One plain sentence per metric: does the setting chosen on validation beat the best
    /// baseline, by how much, and how sure is that.
    pub(crate) fn verdict(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (by, metric) in [
            (BestBy::LowestValMse, "MSE"),
            (BestBy::HighestValTrendAcc, "trend accuracy"),
        ] {
            let Some(row) = self.best_by(by) else {
                continue;
            };
            let settings = self.describe_best(row);
            let Some(sig) = &row.significance else {
                out.push(format!(
                    "On {metric}, the best setting ({settings}) could not be tested against the \
                     baselines: the evaluation samples or the trials' forecasts are missing."
                ));
                continue;
            };
            let p = sig.p_value.map(fmt_p).unwrap_or_else(|| "undefined".into());
            let (test, is_sig) = match by {
                BestBy::LowestValMse => ("Diebold–Mariano", sig.p_value.is_some_and(|p| p < 0.05)),
                BestBy::HighestValTrendAcc => {
                    ("exact McNemar", sig.p_value.is_some_and(|p| p < 0.05))
                }
            };
            let better = match by {
                BestBy::LowestValMse => sig.setting < sig.baseline_value,
                BestBy::HighestValTrendAcc => sig.setting > sig.baseline_value,
            };
            let verb = match (better, is_sig) {
                (true, true) => "beats",
                (false, true) => "loses to",
                (true, false) => "does not significantly beat",
                (false, false) => "is not significantly worse than",
            };
            let by_how_much = match by {
                BestBy::LowestValMse => {
                    let rel = (sig.setting / sig.baseline_value - 1.0) * 100.0;
                    format!(
                        "MSE {} against {} ({}{:.1} %)",
                        fmt_mse(sig.setting),
                        fmt_mse(sig.baseline_value),
                        if rel >= 0.0 { "+" } else { "−" },
                        rel.abs()
                    )
                }
                BestBy::HighestValTrendAcc => format!(
                    "{} against {} of samples in the right direction by the seeds' majority ({} \
                     samples only the setting gets right, {} only the baseline)",
                    fmt_acc(sig.setting),
                    fmt_acc(sig.baseline_value),
                    sig.discordant.map_or(0, |d| d.0),
                    sig.discordant.map_or(0, |d| d.1),
                ),
            };
            out.push(format!(
                "On {metric}, the best setting by validation{on_fresh} ({settings}) {verb} the \
                 best baseline, {baseline}, on {n} {split} samples: {by_how_much}; {test} p {p}.",
                on_fresh = if self.chosen_from_confirmation {
                    " among the confirmed configurations, on their fresh seeds"
                } else {
                    ""
                },
                baseline = sig.baseline,
                n = sig.n,
                split = sig.split,
            ));
        }
        out
    }

    /// The axes' values of a best row, as `name = value` pairs.
    pub(crate) fn describe_best(&self, row: &BestRow) -> String {
        let parts: Vec<String> = self
            .axes
            .iter()
            .filter(|(a, _)| a != "seed")
            .filter_map(|(a, _)| row.setting(a).map(|v| format!("{a} = {v}")))
            .collect();
        if parts.is_empty() {
            "the only setting".into()
        } else {
            parts.join(", ")
        }
    }

    /// The best settings against every baseline, on the evaluation split: one row per
    /// baseline, the MSE test for the best setting by MSE and the accuracy test for the best
    /// by accuracy.
    fn comparisons_table(&self) -> Option<TextTable> {
        let by_mse = self.best_by(BestBy::LowestValMse);
        let by_acc = self.best_by(BestBy::HighestValTrendAcc);
        let mut names: Vec<&str> = Vec::new();
        for row in by_mse.iter().chain(by_acc.iter()) {
            for c in &row.comparisons {
                if !names.contains(&c.baseline.as_str()) {
                    names.push(&c.baseline);
                }
            }
        }
        if names.is_empty() {
            return None;
        }
        let find = |row: Option<&BestRow>, name: &str| {
            row.and_then(|r| r.comparisons.iter().find(|c| c.baseline == name).cloned())
        };
        let p_cell = |c: &Option<crate::analysis::summary::Significance>| {
            c.as_ref()
                .and_then(|c| c.p_value)
                .map(|p| fmt_p(p).trim_start_matches("= ").to_string())
                .unwrap_or_default()
        };
        let rows = names
            .iter()
            .map(|name| {
                let m = find(by_mse, name);
                let a = find(by_acc, name);
                vec![
                    name.to_string(),
                    m.as_ref().map(|c| fmt_mse(c.setting)).unwrap_or_default(),
                    m.as_ref()
                        .map(|c| fmt_mse(c.baseline_value))
                        .unwrap_or_default(),
                    p_cell(&m),
                    a.as_ref().map(|c| fmt_acc(c.setting)).unwrap_or_default(),
                    a.as_ref()
                        .map(|c| fmt_acc(c.baseline_value))
                        .unwrap_or_default(),
                    p_cell(&a),
                ]
            })
            .collect();
        Some(TextTable {
            columns: vec![
                column("baseline", "baseline", false),
                column("best-by-mse setting's MSE", "set mse", true),
                column("baseline's MSE", "base mse", true),
                column("Diebold–Mariano p", "DM p", true),
                column("best-by-acc setting's accuracy", "set acc", true),
                column("baseline's accuracy", "base acc", true),
                column("McNemar p", "McN p", true),
            ],
            rows,
        })
    }

    fn verdict_section(&self) -> Section {
        let mut blocks: Vec<Block> = self.verdict().into_iter().map(Block::Para).collect();
        if let Some(t) = self.comparisons_table() {
            let split = self
                .best
                .iter()
                .find_map(|b| b.significance.as_ref().map(|s| s.split.clone()))
                .unwrap_or_else(|| "evaluation".into());
            blocks.push(Block::Para(format!(
                "Against every baseline, on the {split} samples:"
            )));
            blocks.push(Block::Table(t));
        }
        if blocks.is_empty() {
            blocks.push(Block::Para(format!(
                "{}, so there is no best setting to test.",
                self.nothing_validated()
            )));
        } else {
            blocks.push(Block::Para(
                "Each best setting is chosen on validation only, then tested against the \
                 baseline that is best on validation by the same metric: Diebold–Mariano on \
                 squared errors (one-step horizon, Harvey–Leybourne–Newbold correction; the \
                 setting's error at a sample is the mean over its seeds) and an exact McNemar \
                 test on direction hits (a sample counts as a hit when most seeds get it right, or on \
                 a tie when the mean of the seeds' forecasts does)."
                    .into(),
            ));
        }
        Section {
            heading: VERDICT.into(),
            blocks,
        }
    }

    fn axis_sections(&self) -> Vec<Section> {
        self.axis_tables
            .iter()
            .map(|t| {
                let intro = format!(
                    "Each row pools every trial with this {axis}, across all other settings and \
                     seeds. \"diverged\" counts trials that did not finish (diverged or failed), \
                     \"unstable\" the ok ones whose final validation MSE is over ten times \
                     their best; the means and sample standard deviations (blank with fewer \
                     than two) of the validation MSE and trend accuracy, at each trial's \
                     metric_epoch, are over the ok trials.",
                    axis = t.axis
                );
                let columns = vec![
                    column(&t.axis, &t.axis, is_numeric_setting(&t.axis)),
                    column("trials", "trials", true),
                    column("diverged", "div", true),
                    column("unstable", "unst", true),
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
                            r.unstable.to_string(),
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
            "Each ok trial with λ > 0 is paired with the ok trial with λ = 0 and otherwise \
             identical settings, seed included. mse_ratio is the geometric mean over pairs of \
             val_mse(λ) / val_mse(0), with its 95 % interval (a t-interval on the logs, \
             mean ± t(0.975, n−1)·sd/√n, exponentiated): below 1 the penalty lowered the \
             error. One trial a hundred times off moves it by a factor of 100^(1/n), where it \
             would move a mean difference by its whole size. median_d_mse is the median of \
             val_mse(λ) − val_mse(0); mse_wins and acc_wins are the shares of pairs where λ > 0 \
             did better (an accuracy tie counts half); d_acc is the mean difference in trend \
             accuracy with its interval. unstable counts pairs with an unstable trial on either \
             side. \"n=1\" marks a row where one pair allows no interval."
                .into(),
        )];
        if table.rows.is_empty() {
            blocks.push(Block::Para(
                "No pair could be formed, so the table is empty.".into(),
            ));
        } else {
            blocks.push(Block::Para(
                "Headline: each λ against λ = 0, every other setting pooled.".into(),
            ));
            blocks.push(Block::Table(penalty_text_table(&[], &table.headline)));
            blocks.push(Block::Para(
                "By λ and every other axis, seeds pooled:".into(),
            ));
            blocks.push(Block::Table(penalty_text_table(
                &table.other_axes,
                &table.rows,
            )));
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
             validation MSE and the group with the highest mean trend accuracy (means over \
             seeds), beside every baseline at the same window. Only validation chooses; the \
             test figures, measured once after training, are shown here and nowhere else."
                .into(),
        )];
        if self.chosen_from_confirmation {
            blocks.push(Block::Para(
                "After a search only its confirmation trials compete here: each confirmed \
                 configuration on its fresh seeds. The search seeds chose those configurations, \
                 so their scores are the optimistic ones and are left out."
                    .into(),
            ));
        }
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
        type Getter = Box<dyn Fn(&BestRow) -> String>;
        let mut figures: Vec<(String, Getter)> = vec![
            ("seeds".into(), Box::new(|b| b.n_seeds.to_string())),
            (
                "unstable seeds".into(),
                Box::new(|b| b.unstable.to_string()),
            ),
            ("val_mse".into(), Box::new(|b| opt(b.val_mse_mean, fmt_mse))),
            (
                "val_trend_acc".into(),
                Box::new(|b| opt(b.val_trend_acc_mean, fmt_acc)),
            ),
        ];
        if self.tested {
            figures.push((
                "test_mse".into(),
                Box::new(|b| opt(b.test_mse_mean, fmt_mse)),
            ));
            figures.push((
                "test_trend_acc".into(),
                Box::new(|b| opt(b.test_trend_acc_mean, fmt_acc)),
            ));
        }
        for name in baseline_names(by_mse.into_iter().chain(by_acc)) {
            type Pick = fn(&BaselineFigures) -> Option<f64>;
            type Format = fn(f64) -> String;
            let mut parts: Vec<(&str, Pick, Format)> = vec![
                ("val_mse", |f| f.val_mse, fmt_mse),
                ("val_trend_acc", |f| f.val_trend_acc, fmt_acc),
            ];
            if self.tested {
                parts.push(("test_mse", |f| f.test_mse, fmt_mse));
                parts.push(("test_trend_acc", |f| f.test_trend_acc, fmt_acc));
            }
            for (what, pick, f) in parts {
                let n = name.to_string();
                figures.push((
                    format!("{name} {what}"),
                    Box::new(move |b| opt(b.baseline(&n).and_then(pick), f)),
                ));
            }
        }
        for (name, get) in figures {
            rows.push(vec![name, cell(by_mse, &get), cell(by_acc, &get)]);
        }
        TextTable { columns, rows }
    }

    /// The best settings' own figures and every baseline's at their window, one column per
    /// best setting: the terminal's short form of the best table.
    pub(crate) fn best_compact_table(&self) -> Option<TextTable> {
        let by_mse = self.best_by(BestBy::LowestValMse);
        let by_acc = self.best_by(BestBy::HighestValTrendAcc);
        let first = by_mse.or(by_acc)?;
        let mut heads = Vec::new();
        if let Some(b) = by_mse {
            heads.push(("best by mse", b));
        }
        if let Some(b) = by_acc {
            heads.push(("best by acc", b));
        }
        // The figures as rows: val and (with test samples) test.
        let mut figure_cols = vec![
            column("", "", false),
            column("val_mse", "val_mse", true),
            column("val_acc", "val_acc", true),
        ];
        if self.tested {
            figure_cols.push(column("test_mse", "test_mse", true));
            figure_cols.push(column("test_acc", "test_acc", true));
        }
        let tested = self.tested;
        let line = |name: String, v: [Option<f64>; 4]| {
            let mut cells = vec![name, opt(v[0], fmt_mse), opt(v[1], fmt_acc)];
            if tested {
                cells.push(opt(v[2], fmt_mse));
                cells.push(opt(v[3], fmt_acc));
            }
            cells
        };
        let mut rows = Vec::new();
        for (h, b) in &heads {
            rows.push(line(
                format!("{h} ({} seeds)", b.n_seeds),
                [
                    b.val_mse_mean,
                    b.val_trend_acc_mean,
                    b.test_mse_mean,
                    b.test_trend_acc_mean,
                ],
            ));
        }
        for f in &first.baselines {
            rows.push(line(
                f.name.clone(),
                [f.val_mse, f.val_trend_acc, f.test_mse, f.test_trend_acc],
            ));
        }
        Some(TextTable {
            columns: figure_cols,
            rows,
        })
    }

    /// The headline penalty table, when there is one.
    pub(crate) fn headline_table(&self) -> Option<TextTable> {
        match &self.penalty {
            PenaltyEffect::Computed(t) if !t.headline.is_empty() => {
                Some(penalty_text_table(&[], &t.headline))
            }
            _ => None,
        }
    }

    fn sections(&self) -> Vec<Section> {
        let mut sections = vec![self.verdict_section()];
        sections.extend(self.search_sections());
        sections.extend(self.axis_sections());
        sections.push(self.penalty_section());
        sections.push(self.best_section());
        sections.extend(self.folds_section());
        sections
    }

    /// One sentence per best row with rolling-origin folds: on how many folds it beats the
    /// best baseline.
    pub(crate) fn fold_sentences(&self) -> Vec<String> {
        self.folds
            .iter()
            .filter_map(|t| {
                let baseline = t.best_baseline.as_ref()?;
                let who = match t.by {
                    BestBy::LowestValMse => "best setting by MSE",
                    BestBy::HighestValTrendAcc => "best setting by trend accuracy",
                };
                Some(format!(
                    "Per fold, the {who} beats {baseline} on {} in {} of {} {}.",
                    t.metric(),
                    t.wins,
                    t.rows.len(),
                    if t.rows.len() == 1 { "fold" } else { "folds" }
                ))
            })
            .collect()
    }

    /// With rolling-origin folds: each best row's metric fold by fold beside the baselines'.
    fn folds_section(&self) -> Option<Section> {
        if self.folds.is_empty() {
            return None;
        }
        let mut blocks = vec![Block::Para(
            "Each fold validates on its own block of the series, trained on everything before \
             it; a setting chosen on the folds' mean may still win on one origin and lose on \
             the others. Each best setting's mean over its seeds on every fold, beside every \
             baseline on the same fold (its own fit for ols)."
                .into(),
        )];
        for t in &self.folds {
            let fmt = |v: Option<f64>| match (v, t.by) {
                (None, _) => String::new(),
                (Some(v), BestBy::LowestValMse) => fmt_mse(v),
                (Some(v), BestBy::HighestValTrendAcc) => fmt_acc(v),
            };
            let mut columns = vec![
                column("fold", "fold", true),
                column("setting", "setting", true),
            ];
            let names: Vec<String> = t
                .rows
                .first()
                .map(|r| r.baselines.iter().map(|(n, _)| n.clone()).collect())
                .unwrap_or_default();
            for n in &names {
                columns.push(column(n, n, true));
            }
            let rows = t
                .rows
                .iter()
                .map(|r| {
                    let mut cells = vec![r.fold.to_string(), fmt(r.setting)];
                    cells.extend(r.baselines.iter().map(|(_, v)| fmt(*v)));
                    cells
                })
                .collect();
            let who = match t.by {
                BestBy::LowestValMse => "Best by val_mse",
                BestBy::HighestValTrendAcc => "Best by val_trend_acc",
            };
            blocks.push(Block::Para(format!("{who}: {} on each fold.", t.metric())));
            blocks.push(Block::Table(TextTable { columns, rows }));
        }
        blocks.extend(self.fold_sentences().into_iter().map(Block::Para));
        Some(Section {
            heading: "Per fold".into(),
            blocks,
        })
    }
}

/// Numbers read best right-aligned, names left-aligned.
fn is_numeric_setting(name: &str) -> bool {
    matches!(
        setting_kind(name),
        Some(SettingKind::Int | SettingKind::Float)
    )
}

fn penalty_text_table(other_axes: &[String], rows: &[PenaltyRow]) -> TextTable {
    let mut columns = vec![column("lambda", "lambda", true)];
    for a in other_axes {
        columns.push(column(a, a, is_numeric_setting(a)));
    }
    columns.push(column("n", "n", true));
    // Each effect, then its interval: as bounds in Markdown, as a ± half-width or bounds in
    // the terminal.
    columns.push(column("mse_ratio", "ratio", true));
    columns.push(column("95% CI", "95% CI", false));
    columns.push(column("median_d_mse", "med_d_mse", true));
    columns.push(column("mse_wins", "wins", true));
    columns.push(column("d_acc", "d_acc", true));
    columns.push(ColumnSpec {
        show: Show::Markdown,
        ..column("95% CI", "", false)
    });
    columns.push(ColumnSpec {
        show: Show::Terminal,
        ..column("", "±95%", true)
    });
    columns.push(column("acc_wins", "wins", true));
    columns.push(column("unstable", "unst", true));
    let ratio = |x: f64| format!("{x:.3}");
    let share = |x: f64| format!("{:.0} %", x * 100.0);
    let rows = rows
        .iter()
        .map(|r| {
            let mut cells = vec![fmt_setting_float(r.lambda)];
            cells.extend(r.others.iter().map(|v| v.to_string()));
            cells.push(r.n.to_string());
            let (mid, lo, hi) = r.mse_ratio();
            cells.push(if r.log_mse_ratio.mean.is_finite() {
                ratio(mid)
            } else {
                String::new()
            });
            cells.push(interval_cell(lo, hi, r.n, ratio));
            cells.push(
                r.median_d_val_mse
                    .map(|m| signed(fmt_mse(m)))
                    .unwrap_or_default(),
            );
            cells.push(r.mse_wins.map(share).unwrap_or_default());
            let iv = &r.d_val_trend_acc;
            cells.push(signed(fmt_acc(iv.mean)));
            cells.push(interval_cell(iv.low(), iv.high(), r.n, fmt_acc));
            cells.push(
                iv.half_width
                    .map(|h| format!("±{}", fmt_acc(h)))
                    .unwrap_or_else(|| format!("n={}", r.n)),
            );
            cells.push(r.acc_wins.map(share).unwrap_or_default());
            cells.push(r.unstable.to_string());
            cells
        })
        .collect();
    TextTable { columns, rows }
}

/// A p-value as people read it, with its relation: "= 0.047", or a bound for tiny ones.
pub(crate) fn fmt_p(p: f64) -> String {
    if p < 1e-4 {
        "< 0.0001".into()
    } else {
        format!("= {p:.3}")
    }
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
