//! What a trial will hold in memory, estimated before any trial starts, so a grid whose
//! trials cannot fit is refused with its culprit named instead of aborting (or meeting the
//! out-of-memory killer) minutes into a sweep, on every rerun.

use crate::config::TrainConfig;
pub use crate::console::human;

/// Rows the evaluation predicts at a time (`train::evaluate`).
pub const EVAL_ROWS: usize = 4096;

/// A trial's peak memory, in bytes, by what holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrialMemory {
    /// Weights, Adam's two moments, the gradients and the copy the finiteness check makes.
    pub weights: u64,
    /// The largest block of rows in flight (a batch, or an evaluation block): inputs, the
    /// hidden layer and their gradients.
    pub activations: u64,
    /// The shuffle order (one u32 per training sample) and the per-epoch curve.
    pub other: u64,
}

impl TrialMemory {
    /// Estimates what one trial with `cfg` holds on a dataset with `n_inputs` inputs per
    /// sample and `n_train` training samples (the largest split is at most `n_rows`).
    pub fn estimate(
        n_inputs: usize,
        n_train: usize,
        n_rows: usize,
        cfg: &TrainConfig,
    ) -> TrialMemory {
        let f32_bytes = 4u128;
        let (n_in, hidden) = (n_inputs as u128 + 1, cfg.n_dense as u128 + 1);
        let parameters = n_in * hidden + hidden;
        // Weights, Adam's first and second moments, gradients, and one copy (`is_finite`).
        let weights = 5 * parameters * f32_bytes;
        let batch_rows = cfg.batch_size.min(n_train.max(1)) as u128;
        let eval_rows = EVAL_ROWS.min(n_rows.max(1)) as u128;
        let rows = batch_rows.max(eval_rows);
        // Inputs: the host buffer, the tensor and its gradient; hidden: values, activation
        // and gradient.
        let activations = rows * (3 * n_in + 3 * hidden) * f32_bytes;
        let curve =
            cfg.epochs as u128 * std::mem::size_of::<crate::model::records::EpochMetrics>() as u128;
        let other = n_train as u128 * 4 + curve;
        let clamp = |b: u128| u64::try_from(b).unwrap_or(u64::MAX);
        TrialMemory {
            weights: clamp(weights),
            activations: clamp(activations),
            other: clamp(other),
        }
    }

    pub fn total(&self) -> u64 {
        self.weights
            .saturating_add(self.activations)
            .saturating_add(self.other)
    }

    /// The setting that drives the largest part, and its value, for the message that
    /// refuses the trial.
    pub fn culprit(&self, window: usize, cfg: &TrainConfig) -> (&'static str, usize) {
        if self.other > self.weights.max(self.activations) {
            ("epochs", cfg.epochs)
        } else if self.activations > self.weights && cfg.batch_size > EVAL_ROWS {
            ("batch_size", cfg.batch_size)
        } else if window > cfg.n_dense {
            ("window", window)
        } else {
            ("n_dense", cfg.n_dense)
        }
    }
}

/// A trial as the memory check sees it: its window and settings, and the sizes of its data.
pub struct TrialShape<'a> {
    pub window: usize,
    pub config: &'a TrainConfig,
    pub n_inputs: usize,
    pub n_train: usize,
    /// The largest split.
    pub n_rows: usize,
}

