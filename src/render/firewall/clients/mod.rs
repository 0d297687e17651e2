//! The client side of the firewall: what a network's egress filter (a corporate firewall, a guest
//! Wi-Fi) must let out for people to use this deployment.

mod rows;

use std::fmt::Write as _;

use crate::answers::Address;
use crate::plan::{Exposure, Plan, SIGNAL_PORT};
use crate::role::Role;

use rows::{rows, Row, Tier};

/// The Markdown document.
pub(super) fn render(plan: &Plan) -> String {
    let rows = rows(plan);
    let mut out = String::new();
    let _ = write!(
        out,
        "# Client network egress rules for {address}\n\n\
         What a client network (a corporate firewall, a guest Wi-Fi, a school filter) must allow\n\
         **outbound** for people to use this deployment (the `{preset}` plan). Nothing has to be opened\n\
         inbound on the client side: replies return on the connections the clients open.\n",
        address = plan.address,
        preset = plan.preset,
    );
    let sections = [
        (Tier::Minimum, "Minimum: calls work"),
        (Tier::Recommended, "Recommended: best quality"),
        (Tier::Optional, "Optional"),
    ];
    for (tier, title) in sections {
        let here: Vec<&Row> = rows.iter().filter(|r| r.tier == tier && !r.vpn).collect();
        if !here.is_empty() {
            let _ = write!(out, "\n## {title}\n\n");
            table(&mut out, &here);
        }
    }
    let tunnel: Vec<&Row> = rows.iter().filter(|r| r.vpn).collect();
    if !tunnel.is_empty() {
        out.push_str(
            "\n## Inside the VPN\n\n\
             Clients join the VPN first; the client network then sees only the VPN's own traffic (listed\n\
             above; the VPN client also talks to its coordination service and, when direct UDP fails, to\n\
             its relays over HTTPS: see the VPN provider's firewall guidance). A firewall on the client\n\
             device itself must still let these out, inside the tunnel:\n\n",
        );
        table(&mut out, &tunnel);
    }
    notes(&mut out, plan);
    out
}

/// A Markdown table of rows.
fn table(out: &mut String, rows: &[&Row]) {
    out.push_str("| Destination | Port/Proto | Purpose |\n|---|---|---|\n");
    for r in rows {
        let _ = writeln!(out, "| {} | {} | {} |", r.dest, r.port, r.purpose);
    }
}

/// The notes and tips after the tables.
fn notes(out: &mut String, plan: &Plan) {
    out.push_str("\n## Notes\n\n");
    if matches!(plan.address, Address::Domain(_)) {
        let _ = writeln!(
            out,
            "- Media is addressed to an IP, not a name: the server's candidates carry its address. A filter\n  \
             that works by IP needs the address {} resolves to (see dns.txt).",
            plan.address
        );
    }
    let plain_signalling = plan.ports.iter().any(|p| {
        p.service == Role::Livekit
            && p.port == SIGNAL_PORT
            && matches!(p.exposure, Exposure::Public | Exposure::Vpn)
    });
    if plain_signalling {
        out.push_str(
            "- Signalling here is plain HTTP and WebSocket (there is no proxy to add TLS): use it only on a\n  \
             network you trust. Media is still encrypted (DTLS-SRTP).\n",
        );
    } else {
        out.push_str(
            "- Everything is encrypted: signalling (and TURN/TLS) use TLS, media uses DTLS-SRTP. A proxy\n  \
             that inspects TLS breaks WebSocket signalling and TURN/TLS: exempt these destinations from it.\n",
        );
    }
    if plan.livekit.turn.is_none() {
        out.push_str(
            "- This deployment has no TURN relay: a client that reaches neither the UDP media port nor the\n  \
             TCP fallback cannot join, so the fallback (or, without one, UDP media) is in the minimum.\n",
        );
    }
    out.push_str(
        "\n## Operational tips\n\n\
         - Let UDP through whenever you can: TCP and TURN/TLS get calls through strict networks, but each\n  \
         lost packet then delays everything after it, and audio and video stutter.\n\
         - NAT that keeps one public port per client socket (endpoint-independent mapping) and hairpinning\n  \
         let media flow directly; symmetric NAT forces it through the TURN relay.\n\
         - Keep UDP idle timeouts generous: a call's media flow pauses during silence and must survive it.\n\
         - Test from inside the client network: LiveKit's connection test (livekit.io/connection-test)\n  \
         takes this server's URL and a token and shows which transports get through.\n",
    );
}

