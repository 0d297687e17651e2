//! `selkie check` in the lab: against the real LiveKit set up by selkie, from the server (its own
//! token, the plan's paths and fixes) and from the client namespace (`--url/--token`, the outside
//! view). Rules in the server's firewall close one path at a time; a rule on the link (which the
//! server cannot see) stands in for a cloud firewall. Bad tokens, a URL that is not LiveKit and an
//! untrusted certificate each end in a clear error and exit 1.
//!
//! Needs what tests/lab.rs needs (root, the images of tests/images/build.sh, iproute2, nftables,
//! curl, openssl, docker.io); fails (never skips) without them.

mod lab {
    #[allow(dead_code)]
    pub mod acme;
    #[allow(dead_code)]
    pub mod client;
    pub mod harness;
    #[allow(dead_code)]
    pub mod net;
    pub mod tools;
}

#[path = "lab/check/outside.rs"]
mod outside;
#[path = "common/run.rs"]
mod run;
#[path = "health/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use lab::harness::*;
use lab::net;
use net::{Lab, SERVER_IP};
use outside::{bad_inputs, outside_view};
use serde_json::Value;

/// `selkie check --json ARGS` in a namespace, trusting `ca` (or nothing but the system's roots).
fn check(lab: &Lab, on_server: bool, args: &[&str], ca: Option<&Path>) -> (i32, Value, Duration) {
    let mut cmd = if on_server {
        lab.on_server(run::BIN)
    } else {
        lab.on_client(run::BIN)
    };
    cmd.arg("check")
        .arg("--json")
        .args(args)
        .env_remove("SELKIE_DIR");
    match ca {
        Some(ca) => cmd.env("SSL_CERT_FILE", ca),
        None => cmd.env_remove("SSL_CERT_FILE"),
    };
    let started = Instant::now();
    let out: Output = cmd.output().expect("run selkie check");
    let took = started.elapsed();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "selkie check printed no JSON ({e}, {}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "selkie check panicked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), json, took)
}

fn on_server(lab: &Lab, dir: &Path, ca: Option<&Path>) -> (i32, Value, Duration) {
    check(lab, true, &["--dir", dir.to_str().unwrap()], ca)
}

/// The path of `transport` in a report.
fn path<'a>(report: &'a Value, transport: &str) -> &'a Value {
    report["paths"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["transport"] == transport))
        .unwrap_or_else(|| panic!("no {transport} path in {report:#}"))
}

fn assert_ok(report: &Value, transport: &str) {
    let p = path(report, transport);
    assert_eq!(p["status"], "ok", "{transport} works: {report:#}");
    assert!(
        p["rtt_ms"].as_f64().is_some(),
        "{transport} has a round-trip time: {p}"
    );
}

/// Every planned path connects from the server, within the promised 10 s.
fn assert_all_ok(lab: &Lab, dir: &Path, ca: Option<&Path>, transports: &[&str]) {
    let (code, report, took) = on_server(lab, dir, ca);
    eprintln!("selkie check from the server ({took:?}): {report:#}");
    assert_eq!(code, 0, "check from the server: {report:#}");
    for t in transports {
        assert_ok(&report, t);
    }
    // How long it took is a figure (benches/check.rs), not a pass condition here.
    assert_eq!(report["from_server"], true);
    assert!(report["unseen"]
        .as_str()
        .unwrap()
        .contains("cloud firewall"));
}

