//! The plan: everything derived from the answers, the preset and the host. `build` is pure and
//! deterministic — the same inputs give the same plan, and so byte-identical files.

mod media;
pub mod ports;
mod services;
mod web;

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::answers::{Address, Answers, Cidr, Hostname, ImageRef, Provider, ProxyMode, UdpMode};
use crate::error::Error;
use crate::host::HostFacts;
use crate::preset::{LimitDefaults, NetworkKind, Preset, Proto, RoomDefaults};

pub use media::{range_size, Media, DEFAULT_MUX_PORT, HEADROOM_PERCENT, PORTS_PER_PARTICIPANT};

/// The Docker project name: containers are `selkie-<service>`, labels `io.selkie.project=selkie`.
pub const PROJECT: &str = "selkie";
/// The pinned LiveKit server: the newest release whose config keys match the reference list.
pub const LIVEKIT_IMAGE: &str = "livekit/livekit-server:v1.13.5";
/// Stock Caddy for the `caddy` proxy mode.
pub const CADDY_IMAGE: &str = "caddy:2.10.2";
/// Caddy with the layer-4 module, as LiveKit's own deployment uses it.
pub const CADDY_L4_IMAGE: &str = "livekit/caddyl4:v2.11.4";
/// LiveKit's signalling (HTTP + WebSocket) port.
pub const SIGNAL_PORT: u16 = 7880;
/// WebRTC over TCP, for clients whose networks block UDP.
pub const TCP_FALLBACK_PORT: u16 = 7881;
/// TURN over UDP.
pub const TURN_UDP_PORT: u16 = 3478;
/// TURN over TLS behind the layer-4 proxy (plain TCP on the host: the proxy terminates TLS).
pub const TURN_TLS_PORT: u16 = 5349;
/// Docker healthcheck timing, the same for selkie's containers and the compose export.
pub const HEALTH_INTERVAL_SECS: u64 = 5;
/// How long one healthcheck may take.
pub const HEALTH_TIMEOUT_SECS: u64 = 5;
/// Failed checks in a row before a container is unhealthy.
pub const HEALTH_RETRIES: i64 = 5;
/// Grace period after start during which failures do not count.
pub const HEALTH_START_PERIOD_SECS: u64 = 30;
/// The socket receive/send buffer LiveKit asks for.
pub const UDP_BUFFER_BYTES: u32 = 5_000_000;

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
    pub service: String,
    pub purpose: String,
    pub required: bool,
    /// Open only to this network (SSH and admin ports when the operator restricts them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Cidr>,
    /// For the operator only (an admin dashboard): clients never need it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
}

impl Port {
    /// `443`, or `50000-50119` for a range.
    pub fn label(&self) -> String {
        if self.end == self.port {
            self.port.to_string()
        } else {
            format!("{}-{}", self.port, self.end)
        }
    }

    /// Whether two ports of the same protocol share a number.
    pub fn overlaps(&self, other: &Port) -> bool {
        self.proto == other.proto && self.port <= other.end && other.port <= self.end
    }
}

/// A named volume or a directory of the deployment mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    /// A named volume (`caddy-data`) or a path relative to the deployment directory (`./livekit`).
    pub source: String,
    pub target: String,
    pub read_only: bool,
}

impl Mount {
    /// Whether the source is a directory of the deployment rather than a named volume.
    pub fn is_bind(&self) -> bool {
        self.source.starts_with("./")
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
    pub name: String,
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
    pub service: String,
    /// A raw TCP stream after TLS termination (TURN/TLS), not HTTP.
    pub tcp: bool,
}

/// A DNS record the operator creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    pub purpose: String,
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

/// The HTTPS front door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Web {
    pub https_port: u16,
    pub redirect_http: bool,
    /// `tls internal`: Caddy's own CA, for a bare IP address.
    pub internal_tls: bool,
    /// Where the certificate authority sends expiry notices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// TURN as LiveKit's embedded server runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turn {
    pub domain: String,
    pub udp_port: u16,
    /// TURN/TLS behind the layer-4 proxy: LiveKit listens in plain TCP here, the proxy does TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_port: Option<u16>,
}

/// LiveKit's own settings, ready for livekit.yaml.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Livekit {
    /// Signalling listens on 127.0.0.1 only (a proxy or the app is in front).
    pub loopback_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_ip: Option<IpAddr>,
    pub use_external_ip: bool,
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
    pub service: String,
    pub purpose: String,
}

