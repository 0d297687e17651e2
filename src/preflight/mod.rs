//! Preflight: read-only checks before the wizard asks anything (OS, memory, disk, Docker, ports,
//! outbound STUN, ephemeral range, cloud provider, SSH), each with a plain-words reason.
//!
//! Nothing here changes the host. On the network it talks to the local Docker socket and sends
//! one STUN binding request to each of LiveKit's default STUN servers (what LiveKit itself does
//! at start with a domain). The slow parts (Docker, STUN, the scan of `/proc` for the owner of a
//! busy port) run concurrently; the whole checklist takes well under a second on a healthy host
//! and at most the longer of `Options::docker_timeout` and `Options::stun_timeout` otherwise.

pub mod docker;
pub mod facts;
pub mod ports;
mod render;
pub mod stun;
pub mod system;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::host::{HostFacts, Sources};
use crate::preset::Proto;

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

/// The ports a LiveKit deployment takes on every preset: HTTP and HTTPS for the proxy, LiveKit's
/// WebRTC-over-TCP port, and TURN/STUN over UDP.
pub const PORTS: [(u16, Proto); 4] = [
    (80, Proto::Tcp),
    (443, Proto::Tcp),
    (7881, Proto::Tcp),
    (3478, Proto::Udp),
];

/// What preflight looks at, beyond `HostFacts`.
#[derive(Debug, Clone)]
pub struct Options {
    /// On `--resume` selkie's own containers hold the ports: they are not conflicts.
    pub resume: bool,
    /// Where the deployment will be written: the disk check measures the free space there (or
    /// at its nearest existing parent).
    pub deploy_dir: PathBuf,
    /// The ports that must be free, [`PORTS`] unless a caller (or a test) says otherwise.
    pub ports: Vec<(u16, Proto)>,
    /// Reach Docker here (`unix:///path.sock`, a bare socket path, or `tcp://host:port`) instead
    /// of `DOCKER_HOST` / the default socket; lets tests point at a socket without touching the
    /// process environment.
    pub docker_host: Option<String>,
    /// How long Docker may take to answer before the check gives up on it.
    pub docker_timeout: Duration,
    /// The STUN servers LiveKit asks for this server's address; empty skips the check (and
    /// keeps preflight off the network).
    pub stun_servers: Vec<String>,
    /// How long the STUN servers may take to answer.
    pub stun_timeout: Duration,
}

impl Default for Options {
    /// A first run: the default deployment directory, the standard ports, Docker where
    /// `DOCKER_HOST` (or the default socket) says, three seconds for it to answer, and LiveKit's
    /// default STUN servers with two.
    fn default() -> Self {
        Options {
            resume: false,
            deploy_dir: crate::state::default_dir(),
            ports: PORTS.to_vec(),
            docker_host: None,
            docker_timeout: Duration::from_secs(3),
            stun_servers: crate::health::spec::LIVEKIT_STUN_SERVERS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            stun_timeout: Duration::from_secs(2),
        }
    }
}

/// Run every check (read-only, a few seconds at most) and list them in a fixed order: system,
/// memory, disk, Docker, ports, outbound STUN, ephemeral range, cloud provider, SSH.
pub async fn run(facts: &HostFacts, sources: &Sources, options: &Options) -> Report {
    let proc_dir = sources.proc_dir.clone();
    let deploy_dir = options.deploy_dir.clone();
    let wanted = options.ports.clone();
    let local_checks = move || {
        (
            system::os_item(),
            system::memory_item(&proc_dir),
            system::disk_item(&deploy_dir),
            ports::scan(&proc_dir, &wanted),
        )
    };
    // Docker waits on its socket and STUN on its servers while the blocking pool reads /proc.
    let (docker_check, local, stun_item) = tokio::join!(
        docker::check(options),
        tokio::task::spawn_blocking(local_checks.clone()),
        stun::item(facts, &options.stun_servers, options.stun_timeout)
    );
    // A panic in the pool would only repeat here; running again keeps the report complete.
    let (os, memory, disk, uses) = local.unwrap_or_else(|_| local_checks());
    let (docker_item, client) = docker_check;

    // Whose containers hold a busy port matters only when one is busy.
    let busy = uses.iter().any(|u| u.busy);
    let ours = match (&client, busy) {
        (Some(client), true) => docker::container_pids(client, options.docker_timeout).await,
        _ => Vec::new(),
    };

    let mut items = vec![os, memory, disk, docker_item];
    items.extend(ports::items(&uses, &ours, options.resume));
    items.extend(stun_item);
    items.push(facts::ephemeral_item(facts));
    items.push(facts::provider_item(facts));
    items.push(facts::ssh_item(facts));
    Report { items }
}
