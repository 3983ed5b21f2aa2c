//! Figures on a sweep with one wild trial: the axes and colour scales keep to the ordinary
//! values, the wild one is drawn at the edge and counted in the caption, and a baseline with
//! only an accuracy is a labelled reference line.

mod common;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use trendsweep::report::{summarize, write_html};

/// How much larger the wild trial's validation MSE is made than it was.
const BLOW_UP: f64 = 100.0;

fn sweep(tmp: &Path) -> PathBuf {
    let grid = common::write(
        tmp,
        "outlier.toml",
        common::on_the_sine("outlier", common::TWELVE_GROUPS),
    );
    let out = tmp.join("outlier");
    common::assert_ok(&common::sweep(&grid, &out, &["--quiet", "--threads", "2"]));
    out
}

/// Multiplies the validation MSE of the first λ = 0 trial by [`BLOW_UP`] in
/// `trials.parquet`, and returns that trial's new value and the largest mean over seeds of
/// any other setting group.
fn blow_up_one_trial(dir: &Path) -> (f64, f64) {
    let path = dir.join("trials.parquet");
    let df = common::read_parquet(&path);
    let ids = df.column("trial_id").unwrap().str().unwrap().clone();
    let lambdas = df.column("lambda").unwrap().f64().unwrap().clone();
    let wild_row = (0..df.height())
        .find(|&i| lambdas.get(i) == Some(0.0))
        .expect("a λ = 0 trial");
    let wild_id = ids.get(wild_row).unwrap().to_string();
    let mse: Vec<Option<f64>> = df
        .column("val_mse")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, v)| v.map(|v| if i == wild_row { v * BLOW_UP } else { v }))
        .collect();
    let wild = mse[wild_row].unwrap();
    let mut df = df
        .lazy()
        .with_column(lit(Series::new("val_mse".into(), mse)).alias("val_mse"))
        .collect()
        .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();

    // The ordinary groups: every setting group without the wild trial, mean over seeds.
    let keys = [col("n_dense"), col("lambda"), col("batch_size")];
    let means = df
        .lazy()
        .filter(col("status").eq(lit("ok")))
        .with_column(col("trial_id").eq(lit(wild_id)).alias("wild"))
        .group_by(keys)
        .agg([col("val_mse").mean(), col("wild").any(true)])
        .filter(col("wild").not())
        .select([col("val_mse").max()])
        .collect()
        .unwrap();
    let clean_max = means
        .column("val_mse")
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
        .unwrap();
    (wild, clean_max)
}

/// Adds a baseline that has a trend accuracy and no MSE.
fn add_direction_baseline(dir: &Path) {
    let path = dir.join("baselines.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("majority_direction,8,,,0.55\n");
    std::fs::write(&path, text).unwrap();
}

#[test]
fn one_wild_trial_does_not_set_the_scales() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = sweep(tmp.path());
    let (wild, clean_max) = blow_up_one_trial(&dir);
    assert!(wild > 10.0 * clean_max, "{wild} against {clean_max}");
    add_direction_baseline(&dir);
    let out = tmp.path().join("report");
    let dirs = [dir];
    let summary = summarize(&dirs).unwrap();
    write_html(&out, &dirs, &summary).unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let tradeoff = std::fs::read_to_string(out.join("tradeoff.svg")).unwrap();

    // Tick labels are the numbers among the texts; none reaches towards the wild group
    // (whose mean over two seeds is about half the wild trial's value).
    let ticks: Vec<f64> = common::svg_texts(&tradeoff)
        .iter()
        .filter_map(|t| t.parse::<f64>().ok())
        .collect();
    assert!(ticks.len() >= 6, "too few tick labels: {ticks:?}");
    let top = ticks.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(
        top <= 2.0 * clean_max,
        "a tick at {top} while the ordinary groups end at {clean_max}: {ticks:?}"
    );
    // The wild group is an arrow, not a circle, and the caption counts it.
    assert_eq!(tradeoff.matches("<circle").count(), 11, "12 groups, 1 off");
    assert!(
        html.contains("1 point is off the scale, drawn as an arrow at the edge."),
        "the caption does not count the off-scale point"
    );
    let texts = common::svg_texts(&tradeoff);
    assert!(
        texts.iter().any(|t| t.starts_with("MSE ")),
        "the arrow has no value label: {texts:?}"
    );

    // The accuracy-only baseline is a reference line with its name and value.
    assert!(
        texts
            .iter()
            .any(|t| t == "majority direction: accuracy 0.55"),
        "no label for the reference line: {texts:?}"
    );

    // The MSE heatmap's colours come from the ordinary cells; the wild cell is marked and
    // still prints its value, and the caption says so.
    let heat = std::fs::read_to_string(out.join("heatmap_mse.svg")).unwrap();
    let marked: Vec<String> = common::svg_texts(&heat)
        .into_iter()
        .filter(|t| t.starts_with("▲ "))
        .collect();
    assert_eq!(marked.len(), 1, "one cell beyond the scale: {marked:?}");
    let shown: f64 = marked[0].trim_start_matches('▲').trim().parse().unwrap();
    assert!(
        shown > 10.0 * clean_max,
        "the true value is printed: {shown}"
    );
    let caption = html
        .split("<figcaption>")
        .find(|c| c.starts_with("Mean validation MSE"))
        .expect("the MSE heatmap's caption");
    assert!(
        caption.contains("1 cell lies beyond the colour scale"),
        "{caption}"
    );
}
