//! The summary as text: `summary.md` (Markdown) and the terminal view (laid out by
//! `comfy-table`, which measures display width, within [`TERMINAL_WIDTH`] columns).

use std::path::Path;

use comfy_table::presets::NOTHING;
use comfy_table::{CellAlignment, ContentArrangement, Table, TableComponent};

use super::document::{Block, Section, TextTable};
use crate::analysis::summary::{SearchSummary, Summary};

/// The terminal view's line limit.
pub const TERMINAL_WIDTH: usize = 100;

impl TextTable {
    /// A Markdown table with aligned pipes. Written by hand because the bytes of
    /// `summary.md` are fixed, alignment markers (`:--`, `--:`) included, which comfy-table's
    /// Markdown preset does not write.
    pub(crate) fn markdown(&self) -> String {
        let (heads, rows) = self.view(true);
        let escape = |s: &str| s.replace('|', "\\|");
        let heads: Vec<(String, bool)> = heads.iter().map(|(h, r)| (escape(h), *r)).collect();
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| escape(c)).collect())
            .collect();
        let width = |s: &str| s.chars().count();
        let w: Vec<usize> = heads
            .iter()
            .enumerate()
            .map(|(i, (h, _))| {
                rows.iter()
                    .map(|r| width(&r[i]))
                    .chain([width(h), 3])
                    .max()
                    .unwrap()
            })
            .collect();
        let pad = |s: &str, w: usize, right: bool| {
            let fill = " ".repeat(w.saturating_sub(width(s)));
            if right {
                format!("{fill}{s}")
            } else {
                format!("{s}{fill}")
            }
        };
        let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        let mut out = line(
            heads
                .iter()
                .zip(&w)
                .map(|((h, r), w)| pad(h, *w, *r))
                .collect(),
        );
        out.push_str(&line(
            heads
                .iter()
                .zip(&w)
                .map(|((_, r), w)| {
                    if *r {
                        format!("{}:", "-".repeat(w - 1))
                    } else {
                        format!(":{}", "-".repeat(w - 1))
                    }
                })
                .collect(),
        ));
        for row in &rows {
            out.push_str(&line(
                row.iter()
                    .zip(&heads)
                    .zip(&w)
                    .map(|((c, (_, r)), w)| pad(c, *w, *r))
                    .collect(),
            ));
        }
        out
    }

    /// Aligned columns under a rule of dashes when they fit in `max` columns; otherwise one
    /// block of `header value` lines per row, which always fits (long values wrap).
    pub(crate) fn terminal(&self, max: usize) -> String {
        let (heads, rows) = self.view(false);
        let columns = |rows: &[Vec<String>]| {
            let mut t = plain(max, ContentArrangement::Disabled);
            t.set_header(heads.iter().map(|(h, _)| *h));
            t.add_rows(rows.iter().cloned());
            for (i, (_, right)) in heads.iter().enumerate() {
                let c = t.column_mut(i).expect("a column per header");
                c.set_padding((if i == 0 { 0 } else { 1 }, 0));
                if *right {
                    c.set_cell_alignment(CellAlignment::Right);
                }
            }
            t
        };
        let mut cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        let widths = columns(&cells).column_max_content_widths();
        let gaps = 2 * widths.len().saturating_sub(1);
        if widths.iter().map(|w| usize::from(*w)).sum::<usize>() + gaps <= max {
            cells.insert(0, widths.iter().map(|w| "-".repeat((*w).into())).collect());
            // The header row is part of the content that comfy-table measured; the rule row
            // under it is as wide as each column.
            let mut t = columns(&cells);
            t.set_style(TableComponent::VerticalLines, ' ');
            return t.trim_fmt() + "\n";
        }
        let mut t = plain(max, ContentArrangement::Dynamic);
        t.set_style(TableComponent::VerticalLines, ' ');
        for (i, row) in cells.iter().enumerate() {
            if i > 0 {
                t.add_row(["", ""]);
            }
            t.add_rows(
                heads
                    .iter()
                    .zip(row)
                    .map(|((h, _), c)| [h.to_string(), c.clone()]),
            );
        }
        if let Some(c) = t.column_mut(0) {
            c.set_padding((0, 1));
        }
        if let Some(c) = t.column_mut(1) {
            c.set_padding((0, 0));
        }
        t.trim_fmt() + "\n"
    }
}

