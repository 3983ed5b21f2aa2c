//! Bad input, as a user meets it: every mistake in the grid file, the data or the flags
//! makes `trendsweep sweep` exit with status 2 and one clear message that names the
//! culprit, with no panic, no backtrace, and nothing written to the results directory.
//!
//! Every test runs the real binary on a grid file written into a temporary directory, with
//! `--out` pointing inside that directory. The mistakes that take one line to state are
//! tables of cases, each checked in a fresh directory; a failure names its case.

mod common;

use common::{Grid, Scene, csv, snapshot};

/// One bad input: the grid, the files beside it, the flags, and what the message must (and
/// must not) say.
struct Case {
    name: &'static str,
    grid: Grid,
    files: Vec<(&'static str, Vec<u8>)>,
    args: &'static [&'static str],
    needles: &'static [&'static str],
    absent: &'static [&'static str],
}

fn case(name: &'static str, grid: Grid, needles: &'static [&'static str]) -> Case {
    Case {
        name,
        grid,
        files: vec![],
        args: &[],
        needles,
        absent: &[],
    }
}

impl Case {
    /// A file written beside the grid file.
    fn file(mut self, name: &'static str, contents: impl Into<Vec<u8>>) -> Case {
        self.files.push((name, contents.into()));
        self
    }

    /// Flags after `sweep grid.toml --out out`.
    fn args(mut self, args: &'static [&'static str]) -> Case {
        self.args = args;
        self
    }

    /// Words the message must not hold.
    fn absent(mut self, words: &'static [&'static str]) -> Case {
        self.absent = words;
        self
    }

    /// Why the case was not refused as it should be.
    fn check(&self) -> Result<(), String> {
        let scene = Scene::new();
        for (name, contents) in &self.files {
            scene.write(name, contents);
        }
        let out = scene.sweep_text(&self.grid.text(), self.args);
        let stderr = scene.check_refused(&out, self.needles)?;
        match self.absent.iter().find(|w| stderr.contains(*w)) {
            Some(word) => Err(format!("stderr holds {word:?}: {stderr}")),
            None => Ok(()),
        }
    }
}

