//! The performance tables that need more than one step timed in a loop: where a step's
//! time goes, trials sharing threads, and whole sweeps run as child processes of the built
//! `trendsweep` (speed-up from threads, per-trial overhead, peak memory). Every figure is
//! a median of repeated runs; the machine is printed first.
//!
//! `cargo bench --profile dev` runs this after the step benchmarks;
//! `cargo bench --profile dev --bench figures -- --quick` runs it alone with shorter runs.
//! Run without `--bench` (as `cargo test --benches` does) it measures nothing.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{config, dataset, median};
use trendsweep::data::Dataset;
use trendsweep::model::stack::StackLearner;
use trendsweep::model::train::{Learner, STEP_PHASES, train};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("figures: measures nothing without --bench (run it with cargo bench)");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let scratch = tempfile::tempdir().expect("a scratch directory");
    run(quick, scratch.path());
}

/// A pool of one worker, as each of the sweep's trial workers is.
fn one_thread_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool")
}

/// Where one training step's time goes: the median nanoseconds of each phase of
/// [`STEP_PHASES`] over `steps` steps (n_dense 32) on consecutive batches of `data`. Medians
/// rather than means, so steps during which a shared machine ran something else drop out.
fn step_phases(data: &Dataset, batch: usize, steps: usize) -> [f64; 5] {
    let mut learner = Learner::new(data.n_inputs, &config(32, batch));
    let rows: Vec<u32> = (0..data.train.len() as u32).collect();
    let n = rows.len();
    let mut ns: [Vec<f64>; 5] = std::array::from_fn(|_| Vec::with_capacity(steps));
    let mut tick = Instant::now();
    for step in 0..steps {
        let start = (step * batch) % (n - batch);
        learner.step_timed(&data.train, &rows[start..start + batch], |phase| {
            let now = Instant::now();
            ns[phase].push((now - tick).as_nanos() as f64);
            tick = now;
        });
    }
    ns.map(median)
}

/// Trial-steps per second of the unstacked step ([`Learner`], one trial) and of a stack of
/// `width` trials ([`StackLearner`], the sweep's step) at `batch`, window 16, n_dense 32,
/// measured in alternating rounds of about 20 ms each, so a slow spell of a shared machine
/// falls on both: the median rate of each, and the median of the rounds' ratios.
fn stacked_against_alone(
    data: &Dataset,
    batch: usize,
    width: usize,
    rounds: usize,
) -> (f64, f64, f64) {
    let cfgs = common::stack_configs(32, batch, width);
    let mut alone = Learner::new(data.n_inputs, &cfgs[0]);
    let mut stack = StackLearner::new(data.n_inputs, &cfgs);
    let rows: Vec<u32> = (0..data.train.len() as u32).collect();
    let batches: Vec<&[u32]> = rows.chunks(batch).filter(|c| c.len() == batch).collect();
    let mut next = 0usize;
    let mut round = |f: &mut dyn FnMut(&[u32])| -> f64 {
        let start = Instant::now();
        let mut steps = 0u64;
        while start.elapsed().as_secs_f64() < 0.02 {
            for _ in 0..16 {
                f(batches[next % batches.len()]);
                next += 1;
            }
            steps += 16;
        }
        steps as f64 / start.elapsed().as_secs_f64()
    };
    let (mut a, mut b, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let one = round(&mut |c| {
            alone.step(&data.train, c);
        });
        let many = round(&mut |c| {
            stack.step(&data.train, c);
        }) * width as f64;
        a.push(one);
        b.push(many);
        ratio.push(many / one);
    }
    (median(a), median(b), median(ratio))
}

