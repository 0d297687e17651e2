//! The port table: every port of the plan with its exposure, and the checks that no two clash.

use crate::answers::{Answers, Cidr, ProxyMode, UdpMode};
use crate::error::Error;
use crate::host::HostFacts;
use crate::preset::{Expose, Preset, Proto};

use super::media::{range_size, Media};
use super::{Exposure, Livekit, Port, Web, SIGNAL_PORT, TURN_TLS_PORT};

/// The service name of the operator's own proxy in the port table (it is not a container).
pub const EXTERNAL_PROXY: &str = "your-proxy";

fn port(
    port: u16,
    end: u16,
    proto: Proto,
    exposure: Exposure,
    service: &str,
    purpose: &str,
    required: bool,
) -> Port {
    Port {
        port,
        end,
        proto,
        exposure,
        service: service.into(),
        purpose: purpose.into(),
        required,
        source: None,
        admin: false,
        health_path: None,
    }
}

/// Every port of the plan, in a stable order (SSH first, then by protocol and number).
pub(crate) fn table(
    answers: &Answers,
    preset: &Preset,
    host: &HostFacts,
    media: &Media,
    livekit: &Livekit,
    web: &Web,
    admin: Option<Cidr>,
) -> Result<Vec<Port>, Error> {
    let vpn = preset.vpn.is_some();
    // With a VPN preset, everything that is not explicitly public is reached over the VPN.
    let open = if vpn { Exposure::Vpn } else { Exposure::Public };
    let mut ports = Vec::new();

    // Every port sshd may listen on: what the operator named and what this host shows.
    let mut ssh_ports: Vec<u16> = answers
        .ssh
        .ports
        .iter()
        .chain(host.ssh_ports.iter().filter(|_| !host.ssh_guessed))
        .copied()
        .collect();
    // A firewall without SSH would lock the operator out; sshd's default port is the last resort.
    if ssh_ports.is_empty() {
        ssh_ports.push(22);
    }
    ssh_ports.sort_unstable();
    ssh_ports.dedup();
    for &p in &ssh_ports {
        let mut row = port(
            p,
            p,
            Proto::Tcp,
            Exposure::Public,
            "sshd",
            "SSH (opened first, so the firewall never locks you out)",
            true,
        );
        row.source = admin;
        ports.push(row);
    }

    match answers.proxy {
        ProxyMode::Caddy | ProxyMode::CaddyL4 => {
            let purpose = if answers.proxy == ProxyMode::CaddyL4 {
                "HTTPS, LiveKit signalling and TURN/TLS, routed by TLS server name"
            } else {
                "HTTPS: the site and LiveKit signalling (wss://)"
            };
            ports.push(port(
                web.https_port,
                web.https_port,
                Proto::Tcp,
                open,
                "caddy",
                purpose,
                true,
            ));
            if web.redirect_http {
                let why = if web.internal_tls {
                    "HTTP: redirects to HTTPS"
                } else {
                    "HTTP: certificate issuance (ACME) and redirects to HTTPS"
                };
                ports.push(port(80, 80, Proto::Tcp, open, "caddy", why, true));
            }
        }
        // The operator's own proxy serves the site; the firewall must let it be reached.
        ProxyMode::External => {
            ports.push(port(
                web.https_port,
                web.https_port,
                Proto::Tcp,
                open,
                EXTERNAL_PROXY,
                "HTTPS: your own proxy (nginx, Traefik) in front of the services",
                true,
            ));
            if web.redirect_http {
                ports.push(port(
                    80,
                    80,
                    Proto::Tcp,
                    open,
                    EXTERNAL_PROXY,
                    "HTTP: your proxy's certificate issuance and redirects to HTTPS",
                    true,
                ));
            }
        }
        ProxyMode::None => {}
    }

    let signal = if super::web::signal_via_app(preset) {
        Exposure::Loopback
    } else if answers.proxy == ProxyMode::None {
        open
    } else {
        Exposure::Proxied
    };
    let signal_purpose = match signal {
        Exposure::Loopback => "LiveKit signalling, reached only through the app's proxy",
        Exposure::Proxied => "LiveKit signalling (HTTP + WebSocket), behind the proxy",
        _ => "LiveKit signalling (HTTP + WebSocket)",
    };
    ports.push(port(
        SIGNAL_PORT,
        SIGNAL_PORT,
        Proto::Tcp,
        signal,
        "livekit",
        signal_purpose,
        true,
    ));
    if let Some(tcp) = livekit.tcp_port {
        ports.push(port(
            tcp,
            tcp,
            Proto::Tcp,
            open,
            "livekit",
            "WebRTC over TCP, when a client's network blocks UDP",
            false,
        ));
    }
    let media_purpose = match media.mode {
        UdpMode::Range => "WebRTC media (audio and video)",
        UdpMode::Mux => "WebRTC media, every participant on one port (UDP mux)",
    };
    ports.push(port(
        media.start,
        media.end,
        Proto::Udp,
        open,
        "livekit",
        media_purpose,
        true,
    ));
    if let Some(turn) = &livekit.turn {
        ports.push(port(
            turn.udp_port,
            turn.udp_port,
            Proto::Udp,
            open,
            "livekit",
            "TURN over UDP, for clients behind strict NATs",
            true,
        ));
        if turn.tls_port.is_some() {
            ports.push(port(
                TURN_TLS_PORT,
                TURN_TLS_PORT,
                Proto::Tcp,
                Exposure::Proxied,
                "livekit",
                "TURN/TLS: the proxy terminates TLS on 443 and forwards here (LiveKit binds it on all interfaces; the firewall keeps it closed)",
                true,
            ));
        }
    }

    let domain = matches!(answers.address(), Ok(crate::answers::Address::Domain(_)));
    for service in &preset.services {
        for p in &service.ports {
            if p.only_without_proxy && answers.proxy != ProxyMode::None {
                continue;
            }
            let exposure = match p.expose {
                Expose::Public => Exposure::Public,
                Expose::Web if answers.proxy == ProxyMode::None => open,
                // A name of its own needs a domain; without one only this host reaches it.
                Expose::Web if p.subdomain.is_some() && !domain => Exposure::Loopback,
                Expose::Web => Exposure::Proxied,
                Expose::Loopback => Exposure::Loopback,
                Expose::Internal => Exposure::Internal,
                Expose::Vpn => Exposure::Vpn,
            };
            let mut row = port(
                p.port,
                p.end.unwrap_or(p.port),
                p.proto,
                exposure,
                &service.name,
                &p.purpose,
                p.required,
            );
            row.admin = p.admin;
            row.health_path = p.health.clone();
            if p.admin && exposure == Exposure::Public {
                row.source = admin;
            }
            ports.push(row);
        }
    }

    check_clashes(&ports, media, preset)?;
    // SSH first (it must be allowed before anything is denied), then a stable order.
    ports.sort_by_key(|p| (p.service != "sshd", p.proto, p.port, p.end));
    Ok(ports)
}

