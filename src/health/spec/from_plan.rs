//! The checks of a plan: one per port in the plan's stable order, then a TLS handshake per
//! other host name the proxy serves, how LiveKit learns its address, and DNS per record.

use std::net::IpAddr;

use super::{host_target, Check, ProbeKind, Target};
use crate::answers::Address;
use crate::plan::{DnsRecord, Exposure, Plan, Port, SIGNAL_PORT};
use crate::role::Role;
use crate::transport::Proto;

/// The STUN servers livekit-server asks for its public address when `rtc.use_external_ip` is set
/// and `rtc.stun_servers` is not: `rtcconfig.DefaultStunServers` in livekit/mediatransportutil,
/// the version livekit-server v1.13.5 pins (tried in this order).
pub const LIVEKIT_STUN_SERVERS: [&str; 3] = [
    "global.stun.twilio.com:3478",
    "stun.l.google.com:19302",
    "stun1.l.google.com:19302",
];

/// Every check for a plan, in the plan's stable port order, then TLS per extra host, then DNS.
pub fn probes_for(plan: &Plan) -> Vec<Check> {
    let site = Site::of(plan);
    let mut checks: Vec<Check> = plan
        .ports
        .iter()
        .map(|p| port_check(plan, &site, p))
        .collect();
    checks.extend(host_tls_checks(plan, &site));
    checks.push(node_ip_check(plan));
    checks.extend(plan.dns.iter().map(dns_check));
    checks
}

/// The site a browser opens, as the TLS checks ask for it.
struct Site {
    /// The host name (or address) of the site's own route.
    host: String,
    /// The address a browser checks an IP site's certificate against.
    ip: Option<IpAddr>,
    /// Whether the proxy's HTTPS port is public.
    https_public: bool,
}

impl Site {
    fn of(plan: &Plan) -> Site {
        let host = plan
            .routes
            .iter()
            .find(|r| r.path.is_none() && !r.tcp)
            .map(|r| r.host.clone())
            .unwrap_or_else(|| plan.address.url_host());
        let ip = match &plan.address {
            Address::Ip(a) => Some(a.ip()),
            Address::Domain(_) => None,
        };
        let https_public = plan
            .ports
            .iter()
            .any(|p| is_proxy_https(plan, p) && p.exposure == Exposure::Public);
        Site {
            host,
            ip,
            https_public,
        }
    }
}

/// The name sent as SNI for a host: none for an IP address.
fn server_name(host: &str) -> Option<String> {
    host.parse::<IpAddr>().is_err().then(|| host.to_string())
}

/// The proxy's HTTPS port, where the site's certificate is served.
fn is_proxy_https(plan: &Plan, p: &Port) -> bool {
    p.service == Role::Proxy && p.port == plan.web.https_port
}

/// The check of one port: what answers there decides how it is probed.
fn port_check(plan: &Plan, site: &Site, p: &Port) -> Check {
    let base = |kind: ProbeKind, target: Target| Check {
        label: format!("{}/{}", p.label(), p.proto.as_str()),
        kind,
        target,
        service: p.service.to_string(),
        exposure: Some(p.exposure),
        required: p.required,
        purpose: p.purpose.clone(),
        path: None,
    };
    let on_host = host_target(p.exposure, p.port);
    match p.proto {
        Proto::Tcp if p.service == Role::Livekit && p.port == SIGNAL_PORT => Check {
            path: Some("/".into()),
            ..base(ProbeKind::Http, on_host)
        },
        Proto::Tcp if is_proxy_https(plan, p) => base(
            ProbeKind::Tls,
            Target::Tls {
                port: p.port,
                server_name: server_name(&site.host),
                ip: site.ip,
                public: p.exposure == Exposure::Public,
            },
        ),
        // An app's own health path says more than an open port; internal ones are probed in
        // their container by TCP, since HTTP goes to 127.0.0.1.
        Proto::Tcp if p.health_path.is_some() && p.exposure != Exposure::Internal => Check {
            path: p.health_path.clone(),
            ..base(ProbeKind::Http, on_host)
        },
        Proto::Tcp if p.exposure == Exposure::Internal => base(
            ProbeKind::Tcp,
            Target::Container {
                service: p.service.to_string(),
                port: p.port,
            },
        ),
        Proto::Tcp => base(ProbeKind::Tcp, on_host),
        Proto::Udp if is_turn_udp(plan, p) => base(ProbeKind::Stun, on_host),
        Proto::Udp => base(
            ProbeKind::UdpBound,
            Target::HostRange {
                port: p.port,
                end: p.end,
                public: p.exposure == Exposure::Public,
            },
        ),
    }
}

