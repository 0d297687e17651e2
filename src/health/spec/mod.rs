//! What "healthy" means for a plan: one check per port (plus TLS per host name, DNS per record
//! and how LiveKit learns its public address), derived from the plan alone (`from_plan`). This
//! file holds what a check is: its kind and where it is aimed.
//!
//! Health is judged from where a client stands: a public port is aimed at the server's public
//! address (found at probe time, see `health::vantage`), proxied and loopback ones at 127.0.0.1.

mod from_plan;

use std::net::IpAddr;

use serde::Serialize;

use crate::plan::Exposure;

pub use from_plan::{probes_for, LIVEKIT_STUN_SERVERS};

/// How a check is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// A TCP connection is accepted.
    Tcp,
    /// `GET path` answers 200 (LiveKit: `OK`; 406 `Not Ready` is degraded).
    Http,
    /// A TLS handshake with the right server name, verified as a browser would: issuer, names,
    /// days to expiry.
    Tls,
    /// A STUN binding request gets a binding response.
    Stun,
    /// The UDP port (or any port of the range) is bound on this host.
    #[serde(rename = "bound")]
    UdpBound,
    /// The host name resolves to this server.
    Dns,
    /// LiveKit knows the address it advertises: `node_ip` is set, or the STUN servers that
    /// `use_external_ip` asks answer from here. `addr` in tables, whose kind column is 5 wide.
    #[serde(rename = "addr")]
    NodeIp,
}

impl ProbeKind {
    /// The short word shown in tables.
    pub fn as_str(&self) -> &'static str {
        match self {
            ProbeKind::Tcp => "tcp",
            ProbeKind::Http => "http",
            ProbeKind::Tls => "tls",
            ProbeKind::Stun => "stun",
            ProbeKind::UdpBound => "bound",
            ProbeKind::Dns => "dns",
            ProbeKind::NodeIp => "addr",
        }
    }
}

/// Where a check is aimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "at", rename_all = "kebab-case")]
pub enum Target {
    /// A port on 127.0.0.1: proxied and loopback-only services, reached from this host.
    Loopback { port: u16 },
    /// A port at the server's public address (each address family the plan has), where
    /// clients connect.
    Public { port: u16 },
    /// UDP ports bound on the host, read from /proc/net/udp and udp6; for a public range a
    /// socket bound to 127.0.0.1 or ::1 only does not count as reachable.
    HostRange {
        port: u16,
        end: u16,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        public: bool,
    },
    /// A container's own port on the bridge network (internal services are not on the host).
    Container { service: String, port: u16 },
    /// TLS through the proxy on `port`, sending `server_name` (none for an IP address, whose
    /// certificate must name `ip`); at the public address when `public`, else on 127.0.0.1.
    Tls {
        port: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        server_name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        ip: Option<IpAddr>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        public: bool,
    },
    /// A host name that must resolve to `expect` (to anything, when the address is unknown).
    Name {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        expect: Option<IpAddr>,
    },
    /// LiveKit's advertised address: set in livekit.yaml (`node_ip`), or learnt from these STUN
    /// servers (`use_external_ip`).
    NodeIp {
        #[serde(skip_serializing_if = "Option::is_none")]
        node_ip: Option<IpAddr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        stun_servers: Vec<String>,
    },
}

/// Where a TCP or UDP port of this exposure is probed: clients reach a public port at the
/// server's public address; everything else bound on the host is probed on 127.0.0.1.
pub fn host_target(exposure: Exposure, port: u16) -> Target {
    match exposure {
        Exposure::Public => Target::Public { port },
        _ => Target::Loopback { port },
    }
}

/// One thing to check, with the plan row it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `443/tcp`, `50000-50119/udp`, `tls lk.example.com`, `dns example.com`.
    pub label: String,
    pub kind: ProbeKind,
    pub target: Target,
    pub service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    pub required: bool,
    pub purpose: String,
    /// The path for HTTP checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}
