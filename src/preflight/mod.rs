//! Preflight: read-only checks before the wizard asks anything (OS, memory, disk, Docker, ports,
//! ephemeral range, cloud provider, SSH), each with a plain-words reason.

use serde::Serialize;

use crate::host::{HostFacts, Sources};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    /// Fine.
    Ok,
    /// Worth knowing; the operator may go on.
    Warn,
    /// Blocks setup until fixed.
    Fail,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub mark: Mark,
    /// `Docker`, `Port 443/tcp`, `Memory` …
    pub title: String,
    /// What was found and, when it is not fine, what to do.
    pub detail: String,
}

/// The whole checklist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub items: Vec<Item>,
}

impl Report {
    /// Whether anything blocks setup.
    pub fn blocking(&self) -> bool {
        self.items.iter().any(|i| i.mark == Mark::Fail)
    }
}

/// What preflight looks at, beyond `HostFacts`.
#[derive(Debug, Clone)]
pub struct Options {
    /// On `--resume` selkie's own containers hold the ports: they are not conflicts.
    pub resume: bool,
}

/// Run every check (read-only, a few seconds at most).
pub async fn run(_facts: &HostFacts, _sources: &Sources, _options: &Options) -> Report {
    Report::default()
}
