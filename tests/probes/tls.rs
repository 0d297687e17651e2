//! The TLS probe: Caddy's internal CA, an expiring certificate from `openssl s_server`, a
//! plain TCP port.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use selkie::health::probes::Context;
use selkie::health::{Cause, Status};

use super::blackhole::Blackhole;
use super::{
    assert_verdict, closed_tcp_port, common, ctx, timed, tls, two_closed_tcp_ports, wait_for,
    Killed, LOCALHOST,
};

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
    assert_eq!(verdict.cause, Some(Cause::NoCertificate), "{verdict:?}");
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
