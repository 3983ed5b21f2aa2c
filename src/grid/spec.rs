//! Reading a grid file: walks the TOML by hand so every message names the exact key and table.

use std::collections::HashSet;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use strum::VariantNames;

use super::ranges::{DistKind, Range};
use super::settings::{
    self, DEFAULT_WINDOW, Home, Rule, SETTING_NAMES, SETTINGS, Setting, SettingKind, SettingValue,
    found,
};
use super::suggest;
use super::{Axis, GridSpec};
use crate::config::{
    DataFile, MetricEpoch, Missing, Objective, PruneSpec, PruneStrategy, SearchSpec, Source,
    SplitSpec, Strategy, Synthetic, SyntheticKind, TrainConfig,
};
use crate::error::{Error, Result, bad_input};

const TOP_KEYS: [&str; 6] = ["name", "data", "train", "grid", "search", "prune"];
const SEARCH_KEYS: [&str; 8] = [
    "strategy",
    "configs",
    "generation",
    "seed",
    "objective",
    "startup",
    "confirm",
    "confirm_seeds",
];
const PRUNE_KEYS: [&str; 3] = ["strategy", "min_epochs", "reduction_factor"];
const FILE_KEYS: [&str; 8] = [
    "path",
    "column",
    "series_column",
    "features",
    "sort_by",
    "date_format",
    "rows",
    "missing",
];
const SYNTHETIC_KEYS: [&str; 8] = [
    "kind", "length", "noise", "period", "phi", "drift", "seed", "series",
];
const SPLIT_KEYS: [&str; 7] = [
    "window",
    "val_fraction",
    "test_fraction",
    "scale",
    "season",
    "folds",
    "gap",
];

fn data_keys() -> Vec<&'static str> {
    [&FILE_KEYS[..], &SYNTHETIC_KEYS[..], &SPLIT_KEYS[..]].concat()
}

/// Every message starts with the grid file's path, so it is clear which file to fix when a
/// sweep script loads several.
struct Ctx<'a> {
    file: &'a Path,
}

impl Ctx<'_> {
    fn fail(&self, msg: impl Display) -> Error {
        bad_input(format!("{}: {msg}", self.file.display()))
    }

    /// Validates one value against a rule; for a misspelt choice it also suggests the
    /// nearest valid one, since "trnd" is far more likely a typo than a new loss.
    fn check(&self, loc: &str, rule: Rule, value: &toml::Value) -> Result<SettingValue> {
        rule.check(value).map_err(|what| {
            let mut msg = format!("{loc}: expected {}, found {what}", rule.expected());
            if let (Rule::Choice(names), toml::Value::String(s)) = (rule, value)
                && let Some(near) = suggest::closest(s, names)
            {
                msg.push_str(&format!("; did you mean \"{near}\"?"));
            }
            self.fail(msg)
        })
    }

    fn int(&self, loc: &str, rule: Rule, value: &toml::Value) -> Result<u64> {
        match self.check(loc, rule, value)? {
            SettingValue::Int(i) => Ok(i),
            other => unreachable!("integer rule gave {other:?}"),
        }
    }

    fn float(&self, loc: &str, rule: Rule, value: &toml::Value) -> Result<f64> {
        match self.check(loc, rule, value)? {
            SettingValue::Float(x) => Ok(x),
            other => unreachable!("float rule gave {other:?}"),
        }
    }

    /// One of an enum's names, as the enum's variant.
    fn choice<E: VariantNames + FromStr>(&self, loc: &str, value: &toml::Value) -> Result<E> {
        match self.check(loc, Rule::Choice(E::VARIANTS), value)? {
            SettingValue::Str(s) => Ok(s
                .parse()
                .unwrap_or_else(|_| unreachable!("{s:?} is a listed name"))),
            other => unreachable!("choice rule gave {other:?}"),
        }
    }

    fn finite(&self, loc: &str, value: &toml::Value) -> Result<f64> {
        match settings::number(value) {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(self.fail(format!(
                "{loc}: expected a finite number, found {}",
                found(value)
            ))),
        }
    }

    fn text(&self, loc: &str, value: &toml::Value) -> Result<String> {
        match value {
            toml::Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            toml::Value::String(_) => Err(self.fail(format!("{loc}: must not be empty"))),
            other => Err(self.fail(format!("{loc}: expected a string, found {}", found(other)))),
        }
    }

    fn fraction(&self, loc: &str, value: &toml::Value) -> Result<f64> {
        match settings::number(value) {
            Some(x) if (0.0..1.0).contains(&x) => Ok(x),
            _ => Err(self.fail(format!(
                "{loc}: expected a number in [0, 1), found {}",
                found(value)
            ))),
        }
    }

    /// Rejects keys a table does not know. A key that is valid elsewhere gets pointed to its
    /// table, because putting `window` under `[train]` is a likelier mistake than a typo.
    fn known_keys(&self, table_name: &str, table: &toml::Table, valid: &[&str]) -> Result<()> {
        for key in table.keys() {
            if valid.contains(&key.as_str()) {
                continue;
            }
            if let Some(home) = belongs(key) {
                return Err(self.fail(format!("{table_name} {key}: not valid here; {home}")));
            }
            let tail = match suggest::closest(key, valid) {
                Some(near) => format!("did you mean \"{near}\"?"),
                None => match suggest::closest(key, &all_keys()) {
                    Some(near) => {
                        format!(
                            "did you mean \"{near}\"? ({})",
                            belongs(near).unwrap_or_default()
                        )
                    }
                    None => format!("valid keys: {}", valid.join(", ")),
                },
            };
            return Err(self.fail(format!("{table_name} {key}: unknown key; {tail}")));
        }
        Ok(())
    }
}

