//! The display while a sweep runs: a bar on a terminal, a plain line every few seconds
//! otherwise (CI logs, files). Counters are atomics, so a finishing trial never waits on it.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::store::records::{TrialRecord, TrialStatus};

/// Plain-text mode prints at most one line per this interval.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Progress(Arc<Inner>);

struct Inner {
    bar: Option<ProgressBar>,
    plain: bool,
    todo: usize,
    done: AtomicUsize,
    started: AtomicUsize,
    diverged: AtomicUsize,
    failed: AtomicUsize,
    pruned: AtomicUsize,
    steps: AtomicUsize,
    begun: Instant,
    last_line: Mutex<Instant>,
}

impl Progress {
    pub fn new(todo: usize, already_done: usize, quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(todo as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} trials  {msg}  [{elapsed_precise} < {eta_precise}]",
                )
                .expect("a valid template"),
            );
            bar
        });
        if !quiet {
            errln!("{already_done} trials already done, {todo} to train");
        }
        Progress(Arc::new(Inner {
            bar,
            plain: !quiet && !terminal,
            todo,
            done: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
            diverged: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            pruned: AtomicUsize::new(0),
            steps: AtomicUsize::new(0),
            begun: Instant::now(),
            last_line: Mutex::new(Instant::now()),
        }))
    }

    pub fn started(&self) {
        self.0.started.fetch_add(1, Ordering::Relaxed);
        self.refresh(false);
    }

    pub fn finished(&self, record: &TrialRecord) {
        let r = &record.result;
        self.0.steps.fetch_add(r.steps as usize, Ordering::Relaxed);
        match r.status {
            TrialStatus::Ok => {}
            TrialStatus::Diverged => {
                self.0.diverged.fetch_add(1, Ordering::Relaxed);
            }
            TrialStatus::Failed => {
                self.0.failed.fetch_add(1, Ordering::Relaxed);
            }
            TrialStatus::Pruned => {
                self.0.pruned.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.0.done.fetch_add(1, Ordering::Relaxed);
        self.refresh(false);
    }

    fn line(&self) -> String {
        let i = &self.0;
        let done = i.done.load(Ordering::Relaxed);
        let running = i.started.load(Ordering::Relaxed).saturating_sub(done);
        let secs = i.begun.elapsed().as_secs_f64().max(1e-9);
        let pruned = i.pruned.load(Ordering::Relaxed);
        format!(
            "{running} running, {:.0} steps/s, {} diverged, {} failed{}",
            i.steps.load(Ordering::Relaxed) as f64 / secs,
            i.diverged.load(Ordering::Relaxed),
            i.failed.load(Ordering::Relaxed),
            if pruned > 0 {
                format!(", {pruned} pruned")
            } else {
                String::new()
            }
        )
    }

    fn refresh(&self, force: bool) {
        let i = &self.0;
        if let Some(bar) = &i.bar {
            bar.set_position(i.done.load(Ordering::Relaxed) as u64);
            bar.set_message(self.line());
        } else if i.plain {
            let mut last = i.last_line.lock().expect("progress lock");
            if force || last.elapsed() >= PLAIN_EVERY {
                *last = Instant::now();
                errln!(
                    "[{:>7.1}s] {}/{} trials, {}",
                    i.begun.elapsed().as_secs_f64(),
                    i.done.load(Ordering::Relaxed),
                    i.todo,
                    self.line()
                );
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0.bar {
            bar.finish_and_clear();
        }
        self.refresh(true);
    }
}
