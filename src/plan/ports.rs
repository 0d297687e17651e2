//! The port table: every port of the plan with its exposure, and the checks that no two clash.

use crate::answers::{Answers, Cidr, ProxyMode, UdpMode};
use crate::error::Error;
use crate::host::HostFacts;
use crate::preset::{Expose, Preset};
use crate::role::Role;
use crate::transport::Proto;

use super::media::{range_size, Media};
use super::{Exposure, Livekit, Port, Web, HTTP_PORT, SIGNAL_PORT, TURN_TLS_PORT};

/// The service name of the operator's own proxy in the port table (it is not a container).
pub const EXTERNAL_PROXY: &str = "your-proxy";

impl Port {
    /// A single port of `service`, required, with no purpose yet: the builder the table uses.
    fn of(service: Role, proto: Proto, port: u16, exposure: Exposure) -> Port {
        Port {
            port,
            end: port,
            proto,
            exposure,
            service,
            purpose: String::new(),
            required: true,
            source: None,
            admin: false,
            health_path: None,
        }
    }

    /// The last port of a range, inclusive.
    fn through(mut self, end: u16) -> Port {
        self.end = end;
        self
    }

    /// What the port is for, as tables and firewall comments say it.
    fn for_(mut self, purpose: &str) -> Port {
        self.purpose = purpose.into();
        self
    }

    /// The stack works without it (a fallback).
    fn optional(mut self) -> Port {
        self.required = false;
        self
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
    // With a VPN preset, everything that is not explicitly public is reached over the VPN.
    let open = if preset.vpn.is_some() {
        Exposure::Vpn
    } else {
        Exposure::Public
    };
    let mut ports = ssh(answers, host, admin);
    ports.extend(proxy(answers.proxy, web, open));
    ports.extend(livekit_ports(answers, preset, media, livekit, open));
    ports.extend(preset_ports(answers, preset, open, admin));

    check_clashes(&ports, media, preset)?;
    // SSH first (it must be allowed before anything is denied), then a stable order.
    ports.sort_by_key(|p| (p.service != Role::Ssh, p.proto, p.port, p.end));
    Ok(ports)
}

/// Every port sshd may listen on: what the operator named and what this host shows.
fn ssh(answers: &Answers, host: &HostFacts, admin: Option<Cidr>) -> Vec<Port> {
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
    ssh_ports
        .into_iter()
        .map(|p| {
            let mut row = Port::of(Role::Ssh, Proto::Tcp, p, Exposure::Public)
                .for_("SSH (opened first, so the firewall never locks you out)");
            row.source = admin;
            row
        })
        .collect()
}

/// HTTPS (and HTTP for certificates and redirects) on selkie's proxy or the operator's own.
fn proxy(mode: ProxyMode, web: &Web, open: Exposure) -> Vec<Port> {
    let own_http = if web.internal_tls {
        "HTTP: redirects to HTTPS"
    } else {
        "HTTP: certificate issuance (ACME) and redirects to HTTPS"
    };
    let (role, https, http) = match mode {
        ProxyMode::Caddy => (
            Role::Proxy,
            "HTTPS: the site and LiveKit signalling (wss://)",
            own_http,
        ),
        ProxyMode::CaddyL4 => (
            Role::Proxy,
            "HTTPS, LiveKit signalling and TURN/TLS, routed by TLS server name",
            own_http,
        ),
        // The operator's own proxy serves the site; the firewall must let it be reached.
        ProxyMode::External => (
            Role::ExternalProxy,
            "HTTPS: your own proxy (nginx, Traefik) in front of the services",
            "HTTP: your proxy's certificate issuance and redirects to HTTPS",
        ),
        ProxyMode::None => return Vec::new(),
    };
    let mut ports = vec![Port::of(role.clone(), Proto::Tcp, web.https_port, open).for_(https)];
    if web.redirect_http {
        ports.push(Port::of(role, Proto::Tcp, HTTP_PORT, open).for_(http));
    }
    ports
}

/// LiveKit's signalling, TCP fallback, media and TURN ports.
fn livekit_ports(
    answers: &Answers,
    preset: &Preset,
    media: &Media,
    livekit: &Livekit,
    open: Exposure,
) -> Vec<Port> {
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
    let lk = |proto, port, exposure| Port::of(Role::Livekit, proto, port, exposure);
    let mut ports = vec![lk(Proto::Tcp, SIGNAL_PORT, signal).for_(signal_purpose)];
    if let Some(tcp) = livekit.tcp_port {
        ports.push(
            lk(Proto::Tcp, tcp, open)
                .for_("WebRTC over TCP, when a client's network blocks UDP")
                .optional(),
        );
    }
    let media_purpose = match media.mode {
        UdpMode::Range => "WebRTC media (audio and video)",
        UdpMode::Mux => "WebRTC media, every participant on one port (UDP mux)",
    };
    ports.push(
        lk(Proto::Udp, media.start, open)
            .through(media.end)
            .for_(media_purpose),
    );
    if let Some(turn) = &livekit.turn {
        ports.push(
            lk(Proto::Udp, turn.udp_port, open)
                .for_("TURN over UDP, for clients behind strict NATs"),
        );
        if turn.tls_port.is_some() {
            ports.push(lk(Proto::Tcp, TURN_TLS_PORT, Exposure::Proxied).for_(
                "TURN/TLS: the proxy terminates TLS on 443 and forwards here (LiveKit binds it on all interfaces; the firewall keeps it closed)",
            ));
        }
    }
    ports
}

/// The preset's own services' ports, exposed as the proxy mode and the address allow.
fn preset_ports(
    answers: &Answers,
    preset: &Preset,
    open: Exposure,
    admin: Option<Cidr>,
) -> Vec<Port> {
    let domain = matches!(answers.address(), Ok(crate::answers::Address::Domain(_)));
    let mut ports = Vec::new();
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
            let mut row = Port::of(Role::from_name(&service.name), p.proto, p.port, exposure)
                .through(p.end.unwrap_or(p.port))
                .for_(&p.purpose);
            row.required = p.required;
            row.admin = p.admin;
            row.health_path = p.health.clone();
            if p.admin && exposure == Exposure::Public {
                row.source = admin;
            }
            ports.push(row);
        }
    }
    ports
}

fn check_clashes(ports: &[Port], media: &Media, preset: &Preset) -> Result<(), Error> {
    let bound: Vec<&Port> = ports.iter().filter(|p| p.exposure.binds_host()).collect();
    for (i, a) in bound.iter().enumerate() {
        for b in &bound[i + 1..] {
            if !a.overlaps(b) {
                continue;
            }
            let is_media = |p: &Port| {
                p.service == Role::Livekit && p.port == media.start && p.proto == Proto::Udp
            };
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
                && !(p.service == Role::Livekit && p.port == media.start)
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
        .filter(|p| p.exposure.binds_host() && p.service != Role::Ssh)
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
