//! The egress rules, one function per role of a port: the proxy's HTTPS port, its plain-HTTP
//! port, LiveKit's ports, a VPN's own port, and an app's.

use std::net::IpAddr;

use crate::answers::Address;
use crate::plan::{Exposure, Plan, Port, SIGNAL_PORT};
use crate::role::Role;
use crate::transport::Proto;

/// How much a rule matters to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tier {
    /// Calls work.
    Minimum,
    /// Calls work at their best.
    Recommended,
    /// Conveniences.
    Optional,
}

/// One egress rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Row {
    pub(super) dest: String,
    pub(super) port: String,
    pub(super) purpose: String,
    pub(super) tier: Tier,
    /// Reached inside the VPN tunnel, not across the client network.
    pub(super) vpn: bool,
}

/// Where a client's traffic goes: host names when the plan has them, the address otherwise.
struct Dests {
    /// The server's address without URL brackets.
    server: String,
    site: Option<String>,
    livekit: Option<String>,
    media: String,
}

impl Dests {
    fn of(plan: &Plan) -> Dests {
        let server = plain_address(plan);
        let media = match plan.address {
            Address::Domain(_) => format!("IP address of {}", plan.address),
            Address::Ip(_) => server.clone(),
        };
        Dests {
            site: plan.urls.site.as_deref().and_then(url_host),
            livekit: url_host(&plan.urls.livekit),
            server,
            media,
        }
    }
}

/// Every egress rule, from the plan's ports that clients reach.
pub(super) fn rows(plan: &Plan) -> Vec<Row> {
    let dests = Dests::of(plan);
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
        if p.service == Role::Proxy && p.proto == Proto::Tcp && p.port == plan.web.https_port {
            https_rows(plan, p, &dests, &mut row);
        } else if p.service == Role::Proxy && p.port == 80 {
            let dest = dests.site.as_ref().or(dests.livekit.as_ref());
            row(
                dest.unwrap_or(&dests.server),
                plain(p),
                "plain http:// links, redirected to HTTPS",
                Tier::Optional,
            );
        } else if p.service == Role::Livekit {
            let signal = dests.livekit.as_deref().unwrap_or(&dests.server);
            livekit_row(plan, p, &dests.media, signal, &mut row);
        } else if vpn_plan && !vpn {
            // The VPN's own port: peers reach it at the server's internet address, which the plan
            // (built around the tailnet address) does not know.
            let dest = "public IP address of this server";
            row(dest, plain(p), &p.purpose, required(p));
        } else {
            let dest = dests.site.as_deref().unwrap_or(&dests.server);
            row(dest, plain(p), &p.purpose, required(p));
        }
    }
    rows
}

/// The proxy's HTTPS port: the site and LiveKit signalling, and TURN/TLS on its own host.
fn https_rows(
    plan: &Plan,
    p: &Port,
    dests: &Dests,
    row: &mut impl FnMut(&str, String, &str, Tier),
) {
    let port = format!("TCP {} (HTTPS, WSS)", p.port);
    match (&dests.site, &dests.livekit) {
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
                row(&dests.server, port.clone(), &p.purpose, Tier::Minimum);
            }
        }
    }
    if let Some(t) = plan.livekit.turn.as_ref().filter(|t| t.tls_port.is_some()) {
        let port = format!("TCP {} (TLS)", p.port);
        row(
            &t.domain,
            port,
            "TURN over TLS: relays media when UDP is blocked",
            Tier::Minimum,
        );
    }
}

/// `UDP 50000-50119`: the port as the tables show it.
fn plain(p: &Port) -> String {
    format!("{} {}", proto_name(p.proto), p.label())
}

/// Minimum for a port the plan needs, optional otherwise.
fn required(p: &Port) -> Tier {
    if p.required {
        Tier::Minimum
    } else {
        Tier::Optional
    }
}

/// The row of one of LiveKit's own ports.
fn livekit_row(
    plan: &Plan,
    p: &Port,
    media_dest: &str,
    signal_dest: &str,
    row: &mut impl FnMut(&str, String, &str, Tier),
) {
    let label = plain(p);
    let no_turn = plan.livekit.turn.is_none();
    let turn_udp = plan
        .livekit
        .turn
        .as_ref()
        .filter(|t| p.proto == Proto::Udp && t.udp_port == p.port);
    if let Some(t) = turn_udp {
        row(
            &t.domain,
            label,
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
            label,
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
            label,
            "WebRTC over TCP, when UDP is blocked",
            tier,
        );
    } else if p.proto == Proto::Tcp && p.port == SIGNAL_PORT {
        row(
            signal_dest,
            label,
            "LiveKit signalling (WebSocket, plain HTTP: trusted networks only)",
            Tier::Minimum,
        );
    } else {
        row(media_dest, label, &p.purpose, required(p));
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
pub(super) fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = match authority.strip_prefix('[') {
        Some(inner) => inner.split(']').next().unwrap_or(inner),
        None => authority.split(':').next().unwrap_or(authority),
    };
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    (!host.is_empty() && !loopback).then(|| host.to_string())
}
