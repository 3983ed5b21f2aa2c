//! Searches are reproducible: the same grid file gives the same trials, pruning decisions
//! and numbers on one thread or two, after a `kill -9` and a rerun, and split over shards
//! (pruned or not, a shard killed and restarted); pruning stops exactly the configurations
//! its rule names; bad `[search]`, `[prune]` and distribution input is refused naming the
//! key.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use polars::prelude::*;
use serde_json::Value;
use trendsweep::grid::GridSpec;
use trendsweep::sweep::search::planned_configs;

use common::{
    assert_refused, journal_records, outcome_columns, read_parquet, search_table, signal, snapshot,
    spawn_sweep, stderr, sweep, write,
};

/// The series the searches here train on.
const DATA: &str = common::NOISY_SINE;

/// TPE with successive halving: rungs at epochs 1 and 3 of 9, two seeds, two confirmed.
fn tpe_grid(dir: &Path) -> PathBuf {
    let search = search_table("tpe", (12, 4), 3, 2, "startup = 4\nconfirm_seeds = 2");
    write(
        dir,
        "tpe.toml",
        format!(
            r#"name = "tpe"
{DATA}
[train]
epochs = 9

{search}
[grid]
learning_rate = {{ log_uniform = [1e-3, 1e-1] }}
lambda = {{ uniform = [0.0, 1.0] }}
n_dense = {{ int_log_uniform = [2, 16] }}
batch_size = [8, 32]
seed = [0, 1]

[prune]
strategy = "asha"
min_epochs = 1
reduction_factor = 3
"#
        ),
    )
}

fn random_grid(dir: &Path, prune: &str) -> PathBuf {
    write(
        dir,
        "random.toml",
        format!(
            r#"name = "random"
{DATA}
[train]
epochs = 4

[search]
strategy = "random"
configs = 9
seed = 11
confirm = 0

[grid]
learning_rate = {{ log_uniform = [1e-3, 1e-1] }}
n_dense = [4, 8]
seed = [0, 1]
{prune}"#
        ),
    )
}

/// Each trial's outcome and search tag, keyed by trial id: what must not depend on how the
/// search ran.
fn outcomes(dir: &Path) -> (DataFrame, BTreeMap<String, Value>) {
    let df = read_parquet(&dir.join("trials.parquet"))
        .select(outcome_columns())
        .unwrap()
        .sort(["trial_id"], SortMultipleOptions::default())
        .unwrap();
    let mut tags = BTreeMap::new();
    for path in std::fs::read_dir(dir).unwrap() {
        let path = path.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("journal") && name.ends_with(".jsonl") {
            for r in journal_records(&path) {
                tags.insert(
                    r["trial_id"].as_str().unwrap().to_string(),
                    r.get("search").cloned().unwrap_or(Value::Null),
                );
            }
        }
    }
    (df, tags)
}

fn assert_same(
    a: &(DataFrame, BTreeMap<String, Value>),
    b: &(DataFrame, BTreeMap<String, Value>),
    case: &str,
) {
    assert!(a.0.equals_missing(&b.0), "{case}:\n{}\n{}", a.0, b.0);
    assert_eq!(a.1, b.1, "{case}: search tags differ");
}

fn run_ok(grid: &Path, out: &Path, extra: &[&str]) -> String {
    let o = sweep(grid, out, extra);
    assert!(o.status.success(), "{}", stderr(&o));
    stderr(&o)
}

