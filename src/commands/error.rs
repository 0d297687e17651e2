//! What the subcommands themselves report: output that cannot be written, a verdict that fails.

use std::path::PathBuf;

use crate::answers::HostFirewall;

/// A subcommand that cannot finish, or whose verdict is "not working".
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Standard output (or a file) could not be written.
    #[error("could not {action}: {source}")]
    Output {
        action: &'static str,
        #[source]
        source: std::io::Error,
    },

    /// A view could not be encoded as JSON.
    #[error("cannot encode the {what} as JSON: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },

    /// `selkie confirm` after the firewall was already reverted.
    #[error(
        "too late: the {kind} firewall applied at {id} was not confirmed in time and the rules from \
         before are back (applied/firewall/revert.log says what ran)"
    )]
    FirewallReverted { kind: HostFirewall, id: String },

    /// A deployment with saved answers but no secrets.toml.
    #[error("no secrets.toml in {}", dir.display())]
    NoSecrets { dir: PathBuf },

    /// A test token could not be made.
    #[error("{0}")]
    Token(String),

    /// `selkie status`: required parts are not healthy.
    #[error("the deployment is {overall}: {}", failing.join(", "))]
    NotHealthy {
        overall: &'static str,
        failing: Vec<String>,
    },

    /// `selkie check`: LiveKit's signalling failed, as the check saw it.
    #[error("{0}")]
    SignallingFailed(String),

    /// `selkie check`: required media paths did not get through.
    #[error("not every path works: {}", paths.join(", "))]
    PathsFailed { paths: Vec<String> },
}

impl CommandError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            CommandError::Output { .. } => {
                "redirect the output to a file you can write, e.g. `> selkie.1`"
            }
            CommandError::Json { .. } | CommandError::Token(_) => return None,
            CommandError::FirewallReverted { .. } => {
                "if SSH worked from a new connection, run `selkie setup --resume` to apply it again and \
                 confirm sooner; if it did not, check --ssh-port and --ssh-from first"
            }
            CommandError::NoSecrets { .. } => "run `selkie setup` first",
            CommandError::NotHealthy { .. } => {
                "each row above says why (each `message`, in --json); `selkie setup --resume` \
                 restarts what is not running as planned"
            }
            CommandError::SignallingFailed(_) | CommandError::PathsFailed { .. } => {
                "each failed line above names its fix"
            }
        };
        Some(hint.to_string())
    }
}