/// Steps per second of each of `concurrent` identical trials run at once on a pool of
/// `threads`; dfdx's matmul hands gemm `rayon::current_num_threads()`, so inside the pool
/// gemm may split one product across workers that are busy with trials of their own.
fn nested_steps_per_second(
    data: &Dataset,
    n_dense: usize,
    batch: usize,
    threads: usize,
    concurrent: usize,
) -> f64 {
    use rayon::prelude::*;
    let cfg = trendsweep::config::TrainConfig {
        epochs: 2,
        ..config(n_dense, batch)
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a pool");
    let rates: Vec<f64> = pool.install(|| {
        (0..concurrent)
            .into_par_iter()
            .map(|_| train(data, &cfg).steps_per_second)
            .collect()
    });
    rates.iter().sum::<f64>() / rates.len() as f64
}

/// What runs beside a trial on the other core, for [`trial_beside`].
#[derive(Clone, Copy, PartialEq)]
enum Neighbour {
    Nothing,
    /// Floating-point arithmetic on its own registers: shares no memory with the trial.
    Arithmetic,
    /// Allocates and frees small buffers, as a step's ops do, without dfdx.
    Allocation,
    /// Creates small dfdx tensors (each draws an id from dfdx's one global atomic counter)
    /// at about the rate a batch-1 trial creates them.
    Tensors,
    /// Another identical trial.
    Trial,
}

/// Steps per second of one batch-1 trial (n_dense 8, λ 0.1, 3 epochs) with `neighbour`
/// running on a second thread until the trial ends. Each trial runs on a one-thread rayon
/// pool, as the sweep's workers do.
fn trial_beside(data: &Dataset, neighbour: Neighbour) -> f64 {
    use dfdx::prelude::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    let cfg = trendsweep::config::TrainConfig {
        epochs: 3,
        lambda: 0.1,
        ..config(8, 1)
    };
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let trial = s.spawn(|| {
            let rate = one_thread_pool().install(|| train(data, &cfg).steps_per_second);
            done.store(true, Ordering::Relaxed);
            rate
        });
        s.spawn(|| {
            let spin = |x: &mut f64| {
                for _ in 0..600 {
                    *x = *x * 1.000_000_1 + 1e-9;
                }
            };
            let mut x = 1.0f64;
            let dev = Cpu::default();
            match neighbour {
                Neighbour::Nothing => {}
                Neighbour::Trial => {
                    one_thread_pool().install(|| train(data, &cfg));
                }
                _ => {
                    while !done.load(Ordering::Relaxed) {
                        for i in 0..15 {
                            match neighbour {
                                Neighbour::Allocation => {
                                    x += std::hint::black_box(vec![i as f32; 40])[3] as f64
                                }
                                Neighbour::Tensors => {
                                    let t: Tensor<(usize, usize), f32, Cpu> =
                                        dev.zeros_like(&(1usize, 40usize));
                                    x += std::hint::black_box(t).as_vec()[3] as f64;
                                }
                                _ => {}
                            }
                        }
                        spin(&mut x);
                    }
                }
            }
            std::hint::black_box(x);
        });
        trial.join().expect("the trial does not panic")
    })
}

/// `s` quoted for a POSIX shell.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn run_sweep_child(grid_text: &str, threads: usize, dir: &Path) -> (f64, u64) {
    run_sweep_child_shown(grid_text, threads, dir, false).expect("no terminal needed")
}

/// Runs `trendsweep sweep` on `grid_text` in a child process: quiet, or with `terminal`
/// under `script` (util-linux), which gives it a pseudo-terminal, so the progress bar is
/// drawn as for a user. Returns the wall seconds and the child's peak resident KiB (of
/// `script` itself under a terminal), or `None` when a terminal was asked for and `script`
/// is not installed.
fn run_sweep_child_shown(
    grid_text: &str,
    threads: usize,
    dir: &Path,
    terminal: bool,
) -> Option<(f64, u64)> {
    std::fs::create_dir_all(dir).expect("the scratch directory");
    let grid = dir.join("bench.toml");
    std::fs::write(&grid, grid_text).expect("the grid file");
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let exe = env!("CARGO_BIN_EXE_trendsweep");
    let mut command = if terminal {
        let line = format!(
            "{} sweep {} --out {} --threads {threads}",
            sh(exe),
            sh(&grid.to_string_lossy()),
            sh(&out.to_string_lossy())
        );
        let mut c = Command::new("script");
        c.args(["-qec", &line, "/dev/null"]);
        c
    } else {
        let mut c = Command::new(exe);
        c.arg("sweep").arg(&grid).arg("--out").arg(&out).args([
            "--threads",
            &threads.to_string(),
            "--quiet",
        ]);
        c
    };
    let start = Instant::now();
    let child = match command.stdout(Stdio::null()).spawn() {
        Ok(child) => child,
        Err(e) if terminal && e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("running a child sweep: {e}"),
    };
    let (ok, peak_kib) = wait_with_peak_rss(child.id());
    let secs = start.elapsed().as_secs_f64();
    assert!(ok, "the child sweep failed");
    Some((secs, peak_kib))
}

