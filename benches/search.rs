//! Search quality on the electricity demand series: the best validation MSE found against
//! configurations tried, for the default grid in its order, random search and TPE (five
//! search seeds each), and what successive halving saves against the same TPE search
//! unpruned. Every method's winner is retrained on ten fresh seeds, and that confirmed score
//! is printed beside the search-time one.
//!
//! `cargo bench --profile dev --bench search` (about ten minutes on two cores);
//! `-- --quick` runs two search seeds with fewer configurations. The per-configuration
//! histories are written to `results/bench-search/history.csv`. Run without `--bench` it
//! measures nothing.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use trendsweep::grid::GridSpec;
use trendsweep::store::read_journal;
use trendsweep::store::records::{TrialRecord, TrialStatus};
use trendsweep::sweep::{self, SweepOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("search: measures nothing without --bench (run it with cargo bench)");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("results").join("bench-search");
    std::fs::create_dir_all(&out).expect("results/bench-search");
    run(root, &out, quick);
}

/// The default grid's settings and ranges, shared by every method.
fn grid_text(root: &Path, search: &str, grid: &str) -> String {
    let data = root.join("experiments/data/taylor_demand.csv");
    format!(
        r#"name = "bench"
[data]
path = "{}"
column = "demand_mw"
window = 16
val_fraction = 0.15
test_fraction = 0.15
season = 48

[train]
epochs = 30
loss = "trend"

{search}

[grid]
{grid}
seed = [0, 1, 2]
"#,
        data.display()
    )
}

/// The default grid's values, as lists.
const GRID_LISTS: &str = "n_dense = [8, 32, 128]\nlambda = [0.0, 0.001, 0.01, 0.1, 1.0]\n\
                          batch_size = [1, 8, 32]\nlearning_rate = [1e-4, 1e-3, 1e-2]";
/// The same ranges made continuous.
const GRID_RANGES: &str = "n_dense = { int_log_uniform = [8, 128] }\n\
                           lambda = { uniform = [0.0, 1.0] }\nbatch_size = [1, 8, 32]\n\
                           learning_rate = { log_uniform = [1e-4, 1e-2] }";

/// One search's outcome, from its journal.
struct Outcome {
    /// Each configuration's mean validation MSE over its seeds (`None` unless complete), in
    /// proposal order.
    scores: Vec<Option<f64>>,
    epochs: usize,
    /// The epochs every search trial would have trained without pruning.
    full_epochs: usize,
    /// The winner's search-time score and seed-to-seed standard deviation.
    winner: Option<(usize, f64, f64)>,
    /// The winner's mean over the fresh seeds.
    confirmed: Option<f64>,
    seconds: f64,
}

fn sweep_once(root: &Path, dir: &Path, text: &str) -> Outcome {
    let file = dir.join("grid.toml.in");
    std::fs::create_dir_all(dir).expect("a bench directory");
    std::fs::write(&file, text).expect("the grid file");
    let spec = GridSpec::parse(text, &file).expect("a valid grid");
    let opts = SweepOptions {
        out: dir.join("out"),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        quiet: true,
        max_trials: u128::MAX,
        fresh: true,
        retry_failed: false,
        stack: trendsweep::model::stack::MAX_STACK,
        shard: None,
        shard_wait: std::time::Duration::from_secs(3600),
    };
    let _ = root;
    let started = std::time::Instant::now();
    let prepared = sweep::prepare(&spec).expect("the data");
    let outcome = sweep::run(&spec, prepared, &opts).expect("a sweep");
    let seconds = started.elapsed().as_secs_f64();
    drop(outcome.lock);
    let records = read_journal(&opts.out).expect("the journal");
    summarise(&records, seconds)
}

fn summarise(records: &[TrialRecord], seconds: f64) -> Outcome {
    let mut by_config: HashMap<usize, Vec<&TrialRecord>> = HashMap::new();
    let mut confirm: HashMap<usize, Vec<f64>> = HashMap::new();
    let (mut epochs, mut full_epochs) = (0, 0);
    for r in records {
        let tag = r.search.expect("search trials are tagged");
        if tag.confirm {
            if let Some(v) = r.result.last().and_then(|m| m.val_mse) {
                confirm.entry(tag.config).or_default().push(v);
            }
            continue;
        }
        epochs += r.result.epochs_run();
        full_epochs += r.config.epochs;
        by_config.entry(tag.config).or_default().push(r);
    }
    let n = by_config.keys().max().map_or(0, |m| m + 1);
    let mut scores = vec![None; n];
    let mut spreads = vec![0.0; n];
    for (c, trials) in &by_config {
        if trials.iter().all(|t| t.result.status == TrialStatus::Ok) {
            let v: Vec<f64> = trials
                .iter()
                .filter_map(|t| t.result.last().and_then(|m| m.val_mse))
                .collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
            scores[*c] = Some(mean);
            spreads[*c] = var.sqrt();
        }
    }
    let winner = scores
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.map(|s| (i, s)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, s)| (i, s, spreads[i]));
    let confirmed = winner.and_then(|(i, _, _)| {
        confirm
            .get(&i)
            .map(|v| v.iter().sum::<f64>() / v.len() as f64)
    });
    Outcome {
        scores,
        epochs,
        full_epochs,
        winner,
        confirmed,
        seconds,
    }
}

