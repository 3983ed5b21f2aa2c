//! Grid files: parsing, defaults, expansion, ids, step totals and every user-facing error.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use trendsweep::config::{
    Activation, DataFile, LossKind, Missing, Scale, Source, SplitSpec, Synthetic, SyntheticKind,
    TrainConfig,
};
use trendsweep::error::is_bad_input;
use trendsweep::grid::{GridSpec, SettingValue, plan_text, trial_id};

const SINE: &str = "[data]\nkind = \"sine\"\n";

fn parse(text: &str) -> GridSpec {
    match GridSpec::parse(text, Path::new("grids/demo.toml")) {
        Ok(spec) => spec,
        Err(e) => panic!("expected a valid grid, got: {e:#}\n---\n{text}"),
    }
}

/// Asserts the text is rejected as bad input and every `needles` item is in the message.
fn rejects(text: &str, needles: &[&str]) -> String {
    let err = match GridSpec::parse(text, Path::new("grids/demo.toml")) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    };
    assert!(is_bad_input(&err), "not marked as bad input: {err:#}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("grids/demo.toml: "),
        "message does not start with the file: {msg}"
    );
    for needle in needles {
        assert!(msg.contains(needle), "message lacks {needle:?}: {msg}");
    }
    msg
}

fn with_grid(grid: &str) -> String {
    format!("{SINE}[grid]\n{grid}\n")
}

// ---------------------------------------------------------------- expansion and ids

#[test]
fn trial_count_is_the_product_of_axis_lengths_and_trials_match_it() {
    let spec = parse(&with_grid(
        "n_dense = [8, 32, 128]\nlambda = [0.0, 0.001, 0.01, 0.1]\nbatch_size = [1, 8]\nseed = [0, 1, 2]",
    ));
    assert_eq!(spec.trial_count(), 3 * 4 * 2 * 3);
    let trials: Vec<_> = spec.trials().collect();
    assert_eq!(trials.len() as u128, spec.trial_count());
    let ids: HashSet<_> = trials.iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids.len(), trials.len(), "ids are not unique");
    let combos: HashSet<_> = trials
        .iter()
        .map(|t| {
            (
                t.config.n_dense,
                t.config.lambda.to_bits(),
                t.config.batch_size,
                t.config.seed,
            )
        })
        .collect();
    assert_eq!(combos.len(), trials.len(), "some combination repeats");
    for (i, t) in trials.iter().enumerate() {
        assert_eq!(&spec.trial(i as u128), t);
        assert_eq!(
            t.id,
            trial_id(t.window, &t.config),
            "expansion id differs from trial_id"
        );
    }
}

#[test]
fn axes_come_in_canonical_order_with_values_in_file_order() {
    let spec = parse(&with_grid(
        "seed = [2, 1]\nwindow = [32, 8]\nloss = [\"mse\", \"trend\"]\nlambda = [0.5, 0]",
    ));
    let names: Vec<_> = spec.axes().iter().map(|a| a.name).collect();
    assert_eq!(names, ["window", "lambda", "loss", "seed"]);
    assert_eq!(
        spec.axes()[0].values,
        [SettingValue::Int(32), SettingValue::Int(8)]
    );
    assert_eq!(
        spec.axes()[1].values,
        [SettingValue::Float(0.5), SettingValue::Float(0.0)]
    );
    // The last canonical axis (seed) varies fastest.
    let first = spec.trial(0);
    let second = spec.trial(1);
    assert_eq!((first.window, first.config.seed), (32, 2));
    assert_eq!((second.window, second.config.seed), (32, 1));
    assert_eq!(spec.trial(spec.trial_count() - 1).window, 8);
    assert_eq!(spec.windows(), [32, 8]);
}

#[test]
fn ids_do_not_depend_on_key_order_file_or_other_trials() {
    let a = GridSpec::parse(
        "[data]\nkind = \"ar2\"\n[train]\nepochs = 3\n[grid]\nlambda = [0.1, 0.2]\nn_dense = [4]\n",
        Path::new("one.toml"),
    )
    .unwrap();
    let b = GridSpec::parse(
        "[grid]\nn_dense = [4]\nlambda = [0.2, 0.1, 0.3]\nepochs = 3\n[data]\nkind = \"sine\"\n",
        Path::new("elsewhere/two.toml"),
    )
    .unwrap();
    let ids_a: HashSet<_> = a.trials().map(|t| t.id).collect();
    let ids_b: HashSet<_> = b.trials().map(|t| t.id).collect();
    assert_eq!(ids_a.len(), 2);
    assert!(
        ids_a.is_subset(&ids_b),
        "adding an axis value or reordering keys changed ids"
    );
    let expected = trial_id(
        16,
        &TrainConfig {
            lambda: 0.1,
            n_dense: 4,
            epochs: 3,
            ..TrainConfig::default()
        },
    );
    assert!(ids_a.contains(&expected));
}

