//! The page's section on a search: the summary's search, confirmation and Pareto texts beside
//! the figures that go with them.

use super::{Block, Section, convert, figure, plural, section};
use crate::analysis::summary::{ConfigStatus, SearchSummary, Summary};
use crate::error::Result;
use crate::report::views::document::search::{CONFIRMATION, PARETO, SEARCH};
use crate::report::views::plots::{off_scale_sentence, search as plots};

/// The figures of a search, also written beside the page.
pub(super) const HISTORY_SVG: &str = "search_history.svg";
pub(super) const SLICES_SVG: &str = "search_slices.svg";
pub(super) const PARETO_SVG: &str = "search_pareto.svg";
pub(super) const CURVES_SVG: &str = "search_curves.svg";

/// Whether a document section belongs to the search's part of the page.
pub(super) fn is_search_heading(heading: &str) -> bool {
    [SEARCH, CONFIRMATION, PARETO].contains(&heading)
}

/// The blocks of the document's section `heading`, as the page shows them.
fn document_blocks(summary: &Summary, heading: &str) -> Vec<Block> {
    summary
        .search_sections()
        .into_iter()
        .find(|s| s.heading == heading)
        .map(|s| s.blocks.into_iter().map(convert).collect())
        .unwrap_or_default()
}

fn history_caption(search: &SearchSummary, off: usize) -> String {
    let o = search.first_objective();
    let seeds = search
        .configs
        .iter()
        .map(|c| c.seeds.len())
        .max()
        .unwrap_or(0);
    let pruned = search.count(ConfigStatus::Pruned);
    let broken = search.count(ConfigStatus::Diverged) + search.count(ConfigStatus::Failed);
    let unscored = search.configs.len() - search.ranked().len();
    let confirmed = if search.confirmed.is_empty() {
        String::new()
    } else {
        " Orange rings mark the configurations retrained on fresh seeds.".to_string()
    };
    let strip = if unscored == 0 {
        "Every configuration has a score.".to_string()
    } else {
        let mut what = Vec::new();
        if pruned > 0 {
            what.push(format!("{pruned} pruned (grey)"));
        }
        if broken > 0 {
            what.push(format!("{broken} diverged or failed (dark red)"));
        }
        let rest = unscored - pruned - broken;
        if rest > 0 {
            what.push(format!("{rest} incomplete"));
        }
        format!(
            "Configurations without a final score are not drawn as values: the ticks in the \
             strip under the axis mark the {}.",
            what.join(", ")
        )
    };
    format!(
        "Each blue dot is a complete configuration's {} (the mean over its {} at each \
         trial's metric_epoch), at its place in the order the search tried them; the black \
         steps are the best so far.{confirmed} {strip} Dashed vertical lines separate \
         generations.{}",
        o.name(),
        plural(seeds, "search seed", "search seeds"),
        off_scale_sentence(off, ("configuration", "configurations"))
    )
}

fn slices_caption(search: &SearchSummary, off: usize) -> String {
    let o = search.first_objective();
    let log: Vec<&str> = search
        .searched
        .iter()
        .filter(|s| s.log_scale)
        .map(|s| s.name.as_str())
        .collect();
    let log = if log.is_empty() {
        String::new()
    } else {
        format!(
            " {} on a log axis (a log distribution, or values spanning more than {}×).",
            if log.len() == 1 {
                format!("{} is", log[0])
            } else {
                format!("{} are", log.join(", "))
            },
            crate::analysis::summary::SLICE_LOG_RATIO
        )
    };
    format!(
        "One panel per searched setting: each complete configuration's search-time {} \
         against the value it was given, coloured from dark (tried first) to light (tried \
         last), so a search that homes in shows its light points gathering. A range's panel \
         spans the whole range drawn from; a list's choices are evenly spaced. The panels \
         share the value axis. Pruned configurations have no final score and are left out.{log}{}",
        o.name(),
        off_scale_sentence(off, ("point", "points"))
    )
}

fn pareto_caption(search: &SearchSummary, off: usize) -> String {
    let names: Vec<&str> = search.objectives.iter().map(|o| o.name()).collect();
    format!(
        "Every complete configuration at its search-time {} (means over its search seeds). \
         The orange points, joined, are the Pareto front: the {} that no other complete \
         configuration beats on both; the labels are their numbers, as in the table below. \
         Grey points are dominated.{}",
        names.join(" and "),
        plural(search.front().len(), "configuration", "configurations"),
        off_scale_sentence(off, ("point", "points"))
    )
}

fn curves_caption(search: &SearchSummary, off: usize) -> String {
    let pruned = search.curves.iter().filter(|c| c.pruned).count();
    let rungs = match &search.prune {
        Some(p) if !p.rungs.is_empty() => " Dashed lines mark the rungs, where pruning decided.",
        _ => "",
    };
    format!(
        "The {} of every search trial after each epoch, one line per trial (a configuration \
         has one per seed; confirmation runs are left out): the {} pruned trials in grey, \
         ending where they were stopped, behind the {} that went on, in blue.{rungs}{}",
        search.first_objective().name(),
        pruned,
        search.curves.len() - pruned,
        off_scale_sentence(off, ("point", "points"))
    )
}

/// The search's section of the page, or `None` for a plain grid.
pub(super) fn search_section(summary: &Summary) -> Result<Option<Section>> {
    let Some(search) = &summary.search else {
        return Ok(None);
    };
    let mut blocks = document_blocks(summary, SEARCH);

    blocks.push(Block::Heading("Optimisation history".into()));
    let (svg, off) = plots::history_svg(search)?;
    blocks.push(figure(
        svg,
        HISTORY_SVG,
        history_caption(search, off.points),
    ));

    blocks.push(Block::Heading(CONFIRMATION.into()));
    blocks.extend(document_blocks(summary, CONFIRMATION));

    if !search.searched.is_empty() {
        blocks.push(Block::Heading("Slice plots".into()));
        let (svg, off) = plots::slices_svg(search)?;
        blocks.push(figure(svg, SLICES_SVG, slices_caption(search, off.points)));
    }

    if search.objectives.len() >= 2 {
        blocks.push(Block::Heading(PARETO.into()));
        let (svg, off) = plots::pareto_svg(search)?;
        blocks.push(figure(svg, PARETO_SVG, pareto_caption(search, off.points)));
        blocks.extend(document_blocks(summary, PARETO));
    }

    blocks.push(Block::Heading("Learning curves, pruned and not".into()));
    if search.curves.is_empty() {
        blocks.push(Block::Note(
            "The results directory has no epochs.parquet, so there are no curves to draw.".into(),
        ));
    } else {
        let (svg, off) = plots::curves_svg(search)?;
        blocks.push(figure(svg, CURVES_SVG, curves_caption(search, off.points)));
    }
    Ok(Some(section("search", "Search", blocks)))
}
