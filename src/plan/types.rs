//! What a plan is made of: the port table, the services, the proxy routes, the firewall and the
//! kernel settings, each ready for a renderer to write without deciding anything.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use super::{Media, PROJECT};
use crate::answers::{Address, Cidr, ImageRef, Provider, ProxyMode};
use crate::preset::{LimitDefaults, NetworkKind, RoomDefaults};
use crate::role::Role;
use crate::transport::Proto;

pub use super::dns::{DnsRecord, RecordKind};
pub use super::mount::{Mount, MountSource};

/// Who can reach a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    /// Open to the internet: every firewall output opens it.
    Public,
    /// Reached through the reverse proxy; the service listens on 127.0.0.1.
    Proxied,
    /// Bound to 127.0.0.1 and used only on this host.
    Loopback,
    /// Only other containers reach it: never published, and a host-network service must bind it
    /// to 127.0.0.1 itself.
    Internal,
    /// Reached only over the VPN interface.
    Vpn,
}

impl Exposure {
    /// Whether the port is bound on the host (and so can clash with another port).
    pub fn binds_host(&self) -> bool {
        !matches!(self, Exposure::Internal)
    }

    /// The word used in tables and JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Exposure::Public => "public",
            Exposure::Proxied => "proxied",
            Exposure::Loopback => "loopback",
            Exposure::Internal => "internal",
            Exposure::Vpn => "vpn",
        }
    }
}

/// One row of the port table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Port {
    pub port: u16,
    /// Last port of a range, inclusive; equal to `port` for a single port.
    pub end: u16,
    pub proto: Proto,
    pub exposure: Exposure,
    pub service: Role,
    pub purpose: String,
    pub required: bool,
    /// Open only to this network (SSH and admin ports when the operator restricts them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Cidr>,
    /// For the operator only (an admin dashboard): clients never need it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
    /// An HTTP path that answers 200 when the service is healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_path: Option<String>,
}

impl Port {
    /// `443`, or `50000-50119` for a range.
    pub fn label(&self) -> String {
        range_label(self.port, self.end)
    }

    /// Whether two ports of the same protocol share a number.
    pub fn overlaps(&self, other: &Port) -> bool {
        self.proto == other.proto && self.port <= other.end && other.port <= self.end
    }
}

/// A port of a bridged container published on the host (always on 127.0.0.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publish {
    pub host_ip: String,
    pub port: u16,
    pub end: u16,
    pub proto: Proto,
}

/// One container of the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    pub name: Role,
    pub purpose: String,
    pub image: ImageRef,
    pub network: NetworkKind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Environment without secrets, resolved.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Environment that holds secrets, as templates (`{{secret.NAME}}`); written to `env_file`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_env: BTreeMap<String, String>,
    /// The 0600 file (relative to the deployment directory) with the resolved `secret_env`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env_file: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub publish: Vec<Publish>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub healthcheck: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
}

impl Service {
    /// The container's name.
    pub fn container_name(&self) -> String {
        format!("{PROJECT}-{}", self.name)
    }
}

/// A reverse-proxy route: requests for `host` (and `path`, when set) go to `upstream`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// The site: a host name, or the IP address.
    pub host: String,
    /// A path prefix such as `/lk-ws`; the whole site when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Remove the prefix before forwarding (LiveKit expects `/rtc` at its root).
    pub strip_prefix: bool,
    pub upstream: String,
    pub service: Role,
    /// A raw TCP stream after TLS termination (TURN/TLS), not HTTP.
    pub tcp: bool,
}

/// A service's config file, written into the deployment directory and mounted by the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigFile {
    /// Relative to the deployment directory (`garage/garage.toml`).
    pub path: String,
    pub contents: String,
    pub service: Role,
}

/// The URLs people and apps use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Urls {
    /// The web site, when the stack has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// What LiveKit SDKs connect to.
    pub livekit: String,
}

/// The ACME CA root's file name in the Caddy config directory.
pub const ACME_CA_ROOT_FILE: &str = "acme-ca-root.pem";

/// The HTTPS front door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Web {
    pub https_port: u16,
    pub redirect_http: bool,
    /// The site is a bare IP address: TLS clients send it no server name.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bare_ip: bool,
    /// `tls internal`: Caddy's own CA signs the certificate of a bare IP address.
    pub internal_tls: bool,
    /// The ACME profile the certificate is ordered under (`shortlived` for an IP address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acme_profile: Option<String>,
    /// What the certificate of a bare IP address costs, in one sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// Where the certificate authority sends expiry notices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Another ACME directory than Let's Encrypt's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acme_ca: Option<String>,
    /// The PEM roots for that directory's HTTPS, written to `caddy/acme-ca-root.pem`.
    #[serde(skip)]
    pub acme_ca_root: Option<String>,
}

