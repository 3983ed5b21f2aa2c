//! The rungs of a pruned search split across shards. Each shard trains its own trials of a
//! generation to a rung, writes their curves up to the rung into `rungs/` in the shared
//! results directory, and reads every other shard's before deciding which configurations
//! stop, so each shard decides from the same complete rung an unsharded search sees.
//!
//! A rung file holds only what training determines (a trial's curve is a pure function of
//! its settings), so a file left by a killed run is as good as a fresh one and a restarted
//! shard simply writes the same bytes again.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::grid::Trial;
use crate::store::Shard;
use crate::store::records::{EpochMetrics, TrialStatus};

/// The folder of rung files inside a results directory.
pub const RUNGS_DIR: &str = "rungs";

/// A trial as it stands at a rung: its status so far and its curve up to the rung.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtRung {
    pub trial_id: String,
    pub status: TrialStatus,
    pub curve: Vec<EpochMetrics>,
}

impl AtRung {
    /// `curve` cut to its first `rung` epochs.
    pub fn new(trial: &Trial, status: TrialStatus, curve: &[EpochMetrics], rung: usize) -> AtRung {
        AtRung {
            trial_id: trial.id.clone(),
            status,
            curve: curve[..rung.min(curve.len())].to_vec(),
        }
    }
}

/// Every trial of a generation at one rung, by trial id.
pub type Rung = HashMap<String, AtRung>;

fn path(out: &Path, generation: usize, rung: usize, shard: Shard) -> PathBuf {
    out.join(RUNGS_DIR).join(format!(
        "generation-{generation}-epoch-{rung}-{}-of-{}.json",
        shard.index, shard.count
    ))
}

/// Writes this shard's trials at the rung, atomically.
pub fn publish(
    out: &Path,
    generation: usize,
    rung: usize,
    shard: Shard,
    mine: &[AtRung],
) -> Result<()> {
    let file = path(out, generation, rung, shard);
    std::fs::create_dir_all(file.parent().expect("inside the rungs folder"))?;
    crate::store::write_atomically(&file, |f| {
        serde_json::to_writer(std::io::BufWriter::new(f), mine)?;
        Ok(())
    })
}

/// The shards whose file for this rung does not yet hold every one of the `trials` they own
/// (each trial comes with the shard that trains it); the others' entries are added to
/// `into`. A file that cannot be read yet (being replaced) counts as missing.
pub fn collect(
    out: &Path,
    generation: usize,
    rung: usize,
    count: u64,
    trials: &[(&Trial, u64)],
    into: &mut Rung,
) -> BTreeSet<u64> {
    let mut missing = BTreeSet::new();
    for index in 0..count {
        let theirs: Vec<&Trial> = trials
            .iter()
            .filter(|&&(t, owner)| owner == index && !into.contains_key(&t.id))
            .map(|&(t, _)| t)
            .collect();
        if theirs.is_empty() {
            continue;
        }
        let shard = Shard { index, count };
        let read: Option<Vec<AtRung>> = std::fs::read(path(out, generation, rung, shard))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let mut by_id: HashMap<String, AtRung> = read
            .unwrap_or_default()
            .into_iter()
            .map(|a| (a.trial_id.clone(), a))
            .collect();
        if theirs.iter().all(|t| by_id.contains_key(&t.id)) {
            for t in theirs {
                let entry = by_id.remove(&t.id).expect("checked above");
                into.insert(t.id.clone(), entry);
            }
        } else {
            missing.insert(index);
        }
    }
    missing
}
