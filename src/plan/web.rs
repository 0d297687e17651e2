//! The web side of the plan: host names, URLs, LiveKit's addresses and the proxy routes.

use std::net::IpAddr;

use crate::answers::{Address, Answers, Hostname, ProxyMode};
use crate::error::Error;
use crate::host::HostFacts;
use crate::preset::{Expose, Preset};
use crate::role::Role;

use super::{
    Livekit, Route, Turn, Urls, Web, SIGNAL_PORT, TCP_FALLBACK_PORT, TURN_TLS_PORT, TURN_UDP_PORT,
};

/// The path LiveKit gets on the main site when the app owns `/` and the preset names none.
pub const DEFAULT_LIVEKIT_PATH: &str = "/livekit";

/// The host names of a domain deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hosts {
    pub site: String,
    pub livekit: Option<Hostname>,
    pub turn: Option<Hostname>,
    /// App services served at the root of their own name (`s3.<domain>`), by service.
    pub apps: Vec<(String, Hostname)>,
}

/// Whether selkie's proxy (or the operator's) fronts the web side.
pub(super) fn behind_proxy(proxy: ProxyMode) -> bool {
    proxy != ProxyMode::None
}

/// Whether LiveKit's signalling is reached only through the app (never through selkie's proxy).
pub(crate) fn signal_via_app(preset: &Preset) -> bool {
    preset.livekit.signal == Some(Expose::Loopback)
}

pub(crate) fn hosts(answers: &Answers, preset: &Preset, addr: &Address) -> Result<Hosts, Error> {
    let site = addr.url_host();
    let Address::Domain(domain) = addr else {
        if answers.hosts.livekit.is_some() {
            return Err(Error::invalid(
                "a LiveKit host name needs a domain deployment",
                "remove the LiveKit host name, or give --domain NAME instead of --ip",
            ));
        }
        return Ok(Hosts {
            site,
            livekit: None,
            turn: None,
            apps: Vec::new(),
        });
    };
    if !behind_proxy(answers.proxy) {
        return Ok(Hosts {
            site,
            livekit: None,
            turn: None,
            apps: Vec::new(),
        });
    }
    let mut apps = Vec::new();
    for service in &preset.services {
        if let Some(sub) = service.ports.iter().find_map(|p| p.subdomain.as_deref()) {
            apps.push((service.name.clone(), domain.subdomain(sub)?));
        }
    }
    let needs_own_host = preset.app_owns_root()
        && (answers.proxy == ProxyMode::CaddyL4 || preset.livekit.path.is_none());
    let livekit = match (&answers.hosts.livekit, needs_own_host) {
        (Some(h), _) => Some(h.clone()),
        (None, true) => Some(domain.subdomain("lk")?),
        (None, false) => None,
    };
    let turn = if answers.proxy == ProxyMode::CaddyL4 && preset.livekit.turn {
        Some(match &answers.hosts.turn {
            Some(h) => h.clone(),
            None => domain.subdomain("turn")?,
        })
    } else {
        None
    };
    for extra in livekit.iter().chain(turn.iter()) {
        if extra == domain {
            return Err(Error::invalid(
                format!(
                    "{extra} is the main site's name; LiveKit and TURN need names of their own"
                ),
                format!("use names such as lk.{domain} and turn.{domain}"),
            ));
        }
    }
    if livekit.is_some() && livekit == turn {
        return Err(Error::invalid(
            "LiveKit and TURN were given the same host name",
            format!("use names such as lk.{domain} and turn.{domain}"),
        ));
    }
    Ok(Hosts {
        site,
        livekit,
        turn,
        apps,
    })
}

pub(crate) fn front_door(answers: &Answers, preset: &Preset, addr: &Address) -> Result<Web, Error> {
    let cert = super::cert::front_cert(answers, preset, addr)?;
    Ok(Web {
        email: answers.email.as_ref().map(|e| e.as_str().to_string()),
        acme_ca: answers
            .acme
            .as_ref()
            .map(|ca| ca.directory.as_str().to_string()),
        acme_ca_root: answers
            .acme
            .as_ref()
            .and_then(|ca| ca.root.as_ref())
            .map(|pem| pem.as_str().to_string()),
        https_port: preset.web.https_port,
        redirect_http: preset.web.redirect_http,
        bare_ip: cert.bare_ip,
        internal_tls: cert.internal_tls,
        acme_profile: cert.acme_profile,
        certificate: cert.certificate,
    })
}

/// The path LiveKit is served under on the main site, if it shares the site with the app.
pub(crate) fn livekit_path(answers: &Answers, preset: &Preset, hosts: &Hosts) -> Option<String> {
    if !behind_proxy(answers.proxy) || hosts.livekit.is_some() || !preset.app_owns_root() {
        return None;
    }
    Some(
        preset
            .livekit
            .path
            .clone()
            .unwrap_or_else(|| DEFAULT_LIVEKIT_PATH.to_string()),
    )
}

pub(crate) fn urls(
    answers: &Answers,
    preset: &Preset,
    addr: &Address,
    hosts: &Hosts,
    web: &Web,
) -> Urls {
    let host = addr.url_host();
    if !behind_proxy(answers.proxy) {
        let livekit = if signal_via_app(preset) {
            app_signal_url(preset, &host)
        } else {
            format!("ws://{host}:{SIGNAL_PORT}")
        };
        return Urls {
            site: preset
                .root_web_port()
                .map(|port| format!("http://{host}:{port}")),
            livekit,
        };
    }
    let wss = |h: &str| web.url("wss", h);
    let site = preset.app_owns_root().then(|| web.url("https", &host));
    let livekit = if signal_via_app(preset) {
        app_signal_url(preset, &host)
    } else if let Some(lk) = &hosts.livekit {
        wss(lk.as_str())
    } else if let Some(path) = livekit_path(answers, preset, hosts) {
        format!("{}{path}", wss(&host))
    } else {
        wss(&host)
    };
    Urls { site, livekit }
}

