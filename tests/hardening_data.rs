//! Odd data files, as an adversary would give them: dates that are not ISO, missing-value
//! markers, Parquet columns polars cannot read, files too large or not regular files,
//! values beyond what f64 metrics and f32 training hold, and the small quirks of CSV files
//! exported by other tools. Each is either read correctly or refused with exit status 2,
//! one `error:` line naming the problem, and nothing written.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use trendsweep::config::{DataFile, Missing, Source};
use trendsweep::data::{Series, load_series};

use common::{Grid, Scene, csv};

/// A one-trial sweep of `grid` in `scene`, quietly.
fn sweep(scene: &Scene, grid: &Grid) -> Output {
    let path = scene.write("grid.toml", grid.text());
    scene.run(&path, &scene.out(), &["--quiet"])
}

/// The tiny grid on `column` of the file `path`, with `extra` lines in its `[data]` table.
fn data(path: &str, column: &str, extra: &str) -> Grid {
    Grid::file(path, column).lines("data", extra)
}

fn file_source(
    path: &Path,
    column: &str,
    sort_by: Option<&str>,
    date_format: Option<&str>,
    missing: Missing,
) -> Source {
    Source::File(DataFile {
        path: path.to_path_buf(),
        column: column.into(),
        features: vec![],
        sort_by: sort_by.map(String::from),
        date_format: date_format.map(String::from),
        rows: None,
        missing,
        series_column: None,
    })
}

fn load(source: &Source) -> Series {
    load_series(source)
        .unwrap_or_else(|e| panic!("loading {source:?}: {e:#}"))
        .0
}

/// 40 days from 2020-01-25 (so across a month and a year's start... of February), in a
/// shuffled order; `y` is the day's position in time, so the sorted series is 0, 1, 2, ...
fn shuffled_days(n: usize) -> Vec<(u32, u32, u32, usize)> {
    let month_days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut days = Vec::new();
    let (mut y, mut m, mut d) = (2019u32, 12u32, 20u32);
    for i in 0..n {
        days.push((y, m, d, i));
        d += 1;
        if d > month_days[(m - 1) as usize] {
            d = 1;
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
    }
    // A fixed permutation: 17 is coprime with every n used here.
    (0..n).map(|k| days[(k * 17) % n]).collect()
}

fn dmy_csv(n: usize) -> String {
    csv(
        "date,y",
        shuffled_days(n)
            .into_iter()
            .map(|(y, m, d, i)| format!("{d:02}/{m:02}/{y},{i}")),
    )
}

// ---------------------------------------------------------------------------------------
// Item 3: dates are parsed as dates, never sorted as text.

#[test]
fn day_month_year_dates_are_refused_without_date_format() {
    let scene = Scene::new();
    scene.write("s.csv", dmy_csv(60));
    let out = sweep(&scene, &data("s.csv", "y", "sort_by = \"date\""));
    scene.assert_refused(
        &out,
        &[
            "s.csv",
            "sort_by",
            "\"date\"",
            "data row 1 (line 2 of the file)",
            "not an ISO 8601 date",
            "date_format",
        ],
    );
}

#[test]
fn date_format_sorts_day_month_year_dates_as_dates() {
    let scene = Scene::new();
    let p = scene.write("s.csv", dmy_csv(60));
    let series = load(&file_source(
        &p,
        "y",
        Some("date"),
        Some("%d/%m/%Y"),
        Missing::Error,
    ));
    let expected: Vec<f64> = (0..60).map(|i| i as f64).collect();
    assert_eq!(*series.values, *expected);
    let out = sweep(
        &scene,
        &data(
            "s.csv",
            "y",
            "sort_by = \"date\"\ndate_format = \"%d/%m/%Y\"",
        ),
    );
    scene.assert_trained(&out);
}

#[test]
fn iso_dates_and_date_times_sort_in_time_order() {
    let scene = Scene::new();
    let mut dates = String::from("when,y\n");
    let mut times = String::from("when,y\n");
    for (y, m, d, i) in shuffled_days(60) {
        dates.push_str(&format!("{y}-{m:02}-{d:02},{i}\n"));
    }
    // Hours within one day, written with and without the T.
    for k in 0..24 {
        let h = (k * 5) % 24;
        let sep = if k % 2 == 0 { 'T' } else { ' ' };
        times.push_str(&format!("2021-03-04{sep}{h:02}:30:00,{h}\n"));
    }
    let p = scene.write("d.csv", dates);
    let series = load(&file_source(&p, "y", Some("when"), None, Missing::Error));
    assert_eq!(
        *series.values,
        *(0..60).map(|i| i as f64).collect::<Vec<_>>()
    );
    let p = scene.write("t.csv", &times);
    // Mixed separators are two formats: refused, naming the first row of the other one.
    let err = load_series(&file_source(&p, "y", Some("when"), None, Missing::Error))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("data row 2 (line 3 of the file)") && err.contains("2021-03-04 05:30:00"),
        "{err}"
    );
    let p = scene.write("t.csv", times.replace('T', " "));
    let series = load(&file_source(&p, "y", Some("when"), None, Missing::Error));
    assert_eq!(
        *series.values,
        *(0..24).map(|i| i as f64).collect::<Vec<_>>()
    );
    // A date-time format of one's own.
    let p = scene.write(
        "t2.csv",
        times
            .replace('T', " ")
            .replace("2021-03-04 ", "04.03.2021 "),
    );
    let series = load(&file_source(
        &p,
        "y",
        Some("when"),
        Some("%d.%m.%Y %H:%M:%S"),
        Missing::Error,
    ));
    assert_eq!(
        *series.values,
        *(0..24).map(|i| i as f64).collect::<Vec<_>>()
    );
}

