//! Splitting one grid across processes (e.g. the tasks of a Slurm job array). A trial
//! belongs to shard `id mod N`, reading the id's first 12 hex digits as a number: ids are
//! hashes of the trial's settings, so the assignment does not change with the machine, the
//! thread count, the order of keys in the grid file, or which other trials exist.

use std::fmt;

use crate::error::{Result, bad_input};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shard {
    /// 0-based.
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `K/N` with `0 ≤ K < N`.
    pub fn parse(text: &str) -> Result<Shard> {
        let fail = || {
            bad_input(format!(
                "--shard {text}: expected K/N with 0 ≤ K < N, e.g. --shard 0/4"
            ))
        };
        let (k, n) = text.split_once('/').ok_or_else(fail)?;
        let index: u64 = k.trim().parse().map_err(|_| fail())?;
        let count: u64 = n.trim().parse().map_err(|_| fail())?;
        if count == 0 || index >= count {
            return Err(fail());
        }
        Ok(Shard { index, count })
    }

    /// Which of `count` shards a trial id belongs to.
    pub fn of(trial_id: &str, count: u64) -> u64 {
        let digits = &trial_id[..trial_id.len().min(12)];
        u64::from_str_radix(digits, 16).unwrap_or(0) % count
    }

    pub fn contains(&self, trial_id: &str) -> bool {
        Shard::of(trial_id, self.count) == self.index
    }

    /// The shard's own journal, so shards sharing a directory never write the same file.
    pub fn journal_name(&self) -> String {
        format!("journal-{}-of-{}.jsonl", self.index, self.count)
    }

    pub fn lock_name(&self) -> String {
        format!(".trendsweep-{}-of-{}.lock", self.index, self.count)
    }

    /// Reads `K` and `N` back from a shard journal's file name.
    pub fn from_journal_name(name: &str) -> Option<Shard> {
        Shard::from_middle(name.strip_prefix("journal-")?.strip_suffix(".jsonl")?)
    }

    /// Reads `K` and `N` back from a shard lock's file name.
    pub fn from_lock_name(name: &str) -> Option<Shard> {
        Shard::from_middle(name.strip_prefix(".trendsweep-")?.strip_suffix(".lock")?)
    }

    /// `K-of-N`, the part both file names share.
    fn from_middle(middle: &str) -> Option<Shard> {
        let (k, n) = middle.split_once("-of-")?;
        Some(Shard {
            index: k.parse().ok()?,
            count: n.parse().ok()?,
        })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrainConfig;
    use crate::grid::trial_id;

    fn ids(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                trial_id(
                    16,
                    &TrainConfig {
                        seed: i as u64,
                        lambda: (i % 7) as f64 * 0.01,
                        ..TrainConfig::default()
                    },
                )
            })
            .collect()
    }

    #[test]
    fn shards_partition_the_trials() {
        let ids = ids(500);
        for count in [1u64, 2, 3, 4, 7, 16] {
            let mut sizes = vec![0usize; count as usize];
            for id in &ids {
                let owners: Vec<u64> = (0..count)
                    .filter(|&k| Shard { index: k, count }.contains(id))
                    .collect();
                assert_eq!(
                    owners.len(),
                    1,
                    "{id} must be in exactly one of {count} shards"
                );
                sizes[owners[0] as usize] += 1;
            }
            // Hash-based: no shard is left empty or takes much more than its share.
            let fair = 500 / count as usize;
            for s in &sizes {
                assert!(
                    *s > 0 && *s < fair * 2 + 10,
                    "{count} shards: sizes {sizes:?}"
                );
            }
        }
    }

    #[test]
    fn parse_accepts_k_of_n_and_refuses_the_rest() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        for bad in ["4/4", "1/0", "a/2", "3", "-1/2", ""] {
            let e = Shard::parse(bad).unwrap_err();
            assert!(crate::error::is_bad_input(&e), "{bad}");
        }
    }

    #[test]
    fn file_names_round_trip() {
        let s = Shard { index: 3, count: 8 };
        assert_eq!(Shard::from_journal_name(&s.journal_name()), Some(s));
        assert_eq!(Shard::from_journal_name("journal.jsonl"), None);
        assert_eq!(Shard::from_lock_name(&s.lock_name()), Some(s));
        assert_eq!(Shard::from_lock_name(".trendsweep.lock"), None);
        assert_eq!(Shard::from_lock_name(".trendsweep-setup.lock"), None);
    }
}
