//! The health probes against real servers on loopback: listeners and tiny servers this file
//! starts, plus coturn, caddy and `openssl s_server` as child processes. Nothing here leaves
//! 127.0.0.0/8, and every test fails (never skips) when a tool it needs is missing.

#[path = "health/blackhole.rs"]
mod blackhole;
mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use blackhole::Blackhole;
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

// ---------------------------------------------------------------------------------------- TCP

#[tokio::test]
async fn tcp_listener_is_healthy() {
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (verdict, _) = timed(&tcp(port), &ctx(Duration::from_secs(2))).await;
    assert_eq!(verdict.status, Status::Healthy, "{verdict:?}");
    assert!(verdict.latency.is_some());
}

#[tokio::test]
async fn tcp_closed_port_is_refused_at_once() {
    let (verdict, took) = timed(&tcp(closed_tcp_port()), &ctx(Duration::from_secs(2))).await;
    assert_verdict(&verdict, Status::Down, "connection refused");
    assert!(took < Duration::from_millis(500), "took {took:?}");
}

#[tokio::test]
async fn tcp_blackholed_port_costs_one_timeout() {
    let hole = Blackhole::new();
    let (verdict, took) = timed(&tcp(hole.port), &ctx(Duration::from_secs(1))).await;
    assert_verdict(&verdict, Status::Down, "timed out after 1s");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(1500),
        "took {took:?}"
    );
}

