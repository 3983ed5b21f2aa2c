//! The HTML report on real sweeps: well-formed page and figures, one scatter point per setting group, sentences for degenerate grids.

mod common;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use trendsweep::report::{SETTINGS, summarize, write_html};

use common::{TWELVE_GROUPS, on_the_sine};

/// 24 trials: every axis the report draws has several values.
fn full_grid() -> String {
    on_the_sine("tiny", TWELVE_GROUPS)
}

/// Two-epoch trials with n_dense 4 and a learning rate of 0.01 over the `[grid]` lines.
fn small_grid(name: &str, grid: &str) -> String {
    on_the_sine(
        name,
        &format!("[train]\nepochs = 2\nn_dense = 4\nlearning_rate = 1e-2\n\n[grid]\n{grid}"),
    )
}

/// One setting group over two seeds: no λ or batch size to compare.
fn flat_grid() -> String {
    small_grid("flat", "lambda = [0.0]\nbatch_size = [16]\nseed = [0, 1]\n")
}

/// Four setting groups of one seed each.
fn one_seed_grid() -> String {
    small_grid("one_seed", "lambda = [0.0, 0.1]\nbatch_size = [8, 32]\n")
}

const PLOTS: [&str; 5] = [
    "tradeoff.svg",
    "heatmap_acc.svg",
    "heatmap_mse.svg",
    "penalty.svg",
    "curves.svg",
];

/// Runs the real binary on a grid written into `tmp`, returning the results directory.
fn sweep(tmp: &Path, name: &str, grid: &str) -> PathBuf {
    sweep_failing(tmp, name, grid, None)
}

/// As [`sweep`], with the binary's test hook making the trial `fail` panic.
fn sweep_failing(tmp: &Path, name: &str, grid: &str, fail: Option<&str>) -> PathBuf {
    let grid_path = common::write(tmp, &format!("{name}.toml"), grid);
    let out = tmp.join(name);
    let mut cmd = common::sweep_command(&grid_path, &out, &["--quiet", "--threads", "2"]);
    if let Some(id) = fail {
        cmd.env("TRENDSWEEP_TEST_PANIC_TRIAL", id);
    }
    common::assert_ok(&cmd.output().expect("running trendsweep"));
    out
}

fn report(dirs: &[PathBuf], out: &Path) -> String {
    let summary = summarize(dirs).unwrap();
    write_html(out, dirs, &summary).unwrap();
    std::fs::read_to_string(out.join("report.html")).unwrap()
}

/// Checks that every opened element is closed, in order, skipping void elements, comments,
/// the doctype and the raw text of <style>. Returns the number of elements opened, or why the
/// document is malformed. A stray unescaped `<` in text shows up as a bogus tag and fails.
fn tag_balance(doc: &str) -> Result<usize, String> {
    const VOID: [&str; 8] = ["meta", "br", "hr", "img", "input", "link", "col", "wbr"];
    let mut stack: Vec<String> = Vec::new();
    let mut opened = 0;
    let mut rest = doc;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").ok_or("unterminated comment")?;
            rest = &after[end + 3..];
            continue;
        }
        let end = rest
            .find('>')
            .ok_or_else(|| format!("unterminated tag at {:?}", &rest[..rest.len().min(40)]))?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => return Err(format!("</{name}> closes <{open}>")),
                None => return Err(format!("</{name}> closes nothing")),
            }
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if name.is_empty() {
            return Err(format!("bad tag <{tag}>"));
        }
        opened += 1;
        if tag.ends_with('/') || VOID.contains(&name.as_str()) {
            continue;
        }
        if name == "style" {
            let end = rest.find("</style>").ok_or("unclosed <style>")?;
            rest = &rest[end + "</style>".len()..];
            continue;
        }
        stack.push(name);
    }
    if stack.is_empty() {
        Ok(opened)
    } else {
        Err(format!("left open: {stack:?}"))
    }
}

#[test]
fn tag_balance_catches_malformed_documents() {
    assert_eq!(tag_balance("<p>a<br>b</p>"), Ok(2));
    assert!(tag_balance("<section><p>a</section>").is_err());
    assert!(tag_balance("<svg><g></g>").is_err());
    assert!(tag_balance("<p>1 < 2</p>").is_err());
    assert!(tag_balance("</table>").is_err());
}

fn read_trials(dir: &Path) -> DataFrame {
    common::read_parquet(&dir.join("trials.parquet"))
}

/// Distinct combinations of every setting but the seed among the ok trials, by polars.
fn setting_groups(dir: &Path) -> usize {
    let df = read_trials(dir);
    let keys: Vec<Expr> = SETTINGS
        .iter()
        .filter(|(n, _)| *n != "seed")
        .map(|(n, _)| col(*n))
        .collect();
    df.lazy()
        .filter(col("status").eq(lit("ok")))
        .select(keys)
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()
        .unwrap()
        .height()
}

