//! What can stop `selkie check` before it tries anything (a failed path is a result, not an
//! error: see `PathOutcome`).

use std::path::PathBuf;

/// Why the check could not start.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The deployment has no keys to mint join tokens with.
    #[error("no secrets.toml in {}", dir.display())]
    NoSecrets { dir: PathBuf },
}

impl CheckError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            CheckError::NoSecrets { .. } => Some("run `selkie setup` first".into()),
        }
    }
}
