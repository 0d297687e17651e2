//! Health judged from where a client stands, for real: a server namespace with its own interface
//! and default route (a veth to a second namespace), listeners bound to 127.0.0.1 or to every
//! address, and the probes run inside it through the library. Needs root and `ip` (iproute2); as
//! root (CI) every test runs and fails, never skips, when a tool is missing. Nothing here touches
//! the machine's own network: both namespaces are made and removed by the test.
//!
//! The TLS test trusts a lab CA given through SSL_CERT_FILE, as the lab does: every test of this
//! binary sets it (once, before any probe reads the system's roots).

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use selkie::answers::ProxyMode;
use selkie::health::probes::{self, Context};
use selkie::health::{self, vantage, Check, ProbeKind, Status, Target};

/// The server's address on its veth; the other end (10.77.0.1) is its default gateway.
const SERVER: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);

/// Fails the test unless this process runs as root (network namespaces need it).
fn require_root() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    assert!(
        root,
        "network namespaces need root: run `sudo -E cargo test`"
    );
}

/// Two namespaces joined by a veth: `server` (10.77.0.2, default route via 10.77.0.1) and
/// `peer`. Deleted when dropped.
struct Lab {
    server: String,
    peer: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("ip {args:?}: {e}"));
    assert!(
        out.status.success(),
        "ip {args:?} failed (these tests need root and network namespaces): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Lab {
    fn new(tag: &str) -> Lab {
        common::require_tool("ip", "iproute2");
        let server = format!("selkie-health-{}-{tag}-s", std::process::id());
        let peer = format!("selkie-health-{}-{tag}-p", std::process::id());
        ip(&["netns", "add", &server]);
        let lab = Lab {
            server: server.clone(),
            peer: peer.clone(),
        };
        ip(&["netns", "add", &peer]);
        // Made inside the server namespace, so the machine's own network never holds it.
        ip(&[
            "-n", &server, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns",
            &peer,
        ]);
        for (ns, addr) in [(&server, "10.77.0.2/24"), (&peer, "10.77.0.1/24")] {
            ip(&["-n", ns, "addr", "add", addr, "dev", "eth0"]);
            ip(&["-n", ns, "link", "set", "eth0", "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        ip(&["-n", &server, "route", "add", "default", "via", "10.77.0.1"]);
        lab
    }

    /// Run `f` on a thread that lives in the server namespace, with a runtime of its own, and
    /// a /proc view (`proc_dir`) of that thread's network.
    fn in_server<T: Send + 'static>(&self, f: impl FnOnce(PathBuf) -> T + Send + 'static) -> T {
        let path = format!("/var/run/netns/{}", self.server);
        std::thread::spawn(move || {
            let ns = std::fs::File::open(&path).unwrap();
            // Only this thread moves: setns(2) on a thread changes that thread alone.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            // /proc/self/net is the main thread's network; this thread's is under its task.
            let tid = unsafe { libc::gettid() };
            f(PathBuf::from(format!("/proc/self/task/{tid}")))
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [&self.server, &self.peer] {
            let _ = Command::new("ip").args(["netns", "delete", ns]).status();
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The lab CA, written to a file that SSL_CERT_FILE names before any probe reads the roots.
struct LabCa {
    issuer: Issuer<'static, KeyPair>,
    _dir: tempfile::TempDir,
}

fn lab_ca() -> &'static LabCa {
    static CA: OnceLock<LabCa> = OnceLock::new();
    CA.get_or_init(|| {
        let (issuer, pem) = ca("Selkie Lab CA");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lab-ca.pem");
        std::fs::write(&file, pem).unwrap();
        // Set once, first thing in every test, before anything reads the roots.
        std::env::set_var("SSL_CERT_FILE", &file);
        LabCa { issuer, _dir: dir }
    })
}

/// A CA of this name, and its certificate as PEM.
fn ca(name: &str) -> (Issuer<'static, KeyPair>, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).unwrap();
    (Issuer::new(params, key), cert.pem())
}

/// A TLS server on `addr` for `name`, its certificate signed by `issuer`, answering until the
/// runtime ends.
async fn tls_server(addr: SocketAddr, name: &str, issuer: &Issuer<'_, KeyPair>) -> u16 {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![name.to_string()])
        .unwrap()
        .signed_by(&key, issuer)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(cert.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(stream).await;
            });
        }
    });
    port
}

fn check(kind: ProbeKind, target: Target) -> Check {
    Check {
        label: "test".into(),
        kind,
        target,
        service: "caddy".into(),
        exposure: None,
        required: true,
        purpose: "test".into(),
        path: None,
    }
}

#[test]
fn the_vantage_is_the_default_routes_interface_unless_the_host_holds_the_plans_address() {
    lab_ca();
    require_root();
    let lab = Lab::new("vantage");
    let (behind_nat, held) = lab.in_server(|_| {
        (
            vantage::for_addresses(&["203.0.113.7".parse().unwrap()]),
            vantage::for_addresses(&[IpAddr::V4(SERVER)]),
        )
    });
    assert_eq!(behind_nat.addresses, vec![IpAddr::V4(SERVER)]);
    assert_eq!(behind_nat.how, "the default route's interface address");
    assert_eq!(held.addresses, vec![IpAddr::V4(SERVER)]);
    assert_eq!(held.how, "the plan's address");
}

#[test]
fn a_public_port_on_loopback_only_is_down_and_one_on_every_address_is_healthy() {
    lab_ca();
    require_root();
    let lab = Lab::new("ports");
    let preset = selkie::preset::find("livekit").unwrap();
    let answers = common::answers(&preset, ProxyMode::Caddy, false);
    let plan = selkie::plan::build(&answers, &preset, &selkie::host::HostFacts::default()).unwrap();
    let snapshot = lab.in_server(move |proc_dir| {
        runtime().block_on(async move {
            // 80 on every address, as Caddy binds it; 7881 (LiveKit's TCP fallback) and TURN's
            // 3478/udp on 127.0.0.1 only, which clients cannot reach.
            let _http = tokio::net::TcpListener::bind((Ipv4Addr::UNSPECIFIED, 80))
                .await
                .unwrap();
            let _tcp = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 7881))
                .await
                .unwrap();
            let _turn = tokio::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 3478))
                .await
                .unwrap();
            health::collect(
                &plan,
                Err("no Docker in this test"),
                proc_dir,
                Duration::from_secs(1),
                health::Stats::Skip,
            )
            .await
        })
    });
    assert_eq!(snapshot.judged_from.addresses, vec![IpAddr::V4(SERVER)]);
    let verdict = |label: &str| {
        snapshot
            .checks
            .iter()
            .find(|c| c.check.label == label)
            .unwrap_or_else(|| panic!("no {label} in {:#?}", snapshot.checks))
            .verdict
            .clone()
    };
    let http = verdict("80/tcp");
    assert_eq!(http.status, Status::Healthy, "{http:?}");
    let tcp = verdict("7881/tcp");
    assert_eq!(tcp.status, Status::Down, "{tcp:?}");
    assert_eq!(
        tcp.message,
        "listens on 127.0.0.1 only; clients cannot reach it: make livekit listen on 0.0.0.0 \
         (or 10.77.0.2)"
    );
    let turn = verdict("3478/udp");
    assert_eq!(turn.status, Status::Down, "{turn:?}");
    assert!(
        turn.message.starts_with("listens on 127.0.0.1 only"),
        "{turn:?}"
    );
    // The plan's address is not this namespace's, so LiveKit's node_ip is what the plan says.
    let node_ip = verdict("node_ip");
    assert_eq!(node_ip.status, Status::Healthy, "{node_ip:?}");
    assert_eq!(snapshot.overall(), Status::Down);
}

