//! The client side of the firewall: what a network's egress filter (a corporate firewall, a guest
//! Wi-Fi) must let out for people to use this deployment.

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::answers::Address;
use crate::plan::{Exposure, Plan, Port, SIGNAL_PORT};
use crate::preset::Proto;
use crate::role::Role;

/// How much a rule matters to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    /// Calls work.
    Minimum,
    /// Calls work at their best.
    Recommended,
    /// Conveniences.
    Optional,
}

/// One egress rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    dest: String,
    port: String,
    purpose: String,
    tier: Tier,
    /// Reached inside the VPN tunnel, not across the client network.
    vpn: bool,
}

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

/// Every egress rule, from the plan's ports that clients reach.
fn rows(plan: &Plan) -> Vec<Row> {
    let server = plain_address(plan);
    let site = plan.urls.site.as_deref().and_then(url_host);
    let livekit = url_host(&plan.urls.livekit);
    let media_dest = match plan.address {
        Address::Domain(_) => format!("IP address of {}", plan.address),
        Address::Ip(_) => server.clone(),
    };
    let vpn_plan = plan.firewall.trusted_interface.is_some();
    let mut rows = Vec::new();
    for p in plan.ports.iter().filter(|p| {
        matches!(p.exposure, Exposure::Public | Exposure::Vpn)
            && p.service != Role::Ssh
            && p.source.is_none()
            && !p.admin
    }) {
        let vpn = p.exposure == Exposure::Vpn;
        let mut row = |dest: &str, port: String, purpose: &str, tier: Tier| {
            rows.push(Row {
                dest: dest.to_string(),
                port,
                purpose: purpose.to_string(),
                tier,
                vpn,
            })
        };
        let plain = format!("{} {}", proto_name(p.proto), p.label());
        let turn = plan.livekit.turn.as_ref();
        if p.service == Role::Proxy && p.proto == Proto::Tcp && p.port == plan.web.https_port {
            let port = format!("TCP {} (HTTPS, WSS)", p.port);
            match (&site, &livekit) {
                (Some(s), Some(l)) if s == l => row(
                    s,
                    port.clone(),
                    "the web app and LiveKit signalling",
                    Tier::Minimum,
                ),
                (s, l) => {
                    if let Some(s) = s {
                        row(s, port.clone(), "the web app", Tier::Minimum);
                    }
                    if let Some(l) = l {
                        row(
                            l,
                            port.clone(),
                            "LiveKit signalling (WebSocket)",
                            Tier::Minimum,
                        );
                    }
                    if s.is_none() && l.is_none() {
                        row(&server, port.clone(), &p.purpose, Tier::Minimum);
                    }
                }
            }
            if let Some(t) = turn.filter(|t| t.tls_port.is_some()) {
                let port = format!("TCP {} (TLS)", p.port);
                row(
                    &t.domain,
                    port,
                    "TURN over TLS: relays media when UDP is blocked",
                    Tier::Minimum,
                );
            }
        } else if p.service == Role::Proxy && p.port == 80 {
            let dest = site.as_ref().or(livekit.as_ref()).unwrap_or(&server);
            row(
                dest,
                plain,
                "plain http:// links, redirected to HTTPS",
                Tier::Optional,
            );
        } else if p.service == Role::Livekit {
            livekit_row(
                plan,
                p,
                &media_dest,
                livekit.as_deref().unwrap_or(&server),
                &mut row,
            );
        } else if vpn_plan && !vpn {
            // The VPN's own port: peers reach it at the server's internet address, which the plan
            // (built around the tailnet address) does not know.
            let tier = if p.required {
                Tier::Minimum
            } else {
                Tier::Optional
            };
            row("public IP address of this server", plain, &p.purpose, tier);
        } else {
            let tier = if p.required {
                Tier::Minimum
            } else {
                Tier::Optional
            };
            row(site.as_deref().unwrap_or(&server), plain, &p.purpose, tier);
        }
    }
    rows
}

/// The row of one of LiveKit's own ports.
fn livekit_row(
    plan: &Plan,
    p: &Port,
    media_dest: &str,
    signal_dest: &str,
    row: &mut impl FnMut(&str, String, &str, Tier),
) {
    let plain = format!("{} {}", proto_name(p.proto), p.label());
    let no_turn = plan.livekit.turn.is_none();
    let turn_udp = plan
        .livekit
        .turn
        .as_ref()
        .filter(|t| p.proto == Proto::Udp && t.udp_port == p.port);
    if let Some(t) = turn_udp {
        row(
            &t.domain,
            plain,
            "TURN over UDP: relays media for clients behind strict NATs",
            Tier::Minimum,
        );
    } else if p.proto == Proto::Udp && p.port == plan.media.start {
        // Without a relay or a TCP fallback, direct UDP is the only way media flows.
        let tier = if no_turn && plan.livekit.tcp_port.is_none() {
            Tier::Minimum
        } else {
            Tier::Recommended
        };
        row(
            media_dest,
            plain,
            "WebRTC media (audio and video), the best path",
            tier,
        );
    } else if p.proto == Proto::Tcp && Some(p.port) == plan.livekit.tcp_port {
        let tier = if no_turn {
            Tier::Minimum
        } else {
            Tier::Recommended
        };
        row(
            media_dest,
            plain,
            "WebRTC over TCP, when UDP is blocked",
            tier,
        );
    } else if p.proto == Proto::Tcp && p.port == SIGNAL_PORT {
        row(
            signal_dest,
            plain,
            "LiveKit signalling (WebSocket, plain HTTP: trusted networks only)",
            Tier::Minimum,
        );
    } else {
        let tier = if p.required {
            Tier::Minimum
        } else {
            Tier::Optional
        };
        row(media_dest, plain, &p.purpose, tier);
    }
}

/// `TCP` or `UDP`.
fn proto_name(proto: Proto) -> &'static str {
    match proto {
        Proto::Tcp => "TCP",
        Proto::Udp => "UDP",
    }
}

/// The server's address without URL brackets.
fn plain_address(plan: &Plan) -> String {
    plan.address
        .to_string()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string()
}

/// The host of a URL, unless it is this machine's loopback (an app-internal URL clients never use).
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = match authority.strip_prefix('[') {
        Some(inner) => inner.split(']').next().unwrap_or(inner),
        None => authority.split(':').next().unwrap_or(authority),
    };
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    (!host.is_empty() && !loopback).then(|| host.to_string())
}

#[cfg(test)]
mod tests {
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