#[test]
fn a_row_in_another_date_format_is_refused_naming_it() {
    let scene = Scene::new();
    let mut text = dmy_csv(60);
    // Data row 7 written the ISO way among day/month/year dates.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[7] = "2020-01-07,6".into();
    text = lines.join("\n") + "\n";
    scene.write("s.csv", text);
    let out = sweep(
        &scene,
        &data(
            "s.csv",
            "y",
            "sort_by = \"date\"\ndate_format = \"%d/%m/%Y\"",
        ),
    );
    scene.assert_refused(
        &out,
        &[
            "s.csv",
            "data row 7 (line 8 of the file)",
            "\"2020-01-07\"",
            "%d/%m/%Y",
        ],
    );
}

#[test]
fn date_format_without_sort_by_is_refused() {
    let scene = Scene::new();
    scene.write("s.csv", dmy_csv(60));
    let out = sweep(&scene, &data("s.csv", "y", "date_format = \"%d/%m/%Y\""));
    scene.assert_refused(&out, &["grid.toml", "date_format", "sort_by"]);
    // Local times only: an offset would order instants by their local clock.
    let out = sweep(
        &scene,
        &data(
            "s.csv",
            "y",
            "sort_by = \"date\"\ndate_format = \"%d/%m/%Y %H:%M %z\"",
        ),
    );
    scene.assert_refused(&out, &["grid.toml", "date_format", "time zones"]);
    let out = sweep(
        &scene,
        &data(
            "s.csv",
            "y",
            "sort_by = \"date\"\ndate_format = \"dd/mm/yyyy\"",
        ),
    );
    scene.assert_refused(&out, &["grid.toml", "date_format", "%d/%m/%Y"]);
}

#[test]
fn date_format_with_a_numeric_sort_key_is_refused() {
    let scene = Scene::new();
    let text = csv(
        "t,y",
        (0..40).map(|i| format!("{},{}", (i * 7) % 40, i % 9)),
    );
    scene.write("s.csv", text);
    let out = sweep(
        &scene,
        &data("s.csv", "y", "sort_by = \"t\"\ndate_format = \"%Y\""),
    );
    scene.assert_refused(&out, &["s.csv", "date_format", "\"t\"", "numbers"]);
}