/// Every key valid in some table, for suggestions across tables.
fn all_keys() -> Vec<&'static str> {
    let mut keys = data_keys();
    keys.extend(
        SETTING_NAMES
            .iter()
            .filter(|n| !keys.contains(n))
            .collect::<Vec<_>>(),
    );
    keys.insert(0, "name");
    keys
}

/// Where a known key should go, in words; `None` when the key is unknown everywhere.
fn belongs(key: &str) -> Option<String> {
    if let Some(setting) = settings::setting(key) {
        let home = setting.home.table();
        Some(format!(
            "{key} goes in {home} (one value) or [grid] (an axis)"
        ))
    } else if data_keys().contains(&key) {
        Some(format!("{key} goes in [data]"))
    } else if key == "name" {
        Some("name goes at the top of the file, before any [table]".into())
    } else {
        None
    }
}

/// Turns the toml crate's multi-line report into one line that keeps its line and column.
fn toml_error(ctx: &Ctx, text: &str, err: toml::de::Error) -> Error {
    let message = err
        .message()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match err.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            ctx.fail(format!(
                "not valid TOML: line {line}, column {column}: {message}"
            ))
        }
        None => {
            let whole = err
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            ctx.fail(format!("not valid TOML: {whole}"))
        }
    }
}

pub(super) fn parse(text: &str, file: &Path) -> Result<GridSpec> {
    let ctx = Ctx { file };
    let top: toml::Table = text.parse().map_err(|e| toml_error(&ctx, text, e))?;

    for (key, value) in &top {
        if TOP_KEYS.contains(&key.as_str()) {
            continue;
        }
        if let Some(home) = belongs(key) {
            return Err(ctx.fail(format!("{key}: not a top-level key; {home}")));
        }
        let msg = if value.is_table() {
            let tables = ["data", "train", "grid", "search", "prune"];
            match suggest::closest(key, &tables) {
                Some(near) => format!("[{key}]: unknown table; did you mean [{near}]?"),
                None => format!(
                    "[{key}]: unknown table; valid tables: [data], [train], [grid], [search], [prune]"
                ),
            }
        } else {
            format!(
                "{key}: unknown top-level key; {}",
                suggest::hint(key, &TOP_KEYS)
            )
        };
        return Err(ctx.fail(msg));
    }

    let name = match top.get("name") {
        Some(value) => ctx.text("name", value)?,
        None => file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    check_name(&ctx, &name, top.contains_key("name"))?;

    let data = sub_table(&ctx, &top, "data")?;
    let train = sub_table(&ctx, &top, "train")?;
    let grid = sub_table(&ctx, &top, "grid")?;
    let search_table = sub_table(&ctx, &top, "search")?;
    let prune_table = sub_table(&ctx, &top, "prune")?;

    let empty = toml::Table::new();
    let data_table = data.unwrap_or(&empty);
    ctx.known_keys("[data]", data_table, &data_keys())?;
    let train_keys = settings::train_keys();
    if let Some(train) = train {
        ctx.known_keys("[train]", train, &train_keys)?;
    }
    if let Some(grid) = grid {
        ctx.known_keys("[grid]", grid, &SETTING_NAMES)?;
    }

    let source = parse_source(&ctx, data_table, data.is_some())?;
    let split = parse_split(&ctx, data_table)?;

    let mut axes = Vec::new();
    let mut ranges = Vec::new();
    let mut window = DEFAULT_WINDOW;
    let mut config = TrainConfig::default();
    for setting in SETTINGS {
        let (name, home, rule) = (setting.name, setting.home, setting.rule);
        let home_value = match home {
            Home::Data => data_table.get(name),
            Home::Train => train.and_then(|t| t.get(name)),
        };
        let grid_value = grid.and_then(|g| g.get(name));
        let fixed = match (grid_value, home_value) {
            (Some(_), Some(_)) => {
                return Err(ctx.fail(format!(
                    "{name} is set both in [grid] and in {}; keep one ([grid] to vary it, {} to fix it)",
                    home.table(),
                    home.table()
                )));
            }
            (Some(toml::Value::Array(items)), None) => {
                axes.push(parse_axis(&ctx, setting, items, window, &config)?);
                None
            }
            (Some(toml::Value::Table(dist)), None) => {
                ranges.push(parse_range(&ctx, setting, dist)?);
                None
            }
            (Some(value), None) => Some(ctx.check(&format!("[grid] {name}"), rule, value)?),
            (None, Some(toml::Value::Array(_))) => {
                return Err(ctx.fail(format!(
                    "{} {name}: expected {}, found an array; to try several values, move it under [grid]",
                    home.table(),
                    rule.expected()
                )));
            }
            (None, Some(value)) => {
                Some(ctx.check(&format!("{} {name}", home.table()), rule, value)?)
            }
            (None, None) => None,
        };
        if let Some(value) = fixed {
            setting.write(&value, &mut window, &mut config);
        }
    }

    let best_epoch_wanted = config.metric_epoch == MetricEpoch::Best
        || axes.iter().any(|a| {
            a.name == "metric_epoch"
                && a.values
                    .iter()
                    .any(|v| *v == SettingValue::Str(MetricEpoch::Best.name().into()))
        });
    let patience_wanted = config.patience > 0
        || axes
            .iter()
            .any(|a| a.name == "patience" && a.values.iter().any(|v| *v != SettingValue::Int(0)));
    if patience_wanted && split.val_fraction == 0.0 {
        return Err(ctx.fail(
            "patience stops a trial when its validation MSE stops improving, but [data] \
             val_fraction = 0 leaves no validation samples; set val_fraction above 0 or \
             patience = 0",
        ));
    }
    if best_epoch_wanted && split.val_fraction == 0.0 {
        return Err(ctx.fail(
            "metric_epoch = \"best\" picks each trial's epoch by validation MSE, but [data] \
             val_fraction = 0 leaves no validation samples; set val_fraction above 0 or use \
             metric_epoch = \"final\"",
        ));
    }

    let search = parse_search(&ctx, search_table, &axes, &ranges)?;
    let prune = parse_prune(&ctx, prune_table, &search)?;
    if (search.strategy != Strategy::Grid || prune.strategy != PruneStrategy::None)
        && split.val_fraction == 0.0
    {
        return Err(ctx.fail(
            "a search and pruning compare configurations by their validation figures, but \
             [data] val_fraction = 0 leaves no validation samples; set val_fraction above 0",
        ));
    }

    Ok(GridSpec {
        file: file.to_path_buf(),
        name,
        source,
        split,
        text: text.to_owned(),
        axes,
        ranges,
        search,
        prune,
        base_window: window,
        base_config: config,
    })
}

fn sub_table<'t>(ctx: &Ctx, top: &'t toml::Table, key: &str) -> Result<Option<&'t toml::Table>> {
    match top.get(key) {
        None => Ok(None),
        Some(toml::Value::Table(t)) => Ok(Some(t)),
        Some(other) => Err(ctx.fail(format!(
            "{key}: expected a [{key}] table, found {}",
            found(other)
        ))),
    }
}