#[test]
fn a_tpe_search_with_pruning_is_the_same_on_one_and_two_threads_and_after_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = tpe_grid(tmp.path());
    let one = tmp.path().join("one");
    run_ok(&grid, &one, &["--threads", "1", "--quiet"]);
    let reference = outcomes(&one);
    let statuses: Vec<String> = common::strings(&reference.0, "status");
    let pruned = statuses.iter().filter(|s| *s == "pruned").count();
    assert!(pruned > 0, "ASHA pruned nothing: {statuses:?}");
    assert_eq!(
        statuses.len(),
        12 * 2 + 2 * 2,
        "every trial, confirmation included"
    );
    let confirmed = reference
        .1
        .values()
        .filter(|t| t.get("confirm").and_then(Value::as_bool) == Some(true))
        .count();
    assert_eq!(confirmed, 4);

    let two = tmp.path().join("two");
    run_ok(&grid, &two, &["--threads", "2", "--quiet"]);
    assert_same(&reference, &outcomes(&two), "2 threads");

    // Killed after a few records, then rerun: the same trials and decisions.
    for (case, after) in [2usize, 13].into_iter().enumerate() {
        let dir = tmp.path().join(format!("killed-{case}"));
        let mut child = spawn_sweep(&grid, &dir, &["--threads", "2"]);
        let start = Instant::now();
        let lines = || journal_records(&dir.join("journal.jsonl")).len();
        while lines() < after && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(2));
        }
        signal(&child, "-9");
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "case {case}: the search ended before the kill"
        );
        run_ok(&grid, &dir, &["--quiet"]);
        assert_same(&reference, &outcomes(&dir), &format!("kill after {after}"));
    }

    // A finished search reruns nothing, not even its pruned trials with --retry-failed.
    let err = run_ok(&grid, &one, &["--retry-failed"]);
    assert!(err.contains("28 trials already done, 0 to train"), "{err}");
}

/// The rung values a generation's configurations had, from the journal: the mean over seeds
/// of the validation MSE at the rung's epoch.
fn rung_values(records: &[Value], generation: u64, rung: usize) -> BTreeMap<u64, f64> {
    let mut sums: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
    for r in records {
        let tag = &r["search"];
        if tag["generation"].as_u64() != Some(generation) || tag.get("confirm").is_some() {
            continue;
        }
        let curve = r["result"]["curve"].as_array().unwrap();
        if curve.len() < rung {
            continue;
        }
        let v = number(&curve[rung - 1]["val_mse"]);
        let e = sums.entry(tag["config"].as_u64().unwrap()).or_default();
        e.0 += v;
        e.1 += 1;
    }
    sums.into_iter()
        .filter(|(_, (_, n))| *n == 2)
        .map(|(c, (s, n))| (c, s / n as f64))
        .collect()
}