impl FirewallRule {
    /// `443`, or `50000-50119`.
    pub fn label(&self) -> String {
        if self.end == self.port {
            self.port.to_string()
        } else {
            format!("{}-{}", self.port, self.end)
        }
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
    pub address: String,
    pub proxy: ProxyMode,
    pub urls: Urls,
    pub web: Web,
    pub media: Media,
    pub livekit: Livekit,
    pub services: Vec<Service>,
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
    #[serde(skip)]
    pub addr: Address,
    /// The SSH admin network, when SSH and admin ports are restricted.
    #[serde(skip)]
    pub admin_source: Option<Cidr>,
}

impl Plan {
    /// The service with this name.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The ports that every firewall output opens.
    pub fn public_ports(&self) -> impl Iterator<Item = &Port> {
        self.ports.iter().filter(|p| p.exposure == Exposure::Public)
    }
}

/// The host names of a domain deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hosts {
    pub site: String,
    pub livekit: Option<Hostname>,
    pub turn: Option<Hostname>,
}

/// Derive the whole plan. Pure: reads nothing, writes nothing.
pub fn build(answers: &Answers, preset: &Preset, host: &HostFacts) -> Result<Plan, Error> {
    let addr = answers.address()?;
    check_combination(answers, preset, &addr)?;
    let mut warnings = Vec::new();
    if let Address::Ip(ip) = &addr {
        warnings.extend(ip.warning());
    }

    let start = answers
        .udp_start
        .map(|s| s.get())
        .unwrap_or(match answers.udp {
            UdpMode::Range if preset.defaults.udp == UdpMode::Range => {
                preset.defaults.udp_start.get()
            }
            UdpMode::Range => 50000,
            UdpMode::Mux if preset.defaults.udp == UdpMode::Mux => preset.defaults.udp_start.get(),
            UdpMode::Mux => DEFAULT_MUX_PORT,
        });
    let (media, media_warnings) =
        media::size(answers.participants, answers.udp, start, answers.udp_end)?;
    warnings.extend(media_warnings);

    let admin_source = answers.ssh.allow_from;
    let hosts = web::hosts(answers, preset, &addr)?;
    let web = web::front_door(answers, preset, &addr);
    let urls = web::urls(answers, preset, &addr, &hosts, &web);
    let livekit = web::livekit(answers, preset, &addr, &hosts);
    let routes = web::routes(answers, preset, &hosts);

    let port_table = ports::table(answers, preset, host, &media, &livekit, &web, admin_source)?;
    let services = services::all(answers, preset, &urls, &port_table)?;
    let dns = web::dns(&hosts, &addr, host.public_ip);

    let firewall = Firewall {
        provider: answers.provider,
        ssh: firewall_rules(&port_table, |p| p.service == "sshd"),
        rules: firewall_rules(&port_table, |p| p.service != "sshd"),
        trusted_interface: preset.vpn.as_ref().map(|v| v.interface.clone()),
    };

    let reserved_ports = ports::reserved(&port_table, host.ephemeral);
    let (eph_lo, eph_hi) = host.ephemeral;
    let in_ephemeral: Vec<String> = port_table
        .iter()
        .filter(|p| p.exposure.binds_host() && p.service != "sshd")
        .filter(|p| p.port <= eph_hi && eph_lo <= p.end)
        .map(|p| format!("{}/{} ({})", p.label(), p.proto.as_str(), p.service))
        .collect();
    if !in_ephemeral.is_empty() {
        warnings.push(format!(
            "{} overlap{} the kernel's ephemeral range {eph_lo}-{eph_hi}: outgoing connections could take \
             {}; the sysctl drop-in reserves {} (net.ipv4.ip_local_reserved_ports)",
            in_ephemeral.join(", "),
            if in_ephemeral.len() == 1 { "s" } else { "" },
            if in_ephemeral.len() == 1 { "that port" } else { "those ports" },
            if in_ephemeral.len() == 1 { "it" } else { "them" },
        ));
    }
    let sysctl = Sysctl {
        rmem_max: UDP_BUFFER_BYTES,
        wmem_max: UDP_BUFFER_BYTES,
        reserved_ports,
        ephemeral: host.ephemeral,
    };

    if answers.proxy == ProxyMode::None && !preset.livekit.app_terminates_tls {
        warnings.push(
            "without a proxy everything is plain HTTP: browsers only grant camera and microphone on HTTPS (or on localhost); \
             use this only on a trusted network, or choose --proxy caddy"
                .into(),
        );
    }
    if host.ssh_guessed && answers.ssh.ports.is_empty() {
        warnings.push(
            "the SSH port could not be read (no SSH session, no readable sshd_config): the firewall keeps 22 open; \
             give --ssh-port PORT if sshd listens elsewhere"
                .into(),
        );
    }
    if preset.defaults.restrict_ssh && admin_source.is_none() {
        warnings.push(
            "SSH stays open to every address because your own address is unknown (no SSH session); \
             restrict it with --ssh-from YOUR_IP"
                .into(),
        );
    }
    for p in port_table
        .iter()
        .filter(|p| p.admin && p.exposure == Exposure::Public && p.source.is_none())
    {
        warnings.push(format!(
            "{}/{} ({}) is for you only but open to everyone: restrict it with --ssh-from YOUR_IP",
            p.port,
            p.proto.as_str(),
            p.purpose
        ));
    }
    for service in &services {
        for publish in service.publish.iter().filter(|p| p.host_ip == "0.0.0.0") {
            let restricted = port_table
                .iter()
                .any(|p| p.service == service.name && p.port == publish.port && p.source.is_some());
            warnings.push(format!(
                "{}/{} of `{}` is published by Docker, which bypasses host firewalls (ufw, nftables){}",
                publish.port,
                publish.proto.as_str(),
                service.name,
                if restricted {
                    ": only a cloud firewall can restrict who reaches it"
                } else {
                    ""
                }
            ));
        }
        if service.image.is_floating() {
            warnings.push(format!(
                "the image of `{}` ({}) has no fixed version: pin a tag so upgrades happen when you choose",
                service.name, service.image
            ));
        }
    }

    let mut secrets = vec!["livekit_api_secret".to_string()];
    secrets.extend(preset.secrets.iter().map(|s| s.name.clone()));
    let next_steps = web::next_steps(answers, preset, &addr, &dns, &web);

    Ok(Plan {
        preset: preset.name.clone(),
        address: addr.to_string(),
        proxy: answers.proxy,
        urls,
        web,
        media,
        livekit,
        services,
        ports: port_table,
        routes,
        dns,
        firewall,
        sysctl,
        secrets,
        warnings,
        next_steps,
        addr,
        admin_source,
    })
}