/// The best score among the first `k` configurations.
fn best_after(scores: &[Option<f64>], k: usize) -> Option<f64> {
    scores
        .iter()
        .take(k)
        .flatten()
        .copied()
        .min_by(f64::total_cmp)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn run(root: &Path, out: &Path, quick: bool) {
    let seeds: Vec<u64> = if quick { vec![0, 1] } else { (0..5).collect() };
    let (short, long) = if quick { (20, 40) } else { (60, 120) };
    println!(
        "search quality on taylor_demand (30 epochs, 3 seeds per configuration): {} search seeds",
        seeds.len()
    );
    let mut history = String::from("method,search_seed,configs_tried,best_val_mse\n");
    let mut rows: Vec<(String, Vec<Outcome>)> = Vec::new();
    let dir = |name: &str, seed: u64| -> PathBuf { out.join(format!("{name}-{seed}")) };

    // The default grid in its own order: one run, as its order has no seed.
    let grid = sweep_once(
        root,
        &dir("grid", 0),
        &grid_text(
            root,
            "[search]\nstrategy = \"grid\"\nconfirm = 1\nconfirm_seeds = 10",
            GRID_LISTS,
        ),
    );
    rows.push(("grid order".into(), vec![grid]));
    let methods: [(&str, usize, &str); 3] = [
        ("random", long, ""),
        ("tpe", short, ""),
        (
            "tpe+asha",
            short,
            "[prune]\nstrategy = \"asha\"\nmin_epochs = 3\nreduction_factor = 3",
        ),
    ];
    for (name, configs, prune) in methods {
        let strategy = name.split('+').next().expect("a strategy");
        let mut outcomes = Vec::new();
        for &seed in &seeds {
            let search = format!(
                "[search]\nstrategy = \"{strategy}\"\nconfigs = {configs}\ngeneration = 8\n\
                 seed = {seed}\nconfirm = 1\nconfirm_seeds = 10\n\n{prune}"
            );
            let o = sweep_once(
                root,
                &dir(name, seed),
                &grid_text(root, &search, GRID_RANGES),
            );
            eprintln!("{name} seed {seed}: {:.0} s", o.seconds);
            outcomes.push(o);
        }
        rows.push((name.into(), outcomes));
    }
    for (name, outcomes) in &rows {
        for (i, o) in outcomes.iter().enumerate() {
            for k in 1..=o.scores.len() {
                if let Some(b) = best_after(&o.scores, k) {
                    let _ = writeln!(history, "{name},{i},{k},{b}");
                }
            }
        }
    }
    std::fs::write(out.join("history.csv"), history).expect("history.csv");

    println!();
    println!(
        "{:<11} {:>7} {:>13} {:>13} {:>13} {:>15} {:>11} {:>8}",
        "method",
        "configs",
        format!("best@{short}"),
        format!("best@{long}"),
        "seed sd",
        "confirmed (10)",
        "epochs",
        "seconds"
    );
    let fmt = |x: f64| {
        if x.is_finite() {
            format!("{x:.0}")
        } else {
            "-".into()
        }
    };
    for (name, outcomes) in &rows {
        let at = |k: usize| {
            median(
                outcomes
                    .iter()
                    .filter_map(|o| best_after(&o.scores, k))
                    .collect(),
            )
        };
        let configs = outcomes.iter().map(|o| o.scores.len()).max().unwrap_or(0);
        let sd = median(
            outcomes
                .iter()
                .filter_map(|o| o.winner.map(|w| w.2))
                .collect(),
        );
        let confirmed = median(outcomes.iter().filter_map(|o| o.confirmed).collect());
        let epochs: usize = outcomes.iter().map(|o| o.epochs).sum();
        let full: usize = outcomes.iter().map(|o| o.full_epochs).sum();
        let seconds = median(outcomes.iter().map(|o| o.seconds).collect());
        println!(
            "{:<11} {:>7} {:>13} {:>13} {:>13} {:>15} {:>10.0}% {:>8.0}",
            name,
            configs,
            fmt(at(short)),
            if configs >= long {
                fmt(at(long))
            } else {
                "-".into()
            },
            fmt(sd),
            fmt(confirmed),
            100.0 * epochs as f64 / full.max(1) as f64,
            seconds
        );
    }
    println!();
    println!(
        "best@k: median over search seeds of the lowest mean validation MSE (3 seeds) among the \
         first k configurations; seed sd: the winner's standard deviation over its 3 seeds; \
         confirmed: the winner's mean over 10 fresh seeds; epochs: share of the epochs the \
         search trials would train without pruning."
    );
    // The per-seed comparison of pruned and unpruned TPE, which share search seeds.
    let find = |name: &str| rows.iter().find(|(n, _)| n == name).map(|(_, o)| o);
    if let (Some(plain), Some(pruned)) = (find("tpe"), find("tpe+asha")) {
        println!();
        println!("per search seed: TPE best, TPE+ASHA best, difference in TPE's seed sd, epochs");
        for (i, (a, b)) in plain.iter().zip(pruned).enumerate() {
            if let (Some(wa), Some(wb)) = (a.winner, b.winner) {
                println!(
                    "  seed {i}: {:.0} vs {:.0} ({:+.2} sd), {:.0}% of the epochs",
                    wa.1,
                    wb.1,
                    (wb.1 - wa.1) / wa.2.max(1e-12),
                    100.0 * b.epochs as f64 / a.epochs.max(1) as f64
                );
            }
        }
    }
}
