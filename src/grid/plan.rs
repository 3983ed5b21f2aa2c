//! The `plan` text: what a grid will run, readable in a terminal before committing hours to it.

use std::fmt::Write as _;

use comfy_table::presets::NOTHING;
use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width};

use super::{GridSpec, SETTING_NAMES, Trial};
use crate::config::{PruneStrategy, Source, Strategy, SyntheticKind};

/// Terminals and review tools commonly show 100 columns; longer lines wrap unreadably.
const WIDTH: usize = 100;
/// Labels are padded to this width so values line up in one column.
const LABEL: usize = 14;

/// Describes the grid for a human: where it comes from, how many trials, what varies, what is
/// fixed, the first `first_n` trials and, when the caller knows it, the total number of
/// optimiser steps (which needs the data, so it is passed in rather than computed here).
pub fn plan_text(spec: &GridSpec, first_n: usize, total_steps: Option<u128>) -> String {
    let mut out = Lines::default();
    out.field("grid file", &[spec.file.display().to_string()]);
    out.field(
        "name",
        &[format!("{} (results in results/{}/)", spec.name, spec.name)],
    );
    out.field("source", &source_parts(&spec.source));
    let split = &spec.split;
    out.field(
        "split",
        &[
            format!("validation {}", split.val_fraction),
            format!("test {}", split.test_fraction),
            format!("scale {}", split.scale.name()),
        ]
        .into_iter()
        .chain(split.season.map(|s| format!("season {s}")))
        .chain((split.folds > 1).then(|| format!("{} rolling-origin folds", split.folds)))
        .chain((split.gap > 0).then(|| format!("gap {}", split.gap)))
        .collect::<Vec<_>>(),
    );
    if spec.is_search() {
        search_fields(&mut out, spec, first_n);
        return out.text;
    }
    let count = spec.trial_count();
    out.field("trials", &[count_text(count)]);

    let axes = spec.axes();
    if axes.is_empty() {
        out.field("axes", &["none (a single trial)".to_string()]);
    } else {
        out.field(
            "axes",
            &[format!("{} (the last varies fastest)", axes.len())],
        );
        let labels: Vec<String> = axes
            .iter()
            .map(|a| format!("  {} ({})", a.name, a.values.len()))
            .collect();
        let pad = labels
            .iter()
            .map(|l| l.chars().count() + 2)
            .max()
            .unwrap_or(0)
            .max(LABEL);
        for (axis, label) in axes.iter().zip(&labels) {
            let values: Vec<String> = axis.values.iter().map(|v| v.grid_text()).collect();
            out.field_padded(label, pad, &values);
        }
    }
    let mut fixed: Vec<String> = spec
        .fixed()
        .iter()
        .map(|(n, v)| format!("{n} = {}", v.grid_text()))
        .collect();
    if fixed.is_empty() {
        fixed.push("none (every setting is an axis)".into());
    }
    out.field("fixed", &fixed);

    let shown = (first_n as u128).min(count);
    if shown > 0 {
        let heading = if count == 1 {
            "the only trial:".to_string()
        } else if shown == count {
            format!("all {} trials:", count_text(count))
        } else {
            format!("first {shown} of {} trials:", count_text(count))
        };
        out.push(heading);
        for trial in spec.trials().take(shown as usize) {
            let parts = trial_parts(spec, &trial);
            out.field(&format!("  {}", trial.id), &parts);
        }
    }
    if let Some(steps) = total_steps {
        out.field(
            "total steps",
            &[format!(
                "{} optimiser steps over all trials",
                count_text(steps)
            )],
        );
    }
    out.text
}

