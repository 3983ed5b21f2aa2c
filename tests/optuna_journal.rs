//! `optuna.log`: Optuna's journal format, one study per sweep and one trial per
//! configuration, rebuilt by `report` to the byte and merged across shard directories into
//! one study. (tests/optuna/run.sh opens the same files with the real Optuna package.)

mod common;

use std::path::Path;

use common::{Grid, Scene, read_csv, strings};
use serde_json::Value;

fn lines(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("optuna.log"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is one JSON object"))
        .collect()
}

/// The trials' lines without their times, which carry each run's own training time.
fn timeless(dir: &Path) -> Vec<Value> {
    lines(dir)
        .into_iter()
        .map(|mut v| {
            let m = v.as_object_mut().unwrap();
            m.remove("datetime_start");
            m.remove("datetime_complete");
            if let Some(Value::Object(attrs)) = m.get_mut("user_attrs") {
                attrs.remove("trial_ids");
            }
            v
        })
        .collect()
}

fn search_grid() -> Grid {
    Grid::tiny()
        .set("top", "name", "\"tpe_study\"")
        .set("train", "epochs", "4")
        .unset("train", "batch_size")
        .lines(
            "grid",
            "learning_rate = { log_uniform = [1e-3, 1e-1] }\nlambda = { uniform = [0.0, 1.0] }\n\
             batch_size = [8, 32]\nseed = [0, 1]",
        )
}

fn with_search(g: &Grid) -> String {
    format!(
        "{}\n{}\n[prune]\nstrategy = \"asha\"\nmin_epochs = 1\nreduction_factor = 2\n",
        g.text(),
        common::search_table("tpe", (8, 4), 3, 1, "startup = 4\nconfirm_seeds = 2")
    )
}

#[test]
fn a_search_is_one_study_with_a_trial_per_configuration_and_report_rebuilds_it() {
    let scene = Scene::new();
    let out = scene.sweep_text(&with_search(&search_grid()), &["--quiet"]);
    common::assert_ok(&out);
    let dir = scene.out();
    let log = lines(&dir);
    assert_eq!(log[0]["op_code"], 0);
    assert_eq!(log[0]["study_name"], "tpe_study");
    assert_eq!(log[0]["directions"], serde_json::json!([1]));
    assert_eq!(
        log[1]["system_attr"]["study:metric_names"],
        serde_json::json!(["val_mse"])
    );
    let search = read_csv(&dir.join("search.csv"));
    let status = strings(&search, "status");
    let trials = &log[2..];
    assert_eq!(trials.len(), search.height());
    for (i, t) in trials.iter().enumerate() {
        assert_eq!(t["op_code"], 4);
        assert_eq!(t["user_attrs"]["config"], i);
        let state = match status[i].as_str() {
            "complete" => 1,
            "pruned" => 2,
            _ => 3,
        };
        assert_eq!(t["state"], state, "configuration {i}");
        // Parameters with their distributions: the ranges as Optuna's float distributions.
        let lr: Value =
            serde_json::from_str(t["distributions"]["learning_rate"].as_str().unwrap()).unwrap();
        assert_eq!(lr["name"], "FloatDistribution");
        assert_eq!(lr["attributes"]["log"], true);
        let bs: Value =
            serde_json::from_str(t["distributions"]["batch_size"].as_str().unwrap()).unwrap();
        assert_eq!(bs["name"], "CategoricalDistribution");
        // Starts follow one another: each begins where the one before completed.
        if i > 0 {
            assert_eq!(t["datetime_start"], trials[i - 1]["datetime_complete"]);
        }
    }
    assert!(status.iter().any(|s| s == "pruned"), "{status:?}");

    // report rebuilds the same bytes, also when the file is gone.
    let before = std::fs::read(dir.join("optuna.log")).unwrap();
    std::fs::remove_file(dir.join("optuna.log")).unwrap();
    common::assert_ok(&common::report(&[&dir], &["--quiet"]));
    assert_eq!(std::fs::read(dir.join("optuna.log")).unwrap(), before);
}

#[test]
fn shard_directories_merge_into_one_study() {
    let grid = Grid::tiny()
        .set("top", "name", "\"merged_study\"")
        .set("train", "epochs", "2")
        .set("grid", "lambda", "[0.0, 0.1, 1.0]")
        .set("grid", "seed", "[0, 1]");
    let whole = Scene::new();
    whole.assert_trained(&whole.sweep(&grid));
    let apart = Scene::new();
    let file = apart.write("grid.toml", grid.text());
    let (a, b) = (apart.path("a"), apart.path("b"));
    for (shard, dir) in [("0/2", &a), ("1/2", &b)] {
        common::assert_ok(&apart.run(&file, dir, &["--quiet", "--shard", shard]));
    }
    let merged = apart.path("merged");
    common::assert_ok(&common::report(
        &[&a, &b],
        &["--quiet", "--out", merged.to_str().unwrap()],
    ));
    let log = lines(&merged);
    assert_eq!(log[0]["study_name"], "merged_study");
    // One trial per λ (the seeds pooled), each over both seeds.
    assert_eq!(log.len(), 2 + 3);
    for t in &log[2..] {
        assert_eq!(t["user_attrs"]["seeds"], serde_json::json!([0, 1]));
        assert_eq!(t["state"], 1);
    }
    assert_eq!(timeless(&merged), timeless(&whole.out()));
}