/// Checks every case, and fails naming each one that was not refused as it should be.
fn check_all(cases: &[Case]) {
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "two cases share a name");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| c.check().err().map(|why| format!("case {}: {why}", c.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    println!("{} cases refused as they should be", cases.len());
}

fn grid() -> Grid {
    Grid::tiny()
}

// ---------------------------------------------------------------------------------------
// The baseline: the grid the other tests change is itself fine.

#[test]
fn the_base_grid_is_valid_and_fast() {
    let scene = Scene::new();
    let out = scene.sweep(&grid());
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(scene.out().join("trials.parquet").exists());
}

// ---------------------------------------------------------------------------------------
// The grid file.

#[test]
fn grid_file_not_found() {
    let scene = Scene::new();
    let missing = scene.path("no_such_grid.toml");
    let out = scene.run(&missing, &scene.out(), &[]);
    scene.assert_refused(&out, &["no_such_grid.toml", "cannot read grid file"]);
}

#[test]
fn grid_file_not_toml_reports_line_and_column() {
    let scene = Scene::new();
    let text = "name = \"bad\"\n[data]\nkind = \"sine\"\nwindow = 4\nlength = = 200\n";
    let out = scene.sweep_text(text, &[]);
    let err = scene.assert_refused(&out, &["grid.toml", "not valid TOML", "line 5", "column"]);
    assert!(
        err.contains("column 10") || err.contains("column 8"),
        "{err}"
    );
}

#[test]
fn grid_file_is_not_text_at_all() {
    let scene = Scene::new();
    let grid = scene.write("grid.toml", [0xff, 0xfe, 0x00, 0x41, 0x80]);
    let out = scene.run(&grid, &scene.out(), &[]);
    scene.assert_refused(&out, &["grid.toml"]);
}

/// Mistakes in the grid's keys and values, and in the flags.
#[test]
fn mistakes_in_the_grid_and_flags_are_refused_naming_the_culprit() {
    check_all(&[
        case(
            "unknown_key_names_it_and_suggests_the_closest",
            grid().set("train", "lamda", "0.1"),
            &["lamda", "did you mean \"lambda\"", "[train]"],
        ),
        case(
            "best_metric_epoch_without_validation_names_both_keys",
            grid()
                .set("train", "metric_epoch", "\"best\"")
                .set("data", "val_fraction", "0.0"),
            &["metric_epoch", "val_fraction", "\"final\""],
        ),
        case(
            "a_misspelt_metric_epoch_lists_the_choices",
            grid().set("grid", "metric_epoch", "[\"final\", \"bset\"]"),
            &["metric_epoch", "\"best\"", "bset"],
        ),
        case(
            "patience_without_validation_names_both_keys",
            grid()
                .set("train", "patience", "3")
                .set("data", "val_fraction", "0.0"),
            &["patience", "val_fraction"],
        ),
        case(
            "a_negative_patience_is_refused",
            grid().set("train", "patience", "-1"),
            &["patience", "≥ 0", "-1"],
        ),
        case(
            "a_season_of_zero_is_refused",
            grid().set("data", "season", "0"),
            &["season", "≥ 1", "found 0"],
        ),
        case(
            "unknown_key_in_the_grid_table_suggests_the_closest",
            grid().set("grid", "ephocs", "[1, 2]"),
            &["ephocs", "did you mean \"epochs\"", "[grid]"],
        ),
        case(
            "unknown_key_in_data_suggests_the_closest",
            grid().set("data", "lenght", "100"),
            &["lenght", "did you mean \"length\""],
        ),
        case(
            "wrong_type_batch_size_string",
            grid().set("train", "batch_size", "\"8\""),
            &["batch_size", "integer", "\"8\""],
        ),
        case(
            "wrong_type_in_an_axis",
            grid()
                .unset("train", "batch_size")
                .set("grid", "batch_size", "[8, \"16\"]"),
            &["batch_size", "\"16\""],
        ),
        case(
            "empty_axis",
            grid()
                .unset("train", "n_dense")
                .set("grid", "n_dense", "[]"),
            &["n_dense", "empty"],
        ),
        case(
            "n_dense_zero",
            grid().set("train", "n_dense", "0"),
            &["n_dense", "≥ 1", "found 0"],
        ),
        case(
            "batch_size_zero_in_an_axis",
            grid()
                .unset("train", "batch_size")
                .set("grid", "batch_size", "[8, 0]"),
            &["batch_size", "≥ 1", "found 0"],
        ),
        case(
            "epochs_zero",
            grid().set("train", "epochs", "0"),
            &["epochs", "≥ 1", "found 0"],
        ),
        case(
            "epochs_negative",
            grid().set("train", "epochs", "-3"),
            &["epochs", "≥ 1", "found -3"],
        ),
        case(
            "window_zero",
            grid().set("data", "window", "0"),
            &["window", "≥ 1", "found 0"],
        ),
        case(
            "window_zero_in_an_axis",
            grid()
                .unset("data", "window")
                .set("grid", "window", "[4, 0]"),
            &["window", "≥ 1", "found 0"],
        ),
        case(
            "learning_rate_zero",
            grid().set("train", "learning_rate", "0.0"),
            &["learning_rate", "> 0", "found 0.0"],
        ),
        case(
            "learning_rate_negative",
            grid().set("train", "learning_rate", "-0.01"),
            &["learning_rate", "> 0", "-0.01"],
        ),
        case(
            "learning_rate_nan",
            grid().set("train", "learning_rate", "nan"),
            &["learning_rate", "finite", "nan"],
        ),
        case(
            "learning_rate_inf_in_an_axis",
            grid().set("grid", "learning_rate", "[0.01, inf]"),
            &["learning_rate", "finite", "inf"],
        ),
        case(
            "lambda_negative",
            grid().set("train", "lambda", "-0.1"),
            &["lambda", "≥ 0", "-0.1"],
        ),
        case(
            "lambda_nan",
            grid().set("grid", "lambda", "[0.0, nan]"),
            &["lambda", "finite", "nan"],
        ),
        case(
            "lambda_inf",
            grid().set("train", "lambda", "+inf"),
            &["lambda", "finite", "inf"],
        ),
        case(
            "val_fraction_one",
            grid().set("data", "val_fraction", "1.0"),
            &["val_fraction", "[0, 1)", "1.0"],
        ),
        case(
            "val_fraction_negative",
            grid().set("data", "val_fraction", "-0.1"),
            &["val_fraction", "[0, 1)", "-0.1"],
        ),
        case(
            "test_fraction_above_one",
            grid().set("data", "test_fraction", "1.5"),
            &["test_fraction", "[0, 1)", "1.5"],
        ),
        case(
            "test_fraction_nan",
            grid().set("data", "test_fraction", "nan"),
            &["test_fraction", "[0, 1)", "nan"],
        ),
        case(
            "fractions_leaving_no_training_samples",
            grid()
                .set("data", "val_fraction", "0.5")
                .set("data", "test_fraction", "0.5"),
            &["val_fraction", "test_fraction", "less than 1"],
        ),
        case(
            "unknown_loss",
            grid().set("train", "loss", "\"trnd\""),
            &["loss", "\"trnd\"", "did you mean \"trend\""],
        ),
        case(
            "unknown_loss_in_an_axis",
            grid().set("grid", "loss", "[\"mse\", \"huber\"]"),
            &["loss", "\"huber\"", "\"trend\", \"seed\", \"mse\""],
        ),
        case(
            "unknown_activation",
            grid().set("train", "activation", "\"sigmoid\""),
            &["activation", "\"sigmoid\"", "\"relu\""],
        ),
        case(
            "unknown_scale",
            grid().set("data", "scale", "\"minmax\""),
            &["scale", "\"minmax\"", "\"zscore\""],
        ),
        case(
            "unknown_synthetic_kind",
            grid().set("data", "kind", "\"sin\""),
            &["kind", "\"sin\"", "did you mean \"sine\""],
        ),
        case(
            "duplicate_values_in_an_axis",
            grid().set("grid", "lambda", "[0.0, 0.1, 0.1]"),
            &["lambda", "0.1", "more than once"],
        ),
        // 0 and 0.0 (and -0.0) are the same λ, so the same trial.
        case(
            "duplicate_values_in_an_axis_spelt_differently",
            grid().set("grid", "lambda", "[0, 0.0]"),
            &["lambda", "more than once"],
        ),
        case("zero_threads", grid(), &["--threads", "0"]).args(&["--threads", "0"]),
    ]);
}

#[test]
fn fractions_leaving_no_training_samples_for_this_length() {
    // 0.6 + 0.39 is below 1, but 20 rows with window 4 give 16 samples and floor(16 · 0.01) = 0
    // training samples: the data is too short for these fractions.
    let g = grid()
        .set("data", "length", "20")
        .set("data", "val_fraction", "0.6")
        .set("data", "test_fraction", "0.39");
    let scene = Scene::new();
    let out = scene.sweep(&g);
    let err = scene.assert_refused(
        &out,
        &[
            "20 rows",
            "at least",
            "val_fraction = 0.6",
            "test_fraction = 0.39",
        ],
    );
    // The number of rows it says are needed really is enough.
    let needed: usize = err
        .split("at least ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no row count in {err}"));
    let scene = Scene::new();
    let ok = scene.sweep(&g.set("data", "length", &needed.to_string()));
    assert!(
        ok.status.success(),
        "{needed} rows were said to suffice: {}",
        common::stderr(&ok)
    );
}

