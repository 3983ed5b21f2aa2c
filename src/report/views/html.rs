//! `report.html`: the run, its figures and the summary's tables in one self-contained page.
//!
//! The page is written with maud's `html!`, whose markup is checked at compile time and which
//! escapes every value unless it is wrapped in `PreEscaped` (only the CSS and the SVG figures
//! are). This module turns a [`Summary`] into sections of blocks, renders them and writes
//! the files.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::document::{self, plural};
use super::plots::{self, CurveSpec, LambdaColours, Metric};
use crate::analysis::summary::{
    Effect, Group, PenaltyEffect, SettingValue, Summary, best_with_partners, group_settings,
    pareto_front,
};
use crate::error::{Context, Result};
use crate::report::render::{fmt_acc, fmt_mse, fmt_setting_float};
use crate::store::write_atomically;

pub(crate) mod collection;
mod search;

pub const REPORT_HTML: &str = "report.html";

/// Every SVG file the report may write. A rerun that no longer draws one of them (say the
/// grid lost its second batch size) removes the old file, so the folder never shows a figure
/// of an earlier run beside the page of this one.
pub const PLOT_FILES: [&str; 11] = [
    "tradeoff.svg",
    "heatmap_acc.svg",
    "heatmap_mse.svg",
    "penalty.svg",
    "curves.svg",
    search::HISTORY_SVG,
    search::SLICES_SVG,
    search::PARETO_SVG,
    search::CURVES_SVG,
    collection::STRIP_SVG,
    collection::EFFECTS_SVG,
];

/// How many of the best settings get learning curves: more than three lines per metric,
/// plus their dashed partners, stop being tellable apart.
const CURVE_SETTINGS: usize = 3;

struct Figure {
    svg: String,
    file: &'static str,
    caption: String,
}

/// A table's headers and cells, each with whether it is a number (right-aligned).
struct HtmlTable {
    heads: Vec<(String, bool)>,
    rows: Vec<Vec<(String, bool)>>,
}

enum Block {
    Facts(Vec<(String, String)>),
    Note(String),
    Figure(Figure),
    Heading(String),
    Para(String),
    Table(HtmlTable),
    List(Vec<String>),
}

struct Section {
    id: &'static str,
    heading: &'static str,
    blocks: Vec<Block>,
}

