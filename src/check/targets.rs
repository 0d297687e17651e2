//! Which paths to try: from the plan on the server (with the fix for each), or from what LiveKit
//! offers in its join response for the outside view.

use livekit_protocol::JoinResponse;
use serde::Serialize;

use super::{FailCause, PathOutcome, PathResult, Transport};
use crate::answers::{Provider, UdpMode};
use crate::plan::Plan;

/// One path to try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    pub transport: Transport,
    /// `50000-50119/udp`, `7881/tcp`.
    pub target: String,
    pub required: bool,
    /// What to do when it fails.
    pub fix: String,
    /// Planned by selkie (on the server), not merely offered by LiveKit (outside view): a
    /// planned path LiveKit offers no candidate for is a failure, an unplanned one unchecked.
    pub from_plan: bool,
}

impl Planned {
    /// A short name for the path's participant identity.
    pub fn transport_name(&self) -> &'static str {
        match self.transport {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::TurnUdp => "turn-udp",
            Transport::TurnTls => "turn-tls",
        }
    }

    /// This path's result, with the fix when it failed.
    pub fn result(&self, outcome: PathOutcome) -> PathResult {
        let fix = match &outcome {
            // The port answered, so opening it is not the fix: the certificate is.
            PathOutcome::Failed {
                cause: FailCause::Certificate,
                ..
            } => Some(format!(
                "{} answered but the TLS handshake failed: right after setup the proxy may still \
                 be obtaining this name's certificate (run `selkie check` again in a minute); \
                 otherwise `docker logs selkie-caddy` says why it has none",
                self.target
            )),
            PathOutcome::Failed { .. } => Some(self.fix.clone()),
            _ => None,
        };
        PathResult {
            transport: self.transport,
            target: self.target.clone(),
            required: self.required,
            outcome,
            fix,
        }
    }
}

/// The paths the plan opens, every one required: the plan opened each for clients that need it.
pub fn planned(plan: &Plan) -> Vec<Planned> {
    let provider = plan.firewall.provider;
    let media = &plan.media;
    let udp = if media.mode == UdpMode::Mux || media.start == media.end {
        format!("{}/udp", media.start)
    } else {
        format!("{}-{}/udp", media.start, media.end)
    };
    let mut out = vec![path(Transport::Udp, udp, provider)];
    if let Some(port) = plan.livekit.tcp_port {
        out.push(path(Transport::Tcp, format!("{port}/tcp"), provider));
    }
    if let Some(turn) = &plan.livekit.turn {
        out.push(path(
            Transport::TurnUdp,
            format!("{}/udp", turn.udp_port),
            provider,
        ));
        if turn.tls_port.is_some() {
            out.push(path(
                Transport::TurnTls,
                format!("{}/tcp", plan.web.https_port),
                provider,
            ));
        }
    }
    out
}

fn path(transport: Transport, target: String, provider: Provider) -> Planned {
    Planned {
        transport,
        fix: fix(&target, provider),
        target,
        required: true,
        from_plan: true,
    }
}

/// The fix for a closed port: where to open it, and the command that prints the rules.
pub fn fix(target: &str, provider: Provider) -> String {
    match provider {
        Provider::None => format!(
            "open {target} in the host firewall and in any firewall in front of the server \
             (`selkie firewall` prints the commands)"
        ),
        p => format!(
            "open {target} in the {} firewall and the host firewall \
             (`selkie firewall` prints the commands)",
            p.title()
        ),
    }
}

/// The outside view: UDP and ICE/TCP always, and each TURN server LiveKit hands out in its join
/// response; a transport LiveKit turns out not to offer is reported as not checked.
pub fn offered(join: &JoinResponse) -> Vec<Planned> {
    let plain = |transport, target: &str| Planned {
        transport,
        target: target.to_string(),
        required: true,
        from_plan: transport == Transport::Udp,
        fix: format!(
            "open {target} wherever it is blocked between here and the server (cloud or host \
             firewall; `selkie firewall` on the server prints the commands)"
        ),
    };
    let mut out = vec![
        plain(Transport::Udp, "media/udp"),
        plain(Transport::Tcp, "7881/tcp"),
    ];
    for server in &join.ice_servers {
        for url in &server.urls {
            if let Some(turn) = TurnUrl::parse(url) {
                let target = format!("{}/{}", turn.port, if turn.tls { "tcp" } else { "udp" });
                let transport = match (turn.tls, turn.udp) {
                    (true, _) => Transport::TurnTls,
                    (false, true) => Transport::TurnUdp,
                    (false, false) => continue,
                };
                if !out.iter().any(|p| p.transport == transport) {
                    out.push(plain(transport, &target));
                }
            }
        }
    }
    out
}

