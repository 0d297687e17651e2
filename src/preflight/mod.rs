//! Preflight: the checklist shown before the wizard asks anything (OS, memory, disk, Docker,
//! ports, outbound STUN, ephemeral range, cloud provider, SSH), each line with a plain-words
//! reason and, where a caller acts on it, a typed [`Finding`].
//!
//! Pure: every line is judged from [`HostFacts`] (gathered by `host::detect`, `host::survey` and
//! `setup::survey`) and the ports the deployment needs. Nothing here reads the host.

pub mod docker;
pub mod facts;
pub mod ports;
mod render;
pub mod stun;
pub mod system;

use serde::Serialize;

use crate::host::HostFacts;
use crate::plan::{HTTPS_PORT, HTTP_PORT, TCP_FALLBACK_PORT, TURN_UDP_PORT};
use crate::transport::Proto;

pub use render::{render, render_width};

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

/// What a line is about, for callers that act on it rather than show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Finding {
    /// Shown to the operator; nothing acts on it.
    #[default]
    General,
    /// No Docker socket: Docker is not installed, or not running.
    DockerMissing,
    /// Docker is there but cannot be used (permission, version, no answer).
    DockerUnusable,
}

impl Finding {
    /// Whether the line says Docker cannot be used here (missing or unusable).
    pub fn docker_unavailable(self) -> bool {
        matches!(self, Finding::DockerMissing | Finding::DockerUnusable)
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub mark: Mark,
    /// `Docker`, `Port 443/tcp`, `Memory` …
    pub title: String,
    /// What was found and, when it is not fine, what to do.
    pub detail: String,
    /// What the line is about, typed; not part of the JSON.
    #[serde(skip)]
    pub finding: Finding,
}

impl Item {
    /// An item from its parts.
    pub fn new(mark: Mark, title: impl Into<String>, detail: impl Into<String>) -> Item {
        Item {
            mark,
            title: title.into(),
            detail: detail.into(),
            finding: Finding::General,
        }
    }

    /// The same line, saying what it is about.
    pub fn about(mut self, finding: Finding) -> Item {
        self.finding = finding;
        self
    }
}

/// The whole checklist, in the order it is shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Checklist {
    pub items: Vec<Item>,
}

impl Checklist {
    /// Whether anything blocks setup.
    pub fn blocking(&self) -> bool {
        self.items.iter().any(|i| i.mark == Mark::Fail)
    }
}

/// The ports a first deployment takes on the host whatever the answers (with the default proxy):
/// HTTP and HTTPS for the proxy, LiveKit's WebRTC-over-TCP port, and TURN/STUN over UDP, as the
/// plan numbers them.
pub fn first_run_ports() -> Vec<(u16, Proto)> {
    vec![
        (HTTP_PORT, Proto::Tcp),
        (HTTPS_PORT, Proto::Tcp),
        (TCP_FALLBACK_PORT, Proto::Tcp),
        (TURN_UDP_PORT, Proto::Udp),
    ]
}

/// Judge the facts, in a fixed order: system, memory, disk, Docker, the `wanted` ports, outbound
/// STUN, ephemeral range, cloud provider, SSH. On `resume`, ports held by selkie's own
/// containers are no conflict.
pub fn check(facts: &HostFacts, wanted: &[(u16, Proto)], resume: bool) -> Checklist {
    let mut items = vec![
        system::os_item(&facts.system),
        system::memory_item(facts.memory),
        system::disk_item(&facts.disk),
        docker::item(&facts.docker),
    ];
    items.extend(ports::items(
        &facts.sockets,
        wanted,
        facts.docker.project_pids(),
        resume,
    ));
    items.extend(stun::item(facts));
    items.push(facts::ephemeral_item(facts));
    items.push(facts::provider_item(facts));
    items.push(facts::ssh_item(facts));
    Checklist { items }
}