const CSS: &str = "
body { margin: 0; color: #222; background: #fff; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
main { max-width: 880px; margin: 0 auto; padding: 20px 24px 64px; }
h1 { font-size: 1.6em; margin: 0.4em 0 0.2em; }
h2 { font-size: 1.25em; margin: 1.8em 0 0.4em; padding-bottom: 0.2em; border-bottom: 2px solid #ddd; }
h3 { font-size: 1.05em; margin: 1.3em 0 0.3em; }
figure { margin: 12px 0 8px; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid #e2e2e2; }
figcaption { font-size: 0.9em; color: #444; margin-top: 6px; }
.note { background: #f5f5f5; border-left: 4px solid #888; padding: 8px 12px; }
.wrap { overflow-x: auto; margin: 6px 0 16px; scrollbar-width: auto; scrollbar-color: #9a9a9a #ececec; }
.wrap::-webkit-scrollbar { height: 12px; }
.wrap::-webkit-scrollbar-track { background: #ececec; }
.wrap::-webkit-scrollbar-thumb { background: #9a9a9a; border-radius: 6px; }
table { border-collapse: collapse; font-size: 0.86em; margin: 0 0 4px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e0e0e0; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; }
td.num { white-space: nowrap; }
table.wide { font-size: 0.8em; }
table.wide th, table.wide td { padding: 3px 6px; }
.num { text-align: right; }
.wrap th:first-child, .wrap td:first-child { position: sticky; left: 0; z-index: 1; box-shadow: inset -1px 0 #d0d0d0; }
.wrap td:first-child { background: #fff; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
code { font-size: 0.92em; }
";

fn num(right: bool) -> Option<&'static str> {
    right.then_some("num")
}

/// Tables with this many columns or more are set smaller, so that at the page's width
/// their cells fit on one line more often.
const WIDE_TABLE: usize = 8;

fn wide(t: &HtmlTable) -> Option<&'static str> {
    (t.heads.len() >= WIDE_TABLE).then_some("wide")
}

fn block(b: &Block) -> Markup {
    html! {
        @match b {
            Block::Facts(facts) => dl.facts {
                @for (term, value) in facts { dt { (term) } dd { (value) } }
            },
            Block::Note(text) => p.note { (text) },
            Block::Figure(f) => figure {
                (PreEscaped(&f.svg))
                figcaption { (f.caption) " (Also saved as " code { (f.file) } ".)" }
            },
            Block::Heading(text) => h3 { (text) },
            Block::Para(text) => p { (text) },
            Block::Table(t) => div.wrap { table class=[wide(t)] {
                thead { tr { @for (head, right) in &t.heads { th class=[num(*right)] { (head) } } } }
                tbody {
                    @for row in &t.rows {
                        tr { @for (cell, right) in row { td class=[num(*right)] { (cell) } } }
                    }
                }
            } },
            Block::List(items) => ol { @for item in items { li { (item) } } },
        }
    }
}

/// The whole page: title, styles and the sections in order.
fn page(title: &str, sections: &[Section]) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Sweep report: " (title) }
                style { (PreEscaped(CSS)) }
            }
            body { main {
                h1 { "Sweep report: " (title) }
                @for s in sections {
                    section id=(s.id) {
                        h2 { (s.heading) }
                        @for b in &s.blocks { (block(b)) }
                    }
                }
            } }
        }
    }
}

fn section(id: &'static str, heading: &'static str, blocks: Vec<Block>) -> Section {
    Section {
        id,
        heading,
        blocks,
    }
}

/// A figure block: the SVG inline, the file it is also written to, its caption.
fn figure(svg: String, file: &'static str, caption: String) -> Block {
    Block::Figure(Figure { svg, file, caption })
}

fn note(id: &'static str, heading: &'static str, text: String) -> Section {
    section(id, heading, vec![Block::Note(text)])
}

/// A short name for a setting in crowded places (legends); tables use the full names.
fn short_name(name: &str) -> &str {
    match name {
        "lambda" => "λ",
        "learning_rate" => "lr",
        "batch_size" => "batch",
        other => other,
    }
}

/// A group by the axes that vary in the sweep (fixed settings would only repeat on every
/// line). `short` abbreviates the names for legends.
fn describe(group: &Group, summary: &Summary, short: bool) -> String {
    let parts: Vec<String> = group_settings()
        .iter()
        .filter(|n| summary.is_axis(n))
        .filter_map(|n| {
            group.setting(n).map(|v| {
                let name = if short { short_name(n) } else { n };
                format!("{name} {v}")
            })
        })
        .collect();
    if parts.is_empty() {
        "the only setting".into()
    } else {
        parts.join(", ")
    }
}

/// Seconds as a person reads a duration.
fn fmt_duration(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "unknown".into();
    }
    if s < 1.0 {
        return format!("{s:.2} s");
    }
    if s < 60.0 {
        return format!("{s:.1} s");
    }
    let total = s.round() as u64;
    let (h, m, sec) = (total / 3600, (total % 3600) / 60, total % 60);
    if h > 0 {
        format!("{h} h {m} min {sec} s")
    } else {
        format!("{m} min {sec} s")
    }
}

fn run_section(summary: &Summary) -> Section {
    let mut facts = Vec::new();
    let mut fact = |k: &str, v: String| facts.push((k.to_string(), v));
    for run in &summary.figures.runs {
        let dir_name = run
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| run.dir.display().to_string());
        fact(
            "Grid",
            match &run.grid_name {
                Some(name) => format!("{name} (results directory {dir_name})"),
                None => format!("{dir_name} (no grid.toml with a name in the directory)"),
            },
        );
        fact(
            "Dataset",
            match (&run.source, run.rows, &run.values_sha256) {
                (Some(src), Some(rows), Some(sha)) => format!(
                    "{src}, {rows} rows, values sha256 {}…",
                    sha.get(..12).unwrap_or(sha)
                ),
                _ => "unknown (run.json is missing or lacks the dataset fingerprint)".into(),
            },
        );
    }
    let c = &summary.counts;
    fact("Trials", format!("{} in total: {}", c.total, c.outcomes()));
    fact(
        "Training time",
        format!(
            "{} (the sum of every trial's wall time; trials run in parallel, so the sweep took less)",
            fmt_duration(summary.figures.wall_seconds)
        ),
    );
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    fact(
        "Machine",
        format!(
            "{} (of the machine that wrote this report)",
            plural(threads, "thread", "threads")
        ),
    );
    let axes = summary
        .axes
        .iter()
        .map(|(n, k)| format!("{n} ({k} values)"))
        .collect::<Vec<_>>()
        .join(", ");
    fact("Axes", if axes.is_empty() { "none".into() } else { axes });
    section("run", "The run", vec![Block::Facts(facts)])
}

const TRADEOFF: (&str, &str) = ("tradeoff", "Trade-off between error and trend accuracy");
const HEATMAPS: (&str, &str) = ("heatmaps", "Heatmaps over λ and batch size");
const PENALTY: (&str, &str) = ("penalty", "Penalty effect");
const CURVES: (&str, &str) = ("curves", "Learning curves");

fn tradeoff_section(summary: &Summary, colours: &LambdaColours) -> Result<Section> {
    let (id, heading) = TRADEOFF;
    let figures = &summary.figures;
    let groups = &figures.groups;
    if groups.is_empty() {
        let why = summary.nothing_validated();
        return Ok(note(
            id,
            heading,
            format!("{why}, so there is no point to plot."),
        ));
    }
    let front = pareto_front(groups);
    let (svg, off) = plots::tradeoff_svg(groups, &front, &figures.baselines, colours)?;
    let seeds: Vec<usize> = groups.iter().map(|g| g.trial_ids.len()).collect();
    let (lo, hi) = (
        seeds.iter().min().copied().unwrap_or(0),
        seeds.iter().max().copied().unwrap_or(0),
    );
    let seeds = if lo == hi {
        plural(lo, "seed", "seeds")
    } else {
        format!("{lo} to {hi} seeds")
    };
    let baselines = if figures.baselines.is_empty() {
        "No baselines.csv was found, so no baseline is marked.".to_string()
    } else {
        let mut text = "Black marks are the baselines at the same validation split (the legend \
                        names their shapes; persistence predicts the last value again, OLS fits \
                        a line on the window); a baseline with only an accuracy or only an MSE \
                        is a dashed grey line at its value. Baselines do not set the axes."
            .to_string();
        if off.baselines > 0 {
            text.push_str(&format!(
                " {} off the scale, drawn as an arrow at the edge with {} in the label.",
                plural(off.baselines, "baseline lies", "baselines lie"),
                if off.baselines == 1 {
                    "its value"
                } else {
                    "their values"
                }
            ));
        }
        text
    };
    let front_text = if front.len() >= 2 {
        format!(
            "The black line joins the Pareto front: the {} groups no other group beats on both \
             MSE and accuracy.",
            front.len()
        )
    } else {
        "One group beats or ties every other on both MSE and accuracy, so the Pareto front is \
         that single point."
            .to_string()
    };
    let caption = format!(
        "Each circle is one setting group (every setting except the seed) at its mean over the \
         ok trials ({seeds}); {} drawn, coloured by λ. Better is up and to the left.{} \
         {front_text} {baselines}",
        plural(groups.len(), "group", "groups"),
        plots::off_scale_sentence(off.groups, ("point", "points")),
    );
    let axes: Vec<&str> = summary
        .axes
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|a| *a != "seed")
        .collect();
    let mut heads: Vec<(String, bool)> = axes.iter().map(|a| (a.to_string(), true)).collect();
    heads.extend(["seeds", "val_mse mean", "val_trend_acc mean"].map(|h| (h.into(), true)));
    let rows = front
        .iter()
        .map(|g| {
            let mut cells: Vec<String> = axes
                .iter()
                .map(|a| g.setting(a).map(|v| v.to_string()).unwrap_or_default())
                .collect();
            cells.extend([
                g.trial_ids.len().to_string(),
                fmt_mse(g.val_mse),
                fmt_acc(g.val_trend_acc),
            ]);
            cells.into_iter().map(|c| (c, true)).collect()
        })
        .collect();
    Ok(section(
        id,
        heading,
        vec![
            figure(svg, "tradeoff.svg", caption),
            Block::Heading("Settings on the Pareto front".into()),
            Block::Table(HtmlTable { heads, rows }),
        ],
    ))
}

fn heatmap_section(summary: &Summary) -> Result<Section> {
    let (id, heading) = HEATMAPS;
    if summary.no_validation().is_some() {
        let why = summary.nothing_validated();
        return Ok(note(
            id,
            heading,
            format!("{why}, so there is no figure to map."),
        ));
    }
    let ranged: Vec<&str> = [("lambda", "λ"), ("batch_size", "batch size")]
        .into_iter()
        .filter(|(n, _)| summary.search.as_ref().is_some_and(|s| s.is_ranged(n)))
        .map(|(_, words)| words)
        .collect();
    if !ranged.is_empty() {
        return Ok(note(
            id,
            heading,
            format!(
                "The search drew {} from a range, a value per configuration, so there is no \
                 λ × batch-size grid to draw; the slice plots in the Search section show the \
                 objective against each searched setting.",
                ranged.join(" and ")
            ),
        ));
    }
    let Some(heatmap) = &summary.figures.heatmap else {
        let single = |name: &str, values: &[SettingValue]| -> Option<String> {
            (values.len() < 2).then(|| {
                let v = values
                    .first()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "none".into());
                format!("{name} has a single value ({v})")
            })
        };
        let reasons: Vec<String> = [
            single("λ", summary.values_of("lambda")),
            single("batch size", summary.values_of("batch_size")),
        ]
        .into_iter()
        .flatten()
        .collect();
        return Ok(note(
            id,
            heading,
            format!(
                "{} in this sweep, so there is no λ × batch-size grid to draw; the tables below \
                 give the means per value.",
                reasons.join(" and ")
            ),
        ));
    };
    let facet = heatmap.facet.as_ref().map(|(n, _)| n.as_str());
    let pooled: Vec<&str> = summary
        .axes
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !matches!(*n, "lambda" | "batch_size" | "seed") && Some(*n) != facet)
        .chain(["seed"])
        .collect();
    let split = match facet {
        Some(a) => format!("One panel per value of {a}. "),
        None => String::new(),
    };
    let mut blocks = Vec::new();
    for (metric, file, what) in [
        (Metric::Acc, "heatmap_acc.svg", "trend-match accuracy"),
        (Metric::Mse, "heatmap_mse.svg", "validation MSE"),
    ] {
        let (svg, scale) = plots::heatmap_svg(heatmap, metric)?;
        let direction = match (metric, scale.log) {
            (Metric::Acc, _) => "higher is better".to_string(),
            (Metric::Mse, false) => "lower is better, so the colour scale is reversed".to_string(),
            (Metric::Mse, true) => format!(
                "lower is better, so the colour scale is reversed; it is logarithmic, since the \
                 means span more than a factor of {}",
                plots::COLOUR_LOG_RATIO
            ),
        };
        let beyond = match scale.clamped {
            0 => String::new(),
            n => format!(
                " {} beyond the colour scale, which the bulk of the cells set: {} the colour \
                 of the end {} and {} framed, with ▲ (above) or ▼ (below) before the true value.",
                plural(n, "cell lies", "cells lie"),
                if n == 1 { "it takes" } else { "they take" },
                if n == 1 { "it passes" } else { "they pass" },
                if n == 1 { "is" } else { "are" },
            ),
        };
        let caption = format!(
            "Mean {what} of the ok trials in each cell, pooling {}. {split}Lighter is \
             better in both heatmaps ({direction}); one colour scale spans all panels.{beyond}",
            pooled.join(", ")
        );
        blocks.push(figure(svg, file, caption));
    }
    Ok(section(id, heading, blocks))
}

