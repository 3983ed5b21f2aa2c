//! The data loaders on small files made here: CSV and Parquet through polars, the `missing`
//! policies, `features`, `sort_by`, `rows`, the fingerprint, and one real sweep on the
//! shipped Microsoft series with a feature column.

mod common;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use trendsweep::config::{DataFile, Missing, Scale, Source, SplitSpec, Synthetic, SyntheticKind};
use trendsweep::data::{Dataset, Fingerprint, Series, load_series};
use trendsweep::error::is_bad_input;

use common::{csv, read_parquet, run_in as trendsweep, strings, write};

fn file(path: &Path, column: &str) -> Source {
    Source::File(DataFile {
        path: path.to_path_buf(),
        column: column.into(),
        features: vec![],
        sort_by: None,
        date_format: None,
        rows: None,
        missing: Missing::Error,
        series_column: None,
    })
}

/// `file(...)` with one field changed.
fn with(
    source: Source,
    f: impl FnOnce(&mut Vec<String>, &mut Option<String>, &mut Option<(usize, usize)>, &mut Missing),
) -> Source {
    let Source::File(mut file) = source else {
        panic!("not a file source")
    };
    f(
        &mut file.features,
        &mut file.sort_by,
        &mut file.rows,
        &mut file.missing,
    );
    Source::File(file)
}

fn missing(source: Source, policy: Missing) -> Source {
    with(source, |_, _, _, m| *m = policy)
}

fn load(source: &Source) -> (Series, Fingerprint) {
    load_series(source).unwrap_or_else(|e| panic!("loading {source:?}: {e:#}"))
}

/// The message of a load that must fail as bad input.
fn load_err(source: &Source) -> String {
    match load_series(source) {
        Ok((s, _)) => panic!("loading {source:?} succeeded: {:?}", s.values),
        Err(e) => {
            assert!(is_bad_input(&e), "not marked as bad input: {e:#}");
            format!("{e:#}")
        }
    }
}

fn write_parquet(dir: &Path, name: &str, mut df: DataFrame) -> PathBuf {
    let p = dir.join(name);
    ParquetWriter::new(std::fs::File::create(&p).unwrap())
        .finish(&mut df)
        .unwrap();
    p
}

// ---------------------------------------------------------------------------------------
// CSV and Parquet.

#[test]
fn csv_with_quoted_fields_and_a_header() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        tmp.path(),
        "q.csv",
        "\"date\",\"close price\",\"note\",volume\n\
         \"2020-01-01\",\"1.5\",\"calm, quiet\",10\n\
         \"2020-01-02\",\"2.25\",\"said \"\"hi\"\"\",20\n\
         \"2020-01-03\",\"-3\",\"\",30\n",
    );
    let (s, fp) = load(&file(&p, "close price"));
    assert_eq!(*s.values, [1.5, 2.25, -3.0]);
    assert_eq!(s.name, "close price");
    assert_eq!(fp.rows, 3);
    let (s, _) = load(&with(file(&p, "volume"), |f, _, _, _| {
        f.push("close price".into())
    }));
    assert_eq!(*s.values, [10.0, 20.0, 30.0]);
    assert_eq!(
        s.features,
        [("close price".to_string(), vec![1.5, 2.25, -3.0])]
    );
    // The quoted text column is not a number, and the message shows the first text value.
    let err = load_err(&file(&p, "note"));
    assert!(
        err.contains("\"note\"") && err.contains("not numbers") && err.contains("calm, quiet"),
        "{err}"
    );
}

#[test]
fn csv_with_windows_line_endings_and_a_byte_order_mark() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        tmp.path(),
        "excel.csv",
        "\u{feff}t,y\r\n0,1.5\r\n1,2.5\r\n2,4.5\r\n",
    );
    let (s, _) = load(&file(&p, "y"));
    assert_eq!(*s.values, [1.5, 2.5, 4.5]);
    // The first column's name is "t", not "\u{feff}t".
    let (s, _) = load(&file(&p, "t"));
    assert_eq!(*s.values, [0.0, 1.0, 2.0]);
}

