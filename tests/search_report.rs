//! The report of a search, checked against its journal by hand: search.csv has a row per
//! configuration whose status, epochs, scores, best-so-far and Pareto flag follow from the
//! journal's trials; the confirmation is ranked by its fresh seeds' mean; the epochs saved
//! are the journal's sums; trials.parquet carries the search tags; report.html draws the
//! search's figures; and a plain grid's report has none of it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::Value;
use trendsweep::report::{SEARCH_LINES, TERMINAL_WIDTH};

use common::{
    TRIAL_COLUMNS, journal_records, names, read_csv, read_parquet, stderr, stdout, sweep, write,
};

const DATA: &str = r#"
[data]
kind = "sine"
length = 600
window = 8
"#;

/// A random search with successive halving: rungs at epochs 1 and 3 of 9, two seeds, the
/// best two confirmed on two fresh seeds.
fn asha_grid(dir: &Path) -> PathBuf {
    write(
        dir,
        "asha.toml",
        format!(
            r#"name = "asha"
{DATA}
[train]
epochs = 9

[search]
strategy = "random"
configs = 8
generation = 4
confirm = 2
confirm_seeds = 2

[grid]
learning_rate = {{ log_uniform = [1e-3, 1e-1] }}
lambda = {{ uniform = [0.0, 1.0] }}
seed = [0, 1]

[prune]
strategy = "asha"
min_epochs = 1
reduction_factor = 3
"#
        ),
    )
}

/// A random search for the Pareto front of both objectives, without pruning.
fn pareto_grid(dir: &Path) -> PathBuf {
    write(
        dir,
        "pareto.toml",
        format!(
            r#"name = "pareto"
{DATA}
[train]
epochs = 3

[search]
strategy = "random"
configs = 10
generation = 5
seed = 4
objective = ["val_mse", "val_trend_acc"]
confirm = 2
confirm_seeds = 2

[grid]
learning_rate = {{ log_uniform = [1e-3, 1e-1] }}
lambda = {{ uniform = [0.0, 1.0] }}
batch_size = [8, 32]
seed = [0, 1]
"#
        ),
    )
}

/// A plain grid: no search, no pruning.
fn plain_grid(dir: &Path) -> PathBuf {
    write(
        dir,
        "plain.toml",
        format!(
            r#"name = "plain"
{DATA}
[train]
epochs = 2

[grid]
lambda = [0.0, 0.5]
seed = [0, 1]
"#
        ),
    )
}

/// Sweeps `grid` into `dir/out` on two threads; returns the results directory and stdout.
fn run(dir: &Path, grid: &Path) -> (PathBuf, String) {
    let out = dir.join("out");
    let run = sweep(grid, &out, &["--threads", "2"]);
    assert!(
        run.status.success(),
        "sweep failed: {}\n{}",
        stdout(&run),
        stderr(&run)
    );
    (out, stdout(&run))
}

/// The columns search.csv and search.parquet document, in order.
const SEARCH_COLUMNS: [&str; 30] = [
    "config",
    "generation",
    "window",
    "n_dense",
    "lambda",
    "batch_size",
    "learning_rate",
    "epochs",
    "loss",
    "penalty_mean",
    "activation",
    "shuffle",
    "metric_epoch",
    "patience",
    "seeds",
    "status",
    "epochs_trained",
    "val_mse",
    "val_trend_acc",
    "best_so_far",
    "pareto",
    "confirmed_seeds",
    "confirmed_ok",
    "confirmed_val_mse",
    "confirmed_val_mse_ci_low",
    "confirmed_val_mse_ci_high",
    "confirmed_val_trend_acc",
    "confirmed_val_trend_acc_ci_low",
    "confirmed_val_trend_acc_ci_high",
    "confirmed_rank",
];

/// One journal trial, as the test reads it.
struct Trial {
    config: usize,
    confirm: bool,
    status: String,
    seed: u64,
    /// Epochs asked for, and epochs trained.
    epochs: (u64, u64),
    val_mse: Option<f64>,
    val_trend_acc: Option<f64>,
}