#[tokio::test]
async fn tcp_container_target_uses_the_containers_address() {
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = Target::Container {
        service: "postgres".into(),
        port,
    };
    let mut ctx = ctx(Duration::from_secs(1));
    let (verdict, _) = timed(&check(ProbeKind::Tcp, target.clone()), &ctx).await;
    assert_verdict(&verdict, Status::Down, "container not running");
    // The test's "bridge address" is loopback: nothing here may aim anywhere else.
    ctx.container_ips.insert("postgres".into(), LOCALHOST);
    let (verdict, _) = timed(&check(ProbeKind::Tcp, target), &ctx).await;
    assert_eq!(verdict.status, Status::Healthy, "{verdict:?}");
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

#[tokio::test]
async fn tcp_public_port_bound_to_loopback_only_is_down_with_the_fix() {
    let ctx = Context {
        vantage: other_loopback_vantage(),
        ..ctx(Duration::from_secs(1))
    };
    let loopback_only = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = loopback_only.local_addr().unwrap().port();
    let public = |port| check(ProbeKind::Tcp, Target::Public { port });
    let (verdict, took) = timed(&public(port), &ctx).await;
    assert_verdict(
        &verdict,
        Status::Down,
        "listens on 127.0.0.1 only; clients cannot reach it: make test listen on 0.0.0.0",
    );
    assert!(took < Duration::from_millis(500), "took {took:?}");

    let everywhere = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    let port = everywhere.local_addr().unwrap().port();
    let (verdict, _) = timed(&public(port), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "accepting connections");

    let (verdict, _) = timed(&public(closed_tcp_port()), &ctx).await;
    assert_verdict(&verdict, Status::Down, "connection refused");

    // No public address at all: what 127.0.0.1 shows, never better than degraded.
    let nowhere = Context {
        vantage: Vantage {
            addresses: Vec::new(),
            how: "this host has no default route".into(),
        },
        ..ctx.clone()
    };
    let (verdict, _) = timed(&public(port), &nowhere).await;
    assert_verdict(&verdict, Status::Degraded, "no default route");
}

// --------------------------------------------------------------------------------------- HTTP

/// A tiny HTTP server: `/` answers 200 `OK`, `/not-ready` 406 `Not Ready` (as LiveKit does),
/// anything else 500.
fn http_server() -> u16 {
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&request);
            let path = line.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = match path {
                "/" => ("200 OK", "OK\n"),
                "/not-ready" => ("406 Not Acceptable", "Not Ready\n"),
                _ => ("500 Internal Server Error", "boom\n"),
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

#[tokio::test]
async fn http_status_codes_map_to_health() {
    let port = http_server();
    let ctx = ctx(Duration::from_secs(2));
    let (ok, _) = timed(&http(port, "/"), &ctx).await;
    assert_eq!(
        (ok.status, ok.message.as_str()),
        (Status::Healthy, "OK"),
        "{ok:?}"
    );
    assert!(ok.latency.is_some());
    let (not_ready, _) = timed(&http(port, "/not-ready"), &ctx).await;
    assert_eq!(
        (not_ready.status, not_ready.message.as_str()),
        (Status::Degraded, "Not Ready")
    );
    let (broken, _) = timed(&http(port, "/broken"), &ctx).await;
    assert_verdict(&broken, Status::Down, "HTTP 500");
    let (closed, _) = timed(&http(closed_tcp_port(), "/"), &ctx).await;
    assert_verdict(&closed, Status::Down, "connection refused");
}

#[tokio::test]
async fn http_silent_server_costs_one_timeout() {
    // Accepts (through the kernel's queue) but never answers.
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (verdict, took) = timed(&http(port, "/"), &ctx(Duration::from_secs(1))).await;
    assert_verdict(&verdict, Status::Down, "timed out after 1s");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

// --------------------------------------------------------------------------------------- STUN

#[tokio::test]
async fn stun_real_coturn_answers_a_binding() {
    common::require_tool("turnserver", "coturn");
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let mut coturn = Killed(
        Command::new("turnserver")
            .args([
                "-n",
                "--listening-ip=127.0.0.1",
                &format!("--listening-port={port}"),
                "--no-tls",
                "--no-dtls",
                "--log-file=stdout",
                "--simple-log",
                "--no-cli",
            ])
            // Its own pid file and user database, so parallel runs and CI share nothing.
            .arg(format!(
                "--pidfile={}",
                dir.path().join("turn.pid").display()
            ))
            .arg(format!("--userdb={}", dir.path().join("turndb").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ctx = ctx(Duration::from_secs(1));
    let verdict = wait_for(&stun(port), &ctx, &mut coturn, |o| {
        o.status == Status::Healthy
    })
    .await;
    assert_verdict(&verdict, Status::Healthy, "mapped address 127.0.0.1:");
    assert!(verdict.latency.is_some());

    // Judged as public at another address of this host, coturn (bound to 127.0.0.1 only)
    // does not answer, and the socket table says why.
    let public = Context {
        vantage: other_loopback_vantage(),
        ..ctx.clone()
    };
    let check = check(ProbeKind::Stun, Target::Public { port });
    let (verdict, _) = timed(&check, &public).await;
    assert_verdict(&verdict, Status::Down, "listens on 127.0.0.1 only");
}

#[tokio::test]
async fn stun_silent_socket_costs_one_timeout() {
    let silent = UdpSocket::bind((LOCALHOST, 0)).unwrap();
    let port = silent.local_addr().unwrap().port();
    let (verdict, took) = timed(&stun(port), &ctx(Duration::from_secs(1))).await;
    assert_verdict(&verdict, Status::Down, "no STUN answer");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(1500),
        "took {took:?}"
    );
}

#[tokio::test]
async fn stun_closed_port_is_refused_at_once() {
    let (verdict, took) = timed(&stun(free_udp_port()), &ctx(Duration::from_secs(2))).await;
    assert_verdict(&verdict, Status::Down, "no STUN answer");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[tokio::test]
async fn stun_retries_once_when_the_first_request_is_lost() {
    // A responder that drops the first request, as a lossy path would, and answers the second.
    let socket = UdpSocket::bind((LOCALHOST, 0)).unwrap();
    let port = socket.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        let _ = socket.recv_from(&mut buf);
        let (n, from) = socket.recv_from(&mut buf).unwrap();
        assert_eq!(n, 20, "a binding request is a bare header");
        let SocketAddr::V4(from) = from else {
            panic!("{from}")
        };
        let mut answer = vec![0x01, 0x01, 0x00, 0x0c];
        answer.extend_from_slice(&buf[4..20]);
        answer.extend_from_slice(&[0x00, 0x20, 0x00, 0x08, 0x00, 0x01]);
        answer.extend_from_slice(&(from.port() ^ 0x2112).to_be_bytes());
        let cookie = 0x2112_A442u32.to_be_bytes();
        answer.extend(from.ip().octets().iter().zip(cookie).map(|(a, c)| a ^ c));
        socket.send_to(&answer, from).unwrap();
    });
    let (verdict, took) = timed(&stun(port), &ctx(Duration::from_secs(1))).await;
    assert_verdict(&verdict, Status::Healthy, "mapped address 127.0.0.1:");
    assert!(
        took >= Duration::from_millis(450),
        "answered before any retry: {took:?}"
    );
}

// ---------------------------------------------------------------------------------------- TLS

/// Caddy with `tls internal`, all of its state in `dir`: `localhost` on one port, the IP site
/// `127.0.0.1` on another, its admin API (which serves the local CA) on `admin_port`.
fn caddy(dir: &Path, name_port: u16, ip_port: u16, admin_port: u16) -> Killed {
    common::require_tool("caddy", "caddy");
    let caddyfile = dir.join("Caddyfile");
    std::fs::write(
        &caddyfile,
        format!(
            "{{
	admin 127.0.0.1:{admin_port}
	skip_install_trust
	auto_https disable_redirects
	http_port {http}
	storage file_system {storage}
}}

https://localhost:{name_port} {{
	tls internal
	respond \"ok\"
}}

https://127.0.0.1:{ip_port} {{
	tls internal
	respond \"ok\"
}}
",
            http = closed_tcp_port(),
            storage = dir.join("storage").display(),
        ),
    )
    .unwrap();
    Killed(
        Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&caddyfile)
            .env("HOME", dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("caddy.log")).unwrap())
            .spawn()
            .unwrap(),
    )
}

