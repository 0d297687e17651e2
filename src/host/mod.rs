//! HostFacts: what selkie learns about the server, detected once at the edge and read-only.
//! The core never detects anything itself; tests build a `HostFacts` value directly.
//!
//! [`detect`] reads what every command needs (provider, SSH, addresses, ephemeral range);
//! [`survey`] adds what preflight judges (system, memory, disk, listening sockets), and
//! `setup::survey` the facts that take the network (Docker, outbound STUN). Also which commands
//! are on PATH and which host firewall is installed (`firewall.rs`).

mod docker;
mod firewall;
pub mod metadata;
mod net;
mod provider;
mod socket_table;
mod sockets;
mod ssh;
mod system;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::answers::Provider;

pub use docker::{DockerFacts, DockerState};
pub use firewall::{installed_host_firewall, on_path};
pub use net::public_address;
pub use provider::detect_provider;
pub use socket_table::{parse_socket_row, socket_rows, SocketRow, SocketState};
pub use sockets::{listening, Holder, Socket};
pub use ssh::{parse_ssh_connection, sshd_ports};
pub use system::{Disk, System};

/// Facts about the server that shape the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// The cloud provider, detected offline from DMI.
    pub provider: Option<Provider>,
    /// Ports sshd listens on (from the SSH session and sshd's configuration); never empty.
    pub ssh_ports: Vec<u16>,
    /// Nothing told the SSH port, so `ssh_ports` is sshd's default, 22.
    pub ssh_guessed: bool,
    /// The address of the operator's SSH client, from `SSH_CONNECTION`.
    pub ssh_client: Option<IpAddr>,
    /// The kernel's ephemeral port range (`ip_local_port_range`).
    pub ephemeral: (u16, u16),
    /// The address the internet reaches this server at: the cloud's metadata service's answer,
    /// else an internet address on this host's interfaces.
    pub public_ip: Option<IpAddr>,
    /// The cloud whose metadata service gave `public_ip` (no interface holds it then: 1:1 NAT).
    pub public_ip_metadata: Option<Provider>,
    /// A non-loopback IPv4 address on this host's interfaces, the internet one first: where a
    /// proxy on this host reaches LiveKit's TURN listener without it seeing a loopback client.
    pub local_ipv4: Option<IpAddr>,
    /// The operating system and architecture.
    pub system: System,
    /// `MemTotal` in bytes; `None` when it could not be read (or was not surveyed).
    pub memory: Option<u64>,
    /// The free space where the deployment will live.
    pub disk: Disk,
    /// The sockets that hold a port (listening TCP, bound UDP) and the processes holding them.
    pub sockets: Vec<Socket>,
    /// Docker, as it answered.
    pub docker: DockerFacts,
    /// Whether a public STUN server answered; `None` when none was asked.
    pub stun: Option<Stun>,
}

/// What asking public STUN servers for this server's address gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stun {
    /// A server answered.
    pub answered: bool,
    /// What was seen, in a few words: the address, or which servers were silent.
    pub message: String,
}

impl Default for HostFacts {
    /// A fresh Linux VPS: SSH on 22, the kernel's default ephemeral range, nothing else known.
    fn default() -> Self {
        HostFacts {
            provider: None,
            ssh_ports: vec![22],
            ssh_guessed: false,
            ssh_client: None,
            ephemeral: (32768, 60999),
            public_ip: None,
            public_ip_metadata: None,
            local_ipv4: None,
            system: System::default(),
            memory: None,
            disk: Disk::default(),
            sockets: Vec::new(),
            docker: DockerFacts::default(),
            stun: None,
        }
    }
}

/// Where detection reads from; tests and the wizard's preflight point these at prepared trees.
#[derive(Debug, Clone)]
pub struct Sources {
    pub dmi_dir: PathBuf,
    pub proc_dir: PathBuf,
    pub sshd_config: PathBuf,
    pub ssh_connection: Option<String>,
}

impl Sources {
    /// The real system; `SELKIE_DMI_DIR` and `SELKIE_PROC_DIR` may point elsewhere for tests.
    pub fn system() -> Sources {
        Sources {
            dmi_dir: std::env::var_os("SELKIE_DMI_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/sys/class/dmi/id")),
            proc_dir: std::env::var_os("SELKIE_PROC_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/proc")),
            sshd_config: PathBuf::from("/etc/ssh/sshd_config"),
            ssh_connection: std::env::var("SSH_CONNECTION").ok(),
        }
    }
}

/// Detect every fact, falling back to a fresh VPS's values where something cannot be read.
pub fn detect(src: &Sources) -> HostFacts {
    let defaults = HostFacts::default();
    let (ssh_client, session_port) = parse_ssh_connection(src.ssh_connection.as_deref());
    let mut ssh_ports: Vec<u16> = session_port.into_iter().collect();
    ssh_ports.extend(ssh::sshd_config_ports(&src.sshd_config, 0));
    let ssh_guessed = ssh_ports.is_empty();
    if ssh_guessed {
        ssh_ports = defaults.ssh_ports.clone();
    }
    ssh_ports.sort_unstable();
    ssh_ports.dedup();
    let ephemeral = net::ephemeral_range(&src.proc_dir).unwrap_or(defaults.ephemeral);
    let public_ip = public_address(&src.proc_dir);
    HostFacts {
        provider: detect_provider(&src.dmi_dir, &src.proc_dir),
        ssh_ports,
        ssh_guessed,
        ssh_client,
        ephemeral,
        public_ip,
        public_ip_metadata: None,
        local_ipv4: net::local_address(&src.proc_dir, public_ip),
        ..defaults
    }
}

/// What preflight judges beyond [`detect`], read from the files of this host: the system, the
/// memory, the free disk where the deployment (`deploy_dir`) will live, and every socket that
/// holds a port with its processes.
pub fn survey(facts: HostFacts, src: &Sources, deploy_dir: &Path) -> HostFacts {
    HostFacts {
        system: system::system(),
        memory: system::memory(&src.proc_dir),
        disk: system::disk(deploy_dir),
        sockets: listening(&src.proc_dir),
        ..facts
    }
}

/// [`detect`], then the cloud's metadata service for the public address when no interface holds
/// an internet IPv4 address: the provider's own service when DMI names one, every known one at
/// once when it names none. At most [`metadata::BUDGET`] on the network; nothing found changes
/// nothing.
pub fn detect_with_metadata(src: &Sources) -> HostFacts {
    let mut facts = detect(src);
    if facts.public_ip.is_some_and(|ip| ip.is_ipv4()) {
        return facts;
    }
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return facts;
    };
    if let Some((ip, provider)) = runtime.block_on(metadata::public_address(facts.provider)) {
        facts.public_ip = Some(ip);
        facts.public_ip_metadata = Some(provider);
    }
    facts
}

impl HostFacts {
    /// The public address when this host's own interface holds it (not behind 1:1 NAT).
    pub fn interface_public_ip(&self) -> Option<IpAddr> {
        self.public_ip.filter(|_| self.public_ip_metadata.is_none())
    }
}

/// A file's text without surrounding white space, or `None` when it cannot be read.
fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_falls_back_to_a_fresh_vps() {
        let empty = tempfile::tempdir().unwrap();
        let src = Sources {
            dmi_dir: empty.path().join("dmi"),
            proc_dir: empty.path().join("proc"),
            sshd_config: empty.path().join("sshd_config"),
            ssh_connection: None,
        };
        let facts = detect(&src);
        assert_eq!(
            facts,
            HostFacts {
                ssh_guessed: true,
                ..HostFacts::default()
            }
        );
    }
}