/// The name becomes a directory under `results/`, so anything that could climb out of it or
/// land somewhere surprising is refused up front rather than discovered after a long sweep.
/// The longest `name`: it becomes a folder name, which file systems cap at 255 bytes, and
/// `--fresh` renames an old results folder to `<name>.old-N`.
const MAX_NAME_BYTES: usize = 200;

fn check_name(ctx: &Ctx, name: &str, given: bool) -> Result<()> {
    let problem = if name.trim().is_empty() {
        Some("must not be empty")
    } else if name.contains(['/', '\\']) {
        Some("must not contain a path separator")
    } else if name.contains("..") || name == "." {
        Some("must not contain \"..\" or be \".\"")
    } else if Path::new(name).is_absolute() || name.contains(':') {
        Some("must not be an absolute path")
    } else if name.chars().any(char::is_control) {
        Some("must not contain control characters")
    } else if name.len() > MAX_NAME_BYTES {
        Some(
            "must be at most 200 bytes long (file systems allow 255 bytes a folder name, and --fresh adds \".old-N\")",
        )
    } else {
        None
    };
    match (problem, given) {
        (None, _) => Ok(()),
        (Some(why), true) => Err(ctx.fail(format!(
            "name {}: {why}; it names the folder results/<name>/",
            settings::short_quoted(name)
        ))),
        (Some(why), false) => Err(ctx.fail(format!(
            "the file name gives the results name {}, which {why}; set name = \"...\" at the top",
            settings::short_quoted(name)
        ))),
    }
}