fn penalty_section(summary: &Summary, colours: &LambdaColours) -> Result<Section> {
    let (id, heading) = PENALTY;
    let table = match &summary.penalty {
        PenaltyEffect::NotApplicable(reason) => {
            return Ok(note(
                id,
                heading,
                format!(
                    "{reason} The plot needs trials with λ = 0 and trials with λ > 0 that \
                     otherwise share their settings."
                ),
            ));
        }
        PenaltyEffect::Computed(t) => t,
    };
    let pooled = &summary.figures.pooled_penalty;
    if pooled.is_empty() {
        return Ok(note(
            id,
            heading,
            "No ok trial with λ > 0 had an ok λ = 0 partner with the same other settings and \
             seed, so there is no difference to plot."
                .into(),
        ));
    }
    let (svg, off) = plots::penalty_svg(pooled, colours)?;
    let others = if table.other_axes.is_empty() {
        "(there is no other axis)".to_string()
    } else {
        table.other_axes.join(", ")
    };
    let caption = format!(
        "Each λ > 0 trial is paired with the λ = 0 trial that has the same other settings and \
         seed. For each λ, pooling {others}, the square on the left is the change in validation \
         MSE as a geometric mean over all its pairs (the ratio val_mse(λ)/val_mse(0), as a \
         percentage), so one wild pair moves it by a factor of at most its ratio to the power \
         1/n; on the right, the mean difference in trend accuracy. The bars are 95 % \
         t-intervals over the n pairs (on the log ratios for MSE). The grey rings are the \
         penalty table's rows (one per combination of the other axes, over seeds): pooling \
         mixes settings whose effects may differ, and the rings show how much. Below zero on \
         the left or above zero on the right favours the penalty.{}",
        plots::off_scale_sentence(off, ("penalty-table row", "penalty-table rows"))
    );
    let pct = |x: f64| format!("{}{:.1} %", if x < 0.0 { "−" } else { "+" }, x.abs());
    let ci = |iv: &Effect, f: &dyn Fn(f64) -> String| match (iv.low(), iv.high()) {
        (Some(l), Some(h)) => format!("[{}, {}]", f(l), f(h)),
        _ => "one pair: none".into(),
    };
    let heads = [
        ("λ", true),
        ("pairs", true),
        ("val_mse change", true),
        ("95% CI", false),
        ("Δ val_trend_acc", true),
        ("95% CI", false),
    ]
    .map(|(h, num)| (h.to_string(), num))
    .to_vec();
    let rows = pooled
        .iter()
        .map(|p| {
            vec![
                (fmt_setting_float(p.lambda), true),
                (p.n.to_string(), true),
                (pct(p.mse_change.mean), true),
                (ci(&p.mse_change, &pct), false),
                (fmt_acc(p.d_val_trend_acc.mean), true),
                (ci(&p.d_val_trend_acc, &fmt_acc), false),
            ]
        })
        .collect();
    Ok(section(
        id,
        heading,
        vec![
            figure(svg, "penalty.svg", caption),
            Block::Table(HtmlTable { heads, rows }),
        ],
    ))
}

