//! What can go wrong, by kind. The command line decides its exit status from the kind
//! ([`Error::exit_status`]): 2 for input the user can fix (a grid file, data, flags, a
//! results directory that is not what the command needs, a journal line no crash explains),
//! 1 for failures while running (a file that cannot be written, a table polars cannot build).
//!
//! Every message is whole on its own: a variant that wraps another error says the other's
//! message after its own, so one `{}` prints the full line a user sees.

use std::fmt;

/// The library's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem with what the user gave: the message names the culprit and what would be valid.
    #[error("{0}")]
    BadInput(String),
    /// A journal line that a crash cannot leave behind: the file was changed or damaged. The
    /// message names the file and line, and how to repair it.
    #[error("{0}")]
    CorruptJournal(String),
    /// The operating system refused a read or write.
    #[error("{}", join(.context.as_deref(), .reason))]
    Io {
        context: Option<String>,
        reason: std::io::Error,
    },
    /// polars could not build, read or write a table.
    #[error("{}", join(.context.as_deref(), .reason))]
    Table {
        context: Option<String>,
        reason: polars::error::PolarsError,
    },
    /// A file of ours that is not valid JSON of the expected shape.
    #[error("{}", join(.context.as_deref(), .reason))]
    Json {
        context: Option<String>,
        reason: serde_json::Error,
    },
    /// A plot could not be drawn.
    #[error("drawing a plot: {0}")]
    Plot(String),
    /// Anything else that failed while running.
    #[error("{0}")]
    Failed(String),
    /// Another error, with what was being done when it happened.
    #[error("{context}: {inner}")]
    Context { context: String, inner: Box<Error> },
}

fn join(context: Option<&str>, reason: &dyn fmt::Display) -> String {
    match context {
        Some(c) => format!("{c}: {reason}"),
        None => reason.to_string(),
    }
}

impl Error {
    /// A failure while running, from its message.
    pub fn failed(message: impl Into<String>) -> Error {
        Error::Failed(message.into())
    }

    /// The error beneath any context.
    pub fn root(&self) -> &Error {
        match self {
            Error::Context { inner, .. } => inner.root(),
            e => e,
        }
    }

    /// True for input the user can fix.
    pub fn is_bad_input(&self) -> bool {
        matches!(self.root(), Error::BadInput(_) | Error::CorruptJournal(_))
    }

    /// The operating system's reason, when that is what failed.
    pub fn io_reason(&self) -> Option<&std::io::Error> {
        match self.root() {
            Error::Io { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The exit status for this error: 2 for bad input, 1 for the rest.
    pub fn exit_status(&self) -> u8 {
        if self.is_bad_input() { 2 } else { 1 }
    }

    /// This error with `context` said before it.
    pub fn context(self, context: impl Into<String>) -> Error {
        let context = context.into();
        match self {
            Error::Io {
                context: None,
                reason,
            } => Error::Io {
                context: Some(context),
                reason,
            },
            Error::Table {
                context: None,
                reason,
            } => Error::Table {
                context: Some(context),
                reason,
            },
            Error::Json {
                context: None,
                reason,
            } => Error::Json {
                context: Some(context),
                reason,
            },
            inner => Error::Context {
                context,
                inner: Box::new(inner),
            },
        }
    }
}

/// Wraps a message as [`Error::BadInput`].
pub fn bad_input(msg: impl Into<String>) -> Error {
    Error::BadInput(msg.into())
}

/// True when the error is input the user can fix.
pub fn is_bad_input(err: &Error) -> bool {
    err.is_bad_input()
}

impl From<std::io::Error> for Error {
    fn from(reason: std::io::Error) -> Error {
        Error::Io {
            context: None,
            reason,
        }
    }
}

impl From<polars::error::PolarsError> for Error {
    fn from(reason: polars::error::PolarsError) -> Error {
        Error::Table {
            context: None,
            reason,
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(reason: serde_json::Error) -> Error {
        Error::Json {
            context: None,
            reason,
        }
    }
}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for Error
{
    fn from(reason: plotters::drawing::DrawingAreaErrorKind<E>) -> Error {
        Error::Plot(reason.to_string())
    }
}

impl From<std::num::TryFromIntError> for Error {
    fn from(reason: std::num::TryFromIntError) -> Error {
        Error::Failed(reason.to_string())
    }
}

/// Only a `Display` implementation that fails can make formatting into a `String` fail.
impl From<std::fmt::Error> for Error {
    fn from(reason: std::fmt::Error) -> Error {
        Error::Failed(reason.to_string())
    }
}

impl From<rayon::ThreadPoolBuildError> for Error {
    fn from(reason: rayon::ThreadPoolBuildError) -> Error {
        Error::Failed(reason.to_string())
    }
}

/// `.context(..)` and `.with_context(|| ..)` on results and options, as the command line's
/// error crate offers them, giving this crate's [`Error`].
pub trait Context<T> {
    fn context(self, context: impl Into<String>) -> Result<T>;
    fn with_context<C: Into<String>>(self, context: impl FnOnce() -> C) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| e.into().context(context))
    }

    fn with_context<C: Into<String>>(self, context: impl FnOnce() -> C) -> Result<T> {
        self.map_err(|e| e.into().context(context()))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.ok_or_else(|| Error::Failed(context.into()))
    }

    fn with_context<C: Into<String>>(self, context: impl FnOnce() -> C) -> Result<T> {
        self.ok_or_else(|| Error::Failed(context().into()))
    }
}

/// Returns early with [`Error::Failed`] and a formatted message.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::failed(format!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keeps_the_kind_and_says_everything_once() {
        let io = std::io::Error::other("disk full");
        let e = Error::from(io).context("cannot write x.csv");
        assert_eq!(e.to_string(), "cannot write x.csv: disk full");
        assert_eq!(e.exit_status(), 1);
        assert!(e.io_reason().is_some());
        let e = bad_input("window = 0: expected at least 1").context("grid.toml");
        assert_eq!(e.to_string(), "grid.toml: window = 0: expected at least 1");
        assert!(e.is_bad_input());
        assert_eq!(e.exit_status(), 2);
        let e = Error::CorruptJournal("journal.jsonl line 3: not a trial record".into());
        assert_eq!(e.context("reading results").exit_status(), 2);
    }
}