/// Waits for one child and returns whether it succeeded and its own peak resident set in
/// KiB (Linux reports `ru_maxrss` in KiB), so each figure is that run's alone.
fn wait_with_peak_rss(pid: u32) -> (bool, u64) {
    // SAFETY: wait4 reaps our own child and writes only into the two values we pass.
    unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage);
        (
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            usage.ru_maxrss as u64,
        )
    }
}

/// Runs `trendsweep sweep` on the grid file `grid` (quiet, `threads` workers, then `extra`)
/// in a child process, into a fresh `out`; returns the wall seconds and peak resident KiB.
#[allow(clippy::zombie_processes)] // reaped by `wait4` in `wait_with_peak_rss`
fn run_grid_file(grid: &Path, threads: usize, extra: &[&str], out: &Path) -> (f64, u64) {
    let _ = std::fs::remove_dir_all(out);
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_trendsweep"))
        .arg("sweep")
        .arg(grid)
        .arg("--out")
        .arg(out)
        .args(["--threads", &threads.to_string(), "--quiet"])
        .args(extra)
        .stdout(Stdio::null())
        .spawn()
        .expect("running a child sweep");
    let (ok, peak_kib) = wait_with_peak_rss(child.id());
    let secs = start.elapsed().as_secs_f64();
    assert!(ok, "the child sweep of {} failed", grid.display());
    (secs, peak_kib)
}

/// The default sweep (`experiments/grid.toml`, 405 trials in 27 stacks of 15) end to end:
/// stacked on one and two threads, and one trial at a time (`--no-stack`) on two, each the
/// median of `runs` runs taken in turn.
fn default_sweep(runs: usize, scratch: &Path) {
    let grid = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/grid.toml");
    let cases: [(&str, usize, &[&str]); 3] = [
        ("stacked (the default), 1 thread", 1, &[]),
        ("stacked (the default), 2 threads", 2, &[]),
        (
            "one trial at a time (--no-stack), 2 threads",
            2,
            &["--no-stack"],
        ),
    ];
    let mut seconds = vec![Vec::new(); cases.len()];
    let mut peaks = vec![Vec::new(); cases.len()];
    for _ in 0..runs {
        for (i, (_, threads, extra)) in cases.iter().enumerate() {
            let (s, kib) = run_grid_file(&grid, *threads, extra, &scratch.join("default"));
            seconds[i].push(s);
            peaks[i].push(kib as f64 / 1024.0);
        }
    }
    println!(
        "\n## The default sweep end to end (experiments/grid.toml, 405 trials; median of {runs})\n"
    );
    println!("| run | wall, s | peak resident memory, MiB |\n| --- | ---: | ---: |");
    let walls: Vec<f64> = seconds.into_iter().map(median).collect();
    for (i, (name, _, _)) in cases.iter().enumerate() {
        println!(
            "| {name} | {:.1} | {:.0} |",
            walls[i],
            median(peaks[i].clone())
        );
    }
    println!(
        "\nTwo threads against one, stacked: {:.2}×. Stacked against one at a time, two threads: {:.2}× as fast.",
        walls[0] / walls[1],
        walls[2] / walls[1]
    );
}

fn grid_text(
    length: usize,
    window: usize,
    epochs: usize,
    batch: usize,
    seeds: usize,
    lambdas: &[f64],
) -> String {
    let seeds: Vec<String> = (0..seeds).map(|s| s.to_string()).collect();
    let lambdas: Vec<String> = lambdas.iter().map(|l| format!("{l:?}")).collect();
    format!(
        "name = \"bench\"\n[data]\nkind = \"sine\"\nlength = {length}\nperiod = 30.0\nwindow = {window}\nval_fraction = 0.2\n\
         [train]\nepochs = {epochs}\nbatch_size = {batch}\nn_dense = 8\n[grid]\nlambda = [{}]\nseed = [{}]\n",
        lambdas.join(", "),
        seeds.join(", ")
    )
}

/// Tiny 1-epoch trials: `2 × n` of them, each a few steps on a 60-point sine.
fn tiny(n: usize) -> String {
    grid_text(60, 4, 1, 64, n, &[0.0, 0.1])
}

