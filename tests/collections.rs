//! Scale-free figures and collections of series: MASE against values worked out here from
//! the raw series, and (below) long-format files swept series by series.

mod common;

use common::{Grid, Scene, floats, read_csv, read_parquet, strings};

/// A wavy, rising series of `n` values: never constant over a season, never flat.
fn wavy(n: usize, phase: f64) -> Vec<f64> {
    (0..n)
        .map(|t| {
            let t = t as f64;
            10.0 + 0.3 * t + 3.0 * (t * 1.3 + phase).sin() + ((t * 7.0 + phase) % 5.0) * 0.4
        })
        .collect()
}

/// The in-sample MAE of the naive forecast at `lag` over `values`.
fn naive_mae(values: &[f64], lag: usize) -> f64 {
    let errors: Vec<f64> = (lag..values.len())
        .map(|t| (values[t] - values[t - lag]).abs())
        .collect();
    errors.iter().sum::<f64>() / errors.len() as f64
}

#[track_caller]
fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{got} against {want}"
    );
}

/// MASE of a trial and of the baselines, against the raw series worked through by hand: 60
/// values, window 4 (56 samples: 33 train, 11 validation, 12 test), season 4.
#[test]
fn mase_is_the_mae_over_the_in_sample_seasonal_naive_mae() {
    let values = wavy(60, 0.0);
    let scene = Scene::new();
    let rows: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(t, v)| format!("{t},{v}"))
        .collect();
    scene.write("y.csv", common::csv("t,y", rows));
    let grid = Grid::file("y.csv", "y")
        .set("data", "test_fraction", "0.2")
        .set("data", "season", "4");
    let out = scene.sweep(&grid);
    scene.assert_trained(&out);

    // Validation targets are at positions 37..48, test targets at 48..60.
    let val_scale = naive_mae(&values[..37], 4);
    let test_scale = naive_mae(&values[..48], 4);
    let trials = read_csv(&scene.out().join("trials.csv"));
    let predictions = read_parquet(&scene.out().join("predictions.parquet"));
    let predicted = floats(&predictions, "prediction");
    assert_eq!(predicted.len(), 12);
    let mae = predicted
        .iter()
        .zip(&values[48..])
        .map(|(p, y)| (p - y).abs())
        .sum::<f64>()
        / 12.0;
    close(floats(&trials, "test_mase")[0], mae / test_scale);
    let val_mase = floats(&trials, "val_mase")[0];
    assert!(val_mase.is_finite() && val_mase > 0.0, "{val_mase}");

    // Persistence forecasts the previous value; seasonal naive the value 4 steps back.
    let baselines = read_csv(&scene.out().join("baselines.csv"));
    let names = strings(&baselines, "baseline");
    let row = |name: &str| names.iter().position(|n| n == name).unwrap();
    let naive = |lag: usize, targets: std::ops::Range<usize>| {
        let n = targets.len() as f64;
        targets
            .map(|t| (values[t] - values[t - lag]).abs())
            .sum::<f64>()
            / n
    };
    let (val_mase, test_mase) = (
        floats(&baselines, "val_mase"),
        floats(&baselines, "test_mase"),
    );
    close(val_mase[row("persistence")], naive(1, 37..48) / val_scale);
    close(test_mase[row("persistence")], naive(1, 48..60) / test_scale);
    close(
        val_mase[row("seasonal_naive")],
        naive(4, 37..48) / val_scale,
    );
    close(
        test_mase[row("seasonal_naive")],
        naive(4, 48..60) / test_scale,
    );
    assert!(val_mase[row("majority_direction")].is_nan());
    // The same table as Parquet.
    let parquet = read_parquet(&scene.out().join("baselines.parquet"));
    let bits = |v: Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(floats(&parquet, "test_mase")), bits(test_mase));
}

// ---------------------------------------------------------------------------------------
// Collections in long format.

/// The series of the test collection: ids, lengths and phases; "b" is the longest, and the
/// ids are not in file order.
const SERIES: [(&str, usize, f64); 3] = [("b", 150, 1.0), ("a", 96, 0.0), ("c", 120, 2.0)];

