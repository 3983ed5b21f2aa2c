//! The one list of settings ties the grid to the result tables: every setting is a column of
//! the trials table, of its kind, holding each trial's value, and the report reads the same
//! columns.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::AnyValue;
use trendsweep::grid::{GridSpec, SETTINGS, SettingValue, Trial, setting};
use trendsweep::report;
use trendsweep::report::tables::trials_frame;
use trendsweep::store::records::{TrialRecord, TrialResult};

fn record(trial: &Trial) -> TrialRecord {
    TrialRecord {
        trial_id: trial.id.clone(),
        series: None,
        window: trial.window,
        config: trial.config.clone(),
        result: TrialResult {
            wall_seconds: 1.0,
            steps: 10,
            steps_per_second: 10.0,
            ..TrialResult::of_curve(Vec::new(), None)
        },
        search: None,
    }
}

fn value(any: AnyValue<'_>) -> SettingValue {
    match any {
        AnyValue::Int64(v) => SettingValue::Int(v as u64),
        AnyValue::Float64(v) => SettingValue::Float(v),
        AnyValue::String(s) => SettingValue::Str(s.into()),
        AnyValue::Boolean(b) => SettingValue::Bool(b),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn every_setting_is_a_column_of_the_trials_table() {
    let spec = GridSpec::parse(
        "[data]\nkind = \"sine\"\n[grid]\nlambda = [0.0, 0.5]\nloss = [\"mse\", \"trend\"]\n\
         shuffle = [true, false]\nseed = [1, 2]\n",
        Path::new("g.toml"),
    )
    .unwrap();
    let trials: Vec<Trial> = spec.trials().collect();
    let records: Vec<TrialRecord> = trials.iter().map(record).collect();
    let df = trials_frame(&records).unwrap();

    // The list's order, except that the table has always carried `seed` after `learning_rate`.
    let mut expected: Vec<&str> = SETTINGS
        .iter()
        .map(|s| s.name)
        .filter(|n| *n != "seed")
        .collect();
    let lr = expected.iter().position(|n| *n == "learning_rate").unwrap();
    expected.insert(lr + 1, "seed");
    let columns: Vec<&str> = df
        .get_column_names()
        .into_iter()
        .map(|n| n.as_str())
        .filter(|n| setting(n).is_some())
        .collect();
    assert_eq!(columns, expected);

    let by_id: HashMap<&str, &Trial> = trials.iter().map(|t| (t.id.as_str(), t)).collect();
    let ids = df.column("trial_id").unwrap().str().unwrap();
    for s in SETTINGS {
        let column = df.column(s.name).unwrap();
        assert_eq!(column.dtype(), &s.kind().dtype(), "{}", s.name);
        for row in 0..df.height() {
            let trial = by_id[ids.get(row).unwrap()];
            assert_eq!(
                value(column.get(row).unwrap()),
                s.read(trial.window, &trial.config),
                "{} row {row}",
                s.name
            );
        }
    }
}

#[test]
fn the_report_reads_the_listed_columns() {
    let listed: Vec<(&str, _)> = SETTINGS.iter().map(|s| (s.name, s.kind())).collect();
    assert_eq!(listed, report::SETTINGS);
    for s in SETTINGS {
        assert_eq!(report::tables::setting_kind(s.name), Some(s.kind()));
    }
    assert_eq!(report::tables::setting_kind("status"), None);
}
