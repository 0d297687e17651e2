//! DNS: the host name resolves, to this server's address when it is known.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Instant;

use crate::health::{Status, Verdict};

/// Resolve `name` with the system resolver (what ACME clients and browsers here would use).
pub(super) async fn probe(name: &str, expect: Option<IpAddr>) -> Verdict {
    let started = Instant::now();
    let found: BTreeSet<IpAddr> = match tokio::net::lookup_host((name, 0)).await {
        Ok(addrs) => addrs.map(|a| a.ip()).collect(),
        Err(e) => {
            return Verdict::new(
                Status::Down,
                format!("does not resolve ({e}): certificates will fail until it does"),
            )
        }
    };
    let latency = Some(started.elapsed());
    let list = found
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let (status, message) = match expect {
        _ if found.is_empty() => (
            Status::Down,
            "resolves to no address: certificates will fail until it does".to_string(),
        ),
        Some(ip) if found.contains(&ip) => (Status::Healthy, format!("resolves to {list}")),
        // Elsewhere may be a CDN or a stale record; it works for someone, not for this server.
        Some(ip) => (Status::Degraded, format!("resolves to {list}, not {ip}")),
        None => (Status::Healthy, format!("resolves to {list}")),
    };
    Verdict {
        status,
        message,
        latency,
        cause: None,
    }
}