/// Appends `blocks` as Markdown, each after a blank line.
pub(crate) fn markdown_blocks(out: &mut String, blocks: &[Block]) {
    for block in blocks {
        out.push('\n');
        match block {
            Block::Para(p) => {
                out.push_str(p);
                out.push('\n');
            }
            Block::Table(t) => out.push_str(&t.markdown()),
        }
    }
}

/// Appends `sections` as Markdown: a `##` heading each, then its blocks.
pub(crate) fn markdown_sections(out: &mut String, sections: &[Section]) {
    for section in sections {
        out.push_str(&format!("\n## {}\n", section.heading));
        markdown_blocks(out, &section.blocks);
    }
}

/// A table without borders or padding, at most `max` columns wide.
fn plain(max: usize, arrangement: ContentArrangement) -> Table {
    let mut t = Table::new();
    t.load_preset(NOTHING)
        .force_no_tty()
        .set_content_arrangement(arrangement)
        .set_width(u16::try_from(max).unwrap_or(u16::MAX));
    t
}

/// A paragraph wrapped at word boundaries to `max` columns.
pub(crate) fn wrap(text: &str, max: usize) -> String {
    let mut t = plain(max, ContentArrangement::Dynamic);
    t.add_row([text]);
    t.column_mut(0).expect("one column").set_padding((0, 0));
    t.trim_fmt() + "\n"
}

/// A heading underlined with `rule` across its width.
pub(crate) fn title(text: &str, rule: char, max: usize) -> String {
    let mut t = plain(max, ContentArrangement::Dynamic);
    t.set_header([text])
        .set_style(TableComponent::HeaderLines, rule);
    t.column_mut(0).expect("one column").set_padding((0, 0));
    t.trim_fmt() + "\n"
}

impl Summary {
    /// The whole `summary.md`. No timestamps or paths: the same files must give the same bytes.
    pub fn markdown(&self) -> String {
        let (header, sections) = self.document();
        let mut out = String::from("# Sweep summary\n");
        markdown_blocks(&mut out, &header);
        markdown_sections(&mut out, &sections);
        out
    }

    /// What a terminal shows after a sweep or a report: a screenful, not every table. The
    /// counts, the verdict (the settings validation chose, against the baselines, with test
    /// figures and significance), the headline penalty effects, and where the files are.
    /// Nothing wider than [`TERMINAL_WIDTH`]; the full tables are in `summary.md` and
    /// `report.html`.
    pub fn terminal(&self, dir: &Path) -> String {
        let max = TERMINAL_WIDTH;
        let (header, _) = self.document();
        let mut out = title("Sweep summary", '=', max);
        // The counts and any warning about missing figures; the settings lists are in the
        // files.
        for block in &header {
            if let Block::Para(p) = block
                && !p.starts_with("Fixed settings:")
                && !p.starts_with("Axes:")
            {
                out.push('\n');
                out.push_str(&wrap(p, max));
            }
        }
        let verdict = self.verdict();
        if !verdict.is_empty() {
            out.push('\n');
            out.push_str(&title("Verdict", '-', max));
            for v in &verdict {
                out.push('\n');
                out.push_str(&wrap(v, max));
            }
        }
        if let Some(t) = self.best_compact_table() {
            out.push('\n');
            let heading = if self.chosen_from_confirmation {
                "Best settings (chosen on validation, among the confirmed, on fresh seeds)"
            } else {
                "Best settings (chosen on validation)"
            };
            out.push_str(&title(heading, '-', max));
            out.push('\n');
            out.push_str(&t.terminal(max));
            for sentence in self.fold_sentences() {
                out.push('\n');
                out.push_str(&wrap(&sentence, max));
            }
        }
        if let Some(search) = &self.search {
            out.push('\n');
            out.push_str(&search_block(search, max));
        }
        if let Some(t) = self.headline_table() {
            out.push('\n');
            out.push_str(&title("Penalty effect, each λ against λ = 0", '-', max));
            out.push('\n');
            out.push_str(&t.terminal(max));
            out.push('\n');
            out.push_str(&wrap(
                "ratio: geometric mean of val_mse(λ)/val_mse(0) over pairs (below 1: λ helped); \
                 wins: share of pairs where λ did better.",
                max,
            ));
        }
        out.push('\n');
        out.push_str(&wrap(
            &format!(
                "Every table: {}. Figures: {}. Data: trials.parquet, epochs.parquet, \
                 predictions.parquet, baselines.csv.",
                dir.join("summary.md").display(),
                dir.join("report.html").display()
            ),
            max,
        ));
        out
    }
}