/// The URL clients use when the app proxies signalling; LiveKit's own loopback address otherwise.
fn app_signal_url(preset: &Preset, host: &str) -> String {
    match &preset.livekit.client_url {
        Some(template) => template.replace("{{host}}", host),
        None => format!("ws://127.0.0.1:{SIGNAL_PORT}"),
    }
}

pub(crate) fn livekit(
    answers: &Answers,
    preset: &Preset,
    addr: &Address,
    hosts: &Hosts,
    host: &HostFacts,
) -> Livekit {
    let public_ip = host.public_ip;
    // A public address the metadata service told is on no interface (1:1 NAT).
    let on_interface = host.interface_public_ip();
    let (node_ip, use_external_ip) = match (addr, public_ip) {
        // LiveKit would otherwise ask a STUN server and overwrite the address the operator gave.
        (Address::Ip(ip), _) => (Some(ip.ip()), false),
        // The address clients reach, from the cloud's metadata service or this host's own
        // interface: LiveKit then starts without asking public STUN servers, which it must reach
        // or exit.
        (Address::Domain(_), Some(ip)) => (Some(ip), false),
        // Neither knows it (a 1:1 NAT on a cloud without a metadata answer): STUN finds it.
        (Address::Domain(_), None) => (None, true),
    };
    let turn = preset.livekit.turn.then(|| Turn {
        domain: hosts
            .turn
            .as_ref()
            .map(|h| h.to_string())
            .unwrap_or_else(|| addr.to_string()),
        udp_port: TURN_UDP_PORT,
        tls_port: hosts.turn.as_ref().map(|_| TURN_TLS_PORT),
        allow_restricted_peer_cidrs: node_ip
            .filter(|ip| restricted(*ip))
            .map(|ip| match ip {
                IpAddr::V4(v4) => format!("{v4}/32"),
                IpAddr::V6(v6) => format!("{v6}/128"),
            })
            .into_iter()
            .collect(),
    });
    Livekit {
        loopback_only: behind_proxy(answers.proxy) || signal_via_app(preset),
        node_ip,
        use_external_ip,
        gather_on: match node_ip {
            Some(ip) if Some(ip) == on_interface || Some(ip) == host.local_ipv4 => Some(ip),
            // No internet address on any interface: behind a 1:1 NAT, the private address the
            // provider maps to the public one (LiveKit asks STUN from it, or rewrites its
            // candidates to node_ip).
            _ if on_interface.is_none() => host.local_ipv4,
            _ => None,
        },
        tcp_port: preset.livekit.tcp_fallback.then_some(TCP_FALLBACK_PORT),
        turn,
        room: preset.livekit.room.clone(),
        limit: preset.livekit.limit.clone(),
    }
}

/// Whether LiveKit's TURN refuses to relay to this address unless told otherwise: private,
/// shared (CGNAT, Tailscale), loopback, link-local, unique-local or unspecified (LiveKit v1.12+
/// pkg/service/turn.go; 100.64.0.0/10 from v1.13.10).
pub(crate) fn restricted(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Where the proxy dials LiveKit's TURN/TLS listener (which binds every address): an address of
/// this host's own, not loopback. A TLS-terminating layer-4 proxy connects from the address it
/// dials, TURN reports that address back to the client as its mapped address, and browsers such
/// as Firefox abandon an allocation whose mapped address is loopback.
pub(crate) fn turn_dial(livekit: &Livekit, host: &HostFacts) -> IpAddr {
    livekit
        .gather_on
        .or(host.local_ipv4)
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
}

pub(crate) fn routes(
    answers: &Answers,
    preset: &Preset,
    hosts: &Hosts,
    turn_dial: IpAddr,
) -> Vec<Route> {
    if !behind_proxy(answers.proxy) {
        return Vec::new();
    }
    let mut routes = Vec::new();
    if let Some(turn) = &hosts.turn {
        routes.push(Route {
            host: turn.to_string(),
            path: None,
            strip_prefix: false,
            upstream: std::net::SocketAddr::new(turn_dial, TURN_TLS_PORT).to_string(),
            service: Role::Livekit,
            tcp: true,
        });
    }
    if !signal_via_app(preset) {
        routes.push(Route {
            host: hosts
                .livekit
                .as_ref()
                .map(|h| h.to_string())
                .unwrap_or_else(|| hosts.site.clone()),
            path: livekit_path(answers, preset, hosts),
            strip_prefix: true,
            upstream: format!("127.0.0.1:{SIGNAL_PORT}"),
            service: Role::Livekit,
            tcp: false,
        });
    }
    for service in &preset.services {
        for port in service.ports.iter().filter(|p| p.expose == Expose::Web) {
            let host = match &port.subdomain {
                None => hosts.site.clone(),
                Some(_) => match hosts.apps.iter().find(|(name, _)| *name == service.name) {
                    Some((_, h)) => h.to_string(),
                    // No domain, so no name of its own: not proxied (the plan warns).
                    None => continue,
                },
            };
            let path = port
                .route
                .clone()
                .filter(|r| r != "/" && port.subdomain.is_none());
            routes.push(Route {
                host,
                path,
                strip_prefix: false,
                upstream: format!("127.0.0.1:{}", port.port),
                service: Role::from_name(&service.name),
                tcp: false,
            });
        }
    }
    // Longest paths first, so a prefix never shadows a longer one; the site root comes last.
    routes.sort_by(|a, b| {
        (a.host.clone(), b.path.as_ref().map(|p| p.len()))
            .cmp(&(b.host.clone(), a.path.as_ref().map(|p| p.len())))
    });
    routes
}
