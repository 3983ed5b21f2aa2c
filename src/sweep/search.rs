//! Running a search: configurations proposed a generation at a time (grid order, random or
//! TPE), each trained once per seed, pruned at rungs, and the best retrained on fresh seeds.
//!
//! Reproducible by construction. Proposals depend only on the search seed and the results
//! of earlier generations, never on which trial finished first. Pruning trains a
//! generation's trials in lockstep to each rung and decides from the complete rung, in
//! configuration order. A rerun replays the same decisions from the journal: finished trials
//! give their curves, unfinished ones are trained again from the start (training is a pure
//! function of the settings), so a search killed at any moment ends as an uninterrupted one.

use std::collections::{BTreeSet, HashMap};

use super::{SweepOptions, Workers};
use crate::config::{MetricEpoch, Objective, PruneStrategy, Strategy};
use crate::error::Result;
use crate::grid::{Config, GridSpec, Trial};
use crate::model::train::FoldedRun;
use crate::search::{Dim, Point, pareto};
use crate::store::Shard;
use crate::store::records::{
    EpochMetrics, SearchTag, TrialRecord, TrialResult, TrialStatus, lowest_val_mse,
};

use super::Prepared;
use super::rungs::{self, AtRung};

/// The median rule prunes only once this many earlier configurations reached the rung,
/// so the first few are never stopped by a median of one or two.
pub const MEDIAN_STARTUP: usize = 5;

/// A configuration proposed by the search, with the trials that replicate it.
struct Proposed {
    config: Config,
    generation: usize,
    trials: Vec<Trial>,
    /// How many trials the search proposed before these: the first one's place in the
    /// search's order (see [`owner`]).
    position: usize,
}

/// The shard (of `count`) that trains a search's trial at `position` in the order the
/// search proposed them (configuration, then seed). The trials go round the shards in
/// turn, so each generation, and each rung of it, is shared as evenly as it can be, which
/// ownership by trial id (as for a grid) would leave to chance.
fn owner(position: usize, count: u64) -> u64 {
    position as u64 % count
}

impl Proposed {
    /// Its trials with the shard (of `count`) that trains each.
    fn owned(&self, count: u64) -> impl Iterator<Item = (&Trial, u64)> {
        self.trials
            .iter()
            .enumerate()
            .map(move |(i, t)| (t, owner(self.position + i, count)))
    }
}

/// The trials of the configurations `indices`, each with the shard (of `count`) that trains
/// it.
fn owned_by<'a>(proposed: &'a [Proposed], indices: &[usize], count: u64) -> Vec<(&'a Trial, u64)> {
    indices
        .iter()
        .flat_map(|&c| proposed[c].owned(count))
        .collect()
}

/// Whether this process trains the trial at `position` (always, unsharded).
fn is_mine(opts: &SweepOptions, position: usize) -> bool {
    opts.shard
        .is_none_or(|s| owner(position, s.count) == s.index)
}