/// A `turn:` or `turns:` URL from LiveKit's ICE servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnUrl {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    /// `transport=udp` (the default for `turn:`).
    pub udp: bool,
}

impl TurnUrl {
    pub fn parse(url: &str) -> Option<TurnUrl> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("turns:") {
            (true, r)
        } else {
            (false, url.strip_prefix("turn:")?)
        };
        let (addr, query) = rest.split_once('?').unwrap_or((rest, ""));
        let udp = !tls && !query.contains("transport=tcp");
        let (host, port) = match addr.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') => (h, p.parse().ok()?),
            _ => (addr, if tls { 5349 } else { 3478 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        (!host.is_empty()).then(|| TurnUrl {
            host: host.to_string(),
            port,
            tls,
            udp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_handshake_points_at_the_certificate_not_the_firewall() {
        let turn = Planned {
            transport: Transport::TurnTls,
            target: "443/tcp".into(),
            fix: fix("443/tcp", Provider::None),
            required: true,
            from_plan: true,
        };
        let failed = |outcome: PathOutcome| turn.result(outcome).fix.unwrap();
        let tls = failed(PathOutcome::Failed {
            reason: "TLS with turn.example.org (203.0.113.5:443): received fatal alert".into(),
            cause: FailCause::Certificate,
        });
        assert!(
            tls.contains("certificate") && !tls.contains("open 443/tcp"),
            "{tls}"
        );
        let refused = failed(PathOutcome::failed(
            "203.0.113.5:443: Connection refused (os error 111)",
        ));
        assert!(refused.starts_with("open 443/tcp"), "{refused}");
        let ok = turn.result(PathOutcome::Ok {
            rtt_ms: Some(1.0),
            local: String::new(),
            remote: String::new(),
        });
        assert_eq!(ok.fix, None);
    }

    #[test]
    fn turn_urls_from_livekit_are_read() {
        let u = TurnUrl::parse("turn:meet.example.org:3478?transport=udp").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.tls, u.udp),
            ("meet.example.org", 3478, false, true)
        );
        let s = TurnUrl::parse("turns:turn.example.org:443?transport=tcp").unwrap();
        assert_eq!((s.port, s.tls, s.udp), (443, true, false));
        let t = TurnUrl::parse("turn:203.0.113.5:3478?transport=tcp").unwrap();
        assert!(!t.udp);
        assert_eq!(
            TurnUrl::parse("turn:[2001:db8::1]:3478").unwrap().host,
            "2001:db8::1"
        );
        assert!(TurnUrl::parse("stun:stun.example.org:3478").is_none());
        assert!(TurnUrl::parse("turn::3478").is_none());
    }

    #[test]
    fn the_fix_names_the_provider_and_the_command() {
        let f = fix("50000-50119/udp", Provider::Hetzner);
        assert!(
            f.contains("50000-50119/udp") && f.contains("Hetzner Cloud"),
            "{f}"
        );
        assert!(f.contains("selkie firewall"), "{f}");
        assert!(!fix("7881/tcp", Provider::None).contains("Hetzner"));
    }

    #[test]
    fn the_outside_view_takes_turn_from_the_join_response() {
        let join = JoinResponse {
            ice_servers: vec![livekit_protocol::IceServer {
                urls: vec![
                    "turn:meet.example.org:3478?transport=udp".into(),
                    "turns:turn.meet.example.org:443?transport=tcp".into(),
                ],
                username: "u".into(),
                credential: "c".into(),
            }],
            ..Default::default()
        };
        let paths: Vec<Transport> = offered(&join).iter().map(|p| p.transport).collect();
        assert_eq!(
            paths,
            vec![
                Transport::Udp,
                Transport::Tcp,
                Transport::TurnUdp,
                Transport::TurnTls
            ]
        );
        let planned: Vec<bool> = offered(&join).iter().map(|p| p.from_plan).collect();
        assert_eq!(planned, vec![true, false, false, false]);
    }
}