#[test]
fn csv_text_far_down_a_column_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = csv("y", (0..12_000).map(|i| format!("{i}")));
    // A word that is not a missing-value marker (`n/a`, `NA` and the like count as missing).
    text.push_str("unknown\n");
    let p = write(tmp.path(), "long.csv", &text);
    let err = load_err(&file(&p, "y"));
    assert!(
        err.contains("not numbers") && err.contains("row 12001") && err.contains("unknown"),
        "{err}"
    );
}

#[test]
fn parquet_with_several_numeric_types() {
    let tmp = tempfile::tempdir().unwrap();
    let df = df!(
        "i32" => [1i32, -2, 3, 4],
        "i64" => [10i64, 20, -30, 40],
        "f32" => [0.5f32, 1.25, 2.0, -0.75],
        "f64" => [0.1f64, 0.2, 0.3, 0.4],
        "u16" => [1u16, 2, 65535, 0],
        "i8" => [-1i8, 0, 1, 2],
        "u8" => [255u8, 0, 1, 2],
        "i16" => [-300i16, 0, 300, 1],
        "u32" => [7u32, 8, 9, 10],
        "u64" => [1u64 << 40, 0, 1, 2],
        "text" => ["a", "b", "c", "d"],
    )
    .unwrap();
    let p = write_parquet(tmp.path(), "types.parquet", df);
    let expect: [(&str, [f64; 4]); 10] = [
        ("i32", [1.0, -2.0, 3.0, 4.0]),
        ("i64", [10.0, 20.0, -30.0, 40.0]),
        ("f32", [0.5, 1.25, 2.0, -0.75]),
        ("f64", [0.1, 0.2, 0.3, 0.4]),
        ("u16", [1.0, 2.0, 65535.0, 0.0]),
        ("i8", [-1.0, 0.0, 1.0, 2.0]),
        ("u8", [255.0, 0.0, 1.0, 2.0]),
        ("i16", [-300.0, 0.0, 300.0, 1.0]),
        ("u32", [7.0, 8.0, 9.0, 10.0]),
        ("u64", [(1u64 << 40) as f64, 0.0, 1.0, 2.0]),
    ];
    for (column, values) in expect {
        let (s, fp) = load(&file(&p, column));
        assert_eq!(*s.values, values, "{column}");
        assert_eq!(fp.rows, 4);
        assert_eq!(fp.file_bytes, Some(std::fs::metadata(&p).unwrap().len()));
    }
    // Every type also works as a feature.
    let source = with(file(&p, "f64"), |f, _, _, _| {
        f.extend(["i32", "u16", "f32"].map(String::from))
    });
    let (s, _) = load(&source);
    let names: Vec<&str> = s.features.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["i32", "u16", "f32"]);
    assert_eq!(s.features[1].1, [1.0, 2.0, 65535.0, 0.0]);
    let err = load_err(&file(&p, "text"));
    assert!(
        err.contains("\"text\"") && err.contains("not numbers"),
        "{err}"
    );
    let err = load_err(&file(&p, "nope"));
    assert!(
        err.contains("i32, i64, f32, f64, u16") && err.contains("text"),
        "{err}"
    );
    assert!(
        !err.contains("__trendsweep"),
        "the loader's own row index leaks into {err}"
    );
}

