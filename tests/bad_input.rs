//! Bad input, as a user meets it: every mistake in the grid file, the data or the flags
//! makes `trendsweep sweep` exit with status 2 and one clear message that names the
//! culprit, with no panic, no backtrace, and nothing written to the results directory.
//!
//! Every test runs the real binary on a grid file written into a temporary directory, with
//! `--out` pointing inside that directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The pieces of a grid file, as `key = value` lines per table. `set` replaces a key, so a
/// test states only what it changes from a small, valid, fast grid.
#[derive(Clone)]
struct Grid {
    top: Vec<(String, String)>,
    data: Vec<(String, String)>,
    train: Vec<(String, String)>,
    grid: Vec<(String, String)>,
}

/// A valid grid: a short synthetic sine, one tiny trial of one epoch.
fn grid() -> Grid {
    let kv = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    Grid {
        top: kv(&[("name", "\"bad\"")]),
        data: kv(&[
            ("kind", "\"sine\""),
            ("length", "200"),
            ("seed", "1"),
            ("window", "4"),
        ]),
        train: kv(&[("epochs", "1"), ("n_dense", "4"), ("batch_size", "16")]),
        grid: vec![],
    }
}

/// A valid grid reading `column` of the file `path` (relative to the grid file).
fn file_grid(path: &str, column: &str) -> Grid {
    let mut g = grid();
    g.data = vec![
        ("path".into(), format!("{path:?}")),
        ("column".into(), format!("{column:?}")),
        ("window".into(), "4".into()),
        ("val_fraction".into(), "0.2".into()),
    ];
    g
}

impl Grid {
    fn table(&mut self, table: &str) -> &mut Vec<(String, String)> {
        match table {
            "top" => &mut self.top,
            "data" => &mut self.data,
            "train" => &mut self.train,
            "grid" => &mut self.grid,
            other => panic!("no table {other}"),
        }
    }

    /// Sets `key = value` (raw TOML) in `table`, replacing the key if it is there.
    fn set(mut self, table: &str, key: &str, value: &str) -> Grid {
        let t = self.table(table);
        match t.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => t.push((key.to_string(), value.to_string())),
        }
        self
    }

    /// Removes `key` from `table` (so it can move to another table without being duplicated).
    fn unset(mut self, table: &str, key: &str) -> Grid {
        self.table(table).retain(|(k, _)| k != key);
        self
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let lines = |out: &mut String, kv: &[(String, String)]| {
            for (k, v) in kv {
                out.push_str(&format!("{k} = {v}\n"));
            }
        };
        lines(&mut out, &self.top);
        for (name, kv) in [
            ("data", &self.data),
            ("train", &self.train),
            ("grid", &self.grid),
        ] {
            if !kv.is_empty() {
                out.push_str(&format!("\n[{name}]\n"));
                lines(&mut out, kv);
            }
        }
        out
    }
}

/// A temporary directory holding the grid file, any data files, and the (hopefully never
/// created) results directory `out/`.
struct Scene {
    tmp: tempfile::TempDir,
}