/// A journal number: JSON numbers, and the few floats written as exact decimal strings.
fn number(v: &Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn asha_stops_exactly_the_bottom_of_each_rung() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = tpe_grid(tmp.path());
    let dir = tmp.path().join("r");
    run_ok(&grid, &dir, &["--quiet", "--threads", "2"]);
    let records = journal_records(&dir.join("journal.jsonl"));
    let epochs_run = |config: u64| -> Vec<(usize, String)> {
        records
            .iter()
            .filter(|r| {
                r["search"]["config"].as_u64() == Some(config)
                    && r["search"].get("confirm").is_none()
            })
            .map(|r| {
                (
                    r["result"]["curve"].as_array().unwrap().len(),
                    r["result"]["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // The best rows come from the confirmation alone: the top confirmed configuration on
    // its two fresh seeds, never a search-time score.
    let best = common::read_csv(&dir.join("best.csv"));
    let search = common::read_csv(&dir.join("search.csv"));
    let ranked = search
        .lazy()
        .filter(col("confirmed_rank").eq(lit(1)))
        .collect()
        .unwrap();
    assert_eq!(ranked.height(), 1, "{ranked}");
    assert_eq!(common::strings(&best, "criterion")[0], "lowest_val_mse");
    assert_eq!(
        best.column("n_seeds").unwrap().i64().unwrap().get(0),
        Some(2)
    );
    for name in ["n_dense", "lambda", "learning_rate", "batch_size"] {
        assert_eq!(
            best.column(name).unwrap().get(0).unwrap(),
            ranked.column(name).unwrap().get(0).unwrap(),
            "{name}"
        );
    }
    for generation in 0..3u64 {
        // Rung 1: 4 configurations, 4 / 3 = 1 goes on. Rung 3: that one alone goes on.
        let at1 = rung_values(&records, generation, 1);
        assert_eq!(at1.len(), 4, "generation {generation}: {at1:?}");
        let best = at1
            .iter()
            .min_by(|a, b| a.1.total_cmp(b.1).then(a.0.cmp(b.0)))
            .map(|(c, _)| *c)
            .unwrap();
        for &config in at1.keys() {
            let runs = epochs_run(config);
            assert_eq!(runs.len(), 2, "two seeds each");
            for (epochs, status) in runs {
                if config == best {
                    assert_eq!(
                        (epochs, status.as_str()),
                        (9, "ok"),
                        "config {config} survives"
                    );
                } else {
                    assert_eq!(
                        (epochs, status.as_str()),
                        (1, "pruned"),
                        "config {config} stops at rung 1"
                    );
                }
            }
        }
    }
}

#[test]
fn a_random_search_sharded_three_ways_equals_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = random_grid(tmp.path(), "");
    let whole = tmp.path().join("whole");
    run_ok(&grid, &whole, &["--quiet"]);
    let sharded = tmp.path().join("sharded");
    for shard in ["0/3", "1/3", "2/3"] {
        run_ok(&grid, &sharded, &["--quiet", "--shard", shard]);
    }
    let o = common::report(&[&sharded], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let a = outcomes(&whole);
    assert_eq!(a.0.height(), 18);
    assert_same(&a, &outcomes(&sharded), "3 shards");
}

#[test]
fn a_tpe_search_with_asha_on_three_shards_equals_one_process_also_after_a_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = tpe_grid(tmp.path());
    let whole = tmp.path().join("whole");
    run_ok(&grid, &whole, &["--quiet"]);
    let reference = outcomes(&whole);
    let statuses = common::strings(&reference.0, "status");
    assert!(statuses.iter().any(|s| s == "pruned"), "{statuses:?}");
    assert_eq!(reference.0.height(), 12 * 2 + 2 * 2);

    let sharded = tmp.path().join("sharded");
    for (ok, err) in concurrent_shards(&grid, &sharded, &["0/3", "1/3", "2/3"], &["--quiet"]) {
        assert!(ok, "{err}");
    }
    assert_same(&reference, &outcomes(&sharded), "3 shards");
    let search_csv = |dir: &Path| std::fs::read(dir.join("search.csv")).unwrap();
    assert_eq!(search_csv(&whole), search_csv(&sharded));

    // Shard 1 killed once it has passed the first rung of generation 0 (the others are at
    // a rung barrier or training), then started again: the same search.
    let killed = tmp.path().join("killed");
    let others: Vec<_> = ["0/3", "2/3"]
        .iter()
        .map(|s| spawn_sweep(&grid, &killed, &["--shard", s]))
        .collect();
    let victim = spawn_sweep(&grid, &killed, &["--shard", "1/3"]);
    let rung_file = killed.join("rungs/generation-0-epoch-1-1-of-3.json");
    let start = Instant::now();
    while !rung_file.exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(rung_file.exists(), "shard 1/3 never reached its first rung");
    let mut victim = victim;
    signal(&victim, "-9");
    assert!(!victim.wait().unwrap().success(), "shard 1/3 ended first");
    run_ok(&grid, &killed, &["--quiet", "--shard", "1/3"]);
    for mut other in others {
        assert!(other.wait().unwrap().success());
    }
    assert_same(
        &reference,
        &outcomes(&killed),
        "shard 1/3 killed and restarted",
    );
    assert_eq!(search_csv(&whole), search_csv(&killed));

    // Rerun alone after the search ended and its rung files were deleted, a shard decides
    // from the others' records and waits for nobody.
    std::fs::remove_dir_all(killed.join("rungs")).unwrap();
    let err = run_ok(&grid, &killed, &["--shard", "0/3", "--shard-wait", "1"]);
    assert!(!err.contains("waiting for"), "{err}");
    assert_same(&reference, &outcomes(&killed), "shard 0/3 rerun");
}

#[test]
fn a_median_pruned_search_on_two_shards_equals_one_process_and_slurm_writes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = random_grid(
        tmp.path(),
        "[prune]\nstrategy = \"median\"\nmin_epochs = 1\n",
    );
    let whole = tmp.path().join("whole");
    run_ok(&grid, &whole, &["--quiet"]);
    let reference = outcomes(&whole);
    let statuses = common::strings(&reference.0, "status");
    assert!(statuses.iter().any(|s| s == "pruned"), "{statuses:?}");
    let sharded = tmp.path().join("sharded");
    for (ok, err) in concurrent_shards(&grid, &sharded, &["0/2", "1/2"], &["--quiet"]) {
        assert!(ok, "{err}");
    }
    assert_same(&reference, &outcomes(&sharded), "2 shards");

    // A rung whose other shard never comes: a bounded wait naming it.
    let alone = tmp.path().join("alone");
    let o = sweep(&grid, &alone, &["--shard", "0/2", "--shard-wait", "1"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("waited 1 s (--shard-wait) for shard 1/2 to train generation 0 to epoch"),
        "{err}"
    );

    // `trendsweep slurm` writes a job array for a pruned search too, saying its tasks must
    // run together, and passes --shard-wait on.
    let o = common::bin()
        .args([
            "slurm",
            grid.to_str().unwrap(),
            "--tasks",
            "2",
            "--shard-wait",
            "60",
        ])
        .arg("--out")
        .arg(tmp.path().join("array"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let said = common::stdout(&o);
    assert!(
        said.contains("must run at the same time") && said.contains("60 s"),
        "{said}"
    );
    let script = std::fs::read_to_string(tmp.path().join("array/sweep.sbatch")).unwrap();
    assert!(
        script.contains("--shard \"${SLURM_ARRAY_TASK_ID}/2\"")
            && script.contains(" --shard-wait 60 --quiet"),
        "{script}"
    );
}

/// TPE without pruning, three generations of three and two configurations confirmed.
fn tpe_unpruned(dir: &Path) -> PathBuf {
    let search = search_table("tpe", (9, 3), 3, 2, "startup = 3\nconfirm_seeds = 2");
    write(
        dir,
        "tpe_unpruned.toml",
        format!(
            "name = \"tpe_unpruned\"\n{DATA}\n[train]\nepochs = 4\n\n{search}\n[grid]\n\
             learning_rate = {{ log_uniform = [1e-3, 1e-1] }}\nlambda = {{ uniform = [0.0, 1.0] }}\n\
             batch_size = [8, 32]\nseed = [0, 1]\n"
        ),
    )
}

/// Starts every shard of `shards` at once on `out`, each a process of its own, and waits for
/// them: their exit statuses and stderr.
fn concurrent_shards(
    grid: &Path,
    out: &Path,
    shards: &[&str],
    extra: &[&str],
) -> Vec<(bool, String)> {
    let children: Vec<_> = shards
        .iter()
        .map(|s| {
            let mut args = vec!["--shard", s];
            args.extend_from_slice(extra);
            common::sweep_command(grid, out, &args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            (
                o.status.success(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .collect()
}

#[test]
fn a_tpe_search_on_three_shards_at_once_equals_one_process_confirmation_included() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = tpe_unpruned(tmp.path());
    let whole = tmp.path().join("whole");
    run_ok(&grid, &whole, &["--quiet"]);
    let sharded = tmp.path().join("sharded");
    for (ok, err) in concurrent_shards(&grid, &sharded, &["0/3", "1/3", "2/3"], &["--quiet"]) {
        assert!(ok, "{err}");
    }
    let a = outcomes(&whole);
    // 9 configurations on 2 seeds, and 2 confirmed on 2 fresh seeds.
    assert_eq!(a.0.height(), 9 * 2 + 2 * 2);
    assert_same(&a, &outcomes(&sharded), "3 shards");
    assert_eq!(
        std::fs::read(whole.join("search.csv")).unwrap(),
        std::fs::read(sharded.join("search.csv")).unwrap()
    );
}

#[test]
fn a_missing_shard_stops_the_others_after_the_wait_and_a_rerun_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = tpe_unpruned(tmp.path());
    let whole = tmp.path().join("whole");
    run_ok(&grid, &whole, &["--quiet"]);
    let out = tmp.path().join("out");
    let started = std::time::Instant::now();
    for (ok, err) in concurrent_shards(&grid, &out, &["0/3", "1/3"], &["--shard-wait", "1"]) {
        assert!(!ok, "a shard cannot finish without shard 2/3");
        assert!(
            err.contains("waited 1 s (--shard-wait) for shard 2/3") && err.contains("rerun"),
            "{err}"
        );
    }
    assert!(started.elapsed().as_secs() < 60, "bounded wait");
    for (ok, err) in concurrent_shards(&grid, &out, &["0/3", "1/3", "2/3"], &["--quiet"]) {
        assert!(ok, "{err}");
    }
    assert_same(&outcomes(&whole), &outcomes(&out), "after a missing shard");
    assert_eq!(
        std::fs::read(whole.join("search.csv")).unwrap(),
        std::fs::read(out.join("search.csv")).unwrap()
    );
}

#[test]
fn random_configurations_are_uniform_and_tpe_starts_with_them() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = |strategy: &str, configs: usize| {
        let text = format!(
            "{DATA}\n[search]\nstrategy = \"{strategy}\"\nconfigs = {configs}\nconfirm = 0\nseed = 5\n\
             {}\n[grid]\nlambda = {{ uniform = [0.0, 2.0] }}\nlearning_rate = {{ log_uniform = [1e-5, 1e-1] }}\n",
            if strategy == "tpe" { "startup = 6" } else { "" }
        );
        GridSpec::parse(&text, &tmp.path().join("g.toml")).unwrap()
    };
    let random = planned_configs(&spec("random", 800), 800);
    assert_eq!(random.len(), 800);
    // Four equal bins of λ in [0, 2] and of log10(lr) in [-5, -1]: each expects 200.
    let mut lambda_bins = [0usize; 4];
    let mut lr_bins = [0usize; 4];
    for c in &random {
        lambda_bins[((c.config.lambda / 0.5) as usize).min(3)] += 1;
        lr_bins[((c.config.learning_rate.log10() + 5.0) as usize).min(3)] += 1;
    }
    for bins in [lambda_bins, lr_bins] {
        for n in bins {
            // 200 ± 4 standard deviations (sd = 12.2).
            assert!((151..=249).contains(&n), "{lambda_bins:?} {lr_bins:?}");
        }
    }
    let tpe = planned_configs(&spec("tpe", 40), 40);
    assert_eq!(
        tpe.len(),
        6,
        "only the random start is known before training"
    );
    assert_eq!(
        tpe[..],
        random[..6],
        "TPE starts with random search's configurations"
    );
}

#[test]
fn bad_search_input_is_refused_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let search = "[search]\nstrategy = \"random\"\nconfigs = 4\n";
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "distribution under grid",
            "[grid]\nlambda = { uniform = [0.0, 1.0] }\n".into(),
            vec!["[grid] lambda", "distribution", "strategy"],
        ),
        (
            "explicit grid strategy",
            "[search]\nstrategy = \"grid\"\n[grid]\nlambda = { uniform = [0.0, 1.0] }\n".into(),
            vec!["[grid] lambda", "strategy = \"grid\""],
        ),
        (
            "low above high",
            format!("{search}[grid]\nlambda = {{ uniform = [1.0, 0.5] }}\n"),
            vec!["[grid] lambda uniform", "low 1 must be less than high 0.5"],
        ),
        (
            "log of zero",
            format!("{search}[grid]\nlambda = {{ log_uniform = [0.0, 1.0] }}\n"),
            vec!["[grid] lambda log_uniform", "low > 0"],
        ),
        (
            "float distribution on an integer",
            format!("{search}[grid]\nn_dense = {{ log_uniform = [4, 64] }}\n"),
            vec!["[grid] n_dense", "int_uniform"],
        ),
        (
            "distribution on a choice",
            format!("{search}[grid]\nloss = {{ uniform = [0, 1] }}\n"),
            vec!["[grid] loss", "list the values"],
        ),
        (
            "distribution on the window",
            format!("{search}[grid]\nwindow = {{ int_uniform = [4, 16] }}\n"),
            vec!["[grid] window", "list only"],
        ),
        (
            "distribution on the seed",
            format!("{search}[grid]\nseed = {{ int_uniform = [0, 9] }}\n"),
            vec!["[grid] seed", "replicates"],
        ),
        (
            "misspelt distribution",
            format!("{search}[grid]\nlambda = {{ unifrom = [0.0, 1.0] }}\n"),
            vec!["[grid] lambda", "unknown distribution", "did you mean \"uniform\""],
        ),
        (
            "unknown search key",
            format!("{search}trials = 5\n[grid]\nlambda = [0.0, 1.0]\n"),
            vec!["[search] trials", "unknown key"],
        ),
        (
            "unknown strategy",
            "[search]\nstrategy = \"bayes\"\n[grid]\nlambda = [0.0, 1.0]\n".into(),
            vec!["[search] strategy", "one of \"grid\", \"random\", \"tpe\""],
        ),
        (
            "three objectives",
            format!(
                "{search}objective = [\"val_mse\", \"val_trend_acc\", \"val_mse\"]\n[grid]\nlambda = [0.0, 1.0]\n"
            ),
            vec!["[search] objective", "two"],
        ),
        (
            "pruning a Pareto search",
            format!(
                "{search}objective = [\"val_mse\", \"val_trend_acc\"]\n[grid]\nlambda = [0.0, 1.0]\n[prune]\nstrategy = \"asha\"\n"
            ),
            vec!["[prune] strategy", "Pareto"],
        ),
        (
            "reduction factor of one",
            format!("{search}[grid]\nlambda = [0.0, 1.0]\n[prune]\nstrategy = \"asha\"\nreduction_factor = 1\n"),
            vec!["[prune] reduction_factor", "from 2"],
        ),
        (
            "unknown prune key",
            format!("{search}[grid]\nlambda = [0.0, 1.0]\n[prune]\nrungs = 3\n"),
            vec!["[prune] rungs", "unknown key"],
        ),
        (
            "confirm more than tried",
            "[search]\nstrategy = \"random\"\nconfigs = 3\nconfirm = 4\n[grid]\nlambda = [0.0, 1.0]\n".into(),
            vec!["[search] confirm = 4", "configs = 3"],
        ),
        (
            "nothing to search",
            "[search]\nstrategy = \"tpe\"\n[grid]\nseed = [0, 1]\n".into(),
            vec!["[search] strategy = \"tpe\"", "nothing to search"],
        ),
        (
            "configs for a grid",
            "[search]\nconfigs = 5\n[grid]\nlambda = [0.0, 1.0]\n".into(),
            vec!["[search] configs", "strategy = \"grid\""],
        ),
    ];
    for (case, tail, needles) in cases {
        // The window case needs [data] without its window.
        let data = if case.contains("window") {
            DATA.replace("window = 8\n", "")
        } else {
            DATA.to_string()
        };
        let grid = write(tmp.path(), "bad.toml", format!("{data}{tail}"));
        let out = tmp.path().join("out");
        let before = snapshot(tmp.path());
        let o = sweep(&grid, &out, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{case}: {err}");
        for n in &needles {
            assert!(err.contains(n), "{case}: {n:?} not in {err}");
        }
        assert!(err.contains("bad.toml"), "{case}: names the file: {err}");
        assert_eq!(before, snapshot(tmp.path()), "{case}: nothing written");
    }
}

#[test]
fn the_median_rule_stops_exactly_the_configurations_worse_than_the_earlier_median() {
    let tmp = tempfile::tempdir().unwrap();
    let search = search_table("random", (14, 7), 2, 0, "");
    let grid = write(
        tmp.path(),
        "median.toml",
        format!(
            r#"{DATA}
[train]
epochs = 6

{search}
[grid]
learning_rate = {{ log_uniform = [1e-4, 3e-1] }}
n_dense = [2, 16]
seed = [0, 1]

[prune]
strategy = "median"
min_epochs = 1
reduction_factor = 2
"#
        ),
    );
    let dir = tmp.path().join("m");
    run_ok(&grid, &dir, &["--quiet", "--threads", "2"]);
    let records = journal_records(&dir.join("journal.jsonl"));
    // Per configuration: its seeds' curves.
    let mut curves: BTreeMap<u64, Vec<Vec<f64>>> = BTreeMap::new();
    let mut statuses: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for r in &records {
        let c = r["search"]["config"].as_u64().unwrap();
        let curve = r["result"]["curve"].as_array().unwrap();
        curves
            .entry(c)
            .or_default()
            .push(curve.iter().map(|m| number(&m["val_mse"])).collect());
        statuses
            .entry(c)
            .or_default()
            .push(r["result"]["status"].as_str().unwrap().to_string());
    }
    assert_eq!(curves.len(), 14);
    let at = |c: u64, rung: usize| -> Option<f64> {
        let seeds = &curves[&c];
        seeds
            .iter()
            .all(|s| s.len() >= rung)
            .then(|| seeds.iter().map(|s| s[rung - 1]).sum::<f64>() / seeds.len() as f64)
    };
    let mut stopped = 0;
    for (&c, seeds) in &curves {
        let ran = seeds[0].len();
        let pruned = statuses[&c].iter().all(|s| s == "pruned");
        assert!(
            pruned || statuses[&c].iter().all(|s| s == "ok"),
            "config {c}: {:?}",
            statuses[&c]
        );
        // Rungs at 1, 2 and 4 epochs: it went on past every rung before the one it stopped at.
        for rung in [1usize, 2, 4] {
            if rung > ran {
                break;
            }
            let mut earlier: Vec<f64> = (0..c).filter_map(|e| at(e, rung)).collect();
            let stops = earlier.len() >= 5 && {
                earlier.sort_by(f64::total_cmp);
                let n = earlier.len();
                let median = if n % 2 == 1 {
                    earlier[n / 2]
                } else {
                    (earlier[n / 2 - 1] + earlier[n / 2]) / 2.0
                };
                at(c, rung).unwrap() > median
            };
            let stopped_here = pruned && ran == rung;
            assert_eq!(stops, stopped_here, "config {c} at rung {rung}");
            if stops {
                stopped += 1;
                break;
            }
        }
    }
    assert!(
        stopped >= 2,
        "the rule stopped only {stopped} configurations"
    );
}

#[test]
fn a_generation_too_large_to_hold_in_memory_between_rungs_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    // One trial (n_dense 1,000,000: about 160 MB of weights, Adam state and gradients) fits;
    // a thousand held at once between rungs does not, on any machine this runs on.
    let grid = write(
        tmp.path(),
        "huge.toml",
        format!(
            "{DATA}\n[train]\nepochs = 9\nn_dense = 1000000\n\n[search]\nstrategy = \"random\"\n\
             configs = 1000\ngeneration = 1000\nconfirm = 0\n\n[grid]\n\
             lambda = {{ uniform = [0.0, 1.0] }}\n\n[prune]\nstrategy = \"asha\"\n"
        ),
    );
    let out = tmp.path().join("out");
    let err = assert_refused(
        &sweep(&grid, &out, &[]),
        &[
            "huge.toml",
            "[search] generation = 1000",
            "lower generation",
        ],
    );
    assert!(err.contains("1000 trials"), "{err}");
    assert!(!out.exists(), "nothing written");
    // Without pruning the same search trains one trial per thread, and is not refused for it.
    let plain = write(
        tmp.path(),
        "plain.toml",
        std::fs::read_to_string(&grid)
            .unwrap()
            .replace("strategy = \"asha\"", "strategy = \"none\""),
    );
    let o = common::bin()
        .args(["plan", plain.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}
