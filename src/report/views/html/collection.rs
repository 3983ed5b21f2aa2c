//! A collection's `report.html`: the verdict, the per-series picture (the chosen setting
//! against each series' best baseline, and the penalty's effect on each series) and the
//! summary's tables, from the same document `summary.md` is made of.

use std::path::Path;

use super::{Block, Section, convert, figure, page, section, write_figures};
use crate::analysis::collection::CollectionSummary;
use crate::error::Result;
use crate::report::views::plots::collection::{effects_svg, strip_svg};

pub const STRIP_SVG: &str = "series_strip.svg";
pub const EFFECTS_SVG: &str = "series_effects.svg";

fn picture(summary: &CollectionSummary) -> Result<Section> {
    let mut blocks = Vec::new();
    if let (Some(best), Some(c)) = (summary.best(), &summary.confirmation) {
        let split = if summary.tested { "test" } else { "validation" };
        let svg = strip_svg(&c.against_best, split)?;
        blocks.push(figure(
            svg,
            STRIP_SVG,
            format!(
                "One bar per series: the {split} MSE of the setting chosen for the whole collection \
                 ({}) over that of the series' best baseline (the lowest validation MSE), on a log \
                 scale clipped to [0.01, 100]. Below the line the setting wins the series: {} of \
                 {}.",
                if best.label.is_empty() { "the only setting" } else { &best.label },
                c.beats_best,
                c.series
            ),
        ));
    }
    if summary.effects.iter().any(|e| e.splits[0].is_some()) {
        blocks.push(figure(
            effects_svg(&summary.effects)?,
            EFFECTS_SVG,
            "One dot per series for each λ > 0: the geometric mean of its validation MSE ratios \
             against λ = 0 (paired by seed and the other settings), below 1 where the penalty \
             helps. The black bar is the collection's geometric mean and its 95 % bootstrap \
             interval over series."
                .to_string(),
        ));
    }
    if blocks.is_empty() {
        blocks.push(Block::Note(
            "No setting has a figure on every series, so there is no per-series picture.".into(),
        ));
    }
    Ok(section("series", "Series by series", blocks))
}

/// Writes a collection's `report.html` and its figures into `dir`.
pub fn write_collection_html(dir: &Path, summary: &CollectionSummary) -> Result<()> {
    let mut sections = summary.sections().into_iter();
    let verdict = sections
        .next()
        .map(|s| s.blocks.into_iter().map(convert).collect())
        .unwrap_or_default();
    let mut tables = Vec::new();
    for s in sections {
        tables.push(Block::Heading(s.heading));
        tables.extend(s.blocks.into_iter().map(convert));
    }
    let all = vec![
        section("run", "The collection", vec![Block::Para(summary.counts())]),
        section("verdict", "Verdict", verdict),
        picture(summary)?,
        section("tables", "Summary tables", tables),
    ];
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let title = format!("{name} ({} series)", summary.series);
    write_figures(dir, &all, &page(&title, &all).into_string())
}