fn trials(dir: &Path) -> Vec<Trial> {
    journal_records(&dir.join("journal.jsonl"))
        .iter()
        .map(|r: &Value| {
            let tag = &r["search"];
            let curve = r["result"]["curve"].as_array().unwrap();
            // The grids here keep metric_epoch = "final": the last epoch stands for a trial.
            let last = curve.last();
            // A float the journal's JSON would not read back exactly is written as text.
            let figure = |name: &str| {
                last.and_then(|m| {
                    m[name]
                        .as_f64()
                        .or_else(|| m[name].as_str().and_then(|s| s.parse().ok()))
                })
            };
            Trial {
                config: tag["config"].as_u64().expect("a search tag") as usize,
                confirm: tag["confirm"].as_bool().unwrap_or(false),
                status: r["result"]["status"].as_str().unwrap().to_string(),
                seed: r["config"]["seed"].as_u64().unwrap(),
                epochs: (r["config"]["epochs"].as_u64().unwrap(), curve.len() as u64),
                val_mse: figure("val_mse"),
                val_trend_acc: figure("val_trend_acc"),
            }
        })
        .collect()
}

/// A configuration's figures worked out from its journal trials.
struct Expected {
    status: &'static str,
    epochs: u64,
    val_mse: Option<f64>,
    val_trend_acc: Option<f64>,
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn expected(trials: &[Trial]) -> BTreeMap<usize, Expected> {
    let mut by_config: BTreeMap<usize, Vec<&Trial>> = BTreeMap::new();
    for t in trials.iter().filter(|t| !t.confirm) {
        by_config.entry(t.config).or_default().push(t);
    }
    by_config
        .into_iter()
        .map(|(c, ts)| {
            let has = |s: &str| ts.iter().any(|t| t.status == s);
            let status = if has("failed") {
                "failed"
            } else if has("diverged") {
                "diverged"
            } else if has("pruned") {
                "pruned"
            } else {
                "complete"
            };
            let score = |f: fn(&Trial) -> Option<f64>| {
                (status == "complete")
                    .then(|| ts.iter().map(|t| f(t)).collect::<Option<Vec<f64>>>())
                    .flatten()
                    .map(|v| mean(&v))
            };
            (
                c,
                Expected {
                    status,
                    epochs: ts.iter().map(|t| t.epochs.1).sum(),
                    val_mse: score(|t| t.val_mse),
                    val_trend_acc: score(|t| t.val_trend_acc),
                },
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

#[track_caller]
fn assert_close(got: Option<f64>, want: Option<f64>, what: &str) {
    match (got, want) {
        (Some(a), Some(b)) => assert!(close(a, b), "{what}: {a} against {b}"),
        (None, None) => {}
        _ => panic!("{what}: {got:?} against {want:?}"),
    }
}

fn f64s(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    df.column(name)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

fn i64s(df: &DataFrame, name: &str) -> Vec<Option<i64>> {
    df.column(name)
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .collect()
}

fn texts(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    df.column(name)
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.map(str::to_string))
        .collect()
}

fn bools(df: &DataFrame, name: &str) -> Vec<Option<bool>> {
    df.column(name)
        .unwrap()
        .cast(&DataType::Boolean)
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect()
}

/// The terminal's search part: from its title to the line before the next paragraph that
/// is not its own (the files' line), blank lines at the end dropped.
fn terminal_search_block(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "Search")
        .unwrap_or_else(|| panic!("no search part:\n{text}"));
    assert!(lines[start + 1].starts_with("------"), "{text}");
    let end = lines[start..]
        .iter()
        .position(|l| l.starts_with("Every table:"))
        .map_or(lines.len(), |e| start + e);
    let mut block = lines[start..end].to_vec();
    while block.last().is_some_and(|l| l.trim().is_empty()) {
        block.pop();
    }
    block
}

#[track_caller]
fn assert_terminal_fits(text: &str) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= TERMINAL_WIDTH,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    assert!(text.lines().count() <= 60, "{text}");
    let block = terminal_search_block(text);
    assert!(
        block.len() <= SEARCH_LINES,
        "{} lines of search:\n{}",
        block.len(),
        block.join("\n")
    );
}

#[test]
fn a_search_report_agrees_with_its_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, printed) = run(tmp.path(), &asha_grid(tmp.path()));
    let journal = trials(&dir);
    let want = expected(&journal);
    assert_eq!(want.len(), 8, "eight configurations were tried");
    assert!(
        want.values().any(|e| e.status == "pruned"),
        "pruning stopped some configurations"
    );

    // One row per configuration, in order, with the documented columns, in both files.
    let csv = read_csv(&dir.join("search.csv"));
    assert_eq!(names(&csv), SEARCH_COLUMNS);
    let parquet = read_parquet(&dir.join("search.parquet"));
    assert_eq!(names(&parquet), SEARCH_COLUMNS);
    assert_eq!(parquet.height(), 8);
    let configs: Vec<usize> = i64s(&csv, "config")
        .into_iter()
        .map(|c| c.unwrap() as usize)
        .collect();
    assert_eq!(configs, want.keys().copied().collect::<Vec<_>>());

    // Status, epochs and search-time scores as the journal gives them.
    let status = texts(&csv, "status");
    let epochs = i64s(&csv, "epochs_trained");
    let (mse, acc) = (f64s(&csv, "val_mse"), f64s(&csv, "val_trend_acc"));
    for (i, (c, e)) in want.iter().enumerate() {
        assert_eq!(status[i].as_deref(), Some(e.status), "configuration {c}");
        assert_eq!(epochs[i], Some(e.epochs as i64), "configuration {c}");
        assert_close(mse[i], e.val_mse, &format!("val_mse of {c}"));
        assert_close(acc[i], e.val_trend_acc, &format!("val_trend_acc of {c}"));
    }
    assert_eq!(
        texts(&csv, "seeds")[0].as_deref(),
        Some("0 1"),
        "the search seeds"
    );

    // The best so far never rises, and is the running minimum of the complete ones.
    let best = f64s(&csv, "best_so_far");
    let mut running: Option<f64> = None;
    for (i, e) in want.values().enumerate() {
        if let Some(v) = e.val_mse {
            running = Some(running.map_or(v, |r: f64| r.min(v)));
        }
        assert_close(best[i], running, &format!("best_so_far at row {i}"));
    }
    let known: Vec<f64> = best.iter().flatten().copied().collect();
    assert!(known.windows(2).all(|w| w[1] <= w[0]), "{known:?}");
    assert!(
        bools(&csv, "pareto").iter().all(Option::is_none),
        "one objective has no Pareto front"
    );

    // Confirmation: the two best complete configurations, on the fresh seeds 2 and 3,
    // ranked by their confirmed mean.
    let mut complete: Vec<(usize, f64)> = want
        .iter()
        .filter_map(|(c, e)| e.val_mse.map(|v| (*c, v)))
        .collect();
    complete.sort_by(|a, b| a.1.total_cmp(&b.1));
    let chosen: Vec<usize> = complete.iter().take(2).map(|p| p.0).collect();
    let rank = i64s(&csv, "confirmed_rank");
    let confirmed_mse = f64s(&csv, "confirmed_val_mse");
    let confirmed_seeds = texts(&csv, "confirmed_seeds");
    let mut ranked: Vec<(i64, usize, f64)> = Vec::new();
    for (i, c) in configs.iter().enumerate() {
        let fresh: Vec<&Trial> = journal
            .iter()
            .filter(|t| t.confirm && t.config == *c)
            .collect();
        if !chosen.contains(c) {
            assert!(fresh.is_empty() && rank[i].is_none(), "configuration {c}");
            continue;
        }
        let mut seeds: Vec<u64> = fresh.iter().map(|t| t.seed).collect();
        seeds.sort_unstable();
        assert_eq!(seeds, [2, 3], "fresh seeds of configuration {c}");
        assert_eq!(confirmed_seeds[i].as_deref(), Some("2 3"));
        let values: Vec<f64> = fresh.iter().map(|t| t.val_mse.unwrap()).collect();
        assert_close(
            confirmed_mse[i],
            Some(mean(&values)),
            &format!("confirmed val_mse of {c}"),
        );
        let (lo, hi) = (
            f64s(&csv, "confirmed_val_mse_ci_low")[i].unwrap(),
            f64s(&csv, "confirmed_val_mse_ci_high")[i].unwrap(),
        );
        assert!(lo <= mean(&values) && mean(&values) <= hi);
        ranked.push((
            rank[i].expect("a confirmed rank"),
            *c,
            confirmed_mse[i].unwrap(),
        ));
    }
    ranked.sort_by_key(|r| r.0);
    assert_eq!(
        ranked.iter().map(|r| r.0).collect::<Vec<_>>(),
        [1, 2],
        "{ranked:?}"
    );
    assert!(
        ranked[0].2 <= ranked[1].2,
        "ranked by confirmed score: {ranked:?}"
    );

    // The epochs saved: the journal's sums, search trials only.
    let search = || journal.iter().filter(|t| !t.confirm);
    let trained: u64 = search().map(|t| t.epochs.1).sum();
    let asked: u64 = search().map(|t| t.epochs.0).sum();
    assert!(trained < asked, "pruning saved epochs");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let saved = format!("{:.1} %", 100.0 * (1.0 - trained as f64 / asked as f64));
    let sentence = format!("trained {trained} of the {asked} their settings ask for");
    assert!(md.contains(&sentence), "no \"{sentence}\" in:\n{md}");
    assert!(
        md.contains(&format!("{saved} saved")),
        "no {saved} in:\n{md}"
    );
    let flowing = printed.replace('\n', " ");
    assert!(
        flowing.contains(&format!(
            "{trained} of {asked} epochs trained ({saved} saved)"
        )),
        "{printed}"
    );

    // Confirmation in summary.md: ranked, the search-time figure marked optimistic.
    let confirmation = md
        .split("## Confirmation")
        .nth(1)
        .expect("a confirmation section")
        .split("\n## ")
        .next()
        .unwrap();
    assert!(confirmation.contains("(optimistic)"), "{confirmation}");
    let first = confirmation
        .lines()
        .find(|l| l.starts_with("|    1 |"))
        .expect("a first row");
    assert!(first.contains(&format!("#{}", ranked[0].1)), "{first}");

    // Ranged settings get no table by value; λ has no partner at 0, and the report says so.
    for axis in ["lambda", "learning_rate"] {
        assert!(!dir.join(format!("axis_{axis}.csv")).exists(), "{axis}");
        assert!(!md.contains(&format!("## By {axis}")), "{axis}");
    }
    assert!(md.contains("Drawn from ranges:"), "{md}");
    assert!(md.contains("A search draws λ, so no configuration has a λ = 0 partner"));

    // trials.parquet tags every trial with its configuration, generation and confirmation.
    let table = read_parquet(&dir.join("trials.parquet"));
    let tail: Vec<String> = names(&table).into_iter().rev().take(3).collect();
    assert_eq!(tail, ["confirm", "search_generation", "search_config"]);
    assert!(i64s(&table, "search_config").iter().all(Option::is_some));
    let confirms = bools(&table, "confirm")
        .iter()
        .filter(|c| **c == Some(true))
        .count();
    assert_eq!(confirms, journal.iter().filter(|t| t.confirm).count());

    // The figures, in the page and beside it; no Pareto figure for one objective.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for file in [
        "search_history.svg",
        "search_slices.svg",
        "search_curves.svg",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
        assert!(html.contains(&format!("<code>{file}</code>")), "{file}");
    }
    assert!(!dir.join("search_pareto.svg").exists());
    assert!(html.contains("<h2>Search</h2>"), "a search section");

