//! The training step, timed in-process with divan: the step `train` runs for every batch
//! ([`Learner::step`]), on one thread, as each of a sweep's workers runs it. With the
//! trend loss and λ 0.01; unless an argument varies it, window 16, n_dense 32, batch 32.
//!
//! Divan prints the time per step (steps/s is its inverse) and, as throughput, samples/s.
//! The `stacked_*` rows time one step of a stack of trials ([`StackLearner::step`]), the
//! step a sweep runs; their throughput counts trial-samples (trial-steps at batch 1).
//! `cargo bench --profile dev --bench step` runs these alone.

mod common;

use divan::Bencher;
use divan::counter::ItemsCount;
use trendsweep::data::Dataset;
use trendsweep::model::stack::StackLearner;
use trendsweep::model::train::Learner;

fn main() {
    // Steps take microseconds: many samples of ten steps each, so a preempted sample or
    // two on a shared machine leave the median alone.
    divan::Divan::from_args()
        .sample_count(1000)
        .sample_size(10)
        .main();
}

/// Times one step after another of a fresh learner, each on the next `batch` samples of
/// the training split in time order, starting over at its end.
fn steps(bencher: Bencher, data: &Dataset, n_dense: usize, batch: usize) {
    let mut learner = Learner::new(data.n_inputs, &common::config(n_dense, batch));
    let rows: Vec<u32> = (0..data.train.len() as u32).collect();
    let mut batches = rows.chunks(batch).filter(|c| c.len() == batch).cycle();
    bencher
        .counter(ItemsCount::new(batch))
        .bench_local(|| learner.step(&data.train, batches.next().expect("a batch")));
}

/// By batch size: batch 1 and 32 are the figures the performance notes lead with.
#[divan::bench(args = [1, 4, 16, 32, 64, 256])]
fn batch(bencher: Bencher, batch: usize) {
    steps(bencher, &common::dataset(16, 4000), 32, batch);
}

/// By width of the hidden layer.
#[divan::bench(args = [8, 32, 128, 512])]
fn n_dense(bencher: Bencher, n_dense: usize) {
    steps(bencher, &common::dataset(16, 4000), n_dense, 32);
}

/// By input window.
#[divan::bench(args = [4, 16, 32, 128])]
fn window(bencher: Bencher, window: usize) {
    steps(bencher, &common::dataset(window, 4000), 32, 32);
}

/// Times steps of a stack of `width` trials on the next `batch` samples each time, as
/// [`steps`] does for one trial. The members differ as a grid's do: λ over five values,
/// then the learning rate over three.
fn stacked(bencher: Bencher, data: &Dataset, n_dense: usize, batch: usize, width: usize) {
    let cfgs = common::stack_configs(n_dense, batch, width);
    let mut stack = StackLearner::new(data.n_inputs, &cfgs);
    let rows: Vec<u32> = (0..data.train.len() as u32).collect();
    let mut batches = rows.chunks(batch).filter(|c| c.len() == batch).cycle();
    bencher
        .counter(ItemsCount::new(batch * width))
        .bench_local(|| stack.step(&data.train, batches.next().expect("a batch"))[0]);
}

/// Stacked, batch 1, by stack width: trial-steps/s is the throughput line.
#[divan::bench(args = [1, 2, 4, 8, 15, 16, 24, 32])]
fn stacked_batch_1(bencher: Bencher, width: usize) {
    stacked(bencher, &common::dataset(16, 4000), 32, 1, width);
}

/// Stacked, batch 32, by stack width: trial-samples/s is the throughput line.
#[divan::bench(args = [1, 8, 15, 16, 32])]
fn stacked_batch_32(bencher: Bencher, width: usize) {
    stacked(bencher, &common::dataset(16, 4000), 32, 32, width);
}