/// The terminal's search part: a titled paragraph and the best confirmed configurations,
/// at most [`SEARCH_LINES`] lines.
fn search_block(search: &SearchSummary, max: usize) -> String {
    let (para, table) = search.terminal();
    let mut out = title("Search", '-', max);
    out.push('\n');
    out.push_str(&wrap(&para, max));
    if let Some(t) = table {
        out.push('\n');
        out.push_str(&t.terminal(max));
    }
    out
}

/// The most lines the terminal gives a search.
pub const SEARCH_LINES: usize = 12;

#[cfg(test)]
mod tests {
    use super::super::document::column;
    use super::*;

    fn width(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn wide_tables_fall_back_to_records() {
        let columns = (0..12)
            .map(|i| column(&format!("column_{i}"), &format!("col_{i}"), true))
            .collect();
        let t = TextTable {
            columns,
            rows: vec![(0..12).map(|i| format!("value-{i:04}")).collect()],
        };
        let text = t.terminal(100);
        assert!(text.lines().all(|l| width(l) <= 100), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("col_11") && l.ends_with("value-0011")),
            "{text}"
        );
        let narrow = TextTable {
            columns: vec![column("a", "a", false)],
            rows: vec![vec!["x".into()]],
        };
        assert_eq!(narrow.terminal(100), "a\n-\nx\n");
    }

    #[test]
    fn a_large_search_keeps_to_its_lines() {
        use crate::analysis::stats::Interval;
        use crate::analysis::summary::{ConfigRow, ConfigStatus, Confirmed};
        use crate::config::Objective;
        let status = |i: usize| match i % 10 {
            0 => ConfigStatus::Complete,
            1 => ConfigStatus::Diverged,
            2 => ConfigStatus::Failed,
            _ => ConfigStatus::Pruned,
        };
        let configs: Vec<ConfigRow> = (0..1000)
            .map(|i| ConfigRow {
                index: i,
                generation: i / 10,
                settings: Vec::new(),
                seeds: vec![0, 1, 2],
                status: status(i),
                epochs: 12345,
                val_mse: (status(i) == ConfigStatus::Complete).then_some(1.02826e7 + i as f64),
                val_trend_acc: (status(i) == ConfigStatus::Complete).then_some(0.5),
                best_so_far: Some(1.02826e7),
                pareto: Some(i % 20 == 0),
                confirmed_rank: None,
            })
            .collect();
        let interval = Some(Interval::from_stats(1.23456e7, Some(2.5e6), 10));
        let confirmed = (0..5)
            .map(|k| Confirmed {
                config: 990 - 10 * k,
                rank: Some(k + 1),
                seeds: (3..13).collect(),
                ok: 10,
                val_mse: interval,
                val_trend_acc: Some(Interval::from_stats(0.51234, Some(0.1), 10)),
            })
            .collect();
        let search = SearchSummary {
            strategy: Some("tpe".into()),
            planned: Some(1000),
            generation_size: Some(10),
            objectives: vec![Objective::ValMse, Objective::ValTrendAcc],
            prune: None,
            searched: Vec::new(),
            configs,
            confirmed,
            confirm_planned: 5,
            confirm_seeds: 10,
            epochs_trained: 12_345_678,
            epochs_unpruned: 99_999_999,
            confirm_epochs: 1_000_000,
            curves: Vec::new(),
            grid_missing: false,
        };
        let text = search_block(&search, TERMINAL_WIDTH);
        assert!(text.lines().count() <= SEARCH_LINES, "{text}");
        assert!(text.lines().all(|l| width(l) <= TERMINAL_WIDTH), "{text}");
    }

    #[test]
    fn wrap_respects_width() {
        let text = "word ".repeat(60);
        let wrapped = wrap(&text, 20);
        assert!(wrapped.lines().all(|l| width(l) <= 20), "{wrapped}");
        assert_eq!(wrapped.split_whitespace().count(), 60);
    }
}