/// The days of a series of `n` values, as ISO dates.
fn days(n: usize) -> Vec<String> {
    (0..n)
        .map(|t| {
            let d = t as i64;
            format!("2020-{:02}-{:02}", 1 + d / 28, 1 + d % 28)
        })
        .collect()
}

/// The long-format rows (`unique_id,ds,y`) of `series`, series after series.
fn long_rows(series: &[(&str, usize, f64)]) -> Vec<String> {
    let mut rows = Vec::new();
    for (id, n, phase) in series {
        for (day, v) in days(*n).iter().zip(wavy(*n, *phase)) {
            rows.push(format!("{id},{day},{v}"));
        }
    }
    rows
}

/// A grid over the long file `path` with folds, a test split and a season.
fn collection_grid(path: &str) -> Grid {
    Grid::file(path, "y")
        .lines(
            "data",
            "series_column = \"unique_id\"\nsort_by = \"ds\"\ntest_fraction = 0.2\n\
         val_fraction = 0.3\nfolds = 2\nseason = 4",
        )
        .unset("train", "n_dense")
        .lines("grid", "lambda = [0.0, 0.1]\nn_dense = [4, 8]")
        .set("train", "epochs", "3")
}

/// The per-series outcome columns compared bit for bit: a trial's figures with its MASE and
/// test figures.
fn same() -> Vec<&'static str> {
    let mut columns = common::outcome_columns();
    columns.extend(["val_mase", "test_mse", "test_trend_acc", "test_mase"]);
    columns
}

/// The rows of `df` whose `series` is `id` (all rows without a series column), sorted by
/// trial id, in the columns of [`same`].
fn outcome(df: &polars::prelude::DataFrame, id: Option<&str>) -> polars::prelude::DataFrame {
    use polars::prelude::{IntoLazy, col, lit};
    let mut lazy = df.clone().lazy();
    if let Some(id) = id {
        lazy = lazy.filter(col("series").eq(lit(id)));
    }
    let present: Vec<_> = same()
        .into_iter()
        .filter(|c| df.get_column_index(c).is_some())
        .map(col)
        .collect();
    lazy.select(present)
        .sort(["trial_id"], Default::default())
        .collect()
        .unwrap()
}

/// Two frames hold the same values, bit for bit (NaN equal to NaN).
#[track_caller]
fn assert_same_bits(a: &polars::prelude::DataFrame, b: &polars::prelude::DataFrame, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for (x, y) in a.columns().iter().zip(b.columns()) {
        for i in 0..x.len() {
            let (u, v) = (x.get(i).unwrap(), y.get(i).unwrap());
            let same = match (u.extract::<f64>(), v.extract::<f64>()) {
                (Some(p), Some(q)) if x.dtype().is_float() => p.to_bits() == q.to_bits(),
                _ => u == v,
            };
            assert!(same, "{what}: column {} row {i}: {u} against {v}", x.name());
        }
    }
}