#[test]
fn a_sort_key_that_is_neither_numbers_nor_dates_is_refused() {
    let scene = Scene::new();
    let text = csv(
        "label,y",
        (0..40).map(|i| format!("item{},{}", (i * 7) % 40, i % 9)),
    );
    scene.write("s.csv", &text);
    let out = sweep(&scene, &data("s.csv", "y", "sort_by = \"label\""));
    scene.assert_refused(&out, &["s.csv", "\"label\"", "\"item0\"", "date_format"]);
    let scene = Scene::new();
    scene.write("s.csv", text.replace("item", "").replace("\n7,", "\n,"));
    let out = sweep(&scene, &data("s.csv", "y", "sort_by = \"label\""));
    scene.assert_refused(
        &out,
        &[
            "s.csv",
            "\"label\"",
            "no value",
            "data row 2 (line 3 of the file)",
        ],
    );
}

#[test]
fn parquet_date_columns_sort_as_dates() {
    let scene = Scene::new();
    // 60 rows of `day` (Date32) in shuffled order, with y the value of that day.
    let p = scene.fixture("decimal_column.parquet");
    let sorted = load(&file_source(&p, "y", Some("day"), None, Missing::Error));
    let unsorted = load(&file_source(&p, "y", None, None, Missing::Error));
    let expected: Vec<f64> = (0..60)
        .map(|i| ((i * 7) % 11) as f64 + 0.5 * i as f64)
        .collect();
    assert_eq!(*sorted.values, *expected);
    assert_ne!(*unsorted.values, *expected);
    let out = sweep(
        &scene,
        &data(
            "decimal_column.parquet",
            "y",
            "sort_by = \"day\"\ndate_format = \"%Y-%m-%d\"",
        ),
    );
    scene.assert_refused(&out, &["date_format", "\"day\"", "dates already"]);
}

// ---------------------------------------------------------------------------------------
// Item 4: the usual missing-value markers are missing values.

fn markers_csv() -> String {
    let markers = ["NA", "N/A", "null", "NaN", "nan", "None", ""];
    let mut text = String::from("t,y\n");
    for i in 0..60 {
        let y = if (10..10 + markers.len()).contains(&i) && i % 2 == 0 {
            markers[i - 10].to_string()
        } else if (30..30 + markers.len()).contains(&i) {
            markers[i - 30].to_string()
        } else {
            format!("{}", i % 9)
        };
        text.push_str(&format!("{i},{y}\n"));
    }
    text
}

#[test]
fn missing_markers_follow_the_missing_policy() {
    let scene = Scene::new();
    let p = scene.write("s.csv", markers_csv());
    // Rows 10, 12, 14, 16 and 30..37: 4 + 7 markers.
    let dropped = load(&file_source(&p, "y", None, None, Missing::Drop));
    assert_eq!(dropped.values.len(), 60 - 11);
    let filled = load(&file_source(&p, "y", None, None, Missing::Interpolate));
    assert_eq!(filled.values.len(), 60);
    // Row 10 (NA) lies between 9 % 9 = 0 and 11 % 9 = 2.
    assert_eq!(filled.values[10], 1.0);
    let out = sweep(&scene, &data("s.csv", "y", "missing = \"drop\""));
    scene.assert_trained(&out);
}

#[test]
fn missing_markers_under_the_error_policy_name_the_policies_that_accept_them() {
    let scene = Scene::new();
    scene.write("s.csv", markers_csv());
    let out = sweep(&scene, &data("s.csv", "y", ""));
    scene.assert_refused(
        &out,
        &[
            "s.csv",
            "\"y\"",
            "11 missing",
            "data row 11 (line 12 of the file)",
            "missing = \"drop\"",
            "\"interpolate\"",
        ],
    );
}