/// Runs the search `spec` describes, sending every finished trial to the journal.
pub(super) fn run(
    spec: &GridSpec,
    prepared: &Prepared,
    opts: &SweepOptions,
    mut known: HashMap<String, TrialRecord>,
    workers: &Workers,
) -> Result<()> {
    let seeds = spec.seeds();
    let dims: Vec<Dim> = spec.space().into_iter().map(|(_, d)| d).collect();
    let total = usize::try_from(spec.config_count()).unwrap_or(usize::MAX);
    let size = spec.search.generation.clamp(1, total.max(1));
    let grid = (spec.search.strategy == Strategy::Grid).then(|| spec.grid_configs());
    // Without TPE or pruning no generation waits for another: all are trained as one batch,
    // which keeps every worker busy. The tags still name each configuration's generation.
    let lockstep =
        spec.search.strategy == Strategy::Tpe || spec.prune.strategy != PruneStrategy::None;
    let mut proposed: Vec<Proposed> = Vec::new();
    let mut generation = 0;
    let mut pending: Vec<usize> = Vec::new();
    while proposed.len() < total && !super::interrupt::requested() {
        let first = proposed.len();
        let wanted = size.min(total - first);
        let history = history(spec, &proposed, &known);
        let mut added = 0;
        for slot in 0..wanted {
            let index = first + slot;
            let config = match &grid {
                Some(all) => Some(all[index].clone()),
                None => spec.propose(&dims, index, &history, proposed.iter().map(|p| &p.config)),
            };
            let Some(config) = config else {
                continue;
            };
            let trials = spec.trials_of(&config, &seeds);
            let position = proposed.last().map_or(0, |p| p.position + p.trials.len());
            proposed.push(Proposed {
                config,
                generation,
                trials,
                position,
            });
            pending.push(proposed.len() - 1);
            added += 1;
        }
        generation += 1;
        if lockstep || proposed.len() >= total || added == 0 {
            train_generation(
                spec, opts, prepared, &proposed, &pending, &mut known, workers,
            )?;
            // The next generation is proposed from every shard's results of this one.
            if lockstep {
                await_shards(opts, &proposed, &pending, &mut known)?;
            }
            pending.clear();
        }
        if added == 0 {
            // Every draw repeated an earlier configuration: a small space is exhausted.
            break;
        }
    }
    if super::interrupt::requested() || spec.search.confirm == 0 {
        return Ok(());
    }
    // Confirmation chooses from every configuration's results, then each shard retrains its
    // share of the chosen ones on the fresh seeds.
    let all: Vec<usize> = (0..proposed.len()).collect();
    await_shards(opts, &proposed, &all, &mut known)?;
    if super::interrupt::requested() {
        return Ok(());
    }
    confirm(spec, opts, prepared, &proposed, &mut known, workers)
}

/// With `--shard`, waits until every trial of the configurations `indices` has a record in
/// the results directory (each shard writes its own journal there) and adds the other
/// shards' records to `known`: they are what the next proposals are drawn from.
fn await_shards(
    opts: &SweepOptions,
    proposed: &[Proposed],
    indices: &[usize],
    known: &mut HashMap<String, TrialRecord>,
) -> Result<()> {
    let Some(shard) = opts.shard else {
        return Ok(());
    };
    let trials = owned_by(proposed, indices, shard.count);
    wait_for_shards(opts, shard, || {
        let missing = |known: &HashMap<String, TrialRecord>| -> Vec<u64> {
            trials
                .iter()
                .filter(|(t, _)| !known.contains_key(&t.id))
                .map(|&(_, k)| k)
                .collect()
        };
        if !missing(known).is_empty() {
            for r in crate::store::read_journal(&opts.out)? {
                known.entry(r.trial_id.clone()).or_insert(r);
            }
        }
        let missing = missing(known);
        let what = format!("finish {}", plural_trials(missing.len()));
        Ok((missing.into_iter().collect(), what))
    })
}

/// Polls `owing` (the shards that still owe this one something, and what) until none does,
/// at first every 5 ms (shards in step meet at once), backing off to every 200 ms. Gives up
/// after `--shard-wait`, naming them: rerunning resumes.
fn wait_for_shards(
    opts: &SweepOptions,
    shard: Shard,
    mut owing: impl FnMut() -> Result<(BTreeSet<u64>, String)>,
) -> Result<()> {
    let started = std::time::Instant::now();
    let mut said = false;
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        let (shards, what) = owing()?;
        if shards.is_empty() || super::interrupt::requested() {
            return Ok(());
        }
        let names: Vec<String> = shards
            .iter()
            .map(|k| format!("{k}/{}", shard.count))
            .collect();
        let plural = if names.len() == 1 { "" } else { "s" };
        if started.elapsed() >= opts.shard_wait {
            crate::fail!(
                "{}: --shard {shard}: waited {:.0} s (--shard-wait) for shard{plural} {} to \
                 {what}; start {} on the same results directory, then rerun this shard: it \
                 resumes where it stopped",
                opts.out.display(),
                opts.shard_wait.as_secs_f64(),
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" }
            );
        }
        if !said && !opts.quiet {
            errln!(
                "shard {shard}: waiting for shard{plural} {} to {what}",
                names.join(", ")
            );
            said = true;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(200));
    }
}