fn curves_section(summary: &Summary) -> Result<Section> {
    let (id, heading) = CURVES;
    let groups = &summary.figures.groups;
    if !summary.figures.has_epochs {
        return Ok(note(
            id,
            heading,
            "A results directory has no epochs.parquet, so there are no learning curves.".into(),
        ));
    }
    if groups.is_empty() {
        let why = summary.nothing_validated();
        return Ok(note(
            id,
            heading,
            format!("{why}, so there is no learning curve to draw."),
        ));
    }
    let best = best_with_partners(groups, CURVE_SETTINGS);
    let colours = plots::rank_colours(best.len());
    let mut specs = Vec::new();
    let mut items = Vec::new();
    // Partners already drawn, with the index of their curve, so a partner shared by two best
    // settings is drawn once and labelled with both ranks.
    let mut drawn_partners: Vec<(&Group, usize)> = Vec::new();
    for (rank, (g, partner)) in best.iter().enumerate() {
        specs.push(CurveSpec {
            label: format!("#{} {}", rank + 1, describe(g, summary, true)),
            points: g.curve.clone(),
            colour: colours[rank],
            dashed: false,
            marker: rank,
        });
        let drawn = partner.and_then(|p| drawn_partners.iter().find(|(d, _)| d.key == p.key));
        let partner_text = match (partner, drawn) {
            (Some(_), Some((_, at))) => {
                let spec: &mut CurveSpec = &mut specs[*at];
                spec.label =
                    spec.label
                        .replacen(" at λ = 0", &format!(", #{} at λ = 0", rank + 1), 1);
                "its λ = 0 partner is the same as a better setting's, drawn once".to_string()
            }
            (Some(p), None) => {
                drawn_partners.push((p, specs.len()));
                specs.push(CurveSpec {
                    label: format!("#{} at λ = 0", rank + 1),
                    points: p.curve.clone(),
                    colour: colours[rank],
                    dashed: true,
                    marker: rank,
                });
                format!(
                    "dashed: the same with λ = 0, val_mse {}, val_trend_acc {}",
                    fmt_mse(p.val_mse),
                    fmt_acc(p.val_trend_acc)
                )
            }
            (None, _) if g.lambda() == 0.0 => "λ = 0 already, so it has no partner".into(),
            (None, _) => "no λ = 0 setting with otherwise the same values was trained".into(),
        };
        items.push(format!(
            "{}: val_mse {}, val_trend_acc {}, {}; {}.",
            describe(g, summary, false),
            fmt_mse(g.val_mse),
            fmt_acc(g.val_trend_acc),
            plural(g.trial_ids.len(), "seed", "seeds"),
            partner_text
        ));
    }
    let (svg, off) = plots::curves_svg(&specs)?;
    let partners = if specs.iter().any(|s| s.dashed) {
        " (solid) and, dashed in the same colour and marker, the setting with λ = 0 and \
         otherwise the same values"
    } else {
        ""
    };
    let caption = format!(
        "Validation MSE (top) and trend-match accuracy (bottom) after each epoch, mean over \
         seeds, for the {} by mean final validation MSE{partners}. The colours stand for \
         the ranks, not for λ.{}",
        plural(best.len(), "best setting", "best settings"),
        plots::off_scale_sentence(off, ("point", "points"))
    );
    Ok(section(
        id,
        heading,
        vec![figure(svg, "curves.svg", caption), Block::List(items)],
    ))
}

