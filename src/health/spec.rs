//! What "healthy" means for a plan: one check per port (plus TLS per host name, DNS per record
//! and how LiveKit learns its public address), derived from the plan alone.
//!
//! Health is judged from where a client stands: a public port is aimed at the server's public
//! address (found at probe time, see `health::vantage`), proxied and loopback ones at 127.0.0.1.

use std::net::IpAddr;

use serde::Serialize;

use crate::answers::Address;
use crate::plan::{Exposure, Plan, SIGNAL_PORT};
use crate::preset::Proto;
use crate::role::Role;

/// The STUN servers livekit-server asks for its public address when `rtc.use_external_ip` is set
/// and `rtc.stun_servers` is not: `rtcconfig.DefaultStunServers` in livekit/mediatransportutil,
/// the version livekit-server v1.13.5 pins (tried in this order).
pub const LIVEKIT_STUN_SERVERS: [&str; 3] = [
    "global.stun.twilio.com:3478",
    "stun.l.google.com:19302",
    "stun1.l.google.com:19302",
];

/// How a check is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// A TCP connection is accepted.
    Tcp,
    /// `GET path` answers 200 (LiveKit: `OK`; 406 `Not Ready` is degraded).
    Http,
    /// A TLS handshake with the right server name, verified as a browser would: issuer, names,
    /// days to expiry.
    Tls,
    /// A STUN binding request gets a binding response.
    Stun,
    /// The UDP port (or any port of the range) is bound on this host.
    #[serde(rename = "bound")]
    UdpBound,
    /// The host name resolves to this server.
    Dns,
    /// LiveKit knows the address it advertises: `node_ip` is set, or the STUN servers that
    /// `use_external_ip` asks answer from here. `addr` in tables, whose kind column is 5 wide.
    #[serde(rename = "addr")]
    NodeIp,
}

impl ProbeKind {
    /// The short word shown in tables.
    pub fn as_str(&self) -> &'static str {
        match self {
            ProbeKind::Tcp => "tcp",
            ProbeKind::Http => "http",
            ProbeKind::Tls => "tls",
            ProbeKind::Stun => "stun",
            ProbeKind::UdpBound => "bound",
            ProbeKind::Dns => "dns",
            ProbeKind::NodeIp => "addr",
        }
    }
}

/// Where a check is aimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "at", rename_all = "kebab-case")]
pub enum Target {
    /// A port on 127.0.0.1: proxied and loopback-only services, reached from this host.
    Loopback { port: u16 },
    /// A port at the server's public address (each address family the plan has), where
    /// clients connect.
    Public { port: u16 },
    /// UDP ports bound on the host, read from /proc/net/udp and udp6; for a public range a
    /// socket bound to 127.0.0.1 or ::1 only does not count as reachable.
    HostRange {
        port: u16,
        end: u16,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        public: bool,
    },
    /// A container's own port on the bridge network (internal services are not on the host).
    Container { service: String, port: u16 },
    /// TLS through the proxy on `port`, sending `server_name` (none for an IP address, whose
    /// certificate must name `ip`); at the public address when `public`, else on 127.0.0.1.
    Tls {
        port: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        server_name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        ip: Option<IpAddr>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        public: bool,
    },
    /// A host name that must resolve to `expect` (to anything, when the address is unknown).
    Name {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        expect: Option<IpAddr>,
    },
    /// LiveKit's advertised address: set in livekit.yaml (`node_ip`), or learnt from these STUN
    /// servers (`use_external_ip`).
    NodeIp {
        #[serde(skip_serializing_if = "Option::is_none")]
        node_ip: Option<IpAddr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        stun_servers: Vec<String>,
    },
}

/// Where a TCP or UDP port of this exposure is probed: clients reach a public port at the
/// server's public address; everything else bound on the host is probed on 127.0.0.1.
pub fn host_target(exposure: Exposure, port: u16) -> Target {
    match exposure {
        Exposure::Public => Target::Public { port },
        _ => Target::Loopback { port },
    }
}

