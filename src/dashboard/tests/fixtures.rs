//! Test fixtures: a Hearth deployment (Caddy, LiveKit, PocketBase) in a few states, built from
//! the `crate::health` types directly.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::dashboard::{App, Event};
use crate::health::{
    Check, CheckResult, DockerState, ProbeKind, ServiceState, Snapshot, Status, Target, Verdict,
};
use crate::plan::Exposure;

/// The deployment name every fixture uses.
pub const TITLE: &str = "hearth.example";

/// One fixed instant all fixture clocks count from.
pub fn t0() -> Instant {
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}

/// A running service, healthy or down ("exited").
pub fn gen_service(name: &str, up: bool) -> ServiceState {
    ServiceState {
        service: name.into(),
        container: format!("selkie-{name}-1"),
        state: if up { "running" } else { "exited" }.into(),
        health: up.then(|| "healthy".to_string()),
        restarts: if up { 0 } else { 3 },
        uptime: up.then(|| Duration::from_secs(3 * 86400 + 4 * 3600 + 720)),
        cpu_percent: up.then_some(if name == "livekit" { 12.4 } else { 0.3 }),
        memory_bytes: up.then_some(if name == "livekit" { 187 } else { 41 } << 20),
        status: if up { Status::Healthy } else { Status::Down },
    }
}

/// A check of the plan with its verdict.
pub fn gen_check(
    label: &str,
    kind: ProbeKind,
    service: &str,
    exposure: Option<Exposure>,
    purpose: &str,
) -> CheckResult {
    let port = label
        .split(['/', '-'])
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(443);
    let mut verdict = Verdict::new(Status::Healthy, "OK");
    let micros = if kind == ProbeKind::Tls { 4100 } else { 380 };
    verdict.latency = Some(Duration::from_micros(micros));
    if kind == ProbeKind::Tls {
        verdict.message = "Let's Encrypt, expires in 74 days".into();
    }
    CheckResult {
        check: Check {
            label: label.into(),
            kind,
            target: exposure.map_or(Target::Loopback { port }, |e| {
                crate::health::spec::host_target(e, port)
            }),
            service: service.into(),
            exposure,
            required: kind != ProbeKind::Dns,
            purpose: purpose.into(),
            path: None,
        },
        verdict,
    }
}

/// Sets a check's verdict.
pub fn set(snapshot: &mut Snapshot, label: &str, status: Status, message: &str) {
    for c in snapshot
        .checks
        .iter_mut()
        .filter(|c| c.check.label == label)
    {
        c.verdict.status = status;
        c.verdict.message = message.into();
        if status == Status::Down {
            c.verdict.latency = None;
        }
    }
}

/// The plan's checks: label, kind, service, exposure, purpose.
#[rustfmt::skip]
const CHECKS: [(&str, ProbeKind, &str, Option<Exposure>, &str); 10] = {
    use Exposure::{Proxied, Public};
    use ProbeKind::*;
    [
        ("80/tcp", Tcp, "caddy", Some(Public), "HTTP: redirects to HTTPS, ACME challenges"),
        ("443/tcp", Tls, "caddy", Some(Public), "HTTPS for the site, LiveKit and TURN/TLS (SNI)"),
        ("7880/tcp", Http, "livekit", Some(Proxied), "LiveKit signalling (WebSocket)"),
        ("7881/tcp", Tcp, "livekit", Some(Public), "WebRTC over TCP, when UDP is blocked"),
        ("3478/udp", Stun, "livekit", Some(Public), "TURN/STUN"),
        ("50000-60000/udp", UdpBound, "livekit", Some(Public), "WebRTC media (RTP/RTCP)"),
        ("8090/tcp", Tcp, "pocketbase", Some(Proxied), "PocketBase API + SPA"),
        ("tls lk.hearth.example", Tls, "caddy", None, "HTTPS certificate for lk.hearth.example"),
        ("tls turn.hearth.example", Tls, "caddy", None, "HTTPS certificate for turn.hearth.example"),
        ("dns hearth.example", Dns, "dns", None, "A record of the site"),
    ]
};

/// What LiveKit's checks find when its container has exited.
const LIVEKIT_DOWN: [(&str, &str); 4] = [
    ("7880/tcp", "connection refused"),
    ("7881/tcp", "connection refused"),
    ("3478/udp", "no answer within 2s"),
    ("50000-60000/udp", "no port of the range is bound"),
];

/// The whole deployment, healthy, or with LiveKit's container exited and its ports dead.
pub fn gen_snapshot(healthy: bool) -> Snapshot {
    let services = ["caddy", "livekit", "pocketbase"];
    let mut snapshot = Snapshot {
        docker: DockerState::Connected {
            version: "27.3.1".into(),
        },
        judged_from: crate::health::Vantage {
            addresses: vec![std::net::IpAddr::from([203, 0, 113, 7])],
            how: "the plan's address".into(),
        },
        services: services
            .map(|s| gen_service(s, healthy || s != "livekit"))
            .to_vec(),
        checks: CHECKS
            .iter()
            .map(|(l, k, s, e, p)| gen_check(l, *k, s, *e, p))
            .collect(),
    };
    set(
        &mut snapshot,
        "50000-60000/udp",
        Status::Healthy,
        "4 ports bound",
    );
    set(
        &mut snapshot,
        "dns hearth.example",
        Status::Healthy,
        "resolves to 203.0.113.7",
    );
    if !healthy {
        for (label, message) in LIVEKIT_DOWN {
            set(&mut snapshot, label, Status::Down, message);
        }
    }
    snapshot
}

