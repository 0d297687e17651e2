//! Running the checks: each probe with its own timeout, all of them at once.
//!
//! Every probe is bounded by [`Context::timeout`] here, in [`run`], whatever the peer does, so a
//! dead port costs one timeout and never stalls a round; [`run_all`] runs the probes
//! concurrently, so a round takes about as long as the slowest of them.

mod dns;
mod http;
mod node_ip;
mod own_ca;
mod public;
mod stun;
mod tcp;
mod tls;
mod udp;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;

use super::vantage::Vantage;
use super::{Check, CheckResult, ProbeKind, Status, Target, Verdict};

pub use node_ip::outbound_stun;
pub use own_ca::fetch as deployment_ca;
pub use tls::{system_roots, NO_CERTIFICATE};
pub use udp::{bound_sockets, BoundSocket};

/// Where Caddy's admin API listens (host networking), which serves the CA of `tls internal`.
pub const CADDY_ADMIN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 2019);

/// What probes need from the world beyond the check itself.
#[derive(Debug, Clone)]
pub struct Context {
    /// Bridge-network addresses of running containers, by service.
    pub container_ips: HashMap<String, IpAddr>,
    /// Where /proc is (tests point it at a prepared tree).
    pub proc_dir: PathBuf,
    /// How long one probe may take.
    pub timeout: Duration,
    /// Where public ports are probed: the server's public address(es).
    pub vantage: Vantage,
    /// Caddy's admin API, when the deployment signs its own certificates (`tls internal`): its
    /// CA is trusted too, and named as the deployment's own.
    pub own_ca: Option<SocketAddr>,
    /// The certificate authorities a browser on this machine trusts.
    pub roots: Arc<RootCertStore>,
}

impl Context {
    /// Probes on this host: the system's roots, /proc, no containers, no public address and no
    /// deployment CA until the caller sets them.
    pub fn new(timeout: Duration) -> Context {
        Context {
            container_ips: HashMap::new(),
            proc_dir: PathBuf::from("/proc"),
            timeout,
            vantage: Vantage::default(),
            own_ca: None,
            roots: system_roots(),
        }
    }
}

/// Run one check; it returns within `ctx.timeout` (plus scheduling noise) whatever the peer does.
pub async fn run(check: &Check, ctx: &Context) -> Verdict {
    // The outer timeout is the guarantee; probes that need a deadline of their own (STUN's retry)
    // get it passed in, and the rest simply wait on the network.
    match tokio::time::timeout(ctx.timeout, dispatch(check, ctx)).await {
        Ok(verdict) => verdict,
        Err(_) => timed_out(check.kind, ctx.timeout),
    }
}

/// A TLS check's verdict that the server holds no certificate for the site yet (Caddy before
/// its CA issued one), which [`crate::health::acme`] explains from Caddy's log.
pub fn awaits_certificate(verdict: &Verdict) -> bool {
    verdict.status == Status::Down && verdict.cause == Some(crate::health::Cause::NoCertificate)
}

/// Run every check concurrently; a round takes about as long as the slowest timeout.
pub async fn run_all(checks: &[Check], ctx: &Context) -> Vec<CheckResult> {
    let verdicts = futures_util::future::join_all(checks.iter().map(|c| run(c, ctx))).await;
    checks
        .iter()
        .cloned()
        .zip(verdicts)
        .map(|(check, verdict)| CheckResult { check, verdict })
        .collect()
}

