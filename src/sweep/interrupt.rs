//! Stopping gracefully: Ctrl-C (SIGINT), SIGTERM (Slurm's cancel and preemption) and SIGHUP
//! (a closed terminal) ask a sweep to start no new trial; running ones finish and are kept,
//! the tables are written. A second signal exits at once (the journal holds every finished
//! trial either way).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Set by the first signal: no new trial starts.
static REQUESTED: AtomicBool = AtomicBool::new(false);
/// The signal that asked (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// Every trial has ended: the tables are being written.
static WRITING_TABLES: AtomicBool = AtomicBool::new(false);
/// The results directory, for what the handler says.
static OUT_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Installs the handler (see the module).
pub fn install() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            // stderr may be gone (a closed terminal): what cannot be said is not said.
            let mut err = std::io::stderr();
            let report = OUT_DIR
                .get()
                .map_or("trendsweep report DIR".to_string(), |d| {
                    format!("trendsweep report {}", d.display())
                });
            if REQUESTED.swap(true, Ordering::SeqCst) {
                let _ = writeln!(
                    err,
                    "\nstopped: finished trials are kept in the journal; the tables may be incomplete: run \
                     `{report}`, or the same sweep again to train the rest"
                );
                std::process::exit(128 + signal);
            }
            SIGNAL.store(signal, Ordering::SeqCst);
            let _ = if WRITING_TABLES.load(Ordering::SeqCst) {
                writeln!(
                    err,
                    "\ninterrupted: every trial is done; finishing the tables (signal again to quit now)"
                )
            } else {
                writeln!(
                    err,
                    "\ninterrupted: finishing the running trials, starting no new ones (Ctrl-C again to quit now)"
                )
            };
        }
    });
}

/// True once a signal asked the sweep to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// The results directory the running sweep writes, named in what the handler says.
pub fn set_out_dir(dir: &std::path::Path) {
    let _ = OUT_DIR.set(dir.to_path_buf());
}

/// Every trial has ended and the tables are being written: a signal now says so.
pub fn writing_tables() {
    WRITING_TABLES.store(true, Ordering::SeqCst);
}

/// The exit status for a run stopped by a signal: 128 + its number, as a shell reports a
/// process the signal ended (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
pub fn exit_status() -> u8 {
    match SIGNAL.load(Ordering::SeqCst) {
        s @ 1..=127 => 128 + s as u8,
        _ => 130,
    }
}