/// One thing to check, with the plan row it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `443/tcp`, `50000-50119/udp`, `tls lk.example.com`, `dns example.com`.
    pub label: String,
    pub kind: ProbeKind,
    pub target: Target,
    pub service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    pub required: bool,
    pub purpose: String,
    /// The path for HTTP checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Every check for a plan, in the plan's stable port order, then TLS per extra host, then DNS.
pub fn probes_for(plan: &Plan) -> Vec<Check> {
    let mut checks = Vec::new();
    let tls_name = |host: &str| host.parse::<IpAddr>().is_err().then(|| host.to_string());
    let site_host = plan
        .routes
        .iter()
        .find(|r| r.path.is_none() && !r.tcp)
        .map(|r| r.host.clone())
        .unwrap_or_else(|| plan.address.url_host());
    let proxy_https =
        |p: &crate::plan::Port| p.service == Role::Proxy && p.port == plan.web.https_port;
    // The address a browser checks an IP site's certificate against.
    let site_ip = match &plan.address {
        Address::Ip(a) => Some(a.ip()),
        Address::Domain(_) => None,
    };
    let https_public = plan
        .ports
        .iter()
        .any(|p| proxy_https(p) && p.exposure == Exposure::Public);
    for p in &plan.ports {
        let label = format!("{}/{}", p.label(), p.proto.as_str());
        let base = |kind: ProbeKind, target: Target| Check {
            label: label.clone(),
            kind,
            target,
            service: p.service.to_string(),
            exposure: Some(p.exposure),
            required: p.required,
            purpose: p.purpose.clone(),
            path: None,
        };
        let check = match p.proto {
            Proto::Tcp if p.service == Role::Livekit && p.port == SIGNAL_PORT => Check {
                path: Some("/".into()),
                ..base(ProbeKind::Http, host_target(p.exposure, p.port))
            },
            Proto::Tcp if proxy_https(p) => base(
                ProbeKind::Tls,
                Target::Tls {
                    port: p.port,
                    server_name: tls_name(&site_host),
                    ip: site_ip,
                    public: p.exposure == Exposure::Public,
                },
            ),
            // An app's own health path says more than an open port; internal ones are probed in
            // their container by TCP, since HTTP goes to 127.0.0.1.
            Proto::Tcp if p.health_path.is_some() && p.exposure != Exposure::Internal => Check {
                path: p.health_path.clone(),
                ..base(ProbeKind::Http, host_target(p.exposure, p.port))
            },
            Proto::Tcp if p.exposure == Exposure::Internal => base(
                ProbeKind::Tcp,
                Target::Container {
                    service: p.service.to_string(),
                    port: p.port,
                },
            ),
            Proto::Tcp => base(ProbeKind::Tcp, host_target(p.exposure, p.port)),
            Proto::Udp
                if p.service == Role::Livekit
                    && plan
                        .livekit
                        .turn
                        .as_ref()
                        .is_some_and(|t| t.udp_port == p.port) =>
            {
                base(ProbeKind::Stun, host_target(p.exposure, p.port))
            }
            Proto::Udp => base(
                ProbeKind::UdpBound,
                Target::HostRange {
                    port: p.port,
                    end: p.end,
                    public: p.exposure == Exposure::Public,
                },
            ),
        };
        checks.push(check);
    }
    // The other host names the proxy serves (LiveKit's and TURN's own names) each get a handshake.
    let mut hosts: Vec<&str> = plan.routes.iter().map(|r| r.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    if plan.service(&Role::Proxy).is_some() {
        for host in hosts.into_iter().filter(|h| *h != site_host) {
            checks.push(Check {
                label: format!("tls {host}"),
                kind: ProbeKind::Tls,
                target: Target::Tls {
                    port: plan.web.https_port,
                    server_name: tls_name(host),
                    ip: site_ip,
                    public: https_public,
                },
                service: "caddy".into(),
                exposure: None,
                required: true,
                purpose: format!("HTTPS certificate for {host}"),
                path: None,
            });
        }
    }
    checks.push(node_ip_check(plan));
    for record in &plan.dns {
        checks.push(Check {
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
        });
    }
    checks
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
        service: "livekit".into(),
        exposure: None,
        purpose: "the public address LiveKit advertises to clients".into(),
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