fn parse_source(ctx: &Ctx, data: &toml::Table, have_table: bool) -> Result<Source> {
    let has_file = data.contains_key("path") || data.contains_key("column");
    let has_kind = data.contains_key("kind");
    match (has_file, has_kind) {
        (true, true) => Err(ctx.fail(
            "[data]: give either path + column (a CSV/Parquet file) or kind (a synthetic series), not both",
        )),
        (false, false) => Err(ctx.fail(format!(
            "{}: no data source; give path + column for a CSV/Parquet file, or kind = {} for a \
             synthetic series",
            if have_table { "[data]" } else { "[data] table is missing" },
            SyntheticKind::VARIANTS.join(" | ")
        ))),
        (true, false) => parse_file_source(ctx, data),
        (false, true) => match data.get("kind") {
            Some(kind) => parse_synthetic(ctx, data, kind),
            None => unreachable!("has_kind checked above"),
        },
    }
}

/// Keys for the other kind of source are refused rather than ignored: a stray `noise` next
/// to a CSV path means the user believes something about the data that is not true.
fn refuse_keys(ctx: &Ctx, data: &toml::Table, keys: &[&str], why: &str) -> Result<()> {
    match keys.iter().find(|k| data.contains_key(**k)) {
        // The training seed has the same name, so say where that one goes.
        Some(&"seed") => Err(ctx.fail(format!(
            "[data] seed: {why}; the training seed goes in [train] or [grid]"
        ))),
        Some(key) => Err(ctx.fail(format!("[data] {key}: {why}"))),
        None => Ok(()),
    }
}

fn parse_file_source(ctx: &Ctx, data: &toml::Table) -> Result<Source> {
    refuse_keys(
        ctx,
        data,
        &SYNTHETIC_KEYS[1..],
        "only applies to a synthetic series (kind = ...), not to a file (path + column)",
    )?;
    let (path, column) = match (data.get("path"), data.get("column")) {
        (Some(p), Some(c)) => (ctx.text("[data] path", p)?, ctx.text("[data] column", c)?),
        (None, _) => {
            return Err(
                ctx.fail("[data]: column is given but path is missing; a file source needs both")
            );
        }
        (_, None) => {
            return Err(
                ctx.fail("[data]: path is given but column is missing; a file source needs both")
            );
        }
    };
    let features = match data.get("features") {
        None => Vec::new(),
        Some(toml::Value::Array(items)) => {
            let mut names: Vec<String> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let name = ctx.text(
                    &format!("[data] features, value {} of {}", i + 1, items.len()),
                    item,
                )?;
                if names.contains(&name) || name == column {
                    return Err(ctx.fail(format!(
                        "[data] features: {} is listed twice (or is the target column)",
                        settings::short_quoted(&name)
                    )));
                }
                names.push(name);
            }
            names
        }
        Some(other) => {
            return Err(ctx.fail(format!(
                "[data] features: expected an array of column names, found {}",
                found(other)
            )));
        }
    };
    let sort_by = data
        .get("sort_by")
        .map(|v| ctx.text("[data] sort_by", v))
        .transpose()?;
    let date_format = data
        .get("date_format")
        .map(|v| ctx.text("[data] date_format", v))
        .transpose()?;
    if let Some(format) = &date_format {
        crate::data::check_date_format(format, sort_by.is_some())
            .map_err(|why| ctx.fail(format!("[data] date_format = {format:?}: {why}")))?;
    }
    let rows = data.get("rows").map(|v| parse_rows(ctx, v)).transpose()?;
    let missing = match data.get("missing") {
        None => Missing::default(),
        Some(v) => ctx.choice("[data] missing", v)?,
    };
    let series_column = data
        .get("series_column")
        .map(|v| ctx.text("[data] series_column", v))
        .transpose()?;
    if let Some(name) = &series_column {
        let clash = if name == &column {
            Some("column")
        } else if sort_by.as_ref() == Some(name) {
            Some("sort_by")
        } else if features.contains(name) {
            Some("features")
        } else {
            None
        };
        if let Some(key) = clash {
            return Err(ctx.fail(format!(
                "[data] series_column = {}: is also [data] {key}; the series column names which \
                 series a row belongs to, and must be a column of its own",
                settings::short_quoted(name)
            )));
        }
    }
    let folder = ctx.file.parent().unwrap_or(Path::new(""));
    Ok(Source::File(DataFile {
        path: folder.join(PathBuf::from(path)),
        column,
        features,
        sort_by,
        date_format,
        rows,
        missing,
        series_column,
    }))
}