/// Refuses a set of trials that cannot fit in `available` bytes when `threads` workers each
/// hold a stack of up to `stack` of them: first any single trial (naming the setting that
/// makes it large, its value and the estimate), then the `threads × stack` largest together
/// (naming how many threads would fit). Each item is a trial shape and how many trials have
/// it.
pub fn check_fits<'a>(
    trials: impl Iterator<Item = (TrialShape<'a>, u128)>,
    threads: usize,
    stack: usize,
    available: u64,
) -> Result<(), String> {
    let stack = stack.max(1);
    let mut sizes: Vec<(u64, TrialShape<'a>, TrialMemory, u128)> = trials
        .map(|(t, count)| {
            let m = TrialMemory::estimate(t.n_inputs, t.n_train, t.n_rows, t.config);
            (m.total(), t, m, count)
        })
        .collect();
    sizes.sort_by_key(|s| std::cmp::Reverse(s.0));
    let Some((largest, trial, parts, _)) = sizes.first() else {
        return Ok(());
    };
    if *largest > available {
        let (key, value) = parts.culprit(trial.window, trial.config);
        let cfg = trial.config;
        return Err(format!(
            "{key} = {value}: one trial (window {}, n_dense {}, batch_size {}, epochs {}) needs about {} \
             (weights, Adam state and gradients {}; activations {}; other {}), more than the {} of memory \
             available; lower {key}",
            trial.window,
            cfg.n_dense,
            cfg.batch_size,
            cfg.epochs,
            human(*largest),
            human(parts.weights),
            human(parts.activations),
            human(parts.other),
            human(available)
        ));
    }
    // The `threads` largest stacks, largest first: a shape's trials stack `min(stack,
    // count)` at a time (at most as many as share the shape).
    let stacks: Vec<(u64, usize)> = sizes
        .iter()
        .flat_map(|s| {
            let width = (stack as u128).min(s.3.max(1)) as usize;
            let n = s.3.div_ceil(width as u128).min(threads as u128) as usize;
            std::iter::repeat_n((s.0.saturating_mul(width as u64), width), n)
        })
        .take(threads)
        .collect();
    let at_once: usize = stacks.iter().map(|s| s.1).sum();
    let together: u64 = stacks.iter().fold(0, |a, s| a.saturating_add(s.0));
    if together > available {
        let mut sum = 0u64;
        let fit = stacks
            .iter()
            .take_while(|s| {
                sum = sum.saturating_add(s.0);
                sum <= available
            })
            .count();
        if stacks.iter().all(|s| s.1 == 1) {
            return Err(format!(
                "--threads {threads}: the {at_once} largest trials running at once need about {}, more than the {} \
                 of memory available; use --threads {} or fewer",
                human(together),
                human(available),
                fit.max(1)
            ));
        }
        let instead = if fit == 0 {
            "use --no-stack (one trial at a time)".to_string()
        } else {
            format!("use --threads {fit} or fewer, or --no-stack")
        };
        return Err(format!(
            "--threads {threads}: the {at_once} largest trials held at once ({threads} thread(s), each \
             training a stack of up to {stack}) need about {}, more than the {} of memory available; \
             {instead}",
            human(together),
            human(available),
        ));
    }
    Ok(())
}

/// Memory this process may still use, in bytes: the kernel's estimate of what is available
/// without swapping, lowered to the cgroup's limit when one is set. `None` where neither can
/// be read (not Linux), and then nothing is refused.
pub fn available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let mem_available = meminfo.as_deref().and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024)
    });
    let read = |name: &str| std::fs::read_to_string(format!("/sys/fs/cgroup/{name}")).ok();
    let cgroup = match (read("memory.max"), read("memory.current")) {
        (Some(max), Some(current)) => max
            .trim()
            .parse::<u64>()
            .ok()
            .map(|m| m.saturating_sub(current.trim().parse().unwrap_or(0))),
        _ => None,
    };
    match (mem_available, cgroup) {
        (Some(a), Some(c)) => Some(a.min(c)),
        (a, c) => a.or(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_grow_with_the_layer_sizes() {
        let cfg = TrainConfig {
            n_dense: 1_000,
            ..TrainConfig::default()
        };
        let m = TrialMemory::estimate(16, 10_000, 10_000, &cfg);
        // (17 × 1001 + 1001) parameters × 4 bytes × 5 copies.
        assert_eq!(m.weights, (17 * 1001 + 1001) * 4 * 5);
        let bigger = TrialMemory::estimate(
            16,
            10_000,
            10_000,
            &TrainConfig {
                n_dense: 2_000,
                ..cfg.clone()
            },
        );
        assert!(bigger.weights > m.weights * 19 / 10);
        assert_eq!(m.culprit(16, &cfg), ("n_dense", 1_000));
    }

    #[test]
    fn the_culprit_is_the_largest_part() {
        let cfg = TrainConfig {
            n_dense: 4,
            batch_size: 1 << 24,
            ..TrainConfig::default()
        };
        let m = TrialMemory::estimate(1_000, 1 << 24, 1 << 24, &cfg);
        assert_eq!(m.culprit(1_000, &cfg), ("batch_size", 1 << 24));
        let wide = TrainConfig {
            n_dense: 4,
            ..TrainConfig::default()
        };
        assert_eq!(
            TrialMemory::estimate(50_000, 100, 100, &wide).culprit(50_000, &wide),
            ("window", 50_000)
        );
        let long = TrainConfig {
            n_dense: 1,
            epochs: 100_000,
            ..TrainConfig::default()
        };
        assert_eq!(
            TrialMemory::estimate(1, 10, 10, &long).culprit(1, &long),
            ("epochs", 100_000)
        );
    }

    fn sized(cfg: &TrainConfig) -> TrialShape<'_> {
        TrialShape {
            window: 16,
            config: cfg,
            n_inputs: 16,
            n_train: 1000,
            n_rows: 1000,
        }
    }

    #[test]
    fn a_trial_too_large_is_named_with_its_estimate() {
        let small = TrainConfig::default();
        let large = TrainConfig {
            n_dense: 1 << 20,
            ..TrainConfig::default()
        };
        let need = TrialMemory::estimate(16, 1000, 1000, &large).total();
        let one = |c| (sized(c), 1);
        let err = check_fits([one(&small), one(&large)].into_iter(), 1, 1, need - 1).unwrap_err();
        assert!(err.starts_with("n_dense = 1048576: "), "{err}");
        assert!(
            err.contains(&human(need)) && err.contains("lower n_dense"),
            "{err}"
        );
        assert_eq!(
            check_fits([one(&small), one(&large)].into_iter(), 1, 1, need),
            Ok(())
        );
    }

    #[test]
    fn trials_that_fit_alone_but_not_together_name_the_threads_that_fit() {
        let cfg = TrainConfig {
            n_dense: 10_000,
            ..TrainConfig::default()
        };
        let one = TrialMemory::estimate(16, 1000, 1000, &cfg).total();
        let trials = || [(sized(&cfg), 5), (sized(&cfg), 3)].into_iter();
        let err = check_fits(trials(), 4, 1, one * 3).unwrap_err();
        assert!(
            err.contains("--threads 4") && err.contains("--threads 3 or fewer"),
            "{err}"
        );
        assert_eq!(check_fits(trials(), 3, 1, one * 3), Ok(()));
        assert_eq!(check_fits(std::iter::empty(), 4, 1, 0), Ok(()));
        // Stacks of 2 on 2 threads hold 4 trials: refused where one at a time fits, naming
        // the threads that fit (3 trials = one stack of 2) and --no-stack.
        assert_eq!(check_fits(trials(), 2, 1, one * 3), Ok(()));
        let err = check_fits(trials(), 2, 2, one * 3).unwrap_err();
        assert!(
            err.contains("the 4 largest trials held at once")
                && err.contains("--threads 1 or fewer, or --no-stack"),
            "{err}"
        );
        assert_eq!(check_fits(trials(), 2, 2, one * 4), Ok(()));
        // A stack no larger than the trials that share a shape: one trial of a shape never
        // counts as a stack of 16.
        assert_eq!(
            check_fits([(sized(&cfg), 1)].into_iter(), 1, 16, one),
            Ok(())
        );
        let err = check_fits(trials(), 1, 8, one * 3).unwrap_err();
        assert!(
            err.contains("use --no-stack (one trial at a time)"),
            "{err}"
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(3 << 20), "3.0 MiB");
        assert_eq!(human(128 << 30), "128.0 GiB");
    }
}
