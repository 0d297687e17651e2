//! The DNS records the operator creates for a domain deployment.

use serde::Serialize;

use crate::answers::Address;

use super::web::Hosts;

/// The type of a DNS record selkie asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RecordKind {
    /// An IPv4 address.
    A,
    /// An IPv6 address.
    #[serde(rename = "AAAA")]
    Aaaa,
}

impl RecordKind {
    /// `A` or `AAAA`, as zone files write it.
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordKind::A => "A",
            RecordKind::Aaaa => "AAAA",
        }
    }
}

impl std::fmt::Display for RecordKind {
    /// Honours width and alignment (`{:<5}`), as the DNS table's columns need.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A DNS record the operator creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: RecordKind,
    pub value: String,
    pub purpose: String,
}

/// One record per host name of a domain deployment, all at the server's public address.
pub(super) fn records(
    hosts: &Hosts,
    addr: &Address,
    public_ip: Option<std::net::IpAddr>,
) -> Vec<DnsRecord> {
    let Address::Domain(domain) = addr else {
        return Vec::new();
    };
    let (kind, value) = match public_ip {
        Some(ip) if ip.is_ipv6() => (RecordKind::Aaaa, ip.to_string()),
        Some(ip) => (RecordKind::A, ip.to_string()),
        None => (RecordKind::A, "<this server's public IPv4>".to_string()),
    };
    let record = |name: String, purpose: &str| DnsRecord {
        name,
        kind,
        value: value.clone(),
        purpose: purpose.into(),
    };
    let mut out = vec![record(
        domain.to_string(),
        "the site, and HTTPS certificates for it",
    )];
    if let Some(lk) = &hosts.livekit {
        out.push(record(lk.to_string(), "LiveKit signalling (wss://)"));
    }
    if let Some(turn) = &hosts.turn {
        out.push(record(
            turn.to_string(),
            "TURN over TLS on 443, routed by SNI",
        ));
    }
    for (service, host) in &hosts.apps {
        out.push(record(
            host.to_string(),
            &format!("{service}, at the root of its own name"),
        ));
    }
    out
}
