//! Errors a user can fix (bad grid file, bad data, bad flags) are marked so that the
//! command line exits with status 2 for them and 1 for failures while running.

/// A problem with what the user gave us. The message names the culprit and what would be valid.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Wraps a message as a [`BadInput`] inside an `anyhow::Error`.
pub fn bad_input(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(msg.into()))
}

/// True when the error, or anything in its chain, is a [`BadInput`].
pub fn is_bad_input(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<BadInput>())
}