#[test]
fn each_series_of_a_long_file_gets_the_bits_it_gets_alone() {
    let scene = Scene::new();
    scene.write(
        "long.csv",
        common::csv("unique_id,ds,y", long_rows(&SERIES)),
    );
    let out = scene.sweep(&collection_grid("long.csv"));
    scene.assert_trained(&out);
    let series = read_parquet(&scene.out().join("series.parquet"));
    let baselines = read_csv(&scene.out().join("baselines.csv"));
    assert_eq!(series.height(), 4 * 3, "four trials on three series");
    for (id, n, phase) in SERIES {
        let alone = Scene::new();
        let rows: Vec<String> = days(n)
            .iter()
            .zip(wavy(n, phase))
            .map(|(d, v)| format!("{d},{v}"))
            .collect();
        alone.write("one.csv", common::csv("ds,y", rows));
        let grid = collection_grid("one.csv").unset("data", "series_column");
        let out = alone.sweep(&grid);
        alone.assert_trained(&out);
        let trials = read_parquet(&alone.out().join("trials.parquet"));
        assert_same_bits(
            &outcome(&series, Some(id)),
            &outcome(&trials, None),
            &format!("series {id}"),
        );
        // The baselines too, row for row.
        use polars::prelude::{IntoLazy, col, lit};
        let mine = baselines
            .clone()
            .lazy()
            .filter(col("series").eq(lit(id)))
            .collect()
            .unwrap()
            .drop("series")
            .unwrap();
        let own = read_csv(&alone.out().join("baselines.csv"));
        assert_same_bits(&mine, &own, &format!("baselines of {id}"));
    }
    // The collection's trials table: a row per trial, its means over the series.
    let trials = read_csv(&scene.out().join("trials.csv"));
    assert_eq!(trials.height(), 4);
    let n_series = trials.column("n_series").unwrap().i64().unwrap();
    assert!(n_series.iter().all(|n| n == Some(3)));
    let ids = strings(&trials, "trial_id");
    let means = floats(&trials, "val_mase");
    for (id, mean) in ids.iter().zip(means) {
        let per: Vec<f64> = {
            use polars::prelude::{IntoLazy, col, lit};
            let rows = series
                .clone()
                .lazy()
                .filter(col("trial_id").eq(lit(id.as_str())))
                .collect()
                .unwrap();
            floats(&rows, "val_mase")
        };
        close(mean, per.iter().sum::<f64>() / per.len() as f64);
    }
    let summary = std::fs::read_to_string(scene.out().join("summary.md")).unwrap();
    assert!(summary.contains("3 series"), "{summary}");
    assert!(common::stdout(&out).contains("3 series"));
}

#[test]
fn shuffled_rows_give_the_same_tables() {
    let rows = long_rows(&SERIES);
    let scene = Scene::new();
    scene.write("long.csv", common::csv("unique_id,ds,y", rows.clone()));
    scene.assert_trained(&scene.sweep(&collection_grid("long.csv")));
    // A fixed permutation that scatters every series over the file.
    let n = rows.len();
    let shuffled: Vec<String> = (0..n).map(|i| rows[(i * 97 + 13) % n].clone()).collect();
    assert_ne!(shuffled, rows);
    let other = Scene::new();
    other.write("long.csv", common::csv("unique_id,ds,y", shuffled));
    other.assert_trained(&other.sweep(&collection_grid("long.csv")));
    for file in ["series.parquet", "trials.parquet"] {
        let a = read_parquet(&scene.out().join(file));
        let b = read_parquet(&other.out().join(file));
        let drop_time =
            |df: polars::prelude::DataFrame| df.drop_many(["wall_seconds", "steps_per_second"]);
        assert_same_bits(&drop_time(a), &drop_time(b), file);
    }
    assert_eq!(
        std::fs::read(scene.out().join("baselines.csv")).unwrap(),
        std::fs::read(other.out().join("baselines.csv")).unwrap()
    );
    assert_eq!(
        std::fs::read(scene.out().join("summary.md")).unwrap(),
        std::fs::read(other.out().join("summary.md")).unwrap()
    );
}

#[test]
fn a_series_too_short_is_skipped_and_named() {
    let scene = Scene::new();
    let mut series = SERIES.to_vec();
    series.push(("tiny", 7, 0.5));
    scene.write(
        "long.csv",
        common::csv("unique_id,ds,y", long_rows(&series)),
    );
    let out = scene.sweep(&collection_grid("long.csv"));
    scene.assert_trained(&out);
    let err = common::stderr(&out);
    assert!(
        err.contains("series \"tiny\" has 7 values") && err.contains("skipped"),
        "{err}"
    );
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(scene.out().join("run.json")).unwrap())
            .unwrap();
    assert_eq!(run["skipped"][0]["series"], "tiny");
    assert_eq!(run["skipped"][0]["length"], 7);
    let table = read_csv(&scene.out().join("series.csv"));
    assert!(!strings(&table, "series").contains(&"tiny".to_string()));
    let summary = std::fs::read_to_string(scene.out().join("summary.md")).unwrap();
    assert!(summary.contains("\"tiny\" (7 values)"), "{summary}");

    // Every series too short: nothing to sweep.
    let scene = Scene::new();
    scene.write(
        "long.csv",
        common::csv("unique_id,ds,y", long_rows(&[("x", 6, 0.0), ("y", 5, 1.0)])),
    );
    let out = scene.sweep(&collection_grid("long.csv"));
    scene.assert_refused(&out, &["every one of the 2 series", "\"x\" (6 values)"]);
}