// ---------------------------------------------------------------------------------------
// The data.

fn numbers_csv(n: usize) -> String {
    csv(
        "date,price,volume",
        (0..n).map(|i| {
            format!(
                "2020-01-{:02},{}.5,{}",
                i % 28 + 1,
                100 + (i * 7) % 13,
                1000 + (i * 31) % 17
            )
        }),
    )
}

/// Values 0.0 to 8.0 in turn, but for the rows `odd` spells its own way.
fn gappy(odd: impl Fn(usize) -> Option<&'static str>) -> String {
    csv(
        "t,y",
        (0..40).map(|i| match odd(i) {
            Some(y) => format!("{i},{y}"),
            None => format!("{i},{}.0", i % 9),
        }),
    )
}

/// Mistakes in the data file and the columns the grid names.
#[test]
fn mistakes_in_the_data_are_refused_naming_the_culprit() {
    let file = Grid::file;
    check_all(&[
        case(
            "data_file_not_found",
            file("no_such_data.csv", "y"),
            &["no_such_data.csv", "not found", "relative to the grid file"],
        ),
        case(
            "unknown_missing_policy",
            file("d.csv", "y").set("data", "missing", "\"dorp\""),
            &["missing", "\"dorp\"", "did you mean \"drop\""],
        )
        .file("d.csv", "y\n1\n2\n"),
        case(
            "data_file_of_unknown_type",
            file("series.txt", "y"),
            &["series.txt", ".csv", ".parquet"],
        )
        .file("series.txt", "y\n1\n2\n"),
        // A row with more fields than the header has.
        case(
            "data_file_not_valid_csv",
            file("series.csv", "y"),
            &["series.csv", "CSV"],
        )
        .file(
            "series.csv",
            csv("t,y", (0..50).map(|i| format!("{i},{}", i * 2))) + "50,100,7,8\n",
        ),
        case(
            "data_file_not_valid_csv_binary",
            file("series.csv", "y"),
            &["series.csv"],
        )
        .file(
            "series.csv",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect::<Vec<u8>>(),
        ),
        case(
            "data_file_not_valid_parquet",
            file("series.parquet", "y"),
            &["series.parquet", "Parquet"],
        )
        .file("series.parquet", "t,y\n1,2\n3,4\n"),
        case("data_file_empty", file("series.csv", "y"), &["series.csv"]).file("series.csv", ""),
        case(
            "column_missing_lists_the_columns",
            file("series.csv", "close"),
            &["series.csv", "\"close\"", "date, price, volume"],
        )
        .file("series.csv", numbers_csv(60)),
        case(
            "feature_column_missing_lists_the_columns",
            file("series.csv", "price").set("data", "features", "[\"volumes\"]"),
            &[
                "series.csv",
                "\"volumes\"",
                "features",
                "date, price, volume",
            ],
        )
        .file("series.csv", numbers_csv(60)),
        case(
            "sort_by_column_missing_lists_the_columns",
            file("series.csv", "price").set("data", "sort_by", "\"day\""),
            &["series.csv", "\"day\"", "sort_by", "date, price, volume"],
        )
        .file("series.csv", numbers_csv(60)),
        case(
            "non_numeric_column",
            file("series.csv", "date"),
            &["series.csv", "\"date\"", "not numbers"],
        )
        .file("series.csv", numbers_csv(60)),
        case(
            "non_numeric_feature_column",
            file("series.csv", "price").set("data", "features", "[\"date\"]"),
            &["series.csv", "\"date\"", "not numbers"],
        )
        .file("series.csv", numbers_csv(60)),
        // Window 8 with val_fraction 0.2 needs 2 samples (floor(2 · 0.8) = 1 to train on, 1 to
        // validate), so 8 + 2 = 10 rows.
        case(
            "too_few_rows_says_how_many_are_needed",
            file("series.csv", "price").set("data", "window", "8"),
            &[
                "series.csv",
                "6 rows",
                "window = 8",
                "at least 10 rows",
                "needed",
            ],
        )
        .file("series.csv", numbers_csv(6)),
        case(
            "too_few_rows_after_slicing",
            file("series.csv", "price").set("data", "rows", "[10, 15]"),
            &["series.csv", "5 rows", "at least"],
        )
        .file("series.csv", numbers_csv(100)),
        case(
            "rows_past_the_end_of_the_file",
            file("series.csv", "price").set("data", "rows", "[0, 50]"),
            &["series.csv", "rows", "30 rows"],
        )
        .file("series.csv", numbers_csv(30)),
        case(
            "constant_series_with_zscore",
            file("series.csv", "y").set("data", "scale", "\"zscore\""),
            &[
                "series.csv",
                "\"y\"",
                "constant",
                "zscore",
                "scale = \"none\"",
            ],
        )
        .file(
            "series.csv",
            csv("t,y", (0..50).map(|i| format!("{i},3.25"))),
        ),
        case(
            "constant_feature_with_zscore",
            file("series.csv", "y").set("data", "features", "[\"flag\"]"),
            &["series.csv", "\"flag\"", "constant"],
        )
        .file(
            "series.csv",
            csv("y,flag", (0..50).map(|i| format!("{},1", (i * 7) % 11))),
        ),
        // Data row 13 (1-based) is line 14 of the file; 3 values are missing.
        case(
            "missing_values_with_the_error_policy",
            file("series.csv", "y"),
            &[
                "series.csv",
                "\"y\"",
                "3 missing",
                "row 13",
                "missing = \"drop\"",
            ],
        )
        .file(
            "series.csv",
            gappy(|i| [12, 13, 30].contains(&i).then_some("")),
        ),
        case(
            "interpolation_cannot_fill_an_edge_gap",
            file("series.csv", "y").set("data", "missing", "\"interpolate\""),
            &["series.csv", "\"y\"", "start", "rows = [start, end)"],
        )
        .file("series.csv", gappy(|i| (i < 2).then_some(""))),
        case(
            "infinite_values_are_refused_not_called_constant",
            file("series.csv", "y"),
            &["series.csv", "\"y\"", "row 6"],
        )
        .file("series.csv", gappy(|i| (i == 5).then_some("inf")))
        .absent(&["constant"]),
    ]);
}

