//! What "healthy" means for a plan: one check per port (plus TLS per host name and DNS per
//! record), derived from the plan alone.

use std::net::IpAddr;

use serde::Serialize;

use crate::plan::{Exposure, Plan, SIGNAL_PORT};
use crate::preset::Proto;

/// How a check is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// A TCP connection is accepted.
    Tcp,
    /// `GET path` answers 200 (LiveKit: `OK`; 406 `Not Ready` is degraded).
    Http,
    /// A TLS handshake with the right server name: issuer, names, days to expiry.
    Tls,
    /// A STUN binding request gets a binding response.
    Stun,
    /// The UDP port (or any port of the range) is bound on this host.
    #[serde(rename = "bound")]
    UdpBound,
    /// The host name resolves to this server.
    Dns,
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
        }
    }
}

/// Where a check is aimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "at", rename_all = "kebab-case")]
pub enum Target {
    /// A port on 127.0.0.1: every port bound on the host answers there.
    Loopback { port: u16 },
    /// UDP ports bound on the host, read from /proc/net/udp and udp6.
    HostRange { port: u16, end: u16 },
    /// A container's own port on the bridge network (internal services are not on the host).
    Container { service: String, port: u16 },
    /// TLS through the proxy on 127.0.0.1:port, sending `server_name` (none for an IP address).
    Tls {
        port: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        server_name: Option<String>,
    },
    /// A host name that must resolve to `expect` (to anything, when the address is unknown).
    Name {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        expect: Option<IpAddr>,
    },
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
        .unwrap_or_else(|| plan.addr.url_host());
    let proxy_https = |p: &crate::plan::Port| p.service == "caddy" && p.port == plan.web.https_port;
    for p in &plan.ports {
        let label = format!("{}/{}", p.label(), p.proto.as_str());
        let base = |kind: ProbeKind, target: Target| Check {
            label: label.clone(),
            kind,
            target,
            service: p.service.clone(),
            exposure: Some(p.exposure),
            required: p.required,
            purpose: p.purpose.clone(),
            path: None,
        };
        let check = match p.proto {
            Proto::Tcp if p.service == "livekit" && p.port == SIGNAL_PORT => Check {
                path: Some("/".into()),
                ..base(ProbeKind::Http, Target::Loopback { port: p.port })
            },
            Proto::Tcp if proxy_https(p) => base(
                ProbeKind::Tls,
                Target::Tls {
                    port: p.port,
                    server_name: tls_name(&site_host),
                },
            ),
            // An app's own health path says more than an open port; internal ones are probed in
            // their container by TCP, since HTTP goes to 127.0.0.1.
            Proto::Tcp if p.health_path.is_some() && p.exposure != Exposure::Internal => Check {
                path: p.health_path.clone(),
                ..base(ProbeKind::Http, Target::Loopback { port: p.port })
            },
            Proto::Tcp if p.exposure == Exposure::Internal => base(
                ProbeKind::Tcp,
                Target::Container {
                    service: p.service.clone(),
                    port: p.port,
                },
            ),
            Proto::Tcp => base(ProbeKind::Tcp, Target::Loopback { port: p.port }),
            Proto::Udp
                if p.service == "livekit"
                    && plan
                        .livekit
                        .turn
                        .as_ref()
                        .is_some_and(|t| t.udp_port == p.port) =>
            {
                base(ProbeKind::Stun, Target::Loopback { port: p.port })
            }
            Proto::Udp => base(
                ProbeKind::UdpBound,
                Target::HostRange {
                    port: p.port,
                    end: p.end,
                },
            ),
        };
        checks.push(check);
    }
    // The other host names the proxy serves (LiveKit's and TURN's own names) each get a handshake.
    let mut hosts: Vec<&str> = plan.routes.iter().map(|r| r.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    if plan.service("caddy").is_some() {
        for host in hosts.into_iter().filter(|h| *h != site_host) {
            checks.push(Check {
                label: format!("tls {host}"),
                kind: ProbeKind::Tls,
                target: Target::Tls {
                    port: plan.web.https_port,
                    server_name: tls_name(host),
                },
                service: "caddy".into(),
                exposure: None,
                required: true,
                purpose: format!("HTTPS certificate for {host}"),
                path: None,
            });
        }
    }
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
                server_name: Some("hearth.example".into())
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
                server_name: None
            }
        );
        assert!(!all.iter().any(|c| c.kind == ProbeKind::Dns));
    }
}