#[test]
fn tls_from_a_ca_given_through_ssl_cert_file_is_trusted_and_another_is_not() {
    let lab_ca = lab_ca();
    require_root();
    let lab = Lab::new("tls");
    let results = lab.in_server(move |proc_dir| {
        runtime().block_on(async move {
            let everywhere = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
            let trusted = tls_server(everywhere, "lk.example.test", &lab_ca.issuer).await;
            let (stranger, _) = ca("Stranger CA");
            let untrusted = tls_server(everywhere, "lk.example.test", &stranger).await;
            let loopback = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
            let hidden = tls_server(loopback, "lk.example.test", &lab_ca.issuer).await;
            let ctx = Context {
                proc_dir,
                vantage: vantage::for_addresses(&[]),
                ..Context::new(Duration::from_secs(2))
            };
            let tls = |port| {
                check(
                    ProbeKind::Tls,
                    Target::Tls {
                        port,
                        server_name: Some("lk.example.test".into()),
                        ip: None,
                        public: true,
                    },
                )
            };
            let mut out = Vec::new();
            for port in [trusted, untrusted, hidden] {
                out.push(probes::run(&tls(port), &ctx).await);
            }
            out
        })
    });
    let [trusted, untrusted, hidden] = results.try_into().unwrap();
    assert_eq!(trusted.status, Status::Healthy, "{trusted:?}");
    assert!(
        trusted
            .message
            .contains("issued by Selkie Lab CA, for lk.example.test"),
        "{trusted:?}"
    );
    assert_eq!(untrusted.status, Status::Down, "{untrusted:?}");
    assert!(
        untrusted
            .message
            .starts_with("issued by Stranger CA, which browsers do not trust: "),
        "{untrusted:?}"
    );
    assert_eq!(hidden.status, Status::Down, "{hidden:?}");
    assert!(
        hidden.message.starts_with("listens on 127.0.0.1 only"),
        "{hidden:?}"
    );
}