fn firewall_rules(ports: &[Port], keep: impl Fn(&Port) -> bool) -> Vec<FirewallRule> {
    ports
        .iter()
        .filter(|p| p.exposure == Exposure::Public && keep(p))
        .map(|p| FirewallRule {
            port: p.port,
            end: p.end,
            proto: p.proto,
            source: p.source,
            service: p.service.clone(),
            purpose: p.purpose.clone(),
        })
        .collect()
}

fn check_combination(answers: &Answers, preset: &Preset, addr: &Address) -> Result<(), Error> {
    if !preset.allows(answers.proxy) {
        let modes: Vec<&str> = preset.proxies.iter().map(|m| m.as_str()).collect();
        return Err(Error::invalid(
            format!(
                "the {} preset does not work with --proxy {}",
                preset.name, answers.proxy
            ),
            format!("choose one of: {}", modes.join(", ")),
        ));
    }
    if preset.vpn.is_some() && matches!(addr, Address::Domain(_)) {
        return Err(Error::invalid(
            format!(
                "the {} preset is reached over its VPN, so LiveKit must advertise the server's VPN address",
                preset.name
            ),
            "give the server's tailnet address with --ip (see `tailscale ip -4` once it has joined)",
        ));
    }
    if answers.proxy == ProxyMode::CaddyL4 && matches!(addr, Address::Ip(_)) {
        return Err(Error::invalid(
            "caddy-l4 routes TLS by server name, which needs a domain",
            "give --domain NAME, or use --proxy caddy with --ip",
        ));
    }
    if answers.proxy == ProxyMode::CaddyL4 {
        let paths: Vec<&str> = preset
            .services
            .iter()
            .flat_map(|s| &s.ports)
            .filter_map(|p| p.route.as_deref())
            .filter(|r| *r != "/")
            .collect();
        if !paths.is_empty() || preset.livekit.path.is_some() {
            return Err(Error::invalid(
                format!(
                    "caddy-l4 routes whole host names, but the {} preset serves paths on one site",
                    preset.name
                ),
                "choose --proxy caddy for this preset",
            ));
        }
    }
    if answers.proxy != ProxyMode::CaddyL4 && answers.hosts.turn.is_some() {
        return Err(Error::invalid(
            "a TURN host name is only used with --proxy caddy-l4",
            "remove the TURN host name, or choose --proxy caddy-l4",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