impl Scene {
    fn new() -> Scene {
        Scene {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn out(&self) -> PathBuf {
        self.path("out")
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// `trendsweep sweep grid.toml --out out --threads 1` plus `extra`.
    fn sweep_text(&self, grid_text: &str, extra: &[&str]) -> Output {
        let grid = self.write("grid.toml", grid_text);
        self.sweep_file(&grid, &self.out(), extra)
    }

    fn sweep(&self, grid: &Grid) -> Output {
        self.sweep_text(&grid.text(), &[])
    }

    fn sweep_file(&self, grid: &Path, out: &Path, extra: &[&str]) -> Output {
        let mut args: Vec<String> = vec![
            "sweep".into(),
            grid.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ];
        if !extra.contains(&"--threads") {
            args.extend(["--threads".into(), "1".into()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        Command::new(env!("CARGO_BIN_EXE_trendsweep"))
            .args(&args)
            .current_dir(self.tmp.path())
            // With backtraces enabled, a panic or an error printed with `{:?}` would show one.
            .env("RUST_BACKTRACE", "1")
            .output()
            .expect("running trendsweep")
    }
}

/// The refusal every bad input must get: exit status 2, one `error:` line that contains
/// every `needle`, no panic or backtrace, and no results directory.
#[track_caller]
fn assert_refused(scene: &Scene, out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit status 2\nstderr: {stderr}\nstdout: {stdout}"
    );
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(
        !stderr.to_lowercase().contains("backtrace"),
        "backtrace: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one message line, got:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
    assert!(
        !scene.out().exists(),
        "the results directory was created: {}\n{stderr}",
        scene.out().display()
    );
    // Shown with --nocapture, to read every message at once.
    println!("{}", lines[0]);
    stderr
}

/// Runs `grid` in a fresh scene and checks the refusal.
#[track_caller]
fn refused(grid: &Grid, needles: &[&str]) -> String {
    let scene = Scene::new();
    let out = scene.sweep(grid);
    assert_refused(&scene, &out, needles)
}

// ---------------------------------------------------------------------------------------
// The baseline: the grid the other tests change is itself fine.

#[test]
fn the_base_grid_is_valid_and_fast() {
    let scene = Scene::new();
    let out = scene.sweep(&grid());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(scene.out().join("trials.parquet").exists());
}

// ---------------------------------------------------------------------------------------
// The grid file.

#[test]
fn grid_file_not_found() {
    let scene = Scene::new();
    let missing = scene.path("no_such_grid.toml");
    let out = scene.sweep_file(&missing, &scene.out(), &[]);
    assert_refused(
        &scene,
        &out,
        &["no_such_grid.toml", "cannot read grid file"],
    );
}

#[test]
fn grid_file_not_toml_reports_line_and_column() {
    let scene = Scene::new();
    let text = "name = \"bad\"\n[data]\nkind = \"sine\"\nwindow = 4\nlength = = 200\n";
    let out = scene.sweep_text(text, &[]);
    let err = assert_refused(
        &scene,
        &out,
        &["grid.toml", "not valid TOML", "line 5", "column"],
    );
    assert!(
        err.contains("column 10") || err.contains("column 8"),
        "{err}"
    );
}

#[test]
fn grid_file_is_not_text_at_all() {
    let scene = Scene::new();
    let grid = scene.write("grid.toml", [0xff, 0xfe, 0x00, 0x41, 0x80]);
    let out = scene.sweep_file(&grid, &scene.out(), &[]);
    assert_refused(&scene, &out, &["grid.toml"]);
}

#[test]
fn unknown_key_names_it_and_suggests_the_closest() {
    refused(
        &grid().set("train", "lamda", "0.1"),
        &["lamda", "did you mean \"lambda\"", "[train]"],
    );
}

#[test]
fn unknown_key_in_the_grid_table_suggests_the_closest() {
    refused(
        &grid().set("grid", "ephocs", "[1, 2]"),
        &["ephocs", "did you mean \"epochs\"", "[grid]"],
    );
}

#[test]
fn unknown_key_in_data_suggests_the_closest() {
    refused(
        &grid().set("data", "lenght", "100"),
        &["lenght", "did you mean \"length\""],
    );
}

#[test]
fn wrong_type_batch_size_string() {
    refused(
        &grid().set("train", "batch_size", "\"8\""),
        &["batch_size", "integer", "\"8\""],
    );
}

#[test]
fn wrong_type_in_an_axis() {
    refused(
        &grid()
            .unset("train", "batch_size")
            .set("grid", "batch_size", "[8, \"16\"]"),
        &["batch_size", "\"16\""],
    );
}

#[test]
fn empty_axis() {
    refused(
        &grid()
            .unset("train", "n_dense")
            .set("grid", "n_dense", "[]"),
        &["n_dense", "empty"],
    );
}

#[test]
fn n_dense_zero() {
    refused(
        &grid().set("train", "n_dense", "0"),
        &["n_dense", "≥ 1", "found 0"],
    );
}

#[test]
fn batch_size_zero_in_an_axis() {
    refused(
        &grid()
            .unset("train", "batch_size")
            .set("grid", "batch_size", "[8, 0]"),
        &["batch_size", "≥ 1", "found 0"],
    );
}

#[test]
fn epochs_zero() {
    refused(
        &grid().set("train", "epochs", "0"),
        &["epochs", "≥ 1", "found 0"],
    );
}

#[test]
fn epochs_negative() {
    refused(
        &grid().set("train", "epochs", "-3"),
        &["epochs", "≥ 1", "found -3"],
    );
}

#[test]
fn window_zero() {
    refused(
        &grid().set("data", "window", "0"),
        &["window", "≥ 1", "found 0"],
    );
}

#[test]
fn window_zero_in_an_axis() {
    refused(
        &grid()
            .unset("data", "window")
            .set("grid", "window", "[4, 0]"),
        &["window", "≥ 1", "found 0"],
    );
}

#[test]
fn learning_rate_zero() {
    refused(
        &grid().set("train", "learning_rate", "0.0"),
        &["learning_rate", "> 0", "found 0.0"],
    );
}

#[test]
fn learning_rate_negative() {
    refused(
        &grid().set("train", "learning_rate", "-0.01"),
        &["learning_rate", "> 0", "-0.01"],
    );
}

#[test]
fn learning_rate_nan() {
    refused(
        &grid().set("train", "learning_rate", "nan"),
        &["learning_rate", "finite", "nan"],
    );
}

#[test]
fn learning_rate_inf_in_an_axis() {
    refused(
        &grid().set("grid", "learning_rate", "[0.01, inf]"),
        &["learning_rate", "finite", "inf"],
    );
}

#[test]
fn lambda_negative() {
    refused(
        &grid().set("train", "lambda", "-0.1"),
        &["lambda", "≥ 0", "-0.1"],
    );
}

#[test]
fn lambda_nan() {
    refused(
        &grid().set("grid", "lambda", "[0.0, nan]"),
        &["lambda", "finite", "nan"],
    );
}

#[test]
fn lambda_inf() {
    refused(
        &grid().set("train", "lambda", "+inf"),
        &["lambda", "finite", "inf"],
    );
}

#[test]
fn val_fraction_one() {
    refused(
        &grid().set("data", "val_fraction", "1.0"),
        &["val_fraction", "[0, 1)", "1.0"],
    );
}

#[test]
fn val_fraction_negative() {
    refused(
        &grid().set("data", "val_fraction", "-0.1"),
        &["val_fraction", "[0, 1)", "-0.1"],
    );
}

#[test]
fn test_fraction_above_one() {
    refused(
        &grid().set("data", "test_fraction", "1.5"),
        &["test_fraction", "[0, 1)", "1.5"],
    );
}

#[test]
fn test_fraction_nan() {
    refused(
        &grid().set("data", "test_fraction", "nan"),
        &["test_fraction", "[0, 1)", "nan"],
    );
}

#[test]
fn fractions_leaving_no_training_samples() {
    let g = grid()
        .set("data", "val_fraction", "0.5")
        .set("data", "test_fraction", "0.5");
    refused(&g, &["val_fraction", "test_fraction", "less than 1"]);
}

#[test]
fn fractions_leaving_no_training_samples_for_this_length() {
    // 0.6 + 0.39 is below 1, but 20 rows with window 4 give 16 samples and floor(16 · 0.01) = 0
    // training samples: the data is too short for these fractions.
    let g = grid()
        .set("data", "length", "20")
        .set("data", "val_fraction", "0.6")
        .set("data", "test_fraction", "0.39");
    let err = refused(
        &g,
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
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn unknown_loss() {
    refused(
        &grid().set("train", "loss", "\"trnd\""),
        &["loss", "\"trnd\"", "did you mean \"trend\""],
    );
}

#[test]
fn unknown_loss_in_an_axis() {
    refused(
        &grid().set("grid", "loss", "[\"mse\", \"huber\"]"),
        &["loss", "\"huber\"", "\"trend\", \"seed\", \"mse\""],
    );
}

#[test]
fn unknown_activation() {
    refused(
        &grid().set("train", "activation", "\"sigmoid\""),
        &["activation", "\"sigmoid\"", "\"relu\""],
    );
}

#[test]
fn unknown_scale() {
    refused(
        &grid().set("data", "scale", "\"minmax\""),
        &["scale", "\"minmax\"", "\"zscore\""],
    );
}

#[test]
fn unknown_missing_policy() {
    let scene = Scene::new();
    scene.write("d.csv", "y\n1\n2\n");
    let g = file_grid("d.csv", "y").set("data", "missing", "\"dorp\"");
    let out = scene.sweep(&g);
    assert_refused(
        &scene,
        &out,
        &["missing", "\"dorp\"", "did you mean \"drop\""],
    );
}

#[test]
fn unknown_synthetic_kind() {
    refused(
        &grid().set("data", "kind", "\"sin\""),
        &["kind", "\"sin\"", "did you mean \"sine\""],
    );
}

#[test]
fn duplicate_values_in_an_axis() {
    refused(
        &grid().set("grid", "lambda", "[0.0, 0.1, 0.1]"),
        &["lambda", "0.1", "more than once"],
    );
}

#[test]
fn duplicate_values_in_an_axis_spelt_differently() {
    // 0 and 0.0 (and -0.0) are the same λ, so the same trial.
    refused(
        &grid().set("grid", "lambda", "[0, 0.0]"),
        &["lambda", "more than once"],
    );
}

// ---------------------------------------------------------------------------------------
// The data.

#[test]
fn data_file_not_found() {
    refused(
        &file_grid("no_such_data.csv", "y"),
        &["no_such_data.csv", "not found", "relative to the grid file"],
    );
}

#[test]
fn data_file_is_a_directory() {
    let scene = Scene::new();
    std::fs::create_dir(scene.path("series.csv")).unwrap();
    let out = scene.sweep(&file_grid("series.csv", "y"));
    assert_refused(&scene, &out, &["series.csv", "directory"]);
}

#[test]
fn data_file_of_unknown_type() {
    let scene = Scene::new();
    scene.write("series.txt", "y\n1\n2\n");
    let out = scene.sweep(&file_grid("series.txt", "y"));
    assert_refused(&scene, &out, &["series.txt", ".csv", ".parquet"]);
}

#[test]
fn data_file_not_valid_csv() {
    let scene = Scene::new();
    // A row with more fields than the header has.
    let mut text = String::from("t,y\n");
    for i in 0..50 {
        text.push_str(&format!("{i},{}\n", i * 2));
    }
    text.push_str("50,100,7,8\n");
    scene.write("series.csv", text);
    let out = scene.sweep(&file_grid("series.csv", "y"));
    assert_refused(&scene, &out, &["series.csv", "CSV"]);
}

#[test]
fn data_file_not_valid_csv_binary() {
    let scene = Scene::new();
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    scene.write("series.csv", bytes);
    let out = scene.sweep(&file_grid("series.csv", "y"));
    assert_refused(&scene, &out, &["series.csv"]);
}

#[test]
fn data_file_not_valid_parquet() {
    let scene = Scene::new();
    scene.write("series.parquet", "t,y\n1,2\n3,4\n");
    let out = scene.sweep(&file_grid("series.parquet", "y"));
    assert_refused(&scene, &out, &["series.parquet", "Parquet"]);
}

#[test]
fn data_file_empty() {
    let scene = Scene::new();
    scene.write("series.csv", "");
    let out = scene.sweep(&file_grid("series.csv", "y"));
    assert_refused(&scene, &out, &["series.csv"]);
}

fn numbers_csv(n: usize) -> String {
    let mut text = String::from("date,price,volume\n");
    for i in 0..n {
        text.push_str(&format!(
            "2020-01-{:02},{}.5,{}\n",
            i % 28 + 1,
            100 + (i * 7) % 13,
            1000 + (i * 31) % 17
        ));
    }
    text
}

#[test]
fn column_missing_lists_the_columns() {
    let scene = Scene::new();
    scene.write("series.csv", numbers_csv(60));
    let out = scene.sweep(&file_grid("series.csv", "close"));
    assert_refused(
        &scene,
        &out,
        &["series.csv", "\"close\"", "date, price, volume"],
    );
}

#[test]
fn feature_column_missing_lists_the_columns() {
    let scene = Scene::new();
    scene.write("series.csv", numbers_csv(60));
    let out =
        scene.sweep(&file_grid("series.csv", "price").set("data", "features", "[\"volumes\"]"));
    assert_refused(
        &scene,
        &out,
        &[
            "series.csv",
            "\"volumes\"",
            "features",
            "date, price, volume",
        ],
    );
}

#[test]
fn sort_by_column_missing_lists_the_columns() {
    let scene = Scene::new();
    scene.write("series.csv", numbers_csv(60));
    let out = scene.sweep(&file_grid("series.csv", "price").set("data", "sort_by", "\"day\""));
    assert_refused(
        &scene,
        &out,
        &["series.csv", "\"day\"", "sort_by", "date, price, volume"],
    );
}

#[test]
fn non_numeric_column() {
    let scene = Scene::new();
    scene.write("series.csv", numbers_csv(60));
    let out = scene.sweep(&file_grid("series.csv", "date"));
    assert_refused(&scene, &out, &["series.csv", "\"date\"", "not numbers"]);
}

#[test]
fn non_numeric_feature_column() {
    let scene = Scene::new();
    scene.write("series.csv", numbers_csv(60));
    let out = scene.sweep(&file_grid("series.csv", "price").set("data", "features", "[\"date\"]"));
    assert_refused(&scene, &out, &["series.csv", "\"date\"", "not numbers"]);
}

#[test]
fn too_few_rows_says_how_many_are_needed() {
    let scene = Scene::new();
    scene.write("series.csv", numbers_csv(6));
    // Window 8 with val_fraction 0.2 needs 2 samples (floor(2 · 0.8) = 1 to train on, 1 to
    // validate), so 8 + 2 = 10 rows.
    let out = scene.sweep(&file_grid("series.csv", "price").set("data", "window", "8"));
    let err = assert_refused(
        &scene,
        &out,
        &["series.csv", "6 rows", "window = 8", "at least 10 rows"],
    );
    assert!(err.contains("needed"), "{err}");
}

#[test]
fn too_few_rows_after_slicing() {
    let scene = Scene::new();
    scene.write("series.csv", numbers_csv(100));
    let out = scene.sweep(&file_grid("series.csv", "price").set("data", "rows", "[10, 15]"));
    assert_refused(&scene, &out, &["series.csv", "5 rows", "at least"]);
}

#[test]
fn rows_past_the_end_of_the_file() {
    let scene = Scene::new();
    scene.write("series.csv", numbers_csv(30));
    let out = scene.sweep(&file_grid("series.csv", "price").set("data", "rows", "[0, 50]"));
    assert_refused(&scene, &out, &["series.csv", "rows", "30 rows"]);
}

#[test]
fn constant_series_with_zscore() {
    let scene = Scene::new();
    let mut text = String::from("t,y\n");
    for i in 0..50 {
        text.push_str(&format!("{i},3.25\n"));
    }
    scene.write("series.csv", text);
    let out = scene.sweep(&file_grid("series.csv", "y").set("data", "scale", "\"zscore\""));
    assert_refused(
        &scene,
        &out,
        &[
            "series.csv",
            "\"y\"",
            "constant",
            "zscore",
            "scale = \"none\"",
        ],
    );
}

#[test]
fn constant_feature_with_zscore() {
    let scene = Scene::new();
    let mut text = String::from("y,flag\n");
    for i in 0..50 {
        text.push_str(&format!("{},1\n", (i * 7) % 11));
    }
    scene.write("series.csv", text);
    let out = scene.sweep(&file_grid("series.csv", "y").set("data", "features", "[\"flag\"]"));
    assert_refused(&scene, &out, &["series.csv", "\"flag\"", "constant"]);
}

#[test]
fn missing_values_with_the_error_policy() {
    let scene = Scene::new();
    let mut text = String::from("t,y\n");
    for i in 0..40 {
        let y = if i == 12 || i == 13 || i == 30 {
            String::new()
        } else {
            format!("{}.0", i % 9)
        };
        text.push_str(&format!("{i},{y}\n"));
    }
    scene.write("series.csv", text);
    let out = scene.sweep(&file_grid("series.csv", "y"));
    // Data row 13 (1-based) is line 14 of the file; 3 values are missing.
    assert_refused(
        &scene,
        &out,
        &[
            "series.csv",
            "\"y\"",
            "3 missing",
            "row 13",
            "missing = \"drop\"",
        ],
    );
}

#[test]
fn interpolation_cannot_fill_an_edge_gap() {
    let scene = Scene::new();
    let mut text = String::from("t,y\n");
    for i in 0..40 {
        let y = if i < 2 {
            String::new()
        } else {
            format!("{}.0", i % 9)
        };
        text.push_str(&format!("{i},{y}\n"));
    }
    scene.write("series.csv", text);
    let out = scene.sweep(&file_grid("series.csv", "y").set("data", "missing", "\"interpolate\""));
    assert_refused(
        &scene,
        &out,
        &["series.csv", "\"y\"", "start", "rows = [start, end)"],
    );
}

#[test]
fn infinite_values_are_refused_not_called_constant() {
    let scene = Scene::new();
    let mut text = String::from("t,y\n");
    for i in 0..40 {
        let y = if i == 5 {
            "inf".to_string()
        } else {
            format!("{}.0", i % 9)
        };
        text.push_str(&format!("{i},{y}\n"));
    }
    scene.write("series.csv", text);
    let out = scene.sweep(&file_grid("series.csv", "y"));
    let err = assert_refused(&scene, &out, &["series.csv", "\"y\"", "row 6"]);
    assert!(!err.contains("constant"), "{err}");
}

// ---------------------------------------------------------------------------------------
// The flags and the results directory.

#[test]
fn zero_threads() {
    let scene = Scene::new();
    let out = scene.sweep_text(&grid().text(), &["--threads", "0"]);
    assert_refused(&scene, &out, &["--threads", "0"]);
}

#[test]
fn out_pointing_at_a_file() {
    let scene = Scene::new();
    let file = scene.write("taken", "not a directory");
    let grid_path = scene.write("grid.toml", grid().text());
    let out = scene.sweep_file(&grid_path, &file, &[]);
    assert_refused(&scene, &out, &["--out", "taken", "not a directory"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
}

#[test]
fn out_inside_a_file() {
    let scene = Scene::new();
    scene.write("taken", "not a directory");
    let grid_path = scene.write("grid.toml", grid().text());
    let out = scene.sweep_file(&grid_path, &scene.path("taken").join("results"), &[]);
    assert_refused(&scene, &out, &["--out", "taken", "not a directory"]);
    assert_eq!(
        std::fs::read_to_string(scene.path("taken")).unwrap(),
        "not a directory"
    );
}

/// Every file under `dir` with its contents, to show a refused run changed nothing.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    files
}

#[test]
fn results_of_a_grid_trained_on_different_data() {
    let scene = Scene::new();
    let first = scene.write("first.toml", grid().text());
    let out = scene.sweep_file(&first, &scene.out(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = snapshot(&scene.out());
    assert!(
        before.keys().any(|p| p.ends_with("run.json")),
        "{:?}",
        before.keys()
    );

    // The same settings on another synthetic series (seed 2 instead of 1).
    let second = scene.write("second.toml", grid().set("data", "seed", "2").text());
    let out = scene.sweep_file(&second, &scene.out(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.to_lowercase().contains("backtrace"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "{stderr}"
    );
    for needle in [
        "different",
        "seed 1",
        "--fresh",
        "--out",
        &scene.out().display().to_string(),
    ] {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    }
    assert_eq!(
        snapshot(&scene.out()),
        before,
        "the refused run changed the results directory"
    );
    println!("{}", stderr.trim());
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
    let out = scene.sweep_file(&first_path, &scene.out(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = snapshot(&scene.out());
    change_data();
    let second_path = scene.write("second.toml", second);
    let out = scene.sweep_file(&second_path, &scene.out(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.to_lowercase().contains("backtrace"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("--fresh") && stderr.contains("--out"),
        "{stderr}"
    );
    assert_eq!(
        snapshot(&scene.out()),
        before,
        "the refused run changed the results directory"
    );
    stderr
}

#[test]
fn results_trained_on_a_file_whose_values_changed_since() {
    let scene = Scene::new();
    let csv = |bump: f64| {
        let mut text = String::from("t,y\n");
        for i in 0..60 {
            text.push_str(&format!(
                "{i},{}\n",
                (i % 7) as f64 + if i == 30 { bump } else { 0.0 }
            ));
        }
        text
    };
    scene.write("series.csv", csv(0.0));
    let g = file_grid("series.csv", "y").text();
    let err = refused_over_existing_results(&scene, &g, &g, || {
        scene.write("series.csv", csv(0.5));
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
    let grid_path = scene.write("grid.toml", file_grid("series.csv", "close").text());
    let out = Command::new(env!("CARGO_BIN_EXE_trendsweep"))
        .arg("plan")
        .arg(&grid_path)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_refused(
        &scene,
        &out,
        &["series.csv", "\"close\"", "date, price, volume"],
    );
}