fn parse_rows(ctx: &Ctx, value: &toml::Value) -> Result<(usize, usize)> {
    let bad = || {
        ctx.fail(format!(
            "[data] rows: expected [start, end] with integers 0 ≤ start < end, found {}",
            match value {
                toml::Value::Array(items) => format!(
                    "[{}]",
                    items.iter().map(found).collect::<Vec<_>>().join(", ")
                ),
                other => found(other),
            }
        ))
    };
    let toml::Value::Array(items) = value else {
        return Err(bad());
    };
    let [toml::Value::Integer(start), toml::Value::Integer(end)] = items.as_slice() else {
        return Err(bad());
    };
    if *start < 0 || *end < 0 {
        return Err(bad());
    }
    if start >= end {
        return Err(ctx.fail(format!(
            "[data] rows: start {start} must be less than end {end} (rows = [start, end), end excluded)"
        )));
    }
    Ok((*start as usize, *end as usize))
}

fn parse_synthetic(ctx: &Ctx, data: &toml::Table, kind: &toml::Value) -> Result<Source> {
    refuse_keys(
        ctx,
        data,
        &FILE_KEYS,
        "only applies to a file (path + column), not to a synthetic series (kind = ...)",
    )?;
    let kind: SyntheticKind = ctx.choice("[data] kind", kind)?;
    // Parameters of another kind are refused for the same reason as file keys above.
    for (key, owner) in [
        ("period", SyntheticKind::Sine),
        ("phi", SyntheticKind::Ar2),
        ("drift", SyntheticKind::RandomWalk),
    ] {
        if data.contains_key(key) && kind != owner {
            return Err(ctx.fail(format!(
                "[data] {key}: only used by kind = \"{}\", but kind = \"{}\"; remove it",
                owner.name(),
                kind.name()
            )));
        }
    }
    let length = match data.get("length") {
        Some(v) => ctx.int("[data] length", settings::LENGTH_RULE, v)? as usize,
        None => 2000,
    };
    let noise = match data.get("noise") {
        Some(v) => ctx.float("[data] noise", Rule::NonNegativeFloat, v)?,
        None => 0.1,
    };
    let period = match data.get("period") {
        Some(v) => ctx.float("[data] period", Rule::PositiveFloat, v)?,
        None => 50.0,
    };
    let phi = match data.get("phi") {
        None => [0.6, -0.3],
        Some(toml::Value::Array(items)) if items.len() == 2 => [
            ctx.finite("[data] phi[0]", &items[0])?,
            ctx.finite("[data] phi[1]", &items[1])?,
        ],
        Some(other) => {
            return Err(ctx.fail(format!(
                "[data] phi: expected two numbers [phi1, phi2], found {}",
                match other {
                    toml::Value::Array(items) => format!("an array of {} values", items.len()),
                    v => found(v),
                }
            )));
        }
    };
    let drift = match data.get("drift") {
        Some(v) => ctx.finite("[data] drift", v)?,
        None => 0.0,
    };
    let seed = match data.get("seed") {
        Some(v) => ctx.int("[data] seed", Rule::AnyUnsigned, v)?,
        None => 0,
    };
    let series = data
        .get("series")
        .map(|v| ctx.int("[data] series", settings::SERIES_RULE, v))
        .transpose()?
        .map(|n| n as usize);
    if let Some(n) = series
        && seed.checked_add(n as u64 - 1).is_none()
    {
        return Err(ctx.fail(format!(
            "[data] series = {n}: series k uses seed {seed} + k, which passes the largest seed; \
             lower [data] seed"
        )));
    }
    Ok(Source::Synthetic(Synthetic {
        kind,
        length,
        noise,
        period,
        phi,
        drift,
        seed,
        series,
    }))
}

