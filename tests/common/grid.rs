//! A small, valid, fast grid file that a test changes one key at a time.

/// The pieces of a grid file, as `key = value` lines (raw TOML values) per table. `set`
/// replaces a key, so a test states only what it changes.
#[derive(Clone, Debug)]
pub struct Grid {
    top: Vec<(String, String)>,
    data: Vec<(String, String)>,
    train: Vec<(String, String)>,
    grid: Vec<(String, String)>,
}

fn pairs(kv: &[(&str, &str)]) -> Vec<(String, String)> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Grid {
    /// A short synthetic sine and one tiny trial of one epoch: it trains in a moment.
    pub fn tiny() -> Grid {
        Grid {
            top: pairs(&[("name", "\"tiny\"")]),
            data: pairs(&[
                ("kind", "\"sine\""),
                ("length", "200"),
                ("seed", "1"),
                ("window", "4"),
            ]),
            train: pairs(&[("epochs", "1"), ("n_dense", "4"), ("batch_size", "16")]),
            grid: vec![],
        }
    }

    /// The tiny trial on `column` of the file `path` (relative to the grid file).
    pub fn file(path: &str, column: &str) -> Grid {
        let mut g = Grid::tiny();
        g.data = vec![
            ("path".into(), format!("{path:?}")),
            ("column".into(), format!("{column:?}")),
            ("window".into(), "4".into()),
            ("val_fraction".into(), "0.2".into()),
        ];
        g
    }

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
    pub fn set(mut self, table: &str, key: &str, value: &str) -> Grid {
        let t = self.table(table);
        match t.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => t.push((key.to_string(), value.to_string())),
        }
        self
    }

    /// Sets every `key = value` line of `lines` in `table`.
    pub fn lines(self, table: &str, lines: &str) -> Grid {
        lines
            .lines()
            .filter(|l| !l.trim().is_empty())
            .fold(self, |g, line| {
                let (k, v) = line
                    .split_once('=')
                    .unwrap_or_else(|| panic!("not a `key = value` line: {line:?}"));
                g.set(table, k.trim(), v.trim())
            })
    }

    /// Removes `key` from `table` (so it can move to another table without being duplicated).
    pub fn unset(mut self, table: &str, key: &str) -> Grid {
        self.table(table).retain(|(k, _)| k != key);
        self
    }

    /// The grid file's text.
    pub fn text(&self) -> String {
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

/// The `[data]` table of 400 points of a noisy sine in windows of 8, which several test
/// files' grids train on.
pub const NOISY_SINE: &str = r#"
[data]
kind = "sine"
length = 400
noise = 0.2
period = 40.0
seed = 1
window = 8
"#;

/// 24 trials of two epochs: 12 setting groups (n_dense × λ × batch size) of two seeds, so
/// that every axis the report draws has several values.
pub const TWELVE_GROUPS: &str = r#"[train]
epochs = 2
learning_rate = 1e-2

[grid]
n_dense = [4, 8]
lambda = [0.0, 0.1, 1.0]
batch_size = [8, 32]
seed = [0, 1]
"#;

/// The grid `name` on [`NOISY_SINE`], with its other tables (`[train]`, `[grid]`, …).
pub fn on_the_sine(name: &str, tables: &str) -> String {
    format!("name = \"{name}\"\n{NOISY_SINE}\n{tables}")
}

/// A `[search]` table: `strategy` proposing `configs` configurations, `generation` at a time,
/// from `seed`, with the best `confirm` retrained on fresh seeds, then any `extra` lines
/// (`startup = 4`, `confirm_seeds = 2`, …).
pub fn search_table(
    strategy: &str,
    (configs, generation): (usize, usize),
    seed: u64,
    confirm: usize,
    extra: &str,
) -> String {
    format!(
        "[search]\nstrategy = \"{strategy}\"\nconfigs = {configs}\ngeneration = {generation}\n\
         seed = {seed}\nconfirm = {confirm}\n{extra}\n"
    )
}