#[test]
fn a_grid_without_axes_is_one_trial_with_all_defaults() {
    let spec = parse(SINE);
    assert_eq!(spec.trial_count(), 1);
    assert!(spec.axes().is_empty());
    let trial = spec.trial(0);
    assert_eq!(trial.window, 16);
    assert_eq!(trial.config, TrainConfig::default());
    assert_eq!(trial.id, trial_id(16, &TrainConfig::default()));
    assert_eq!(spec.name, "demo");
    assert_eq!(spec.split, SplitSpec::default());
    assert_eq!(
        spec.source,
        Source::Synthetic(Synthetic {
            kind: SyntheticKind::Sine,
            length: 2000,
            noise: 0.1,
            period: 50.0,
            phi: [0.6, -0.3],
            drift: 0.0,
            seed: 0,
            series: None,
        })
    );
    let fixed = spec.fixed();
    assert_eq!(fixed.len(), 13);
    assert_eq!(fixed[0], ("window", SettingValue::Int(16)));
    assert!(fixed.contains(&("loss", SettingValue::Str("trend".into()))));
    assert!(fixed.contains(&("lambda", SettingValue::Float(0.001))));
}

#[test]
fn fixed_settings_in_train_data_and_scalar_grid_entries_apply_to_every_trial() {
    let spec = parse(
        "name = \"x\"\n[data]\nkind = \"random_walk\"\ndrift = 0.5\nwindow = 8\nval_fraction = 0.2\n\
         test_fraction = 0.1\nscale = \"none\"\n[train]\nloss = \"mse\"\nactivation = \"relu\"\n\
         shuffle = false\nlearning_rate = 1\n[grid]\nepochs = 4\nbatch_size = [2, 4]\n",
    );
    assert_eq!(
        spec.axes().len(),
        1,
        "a scalar under [grid] must be fixed, not an axis"
    );
    assert_eq!(spec.trial_count(), 2);
    for t in spec.trials() {
        assert_eq!(t.window, 8);
        assert_eq!(t.config.loss, LossKind::Mse);
        assert_eq!(t.config.activation, Activation::Relu);
        assert!(!t.config.shuffle);
        assert_eq!(t.config.epochs, 4);
        assert_eq!(
            t.config.learning_rate, 1.0,
            "an integer must be accepted as a float"
        );
    }
    assert_eq!(
        spec.split,
        SplitSpec {
            val_fraction: 0.2,
            test_fraction: 0.1,
            scale: Scale::None,
            season: None,
            folds: 1,
            gap: 0,
        }
    );
    assert!(spec.fixed().contains(&("epochs", SettingValue::Int(4))));
    assert!(!spec.fixed().iter().any(|(n, _)| *n == "batch_size"));
}

#[test]
fn integers_are_accepted_where_floats_are_expected() {
    let spec = parse(&with_grid("lambda = [0, 0.1, 2]"));
    let lambdas: Vec<f64> = spec.trials().map(|t| t.config.lambda).collect();
    assert_eq!(lambdas, [0.0, 0.1, 2.0]);
    // 0 and 0.0 are the same trial.
    assert_eq!(
        spec.trial(0).id,
        parse(&with_grid("lambda = [0.0]")).trial(0).id
    );
}

#[test]
fn file_source_resolves_against_the_grid_folder() {
    let spec = parse(
        "[data]\npath = \"data/taylor.csv\"\ncolumn = \"demand_mw\"\nfeatures = [\"volume\"]\n\
         sort_by = \"date\"\nrows = [0, 2000]\nmissing = \"interpolate\"\n",
    );
    assert_eq!(
        spec.source,
        Source::File(DataFile {
            path: PathBuf::from("grids/data/taylor.csv"),
            column: "demand_mw".into(),
            features: vec!["volume".into()],
            sort_by: Some("date".into()),
            date_format: None,
            rows: Some((0, 2000)),
            missing: Missing::Interpolate,
            series_column: None,
        })
    );
}