#[test]
fn a_word_among_numbers_is_still_text_and_named_by_its_file_row() {
    let scene = Scene::new();
    let mut text = String::from("t,y\n");
    for i in 0..40 {
        let y = if i == 33 {
            "oops".to_string()
        } else {
            format!("{}", i % 9)
        };
        // Sorting by t reverses the rows: the message must still name the file's row.
        text.push_str(&format!("{},{y}\n", 40 - i));
    }
    scene.write("s.csv", text);
    let out = sweep(
        &scene,
        &data("s.csv", "y", "sort_by = \"t\"\nmissing = \"drop\""),
    );
    scene.assert_refused(
        &out,
        &[
            "s.csv",
            "\"y\"",
            "text values",
            "data row 34 (line 35 of the file)",
            "\"oops\"",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Item 8: only the named Parquet columns are read; other types are refused clearly.

#[test]
fn an_unused_decimal_or_float16_parquet_column_does_not_matter() {
    for name in ["decimal_column.parquet", "float16_column.parquet"] {
        let scene = Scene::new();
        scene.fixture(name);
        let out = sweep(&scene, &data(name, "y", "sort_by = \"day\""));
        scene.assert_trained(&out);
    }
}

#[test]
fn a_named_decimal_or_float16_parquet_column_is_refused_naming_its_type() {
    let scene = Scene::new();
    scene.fixture("decimal_column.parquet");
    let out = sweep(&scene, &data("decimal_column.parquet", "price", ""));
    scene.assert_refused(
        &out,
        &[
            "decimal_column.parquet",
            "\"price\"",
            "Decimal(10, 2)",
            "Float64",
        ],
    );
    let scene = Scene::new();
    scene.fixture("float16_column.parquet");
    let out = sweep(
        &scene,
        &data("float16_column.parquet", "y", "features = [\"half\"]"),
    );
    scene.assert_refused(
        &out,
        &["float16_column.parquet", "features", "\"half\"", "Float16"],
    );
    let out = sweep(
        &scene,
        &data("float16_column.parquet", "y", "sort_by = \"nope\""),
    );
    scene.assert_refused(&out, &["sort_by = \"nope\"", "day, y, half"]);
}

/// A target, feature or time column of a type trendsweep does not read is named once, by
/// its role: "the target column "value"", never "column column".
#[test]
fn an_unreadable_parquet_column_is_named_once_by_its_role() {
    let cases = [
        (
            "decimal_column.parquet",
            "price",
            "",
            "the target column \"price\"",
            "Decimal(10, 2)",
        ),
        (
            "list_column.parquet",
            "value",
            "",
            "the target column \"value\"",
            "List",
        ),
        (
            "float16_column.parquet",
            "y",
            "features = [\"half\"]",
            "the feature column (features) \"half\"",
            "Float16",
        ),
        (
            "list_column.parquet",
            "y",
            "sort_by = \"value\"",
            "the time column (sort_by) \"value\"",
            "List",
        ),
    ];
    for (file, column, extra, named, dtype) in cases {
        let scene = Scene::new();
        scene.fixture(file);
        let out = sweep(&scene, &data(file, column, extra));
        let stderr = scene.assert_refused(&out, &[file, named, dtype]);
        assert!(
            !stderr.contains("column column") && !stderr.contains("features column"),
            "{stderr}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Item 9: a file too large to hold is refused before it is read.

#[test]
fn a_two_gib_file_is_refused_before_reading() {
    let scene = Scene::new();
    let p = scene.path("big.csv");
    // Sparse: no disk space is used.
    std::fs::File::create(&p).unwrap().set_len(2 << 30).unwrap();
    let started = Instant::now();
    let out = sweep(&scene, &data("big.csv", "y", ""));
    scene.assert_refused(&out, &["big.csv", "2.0 GiB", "1.0 GiB"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------
// Item 16: values beyond what f64 metrics and f32 training hold.

fn scaled_csv(factor: f64) -> String {
    csv(
        "t,y",
        (0..60).map(|i| format!("{i},{:e}", factor * (1.0 + (i % 7) as f64))),
    )
}

#[test]
fn huge_and_tiny_values_are_refused_for_their_range_not_as_constant() {
    let scene = Scene::new();
    scene.write("s.csv", scaled_csv(1e200));
    let err = scene.assert_refused(
        &sweep(&scene, &data("s.csv", "y", "")),
        &["s.csv", "\"y\"", "7e200", "1e100", "f64"],
    );
    assert!(!err.contains("constant"), "{err}");
    scene.write("s.csv", scaled_csv(1e-200));
    let err = scene.assert_refused(
        &sweep(&scene, &data("s.csv", "y", "")),
        &["s.csv", "\"y\"", "6e-200", "1e-100", "f64"],
    );
    assert!(!err.contains("constant"), "{err}");
    // Without scaling the model sees the values in f32.
    scene.write("s.csv", scaled_csv(1e30));
    scene.assert_refused(
        &sweep(&scene, &data("s.csv", "y", "scale = \"none\"")),
        &["s.csv", "f32", "scale = \"zscore\""],
    );
    scene.write("s.csv", scaled_csv(1e-30));
    scene.assert_refused(
        &sweep(&scene, &data("s.csv", "y", "scale = \"none\"")),
        &["s.csv", "f32", "scale = \"zscore\""],
    );
}

#[test]
fn large_and_small_values_within_range_train() {
    for factor in [1e30, 1e-30] {
        let scene = Scene::new();
        scene.write("s.csv", scaled_csv(factor));
        let out = sweep(&scene, &data("s.csv", "y", ""));
        scene.assert_trained(&out);
    }
}

// ---------------------------------------------------------------------------------------
// Item 17: a FIFO (or any file that is not a regular file) is refused, not opened.

#[test]
fn a_fifo_as_the_data_file_is_refused_without_blocking() {
    let scene = Scene::new();
    let p = scene.path("pipe.csv");
    let made = Command::new("mkfifo")
        .arg(&p)
        .status()
        .expect("running mkfifo");
    assert!(made.success());
    let grid = scene.write("grid.toml", data("pipe.csv", "y", "").text());
    let mut child = scene
        .command(&grid, &scene.out(), &["--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("trendsweep blocked on the FIFO");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    scene.assert_refused(&out, &["pipe.csv", "FIFO", "regular file"]);
    let out = sweep(&scene, &data("/dev/zero", "y", ""));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("/dev/zero") && stderr.contains("device"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------
// CSV files as other tools write them.

fn plain_rows(n: usize) -> Vec<(usize, f64)> {
    (0..n).map(|i| (i, ((i * 7) % 11) as f64 + 0.25)).collect()
}

#[test]
fn a_byte_order_mark_crlf_lines_and_quoted_numbers_read_as_plain_csv() {
    let scene = Scene::new();
    let rows = plain_rows(40);
    let mut text = String::from("\u{feff}t,y\r\n");
    for (i, y) in rows.iter().rev() {
        text.push_str(&format!("{i},\"{y}\"\r\n"));
    }
    let p = scene.write("s.csv", text);
    // The first column is found by its name, without the mark.
    let series = load(&file_source(&p, "y", Some("t"), None, Missing::Error));
    let expected: Vec<f64> = rows.iter().map(|r| r.1).collect();
    assert_eq!(*series.values, *expected);
    let out = sweep(&scene, &data("s.csv", "y", "sort_by = \"t\""));
    scene.assert_trained(&out);
}

#[test]
fn a_semicolon_separated_file_is_refused_saying_so() {
    let scene = Scene::new();
    let text = csv(
        "t;y",
        plain_rows(40).into_iter().map(|(i, y)| format!("{i};{y}")),
    );
    scene.write("s.csv", text);
    let out = sweep(&scene, &data("s.csv", "y", ""));
    scene.assert_refused(&out, &["s.csv", "\";\"", "comma"]);
}

#[test]
fn a_header_only_file_is_refused_as_too_short() {
    let scene = Scene::new();
    scene.write("s.csv", "t,y\n");
    let out = sweep(&scene, &data("s.csv", "y", ""));
    scene.assert_refused(&out, &["s.csv", "0 rows", "at least"]);
}

#[test]
fn duplicate_column_names_are_refused_naming_the_column() {
    let scene = Scene::new();
    let text = csv(
        "t,y,y",
        plain_rows(40)
            .into_iter()
            .map(|(i, y)| format!("{i},{y},{}", y * 2.0)),
    );
    scene.write("s.csv", text);
    let out = sweep(&scene, &data("s.csv", "y", ""));
    scene.assert_refused(&out, &["s.csv", "\"y\""]);
}

#[test]
fn a_sort_key_with_nan_or_spaces_around_dates() {
    let scene = Scene::new();
    let mut text = String::from("t,y\n");
    for i in 0..40 {
        let t = if i == 8 {
            "NaN".to_string()
        } else {
            format!("{}.5", (i * 7) % 40)
        };
        text.push_str(&format!("{t},{}\n", i % 9));
    }
    scene.write("s.csv", text);
    let out = sweep(&scene, &data("s.csv", "y", "sort_by = \"t\""));
    scene.assert_refused(
        &out,
        &[
            "s.csv",
            "\"t\"",
            "no value",
            "data row 9 (line 10 of the file)",
        ],
    );
    let text = csv(
        "d,y",
        shuffled_days(40)
            .into_iter()
            .map(|(y, m, d, i)| format!(" {y}-{m:02}-{d:02} ,{i}")),
    );
    let p = scene.write("d.csv", text);
    let series = load(&file_source(&p, "y", Some("d"), None, Missing::Error));
    assert_eq!(
        *series.values,
        *(0..40).map(|i| i as f64).collect::<Vec<_>>()
    );
}

#[test]
fn a_sparse_file_under_the_size_limit_is_refused_by_its_first_line() {
    let scene = Scene::new();
    let p = scene.path("zeros.csv");
    // 512 MiB of zeros: no header line, read whole it would take gigabytes.
    std::fs::File::create(&p)
        .unwrap()
        .set_len(512 << 20)
        .unwrap();
    let started = Instant::now();
    let out = sweep(&scene, &data("zeros.csv", "y", ""));
    scene.assert_refused(&out, &["zeros.csv", "first line", "header"]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let mut text = b"t,y\0\n".to_vec();
    for i in 0..40 {
        text.extend(format!("{i},{}\n", i % 7).bytes());
    }
    scene.write("nul.csv", text);
    let out = sweep(&scene, &data("nul.csv", "y", ""));
    scene.assert_refused(&out, &["nul.csv", "NUL"]);
}

#[test]
fn blank_lines_at_the_end_are_not_missing_values_and_cr_only_lines_are_named() {
    let scene = Scene::new();
    let text = csv(
        "t,y",
        plain_rows(40).into_iter().map(|(i, y)| format!("{i},{y}")),
    );
    let p = scene.write("s.csv", format!("{text}\n\r\n\n"));
    let series = load(&file_source(&p, "y", None, None, Missing::Error));
    assert_eq!(series.values.len(), 40);
    // A blank line inside the data is still a row with missing values.
    let inner = text.replacen("5,", "\n5,", 1);
    let p = scene.write("inner.csv", &inner);
    let err = load_series(&file_source(&p, "y", None, None, Missing::Error))
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 missing"), "{err}");
    scene.write("cr.csv", text.replace('\n', "\r"));
    let out = sweep(&scene, &data("cr.csv", "y", ""));
    scene.assert_refused(&out, &["cr.csv", "carriage return"]);
}
