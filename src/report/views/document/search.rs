//! A search's sections of the document: what it tried and what pruning saved, the
//! confirmation of its best configurations on fresh seeds, and its Pareto front.

use super::{Block, Section, TextTable, column, is_numeric_setting, plural};
use crate::analysis::summary::{ConfigRow, ConfigStatus, SearchSummary, Summary};
use crate::config::Objective;
use crate::report::render::{fmt_acc, fmt_mse};

/// The headings of the search's sections, which the page shows beside its figures.
pub(crate) const SEARCH: &str = "Search";
pub(crate) const CONFIRMATION: &str = "Confirmation";
pub(crate) const PARETO: &str = "Pareto front";

/// How many of the best complete configurations summary.md lists; search.csv has them all.
const TOP_CONFIGS: usize = 10;

/// How many confirmed configurations the terminal lists.
const TERMINAL_CONFIRMED: usize = 3;

/// An objective's value as the tables print it.
pub(crate) fn fmt_objective(o: Objective, v: f64) -> String {
    match o {
        Objective::ValMse => fmt_mse(v),
        Objective::ValTrendAcc => fmt_acc(v),
    }
}

/// An objective's name with which way is better.
pub(crate) fn objective_words(o: Objective) -> String {
    format!(
        "{} ({} is better)",
        o.name(),
        if o.minimise() { "lower" } else { "higher" }
    )
}

/// A configuration's number as the report writes it.
pub(crate) fn config_label(index: usize) -> String {
    format!("#{index}")
}

/// Items joined as a sentence: "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

impl SearchSummary {
    /// The searched settings of a configuration, as `name = value` pairs.
    pub(crate) fn describe(&self, c: &ConfigRow) -> String {
        let parts: Vec<String> = self
            .searched
            .iter()
            .filter_map(|s| c.setting(&s.name).map(|v| format!("{} = {v}", s.name)))
            .collect();
        if parts.is_empty() {
            "the only configuration".into()
        } else {
            parts.join(", ")
        }
    }

    fn strategy_words(&self) -> String {
        match self.strategy.as_deref() {
            Some("tpe") => "A TPE search (tree-structured Parzen estimator)".into(),
            Some("random") => "A random search".into(),
            Some("grid") => "A grid search".into(),
            Some(other) => format!("A {other} search"),
            None => "A search (its grid.toml is missing, so its rules are unknown and the \
                     objective is taken to be val_mse)"
                .into(),
        }
    }

    fn objective_sentence(&self) -> String {
        match self.objectives.as_slice() {
            [one] => format!("its objective was {}", objective_words(*one)),
            many => format!(
                "it had {} objectives, {}, so its result is a Pareto front",
                many.len(),
                and_list(&many.iter().map(|o| objective_words(*o)).collect::<Vec<_>>())
            ),
        }
    }

    fn prune_sentence(&self) -> String {
        let Some(p) = &self.prune else {
            return "Nothing was pruned: every configuration trained to its last epoch unless \
                    it diverged or stopped early."
                .into();
        };
        let rungs = and_list(&p.rungs.iter().map(|r| r.to_string()).collect::<Vec<_>>());
        let at = match p.rungs.len() {
            0 => "no rung (the trials are too short for one)".to_string(),
            1 => format!("one rung, at epoch {rungs}"),
            _ => format!("rungs at epochs {rungs}"),
        };
        match p.strategy.as_str() {
            "asha" => format!(
                "Pruning: successive halving (asha) with {at}; at each rung only the best 1/{} \
                 of a generation's configurations went on.",
                p.reduction_factor
            ),
            "median" => format!(
                "Pruning: the median rule with {at}; a configuration stopped at a rung when it \
                 was worse than the median of the earlier configurations there."
            ),
            other => format!("Pruning: {other} with {at}."),
        }
    }

