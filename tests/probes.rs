//! The health probes against real servers on loopback: listeners and tiny servers these tests
//! start, plus coturn, caddy and `openssl s_server` as child processes. Nothing here leaves
//! 127.0.0.0/8, and every test fails (never skips) when a tool it needs is missing.

#[path = "health/blackhole.rs"]
mod blackhole;
mod common;
#[path = "probes/dns.rs"]
mod dns;
#[path = "probes/http.rs"]
mod http;
#[path = "probes/stun.rs"]
mod stun;
#[path = "probes/tcp.rs"]
mod tcp;
#[path = "probes/tls.rs"]
mod tls;
#[path = "probes/udp.rs"]
mod udp;

use std::net::{IpAddr, Ipv4Addr, TcpListener, UdpSocket};
use std::process::Child;
use std::time::{Duration, Instant};

use selkie::health::probes::{self, Context};
use selkie::health::{Check, ProbeKind, Status, Target, Vantage, Verdict};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn ctx(timeout: Duration) -> Context {
    Context::new(timeout)
}

fn check(kind: ProbeKind, target: Target) -> Check {
    Check {
        label: format!("{} test", kind.as_str()),
        kind,
        target,
        service: "test".into(),
        exposure: None,
        required: true,
        purpose: "test".into(),
        path: None,
    }
}

fn tcp(port: u16) -> Check {
    check(ProbeKind::Tcp, Target::Loopback { port })
}

fn http(port: u16, path: &str) -> Check {
    Check {
        path: Some(path.into()),
        ..check(ProbeKind::Http, Target::Loopback { port })
    }
}

fn tls(port: u16, server_name: Option<&str>) -> Check {
    check(
        ProbeKind::Tls,
        Target::Tls {
            port,
            server_name: server_name.map(str::to_string),
            ip: None,
            public: false,
        },
    )
}

fn stun(port: u16) -> Check {
    check(ProbeKind::Stun, Target::Loopback { port })
}

fn udp_range(port: u16, end: u16) -> Check {
    check(
        ProbeKind::UdpBound,
        Target::HostRange {
            port,
            end,
            public: false,
        },
    )
}

fn dns(name: &str, expect: Option<IpAddr>) -> Check {
    check(
        ProbeKind::Dns,
        Target::Name {
            name: name.into(),
            expect,
        },
    )
}

/// Run one probe and time it.
async fn timed(check: &Check, ctx: &Context) -> (Verdict, Duration) {
    let started = Instant::now();
    let verdict = probes::run(check, ctx).await;
    (verdict, started.elapsed())
}

fn assert_verdict(verdict: &Verdict, status: Status, needle: &str) {
    assert_eq!(verdict.status, status, "{verdict:?}");
    assert!(
        verdict.message.contains(needle),
        "expected {needle:?} in {:?}",
        verdict.message
    );
}

/// A port nothing listens on (bound, then released).
fn closed_tcp_port() -> u16 {
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// Two distinct free ports, held together while picked so they cannot be the same.
fn two_closed_tcp_ports() -> (u16, u16) {
    let a = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let b = TcpListener::bind((LOCALHOST, 0)).unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

/// A UDP port nothing is bound to (bound, then released), for servers started on it.
fn free_udp_port() -> u16 {
    let socket = UdpSocket::bind((LOCALHOST, 0)).unwrap();
    socket.local_addr().unwrap().port()
}

/// A child process killed (and reaped) when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Probe until `done` says the server is up, or fail with what the server printed.
async fn wait_for(
    check: &Check,
    ctx: &Context,
    server: &mut Killed,
    done: impl Fn(&Verdict) -> bool,
) -> Verdict {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let verdict = probes::run(check, ctx).await;
        if done(&verdict) {
            return verdict;
        }
        if let Some(status) = server.0.try_wait().unwrap() {
            panic!("the server exited with {status} (last probe: {verdict:?})");
        }
        assert!(
            Instant::now() < deadline,
            "never came up; last probe: {verdict:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A stand-in public address that needs no network of its own: 127.0.0.2 is this host too,
/// but a socket bound to 127.0.0.1 does not answer there, just as it does not at a real
/// public address. (The namespace tests in health_netns.rs use a real interface.)
fn other_loopback_vantage() -> Vantage {
    Vantage {
        addresses: vec![IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))],
        how: "a test address".into(),
    }
}