fn parse_split(ctx: &Ctx, data: &toml::Table) -> Result<SplitSpec> {
    let defaults = SplitSpec::default();
    let val_fraction = match data.get("val_fraction") {
        Some(v) => ctx.fraction("[data] val_fraction", v)?,
        None => defaults.val_fraction,
    };
    let test_fraction = match data.get("test_fraction") {
        Some(v) => ctx.fraction("[data] test_fraction", v)?,
        None => defaults.test_fraction,
    };
    if val_fraction + test_fraction >= 1.0 {
        return Err(ctx.fail(format!(
            "[data] val_fraction + test_fraction = {val_fraction} + {test_fraction} must be less than 1, \
             or nothing is left to train on"
        )));
    }
    let scale = match data.get("scale") {
        None => defaults.scale,
        Some(v) => ctx.choice("[data] scale", v)?,
    };
    let season = match data.get("season") {
        None => None,
        Some(v) => Some(ctx.int("[data] season", settings::SEASON_RULE, v)? as usize),
    };
    let folds = match data.get("folds") {
        None => defaults.folds,
        Some(v) => count(ctx, "[data] folds", v, 1, 1_000)?,
    };
    let gap = match data.get("gap") {
        None => defaults.gap,
        Some(v) => count(ctx, "[data] gap", v, 0, 10_000_000)?,
    };
    if folds > 1 && val_fraction == 0.0 {
        return Err(ctx.fail(format!(
            "[data] folds = {folds}: rolling-origin folds cut the validation part into blocks, \
             but val_fraction = 0 leaves none; set val_fraction above 0 or folds = 1"
        )));
    }
    Ok(SplitSpec {
        val_fraction,
        test_fraction,
        scale,
        season,
        folds,
        gap,
    })
}

/// An axis keeps the file's value order (it decides trial order) and refuses repeats, which
/// would silently train the same trial twice under one id.
fn parse_axis(
    ctx: &Ctx,
    setting: &Setting,
    items: &[toml::Value],
    window: usize,
    config: &TrainConfig,
) -> Result<Axis> {
    let (name, rule) = (setting.name, setting.rule);
    if items.is_empty() {
        return Err(ctx.fail(format!(
            "[grid] {name}: empty axis; give at least one value ({}), or remove it to use the default {}",
            rule.expected(),
            setting.read(window, config).grid_text()
        )));
    }
    let mut values = Vec::with_capacity(items.len());
    let mut seen = HashSet::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let value = ctx.check(
            &format!("[grid] {name}, value {} of {}", i + 1, items.len()),
            rule,
            item,
        )?;
        // The grid text is exact for every variant (floats print round-trip), so it is a
        // faithful key.
        let text = value.grid_text();
        if !seen.insert(text.clone()) {
            return Err(ctx.fail(format!(
                "[grid] {name}: value {text} appears more than once; axis values must be distinct"
            )));
        }
        values.push(value);
    }
    Ok(Axis { name, values })
}