#[test]
fn load_reads_the_file_and_keeps_its_text() {
    let path = common::fixture("grid/trend-vs-mse.toml");
    let spec = GridSpec::load(&path).unwrap();
    assert_eq!(spec.name, "trend-vs-mse");
    assert_eq!(spec.text, std::fs::read_to_string(&path).unwrap());
    assert_eq!(spec.trial_count(), 3 * 4 * 3 * 3 * 3);
    let Source::File(DataFile { path: data, .. }) = &spec.source else {
        panic!("expected a file source")
    };
    assert_eq!(data, &path.parent().unwrap().join("data/taylor_demand.csv"));
}

#[test]
fn huge_grids_are_counted_without_expansion() {
    let axis = |n: usize| {
        (1..=n)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let spec = parse(&with_grid(&format!(
        "n_dense = [{0}]\nbatch_size = [{0}]\nepochs = [{0}]\nseed = [{0}]",
        axis(1000)
    )));
    assert_eq!(spec.trial_count(), 1_000_000_000_000);
    let last = spec.trial(spec.trial_count() - 1);
    assert_eq!(
        (
            last.config.n_dense,
            last.config.batch_size,
            last.config.seed
        ),
        (1000, 1000, 1000)
    );
    assert_eq!(spec.trials().nth(5).unwrap().config.seed, 6);
    let steps = spec.total_steps(|_| 100);
    assert!(steps > 0);
}

#[test]
fn total_steps_matches_brute_force() {
    let spec = parse(&with_grid(
        "window = [4, 9, 16]\nbatch_size = [1, 3, 7, 500]\nepochs = [1, 5]\nlambda = [0, 1]\nseed = [1, 2, 3]",
    ));
    let n_train = |w: usize| 1000 - 13 * w;
    let brute: u128 = spec
        .trials()
        .map(|t| (t.config.epochs * n_train(t.window).div_ceil(t.config.batch_size)) as u128)
        .sum();
    assert_eq!(spec.total_steps(n_train), brute);
    // With no axes at all it is just epochs · ceil(n / batch).
    assert_eq!(parse(SINE).total_steps(|_| 65), 10 * 3);
}

#[test]
fn plan_names_everything_and_fits_in_100_columns() {
    let spec = parse(&with_grid(
        "n_dense = [8, 32]\nlambda = [0.0, 1e-5]\nseed = [0, 1, 2]",
    ));
    let plan = plan_text(&spec, 4, Some(1_234_567));
    for needle in [
        "grids/demo.toml",
        "demo",
        "sine",
        "12",
        "n_dense",
        "1e-5",
        "1,234,567",
        "window = 16",
    ] {
        assert!(plan.contains(needle), "plan lacks {needle:?}:\n{plan}");
    }
    for t in spec.trials().take(4) {
        assert!(plan.contains(&t.id), "plan lacks trial {}:\n{plan}", t.id);
    }
    assert!(
        !plan.contains(&spec.trial(4).id),
        "plan shows more than 4 trials:\n{plan}"
    );
    assert!(plan.lines().all(|l| l.chars().count() <= 100), "{plan}");
    assert!(!plan_text(&spec, 0, None).contains("steps"));
}

// ---------------------------------------------------------------- errors

#[test]
fn missing_file_is_bad_input_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.toml");
    let err = GridSpec::load(&path).unwrap_err();
    assert!(is_bad_input(&err));
    let msg = err.to_string();
    assert!(
        msg.contains("nope.toml") && msg.contains("cannot read grid file"),
        "{msg}"
    );
}

#[test]
fn invalid_toml_reports_line_and_column() {
    let msg = rejects(
        "[data]\nkind = \"sine\"\nwindow = = 3\n",
        &["not valid TOML", "line 3", "column"],
    );
    assert!(!msg.contains('\n'), "message should be one line: {msg}");
}

#[test]
fn unknown_keys_suggest_the_closest_valid_one() {
    rejects(
        &with_grid("lamda = [0.1]"),
        &["[grid] lamda", "unknown key", "\"lambda\""],
    );
    rejects(
        &format!("{SINE}[train]\nbatchsize = 3\n"),
        &["[train] batchsize", "\"batch_size\""],
    );
    rejects(
        "[data]\nkind = \"sine\"\nlenght = 30\n",
        &["[data] lenght", "\"length\""],
    );
    rejects(
        &format!("{SINE}[train]\nlr = 0.1\n"),
        &["[train] lr", "\"learning_rate\""],
    );
}