fn circles(svg: &str) -> usize {
    svg.matches("<circle").count()
}

#[test]
fn full_grid_gives_every_figure() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = sweep(tmp.path(), "tiny", &full_grid());
    let out = tmp.path().join("report");
    let html = report(std::slice::from_ref(&dir), &out);

    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert!(html.trim_end().ends_with("</html>"));
    tag_balance(&html).unwrap_or_else(|e| panic!("report.html: {e}"));
    for heading in [
        "The run",
        "Trade-off between error and trend accuracy",
        "Heatmaps over λ and batch size",
        "Penalty effect",
        "Learning curves",
        "Summary tables",
    ] {
        assert!(
            html.contains(&format!("<h2>{heading}</h2>")),
            "no heading {heading:?}"
        );
    }
    // Self-contained: nothing fetched, nothing run.
    for banned in ["<script", "http://", "https://www.", "src=", "<link"] {
        let without_ns = html.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !without_ns.contains(banned),
            "report.html contains {banned:?}"
        );
    }

    // The run: name, dataset fingerprint, counts.
    assert!(
        html.contains("tiny (results directory tiny)"),
        "grid name missing"
    );
    assert!(html.contains("400 rows"), "dataset rows missing");
    assert!(html.contains("values sha256 "), "fingerprint missing");
    assert!(
        html.contains("24 in total: 24 ok, 0 diverged, 0 failed"),
        "counts missing"
    );
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        html.contains(&format!("{threads} thread")),
        "thread count missing"
    );

    // Every figure is written and embedded, and each is well formed.
    for file in PLOTS {
        let svg = std::fs::read_to_string(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(svg.starts_with("<svg"), "{file} does not start with <svg");
        assert!(
            svg.trim_end().ends_with("</svg>"),
            "{file} does not end with </svg>"
        );
        tag_balance(&svg).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            html.contains(svg.as_str()),
            "{file} is not embedded in report.html"
        );
    }
    assert_eq!(html.matches("<svg").count(), PLOTS.len());

    // One circle per setting group in the scatter, and nothing else drawn as a circle.
    let groups = setting_groups(&dir);
    assert_eq!(groups, 2 * 3 * 2, "n_dense × lambda × batch_size");
    let tradeoff = std::fs::read_to_string(out.join("tradeoff.svg")).unwrap();
    assert_eq!(circles(&tradeoff), groups);
    assert!(tradeoff.contains("persistence") && tradeoff.contains("OLS"));
    assert!(tradeoff.contains("<polygon"), "persistence is a diamond");
    assert!(tradeoff.contains("validation MSE (series units²)"));
    assert!(tradeoff.contains("trend-match accuracy (fraction)"));

    // n_dense has two values, so each heatmap has one panel per value, numbers in the cells.
    let heat = std::fs::read_to_string(out.join("heatmap_acc.svg")).unwrap();
    assert!(heat.contains("n_dense = 4") && heat.contains("n_dense = 8"));
    let numbers = common::svg_texts(&heat)
        .iter()
        .filter(|t| {
            t.parse::<f64>()
                .is_ok_and(|v| (0.0..=1.0).contains(&v) && t.contains('.'))
        })
        .count();
    assert!(
        numbers >= 2 * 3 * 2,
        "every cell prints its value, found {numbers} numbers"
    );

    // Penalty: two λ > 0, one interval each, and a zero line.
    let penalty = std::fs::read_to_string(out.join("penalty.svg")).unwrap();
    assert!(penalty.contains("zero: no change from λ = 0"));
    // The pooled λ = 0.1 row, recomputed from the trials: pair by the other settings and seed.
    let ok = read_trials(&dir).lazy().filter(col("status").eq(lit("ok")));
    let keys = [col("n_dense"), col("batch_size"), col("seed")];
    let d = ok
        .clone()
        .filter(col("lambda").eq(lit(0.1)))
        .join(
            ok.filter(col("lambda").eq(lit(0.0))),
            keys.clone(),
            keys,
            JoinArgs::new(JoinType::Inner),
        )
        .select([col("val_mse"), col("val_mse_right")])
        .collect()
        .unwrap();
    let (a, b) = (
        d.column("val_mse").unwrap().f64().unwrap(),
        d.column("val_mse_right").unwrap().f64().unwrap(),
    );
    let logs: Vec<f64> = a
        .iter()
        .zip(b.iter())
        .map(|(x, y)| (x.unwrap() / y.unwrap()).ln())
        .collect();
    assert_eq!(logs.len(), 8, "n_dense 2 × batch_size 2 × seed 2 pairs");
    // The geometric-mean change in percent, as the table prints it.
    let change = 100.0 * (logs.iter().sum::<f64>() / logs.len() as f64).exp_m1();
    let row = format!(
        "<tr><td class=\"num\">0.1</td><td class=\"num\">8</td><td class=\"num\">{}{:.1} %</td>",
        if change < 0.0 { "−" } else { "+" },
        change.abs()
    );
    assert!(html.contains(&row), "pooled row {row} missing");

    // Curves: the best settings and their λ = 0 partners.
    assert!(html.contains("at λ = 0") || html.contains("λ = 0 already"));
}