fn check_clashes(ports: &[Port], media: &Media, preset: &Preset) -> Result<(), Error> {
    let bound: Vec<&Port> = ports.iter().filter(|p| p.exposure.binds_host()).collect();
    for (i, a) in bound.iter().enumerate() {
        for b in &bound[i + 1..] {
            if !a.overlaps(b) {
                continue;
            }
            let is_media =
                |p: &Port| p.service == "livekit" && p.port == media.start && p.proto == Proto::Udp;
            let (media_port, other) = match (is_media(a), is_media(b)) {
                (true, _) => (*a, *b),
                (_, true) => (*b, *a),
                _ => {
                    return Err(Error::invalid(
                        format!(
                            "port {}/{} is claimed by both {} and {}",
                            a.label(),
                            a.proto.as_str(),
                            a.service,
                            b.service
                        ),
                        "change the SSH port list (--ssh-port) or choose another preset; two services cannot listen on one port",
                    ));
                }
            };
            let suggestion = free_start(ports, media);
            return Err(Error::invalid(
                format!(
                    "the UDP media ports {}/udp overlap {}/udp of {} ({})",
                    media_port.label(),
                    other.label(),
                    other.service,
                    other.purpose
                ),
                match suggestion {
                    Some(s) => format!("choose another start port, e.g. --udp-start {s}"),
                    None => format!(
                        "choose another start port, or fewer participants for the {} preset",
                        preset.name
                    ),
                },
            ));
        }
    }
    Ok(())
}

/// The first start port (counting up from 50000, then from 10000) whose range clashes with nothing.
fn free_start(ports: &[Port], media: &Media) -> Option<u16> {
    let count = if media.mode == UdpMode::Mux {
        1
    } else {
        media.count().max(range_size(1u32.try_into().ok()?))
    };
    let others: Vec<&Port> = ports
        .iter()
        .filter(|p| {
            p.exposure.binds_host()
                && p.proto == Proto::Udp
                && !(p.service == "livekit" && p.port == media.start)
        })
        .collect();
    let candidates = (50000u32..=65535)
        .step_by(100)
        .chain((10000u32..50000).step_by(100));
    candidates
        .filter(|s| s + count - 1 <= 65535)
        .find(|&s| {
            let end = s + count - 1;
            others
                .iter()
                .all(|o| u32::from(o.end) < s || end < u32::from(o.port))
        })
        .and_then(|s| u16::try_from(s).ok())
}

/// Host-bound plan ports inside the kernel's ephemeral range, merged into spans.
pub(crate) fn reserved(ports: &[Port], ephemeral: (u16, u16)) -> Vec<(u16, u16)> {
    let mut spans: Vec<(u16, u16)> = ports
        .iter()
        .filter(|p| p.exposure.binds_host() && p.service != "sshd")
        .filter(|p| p.port <= ephemeral.1 && ephemeral.0 <= p.end)
        .map(|p| (p.port.max(ephemeral.0), p.end.min(ephemeral.1)))
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(u16, u16)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if u32::from(s) <= u32::from(last.1) + 1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}