#[tokio::test]
async fn tls_real_caddy_internal_certificates_are_trusted_as_the_deployments_own() {
    let dir = tempfile::tempdir().unwrap();
    let (name_port, ip_port) = two_closed_tcp_ports();
    let admin_port = closed_tcp_port();
    let mut server = caddy(dir.path(), name_port, ip_port, admin_port);
    let mut ctx = ctx(Duration::from_secs(2));
    ctx.own_ca = Some(SocketAddr::new(LOCALHOST, admin_port));

    let site = tls(name_port, Some("localhost"));
    let verdict = wait_for(&site, &ctx, &mut server, |o| o.status == Status::Healthy).await;
    assert_verdict(&verdict, Status::Healthy, "Caddy Local Authority");
    assert!(
        verdict.message.contains("this deployment's own CA"),
        "{verdict:?}"
    );
    assert!(verdict.message.contains("for localhost"), "{verdict:?}");
    // `tls internal` leaves live 12 hours, and are healthy for most of it: short-lived
    // certificates are judged against their own lifetime, not the 14 days of a 90-day one.
    assert!(verdict.message.contains("hours left"), "{verdict:?}");
    assert!(verdict.latency.is_some());

    // No SNI, as a browser sends for an IP site: Caddy picks the certificate by local address.
    let ip_site = tls(ip_port, None);
    let verdict = wait_for(&ip_site, &ctx, &mut server, |o| o.status != Status::Down).await;
    assert_verdict(&verdict, Status::Healthy, "for 127.0.0.1");

    // Without the deployment's CA, what a browser that never installed it sees.
    let (verdict, _) = timed(
        &site,
        &Context {
            own_ca: None,
            ..ctx.clone()
        },
    )
    .await;
    assert_verdict(&verdict, Status::Down, "which browsers do not trust");
    assert!(
        verdict.message.contains("Caddy Local Authority"),
        "{verdict:?}"
    );

    // The admin API gone: the certificate is untrusted, and the message says where the CA
    // was looked for.
    let gone = Context {
        own_ca: Some(SocketAddr::new(LOCALHOST, closed_tcp_port())),
        ..ctx.clone()
    };
    let (verdict, _) = timed(&site, &gone).await;
    assert_verdict(&verdict, Status::Down, "own CA could not be read");

    // A name Caddy does not serve: it aborts the handshake rather than show another site's
    // certificate.
    let (verdict, _) = timed(&tls(name_port, Some("wrong.localhost")), &ctx).await;
    assert_verdict(
        &verdict,
        Status::Down,
        "no certificate for wrong.localhost yet",
    );
}

