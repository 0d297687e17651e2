//! One error type for the whole tool; each variant knows its exit code and what to tell the operator.
//! An area's own error enum (`state::StateError`, `secrets::SecretsError`, ...) is one transparent
//! variant here, and its `hint()` says what to do.

use std::path::PathBuf;

/// Everything that can stop a selkie run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operator gave a value selkie cannot use; exit 2 and say what to enter instead.
    #[error("{message}")]
    Invalid { message: String, hint: String },

    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A state file exists but cannot be understood.
    #[error("{} is not a valid selkie file: {message}", path.display())]
    State { path: PathBuf, message: String },

    /// Files the operator edited by hand would be overwritten.
    #[error("{} changed by hand since selkie wrote {}: {}", if files.len() == 1 { "a file was" } else { "files were" }, if files.len() == 1 { "it" } else { "them" }, files.join(", "))]
    HandEdited { files: Vec<String> },

    /// The deployment directory refused something (src/state).
    #[error(transparent)]
    StateDir(#[from] crate::state::StateError),

    /// A secret could not be made or found (src/secrets.rs).
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),

    /// The Docker edge: reaching the daemon, pulling, converging, installing.
    #[error(transparent)]
    Docker(#[from] crate::docker::DockerError),

    /// The live dashboard could not run (src/dashboard).
    #[error(transparent)]
    Dashboard(#[from] crate::dashboard::DashboardError),

    /// `selkie check` could not start (src/check).
    #[error(transparent)]
    Check(#[from] crate::check::CheckError),

    /// The setup pipeline could not go on.
    #[error(transparent)]
    Setup(#[from] crate::setup::SetupError),

    /// A subcommand could not finish, or its verdict is "not working".
    #[error(transparent)]
    Command(#[from] crate::commands::CommandError),

    /// A preset's service names something the plan does not have (src/plan).
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),

    /// A preset file is not valid or is refused (src/preset).
    #[error(transparent)]
    Preset(#[from] crate::preset::PresetError),

    /// The host firewall or kernel settings could not be applied (src/apply).
    #[error(transparent)]
    Apply(#[from] crate::apply::ApplyError),

    /// The wizard could not go on (src/wizard).
    #[error(transparent)]
    Wizard(#[from] crate::wizard::WizardError),
}

impl Error {
    /// A rejected input: exit 2, with a hint that says what to enter.
    pub fn invalid(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// A filesystem failure naming the path and what was being done.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The process exit code documented in the README: 2 for bad input, 1 for anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            // A selkie.toml that does not parse is input the operator wrote, too.
            Error::Invalid { .. } | Error::State { .. } => 2,
            _ => 1,
        }
    }

    /// What the operator can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Invalid { hint, .. } => Some(hint.clone()),
            Error::Io { source, path, .. } => match source.kind() {
                std::io::ErrorKind::PermissionDenied => Some(format!(
                    "run with sudo, or choose a directory you can write with --dir (now {})",
                    path.display()
                )),
                _ => None,
            },
            Error::State { path, .. } => Some(format!(
                "fix the file by hand, or move it away and run `selkie setup` again (a copy of every file selkie replaced is under {}/backups/)",
                path.parent().map(|p| p.display().to_string()).unwrap_or_default()
            )),
            Error::HandEdited { .. } => Some(
                "keep your change by moving it into selkie.toml (or an --image/--proxy flag) where that is possible, \
                 or run again with --force to take selkie's version (your edited files are backed up first under backups/)"
                    .into(),
            ),
            Error::StateDir(e) => e.hint(),
            Error::Secrets(e) => e.hint(),
            Error::Dashboard(e) => e.hint(),
            Error::Check(e) => e.hint(),

            Error::Setup(e) => e.hint(),
            Error::Command(e) => e.hint(),
            Error::Docker(e) => e.hint(),
            Error::Apply(e) => e.hint(),
            Error::Wizard(e) => e.hint(),
            Error::Plan(e) => e.hint(),
            Error::Preset(e) => e.hint(),
        }
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
