//! Which trials of a results directory's grid have no result yet, and which shard owns
//! each, so a partial grid is never taken for a complete one.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Result;
use crate::grid::GridSpec;
use crate::store::{GRID_TOML, Shard, done_trials, journal_files};

/// Trial ids without a result, by the shard that owns them (`None` for an unsharded run).
pub type MissingByShard = BTreeMap<Option<Shard>, Vec<String>>;

/// Trials of a results directory's grid (its `grid.toml`) that have no result yet, grouped by
/// the shard that owns them (shard count read from the shard journals; `None` for an
/// unsharded run), with the grid's trial count. `None` when the directory has no grid.
pub fn missing_trials(dir: &Path) -> Result<Option<(usize, MissingByShard)>> {
    let grid = dir.join(GRID_TOML);
    let Ok(text) = std::fs::read_to_string(&grid) else {
        return Ok(None);
    };
    let spec = GridSpec::parse(&text, &grid)?;
    if spec.is_search() || spec.source.is_collection() {
        // Which trials a search trains depends on its results, and a collection's depend on
        // which series are long enough: only a sweep can tell.
        return Ok(None);
    }
    let done = done_trials(dir, false)?;
    let shard_count = journal_files(dir)?
        .iter()
        .filter_map(|p| {
            p.file_name()
                .and_then(|n| Shard::from_journal_name(&n.to_string_lossy()))
        })
        .map(|s| s.count)
        .max();
    let mut missing = MissingByShard::new();
    let mut total = 0;
    for trial in spec.trials() {
        total += 1;
        if !done.contains(&trial.id) {
            let shard = shard_count.map(|count| Shard {
                index: Shard::of(&trial.id, count),
                count,
            });
            missing.entry(shard).or_default().push(trial.id);
        }
    }
    Ok(Some((total, missing)))
}