#[test]
fn unknown_keys_list_the_valid_ones_when_nothing_is_close() {
    rejects(
        &with_grid("momentum = [0.9]"),
        &["[grid] momentum", "valid keys", "n_dense", "learning_rate"],
    );
}

#[test]
fn keys_in_the_wrong_table_say_where_they_go() {
    rejects(
        &format!("{SINE}[train]\nwindow = 8\n"),
        &["[train] window", "[data]", "[grid]"],
    );
    rejects(
        "[data]\nkind = \"sine\"\nn_dense = 8\n",
        &["[data] n_dense", "[train]"],
    );
    rejects(
        &format!("lambda = 0.1\n{SINE}"),
        &["lambda", "top-level", "[train]"],
    );
    rejects(
        &with_grid("val_fraction = [0.1]"),
        &["[grid] val_fraction", "[data]"],
    );
}

#[test]
fn unknown_top_level_tables_and_keys_are_rejected() {
    rejects(
        &format!("{SINE}[trian]\nepochs = 3\n"),
        &["[trian]", "unknown table", "[train]"],
    );
    rejects(
        &format!("{SINE}[model]\nx = 3\n"),
        &["[model]", "[data], [train], [grid]"],
    );
    rejects(&format!("nmae = \"x\"\n{SINE}"), &["nmae", "\"name\""]);
    rejects(&format!("grid = 3\n{SINE}"), &["grid", "table", "3"]);
}

#[test]
fn wrong_types_say_what_was_expected_and_found() {
    rejects(
        &with_grid("batch_size = \"8\""),
        &["[grid] batch_size", "integer ≥ 1", "string \"8\""],
    );
    rejects(
        &with_grid("batch_size = [8, \"8\"]"),
        &["batch_size", "value 2 of 2", "integer ≥ 1", "\"8\""],
    );
    rejects(
        &format!("{SINE}[train]\nshuffle = \"yes\"\n"),
        &["[train] shuffle", "true or false"],
    );
    rejects(
        &format!("{SINE}[train]\nn_dense = 1.5\n"),
        &["[train] n_dense", "integer ≥ 1", "1.5"],
    );
    rejects(
        &format!("{SINE}[train]\nlambda = [0.1, 0.2]\n"),
        &["[train] lambda", "array", "[grid]"],
    );
    rejects("name = 3\n[data]\nkind = \"sine\"\n", &["name", "string"]);
}

#[test]
fn empty_and_duplicate_axes_are_rejected() {
    rejects(&with_grid("n_dense = []"), &["[grid] n_dense", "empty"]);
    rejects(
        &with_grid("lambda = [0.1, 0.2, 0.1]"),
        &["[grid] lambda", "0.1", "more than once"],
    );
    rejects(
        &with_grid("lambda = [0, 0.0]"),
        &["[grid] lambda", "0.0", "more than once"],
    );
    rejects(
        &with_grid("loss = [\"mse\", \"mse\"]"),
        &["[grid] loss", "mse"],
    );
}

#[test]
fn out_of_range_settings_are_rejected() {
    for (grid, needles) in [
        ("n_dense = [0]", ["n_dense", "≥ 1", "found 0"]),
        ("batch_size = 0", ["batch_size", "≥ 1", "found 0"]),
        ("epochs = [3, 0]", ["epochs", "≥ 1", "found 0"]),
        ("window = [-2]", ["window", "≥ 1", "found -2"]),
        (
            "learning_rate = [0.0]",
            ["learning_rate", "> 0", "found 0.0"],
        ),
        ("learning_rate = -0.1", ["learning_rate", "> 0", "-0.1"]),
        ("learning_rate = nan", ["learning_rate", "finite", "nan"]),
        ("learning_rate = inf", ["learning_rate", "finite", "inf"]),
        ("lambda = [-0.5]", ["lambda", "≥ 0", "-0.5"]),
        ("lambda = [inf]", ["lambda", "finite", "inf"]),
        ("seed = [-1]", ["seed", "≥ 0", "-1"]),
    ] {
        rejects(&with_grid(grid), &needles);
    }
    rejects(
        "[data]\nkind = \"sine\"\nwindow = 0\n",
        &["[data] window", "≥ 1"],
    );
}