fn plural_trials(n: usize) -> String {
    format!("{n} trial{}", if n == 1 { "" } else { "s" })
}

/// The finished configurations' points and objective values (as losses), in proposal order.
fn history(
    spec: &GridSpec,
    proposed: &[Proposed],
    known: &HashMap<String, TrialRecord>,
) -> Vec<(Point, Vec<f64>)> {
    proposed
        .iter()
        .map(|p| {
            let value = config_losses(spec, &p.trials, known)
                .unwrap_or_else(|| vec![f64::INFINITY; spec.search.objectives.len()]);
            (p.config.point.clone(), value)
        })
        .collect()
}

/// A configuration's objectives as losses (lower is better): the mean over its seeds at
/// each trial's metric epoch. `None` unless every seed trained to the end (`ok`).
pub fn config_losses(
    spec: &GridSpec,
    trials: &[Trial],
    known: &HashMap<String, TrialRecord>,
) -> Option<Vec<f64>> {
    let records: Vec<&TrialRecord> = trials
        .iter()
        .map(|t| known.get(&t.id))
        .collect::<Option<_>>()?;
    if records.is_empty() || records.iter().any(|r| r.result.status != TrialStatus::Ok) {
        return None;
    }
    spec.search
        .objectives
        .iter()
        .map(|&o| {
            let values: Vec<f64> = records
                .iter()
                .map(|r| objective(r.result.metric(r.config.metric_epoch), o))
                .collect::<Option<_>>()?;
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            mean.is_finite().then_some(o.as_loss(mean))
        })
        .collect()
}

fn objective(m: Option<&EpochMetrics>, o: Objective) -> Option<f64> {
    let m = m?;
    match o {
        Objective::ValMse => m.val_mse,
        Objective::ValTrendAcc => m.val_trend_acc,
    }
}

/// The first `n` configurations the search proposes when they do not depend on results
/// (see [`GridSpec::planned_configs`]).
pub fn planned_configs(spec: &GridSpec, n: usize) -> Vec<Config> {
    spec.planned_configs(n)
}

/// One trial's place in a generation while it trains.
enum Slot {
    /// Finished before (in the journal) or during this run.
    Done(Box<TrialRecord>),
    /// Member `member` of stack `unit` (see [`Unit`]), started or not.
    Stacked { unit: usize, member: usize },
}

/// Trials of a generation trained together (see [`crate::model::stack`]): their slots,
/// and their stacked run once started. Pruning takes a member out; the others go on.
struct Unit {
    slots: Vec<usize>,
    run: Option<FoldedRun>,
    taken: Vec<bool>,
}