#[test]
fn data_file_is_a_directory() {
    let scene = Scene::new();
    std::fs::create_dir(scene.path("series.csv")).unwrap();
    let out = scene.sweep(&Grid::file("series.csv", "y"));
    scene.assert_refused(&out, &["series.csv", "directory"]);
}

// ---------------------------------------------------------------------------------------
// The flags and the results directory.

#[test]
fn out_pointing_at_a_file() {
    let scene = Scene::new();
    let file = scene.write("taken", "not a directory");
    let grid_path = scene.write("grid.toml", grid().text());
    let out = scene.run(&grid_path, &file, &[]);
    scene.assert_refused(&out, &["--out", "taken", "not a directory"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
}

#[test]
fn out_inside_a_file() {
    let scene = Scene::new();
    scene.write("taken", "not a directory");
    let grid_path = scene.write("grid.toml", grid().text());
    let out = scene.run(&grid_path, &scene.path("taken").join("results"), &[]);
    scene.assert_refused(&out, &["--out", "taken", "not a directory"]);
    assert_eq!(
        std::fs::read_to_string(scene.path("taken")).unwrap(),
        "not a directory"
    );
}

/// Sweeps `first` into `out/`, then `second` into the same directory, which must be refused
/// without touching what the first run wrote. Returns the refusal's stderr.
fn refused_over_existing_results(
    scene: &Scene,
    first: &str,
    second: &str,
    change_data: impl FnOnce(),
) -> String {
    let first_path = scene.write("first.toml", first);
    let out = scene.run(&first_path, &scene.out(), &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let before = snapshot(&scene.out());
    assert!(
        before.keys().any(|p| p.ends_with("run.json")),
        "{:?}",
        before.keys()
    );
    change_data();
    let second_path = scene.write("second.toml", second);
    let out = scene.run(&second_path, &scene.out(), &[]);
    let stderr = common::assert_refused(&out, &["--fresh", "--out"]);
    assert_eq!(
        snapshot(&scene.out()),
        before,
        "the refused run changed the results directory"
    );
    stderr
}

#[test]
fn results_of_a_grid_trained_on_different_data() {
    let scene = Scene::new();
    // The same settings on another synthetic series (seed 2 instead of 1).
    let err = refused_over_existing_results(
        &scene,
        &grid().text(),
        &grid().set("data", "seed", "2").text(),
        || {},
    );
    for needle in [
        "different",
        "seed 1",
        "--fresh",
        "--out",
        &scene.out().display().to_string(),
    ] {
        assert!(err.contains(needle), "stderr lacks {needle:?}: {err}");
    }
}

#[test]
fn results_trained_on_a_file_whose_values_changed_since() {
    let scene = Scene::new();
    let series = |bump: f64| {
        csv(
            "t,y",
            (0..60).map(|i| format!("{i},{}", (i % 7) as f64 + if i == 30 { bump } else { 0.0 })),
        )
    };
    scene.write("series.csv", series(0.0));
    let g = Grid::file("series.csv", "y").text();
    let err = refused_over_existing_results(&scene, &g, &g, || {
        scene.write("series.csv", series(0.5));
    });
    assert!(
        err.contains("different") && err.contains("series.csv") && err.contains("60 rows"),
        "{err}"
    );
}

#[test]
fn results_of_the_same_data_split_differently() {
    let scene = Scene::new();
    let first = grid().text();
    let second = grid().set("data", "val_fraction", "0.3").text();
    let err = refused_over_existing_results(&scene, &first, &second, || {});
    assert!(err.contains("different"), "{err}");
}

#[test]
fn plan_refuses_bad_data_the_same_way() {
    let scene = Scene::new();
    scene.write("series.csv", numbers_csv(60));
    let grid_path = scene.write("grid.toml", Grid::file("series.csv", "close").text());
    let out = common::bin()
        .arg("plan")
        .arg(&grid_path)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    scene.assert_refused(&out, &["series.csv", "\"close\"", "date, price, volume"]);
}