/// The summary's paragraphs and tables, from the same document `summary.md` is made of.
/// A document block as the page shows it.
fn convert(block: document::Block) -> Block {
    match block {
        document::Block::Para(p) => Block::Para(p),
        document::Block::Table(t) => {
            let (heads, rows) = t.view(true);
            Block::Table(HtmlTable {
                rows: rows
                    .iter()
                    .map(|r| {
                        r.iter()
                            .zip(&heads)
                            .map(|(c, (_, num))| (c.to_string(), *num))
                            .collect()
                    })
                    .collect(),
                heads: heads.iter().map(|(h, num)| (h.to_string(), *num)).collect(),
            })
        }
    }
}

/// The summary's verdict, first on the page: the settings chosen on validation against the
/// baselines, with the significance tests.
fn verdict_section(summary: &Summary) -> Section {
    let (_, sections) = summary.document();
    let blocks = sections
        .into_iter()
        .find(|s| s.heading == document::VERDICT)
        .map(|s| s.blocks.into_iter().map(convert).collect())
        .unwrap_or_default();
    section("verdict", "Verdict", blocks)
}

fn tables_section(summary: &Summary) -> Section {
    let (header, sections) = summary.document();
    let mut blocks: Vec<Block> = header.into_iter().map(convert).collect();
    // The verdict has its own section at the top, and a search's texts are beside its
    // figures.
    for s in sections
        .into_iter()
        .filter(|s| s.heading != document::VERDICT && !search::is_search_heading(&s.heading))
    {
        blocks.push(Block::Heading(s.heading));
        blocks.extend(s.blocks.into_iter().map(convert));
    }
    section("tables", "Summary tables", blocks)
}