/// Healthy but for certificates that expire soon.
pub fn gen_tls_expiring() -> Snapshot {
    let mut snapshot = gen_snapshot(true);
    for label in ["443/tcp", "tls lk.hearth.example"] {
        set(
            &mut snapshot,
            label,
            Status::Degraded,
            "Let's Encrypt, expires in 9 days (renewal failing?)",
        );
    }
    snapshot
}

/// Caddy has no certificate for the site yet, and its log says why (a long message), on a
/// stack of Reflector's size (eight services).
pub fn gen_no_certificate() -> Snapshot {
    let mut snapshot = gen_snapshot(true);
    for s in ["postgres", "redis", "hatchet", "backend", "frontend"] {
        snapshot.services.push(gen_service(s, true));
    }
    set(
        &mut snapshot,
        "443/tcp",
        Status::Down,
        "no certificate for hearth.example yet: Caddy's last order (11 s ago, from \
         acme-v02.api.letsencrypt.org) failed: 203.0.113.7: Fetching \
         http://hearth.example/.well-known/acme-challenge/x: Timeout during connect; the CA \
         could not reach this server on port 80: open TCP 80 and 443 to the internet. Caddy \
         tries again in 48 s by itself, or at once when restarted (`docker restart \
         selkie-caddy`) once the cause is fixed",
    );
    snapshot
}

/// What a round finds when the Docker socket does not answer (the containers keep serving).
pub fn gen_docker_unreachable() -> Snapshot {
    let mut snapshot = gen_snapshot(true);
    snapshot.docker = DockerState::Unreachable {
        reason: "error trying to connect: Connection refused (os error 111)".into(),
    };
    for s in &mut snapshot.services {
        *s = ServiceState {
            state: "unknown".into(),
            health: None,
            uptime: None,
            cpu_percent: None,
            memory_bytes: None,
            status: Status::Unknown,
            ..s.clone()
        };
    }
    snapshot
}

/// The last lines of a crashed LiveKit.
pub fn gen_logs() -> Vec<String> {
    [
        "2026-11-21T23:58:01Z INFO  livekit starting server {\"version\": \"1.9.0\"}",
        "2026-11-21T23:58:01Z INFO  livekit redis not configured, single node",
        "2026-11-21T23:58:02Z \u{1b}[31mERROR\u{1b}[0m livekit could not bind UDP port 3478: address in use",
        "2026-11-21T23:58:02Z FATAL livekit exiting: TURN server failed to start",
    ]
    .map(String::from)
    .to_vec()
}

/// A key press event.
pub fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A character key press event.
pub fn char_key(c: char) -> Event {
    key(KeyCode::Char(c))
}

/// An app that went through `steps`: (seconds after `t0`, event).
pub fn gen_app(steps: Vec<(u64, Event)>) -> App {
    let mut app = App::new(TITLE, t0());
    for (secs, event) in steps {
        app.handle_at(event, t0() + Duration::from_secs(secs));
    }
    app
}

/// The dashboard's named states, as the snapshot tests render them.
pub fn gen_state(name: &str) -> App {
    let snap = |s: Snapshot| Event::Snapshot(Box::new(s));
    let steps = match name {
        "no_snapshot" => vec![],
        "healthy" => vec![(0, snap(gen_snapshot(true)))],
        "service_down" => vec![
            (0, snap(gen_snapshot(true))),
            (30, snap(gen_snapshot(false))),
            (31, char_key('j')),
            (32, char_key('l')),
            (
                33,
                Event::Logs {
                    service: "livekit".into(),
                    lines: gen_logs(),
                },
            ),
            (34, key(KeyCode::Esc)),
            (42, Event::Tick),
        ],
        "tls_expiring" => vec![
            (0, snap(gen_snapshot(true))),
            (60, snap(gen_tls_expiring())),
            (61, key(KeyCode::Tab)),
            (62, char_key('j')),
            (65, Event::Tick),
        ],
        "no_certificate" => vec![
            (0, snap(gen_snapshot(true))),
            (60, snap(gen_no_certificate())),
            (61, key(KeyCode::Tab)),
            (62, char_key('j')),
            (65, Event::Tick),
        ],
        "docker_unreachable" => vec![
            (0, snap(gen_snapshot(true))),
            (20, snap(gen_docker_unreachable())),
        ],
        "help" => vec![(0, snap(gen_snapshot(true))), (1, char_key('?'))],
        "confirm_restart" => vec![
            (0, snap(gen_snapshot(false))),
            (1, char_key('j')),
            (2, char_key('r')),
        ],
        "logs_view" => vec![
            (0, snap(gen_snapshot(false))),
            (1, char_key('j')),
            (2, char_key('l')),
            (
                3,
                Event::Logs {
                    service: "livekit".into(),
                    lines: gen_logs(),
                },
            ),
        ],
        other => panic!("no fixture state {other}"),
    };
    gen_app(steps)
}