#[test]
fn out_of_range_data_settings_are_rejected() {
    let data = |extra: &str| format!("[data]\nkind = \"sine\"\n{extra}\n");
    rejects(
        &data("val_fraction = 1.0"),
        &["[data] val_fraction", "[0, 1)", "1.0"],
    );
    rejects(
        &data("val_fraction = -0.1"),
        &["[data] val_fraction", "[0, 1)"],
    );
    rejects(
        &data("test_fraction = 1"),
        &["[data] test_fraction", "[0, 1)"],
    );
    rejects(
        &data("val_fraction = 0.6\ntest_fraction = 0.4"),
        &["val_fraction + test_fraction", "less than 1"],
    );
    rejects(&data("length = 0"), &["[data] length", "≥ 1"]);
    rejects(&data("noise = -1"), &["[data] noise", "≥ 0"]);
    rejects(&data("noise = nan"), &["[data] noise", "finite"]);
    rejects(&data("period = 0"), &["[data] period", "> 0"]);
    rejects(
        "[data]\npath = \"a.csv\"\ncolumn = \"y\"\nrows = [5, 5]\n",
        &["[data] rows", "start 5", "end 5"],
    );
    rejects(
        "[data]\npath = \"a.csv\"\ncolumn = \"y\"\nrows = [9, 2]\n",
        &["[data] rows", "less than"],
    );
    rejects(
        "[data]\npath = \"a.csv\"\ncolumn = \"y\"\nrows = [1]\n",
        &["[data] rows", "[start, end]"],
    );
    rejects(
        "[data]\nkind = \"ar2\"\nphi = [0.5]\n",
        &["[data] phi", "two numbers"],
    );
}

#[test]
fn unknown_choice_values_list_the_valid_ones() {
    rejects(
        &format!("{SINE}[train]\nloss = \"huber\"\n"),
        &["[train] loss", "\"trend\", \"seed\", \"mse\"", "huber"],
    );
    rejects(
        &with_grid("activation = [\"relu\", \"gelu\"]"),
        &["activation", "\"linear\", \"relu\", \"tanh\"", "gelu"],
    );
    rejects(
        &with_grid("loss = \"trnd\""),
        &["loss", "did you mean \"trend\""],
    );
    rejects(
        "[data]\nkind = \"sine\"\nscale = \"minmax\"\n",
        &["[data] scale", "\"zscore\", \"none\""],
    );
    rejects(
        "[data]\npath = \"a.csv\"\ncolumn = \"y\"\nmissing = \"skip\"\n",
        &["[data] missing", "\"error\", \"drop\", \"interpolate\""],
    );
    rejects(
        "[data]\nkind = \"sinus\"\n",
        &["[data] kind", "\"sine\", \"ar2\", \"random_walk\""],
    );
}

#[test]
fn a_setting_in_both_grid_and_its_table_names_both_places() {
    rejects(
        &format!("{SINE}[train]\nlambda = 0.1\n[grid]\nlambda = [0.2]\n"),
        &["lambda", "[grid]", "[train]"],
    );
    rejects(
        "[data]\nkind = \"sine\"\nwindow = 8\n[grid]\nwindow = [4, 8]\n",
        &["window", "[grid]", "[data]"],
    );
}

#[test]
fn exactly_one_data_source_is_required() {
    rejects(
        "[train]\nepochs = 1\n",
        &["no data source", "path", "column", "kind"],
    );
    rejects(
        "[data]\nwindow = 8\n",
        &["[data]", "no data source", "path", "kind"],
    );
    rejects(
        "[data]\npath = \"a.csv\"\ncolumn = \"y\"\nkind = \"sine\"\n",
        &["path", "kind", "not both"],
    );
    rejects("[data]\npath = \"a.csv\"\n", &["column", "missing"]);
    rejects("[data]\ncolumn = \"y\"\n", &["path", "missing"]);
    rejects(
        "[data]\npath = \"a.csv\"\ncolumn = \"y\"\nnoise = 0.5\n",
        &["[data] noise", "synthetic"],
    );
    rejects(
        "[data]\nkind = \"sine\"\nmissing = \"drop\"\n",
        &["[data] missing", "file"],
    );
    rejects(
        "[data]\nkind = \"ar2\"\nperiod = 10\n",
        &["[data] period", "sine"],
    );
}

#[test]
fn unsafe_names_are_rejected() {
    for name in ["", "a/b", "..", "up/../x", "/abs", "a\\\\b", "x..y"] {
        rejects(&format!("name = \"{name}\"\n{SINE}"), &["name"]);
    }
    assert_eq!(
        parse(&format!("name = \"ok-name_1.2\"\n{SINE}")).name,
        "ok-name_1.2"
    );
}