#[test]
fn parquet_nulls_and_nan_are_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let df = df!(
        "y" => [Some(1.0f64), None, Some(3.0), Some(f64::NAN), Some(5.0)],
        "n" => [Some(1i64), Some(2), None, Some(4), Some(5)],
    )
    .unwrap();
    let p = write_parquet(tmp.path(), "nulls.parquet", df);
    let err = load_err(&file(&p, "y"));
    assert!(
        err.contains("\"y\"") && err.contains("2 missing") && err.contains("row 2"),
        "{err}"
    );
    // A Parquet file has no header line to count.
    assert!(!err.contains("line"), "{err}");
    let (s, fp) = load(&missing(file(&p, "y"), Missing::Interpolate));
    assert_eq!(*s.values, [1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(fp.missing_handled, 2);
    let (s, _) = load(&missing(file(&p, "n"), Missing::Interpolate));
    assert_eq!(*s.values, [1.0, 2.0, 3.0, 4.0, 5.0]);
    // A row missing in any column used is missing: y misses rows 2 and 4, n row 3.
    let (s, fp) = load(&missing(
        with(file(&p, "y"), |f, _, _, _| f.push("n".into())),
        Missing::Drop,
    ));
    assert_eq!(*s.values, [1.0, 5.0]);
    assert_eq!(s.features[0].1, [1.0, 5.0]);
    assert_eq!(fp.missing_handled, 3);
}

// ---------------------------------------------------------------------------------------
// Missing values in a CSV.

/// Empty cells in rows 3, 5, 6 (data rows, counting from 1) and NaN in row 9.
const GAPPY: &str = "t,y\n0,1\n1,2\n2,\n3,4\n4,\n5,\n6,7\n7,8\n8,NaN\n9,10\n";

#[test]
fn missing_error_names_the_column_the_first_row_and_the_count() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "gappy.csv", GAPPY);
    let err = load_err(&file(&p, "y"));
    assert!(err.starts_with(&p.display().to_string()), "{err}");
    assert!(err.contains("column \"y\""), "{err}");
    assert!(err.contains("4 missing"), "{err}");
    assert!(err.contains("data row 3 (line 4 of the file)"), "{err}");
    assert!(err.contains("missing = \"drop\""), "{err}");
    // The complete column loads.
    assert_eq!(load(&file(&p, "t")).0.values.len(), 10);
}

#[test]
fn missing_drop_removes_those_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "gappy.csv", GAPPY);
    let (s, fp) = load(&missing(file(&p, "y"), Missing::Drop));
    assert_eq!(*s.values, [1.0, 2.0, 4.0, 7.0, 8.0, 10.0]);
    assert_eq!(fp.rows, 6);
    assert_eq!(fp.missing_handled, 4);
    // Features lose the same rows.
    let (s, _) = load(&missing(
        with(file(&p, "y"), |f, _, _, _| f.push("t".into())),
        Missing::Drop,
    ));
    assert_eq!(s.features[0].1, [0.0, 1.0, 3.0, 6.0, 7.0, 9.0]);
}

#[test]
fn missing_interpolate_fills_linearly_between_neighbours() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "gappy.csv", GAPPY);
    let (s, fp) = load(&missing(file(&p, "y"), Missing::Interpolate));
    // Row 3 between 2 and 4; rows 5 and 6 between 4 and 7; row 9 between 8 and 10.
    assert_eq!(
        *s.values,
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    );
    assert_eq!(fp.rows, 10);
    assert_eq!(fp.missing_handled, 4);

    let p = write(tmp.path(), "uneven.csv", "y\n0.5\n\n\n\n2.5\n-1\n\n1\n");
    let (s, _) = load(&missing(file(&p, "y"), Missing::Interpolate));
    assert_eq!(*s.values, [0.5, 1.0, 1.5, 2.0, 2.5, -1.0, 0.0, 1.0]);
}

#[test]
fn missing_interpolate_refuses_a_gap_at_either_edge() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "start.csv", "t,y\n0,\n1,\n2,3\n3,4\n");
    let err = load_err(&missing(file(&p, "y"), Missing::Interpolate));
    assert!(
        err.contains("\"y\"")
            && err.contains("start")
            && err.contains("data rows 1 to 2 (lines 2 to 3 of the file)"),
        "{err}"
    );
    assert!(
        err.contains("rows = [start, end)") && err.contains("drop"),
        "{err}"
    );

    let p = write(tmp.path(), "end.csv", "t,y\n0,1\n1,2\n2,\n");
    let err = load_err(&missing(file(&p, "y"), Missing::Interpolate));
    assert!(
        err.contains("\"y\"")
            && err.contains("end")
            && err.contains("data row 3 (line 4 of the file)"),
        "{err}"
    );
    // Slicing the gap away makes it loadable, as the message says.
    let (s, _) = load(&missing(
        with(file(&p, "y"), |_, _, r, _| *r = Some((0, 2))),
        Missing::Interpolate,
    ));
    assert_eq!(*s.values, [1.0, 2.0]);
}