impl Web {
    /// Where the container sees the ACME CA's root, when there is one.
    pub fn acme_ca_root_path(&self) -> Option<String> {
        self.acme_ca_root
            .as_ref()
            .map(|_| format!("{}/{ACME_CA_ROOT_FILE}", crate::plan::CADDY_CONFIG_DIR))
    }

    /// The HTTPS port when it is not 443: only then do URLs and redirects spell it out.
    pub fn custom_port(&self) -> Option<u16> {
        (self.https_port != 443).then_some(self.https_port)
    }

    /// `:8443`, or nothing on 443.
    pub fn port_suffix(&self) -> String {
        self.custom_port()
            .map(|port| format!(":{port}"))
            .unwrap_or_default()
    }

    /// `scheme://host` with the port when it is not 443: `https` for the site, `wss` for LiveKit.
    pub fn url(&self, scheme: &str, host: &str) -> String {
        format!("{scheme}://{host}{}", self.port_suffix())
    }
}

/// TURN as LiveKit's embedded server runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turn {
    pub domain: String,
    pub udp_port: u16,
    /// TURN/TLS behind the layer-4 proxy: LiveKit listens in plain TCP here, the proxy does TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_port: Option<u16>,
    /// Peers LiveKit's TURN may relay to although private (the node's own private, CGNAT or
    /// ULA address): TURN refuses such peers otherwise, and the peer is LiveKit itself.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_restricted_peer_cidrs: Vec<String>,
}

/// LiveKit's own settings, ready for livekit.yaml.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Livekit {
    /// Signalling listens on 127.0.0.1 only (a proxy or the app is in front).
    pub loopback_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_ip: Option<IpAddr>,
    pub use_external_ip: bool,
    /// The one host address LiveKit gathers ICE candidates on (`rtc.ips.includes`): node_ip when
    /// it is an address of this host, or behind a 1:1 NAT the private address the provider maps.
    /// Otherwise every media connection takes a UDP port on each of the host's addresses
    /// (docker0, bridges, IPv6 …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gather_on: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turn: Option<Turn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomDefaults>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitDefaults>,
}

/// A firewall rule that opens a public port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirewallRule {
    pub port: u16,
    pub end: u16,
    pub proto: Proto,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Cidr>,
    pub service: Role,
    pub purpose: String,
}

impl FirewallRule {
    /// `443`, or `50000-50119`.
    pub fn label(&self) -> String {
        range_label(self.port, self.end)
    }
}

/// What every firewall output opens: SSH first, then exactly the plan's public ports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Firewall {
    pub provider: Provider,
    pub ssh: Vec<FirewallRule>,
    pub rules: Vec<FirewallRule>,
    /// The VPN interface the host firewall trusts (everything non-public is reached through it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_interface: Option<String>,
}

impl Firewall {
    /// SSH rules followed by the others, in the order they must be applied.
    pub fn all(&self) -> impl Iterator<Item = &FirewallRule> {
        self.ssh.iter().chain(self.rules.iter())
    }
}

/// Kernel settings for the sysctl drop-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sysctl {
    pub rmem_max: u32,
    pub wmem_max: u32,
    /// Plan ports inside the ephemeral range, kept away from outgoing connections.
    pub reserved_ports: Vec<(u16, u16)>,
    pub ephemeral: (u16, u16),
}

/// Everything selkie will write and run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub preset: String,
    /// Where clients find the server: a domain or a bare address.
    pub address: Address,
    pub proxy: ProxyMode,
    pub urls: Urls,
    pub web: Web,
    pub media: Media,
    pub livekit: Livekit,
    pub services: Vec<Service>,
    /// The services' own config files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ConfigFile>,
    pub ports: Vec<Port>,
    pub routes: Vec<Route>,
    pub dns: Vec<DnsRecord>,
    pub firewall: Firewall,
    pub sysctl: Sysctl,
    /// Names of the secrets the deployment needs (values live in secrets.toml only).
    pub secrets: Vec<String>,
    pub warnings: Vec<String>,
    /// What the operator does next, in order.
    pub next_steps: Vec<String>,
    /// The SSH admin network, when SSH and admin ports are restricted.
    #[serde(skip)]
    pub admin_source: Option<Cidr>,
}

impl Plan {
    /// The service with this role.
    pub fn service(&self, role: &Role) -> Option<&Service> {
        self.services.iter().find(|s| &s.name == role)
    }

    /// The ports that every firewall output opens.
    pub fn public_ports(&self) -> impl Iterator<Item = &Port> {
        self.ports.iter().filter(|p| p.exposure == Exposure::Public)
    }
}

/// `443`, or `50000-50119` for a range: how tables, scripts and warnings name a port.
fn range_label(port: u16, end: u16) -> String {
    if end == port {
        port.to_string()
    } else {
        format!("{port}-{end}")
    }
}