/// `date -u` for a moment relative to now, in the form `openssl ca -startdate` takes.
fn openssl_date(relative: &str) -> String {
    let out = Command::new("date")
        .args(["-u", "-d", relative, "+%Y%m%d%H%M%SZ"])
        .output()
        .unwrap();
    assert!(out.status.success(), "date -d {relative:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A self-signed certificate for `localhost` issued 60 days ago and expiring in 3 days: a
/// long-lived certificate whose renewal has been failing. (`openssl ca`, because `req -x509`
/// cannot backdate in OpenSSL 3.0.)
fn expiring_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = test\n\n[test]\ndatabase = index.txt\nnew_certs_dir = .\n\
         serial = serial\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\n\n\
         [any]\ncommonName = supplied\norganizationName = optional\n",
    )
    .unwrap();
    run(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=localhost/O=Selkie Test",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "req.csr",
    ]);
    let (start, end) = (openssl_date("60 days ago"), openssl_date("3 days"));
    run(&[
        "ca",
        "-batch",
        "-notext",
        "-config",
        "ca.cnf",
        "-selfsign",
        "-keyfile",
        "key.pem",
        "-in",
        "req.csr",
        "-out",
        "cert.pem",
        "-startdate",
        &start,
        "-enddate",
        &end,
    ]);
    (dir.join("key.pem"), dir.join("cert.pem"))
}

#[tokio::test]
async fn tls_certificate_expiring_soon_is_degraded() {
    common::require_tool("openssl", "openssl");
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = expiring_certificate(dir.path());
    let port = closed_tcp_port();
    let mut server = Killed(
        Command::new("openssl")
            .args(["s_server", "-www", "-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Untrusted first: a self-signed certificate is what no browser accepts.
    let untrusted = ctx(Duration::from_secs(2));
    let check = tls(port, Some("localhost"));
    let verdict = wait_for(&check, &untrusted, &mut server, |o| {
        o.message.contains("issued by")
    })
    .await;
    assert_verdict(&verdict, Status::Down, "which browsers do not trust");
    // Then with the certificate as a trusted root, as a lab CA given through SSL_CERT_FILE is.
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&cert).unwrap();
    let der = rustls::pki_types::pem::PemObject::from_pem_slice(&pem).unwrap();
    roots.add(der).unwrap();
    let ctx = Context {
        roots: std::sync::Arc::new(roots),
        ..ctx(Duration::from_secs(2))
    };
    let (verdict, _) = timed(&check, &ctx).await;
    assert_eq!(verdict.status, Status::Degraded, "{verdict:?}");
    // Three days from now, minus the moments since: 2 whole days (3 if the second ticks over).
    assert!(
        verdict.message.contains("expires in 2 days")
            || verdict.message.contains("expires in 3 days"),
        "{verdict:?}"
    );
    assert!(verdict.message.contains("Selkie Test"), "{verdict:?}");

    // The same certificate asked for a name it lacks: served, but not for this site, which a
    // browser refuses.
    let (verdict, _) = timed(&tls(port, Some("lk.localhost")), &ctx).await;
    assert_verdict(&verdict, Status::Down, "does not cover lk.localhost");
}

#[tokio::test]
async fn tls_on_a_plain_tcp_port_is_a_handshake_failure() {
    // What a plain HTTP server does with a ClientHello: a 400 and a close.
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n");
        }
    });
    let ctx = ctx(Duration::from_secs(2));
    let (verdict, _) = timed(&tls(port, Some("localhost")), &ctx).await;
    assert_verdict(&verdict, Status::Down, "does not speak TLS");

    let (verdict, _) = timed(&tls(closed_tcp_port(), Some("localhost")), &ctx).await;
    assert_verdict(&verdict, Status::Down, "connection refused");

    let hole = Blackhole::new();
    let (verdict, took) = timed(&tls(hole.port, Some("localhost")), &ctx).await;
    assert_verdict(&verdict, Status::Down, "timed out after 2s");
    assert!(took < Duration::from_millis(2500), "took {took:?}");
}