/// The grid names of the runs, each once, joined.
fn title(summary: &Summary) -> String {
    let mut names: Vec<String> = Vec::new();
    for r in &summary.figures.runs {
        let name = r.grid_name.clone().unwrap_or_else(|| {
            r.dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(" + ")
}

/// Writes report.html and one .svg per plot into `out`, from the summary of the results
/// directories `dirs` (the ones [`summarize`](crate::report::summarize) read, which the page
/// names). The page embeds each figure's SVG so it opens from disk with nothing beside it.
pub fn write_html(out: &Path, dirs: &[PathBuf], summary: &Summary) -> Result<()> {
    let read: Vec<&PathBuf> = summary.figures.runs.iter().map(|r| &r.dir).collect();
    if !dirs.iter().eq(read.iter().copied()) {
        crate::fail!("the summary was made from {read:?}, not from {dirs:?}");
    }
    let lambdas: Vec<f64> = summary
        .values_of("lambda")
        .iter()
        .filter_map(SettingValue::as_f64)
        .collect();
    let colours = LambdaColours::new(lambdas);
    let mut sections = vec![run_section(summary), verdict_section(summary)];
    sections.extend(search::search_section(summary)?);
    sections.extend([
        tradeoff_section(summary, &colours)?,
        heatmap_section(summary)?,
        penalty_section(summary, &colours)?,
        curves_section(summary)?,
        tables_section(summary),
    ]);
    write_figures(
        out,
        &sections,
        &page(&title(summary), &sections).into_string(),
    )
}

/// Writes the page `html` and each figure of `sections` into `out`, and removes the figures
/// of [`PLOT_FILES`] the page no longer draws.
fn write_figures(out: &Path, sections: &[Section], html: &str) -> Result<()> {
    let html = format!("{html}\n");
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let figures: Vec<&Figure> = sections
        .iter()
        .flat_map(|s| &s.blocks)
        .filter_map(|b| match b {
            Block::Figure(f) => Some(f),
            _ => None,
        })
        .collect();
    for f in &figures {
        write_text(&out.join(f.file), &f.svg)?;
    }
    for file in PLOT_FILES {
        let path = out.join(file);
        if !figures.iter().any(|f| f.file == file) && path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove the stale {}", path.display()))?;
        }
    }
    write_text(&out.join(REPORT_HTML), &html)
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomically(path, |f| {
        f.write_all(text.as_bytes())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_figures_are_not() {
        let sections = [section(
            "x",
            "X",
            vec![
                Block::Para("1 < 2".into()),
                Block::Figure(Figure {
                    svg: "<svg></svg>\n".into(),
                    file: "f.svg",
                    caption: "<i>".into(),
                }),
            ],
        )];
        let html = page("a <b> & \"c\"", &sections).into_string();
        assert!(
            html.contains("<title>Sweep report: a &lt;b&gt; &amp; &quot;c&quot;</title>"),
            "{html}"
        );
        assert!(html.contains("<p>1 &lt; 2</p>"), "{html}");
        assert!(
            html.contains("<svg></svg>\n<figcaption>&lt;i&gt; (Also"),
            "{html}"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(0.034), "0.03 s");
        assert_eq!(fmt_duration(3.21), "3.2 s");
        assert_eq!(fmt_duration(125.0), "2 min 5 s");
        assert_eq!(fmt_duration(3725.0), "1 h 2 min 5 s");
    }
}
