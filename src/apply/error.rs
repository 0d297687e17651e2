//! What can stop selkie changing the host (its firewall, its kernel settings), each phrased for
//! the operator with what to do about it ([`ApplyError::hint`]).

use std::path::PathBuf;
use std::process::ExitStatus;

/// An error of the host apply: the firewall (commit-confirmed) and the sysctl drop-in.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A file selkie wrote earlier and needs now is gone.
    #[error("{} is missing", path.display())]
    FileMissing { path: PathBuf },

    /// The sysctl drop-in names a key outside the settings selkie writes.
    #[error("{}: `{key}` is not a kernel setting selkie writes", path.display())]
    UnknownSetting { path: PathBuf, key: String },

    /// The tool of the firewall to apply is not installed.
    #[error("cannot apply the {kind} firewall: `{tool}` is not installed")]
    ToolMissing {
        kind: String,
        tool: &'static str,
        package: &'static str,
    },

    /// An earlier change still waits for confirmation.
    #[error(
        "the firewall change of {id} still waits for `selkie confirm`; a second one now would save \
         the unconfirmed rules as the ones to go back to"
    )]
    StillWaiting { id: String },

    /// A program of the apply could not be started.
    #[error("cannot run {program}: {why}")]
    Spawn { program: String, why: String },

    /// The firewall's own tool refused the rules; the previous ones are back.
    #[error("applying the firewall failed ({status}); the rules from before are back. Its last lines:\n{tail}")]
    Refused {
        status: ExitStatus,
        tail: String,
        log: PathBuf,
    },

    /// The rules in force could not be saved, so nothing was changed.
    #[error("cannot save the host firewall before changing it ({what}): {why}")]
    Save { what: String, why: String },

    /// The revert's timer could not be armed (nothing was changed) or cancelled.
    #[error("the firewall's revert timer: {what} failed: {why}")]
    Timer { what: String, why: String },

    /// The apply record could not be encoded.
    #[error("cannot write the apply record: {why}")]
    Record { why: String },

    /// `selkie confirm` runs in the SSH session that applied the firewall.
    #[error(
        "this is the SSH connection that applied the firewall ({session}): it stays open through any \
         firewall, so it proves nothing"
    )]
    SameSession { session: String },

    /// `selkie confirm` runs outside SSH.
    #[error(
        "`selkie confirm` is not running over SSH (no SSH_CONNECTION here or in a parent process), so \
         it cannot show that a new SSH login works"
    )]
    NotOverSsh,
}

impl ApplyError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        let text = match self {
            ApplyError::FileMissing { .. } => "run `selkie setup --resume` to write it again".into(),
            ApplyError::UnknownSetting { .. } => {
                "run `selkie setup --resume --force` to write the file again".into()
            }
            ApplyError::ToolMissing { package, .. } => format!(
                "install it (apt-get install {package}), or name the firewall in use with --host-firewall"
            ),
            ApplyError::StillWaiting { .. } => {
                "run `selkie confirm` from a new SSH connection (or wait until it reverts), then run \
                 setup again"
                    .into()
            }
            ApplyError::Refused { log, .. } => format!(
                "the whole output is in {}; fix the cause, then run `selkie setup --resume`",
                log.display()
            ),
            ApplyError::Save { .. } => {
                "nothing was changed; fix the cause, or run without --apply-firewall".into()
            }
            ApplyError::Timer { .. } => {
                "nothing was changed; apply the firewall by hand (firewall/ in the deployment directory) \
                 or run without --apply-firewall"
                    .into()
            }
            ApplyError::SameSession { .. } => {
                "open a NEW ssh connection to this server and run `selkie confirm` there; if the new \
                 login fails, do nothing: the old rules come back by themselves"
                    .into()
            }
            ApplyError::NotOverSsh => {
                "log in with a new ssh connection and run it there; from a console where SSH does not \
                 matter, run `selkie confirm --without-ssh`"
                    .into()
            }
            ApplyError::Spawn { .. } | ApplyError::Record { .. } => return None,
        };
        Some(text)
    }
}