/// Bad long-format input: exit 2, nothing written, the file, series and row named.
#[test]
fn bad_long_format_input_is_refused_naming_file_series_and_row() {
    let good = long_rows(&SERIES[..2]);
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "no series column",
            common::csv("id,ds,y", good.clone()),
            vec!["series_column = \"unique_id\"", "id, ds, y"],
        ),
        (
            "an empty series id",
            {
                let mut rows = good.clone();
                rows[5] = format!(",{}", rows[5].split_once(',').unwrap().1);
                common::csv("unique_id,ds,y", rows)
            },
            vec!["long.csv", "is empty", "data row 6 (line 7 of the file)"],
        ),
        (
            "a repeated time",
            {
                let mut rows = good.clone();
                rows.push(rows[3].clone());
                common::csv("unique_id,ds,y", rows)
            },
            vec!["series \"b\"", "same ds", "data row 4", "data row 247"],
        ),
        (
            "a word among the values",
            {
                let mut rows = good.clone();
                let (head, _) = rows[160].rsplit_once(',').unwrap();
                rows[160] = format!("{head},lots");
                common::csv("unique_id,ds,y", rows)
            },
            vec!["series \"a\"", "\"lots\"", "data row 161"],
        ),
        (
            "dates and years mixed in the time column",
            {
                let mut rows = good.clone();
                let (id, rest) = rows[20].split_once(',').unwrap();
                let (_, v) = rest.split_once(',').unwrap();
                rows[20] = format!("{id},1999,{v}");
                common::csv("unique_id,ds,y", rows)
            },
            vec!["long.csv", "ds", "data row 21"],
        ),
    ];
    for (what, text, needles) in cases {
        let scene = Scene::new();
        scene.write("long.csv", text);
        let out = scene.sweep(&collection_grid("long.csv"));
        if let Err(why) = scene.check_refused(&out, &needles) {
            panic!("{what}: {why}");
        }
    }
}

/// A synthetic collection: series k is the series of seed `seed + k`, alone.
#[test]
fn a_synthetic_collection_is_its_seeds_swept_one_by_one() {
    let grid = |extra: &str| {
        Grid::tiny()
            .set("data", "kind", "\"ar2\"")
            .set("data", "length", "300")
            .set("data", "seed", "5")
            .lines("data", extra)
            .lines("grid", "lambda = [0.0, 0.1]")
    };
    let scene = Scene::new();
    let out = scene.sweep(&grid("series = 3"));
    scene.assert_trained(&out);
    let series = read_parquet(&scene.out().join("series.parquet"));
    assert_eq!(
        strings(&series, "series")
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        3
    );
    let alone = Scene::new();
    alone.assert_trained(&alone.sweep(&grid("").set("data", "seed", "6")));
    assert_same_bits(
        &outcome(&series, Some("ar2_1")),
        &outcome(&read_parquet(&alone.out().join("trials.parquet")), None),
        "series ar2_1 against seed 6",
    );
}

/// A collection of slow-enough series to kill mid-way (about 4 s on one thread): eight
/// AR(2) series, four trials each.
fn slow_collection() -> Grid {
    Grid::tiny()
        .set("data", "kind", "\"ar2\"")
        .set("data", "length", "20000")
        .set("data", "series", "8")
        .set("data", "window", "16")
        .set("train", "epochs", "4")
        .set("train", "batch_size", "2")
        .set("train", "n_dense", "16")
        .lines("grid", "lambda = [0.0, 0.1]\nlearning_rate = [0.001, 0.01]")
}