#[cfg(test)]
mod tests {
    use super::rows::url_host;
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    fn find<'a>(rows: &'a [Row], port: &str) -> Vec<&'a Row> {
        rows.iter().filter(|r| r.port.starts_with(port)).collect()
    }

    #[test]
    fn minimum_is_signalling_and_turn_best_quality_is_media() {
        let p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let rows = rows(&p);
        let https = find(&rows, "TCP 443");
        assert_eq!(https.len(), 1, "{rows:?}");
        assert_eq!(
            (https[0].dest.as_str(), https[0].tier),
            ("meet.example.com", Tier::Minimum)
        );
        assert_eq!(find(&rows, "UDP 3478")[0].tier, Tier::Minimum);
        let media = find(&rows, "UDP 50000-50119")[0];
        assert_eq!(
            (media.dest.as_str(), media.tier),
            ("IP address of meet.example.com", Tier::Recommended)
        );
        assert_eq!(find(&rows, "TCP 7881")[0].tier, Tier::Recommended);
        assert_eq!(find(&rows, "TCP 80")[0].tier, Tier::Optional);
        assert!(find(&rows, "TCP 22").is_empty());
        let text = render(&p);
        assert!(text.contains("## Minimum: calls work"), "{text}");
        assert!(
            text.contains(
                "| meet.example.com | TCP 443 (HTTPS, WSS) | the web app and LiveKit signalling |"
            ) || text.contains(
                "| meet.example.com | TCP 443 (HTTPS, WSS) | LiveKit signalling (WebSocket) |"
            ),
            "{text}"
        );
    }

    #[test]
    fn layer4_adds_turn_over_tls_on_its_own_host() {
        let p = plan("hearth", ProxyMode::CaddyL4, "meet.example.com", None);
        let rows = rows(&p);
        let https = find(&rows, "TCP 443");
        let dests: Vec<&str> = https.iter().map(|r| r.dest.as_str()).collect();
        assert_eq!(
            dests,
            [
                "meet.example.com",
                "lk.meet.example.com",
                "turn.meet.example.com"
            ]
        );
        assert!(https.iter().all(|r| r.tier == Tier::Minimum));
        assert_eq!(find(&rows, "UDP 3478")[0].dest, "turn.meet.example.com");
    }

    #[test]
    fn admin_ports_and_loopback_urls_are_left_out() {
        let p = plan("reflector", ProxyMode::Caddy, "meet.example.com", None);
        assert!(find(&rows(&p), "TCP 8888").is_empty());
        let hub = plan("xr-hub", ProxyMode::None, "203.0.113.7", None);
        let rows = rows(&hub);
        assert!(
            rows.iter().all(|r| !r.dest.contains("127.0.0.1")),
            "{rows:?}"
        );
        // No TURN: the TCP fallback is what strict networks need.
        assert_eq!(find(&rows, "TCP 7881")[0].tier, Tier::Minimum);
    }

    #[test]
    fn vpn_ports_get_their_own_section() {
        let p = plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("198.51.100.4"),
        );
        let text = render(&p);
        assert!(text.contains("## Inside the VPN"), "{text}");
        assert!(
            text.contains("| public IP address of this server | UDP 41641 | Tailscale WireGuard VPN (encrypted) |"),
            "{text}"
        );
        assert!(
            text.contains(
                "| 100.100.1.2 | TCP 8443 (HTTPS, WSS) | LiveKit signalling (WebSocket) |"
            ),
            "{text}"
        );
    }

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("wss://lk.example.com/x").as_deref(),
            Some("lk.example.com")
        );
        assert_eq!(
            url_host("https://[2001:db8::7]:8443").as_deref(),
            Some("2001:db8::7")
        );
        assert_eq!(url_host("ws://127.0.0.1:7880"), None);
    }
}