    assert_terminal_fits(&printed);
}

#[test]
fn a_pareto_search_flags_exactly_the_non_dominated_configurations() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, printed) = run(tmp.path(), &pareto_grid(tmp.path()));
    let want = expected(&trials(&dir));
    let csv = read_csv(&dir.join("search.csv"));
    assert_eq!(csv.height(), 10);
    let pareto = bools(&csv, "pareto");
    let complete: Vec<(usize, f64, f64)> = want
        .values()
        .enumerate()
        .filter_map(|(i, e)| Some((i, e.val_mse?, e.val_trend_acc?)))
        .collect();
    assert!(
        complete.len() >= 3,
        "enough complete configurations to rank"
    );
    let dominated = |&(i, m, a): &(usize, f64, f64)| {
        complete
            .iter()
            .any(|&(j, n, b)| j != i && n <= m && b >= a && (n < m || b > a))
    };
    let mut front = Vec::new();
    for (i, e) in want.values().enumerate() {
        let point = complete.iter().find(|p| p.0 == i);
        let on_front = point.is_some_and(|p| !dominated(p));
        match point {
            Some(_) => assert_eq!(pareto[i], Some(on_front), "row {i}"),
            None => assert_eq!(pareto[i], Some(false), "row {i}: {}", e.status),
        }
        if on_front {
            front.push(i);
        }
    }
    assert!(
        !front.is_empty() && front.len() < complete.len(),
        "some configurations are dominated: {front:?} of {}",
        complete.len()
    );

    // summary.md lists the front sorted by the first objective.
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let section = md
        .split("## Pareto front")
        .nth(1)
        .expect("a Pareto section")
        .split("\n## ")
        .next()
        .unwrap();
    let mut expect: Vec<(usize, f64)> = front
        .iter()
        .map(|&i| {
            (
                *want.keys().nth(i).unwrap(),
                complete.iter().find(|p| p.0 == i).unwrap().1,
            )
        })
        .collect();
    expect.sort_by(|a, b| a.1.total_cmp(&b.1));
    let listed: Vec<String> = section
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('#'))
        .map(|l| l.split('|').nth(1).unwrap().trim().to_string())
        .collect();
    assert_eq!(
        listed,
        expect
            .iter()
            .map(|(c, _)| format!("#{c}"))
            .collect::<Vec<_>>(),
        "{section}"
    );

    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(dir.join("search_pareto.svg").is_file());
    assert!(html.contains("<code>search_pareto.svg</code>"));
    // Nothing was pruned: every configuration trained every epoch.
    assert!(md.contains("Nothing was pruned"), "{md}");
    assert!(md.contains("0.0 % saved"), "{md}");
    // batch_size is a list of choices: it keeps its table.
    assert!(md.contains("## By batch_size"), "{md}");
    assert_terminal_fits(&printed);
}