// ---------------------------------------------------------------------------------- UDP bound

/// A /proc tree whose net/udp lists these (port, state) sockets; udp6 is empty.
fn fake_proc(sockets: &[(u16, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("net")).unwrap();
    let mut udp = String::from(
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n",
    );
    for (i, (port, state)) in sockets.iter().enumerate() {
        udp.push_str(&format!(
            "  {i}: 00000000:{port:04X} 00000000:0000 {state} 00000000:00000000 00:00000000 00000000     0        0 {} 2 0000000000000000 0\n",
            1000 + i
        ));
    }
    std::fs::write(dir.path().join("net/udp"), udp).unwrap();
    std::fs::write(
        dir.path().join("net/udp6"),
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n",
    )
    .unwrap();
    dir
}

fn proc_ctx(dir: &Path) -> Context {
    Context {
        proc_dir: dir.to_path_buf(),
        ..ctx(Duration::from_secs(1))
    }
}

#[tokio::test]
async fn udp_bound_reads_the_socket_tables() {
    // 3478 bound; 50001 connected (an outgoing client, not a service); 50005 bound.
    let proc = fake_proc(&[(3478, "07"), (50001, "01"), (50005, "07")]);
    let ctx = proc_ctx(proc.path());
    let (verdict, _) = timed(&udp_range(3478, 3478), &ctx).await;
    assert_eq!(verdict.status, Status::Healthy, "{verdict:?}");
    let (verdict, _) = timed(&udp_range(7881, 7881), &ctx).await;
    assert_verdict(&verdict, Status::Down, "nothing is bound on 7881/udp");
    let (verdict, _) = timed(&udp_range(50000, 50099), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "1 of 100 ports in use");
    let (verdict, _) = timed(&udp_range(60000, 60099), &ctx).await;
    assert_verdict(
        &verdict,
        Status::Unknown,
        "idle: LiveKit binds these per connection",
    );

    let empty = tempfile::tempdir().unwrap();
    let (verdict, _) = timed(&udp_range(3478, 3478), &proc_ctx(empty.path())).await;
    assert_verdict(&verdict, Status::Unknown, "cannot read");
}

#[tokio::test]
async fn udp_public_ports_bound_to_loopback_only_are_down() {
    let dir = fake_proc(&[(3478, "07")]);
    // 3479 and a range port on 127.0.0.1 only; 50010 on ::1 and on the wildcard.
    let v4 = "\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  0: 0100007F:0D97 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0
  1: 0100007F:C351 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2 2 0000000000000000 0
";
    let v6 = "\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  0: 00000000000000000000000001000000:C35A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0000000000000000 0
  1: 00000000000000000000000000000000:C35A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4 2 0000000000000000 0
";
    std::fs::write(dir.path().join("net/udp"), v4).unwrap();
    std::fs::write(dir.path().join("net/udp6"), v6).unwrap();
    let ctx = Context {
        vantage: Vantage {
            addresses: vec!["203.0.113.7".parse().unwrap()],
            how: "a test address".into(),
        },
        ..proc_ctx(dir.path())
    };
    let public = |port, end| {
        check(
            ProbeKind::UdpBound,
            Target::HostRange {
                port,
                end,
                public: true,
            },
        )
    };
    let (verdict, _) = timed(&public(3479, 3479), &ctx).await;
    assert_verdict(
        &verdict,
        Status::Down,
        "bound on 127.0.0.1 only; clients cannot reach it: make test bind 0.0.0.0 (or 203.0.113.7)",
    );
    let (verdict, _) = timed(&public(50000, 50009), &ctx).await;
    assert_verdict(
        &verdict,
        Status::Down,
        "1 of 10 ports bound on 127.0.0.1 only",
    );
    let (verdict, _) = timed(&public(50000, 50019), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "1 of 20 ports in use");
    // On loopback exposure the same socket is exactly what was planned.
    let (verdict, _) = timed(&udp_range(3479, 3479), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "bound");
}

#[tokio::test]
async fn udp_bound_sees_a_real_socket_in_proc() {
    let socket = UdpSocket::bind((LOCALHOST, 0)).unwrap();
    let port = socket.local_addr().unwrap().port();
    let (verdict, _) = timed(&udp_range(port, port), &ctx(Duration::from_secs(1))).await;
    assert_eq!(verdict.status, Status::Healthy, "{verdict:?}");
    drop(socket);
    let (verdict, _) = timed(&udp_range(port, port), &ctx(Duration::from_secs(1))).await;
    assert_verdict(&verdict, Status::Down, "nothing is bound");
}

// ---------------------------------------------------------------------------------------- DNS

#[tokio::test]
async fn dns_resolves_local_names_only() {
    let ctx = ctx(Duration::from_secs(3));
    let (verdict, _) = timed(&dns("localhost", None), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "127.0.0.1");
    let (verdict, _) = timed(&dns("localhost", Some(LOCALHOST)), &ctx).await;
    assert_verdict(&verdict, Status::Healthy, "resolves to");
    // A documentation address (RFC 5737): only compared with, never contacted.
    let elsewhere: IpAddr = "192.0.2.1".parse().unwrap();
    let (verdict, _) = timed(&dns("localhost", Some(elsewhere)), &ctx).await;
    assert_verdict(&verdict, Status::Degraded, "not 192.0.2.1");
    assert!(verdict.message.contains("127.0.0.1"), "{verdict:?}");
    // `.invalid` never resolves (RFC 2606); offline, the answer may also be a timeout.
    let (verdict, _) = timed(&dns("nothing.invalid", None), &ctx).await;
    assert_verdict(&verdict, Status::Down, "certificates will fail until it");
}

// ------------------------------------------------------------------------------------ run_all

#[tokio::test]
async fn run_all_probes_concurrently() {
    let holes = [Blackhole::new(), Blackhole::new(), Blackhole::new()];
    let live = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let mut checks: Vec<Check> = holes.iter().map(|h| tcp(h.port)).collect();
    checks.push(tcp(live.local_addr().unwrap().port()));
    let started = Instant::now();
    let results = probes::run_all(&checks, &ctx(Duration::from_secs(1))).await;
    let took = started.elapsed();
    println!("run_all: 3 blackholed + 1 live TCP check, timeout 1s, took {took:?}");
    let statuses: Vec<Status> = results.iter().map(|r| r.verdict.status).collect();
    assert_eq!(
        statuses,
        [Status::Down, Status::Down, Status::Down, Status::Healthy]
    );
    assert_eq!(
        results[3].check, checks[3],
        "results keep the order of the checks"
    );
    // In sequence the dead ones alone would take 3 s; concurrently about one timeout.
    assert!(took >= Duration::from_millis(900), "took {took:?}");
    assert!(
        took < Duration::from_secs(2),
        "took {took:?}: probes ran one after another"
    );
}