    /// The opening paragraphs of the search's section.
    fn overview(&self) -> Vec<String> {
        let n = self.configs.len();
        let mut tried = plural(n, "configuration", "configurations");
        if let Some(p) = self.planned.filter(|&p| p != n) {
            tried.push_str(&format!(" of the {p} asked for"));
        }
        let generations = self
            .configs
            .iter()
            .map(|c| c.generation)
            .max()
            .map_or(0, |g| g + 1);
        let seeds = self
            .configs
            .iter()
            .max_by_key(|c| c.seeds.len())
            .map(|c| c.seeds.iter().map(u64::to_string).collect::<Vec<_>>())
            .unwrap_or_default();
        let mut out = vec![format!(
            "{} tried {tried} in {}, each on {} {}; {}. {}",
            self.strategy_words(),
            plural(generations, "generation", "generations"),
            if seeds.len() == 1 { "seed" } else { "seeds" },
            and_list(&seeds),
            self.objective_sentence(),
            self.prune_sentence()
        )];
        let mut outcomes = vec![
            format!(
                "{} complete (every seed trained to its end)",
                self.count(ConfigStatus::Complete)
            ),
            format!("{} pruned", self.count(ConfigStatus::Pruned)),
            format!("{} diverged", self.count(ConfigStatus::Diverged)),
            format!("{} failed", self.count(ConfigStatus::Failed)),
        ];
        let incomplete = self.count(ConfigStatus::Incomplete);
        if incomplete > 0 {
            outcomes.push(format!(
                "{incomplete} incomplete (some seeds not trained yet: run the sweep again)"
            ));
        }
        out.push(format!("Configurations: {}.", outcomes.join(", ")));
        out.push(self.epochs_sentence());
        if let Some(best) = self.best() {
            let o = self.first_objective();
            let complete = self.count(ConfigStatus::Complete);
            out.push(format!(
                "Best configuration by search-time {}: {} (generation {}), {}: {} {} over {}. \
                 This figure is optimistic: it is the best of {} on the very seeds that chose \
                 it, so some of its lead is luck; {}",
                o.name(),
                config_label(best.index),
                best.generation,
                self.describe(best),
                o.name(),
                best.objective(o)
                    .map_or_else(String::new, |v| fmt_objective(o, v)),
                plural(best.seeds.len(), "seed", "seeds"),
                plural(
                    complete,
                    "complete configuration",
                    "complete configurations"
                ),
                if self.confirmed.is_empty() {
                    "no configuration was retrained on fresh seeds to measure how much."
                } else {
                    "the confirmation below retrains on fresh seeds to measure how much."
                }
            ));
        } else {
            out.push(format!(
                "No configuration is complete with a finite {}, so there is no best one.",
                self.first_objective().name()
            ));
        }
        let ranged: Vec<String> = self
            .ranged()
            .map(|s| match &s.range {
                Some((kind, lo, hi)) => format!("{} ({kind} from {lo} to {hi})", s.name),
                None => s.name.clone(),
            })
            .collect();
        if !ranged.is_empty() {
            out.push(format!(
                "Drawn from ranges: {}. {} no table by value (each configuration has its own \
                 value); the slice plots in report.html show the objective against each.",
                and_list(&ranged),
                if ranged.len() == 1 {
                    "It has"
                } else {
                    "They have"
                }
            ));
        }
        out
    }

    fn epochs_sentence(&self) -> String {
        let confirm = if self.confirm_epochs > 0 {
            format!(
                " Confirmation trained {} more, never pruned.",
                self.confirm_epochs
            )
        } else {
            String::new()
        };
        match self.saved_share() {
            Some(saved) => format!(
                "Epochs: the search's trials trained {} of the {} their settings ask for, \
                 which they would have trained without pruning: {} saved (by pruning, and by \
                 any early stopping or divergence).{confirm}",
                self.epochs_trained,
                self.epochs_unpruned,
                pct(saved)
            ),
            None => format!("Epochs: the search's trials trained none.{confirm}"),
        }
    }

    /// The searched settings' columns of a configuration table.
    fn setting_columns(&self) -> Vec<super::ColumnSpec> {
        self.searched
            .iter()
            .map(|s| column(&s.name, &s.name, is_numeric_setting(&s.name)))
            .collect()
    }