/// The probe for this kind of check aimed at this target.
async fn dispatch(check: &Check, ctx: &Context) -> Verdict {
    let path = check.path.as_deref().unwrap_or("/");
    match (check.kind, &check.target) {
        (ProbeKind::Tcp, Target::Loopback { port }) => tcp::probe(loopback(*port)).await,
        (ProbeKind::Tcp, Target::Public { port }) => {
            public::tcp(check, ctx, *port, tcp::probe).await
        }
        (ProbeKind::Tcp, Target::Container { service, port }) => {
            match ctx.container_ips.get(service) {
                Some(ip) => tcp::probe(SocketAddr::new(*ip, *port)).await,
                // No bridge address: Docker has no running container for the service.
                None => Verdict::new(Status::Down, "container not running"),
            }
        }
        (ProbeKind::Http, Target::Loopback { port }) => http::probe(loopback(*port), path).await,
        (ProbeKind::Http, Target::Public { port }) => {
            public::tcp(check, ctx, *port, |addr| http::probe(addr, path)).await
        }
        (
            ProbeKind::Tls,
            Target::Tls {
                port,
                server_name,
                ip,
                public,
            },
        ) => {
            let site = tls::Site {
                server_name: server_name.as_deref(),
                ip: *ip,
            };
            if *public {
                public::tcp(check, ctx, *port, |addr| tls::probe(addr, site, ctx)).await
            } else {
                tls::probe(loopback(*port), site, ctx).await
            }
        }
        (ProbeKind::Stun, Target::Loopback { port }) => {
            stun::probe(loopback(*port), ctx.timeout).await
        }
        (ProbeKind::Stun, Target::Public { port }) => public::stun(check, ctx, *port).await,
        (ProbeKind::UdpBound, Target::HostRange { port, end, public }) => {
            let reach = public.then_some(ctx.vantage.addresses.as_slice());
            udp::probe(&ctx.proc_dir, *port, *end, reach, &check.service).await
        }
        (ProbeKind::UdpBound, Target::Loopback { port }) => {
            udp::probe(&ctx.proc_dir, *port, *port, None, &check.service).await
        }
        (ProbeKind::Dns, Target::Name { name, expect }) => dns::probe(name, *expect).await,
        (
            ProbeKind::NodeIp,
            Target::NodeIp {
                node_ip,
                stun_servers,
            },
        ) => node_ip::probe(*node_ip, stun_servers, ctx.timeout).await,
        // `probes_for` never pairs these; say so rather than guess what was meant.
        (kind, target) => Verdict::new(
            Status::Unknown,
            format!("a {} probe cannot aim at {target:?}", kind.as_str()),
        ),
    }
}

/// A port on the host's loopback address, where proxied and loopback-only services answer.
fn loopback(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
}

/// The verdict of a probe that ran out of time, worded like the probe's own failures so the
/// message does not depend on whether its inner wait or this outer one ended first.
fn timed_out(kind: ProbeKind, timeout: Duration) -> Verdict {
    let after = show_duration(timeout);
    let message = match kind {
        ProbeKind::Stun => format!("no STUN answer within {after}"),
        ProbeKind::Dns => {
            format!("no DNS answer within {after}: certificates will fail until it resolves")
        }
        _ => format!("timed out after {after}"),
    };
    Verdict::new(Status::Down, message)
}

/// `2s`, `1.5s` or `300ms`: short enough for a table cell.
fn show_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() > 0 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// A socket error in a few lowercase words (`connection refused`), as the HTTP client says it.
fn io_reason(e: &io::Error) -> String {
    crate::http::io_reason(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_short() {
        assert_eq!(show_duration(Duration::from_secs(2)), "2s");
        assert_eq!(show_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(show_duration(Duration::from_millis(300)), "300ms");
    }

    #[test]
    fn a_missing_certificate_is_known_by_its_cause_not_its_words() {
        let missing = tls::no_certificate("meet.example.com");
        assert!(awaits_certificate(&missing), "{missing:?}");
        let json = serde_json::to_value(&missing).unwrap();
        assert_eq!(json["cause"], "no_certificate", "{json}");
        // The same words from elsewhere are not that failure; and a plain verdict has no cause.
        let lookalike = Verdict::new(Status::Down, missing.message.clone());
        assert!(!awaits_certificate(&lookalike));
        let json = serde_json::to_value(&lookalike).unwrap();
        assert!(json.get("cause").is_none(), "{json}");
    }

    #[test]
    fn socket_errors_lose_their_os_error_number() {
        let refused = io::Error::from_raw_os_error(111);
        assert_eq!(io_reason(&refused), "connection refused");
        let other = io::Error::other("Something Odd (os error 99)");
        assert_eq!(io_reason(&other), "something odd");
    }

    #[tokio::test]
    async fn a_container_without_an_address_is_not_running() {
        let check = Check {
            label: "5432/tcp".into(),
            kind: ProbeKind::Tcp,
            target: Target::Container {
                service: "postgres".into(),
                port: 5432,
            },
            service: "postgres".into(),
            exposure: None,
            required: true,
            purpose: String::new(),
            path: None,
        };
        let ctx = Context::new(Duration::from_secs(1));
        let verdict = run(&check, &ctx).await;
        assert_eq!(verdict.status, Status::Down);
        assert_eq!(verdict.message, "container not running");
    }
}
