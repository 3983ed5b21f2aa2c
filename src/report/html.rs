//! `report.html`: the run, its figures and the summary's tables in one self-contained page.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::Context;

use super::plotdata::{self, Group, PlotData, PooledPenalty, group_settings};
use super::plots::{self, CurveSpec, LambdaColours, Metric};
use super::render::{fmt_acc, fmt_mse, fmt_setting_float};
use super::summary::{PenaltyEffect, SettingValue, Summary};
use crate::store::write_atomically;

pub const REPORT_HTML: &str = "report.html";

/// Every SVG file the report may write. A rerun that no longer draws one of them (say the
/// grid lost its second batch size) removes the old file, so the folder never shows a figure
/// of an earlier run beside the page of this one.
pub const PLOT_FILES: [&str; 5] = [
    "tradeoff.svg",
    "heatmap_acc.svg",
    "heatmap_mse.svg",
    "penalty.svg",
    "curves.svg",
];

/// How many of the best settings get learning curves: more than three lines per metric,
/// plus their dashed partners, stop being tellable apart.
const CURVE_SETTINGS: usize = 3;

/// Section headings, in page order.
const HEADINGS: [&str; 6] = [
    "The run",
    "Trade-off between error and trend accuracy",
    "Heatmaps over λ and batch size",
    "Penalty effect",
    "Learning curves",
    "Summary tables",
];

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
.wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.86em; margin: 6px 0 16px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e0e0e0; text-align: left; white-space: nowrap; }
th { background: #f2f2f2; font-weight: 600; }
.num { text-align: right; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
code { font-size: 0.92em; }
";

/// Escapes text for HTML element content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn note(text: &str) -> String {
    format!("<p class=\"note\">{}</p>\n", escape(text))
}

fn figure(svg: &str, file: &str, caption: &str) -> String {
    format!(
        "<figure>\n{svg}<figcaption>{} (Also saved as <code>{}</code>.)</figcaption>\n</figure>\n",
        escape(caption),
        escape(file)
    )
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
fn describe(group: &Group, axes: &[String], short: bool) -> String {
    let parts: Vec<String> = group_settings()
        .iter()
        .filter(|n| axes.iter().any(|a| a == *n))
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

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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

struct Page {
    body: String,
    /// (file name, SVG text) for each figure drawn.
    files: Vec<(&'static str, String)>,
}

impl Page {
    fn section(&mut self, id: &str, heading: &str, content: &str) {
        let _ = write!(
            self.body,
            "<section id=\"{id}\">\n<h2>{}</h2>\n{content}</section>\n",
            escape(heading)
        );
    }
}

fn run_section(data: &PlotData, summary: &Summary) -> String {
    let mut s = String::from("<dl class=\"facts\">\n");
    let fact = |s: &mut String, k: &str, v: &str| {
        let _ = writeln!(s, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    };
    for run in &data.runs {
        let dir_name = run
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| run.dir.display().to_string());
        let grid = match &run.grid_name {
            Some(name) => format!("{name} (results directory {dir_name})"),
            None => format!("{dir_name} (no grid.toml with a name in the directory)"),
        };
        fact(&mut s, "Grid", &grid);
        let dataset = match (&run.source, run.rows, &run.values_sha256) {
            (Some(src), Some(rows), Some(sha)) => format!(
                "{src}, {} rows, values sha256 {}…",
                rows,
                sha.get(..12).unwrap_or(sha)
            ),
            _ => "unknown (run.json is missing or lacks the dataset fingerprint)".into(),
        };
        fact(&mut s, "Dataset", &dataset);
    }
    let c = &summary.counts;
    fact(
        &mut s,
        "Trials",
        &format!(
            "{} in total: {} ok, {} diverged, {} failed",
            c.total, c.ok, c.diverged, c.failed
        ),
    );
    fact(
        &mut s,
        "Training time",
        &format!(
            "{} (the sum of every trial's wall time; trials run in parallel, so the sweep took less)",
            fmt_duration(data.total_wall_seconds())
        ),
    );
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    fact(
        &mut s,
        "Machine",
        &format!(
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
    fact(&mut s, "Axes", if axes.is_empty() { "none" } else { &axes });
    s.push_str("</dl>\n");
    s
}

fn axis_names(summary: &Summary) -> Vec<String> {
    summary.axes.iter().map(|(n, _)| n.clone()).collect()
}

fn tradeoff_section(
    page: &mut Page,
    data: &PlotData,
    groups: &[Group],
    colours: &LambdaColours,
    summary: &Summary,
) -> crate::error::Result<()> {
    if groups.is_empty() {
        page.section(
            "tradeoff",
            HEADINGS[1],
            &note(&format!(
                "{}, so there is no point to plot.",
                summary.nothing_validated()
            )),
        );
        return Ok(());
    }
    let front = plotdata::pareto_front(groups);
    let svg = plots::tradeoff_svg(groups, &front, &data.baselines, colours)?;
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
    let baselines = if data.baselines.is_empty() {
        "No baselines.csv was found, so no baseline is marked."
    } else {
        "The triangle is the persistence baseline (the next value equals the last one) and the \
         square the OLS baseline (a linear fit on the window), at the same validation split."
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
         ok trials ({seeds}); {} drawn, coloured by λ. Better is up and to the left. \
         {front_text} {baselines}",
        plural(groups.len(), "group", "groups"),
    );
    let mut content = figure(&svg, "tradeoff.svg", &caption);
    content.push_str(
        "<h3>Settings on the Pareto front</h3>\n<div class=\"wrap\"><table>\n<thead><tr>",
    );
    let axes: Vec<String> = axis_names(summary)
        .into_iter()
        .filter(|a| a != "seed")
        .collect();
    for a in &axes {
        let _ = write!(content, "<th class=\"num\">{}</th>", escape(a));
    }
    content.push_str("<th class=\"num\">seeds</th><th class=\"num\">val_mse mean</th><th class=\"num\">val_trend_acc mean</th></tr></thead>\n<tbody>\n");
    for g in &front {
        content.push_str("<tr>");
        for a in &axes {
            let v = g.setting(a).map(|v| v.to_string()).unwrap_or_default();
            let _ = write!(content, "<td class=\"num\">{}</td>", escape(&v));
        }
        let _ = writeln!(
            content,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            g.trial_ids.len(),
            fmt_mse(g.val_mse),
            fmt_acc(g.val_trend_acc)
        );
    }
    content.push_str("</tbody>\n</table></div>\n");
    page.files.push(("tradeoff.svg", svg));
    page.section("tradeoff", HEADINGS[1], &content);
    Ok(())
}

fn heatmap_section(
    page: &mut Page,
    data: &PlotData,
    summary: &Summary,
) -> crate::error::Result<()> {
    if summary.no_validation().is_some() {
        page.section(
            "heatmaps",
            HEADINGS[2],
            &note(&format!(
                "{}, so there is no figure to map.",
                summary.nothing_validated()
            )),
        );
        return Ok(());
    }
    let lambdas = data.values_of("lambda");
    let batches = data.values_of("batch_size");
    let single = |name: &str, values: &[SettingValue]| -> Option<String> {
        (values.len() < 2).then(|| {
            let v = values
                .first()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "none".into());
            format!("{name} has a single value ({v})")
        })
    };
    let reasons: Vec<String> = [single("λ", &lambdas), single("batch size", &batches)]
        .into_iter()
        .flatten()
        .collect();
    if !reasons.is_empty() {
        page.section(
            "heatmaps",
            HEADINGS[2],
            &note(&format!(
                "{} in this sweep, so there is no λ × batch-size grid to draw; the tables below \
                 give the means per value.",
                reasons.join(" and ")
            )),
        );
        return Ok(());
    }
    let others: Vec<&(String, usize)> = summary
        .axes
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "lambda" | "batch_size" | "seed"))
        .collect();
    // One more axis fits as side-by-side panels while it has at most three values; more
    // panels would shrink the cells below legibility at this width.
    let facet_axis = others.iter().find(|(_, k)| *k <= 3).map(|(n, _)| n.clone());
    let facet_values = facet_axis.as_ref().map(|a| data.values_of(a));
    let facet = facet_axis.as_deref().zip(facet_values.as_deref());
    let pooled: Vec<&str> = others
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| Some(*n) != facet_axis.as_deref())
        .chain(["seed"])
        .collect();
    let split = match &facet_axis {
        Some(a) => format!("One panel per value of {a}. "),
        None => String::new(),
    };
    let mut content = String::new();
    for (metric, file, what) in [
        (Metric::Acc, "heatmap_acc.svg", "trend-match accuracy"),
        (Metric::Mse, "heatmap_mse.svg", "validation MSE"),
    ] {
        let (svg, log) = plots::heatmap_svg(data, metric, &lambdas, &batches, facet)?;
        let direction = match (metric, log) {
            (Metric::Acc, _) => "higher is better".to_string(),
            (Metric::Mse, false) => "lower is better, so the colour scale is reversed".to_string(),
            (Metric::Mse, true) => format!(
                "lower is better, so the colour scale is reversed; it is logarithmic, since the \
                 means span more than a factor of {}",
                plots::COLOUR_LOG_RATIO
            ),
        };
        let caption = format!(
            "Mean final {what} of the ok trials in each cell, pooling {}. {split}Brighter is \
             better in both heatmaps ({direction}); one colour scale spans all panels.",
            pooled.join(", ")
        );
        content.push_str(&figure(&svg, file, &caption));
        page.files.push((file, svg));
    }
    page.section("heatmaps", HEADINGS[2], &content);
    Ok(())
}

fn pooled_table(pooled: &[PooledPenalty]) -> String {
    let mut s = String::from(
        "<div class=\"wrap\"><table>\n<thead><tr><th class=\"num\">λ</th><th class=\"num\">pairs</th>\
         <th class=\"num\">Δ val_mse</th><th>95% CI</th><th class=\"num\">Δ val_trend_acc</th>\
         <th>95% CI</th></tr></thead>\n<tbody>\n",
    );
    for p in pooled {
        let ci = |iv: &super::stats::Interval, f: fn(f64) -> String| match (iv.low(), iv.high()) {
            (Some(l), Some(h)) => format!("[{}, {}]", f(l), f(h)),
            _ => "one pair: none".into(),
        };
        let _ = writeln!(
            s,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(&fmt_setting_float(p.lambda)),
            p.n,
            fmt_mse(p.d_val_mse.mean),
            ci(&p.d_val_mse, fmt_mse),
            fmt_acc(p.d_val_trend_acc.mean),
            ci(&p.d_val_trend_acc, fmt_acc),
        );
    }
    s.push_str("</tbody>\n</table></div>\n");
    s
}

fn penalty_section(
    page: &mut Page,
    summary: &Summary,
    colours: &LambdaColours,
) -> crate::error::Result<()> {
    let table = match &summary.penalty {
        PenaltyEffect::NotApplicable(reason) => {
            page.section(
                "penalty",
                HEADINGS[3],
                &note(&format!(
                    "{reason} The plot needs trials with λ = 0 and trials with λ > 0 that \
                     otherwise share their settings."
                )),
            );
            return Ok(());
        }
        PenaltyEffect::Computed(t) => t,
    };
    let pooled = plotdata::pooled_penalty(table);
    if pooled.is_empty() {
        page.section(
            "penalty",
            HEADINGS[3],
            &note(
                "No ok trial with λ > 0 had an ok λ = 0 partner with the same other settings and \
                 seed, so there is no difference to plot.",
            ),
        );
        return Ok(());
    }
    let svg = plots::penalty_svg(&pooled, colours)?;
    let others = if table.other_axes.is_empty() {
        "(there is no other axis)".to_string()
    } else {
        table.other_axes.join(", ")
    };
    let caption = format!(
        "Each λ > 0 trial is paired with the λ = 0 trial that has the same other settings and \
         seed. For each λ, the square is the mean difference over all its pairs, pooling {others}, \
         and the bar its 95 % t-interval (mean ± t(0.975, n−1)·sd/√n over the n pairs). The grey \
         rings are the penalty table's rows (one per combination of the other axes, mean over \
         seeds): pooling mixes settings whose effects may differ, and the rings show how much. \
         Below zero on the left or above zero on the right favours the penalty."
    );
    let mut content = figure(&svg, "penalty.svg", &caption);
    content.push_str(&pooled_table(&pooled));
    page.files.push(("penalty.svg", svg));
    page.section("penalty", HEADINGS[3], &content);
    Ok(())
}

fn curves_section(
    page: &mut Page,
    data: &PlotData,
    groups: &[Group],
    summary: &Summary,
) -> crate::error::Result<()> {
    if data.epochs.is_none() {
        page.section(
            "curves",
            HEADINGS[4],
            &note("A results directory has no epochs.parquet, so there are no learning curves."),
        );
        return Ok(());
    }
    if groups.is_empty() {
        page.section(
            "curves",
            HEADINGS[4],
            &note(&format!(
                "{}, so there is no learning curve to draw.",
                summary.nothing_validated()
            )),
        );
        return Ok(());
    }
    let axes = axis_names(summary);
    let best = plotdata::best_with_partners(groups, CURVE_SETTINGS);
    let colours = plots::category_colours(best.len().max(2));
    let mut specs = Vec::new();
    let mut items = String::from("<ol>\n");
    // Partners already drawn, with the index of their curve, so a partner shared by two best
    // settings is drawn once and labelled with both ranks.
    let mut drawn_partners: Vec<(&Group, usize)> = Vec::new();
    for (rank, (g, partner)) in best.iter().enumerate() {
        specs.push(CurveSpec {
            label: format!("#{} {}", rank + 1, describe(g, &axes, true)),
            points: data.curve(g),
            colour: colours[rank],
            dashed: false,
            marker: rank,
        });
        let partner_text = match partner {
            Some(p) if drawn_partners.iter().any(|(d, _)| d.key == p.key) => {
                let (_, at) = drawn_partners.iter().find(|(d, _)| d.key == p.key).unwrap();
                let spec: &mut CurveSpec = &mut specs[*at];
                spec.label =
                    spec.label
                        .replacen(" at λ = 0", &format!(", #{} at λ = 0", rank + 1), 1);
                "its λ = 0 partner is the same as a better setting's, drawn once".to_string()
            }
            Some(p) => {
                drawn_partners.push((p, specs.len()));
                specs.push(CurveSpec {
                    label: format!("#{} at λ = 0", rank + 1),
                    points: data.curve(p),
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
            None if g.lambda() == 0.0 => "λ = 0 already, so it has no partner".into(),
            None => "no λ = 0 setting with otherwise the same values was trained".into(),
        };
        let _ = writeln!(
            items,
            "<li>{}: val_mse {}, val_trend_acc {}, {}; {}.</li>",
            escape(&describe(g, &axes, false)),
            fmt_mse(g.val_mse),
            fmt_acc(g.val_trend_acc),
            plural(g.trial_ids.len(), "seed", "seeds"),
            escape(&partner_text)
        );
    }
    items.push_str("</ol>\n");
    let svg = plots::curves_svg(&specs)?;
    let partners = if specs.iter().any(|s| s.dashed) {
        " (solid) and, dashed in the same colour and marker, the setting with λ = 0 and \
         otherwise the same values"
    } else {
        ""
    };
    let caption = format!(
        "Validation MSE (top) and trend-match accuracy (bottom) after each epoch, mean over \
         seeds, for the {} by mean final validation MSE{partners}.",
        plural(best.len(), "best setting", "best settings")
    );
    let mut content = figure(&svg, "curves.svg", &caption);
    content.push_str(&items);
    page.files.push(("curves.svg", svg));
    page.section("curves", HEADINGS[4], &content);
    Ok(())
}

/// Splits a markdown table row at its unescaped pipes.
fn markdown_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_string());
    cells
}

fn markdown_table(lines: &[&str]) -> String {
    let head = markdown_cells(lines[0]);
    let right: Vec<bool> = lines
        .get(1)
        .map(|l| markdown_cells(l).iter().map(|c| c.ends_with(':')).collect())
        .unwrap_or_default();
    let class = |i: usize| {
        if right.get(i).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        }
    };
    let mut s = String::from("<div class=\"wrap\"><table>\n<thead><tr>");
    for (i, h) in head.iter().enumerate() {
        let _ = write!(s, "<th{}>{}</th>", class(i), escape(h));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for line in lines.iter().skip(2) {
        s.push_str("<tr>");
        for (i, c) in markdown_cells(line).iter().enumerate() {
            let _ = write!(s, "<td{}>{}</td>", class(i), escape(c));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table></div>\n");
    s
}

/// The summary's markdown as HTML: the same words and figures as `summary.md`, from the one
/// renderer that makes them, rather than a second copy of the tables' wording here.
fn markdown_to_html(md: &str) -> String {
    let lines: Vec<&str> = md.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with('|') {
            let start = i;
            while i < lines.len() && lines[i].starts_with('|') {
                i += 1;
            }
            out.push_str(&markdown_table(&lines[start..i]));
            continue;
        }
        if let Some(h) = line.strip_prefix("## ") {
            let _ = writeln!(out, "<h3>{}</h3>", escape(h));
        } else if line.starts_with("# ") || line.trim().is_empty() {
            // The page has its own title; blank lines only separate blocks.
        } else {
            let _ = writeln!(out, "<p>{}</p>", escape(line));
        }
        i += 1;
    }
    out
}

fn title(data: &PlotData) -> String {
    let names: Vec<String> = data
        .runs
        .iter()
        .map(|r| {
            r.grid_name.clone().unwrap_or_else(|| {
                r.dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
        })
        .collect();
    let mut unique: Vec<String> = Vec::new();
    for n in names {
        if !unique.contains(&n) {
            unique.push(n);
        }
    }
    unique.join(" + ")
}

/// Writes report.html and one .svg per plot into `out`, from the summary and the results
/// directories' trials.parquet / epochs.parquet / baselines.csv / run.json.
///
/// The figures are drawn from the same files the summary was computed from (merged the same
/// way, later directories winning), and the page embeds each figure's SVG so it opens from
/// disk with nothing else beside it.
pub fn write_html(out: &Path, dirs: &[PathBuf], summary: &Summary) -> crate::error::Result<()> {
    let data = PlotData::load(dirs)?;
    let groups = data.groups();
    let lambdas: Vec<f64> = data
        .values_of("lambda")
        .iter()
        .filter_map(SettingValue::as_f64)
        .collect();
    let colours = LambdaColours::new(lambdas);

    let mut page = Page {
        body: String::new(),
        files: Vec::new(),
    };
    page.section("run", HEADINGS[0], &run_section(&data, summary));
    tradeoff_section(&mut page, &data, &groups, &colours, summary)?;
    heatmap_section(&mut page, &data, summary)?;
    penalty_section(&mut page, summary, &colours)?;
    curves_section(&mut page, &data, &groups, summary)?;
    page.section(
        "tables",
        HEADINGS[5],
        &markdown_to_html(&summary.markdown()),
    );

    let name = title(&data);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Sweep report: {name}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
         <h1>Sweep report: {name}</h1>\n{body}</main>\n</body>\n</html>\n",
        name = escape(&name),
        body = page.body,
    );

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (file, svg) in &page.files {
        write_text(&out.join(file), svg)?;
    }
    for file in PLOT_FILES {
        let path = out.join(file);
        if !page.files.iter().any(|(f, _)| *f == file) && path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove the stale {}", path.display()))?;
        }
    }
    write_text(&out.join(REPORT_HTML), &html)
}

fn write_text(path: &Path, text: &str) -> crate::error::Result<()> {
    write_atomically(path, |f| {
        f.write_all(text.as_bytes())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_tables_become_html_tables() {
        let md = "# Sweep summary\n\nSome text < 1.\n\n## By lambda\n\n| a | b\\|c |\n| :- | -: |\n| x | 1 |\n";
        let html = markdown_to_html(md);
        assert!(html.contains("<p>Some text &lt; 1.</p>"), "{html}");
        assert!(html.contains("<h3>By lambda</h3>"), "{html}");
        assert!(html.contains("<th class=\"num\">b|c</th>"), "{html}");
        assert!(
            html.contains("<td>x</td><td class=\"num\">1</td>"),
            "{html}"
        );
        assert!(!html.contains("Sweep summary"), "{html}");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(0.034), "0.03 s");
        assert_eq!(fmt_duration(3.21), "3.2 s");
        assert_eq!(fmt_duration(125.0), "2 min 5 s");
        assert_eq!(fmt_duration(3725.0), "1 h 2 min 5 s");
    }
}
