//! Outbound STUN: with a domain, LiveKit runs with `rtc.use_external_ip` and asks public STUN
//! servers for this server's address when it starts; without an answer it exits ("could not
//! resolve external IP"). An IP-address setup sets `rtc.node_ip` instead and needs none of this.

use std::time::Duration;

use super::{Item, Mark};
use crate::health::probes::outbound_stun;
use crate::health::Status;
use crate::host::HostFacts;

/// The checklist line for outbound STUN to `servers`, within `timeout`; None when there are no
/// servers to ask (a caller that keeps preflight off the network).
pub async fn item(facts: &HostFacts, servers: &[String], timeout: Duration) -> Option<Item> {
    if servers.is_empty() {
        return None;
    }
    let outcome = outbound_stun(servers, timeout).await;
    let (mark, detail) = match outcome.status {
        Status::Healthy => (Mark::Ok, outcome.message),
        _ => {
            let address = facts
                .public_ip
                .map_or("this server's public address".to_string(), |ip| {
                    ip.to_string()
                });
            (
                Mark::Warn,
                format!(
                    "{}. With a domain, LiveKit asks them for this server's address and will not \
                     start without an answer: allow outbound UDP to them, or set rtc.node_ip to \
                     {address} (a setup with --ip sets it for you)",
                    outcome.message
                ),
            )
        }
    };
    Some(Item::new(mark, "Outbound STUN", detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_servers_means_no_line_and_no_traffic() {
        let facts = HostFacts::default();
        assert_eq!(item(&facts, &[], Duration::from_secs(1)).await, None);
    }

    #[tokio::test]
    async fn an_unanswered_stun_server_is_a_warning_with_what_to_do() {
        // A UDP socket of this test that never answers stands in for a blocked STUN server.
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let server = silent.local_addr().unwrap().to_string();
        let facts = HostFacts {
            public_ip: Some("203.0.113.7".parse().unwrap()),
            ..HostFacts::default()
        };
        let item = item(
            &facts,
            std::slice::from_ref(&server),
            Duration::from_millis(300),
        )
        .await
        .unwrap();
        assert_eq!(item.mark, Mark::Warn);
        assert!(
            item.detail
                .starts_with(&format!("no STUN server answered within 300ms ({server})")),
            "{item:?}"
        );
        assert!(
            item.detail.contains("set rtc.node_ip to 203.0.113.7"),
            "{item:?}"
        );
    }
}