/// Trains `todo` (each with its search tag) to the end, stacked, on whichever worker is
/// free, recording each as it ends.
fn train_tagged(
    todo: Vec<(Trial, SearchTag)>,
    prepared: &Prepared,
    workers: &Workers,
) -> Vec<TrialRecord> {
    let tags: HashMap<String, SearchTag> =
        todo.iter().map(|(t, tag)| (t.id.clone(), *tag)).collect();
    let trials: Vec<Trial> = todo.into_iter().map(|(t, _)| t).collect();
    let stacks = super::plan_stacks(trials, prepared.single(), workers.stack, super::fault_free);
    workers
        .map(&stacks, |stack| {
            for _ in stack {
                workers.progress().started();
            }
            let data = &prepared.single().datasets[&stack[0].window];
            super::run_stack(stack, data)
                .into_iter()
                .map(|mut record| {
                    record.search = Some(tags[&record.trial_id]);
                    workers.record(record.clone());
                    record
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .flatten()
        .collect()
}

/// Trains the configurations `indices` of `proposed`: to the end, or with pruning rung by
/// rung in lockstep. Trials that share a stack key train stacked either way.
fn train_generation(
    spec: &GridSpec,
    opts: &SweepOptions,
    prepared: &Prepared,
    proposed: &[Proposed],
    indices: &[usize],
    known: &mut HashMap<String, TrialRecord>,
    workers: &Workers,
) -> Result<()> {
    let tag = |config: usize| SearchTag {
        config,
        generation: proposed[config].generation,
        confirm: false,
    };
    let mut waiting: Vec<(usize, &Trial)> = Vec::new();
    let mut slots: Vec<(usize, &Trial, Option<Slot>)> = Vec::new();
    for &c in indices {
        let p = &proposed[c];
        for (i, trial) in p.trials.iter().enumerate() {
            if !is_mine(opts, p.position + i) {
                continue;
            }
            match known.get(&trial.id) {
                Some(r) => slots.push((c, trial, Some(Slot::Done(Box::new(r.clone()))))),
                None => {
                    waiting.push((c, trial));
                    slots.push((c, trial, None));
                }
            }
        }
    }
    // Every shard brings the generation to the same rungs, its own trials or not.
    let epochs = indices
        .iter()
        .flat_map(|&c| &proposed[c].trials)
        .map(|t| t.config.epochs)
        .max()
        .unwrap_or(0);
    let rungs = spec.prune.rungs(epochs);
    if rungs.is_empty() {
        // No pruning: each stack trains to its end on whichever worker is free.
        let todo = waiting
            .iter()
            .map(|(c, t)| ((*t).clone(), tag(*c)))
            .collect();
        for record in train_tagged(todo, prepared, workers) {
            known.insert(record.trial_id.clone(), record);
        }
        return Ok(());
    }

    // The waiting trials in stacks, grouped as the sweep groups them.
    let position: HashMap<&str, usize> = slots
        .iter()
        .enumerate()
        .map(|(i, (_, t, _))| (t.id.as_str(), i))
        .collect();
    let stacks = super::plan_stacks(
        waiting.iter().map(|(_, t)| (*t).clone()).collect(),
        prepared.single(),
        workers.stack,
        super::fault_free,
    );
    let units: Vec<std::sync::Mutex<Unit>> = stacks
        .iter()
        .enumerate()
        .map(|(u, stack)| {
            let members: Vec<usize> = stack.iter().map(|t| position[t.id.as_str()]).collect();
            for (m, &i) in members.iter().enumerate() {
                slots[i].2 = Some(Slot::Stacked { unit: u, member: m });
            }
            std::sync::Mutex::new(Unit {
                taken: vec![false; members.len()],
                slots: members,
                run: None,
            })
        })
        .collect();
    let mut slots: Vec<(usize, &Trial, Slot)> = slots
        .into_iter()
        .map(|(c, t, s)| (c, t, s.expect("every slot is done or stacked")))
        .collect();

    // Sharded, the generation's trials with the shard that trains each, for the rungs.
    let owned = opts
        .shard
        .map_or_else(Vec::new, |s| owned_by(proposed, indices, s.count));
    let mut alive: Vec<usize> = indices.to_vec();
    for &rung in rungs.iter().chain(std::iter::once(&epochs)) {
        // Bring every stack with a trial still training to this rung; record the trials
        // that end on the way.
        let work: Vec<usize> = (0..units.len())
            .filter(|&u| {
                let unit = units[u].lock().expect("not poisoned");
                unit.taken.iter().any(|t| !t)
            })
            .collect();
        let stepped = workers.map(&work, |&u| {
            let mut unit = units[u].lock().expect("one worker per stack");
            let first = slots[unit.slots[0]].1;
            let data = &prepared.single().datasets[&first.window];
            if unit.run.is_none() {
                let cfgs: Vec<_> = unit
                    .slots
                    .iter()
                    .map(|&i| slots[i].1.config.clone())
                    .collect();
                for _ in &cfgs {
                    workers.progress().started();
                }
                unit.run = Some(FoldedRun::stacked(data, &cfgs));
            }
            let Unit {
                slots: members,
                run,
                taken,
            } = &mut *unit;
            let run = run.as_mut().expect("started");
            run.advance(data, rung);
            let mut ended = Vec::new();
            for (m, &i) in members.iter().enumerate() {
                if !taken[m] && run.member_ended(m) {
                    taken[m] = true;
                    let (c, trial, _) = &slots[i];
                    let record = tagged(trial, run.take(m, data, false), tag(*c));
                    workers.record(record.clone());
                    ended.push((i, record));
                }
            }
            ended
        });
        if super::interrupt::requested() {
            return Ok(());
        }
        for (i, record) in stepped.into_iter().flatten().flatten() {
            known.insert(record.trial_id.clone(), record.clone());
            slots[i].2 = Slot::Done(Box::new(record));
        }
        if rung == epochs {
            break;
        }

        // Decide from the complete rung, in configuration order: every trial of the
        // generation as it stands at the rung, the other shards' read from their rung files.
        let mine: Vec<AtRung> = slots
            .iter()
            .map(|(_, trial, slot)| match slot {
                Slot::Done(r) => AtRung::new(trial, r.result.status, &r.result.curve, rung),
                Slot::Stacked { unit, member } => {
                    let unit = units[*unit].lock().expect("not poisoned");
                    let run = unit.run.as_ref().expect("every stack reached the rung");
                    AtRung::new(trial, TrialStatus::Ok, &run.curve_of(*member), rung)
                }
            })
            .collect();
        let mut at_rung: rungs::Rung = mine
            .iter()
            .map(|a| (a.trial_id.clone(), a.clone()))
            .collect();
        if let Some(shard) = opts.shard {
            // Another shard's trial with a record (a rerun) stands at the rung as its record
            // says: its curve then is the record's first epochs, whatever came after.
            for &(trial, _) in owned.iter().filter(|&&(_, k)| k != shard.index) {
                if let Some(r) = known.get(&trial.id) {
                    let at = AtRung::new(trial, r.result.status, &r.result.curve, rung);
                    at_rung.insert(trial.id.clone(), at);
                }
            }
            let generation = proposed[indices[0]].generation;
            rungs::publish(&opts.out, generation, rung, shard, &mine)?;
            wait_for_shards(opts, shard, || {
                let owing = rungs::collect(
                    &opts.out,
                    generation,
                    rung,
                    shard.count,
                    &owned,
                    &mut at_rung,
                );
                Ok((
                    owing,
                    format!("train generation {generation} to epoch {rung}"),
                ))
            })?;
            if super::interrupt::requested() {
                return Ok(());
            }
        }
        let value = |c: usize| -> f64 {
            let per_trial: Vec<f64> = proposed[c]
                .trials
                .iter()
                .map(|t| match at_rung.get(&t.id) {
                    Some(a) => rung_value(spec, &a.curve, a.status, rung, t),
                    None => f64::INFINITY,
                })
                .collect();
            mean_or_worst(&per_trial)
        };
        let values: Vec<(usize, f64)> = alive.iter().map(|&c| (c, value(c))).collect();
        let stop = match spec.prune.strategy {
            PruneStrategy::Asha => asha(&values, spec.prune.reduction_factor),
            PruneStrategy::Median => {
                let earlier = |c: usize| -> Vec<f64> {
                    (0..c)
                        .filter_map(|e| {
                            let losses: Vec<f64> = proposed[e]
                                .trials
                                .iter()
                                .map(|t| {
                                    let curve = match at_rung.get(&t.id) {
                                        Some(a) => &a.curve,
                                        None => &known.get(&t.id)?.result.curve,
                                    };
                                    // Only configurations that trained to this rung count.
                                    (curve.len() >= rung)
                                        .then(|| rung_value(spec, curve, TrialStatus::Ok, rung, t))
                                })
                                .collect::<Option<_>>()?;
                            Some(mean_or_worst(&losses))
                        })
                        .collect()
                };
                median_rule(&values, earlier)
            }
            PruneStrategy::None => Vec::new(),
        };
        // A stopped configuration's trials leave their stacks; their stack-mates go on.
        for (c, trial, slot) in slots.iter_mut() {
            if !stop.contains(c) {
                continue;
            }
            if let Slot::Stacked { unit, member } = *slot {
                let mut unit = units[unit].lock().expect("not poisoned");
                let data = &prepared.single().datasets[&trial.window];
                unit.taken[member] = true;
                let run = unit.run.as_mut().expect("a stopped trial has trained");
                let record = tagged(trial, run.take(member, data, true), tag(*c));
                workers.record(record.clone());
                known.insert(record.trial_id.clone(), record.clone());
                *slot = Slot::Done(Box::new(record));
            }
        }
        alive.retain(|c| !stop.contains(c));
    }
    Ok(())
}

fn tagged(trial: &Trial, result: TrialResult, tag: SearchTag) -> TrialRecord {
    TrialRecord {
        trial_id: trial.id.clone(),
        series: None,
        window: trial.window,
        config: trial.config.clone(),
        result,
        search: Some(tag),
    }
}

/// The mean, or the worst value when any is not finite (a diverged seed sinks its
/// configuration).
fn mean_or_worst(values: &[f64]) -> f64 {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return f64::INFINITY;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// A trial's objective (as a loss) at `rung` epochs, from its curve: the figure its metric
/// epoch would give had it stopped there. A trial that diverged before the rung is the
/// worst; one that stopped early (patience) keeps its last figures.
pub fn rung_value(
    spec: &GridSpec,
    curve: &[EpochMetrics],
    status: TrialStatus,
    rung: usize,
    trial: &Trial,
) -> f64 {
    if curve.len() < rung && matches!(status, TrialStatus::Diverged | TrialStatus::Failed) {
        return f64::INFINITY;
    }
    let upto = &curve[..rung.min(curve.len())];
    let at = match trial.config.metric_epoch {
        MetricEpoch::Final => upto.last(),
        MetricEpoch::Best => lowest_val_mse(upto).or(upto.last()),
    };
    let o = spec.search.objectives[0];
    objective(at, o)
        .filter(|v| v.is_finite())
        .map_or(f64::INFINITY, |v| o.as_loss(v))
}

/// Successive halving at one rung: of the configurations' values (losses), all but the
/// best `max(1, n / η)` stop. Ties go to the earlier configuration.
pub fn asha(values: &[(usize, f64)], reduction_factor: usize) -> Vec<usize> {
    let keep = (values.len() / reduction_factor.max(2)).max(1);
    let mut order: Vec<&(usize, f64)> = values.iter().collect();
    order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut stop: Vec<usize> = order.iter().skip(keep).map(|(c, _)| *c).collect();
    stop.sort_unstable();
    stop
}

/// The median rule at one rung: a configuration stops when its value is worse than the
/// median of the earlier configurations' values at the rung (`earlier(c)`), once there are
/// [`MEDIAN_STARTUP`] of them.
pub fn median_rule(values: &[(usize, f64)], earlier: impl Fn(usize) -> Vec<f64>) -> Vec<usize> {
    values
        .iter()
        .filter(|(c, v)| {
            let mut before = earlier(*c);
            if before.len() < MEDIAN_STARTUP {
                return false;
            }
            before.sort_by(f64::total_cmp);
            let n = before.len();
            let median = if n % 2 == 1 {
                before[n / 2]
            } else {
                (before[n / 2 - 1] + before[n / 2]) / 2.0
            };
            *v > median
        })
        .map(|(c, _)| *c)
        .collect()
}

/// The configurations confirmation retrains: the best `confirm` finished ones by the
/// search-time objective (Pareto order for two objectives), best first.
pub fn confirm_choice(losses: &[Option<Vec<f64>>], confirm: usize) -> Vec<usize> {
    let finished: Vec<usize> = (0..losses.len()).filter(|&i| losses[i].is_some()).collect();
    let values: Vec<Vec<f64>> = finished
        .iter()
        .map(|&i| losses[i].clone().expect("finished"))
        .collect();
    let order: Vec<usize> = if values.first().is_some_and(|v| v.len() > 1) {
        pareto::order(&values)
    } else {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a][0].total_cmp(&values[b][0]).then(a.cmp(&b)));
        order
    };
    order
        .into_iter()
        .take(confirm)
        .map(|i| finished[i])
        .collect()
}

/// Retrains the best configurations on fresh seeds.
fn confirm(
    spec: &GridSpec,
    opts: &SweepOptions,
    prepared: &Prepared,
    proposed: &[Proposed],
    known: &mut HashMap<String, TrialRecord>,
    workers: &Workers,
) -> Result<()> {
    let losses: Vec<Option<Vec<f64>>> = proposed
        .iter()
        .map(|p| config_losses(spec, &p.trials, known))
        .collect();
    let fresh = spec.fresh_seeds();
    let todo: Vec<(usize, Trial)> = confirm_choice(&losses, spec.search.confirm)
        .into_iter()
        .flat_map(|c| {
            spec.trials_of(&proposed[c].config, &fresh)
                .into_iter()
                .map(move |t| (c, t))
        })
        // The confirmation's trials go round the shards in turn, as the search's did.
        .enumerate()
        .filter(|(i, (_, t))| !known.contains_key(&t.id) && is_mine(opts, *i))
        .map(|(_, ct)| ct)
        .collect();
    let todo = todo
        .into_iter()
        .map(|(c, t)| {
            let tag = SearchTag {
                config: c,
                generation: proposed[c].generation,
                confirm: true,
            };
            (t, tag)
        })
        .collect();
    for record in train_tagged(todo, prepared, workers) {
        known.insert(record.trial_id.clone(), record);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asha_keeps_the_best_third_and_at_least_one() {
        let values: Vec<(usize, f64)> = [5.0, 1.0, 4.0, 2.0, 9.0, 3.0, 8.0, 7.0]
            .into_iter()
            .enumerate()
            .collect();
        // 8 / 3 = 2 kept: configurations 1 (1.0) and 3 (2.0).
        assert_eq!(asha(&values, 3), vec![0, 2, 4, 5, 6, 7]);
        assert_eq!(asha(&values[..2], 3), vec![0]);
        // A tie keeps the earlier configuration.
        assert_eq!(asha(&[(4, 1.0), (2, 1.0), (3, 2.0)], 3), vec![3, 4]);
        assert!(asha(&[(0, f64::INFINITY)], 3).is_empty());
    }

    #[test]
    fn the_median_rule_waits_for_five_earlier_configurations() {
        let values = [(3, 10.0), (6, 10.0), (7, 2.0)];
        let earlier = |c: usize| -> Vec<f64> { (0..c).map(|e| e as f64 * 2.0).collect() };
        // Config 3 has three earlier values: never stopped. Config 6: earlier 0,2,4,6,8,10,
        // median 5, 10 > 5 stops. Config 7: median 6, 2 < 6 goes on.
        assert_eq!(median_rule(&values, earlier), vec![6]);
    }

    #[test]
    fn confirmation_takes_the_best_finished_configurations() {
        let losses = vec![Some(vec![3.0]), None, Some(vec![1.0]), Some(vec![2.0])];
        assert_eq!(confirm_choice(&losses, 2), vec![2, 3]);
        assert_eq!(confirm_choice(&losses, 9), vec![2, 3, 0]);
    }
}