/// The outcome of every (trial, series) of a results directory, timings left out.
fn all_outcomes(dir: &std::path::Path) -> polars::prelude::DataFrame {
    use polars::prelude::{IntoLazy, col};
    read_parquet(&dir.join("series.parquet"))
        .lazy()
        .select(
            [col("series")]
                .into_iter()
                .chain(
                    same()
                        .into_iter()
                        .filter(|c| !c.starts_with("test_"))
                        .map(col),
                )
                .collect::<Vec<_>>(),
        )
        .sort(["trial_id", "series"], Default::default())
        .collect()
        .unwrap()
}

#[test]
fn a_killed_or_sharded_collection_sweep_ends_with_the_same_tables() {
    let whole = Scene::new();
    whole.assert_trained(&whole.sweep(&slow_collection()));
    let want = all_outcomes(&whole.out());
    assert_eq!(want.height(), 4 * 8);

    // Killed with units done, then rerun.
    let scene = Scene::new();
    let grid = scene.write("grid.toml", slow_collection().text());
    let mut child = scene
        .command(&grid, &scene.out(), &["--quiet"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal = scene.out().join("journal.jsonl");
    common::wait_for("three records", || {
        common::journal_records(&journal).len() >= 3
    });
    common::signal(&child, "-9");
    let _ = child.wait();
    let kept = common::journal_records(&journal).len();
    assert!(kept < 32, "killed before the end ({kept} records)");
    let out = scene.run(&grid, &scene.out(), &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains(&format!("{kept} trials already done")),
        "{}",
        common::stderr(&out)
    );
    assert_same_bits(
        &all_outcomes(&scene.out()),
        &want,
        "after kill -9 and rerun",
    );
    assert_eq!(
        std::fs::read(scene.out().join("summary.md")).unwrap(),
        std::fs::read(whole.out().join("summary.md")).unwrap()
    );

    // Two shards into one directory, then the report.
    let sharded = Scene::new();
    let grid = sharded.write("grid.toml", slow_collection().text());
    for shard in ["0/2", "1/2"] {
        let out = sharded.run(&grid, &sharded.out(), &["--quiet", "--shard", shard]);
        assert!(out.status.success(), "{}", common::stderr(&out));
    }
    let out = common::report(&[&sharded.out()], &["--quiet"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_same_bits(&all_outcomes(&sharded.out()), &want, "two shards");

    // Two shards in directories of their own, merged by the report.
    let apart = Scene::new();
    let grid = apart.write("grid.toml", slow_collection().text());
    let (a, b) = (apart.path("a"), apart.path("b"));
    for (shard, dir) in [("0/2", &a), ("1/2", &b)] {
        let out = apart.run(&grid, dir, &["--quiet", "--shard", shard]);
        assert!(out.status.success(), "{}", common::stderr(&out));
    }
    let merged = apart.path("merged");
    let out = common::report(&[&a, &b], &["--quiet", "--out", merged.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_same_bits(&all_outcomes(&merged), &want, "two directories merged");
    assert_eq!(
        read_csv(&merged.join("baselines.csv")).height(),
        read_csv(&whole.out().join("baselines.csv")).height()
    );
    assert_eq!(
        std::fs::read(merged.join("summary.md")).unwrap(),
        std::fs::read(whole.out().join("summary.md")).unwrap()
    );
}

/// The bundled collection reads as its provenance note says: 219 countries, of which the
/// ones with fewer than 7 yearly figures (some have none at all) are skipped.
#[test]
fn the_bundled_fertility_collection_plans_its_countries() {
    let out = common::run_ok(&["plan", "experiments/collection.toml"]);
    let text = common::stdout(&out);
    assert!(text.contains("series        203 of 219"), "{text}");
    let err = common::stderr(&out);
    assert!(err.is_empty() || !err.contains("error"), "{err}");
}
