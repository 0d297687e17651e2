//! LiveKit's public address: with `node_ip` set there is nothing to ask; with
//! `rtc.use_external_ip` livekit-server asks public STUN servers at start (three tries, then it
//! exits with "could not resolve external IP"), so outbound STUN must work from here.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::{show_duration, stun};
use crate::health::{Status, Verdict};

/// Judge how LiveKit learns its address: `node_ip` set, or the STUN servers answer.
pub(super) async fn probe(
    node_ip: Option<IpAddr>,
    servers: &[String],
    timeout: Duration,
) -> Verdict {
    if let Some(ip) = node_ip {
        return Verdict::new(
            Status::Healthy,
            format!("node_ip is set to {ip}: LiveKit asks no STUN server for it"),
        );
    }
    if servers.is_empty() {
        return Verdict::new(Status::Unknown, "neither node_ip nor STUN servers are set");
    }
    // A quarter of the time is left so this, not the round's own timeout, says what to do.
    let verdict = outbound_stun(servers, timeout - timeout / 4).await;
    match verdict.status {
        Status::Healthy => verdict,
        _ => Verdict::new(
            Status::Down,
            format!(
                "{}: LiveKit (use_external_ip) cannot learn its public address and will not \
                 start; allow outbound UDP to them, or set rtc.node_ip in livekit.yaml to this \
                 server's public address",
                verdict.message
            ),
        ),
    }
}

/// A binding request to each of `servers` (`host:port`) at once, within `timeout`: healthy with
/// the first answer (which carries this server's address as the internet sees it), down when
/// none answers.
pub async fn outbound_stun(servers: &[String], timeout: Duration) -> Verdict {
    let ask = |server: String| async move {
        let found = tokio::net::lookup_host(server.clone()).await;
        let addrs: Vec<SocketAddr> = match found {
            Ok(a) => a.collect(),
            Err(_) => return (server, None),
        };
        // IPv4 first, as LiveKit's resolver-free dial mostly goes.
        let Some(addr) = addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .copied()
        else {
            return (server, None);
        };
        let verdict = stun::probe(addr, timeout).await;
        (server, Some(verdict))
    };
    let mut pending: futures_util::stream::FuturesUnordered<_> =
        servers.iter().cloned().map(ask).collect();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut unresolved = Vec::new();
    loop {
        use futures_util::StreamExt;
        match tokio::time::timeout_at(deadline, pending.next()).await {
            Ok(Some((server, Some(verdict)))) if verdict.status == Status::Healthy => {
                let mapped = verdict
                    .message
                    .strip_prefix("binding answered, mapped address ")
                    .map(|a| format!(": this server is {a}"))
                    .unwrap_or_default();
                return Verdict {
                    message: format!("outbound STUN works ({server} answered{mapped})"),
                    ..verdict
                };
            }
            Ok(Some((server, None))) => unresolved.push(server),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let listed = servers.join(", ");
    let message = if unresolved.len() == servers.len() {
        format!("cannot resolve the STUN servers ({listed})")
    } else {
        format!(
            "no STUN server answered within {} ({listed})",
            show_duration(timeout)
        )
    };
    Verdict::new(Status::Down, message)
}