/// A `[grid]` setting given as `{ kind = [low, high] }`. Floats take `uniform` and
/// `log_uniform`, counts `int_uniform` and `int_log_uniform`; `window` (each value needs its
/// own dataset), `seed` (the replicates every configuration is trained on) and choices take
/// lists only.
fn parse_range(ctx: &Ctx, setting: &Setting, dist: &toml::Table) -> Result<Range> {
    let name = setting.name;
    let loc = format!("[grid] {name}");
    let kinds: &[DistKind] = match (name, setting.kind()) {
        ("window", _) => {
            return Err(ctx.fail(format!(
                "{loc}: takes a list only (each window needs its own dataset); give the windows to try, e.g. [8, 16, 32]"
            )));
        }
        ("seed", _) => {
            return Err(ctx.fail(format!(
                "{loc}: takes a list only: seeds are the replicates every configuration is trained on, e.g. [0, 1, 2]"
            )));
        }
        (_, SettingKind::Float) => &[DistKind::Uniform, DistKind::LogUniform],
        (_, SettingKind::Int) => &[DistKind::IntUniform, DistKind::IntLogUniform],
        _ => {
            return Err(ctx.fail(format!(
                "{loc}: a distribution needs a numeric setting; list the values to try instead, e.g. {name} = [...]"
            )));
        }
    };
    let valid = kinds.iter().map(|k| k.name()).collect::<Vec<_>>();
    let shape = || format!("{{ {} = [low, high] }}", valid.join(" | "));
    if dist.len() != 1 {
        return Err(ctx.fail(format!(
            "{loc}: expected one distribution, {}, or a list of values",
            shape()
        )));
    }
    let (key, bounds) = dist.iter().next().expect("one entry");
    let Some(kind) = DistKind::parse(key).filter(|k| kinds.contains(k)) else {
        let why = match DistKind::parse(key) {
            Some(_) => format!("{key} does not suit this setting"),
            None => "unknown distribution".into(),
        };
        return Err(ctx.fail(format!(
            "{loc}: {why}; expected {}{}",
            shape(),
            suggest::closest(key, &valid)
                .map(|near| format!("; did you mean \"{near}\"?"))
                .unwrap_or_default()
        )));
    };
    let dloc = format!("{loc} {}", kind.name());
    let (low, high) = match bounds {
        toml::Value::Array(items) if items.len() == 2 => {
            let end = |i: usize| -> Result<f64> {
                let v = ctx.check(&format!("{dloc}[{i}]"), setting.rule, &items[i])?;
                Ok(v.as_f64().expect("a numeric setting"))
            };
            (end(0)?, end(1)?)
        }
        other => {
            return Err(ctx.fail(format!(
                "{dloc}: expected [low, high], found {}",
                match other {
                    toml::Value::Array(items) => format!("an array of {} values", items.len()),
                    v => found(v),
                }
            )));
        }
    };
    if low >= high {
        return Err(ctx.fail(format!(
            "{dloc}: low {} must be less than high {}",
            fmt_bound(low),
            fmt_bound(high)
        )));
    }
    if kind.log() && low <= 0.0 {
        return Err(ctx.fail(format!(
            "{dloc}: a log scale needs low > 0, found {}; use {} or a positive low",
            fmt_bound(low),
            if kind.int() { "int_uniform" } else { "uniform" }
        )));
    }
    Ok(Range {
        name,
        kind,
        low,
        high,
    })
}

fn fmt_bound(x: f64) -> String {
    settings::fmt_setting_float(x)
}

/// A positive integer under `[search]` or `[prune]`.
fn count(ctx: &Ctx, loc: &str, value: &toml::Value, min: u64, max: u64) -> Result<usize> {
    match value {
        toml::Value::Integer(i) if *i >= min as i64 && *i as u64 <= max => Ok(*i as usize),
        other => Err(ctx.fail(format!(
            "{loc}: expected an integer from {min} to {max}, found {}",
            found(other)
        ))),
    }
}