#[test]
fn the_same_files_give_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = sweep(tmp.path(), "tiny", &full_grid());
    let dirs = [dir];
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    report(&dirs, &a);
    report(&dirs, &b);
    for file in PLOTS.iter().chain(&["report.html"]) {
        let x = std::fs::read(a.join(file)).unwrap();
        let y = std::fs::read(b.join(file)).unwrap();
        assert!(x == y, "{file} differs between two runs");
    }
}

#[test]
fn a_grid_without_lambda_or_batch_axes_gets_sentences() {
    let tmp = tempfile::tempdir().unwrap();
    let full = sweep(tmp.path(), "tiny", &full_grid());
    let flat = sweep(tmp.path(), "flat", &flat_grid());
    let out = tmp.path().join("report");
    // First the full report, so the flat one has stale figures to remove.
    report(std::slice::from_ref(&full), &out);
    assert!(out.join("penalty.svg").is_file());

    let html = report(std::slice::from_ref(&flat), &out);
    tag_balance(&html).unwrap_or_else(|e| panic!("report.html: {e}"));
    assert!(html.contains("λ has a single value (0) and batch size has a single value (16)"));
    assert!(
        html.contains("Every trial has λ = 0"),
        "penalty sentence missing"
    );
    for gone in ["heatmap_acc.svg", "heatmap_mse.svg", "penalty.svg"] {
        assert!(!out.join(gone).exists(), "stale {gone} left behind");
        assert!(!html.contains(gone), "report mentions {gone}");
    }
    let tradeoff = std::fs::read_to_string(out.join("tradeoff.svg")).unwrap();
    tag_balance(&tradeoff).unwrap();
    assert_eq!(circles(&tradeoff), setting_groups(&flat));
    assert_eq!(circles(&tradeoff), 1);
    let curves = std::fs::read_to_string(out.join("curves.svg")).unwrap();
    tag_balance(&curves).unwrap();
    assert!(html.contains("λ = 0 already, so it has no partner"));
    assert_eq!(html.matches("<svg").count(), 2);
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the test hook: cargo test --features fault-injection"
)]
fn a_failed_trial_is_neither_a_point_nor_a_cell() {
    let tmp = tempfile::tempdir().unwrap();
    // Ids depend only on the settings, so a first sweep tells which id the second should fail.
    let probe = sweep(tmp.path(), "probe", &one_seed_grid());
    let trials = read_trials(&probe);
    let target = trials
        .lazy()
        .filter(
            col("lambda")
                .eq(lit(0.1))
                .and(col("batch_size").eq(lit(32u64))),
        )
        .select([col("trial_id")])
        .collect()
        .unwrap();
    let id = target
        .column("trial_id")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();

    let dir = sweep_failing(tmp.path(), "failing", &one_seed_grid(), Some(&id));
    let failed = read_trials(&dir)
        .lazy()
        .filter(col("status").eq(lit("failed")))
        .collect()
        .unwrap()
        .height();
    assert_eq!(failed, 1, "the hook failed one trial");

    let out = tmp.path().join("report");
    let html = report(std::slice::from_ref(&dir), &out);
    tag_balance(&html).unwrap_or_else(|e| panic!("report.html: {e}"));
    assert!(html.contains("4 in total: 3 ok, 0 diverged, 1 failed"));
    let tradeoff = std::fs::read_to_string(out.join("tradeoff.svg")).unwrap();
    assert_eq!(setting_groups(&dir), 3);
    assert_eq!(
        circles(&tradeoff),
        3,
        "the failed trial's group has no point"
    );
    for file in ["heatmap_acc.svg", "heatmap_mse.svg"] {
        let heat = std::fs::read_to_string(out.join(file)).unwrap();
        let empty = common::svg_texts(&heat)
            .iter()
            .filter(|t| *t == "no ok trial")
            .count();
        assert_eq!(empty, 1, "{file}: the failed trial's cell is marked empty");
    }
}
