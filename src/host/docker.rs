//! Docker as the host shows it: a plain record of what the daemon answered (the asking is done
//! through `docker/`, by `setup::survey`).

use std::path::PathBuf;
use std::time::Duration;

/// Docker on this host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerFacts {
    /// Where it was looked for: `unix:///var/run/docker.sock`, `tcp://…`.
    pub endpoint: String,
    pub state: DockerState,
}

/// What the Docker daemon said, or why it said nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DockerState {
    /// Not looked at.
    #[default]
    Unknown,
    /// It answered and this user may use it.
    Usable {
        /// `27.1.1`, when the daemon told.
        version: Option<String>,
        /// `1.46`, when the daemon told.
        api: Option<String>,
        /// The host pids of the init processes of selkie's own running containers.
        project_pids: Vec<u32>,
    },
    /// No socket (the path, empty when unknown): Docker is not installed or not running.
    NoSocket(PathBuf),
    /// The socket exists (the path, empty when unknown) but this user may not use it.
    PermissionDenied(PathBuf),
    /// The daemon answered with an API older than the oldest selkie drives.
    TooOld { api: String, oldest: String },
    /// The daemon did not answer within this long.
    NoAnswer(Duration),
    /// Anything else, in the client's own words.
    Failed(String),
}

impl DockerFacts {
    /// The pids of selkie's own containers' init processes (none unless Docker answered).
    pub fn project_pids(&self) -> &[u32] {
        match &self.state {
            DockerState::Usable { project_pids, .. } => project_pids,
            _ => &[],
        }
    }
}
