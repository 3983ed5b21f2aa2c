//! Printing that cannot cost results. `println!` panics when stdout or stderr is closed
//! (`trendsweep sweep g.toml | head -1`) or full (`2>/dev/full`); these macros write the
//! same text and drop the error, since by the time anything is printed the results are
//! already on disk, and a message nobody can read is no reason to fail the run.

/// `println!` to stdout, ignoring a closed or full stream.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` to stdout, ignoring a closed or full stream.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` to stderr, ignoring a closed or full stream.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// Bytes as the messages show them: "512.0 MiB", "119.2 GiB".
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