/// Peak resident memory of sweeps of many tiny trials and of one trial on a long series.
fn memory(scratch: &Path) {
    let peak = |grid: &str, threads: usize, dir: &str| {
        let (_, kib) = run_sweep_child(grid, threads, &scratch.join(dir));
        let own = own_peak_kib();
        assert!(
            own < kib,
            "this process's peak ({own} KiB) is not below the child's ({kib} KiB): measure earlier"
        );
        kib as f64 / 1024.0
    };
    println!("## Peak resident memory of whole sweeps (child processes)\n");
    println!("| peak resident memory | MiB |\n| --- | ---: |");
    println!(
        "| 200 tiny trials | {:.1} |",
        peak(&tiny(100), 2, "mem-small")
    );
    println!(
        "| 2,000 tiny trials | {:.1} |",
        peak(&tiny(1000), 2, "mem-big")
    );
    let series = |length: usize| {
        format!(
            "name = \"series\"\n[data]\nkind = \"random_walk\"\nlength = {length}\nwindow = 16\n\
             [train]\nepochs = 1\nbatch_size = 256\nn_dense = 8\n"
        )
    };
    let short = peak(&series(10_000), 1, "mem-series");
    let long = peak(&series(1_000_000), 1, "mem-series");
    println!("| one trial on a 10,000-point series | {short:.1} |");
    println!("| one trial on a 1,000,000-point series (its f32 values: 3.8 MiB) | {long:.1} |");
    println!(
        "| … the difference, what the longer series adds | {:.1} |",
        long - short
    );
    println!();
}