    fn setting_cells(&self, c: &ConfigRow) -> Vec<String> {
        self.searched
            .iter()
            .map(|s| {
                c.setting(&s.name)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// The best complete configurations by the first objective.
    fn top_table(&self) -> Option<TextTable> {
        let ranked = self.ranked();
        if ranked.is_empty() {
            return None;
        }
        let mut columns = vec![
            column("rank", "rank", true),
            column("config", "config", true),
            column("generation", "gen", true),
        ];
        columns.extend(self.setting_columns());
        columns.push(column("seeds", "seeds", true));
        columns.push(column("val_mse", "val_mse", true));
        columns.push(column("val_trend_acc", "val_acc", true));
        let pareto = self.objectives.len() >= 2;
        if pareto {
            columns.push(column("Pareto front", "front", false));
        }
        let confirmed = !self.confirmed.is_empty();
        if confirmed {
            columns.push(column("confirmed rank", "conf", true));
        }
        let rows = ranked
            .iter()
            .take(TOP_CONFIGS)
            .enumerate()
            .map(|(i, c)| {
                let mut cells = vec![
                    (i + 1).to_string(),
                    config_label(c.index),
                    c.generation.to_string(),
                ];
                cells.extend(self.setting_cells(c));
                cells.push(c.seeds.len().to_string());
                cells.push(c.val_mse.map(fmt_mse).unwrap_or_default());
                cells.push(c.val_trend_acc.map(fmt_acc).unwrap_or_default());
                if pareto {
                    cells.push(if c.pareto == Some(true) { "yes" } else { "" }.into());
                }
                if confirmed {
                    cells.push(c.confirmed_rank.map(|r| r.to_string()).unwrap_or_default());
                }
                cells
            })
            .collect();
        Some(TextTable { columns, rows })
    }

    fn search_section(&self) -> Section {
        let mut blocks: Vec<Block> = self.overview().into_iter().map(Block::Para).collect();
        if let Some(t) = self.top_table() {
            let shown = self.ranked().len().min(TOP_CONFIGS);
            blocks.push(Block::Para(format!(
                "The {} by search-time {} (means over the search seeds, at each trial's \
                 metric_epoch); search.csv lists every configuration with its status and epochs.",
                if shown == 1 {
                    "complete configuration".to_string()
                } else {
                    format!("{shown} best complete configurations")
                },
                self.first_objective().name()
            )));
            blocks.push(Block::Table(t));
        }
        Section {
            heading: SEARCH.into(),
            blocks,
        }
    }

    /// The fresh seeds of the confirmation, as the grid asked for them.
    fn fresh_seed_words(&self) -> String {
        let seeds = self
            .confirmed
            .iter()
            .max_by_key(|c| c.seeds.len())
            .map(|c| c.seeds.iter().map(u64::to_string).collect::<Vec<_>>())
            .unwrap_or_default();
        format!(
            "{} ({})",
            plural(seeds.len(), "fresh seed", "fresh seeds"),
            seeds.join(", ")
        )
    }

    fn confirmation_table(&self, terminal: bool) -> TextTable {
        let mut columns = vec![
            column("rank", "rank", true),
            column("config", "config", true),
        ];
        if !terminal {
            columns.extend(self.setting_columns());
            columns.push(column("fresh seeds ok", "seeds", true));
        }
        for &o in &self.objectives {
            let name = o.name();
            columns.push(column(
                &format!("confirmed {name}"),
                &format!("{} confirmed", short(o)),
                true,
            ));
            if terminal {
                columns.push(column("", "±95%", true));
            } else {
                // Right-aligned, which also keeps the interval on one line in the page.
                columns.push(column("95% CI", "", true));
            }
            columns.push(column(
                &format!("search-time {name} (optimistic)"),
                &format!("{} at search", short(o)),
                true,
            ));
        }
        let limit = if terminal {
            TERMINAL_CONFIRMED
        } else {
            usize::MAX
        };
        let rows = self
            .confirmed
            .iter()
            .take(limit)
            .map(|c| {
                let mut cells = vec![
                    c.rank.map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
                    config_label(c.config),
                ];
                let row = self.config(c.config);
                if !terminal {
                    cells.extend(row.map_or_else(
                        || vec![String::new(); self.searched.len()],
                        |r| self.setting_cells(r),
                    ));
                    cells.push(format!("{}/{}", c.ok, c.seeds.len()));
                }
                for &o in &self.objectives {
                    let f = |v: f64| fmt_objective(o, v);
                    let iv = c.objective(o);
                    cells.push(iv.map(|iv| f(iv.mean)).unwrap_or_default());
                    cells.push(match (iv, terminal) {
                        (Some(iv), true) => iv
                            .half_width
                            .map(|h| format!("±{}", f(h)))
                            .unwrap_or_else(|| "n=1".into()),
                        (Some(iv), false) => match (iv.low(), iv.high()) {
                            (Some(l), Some(h)) => format!("[{}, {}]", f(l), f(h)),
                            _ => "n=1".into(),
                        },
                        (None, _) => String::new(),
                    });
                    cells.push(row.and_then(|r| r.objective(o)).map(f).unwrap_or_default());
                }
                cells
            })
            .collect();
        TextTable { columns, rows }
    }

    fn confirmation_section(&self) -> Section {
        let o = self.first_objective();
        let blocks = if self.confirmed.is_empty() {
            vec![Block::Para(if self.confirm_planned == 0 {
                "No configuration was retrained on fresh seeds (confirm = 0 in [search]), so \
                 the search-time figures are the only ones, and they are optimistic: the best \
                 of many configurations on the seeds that chose it."
                    .to_string()
            } else {
                format!(
                    "The grid asks to retrain the best {} on fresh seeds, but no confirmation \
                     trial has finished yet: run the sweep again to finish the search.",
                    plural(self.confirm_planned, "configuration", "configurations")
                )
            })]
        } else {
            let chosen_by = if self.objectives.len() > 1 {
                "in the search's Pareto order (front by front, the most spread-out first)"
                    .to_string()
            } else {
                format!("by search-time {}", o.name())
            };
            let mut blocks = vec![Block::Para(format!(
                "The best {} {} {} retrained on {} that the search never used, \
                 and ranked here by the confirmed mean {} over them, with its 95 % t-interval \
                 (mean ± t(0.975, n−1)·sd/√n). The search-time figure beside it, a mean over \
                 the search seeds, is optimistic: each configuration was chosen for scoring \
                 well on those seeds, and fresh seeds do not repeat that luck.",
                plural(self.confirmed.len(), "configuration", "configurations"),
                chosen_by,
                if self.confirmed.len() == 1 {
                    "was"
                } else {
                    "were"
                },
                self.fresh_seed_words(),
                o.name()
            ))];
            blocks.push(Block::Table(self.confirmation_table(false)));
            if let (Some(best), Some(top)) = (self.best(), self.confirmed.first())
                && top.rank.is_some()
            {
                blocks.push(Block::Para(if best.index == top.config {
                    format!(
                        "The search-time best, {}, is also the best after confirmation.",
                        config_label(best.index)
                    )
                } else {
                    let at = best
                        .confirmed_rank
                        .map_or_else(|| "was not confirmed".to_string(), |r| format!("ranks {r}"));
                    format!(
                        "The search-time best, {}, {at} after confirmation; {} is the best \
                         on fresh seeds.",
                        config_label(best.index),
                        config_label(top.config)
                    )
                }));
            }
            let failed: usize = self.confirmed.iter().map(|c| c.seeds.len() - c.ok).sum();
            if failed > 0 {
                blocks.push(Block::Para(format!(
                    "{} did not train to the end (diverged or failed); the means are over the \
                     ones that did.",
                    plural(failed, "confirmation trial", "confirmation trials")
                )));
            }
            blocks
        };
        Section {
            heading: CONFIRMATION.into(),
            blocks,
        }
    }

    fn pareto_section(&self) -> Option<Section> {
        let [first, second, ..] = self.objectives.as_slice() else {
            return None;
        };
        let front = self.front();
        let complete = self.ranked().len();
        let mut blocks = vec![Block::Para(format!(
            "The complete configurations that no other complete configuration beats on both \
             {} and {} (search-time means over the search seeds): {} of {complete}, sorted by {}.",
            objective_words(*first),
            objective_words(*second),
            front.len(),
            first.name()
        ))];
        if !front.is_empty() {
            let mut columns = vec![
                column("config", "config", true),
                column("generation", "gen", true),
            ];
            columns.extend(self.setting_columns());
            columns.push(column(first.name(), first.name(), true));
            columns.push(column(second.name(), second.name(), true));
            let confirmed = !self.confirmed.is_empty();
            if confirmed {
                columns.push(column("confirmed rank", "conf", true));
            }
            let rows = front
                .iter()
                .map(|c| {
                    let mut cells = vec![config_label(c.index), c.generation.to_string()];
                    cells.extend(self.setting_cells(c));
                    for o in [first, second] {
                        cells.push(
                            c.objective(*o)
                                .map(|v| fmt_objective(*o, v))
                                .unwrap_or_default(),
                        );
                    }
                    if confirmed {
                        cells.push(c.confirmed_rank.map(|r| r.to_string()).unwrap_or_default());
                    }
                    cells
                })
                .collect();
            blocks.push(Block::Table(TextTable { columns, rows }));
        }
        Some(Section {
            heading: PARETO.into(),
            blocks,
        })
    }

    /// The search's sections, in order.
    pub(crate) fn sections(&self) -> Vec<Section> {
        let mut out = vec![self.search_section(), self.confirmation_section()];
        out.extend(self.pareto_section());
        out
    }

    /// The terminal's short form: one paragraph and the best confirmed configurations.
    pub(crate) fn terminal(&self) -> (String, Option<TextTable>) {
        let o = self.first_objective();
        let strategy = match self.strategy.as_deref() {
            Some("tpe") => "TPE search".to_string(),
            Some("random") => "Random search".to_string(),
            Some("grid") => "Grid search".to_string(),
            Some(s) => format!("Search ({s})"),
            None => "Search".into(),
        };
        let mut para = format!(
            "{strategy}, {}: {} complete, {} pruned, {} diverged or failed",
            plural(self.configs.len(), "configuration", "configurations"),
            self.count(ConfigStatus::Complete),
            self.count(ConfigStatus::Pruned),
            self.count(ConfigStatus::Diverged) + self.count(ConfigStatus::Failed),
        );
        if let Some(saved) = self.saved_share() {
            para.push_str(&format!(
                "; {} of {} epochs trained ({} saved)",
                self.epochs_trained,
                self.epochs_unpruned,
                pct(saved)
            ));
        }
        para.push('.');
        if self.objectives.len() >= 2 {
            para.push_str(&format!(" {} on the Pareto front.", self.front().len()));
        }
        if let Some(best) = self.best() {
            para.push_str(&format!(
                " Best by search-time {}: {}, {}{}.",
                o.name(),
                config_label(best.index),
                best.objective(o)
                    .map_or_else(String::new, |v| fmt_objective(o, v)),
                if self.confirmed.is_empty() {
                    " (optimistic: not confirmed on fresh seeds)"
                } else {
                    ""
                }
            ));
        }
        let table = if self.confirmed.is_empty() {
            None
        } else {
            para.push_str(&format!(
                " Confirmed on {}{} (search-time figures are optimistic):",
                plural(
                    self.confirmed
                        .iter()
                        .map(|c| c.seeds.len())
                        .max()
                        .unwrap_or(0),
                    "fresh seed",
                    "fresh seeds"
                ),
                if self.confirmed.len() > TERMINAL_CONFIRMED {
                    format!(", best {TERMINAL_CONFIRMED} of {}", self.confirmed.len())
                } else {
                    String::new()
                }
            ));
            Some(self.confirmation_table(true))
        };
        (para, table)
    }
}

/// An objective's short name for the terminal's headers.
fn short(o: Objective) -> &'static str {
    match o {
        Objective::ValMse => "mse",
        Objective::ValTrendAcc => "acc",
    }
}

impl Summary {
    /// The search's sections, or none for a plain grid.
    pub(crate) fn search_sections(&self) -> Vec<Section> {
        self.search
            .as_ref()
            .map(|s| s.sections())
            .unwrap_or_default()
    }
}