/// The `[search]` table, checked against the grid it searches.
fn parse_search(
    ctx: &Ctx,
    table: Option<&toml::Table>,
    axes: &[Axis],
    ranges: &[Range],
) -> Result<SearchSpec> {
    let mut spec = SearchSpec::default();
    let Some(table) = table else {
        if let Some(r) = ranges.first() {
            return Err(ctx.fail(format!(
                "[grid] {}: a distribution needs a search; add [search] with strategy = \"random\" or \"tpe\", or give a list of values to try every one",
                r.name
            )));
        }
        return Ok(spec);
    };
    ctx.known_keys("[search]", table, &SEARCH_KEYS)?;
    if let Some(v) = table.get("strategy") {
        spec.strategy = ctx.choice("[search] strategy", v)?;
    }
    let grid = spec.strategy == Strategy::Grid;
    if grid {
        if let Some(r) = ranges.first() {
            return Err(ctx.fail(format!(
                "[grid] {}: a distribution cannot be enumerated by strategy = \"grid\"; give a list of values, or use strategy = \"random\" or \"tpe\"",
                r.name
            )));
        }
        for key in ["configs", "startup"] {
            if table.contains_key(key) {
                return Err(ctx.fail(format!(
                    "[search] {key}: does not apply to strategy = \"grid\", which trains every grid point; remove it, or use strategy = \"random\" or \"tpe\""
                )));
            }
        }
    } else {
        spec.generation = 8;
        spec.confirm = 5;
        spec.configs = 20;
        let searched = axes.iter().any(|a| a.name != "seed") || !ranges.is_empty();
        if !searched {
            return Err(ctx.fail(format!(
                "[search] strategy = \"{}\": nothing to search; give [grid] a list or a distribution for at least one setting besides seed",
                spec.strategy.name()
            )));
        }
    }
    if spec.strategy != Strategy::Tpe && table.contains_key("startup") {
        return Err(ctx.fail(
            "[search] startup: applies to strategy = \"tpe\" only (its random configurations before it models the results)",
        ));
    }
    const MAX_CONFIGS: u64 = 1_000_000;
    if let Some(v) = table.get("configs") {
        spec.configs = count(ctx, "[search] configs", v, 1, MAX_CONFIGS)?;
    }
    if let Some(v) = table.get("generation") {
        spec.generation = count(ctx, "[search] generation", v, 1, MAX_CONFIGS)?;
    }
    if let Some(v) = table.get("seed") {
        spec.seed = ctx.int("[search] seed", Rule::AnyUnsigned, v)?;
    }
    if let Some(v) = table.get("startup") {
        spec.startup = count(ctx, "[search] startup", v, 1, MAX_CONFIGS)?;
    }
    if let Some(v) = table.get("confirm") {
        spec.confirm = count(ctx, "[search] confirm", v, 0, MAX_CONFIGS)?;
    }
    if let Some(v) = table.get("confirm_seeds") {
        spec.confirm_seeds = count(ctx, "[search] confirm_seeds", v, 1, 10_000)?;
    }
    if let Some(v) = table.get("objective") {
        spec.objectives = match v {
            toml::Value::Array(items) if (1..=2).contains(&items.len()) => {
                let mut objectives = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let o: Objective = ctx.choice(
                        &format!("[search] objective, value {} of {}", i + 1, items.len()),
                        item,
                    )?;
                    if objectives.contains(&o) {
                        return Err(ctx.fail(format!(
                            "[search] objective: \"{}\" is listed twice; give one objective, or two different ones for a Pareto search",
                            o.name()
                        )));
                    }
                    objectives.push(o);
                }
                objectives
            }
            toml::Value::Array(items) => {
                return Err(ctx.fail(format!(
                    "[search] objective: expected one objective or a list of two (a Pareto search), found an array of {} values",
                    items.len()
                )));
            }
            other => vec![ctx.choice("[search] objective", other)?],
        };
    }
    if !table.contains_key("confirm") {
        spec.confirm = spec.confirm.min(spec.configs);
    }
    if !grid && spec.confirm > spec.configs {
        return Err(ctx.fail(format!(
            "[search] confirm = {}: more than configs = {}; confirm retrains the best of the configurations tried",
            spec.confirm, spec.configs
        )));
    }
    Ok(spec)
}

/// The `[prune]` table.
fn parse_prune(ctx: &Ctx, table: Option<&toml::Table>, search: &SearchSpec) -> Result<PruneSpec> {
    let mut spec = PruneSpec::default();
    let Some(table) = table else {
        return Ok(spec);
    };
    ctx.known_keys("[prune]", table, &PRUNE_KEYS)?;
    if let Some(v) = table.get("strategy") {
        spec.strategy = ctx.choice("[prune] strategy", v)?;
    }
    if let Some(v) = table.get("min_epochs") {
        spec.min_epochs = count(ctx, "[prune] min_epochs", v, 1, 100_000)?;
    }
    if let Some(v) = table.get("reduction_factor") {
        spec.reduction_factor = count(ctx, "[prune] reduction_factor", v, 2, 1_000)?;
    }
    if spec.strategy != PruneStrategy::None && search.objectives.len() > 1 {
        return Err(ctx.fail(
            "[prune] strategy: pruning ranks configurations by one objective, but [search] objective lists two (a Pareto search); use one objective or strategy = \"none\"",
        ));
    }
    Ok(spec)
}