/// A join token for `--url`, from `selkie token --raw` on the server.
fn token(lab: &Lab, dir: &Path) -> String {
    let out = selkie(lab, &["token", "--raw", "--dir", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "selkie token: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The livekit preset behind Caddy with a Pebble certificate: every path from the server; then a
/// server firewall rule closes UDP, then 7881; the outside view with a link rule the server
/// cannot see; 443 closed; bad tokens, a URL that is not LiveKit, an untrusted certificate.
#[test]
fn caddy_domain_paths_from_both_sides() {
    let _one = one_lab();
    let (lab, dir, root, url, _pebble) = caddy_domain();
    assert_all_ok(&lab, &dir, Some(&root), &["udp", "tcp", "turn_udp"]);

    lab.block_on_server(&["udp dport 50000-50119"]);
    let (code, report, took) = on_server(&lab, &dir, Some(&root));
    assert_eq!(code, 1, "{report:#}");
    let udp = path(&report, "udp");
    assert_eq!(udp["status"], "failed", "{report:#}");
    assert!(
        udp["fix"]
            .as_str()
            .unwrap()
            .contains("open 50000-50119/udp"),
        "{udp}"
    );
    assert_ok(&report, "tcp");
    assert!(
        took < Duration::from_secs(45),
        "never hangs on dead paths (one ICE timeout, 7 s, in benches/check.rs): {took:?}"
    );

    lab.block_on_server(&["tcp dport 7881"]);
    let (code, report, _) = on_server(&lab, &dir, Some(&root));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(path(&report, "tcp")["status"], "failed", "{report:#}");
    assert!(path(&report, "tcp")["fix"]
        .as_str()
        .unwrap()
        .contains("7881/tcp"));
    assert_ok(&report, "udp");
    lab.unblock_on_server();

    outside_view(&lab, &dir, &root, &url);
    bad_inputs(&lab, &dir, &root, &url);
}

/// A bare IP behind Caddy (`tls internal`): the check trusts the deployment's own CA from
/// Caddy's admin API, with nothing but the system's roots in SSL_CERT_FILE.
#[test]
fn ip_behind_caddy_trusts_its_own_ca() {
    let _one = one_lab();
    // `--ip-cert internal`: the deployment's own CA (a public six-day certificate is the default).
    let (lab, dir) = at_ip("check-caddy-ip", "caddy", &["--ip-cert", "internal"]);
    let started = Instant::now();
    loop {
        let (code, report, _) = on_server(&lab, &dir, None);
        if code == 0 {
            assert_ok(&report, "udp");
            assert_ok(&report, "tcp");
            assert_ok(&report, "turn_udp");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never passed: {report:#}"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
    assert_all_ok(&lab, &dir, None, &["udp", "tcp", "turn_udp"]);
}

/// Layer-4 routing: every path connects from the server, TURN/TLS on 443 included. From the
/// outside, on a network that lets only HTTPS out (UDP and 7881 dropped on the link), TURN/TLS
/// alone still gets through, its relay on the server.
#[test]
fn layer4_every_path_and_turn_tls_alone_through_an_https_only_network() {
    let _one = one_lab();
    let (lab, dir, root, url, _pebble) = layer4_domain();
    assert_all_ok(
        &lab,
        &dir,
        Some(&root),
        &["udp", "tcp", "turn_udp", "turn_tls"],
    );
    let t = token(&lab, &dir);
    lab.block_on_link(&["meta l4proto udp", "tcp dport 7881"]);
    let (code, report, _) = check(&lab, false, &["--url", &url, "--token", &t], Some(&root));
    assert_eq!(code, 1, "UDP and ICE/TCP are required: {report:#}");
    assert_ok(&report, "turn_tls");
    for blocked in ["udp", "tcp", "turn_udp"] {
        assert_eq!(path(&report, blocked)["status"], "failed", "{report:#}");
    }
    let local = path(&report, "turn_tls")["local"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        local.starts_with(&format!("{SERVER_IP}:")),
        "TURN/TLS relayed on the server: {report:#}"
    );
}

/// `external`: Debian's real nginx runs selkie's snippet in front of LiveKit; every planned
/// path connects through it.
#[test]
fn external_nginx_paths() {
    let _one = one_lab();
    let (lab, dir) = at_ip("check-external", "external", &[]);
    let ca = nginx_with_snippet(&lab, &dir);
    assert_all_ok(&lab, &dir, Some(&ca), &["udp", "tcp", "turn_udp"]);
    stop_nginx(&lab);
}

/// The dashboard's `c` key, in tmux, against the real LiveKit: its worker runs the same check
/// and the screen shows every path working.
fn dashboard_check(lab: &Lab, dir: &Path) {
    let command = format!(
        "ip netns exec {} env LANG=C.UTF-8 DOCKER_HOST={} '{}' status --dir '{}' --interval 2",
        lab.server,
        lab.docker_host(),
        run::BIN,
        dir.display()
    );
    let tmux = tmux::Tmux::start(&command);
    tmux.wait("the dashboard", Duration::from_secs(30), |s| {
        s.contains("Ports and checks")
    });
    tmux.keys(&["c"]);
    let (screen, took) = tmux.wait("the media check's result", Duration::from_secs(30), |s| {
        s.contains("media check:")
    });
    eprintln!("the dashboard's media check after {took:?}:\n{screen}");
    assert!(
        screen.contains("media: UDP ok") && screen.contains("every required path works"),
        "{screen}"
    );
    tmux.keys(&["q"]);
}

/// No proxy: signalling on ws:// at 7880, media as planned; setup itself ends with the check
/// after a change, and runs none when nothing changed.
#[test]
fn no_proxy_plain_websocket() {
    let _one = one_lab();
    let (lab, dir) = at_ip("check-none", "none", &[]);
    assert_all_ok(&lab, &dir, None, &["udp", "tcp", "turn_udp"]);
    dashboard_check(&lab, &dir);
    // A change (LiveKit recreated for a larger range): setup ends with the check.
    let stdout = resume(&lab, &dir, &["--participants", "60"]);
    assert!(
        stdout.contains("Media paths, joined as a browser would")
            && stdout.contains("every required path works"),
        "setup ends with the check: {stdout}"
    );
    // Nothing changed: no check, and it says how to run one.
    let stdout = resume(&lab, &dir, &[]);
    assert!(
        !stdout.contains("Media paths, joined as a browser would")
            && stdout.contains("Nothing changed, so no media check ran"),
        "a no-op runs no check: {stdout}"
    );
}

/// Usage errors need no lab: `--url` without `--token`, a TTL out of range; exit 2 with a hint.
#[test]
fn usage_errors_exit_2_with_a_hint() {
    let out = run::output(
        &["check", "--url", "wss://meet.example.org"],
        &["SELKIE_DIR"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--url and --token go together") && err.contains("hint:"),
        "{err}"
    );
    let out = run::output(
        &["token", "--ttl", "2d", "--dir", "/nonexistent"],
        &["SELKIE_DIR"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown unit"));
}