#[test]
fn infinite_values_count_as_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "inf.csv", "y\n1\ninf\n3\n-inf\n5\n");
    let err = load_err(&file(&p, "y"));
    assert!(
        err.contains("2 missing") && err.contains("data row 2"),
        "{err}"
    );
    let (s, _) = load(&missing(file(&p, "y"), Missing::Interpolate));
    assert_eq!(*s.values, [1.0, 2.0, 3.0, 4.0, 5.0]);
}

#[test]
fn an_empty_column_is_missing_not_text() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "empty.csv", "t,y\n0,\n1,\n2,\n");
    let err = load_err(&file(&p, "y"));
    assert!(err.contains("3 missing"), "{err}");
}

#[test]
fn missing_rows_are_numbered_as_in_the_file_after_sort_and_slice() {
    let tmp = tempfile::tempdir().unwrap();
    // Data rows 1..=6; after sorting by t, the empty cell (data row 2) comes fourth.
    let p = write(
        tmp.path(),
        "shuffled.csv",
        "t,y\n5,50\n3,\n0,0\n1,10\n2,20\n4,40\n",
    );
    let source = with(file(&p, "y"), |_, s, r, _| {
        *s = Some("t".into());
        *r = Some((1, 5));
    });
    let err = load_err(&source);
    assert!(err.contains("data row 2 (line 3 of the file)"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Features, sorting and slicing.

#[test]
fn features_join_the_windowed_input() {
    let tmp = tempfile::tempdir().unwrap();
    let text = csv(
        "y,a,b",
        (0..10).map(|i| format!("{i},{},{}", 100 + i, 1000 + 2 * i)),
    );
    let p = write(tmp.path(), "f.csv", &text);
    let (s, _) = load(&with(file(&p, "y"), |f, _, _, _| {
        f.extend(["b".into(), "a".into()])
    }));
    let spec = SplitSpec {
        val_fraction: 0.0,
        scale: Scale::None,
        ..SplitSpec::default()
    };
    let d = Dataset::build(&s, 3, &spec).unwrap();
    assert_eq!(d.n_inputs, 9);
    assert_eq!(d.train.len(), 7);
    // Sample 0: the target's window, then each feature's window in the order listed.
    assert_eq!(
        d.train.inputs(0..1),
        [0.0, 1.0, 2.0, 1000.0, 1002.0, 1004.0, 100.0, 101.0, 102.0]
    );
    assert_eq!(d.train.y(0), 3.0);
    // The last sample ends just before its target.
    assert_eq!(
        d.train.inputs(6..7),
        [6.0, 7.0, 8.0, 1012.0, 1014.0, 1016.0, 106.0, 107.0, 108.0]
    );
    assert_eq!(d.train.y(6), 9.0);

    // With z-scoring each column is scaled by its own training statistics.
    let spec = SplitSpec {
        val_fraction: 0.0,
        ..SplitSpec::default()
    };
    let d = Dataset::build(&s, 3, &spec).unwrap();
    let row = d.train.inputs(0..1);
    let (b_first, a_first) = (row[3], row[6]);
    assert!(
        (b_first - a_first).abs() < 1e-5,
        "b = 1000 + 2i and a = 100 + i scale alike: {b_first} vs {a_first}"
    );
    assert!((row[0] - a_first).abs() < 1e-5);
}

#[test]
fn sort_by_orders_the_rows_first() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        tmp.path(),
        "shuffled.csv",
        "date,y,v\n2020-01-04,4,40\n2020-01-01,1,10\n2020-01-05,5,50\n2020-01-03,3,30\n2020-01-02,2,20\n",
    );
    let (s, _) = load(&with(file(&p, "y"), |f, s, _, _| {
        f.push("v".into());
        *s = Some("date".into());
    }));
    assert_eq!(*s.values, [1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(s.features[0].1, [10.0, 20.0, 30.0, 40.0, 50.0]);
    // A numeric key works too, and the unsorted file keeps its own order.
    let (s, _) = load(&with(file(&p, "v"), |_, s, _, _| *s = Some("y".into())));
    assert_eq!(*s.values, [10.0, 20.0, 30.0, 40.0, 50.0]);
    assert_eq!(*load(&file(&p, "y")).0.values, [4.0, 1.0, 5.0, 3.0, 2.0]);
    let err = load_err(&with(file(&p, "y"), |_, s, _, _| *s = Some("day".into())));
    assert!(
        err.contains("sort_by") && err.contains("\"day\"") && err.contains("date, y, v"),
        "{err}"
    );
}

#[test]
fn rows_slices_after_sorting() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        tmp.path(),
        "r.csv",
        "t,y\n3,30\n0,0\n4,40\n1,10\n2,20\n5,50\n",
    );
    let (s, fp) = load(&with(file(&p, "y"), |_, _, r, _| *r = Some((1, 4))));
    assert_eq!(*s.values, [0.0, 40.0, 10.0]);
    assert_eq!(fp.rows, 3);
    let (s, _) = load(&with(file(&p, "y"), |_, s, r, _| {
        *s = Some("t".into());
        *r = Some((1, 4));
    }));
    assert_eq!(*s.values, [10.0, 20.0, 30.0]);
    let (s, _) = load(&with(file(&p, "y"), |_, _, r, _| *r = Some((0, 6))));
    assert_eq!(s.values.len(), 6);
    let err = load_err(&with(file(&p, "y"), |_, _, r, _| *r = Some((2, 7))));
    assert!(
        err.contains("rows = [2, 7)") && err.contains("6 rows"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// The fingerprint.

#[test]
fn fingerprint_changes_with_the_values_used_and_only_with_them() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "t,y,other\n0,1.5,7\n1,2.5,8\n2,3.5,9\n";
    let p = write(tmp.path(), "a.csv", text);
    let (_, base) = load(&file(&p, "y"));
    assert_eq!(base.values_sha256.len(), 64);
    assert_eq!(base.rows, 3);

    // Loading again, or an identical copy elsewhere, or the same file through another path.
    assert_eq!(load(&file(&p, "y")).1, base);
    let copy = write(tmp.path(), "copy.csv", text);
    assert_eq!(load(&file(&copy, "y")).1, base);
    std::fs::create_dir(tmp.path().join("sub")).unwrap();
    let detour = tmp.path().join("sub").join("..").join("a.csv");
    assert_eq!(load(&file(&detour, "y")).1, base);
    // A column the grid does not use may change.
    let p2 = write(
        tmp.path(),
        "b.csv",
        "t,y,other\n0,1.5,7000\n1,2.5,8\n2,3.5,9\n",
    );
    assert_eq!(load(&file(&p2, "y")).1, base);

    // One value changed (same file size).
    let p3 = write(
        tmp.path(),
        "c.csv",
        "t,y,other\n0,1.5,7\n1,2.6,8\n2,3.5,9\n",
    );
    let (_, changed) = load(&file(&p3, "y"));
    assert_ne!(changed, base);
    assert_ne!(changed.values_sha256, base.values_sha256);
    // Another column, a feature added, fewer rows: other data.
    assert_ne!(load(&file(&p, "other")).1, base);
    assert_ne!(
        load(&with(file(&p, "y"), |f, _, _, _| f.push("other".into()))).1,
        base
    );
    assert_ne!(
        load(&with(file(&p, "y"), |_, _, r, _| *r = Some((0, 2)))).1,
        base
    );
    // Swapping target and feature values is not the same data either.
    let xy = load(&with(file(&p, "y"), |f, _, _, _| f.push("t".into()))).1;
    let yx = load(&with(file(&p, "t"), |f, _, _, _| f.push("y".into()))).1;
    assert_ne!(xy, yx);
}

#[test]
fn synthetic_series_fingerprint_follows_kind_seed_and_parameters() {
    let synth = |kind, seed, noise| {
        Source::Synthetic(Synthetic {
            kind,
            length: 300,
            noise,
            period: 25.0,
            phi: [0.5, -0.2],
            drift: 0.0,
            seed,
            series: None,
        })
    };
    let (s, base) = load(&synth(SyntheticKind::Sine, 1, 0.1));
    assert_eq!(s.values.len(), 300);
    assert_eq!(base.rows, 300);
    assert_eq!(base.file_bytes, None);
    assert!(
        base.source.contains("sine") && base.source.contains("seed 1"),
        "{}",
        base.source
    );
    assert_eq!(load(&synth(SyntheticKind::Sine, 1, 0.1)).1, base);
    assert_ne!(load(&synth(SyntheticKind::Sine, 2, 0.1)).1, base);
    assert_ne!(load(&synth(SyntheticKind::Sine, 1, 0.2)).1, base);
    assert_ne!(load(&synth(SyntheticKind::Ar2, 1, 0.1)).1, base);
    assert_ne!(load(&synth(SyntheticKind::RandomWalk, 1, 0.1)).1, base);
}

#[test]
fn synthetic_random_walk_without_noise_is_a_straight_line() {
    let source = Source::Synthetic(Synthetic {
        kind: SyntheticKind::RandomWalk,
        length: 50,
        noise: 0.0,
        period: 1.0,
        phi: [0.0, 0.0],
        drift: 0.5,
        seed: 9,
        series: None,
    });
    let (s, _) = load(&source);
    for (t, v) in s.values.iter().enumerate() {
        assert!((v - 0.5 * (t + 1) as f64).abs() < 1e-12, "{t}: {v}");
    }
    // Windows of a line: every direction of change is "up".
    let d = Dataset::build(&s, 4, &SplitSpec::default()).unwrap();
    assert!((0..d.train.len()).all(|i| d.train.y_raw(i) > d.train.y_last_raw(i)));
}

// ---------------------------------------------------------------------------------------
// Whole sweeps on files.

#[test]
fn sweep_on_msft_close_with_volume_as_a_feature() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::root().join("experiments/data/msft_daily.csv");
    let grid = format!(
        "name = \"msft\"\n[data]\npath = {:?}\ncolumn = \"close\"\nfeatures = [\"volume\"]\nsort_by = \"date\"\n\
         window = 8\n[train]\nepochs = 1\nn_dense = 8\nbatch_size = 64\nlearning_rate = 0.001\n",
        data.display().to_string()
    );
    write(tmp.path(), "msft.toml", &grid);
    let out = tmp.path().join("out");
    let run = trendsweep(
        tmp.path(),
        &[
            "sweep",
            "msft.toml",
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "1",
            "--quiet",
        ],
    );
    assert!(
        run.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let trials = read_parquet(&out.join("trials.parquet"));
    assert_eq!(trials.height(), 1);
    assert_eq!(strings(&trials, "status"), ["ok"]);
    let run_info = std::fs::read_to_string(out.join("run.json")).unwrap();
    assert!(
        run_info.contains("msft_daily.csv") && run_info.contains("7983"),
        "{run_info}"
    );
}

#[test]
fn the_same_data_through_another_relative_path_resumes_instead_of_being_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("exp");
    std::fs::create_dir_all(sub.join("data")).unwrap();
    let text = csv(
        "t,y",
        (0..120).map(|i| format!("{i},{}", (i as f64 * 0.3).sin())),
    );
    write(&sub.join("data"), "s.csv", &text);
    write(
        &sub,
        "g.toml",
        "name = \"rel\"\n[data]\npath = \"data/s.csv\"\ncolumn = \"y\"\nwindow = 4\n[train]\nepochs = 1\nn_dense = 4\n\
         [grid]\nseed = [0, 1]\n",
    );
    let out = tmp.path().join("out");
    let out_s = out.to_str().unwrap();
    // From the parent folder, then from the grid's own folder: the same grid, the same data.
    let first = trendsweep(
        tmp.path(),
        &["sweep", "exp/g.toml", "--out", out_s, "--threads", "1"],
    );
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = trendsweep(&sub, &["sweep", "g.toml", "--out", out_s, "--threads", "1"]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        second.status.success(),
        "the same data was refused: {stderr}"
    );
    assert!(
        stderr.contains("2 found done") || stderr.contains("2 trials already done"),
        "{stderr}"
    );
}