#[test]
fn a_plain_grid_has_no_search_columns_files_or_sections() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, printed) = run(tmp.path(), &plain_grid(tmp.path()));
    let table = read_parquet(&dir.join("trials.parquet"));
    assert_eq!(names(&table), TRIAL_COLUMNS);
    for file in [
        "search.csv",
        "search.parquet",
        "search_history.svg",
        "search_slices.svg",
        "search_pareto.svg",
        "search_curves.svg",
    ] {
        assert!(!dir.join(file).exists(), "{file}");
    }
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        !md.contains("## Search") && !md.contains("## Confirmation"),
        "{md}"
    );
    assert!(md.contains("## By lambda"), "{md}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("<h2>Search</h2>"));
    assert!(!printed.lines().any(|l| l == "Search"), "{printed}");
}

#[test]
fn a_search_rebuilt_as_a_plain_grid_loses_its_search_files() {
    // The report of a search directory whose journal lost its tags (as if rerun as a plain
    // grid) removes the search files an earlier report wrote.
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = run(tmp.path(), &asha_grid(tmp.path()));
    assert!(dir.join("search.csv").is_file());
    let journal = dir.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let untagged: String = text
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            if let Some(o) = v.as_object_mut() {
                o.remove("search");
            }
            format!("{v}\n")
        })
        .collect();
    std::fs::write(&journal, untagged).unwrap();
    let out = common::bin()
        .arg("report")
        .arg(&dir)
        .output()
        .expect("running trendsweep");
    assert!(out.status.success(), "{}", stderr(&out));
    for file in ["search.csv", "search.parquet", "search_history.svg"] {
        assert!(!dir.join(file).exists(), "{file}");
    }
    assert_eq!(
        names(&read_parquet(&dir.join("trials.parquet"))),
        TRIAL_COLUMNS
    );
}
