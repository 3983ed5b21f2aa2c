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