/// LiveKit's TURN/UDP port, which answers STUN.
fn is_turn_udp(plan: &Plan, p: &Port) -> bool {
    p.service == Role::Livekit
        && plan
            .livekit
            .turn
            .as_ref()
            .is_some_and(|t| t.udp_port == p.port)
}

/// The other host names the proxy serves (LiveKit's and TURN's own names): a handshake each.
fn host_tls_checks(plan: &Plan, site: &Site) -> Vec<Check> {
    if plan.service(&Role::Proxy).is_none() {
        return Vec::new();
    }
    let mut hosts: Vec<&str> = plan.routes.iter().map(|r| r.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    hosts
        .into_iter()
        .filter(|h| *h != site.host)
        .map(|host| Check {
            label: format!("tls {host}"),
            kind: ProbeKind::Tls,
            target: Target::Tls {
                port: plan.web.https_port,
                server_name: server_name(host),
                ip: site.ip,
                public: site.https_public,
            },
            service: Role::Proxy.to_string(),
            exposure: None,
            required: true,
            purpose: format!("HTTPS certificate for {host}"),
            path: None,
        })
        .collect()
}

/// How LiveKit learns the address it advertises to clients: `node_ip` from the plan (nothing to
/// ask), or `use_external_ip`, which asks public STUN servers at start and fails without an
/// answer, so that path is required.
fn node_ip_check(plan: &Plan) -> Check {
    let lk = &plan.livekit;
    let stun_servers = if lk.use_external_ip && lk.node_ip.is_none() {
        LIVEKIT_STUN_SERVERS.iter().map(|s| s.to_string()).collect()
    } else {
        Vec::new()
    };
    Check {
        label: "node_ip".into(),
        kind: ProbeKind::NodeIp,
        required: !stun_servers.is_empty(),
        target: Target::NodeIp {
            node_ip: lk.node_ip,
            stun_servers,
        },
        service: Role::Livekit.to_string(),
        exposure: None,
        purpose: "the public address LiveKit advertises to clients".into(),
        path: None,
    }
}

/// A DNS record of the plan: its name must resolve to its value (to anything, when the value is
/// not an address).
fn dns_check(record: &DnsRecord) -> Check {
    Check {
        label: format!("dns {}", record.name),
        kind: ProbeKind::Dns,
        target: Target::Name {
            name: record.name.clone(),
            expect: record.value.parse().ok(),
        },
        service: "dns".into(),
        exposure: None,
        required: false,
        purpose: record.purpose.clone(),
        path: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::host::HostFacts;
    use crate::{plan, preset, testing};

    fn checks(name: &str, proxy: ProxyMode, address: &str) -> Vec<Check> {
        let preset = preset::find(name).unwrap();
        let answers = testing::answers(&preset, proxy, address);
        probes_for(&plan::build(&answers, &preset, &HostFacts::default()).unwrap())
    }

    #[test]
    fn every_port_of_the_plan_gets_a_check_of_the_right_kind() {
        let all = checks("hearth", ProxyMode::CaddyL4, "hearth.example");
        let kind = |label: &str| all.iter().find(|c| c.label == label).map(|c| c.kind);
        assert_eq!(kind("7880/tcp"), Some(ProbeKind::Http));
        assert_eq!(kind("443/tcp"), Some(ProbeKind::Tls));
        assert_eq!(kind("3478/udp"), Some(ProbeKind::Stun));
        assert_eq!(kind("50000-60000/udp"), Some(ProbeKind::UdpBound));
        assert_eq!(kind("8090/tcp"), Some(ProbeKind::Http));
        let pocketbase = all.iter().find(|c| c.label == "8090/tcp").unwrap();
        assert_eq!(
            pocketbase.path.as_deref(),
            Some("/api/health"),
            "the preset's health path"
        );
        assert_eq!(kind("tls lk.hearth.example"), Some(ProbeKind::Tls));
        assert_eq!(kind("tls turn.hearth.example"), Some(ProbeKind::Tls));
        assert_eq!(kind("dns hearth.example"), Some(ProbeKind::Dns));
        let site = all.iter().find(|c| c.label == "443/tcp").unwrap();
        assert_eq!(
            site.target,
            Target::Tls {
                port: 443,
                server_name: Some("hearth.example".into()),
                ip: None,
                public: true,
            }
        );
    }

    #[test]
    fn public_ports_are_aimed_at_the_public_address_and_the_rest_at_loopback() {
        let all = checks("livekit", ProxyMode::Caddy, "meet.example.com");
        let target = |label: &str| {
            all.iter()
                .find(|c| c.label == label)
                .unwrap()
                .target
                .clone()
        };
        assert_eq!(target("80/tcp"), Target::Public { port: 80 });
        assert_eq!(target("7881/tcp"), Target::Public { port: 7881 });
        assert_eq!(target("3478/udp"), Target::Public { port: 3478 });
        // Behind the proxy, LiveKit's signalling listens on 127.0.0.1 and is probed there.
        assert_eq!(target("7880/tcp"), Target::Loopback { port: 7880 });
        let media = all.iter().find(|c| c.kind == ProbeKind::UdpBound).unwrap();
        assert!(
            matches!(media.target, Target::HostRange { public: true, .. }),
            "{media:?}"
        );
        assert_eq!(
            host_target(Exposure::Proxied, 7880),
            Target::Loopback { port: 7880 }
        );
        assert_eq!(
            host_target(Exposure::Loopback, 9000),
            Target::Loopback { port: 9000 }
        );
        assert_eq!(
            host_target(Exposure::Vpn, 8443),
            Target::Loopback { port: 8443 }
        );
        assert_eq!(
            host_target(Exposure::Public, 443),
            Target::Public { port: 443 }
        );
    }

    #[test]
    fn without_a_proxy_livekit_signalling_is_probed_where_clients_reach_it() {
        let all = checks("xr-hub", ProxyMode::None, "203.0.113.7");
        for c in all.iter().filter(|c| c.exposure == Some(Exposure::Public)) {
            assert!(
                matches!(
                    c.target,
                    Target::Public { .. } | Target::HostRange { public: true, .. }
                ),
                "{} is public but aimed at {:?}",
                c.label,
                c.target
            );
        }
    }

    #[test]
    fn livekit_asks_stun_only_when_the_plan_cannot_tell_it_its_address() {
        let domain = checks("livekit", ProxyMode::Caddy, "meet.example.com");
        let node_ip = domain.iter().find(|c| c.kind == ProbeKind::NodeIp).unwrap();
        assert!(
            node_ip.required,
            "use_external_ip fails LiveKit's start without STUN"
        );
        assert_eq!(
            node_ip.target,
            Target::NodeIp {
                node_ip: None,
                stun_servers: LIVEKIT_STUN_SERVERS.iter().map(|s| s.to_string()).collect(),
            }
        );
        let ip = checks("livekit", ProxyMode::Caddy, "203.0.113.7");
        let node_ip = ip.iter().find(|c| c.kind == ProbeKind::NodeIp).unwrap();
        assert!(!node_ip.required);
        assert_eq!(
            node_ip.target,
            Target::NodeIp {
                node_ip: Some("203.0.113.7".parse().unwrap()),
                stun_servers: Vec::new(),
            }
        );
    }

    #[test]
    fn internal_ports_are_checked_in_their_container_and_ip_sites_send_no_server_name() {
        let all = checks("reflector", ProxyMode::Caddy, "203.0.113.7");
        let postgres = all.iter().find(|c| c.label == "5432/tcp").unwrap();
        assert_eq!(
            postgres.target,
            Target::Container {
                service: "postgres".into(),
                port: 5432
            }
        );
        let https = all.iter().find(|c| c.label == "443/tcp").unwrap();
        assert_eq!(
            https.target,
            Target::Tls {
                port: 443,
                server_name: None,
                ip: Some("203.0.113.7".parse().unwrap()),
                public: true,
            }
        );
        assert!(!all.iter().any(|c| c.kind == ProbeKind::Dns));
    }
}