/// The plan of a search: how configurations are chosen, the space they come from, what is
/// fixed, and the first configurations where they are known before training (grid and
/// random search, and TPE's random start).
fn search_fields(out: &mut Lines, spec: &GridSpec, first_n: usize) {
    let search = &spec.search;
    let seeds = spec.seeds();
    let configs = spec.config_count();
    let mut how = vec![format!("{}", search.strategy.name())];
    how.push(format!("{} configurations", count_text(configs)));
    if search.strategy != Strategy::Grid || search.generation != usize::MAX {
        how.push(format!("{} per generation", search.generation));
    }
    if search.strategy == Strategy::Tpe {
        how.push(format!("the first {} random", search.startup));
    }
    how.push(format!("search seed {}", search.seed));
    out.field("search", &how);
    let objectives: Vec<&str> = search.objectives.iter().map(|o| o.name()).collect();
    out.field(
        "objective",
        &[if objectives.len() > 1 {
            format!("{} (a Pareto search)", objectives.join(" and "))
        } else {
            objectives[0].to_string()
        }],
    );
    let epochs = spec.int_values("epochs").into_iter().max().unwrap_or(0) as usize;
    let prune = &spec.prune;
    out.field(
        "prune",
        &match prune.strategy {
            PruneStrategy::None => vec!["none: every trial trains all its epochs".to_string()],
            strategy => {
                let rungs = prune.rungs(epochs);
                vec![
                    strategy.name().to_string(),
                    format!(
                        "rungs at epochs {}",
                        rungs
                            .iter()
                            .map(|r| r.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    format!("reduction factor {}", prune.reduction_factor),
                ]
            }
        },
    );
    let seed_text: Vec<String> = seeds.iter().map(|s| s.to_string()).collect();
    out.field(
        "seeds",
        &[format!(
            "{} per configuration: {}",
            seeds.len(),
            seed_text.join(", ")
        )],
    );
    if search.confirm > 0 {
        let fresh: Vec<String> = spec.fresh_seeds().iter().map(|s| s.to_string()).collect();
        out.field(
            "confirm",
            &[format!(
                "the best {} retrained on {} fresh seeds: {}",
                search.confirm,
                fresh.len(),
                fresh.join(", ")
            )],
        );
    }
    out.field(
        "trials",
        &[format!("at most {}", count_text(spec.planned_trials()))],
    );
    let space = spec.space();
    out.field("space", &[format!("{} settings", space.len())]);
    let pad = space
        .iter()
        .map(|(n, _)| n.chars().count() + 4)
        .max()
        .unwrap_or(0)
        .max(LABEL);
    for (name, _) in &space {
        let values: Vec<String> = match spec.axis(name) {
            Some(axis) => axis.values.iter().map(|v| v.grid_text()).collect(),
            None => spec
                .ranges()
                .iter()
                .filter(|r| r.name == *name)
                .map(|r| r.grid_text())
                .collect(),
        };
        out.field_padded(&format!("  {name}"), pad, &values);
    }
    let mut fixed: Vec<String> = spec
        .fixed()
        .iter()
        .filter(|(n, _)| spec.ranges().iter().all(|r| r.name != *n))
        .map(|(n, v)| format!("{n} = {}", v.grid_text()))
        .collect();
    if fixed.is_empty() {
        fixed.push("none".into());
    }
    out.field("fixed", &fixed);

    let known = match search.strategy {
        Strategy::Grid | Strategy::Random => configs,
        Strategy::Tpe => search.startup.min(search.configs) as u128,
    };
    let shown = (first_n as u128).min(known) as usize;
    if shown == 0 {
        return;
    }
    out.push(match search.strategy {
        Strategy::Tpe => {
            format!("first {shown} configurations (random; TPE draws the rest from their results):")
        }
        _ => format!("first {shown} of {} configurations:", count_text(configs)),
    });
    for (i, config) in spec.planned_configs(shown).iter().enumerate() {
        let parts: Vec<String> = space
            .iter()
            .map(|(n, _)| {
                let v = super::settings::named(n).read(config.window, &config.config);
                format!("{n}={}", v.grid_text())
            })
            .collect();
        out.field(&format!("  #{i}"), &parts);
    }
}

/// What to print for a trial: only the settings that vary, since the rest are listed once
/// under "fixed"; a grid without axes shows everything so the line is never empty.
fn trial_parts(spec: &GridSpec, trial: &Trial) -> Vec<String> {
    let all = trial.settings();
    let varying: Vec<String> = all
        .iter()
        .filter(|(n, _)| spec.axis(n).is_some())
        .map(|(n, v)| format!("{n}={}", v.grid_text()))
        .collect();
    if varying.is_empty() {
        debug_assert_eq!(all.len(), SETTING_NAMES.len());
        all.iter()
            .map(|(n, v)| format!("{n}={}", v.grid_text()))
            .collect()
    } else {
        varying
    }
}

fn source_parts(source: &Source) -> Vec<String> {
    match source {
        Source::File(f) => {
            let mut parts = vec![
                format!("file {}", f.path.display()),
                format!("column {:?}", f.column),
            ];
            if !f.features.is_empty() {
                parts.push(format!("features {:?}", f.features));
            }
            if let Some(key) = &f.sort_by {
                parts.push(format!("sorted by {key:?}"));
            }
            if let Some(format) = &f.date_format {
                parts.push(format!("dates as {format:?}"));
            }
            if let Some((start, end)) = f.rows {
                parts.push(format!("rows [{start}, {end})"));
            }
            parts.push(format!("missing = {}", f.missing.name()));
            parts
        }
        Source::Synthetic(s) => {
            let mut parts = vec![
                format!("synthetic {}", s.kind.name()),
                format!("length {}", s.length),
                format!("noise {:?}", s.noise),
            ];
            match s.kind {
                SyntheticKind::Sine => parts.push(format!("period {:?}", s.period)),
                SyntheticKind::Ar2 => parts.push(format!("phi [{:?}, {:?}]", s.phi[0], s.phi[1])),
                SyntheticKind::RandomWalk => parts.push(format!("drift {:?}", s.drift)),
            }
            parts.push(format!("seed {}", s.seed));
            parts
        }
    }
}

/// Thousands separators, because a trial count of 1000000000000 is easy to misread.
fn count_text(n: u128) -> String {
    if n == u128::MAX {
        return "more than 10^38 (overflow)".into();
    }
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Accumulates lines, laying out `label  part, part, ...` fields within [`WIDTH`] columns.
#[derive(Default)]
struct Lines {
    text: String,
}

impl Lines {
    fn push(&mut self, line: String) {
        let _ = writeln!(self.text, "{}", fit(&line, WIDTH));
    }

    /// Continuation lines are indented under the first value so a wrapped list still reads
    /// as one field; a single part too long for any line is shortened in the middle.
    fn field(&mut self, label: &str, parts: &[String]) {
        self.field_padded(label, LABEL, parts);
    }

    /// The label in a column `pad` wide and the parts, joined by ", ", wrapped by comfy-table
    /// at word boundaries in the rest of the [`WIDTH`].
    fn field_padded(&mut self, label: &str, pad: usize, parts: &[String]) {
        let pad = pad.max(label.chars().count() + 2).min(WIDTH / 2);
        let room = WIDTH - pad;
        let value: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let sep = if i + 1 < parts.len() { "," } else { "" };
                fit(&format!("{part}{sep}"), room)
            })
            .collect();
        let mut table = Table::new();
        table
            .load_preset(NOTHING)
            .force_no_tty()
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(WIDTH as u16)
            .add_row([label.to_string(), value.join(" ")]);
        let width = |w: usize| ColumnConstraint::Absolute(Width::Fixed(w as u16));
        for (i, w) in [pad, room].into_iter().enumerate() {
            if let Some(column) = table.column_mut(i) {
                column.set_padding((0, 0)).set_constraint(width(w));
            }
        }
        let _ = writeln!(self.text, "{}", table.trim_fmt());
    }
}

/// Shortens `s` to at most `width` characters by replacing its middle with "…", keeping both
/// ends because a path's file name and a list's last item are what readers look for.
fn fit(s: &str, width: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= width {
        return s.to_string();
    }
    let keep = width.saturating_sub(1);
    let head = keep / 2;
    let tail = keep - head;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn counts_get_separators() {
        assert_eq!(count_text(0), "0");
        assert_eq!(count_text(999), "999");
        assert_eq!(count_text(1000), "1,000");
        assert_eq!(count_text(1234567), "1,234,567");
    }

    #[test]
    fn fit_keeps_both_ends() {
        assert_eq!(fit("abcdefghij", 5), "ab…ij");
        assert_eq!(fit("abc", 5), "abc");
    }

    #[test]
    fn long_axes_and_paths_wrap_within_width() {
        let values: Vec<String> = (1..=200).map(|i| i.to_string()).collect();
        let long_dir = "d".repeat(150);
        let text = format!(
            "[data]\npath = \"{long_dir}/x.csv\"\ncolumn = \"y\"\n[grid]\nn_dense = [{}]\nlambda = [0, 0.5]\n",
            values.join(", ")
        );
        let spec = GridSpec::parse(&text, Path::new("grids/wide.toml")).unwrap();
        let plan = plan_text(&spec, 3, Some(123_456));
        for line in plan.lines() {
            assert!(line.chars().count() <= WIDTH, "too long: {line:?}");
        }
        assert!(plan.contains("400"), "{plan}");
        assert!(plan.contains(", 200"), "{plan}");
        assert!(plan.contains("123,456"), "{plan}");
        assert!(plan.contains("x.csv"), "{plan}");
        assert_eq!(
            plan.lines()
                .filter(|l| l.starts_with("  ") && l.contains("n_dense="))
                .count(),
            3
        );
    }
}