/// This process's own peak resident set so far, in KiB (`VmHWM` in `/proc/self/status`).
fn own_peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Measures every figure and prints one table each. `quick` shortens every run.
fn run(quick: bool, scratch: &Path) {
    let repeats = if quick { 3 } else { 5 };
    let min_steps = if quick { 20_000 } else { 100_000 };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    println!(
        "machine: {cpu}, {} threads available; medians of {repeats} runs\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // First, while this process is small: a child's peak resident set starts from that of
    // the process that started it (Linux carries it over the exec), so measured later, it
    // would be this process's own peak.
    memory(scratch);

    let d16 = dataset(16, 4000);
    let rounds = if quick { 20 } else { 100 };
    println!(
        "## Stacked against one trial at a time (window 16, n_dense 32, one thread; medians of {rounds} alternating rounds)\n"
    );
    println!(
        "| batch | one trial alone (unstacked step), trial-samples/s | a stack of 15, trial-samples/s | ratio |\n| ---: | ---: | ---: | ---: |"
    );
    for batch in [1, 32] {
        let (one, many, ratio) = stacked_against_alone(&d16, batch, 15, rounds);
        println!(
            "| {batch} | {:.0} | {:.0} | {ratio:.2}× |",
            one * batch as f64,
            many * batch as f64
        );
    }
    println!();

    println!(
        "## Where a step's time goes (window 16, n_dense 32, one thread; ns: median over runs of each phase's median over steps)\n"
    );
    println!("| phase | batch 1 | batch 32 |\n| --- | ---: | ---: |");
    // Per-phase medians over the repeats, like every other figure.
    let phases = |batch: usize, steps: usize| -> [f64; 5] {
        let runs: Vec<_> = (0..repeats)
            .map(|_| step_phases(&d16, batch, steps))
            .collect();
        std::array::from_fn(|i| median(runs.iter().map(|r| r[i]).collect()))
    };
    let p1 = phases(1, min_steps);
    let p32 = phases(32, min_steps / 4);
    for (i, name) in STEP_PHASES.iter().enumerate() {
        println!("| {name} | {:.0} | {:.0} |", p1[i], p32[i]);
    }
    let total = |p: &[f64; 5]| p.iter().sum::<f64>();
    println!("| total | {:.0} | {:.0} |", total(&p1), total(&p32));

    println!("\n## Nested parallelism (n_dense 512, batch 256, window 128; steps/s per trial)\n");
    let d128 = dataset(128, 4000);
    let nested = |threads: usize, concurrent: usize| {
        median(
            (0..repeats)
                .map(|_| nested_steps_per_second(&d128, 512, 256, threads, concurrent))
                .collect(),
        )
    };
    let (alone1, alone2, both2) = (nested(1, 1), nested(2, 1), nested(2, 2));
    println!(
        "| one trial, 1-thread pool | one trial, 2-thread pool | two trials at once, 2-thread pool |"
    );
    println!("| ---: | ---: | ---: |\n| {alone1:.0} | {alone2:.0} | {both2:.0} |");

    println!("\n## Two trials at once (batch 1, n_dense 8, window 16; steps/s of one trial)\n");
    // Rounds interleave the five settings, so a slow spell of a shared machine falls on all.
    let d3000 = dataset(16, 3000);
    let kinds = [
        (Neighbour::Nothing, "alone"),
        (Neighbour::Arithmetic, "beside a thread doing arithmetic"),
        (
            Neighbour::Allocation,
            "beside a thread allocating 15 small buffers per 600 multiply-adds",
        ),
        (
            Neighbour::Tensors,
            "beside a thread creating 15 dfdx tensors per 600 multiply-adds",
        ),
        (Neighbour::Trial, "beside an identical trial"),
    ];
    let rounds = if quick { 8 } else { 30 };
    let mut rates = vec![Vec::new(); kinds.len()];
    for _ in 0..rounds {
        for (k, (neighbour, _)) in kinds.iter().enumerate() {
            rates[k].push(trial_beside(&d3000, *neighbour));
        }
    }
    let alone = median(rates[0].clone());
    println!(
        "| the trial runs | steps/s (median of {rounds}) | against alone |\n| --- | ---: | ---: |"
    );
    for ((_, name), r) in kinds.iter().zip(rates) {
        let r = median(r);
        println!("| {name} | {r:.0} | {:.3} |", r / alone);
    }

    default_sweep(if quick { 1 } else { 3 }, scratch);

    println!("\n## Whole sweeps (child processes)\n");
    // One- and two-thread runs alternate, and the speed-up is the median of each pair's
    // ratio, so a slow spell of a shared machine falls on both sides of a ratio.
    let epochs = |e: usize| if quick { 1 } else { e };
    let grids = [(1, epochs(3)), (32, epochs(40))].map(|(batch, e)| {
        (
            format!("batch {batch}, {e} epochs"),
            grid_text(3000, 16, e, batch, 16, &[0.0, 0.1]),
        )
    });
    // Single runs on a shared machine vary by ±20 %, so more pairs than other figures get.
    let pairs_per_grid = if quick { 3 } else { 9 };
    println!(
        "| 32-trial grid | 1 thread, s | 2 threads, s | speed-up (median of {pairs_per_grid} paired runs) |\n| --- | ---: | ---: | ---: |"
    );
    for (name, grid) in &grids {
        let mut pairs = Vec::new();
        for _ in 0..pairs_per_grid {
            let one = run_sweep_child(grid, 1, &scratch.join("scaling")).0;
            let two = run_sweep_child(grid, 2, &scratch.join("scaling")).0;
            pairs.push((one, two));
        }
        let one = median(pairs.iter().map(|p| p.0).collect());
        let two = median(pairs.iter().map(|p| p.1).collect());
        let ratio = median(pairs.iter().map(|p| p.0 / p.1).collect());
        println!("| {name} | {one:.2} | {two:.2} | {ratio:.2}× |");
    }

    // What is left per trial is setup, journal and progress.
    // Each figure is the median over repeated pairs of the difference per extra trial.
    println!(
        "\n| per-trial overhead, (2000 tiny trials − 100 tiny trials) / 1900, one thread | ms |\n| --- | ---: |"
    );
    for (terminal, name) in [
        (false, "quiet"),
        (true, "progress bar drawn on a (pseudo-)terminal"),
    ] {
        let mut per_trial = Vec::new();
        for _ in 0..repeats {
            let few = run_sweep_child_shown(&tiny(50), 1, &scratch.join("overhead"), terminal);
            let many = run_sweep_child_shown(&tiny(1000), 1, &scratch.join("overhead"), terminal);
            if let (Some((few, _)), Some((many, _))) = (few, many) {
                per_trial.push((many - few) / 1900.0 * 1e3);
            }
        }
        if per_trial.is_empty() {
            println!("| {name} | n/a (needs util-linux `script`) |");
        } else {
            println!("| {name} | {:.3} |", median(per_trial));
        }
    }
}
