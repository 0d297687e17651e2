//! The lab: selkie sets up the real stack (real LiveKit, real Caddy and Caddy with layer 4, a real
//! ACME CA) in a server namespace with a Docker daemon of its own; a real WebRTC client joins from
//! a client namespace over a veth link, as a laptop reaches a VPS, and media flows. A link rule
//! can drop a path; the test asserts which path carried the media.
//!
//! Needs root, the images and client of tests/images/build.sh, iproute2, nftables, curl,
//! openssl and docker.io; fails (never skips) without them. The scenarios share one lab at a
//! time (they run one after another).

mod lab {
    pub mod acme;
    pub mod client;
    pub mod harness;
    pub mod helper;
    pub mod net;
    pub mod tools;
}

#[path = "lab/host_firewalls.rs"]
mod host_firewalls;
#[path = "lab/livekit_configs.rs"]
mod livekit_configs;
#[path = "common/run.rs"]
mod run;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lab::harness::*;
use lab::helper::{self, Helper};
use lab::{client, net};
use net::{Lab, SERVER_IP};

/// Scenarios 1 and 2: the livekit preset with a domain behind Caddy, certificate from Pebble.
/// All paths open: media on UDP inside the planned range. UDP dropped on the link: media over
/// ICE/TCP on 7881.
#[test]
fn domain_behind_caddy_media_over_udp_then_tcp() {
    let _one = one_lab();
    let (lab, dir, root, url, _pebble) = caddy_domain();
    assert_eq!(url, "wss://meet.lab.test");
    assert_eq!(livekit_root(&lab), "OK", "LiveKit's GET / on 7880");
    // sshd's port, which status checks like any public port (no sshd runs in the lab).
    let _ssh = decoys(&lab, &[("0.0.0.0", 22)]);

    let joined = client::join(&lab, &dir, &url, Some(&root), false);
    joined.assert_media_via(
        "udp",
        50000..=50119,
        "media over UDP, on a server port inside the planned 50000-50119",
    );

    // selkie's own view agrees: everything healthy, judged at the public address with the
    // certificate verified; a port closed on the server turns exactly its check down.
    let healthy = status_json(&lab, &dir, &root);
    let bad: Vec<String> = failing_checks(&healthy);
    assert!(
        bad.is_empty(),
        "status against the real stack: {bad:?}\n{healthy:#}"
    );
    lab.block_on_server(&["tcp dport 7881"]);
    let blocked = status_json(&lab, &dir, &root);
    assert_eq!(
        failing_checks(&blocked),
        vec!["7881/tcp".to_string()],
        "only the blocked port is down: {blocked:#}"
    );
    lab.unblock_on_server();

    lab.block_on_link(&["meta l4proto udp"]);
    let joined = client::join(&lab, &dir, &url, Some(&root), false);
    joined.assert_media_via(
        "tcp",
        7881..=7881,
        "with UDP blocked, media goes over ICE/TCP 7881",
    );
}

/// Scenario 3: caddy-l4 (LiveKit and TURN/TLS behind layer-4 SNI routing on 443). A real client
/// joins with media on UDP; then, with UDP and 7881 dropped on the link, TURN/TLS on 443 carries
/// bytes: the `turns:` URL and credentials from LiveKit's own join response, TLS with the TURN
/// name as SNI and the certificate verified, a relay allocated, data to a peer and back.
/// Then media through that relay to a relay-only subscriber. (libwebrtc's TURN client, in
/// LiveKit's SDKs, trusts only its built-in public roots, so with the lab's private CA the
/// subscriber is aiortc, tests/lab/relay_subscriber.py; tests/lab/turn_tls.py speaks TURN.)
#[test]
fn layer4_routes_signalling_and_turn_tls_on_443() {
    let _one = one_lab();
    let (lab, dir, root, url, _pebble) = layer4_domain();
    let joined = client::join(&lab, &dir, &url, Some(&root), false);
    joined.assert_media_via("udp", .., "media over UDP");

    lab.block_on_link(&["meta l4proto udp", "tcp dport 7881"]);
    // The relay's peer: a UDP echo on the server (LiveKit's TURN relays to public addresses).
    let _echo = udp_echo(&lab, SERVER_IP, 3490);
    let relayed = client::turn_tls(&lab, &dir, &url, &root, &format!("{SERVER_IP}:3490"));
    assert!(relayed.get("error").is_none(), "TURN/TLS on 443: {relayed}");
    assert_eq!(
        relayed["url"], "turns:turn.meet.lab.test:443?transport=tcp",
        "{relayed}"
    );
    assert_eq!(relayed["certificate_verified"], true, "{relayed}");
    // The proxy dials TURN on the host's own address: a loopback mapped address makes browsers
    // such as Firefox abandon the allocation.
    let mapped = relayed["mapped"].as_str().unwrap_or_default();
    let mapped_ip: std::net::IpAddr = mapped
        .rsplit_once(':')
        .and_then(|(ip, _)| ip.parse().ok())
        .unwrap_or_else(|| panic!("TURN reported no mapped address: {relayed}"));
    assert!(
        !mapped_ip.is_loopback(),
        "TURN saw the client at a loopback address: {relayed}"
    );
    assert_eq!(
        relayed["echoed"], true,
        "bytes came back through the relay: {relayed}"
    );

    // Media through TURN/TLS on 443, with UDP and 7881 still dropped: a participant publishes
    // from the server's own namespace, and a relay-only subscriber behind the blocked link
    // (aiortc, a second real WebRTC stack, whose TURN client trusts the lab's CA) receives it.
    let _publisher = client::ServerPublisher::start(&lab, &dir, "ws://127.0.0.1:7880");
    let media = client::relay_subscriber(&lab, &dir, &url, &root);
    assert!(media.get("error").is_none(), "relay subscriber: {media}");
    assert_eq!(
        media["ice_servers"][0], "turns:turn.meet.lab.test:443?transport=tcp",
        "{media}"
    );
    assert_eq!(media["pair"]["local"]["type"], "relay", "{media}");
    for kind in ["audio", "video"] {
        let frames = media["received"][kind].as_u64().unwrap_or(0);
        assert!(frames >= 10, "{kind} frames through TURN/TLS: {media}");
    }
}

/// A UDP echo in the server namespace (test scaffolding: the TURN relay's peer).
fn udp_echo(lab: &Lab, ip: &str, port: u16) -> Helper {
    let script = format!(
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         s.bind(('{ip}', {port}))\nprint('listening', flush=True)\n\
         while True:\n    data, peer = s.recvfrom(2048)\n    s.sendto(data, peer)\n"
    );
    let mut cmd = lab.on_server("python3");
    cmd.args(["-c", &script]);
    Helper::start(cmd, "listening", "the UDP echo")
}

/// Caddy's own root for `tls internal` (IP mode), from its data volume.
fn caddy_internal_root(lab: &Lab) -> PathBuf {
    let path = lab.run.join("caddy-internal-root.pem");
    let started = Instant::now();
    loop {
        let out = lab.docker(&[
            "exec",
            "selkie-caddy",
            "cat",
            "/data/caddy/pki/authorities/local/root.crt",
        ]);
        if out.status.success() && !out.stdout.is_empty() {
            std::fs::write(&path, &out.stdout).unwrap();
            return path;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Caddy made no internal root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Scenario 4: a bare IP behind Caddy (`tls internal`, the client trusts the deployment's own
/// CA), then the single-port UDP mux: media flows, on the mux port.
#[test]
fn ip_behind_caddy_then_udp_mux() {
    let _one = one_lab();
    let (lab, dir) = at_ip("caddy-ip", "caddy", &["--ip-cert", "internal"]);
    let root = caddy_internal_root(&lab);
    wait_for_certificate(&lab, &format!("https://{SERVER_IP}/"), &root, None);
    let url = format!("wss://{SERVER_IP}");
    let joined = client::join(&lab, &dir, &url, Some(&root), false);
    joined.assert_media_via("udp", 50000..=50119, "media on the planned UDP range");

    resume(&lab, &dir, &["--udp", "mux"]);
    let plan = plan_json(&lab, &dir);
    let mux = plan["livekit"]["udp_port"]
        .as_u64()
        .or_else(|| {
            plan["ports"].as_array()?.iter().find_map(|p| {
                (p["proto"] == "udp" && p["service"] == "livekit" && p["port"] != 3478)
                    .then(|| p["port"].as_u64())
                    .flatten()
            })
        })
        .expect("the plan names the mux port");
    let joined = client::join(&lab, &dir, &url, Some(&root), false);
    joined.assert_media_via("udp", mux..=mux, "media on the single mux port");
}

/// Scenario 4: `external` with Debian's real nginx running selkie's snippet (only the
/// certificate paths changed, as the snippet asks), and `none` (direct ws:// on 7880).
#[test]
fn external_nginx_and_no_proxy() {
    let _one = one_lab();
    let (lab, dir) = at_ip("external", "external", &[]);
    let ca = nginx_with_snippet(&lab, &dir);
    let joined = client::join(&lab, &dir, &format!("wss://{SERVER_IP}"), Some(&ca), false);
    joined.assert_media();

    let out = selkie(&lab, &["down", "--dir", dir.to_str().unwrap(), "--yes"]);
    assert!(out.status.success(), "selkie down");
    stop_nginx(&lab);
    let dir = deployment(&lab, "none");
    setup(&lab, &dir, &["--ip", SERVER_IP, "--proxy", "none"]);
    let joined = client::join(&lab, &dir, &format!("ws://{SERVER_IP}:7880"), None, false);
    joined.assert_media();
}

/// Listeners in the server namespace (SSH's port and ports that must stay closed), so the
/// firewall, not the absence of a listener, decides what the client reaches.
fn decoys(lab: &Lab, ports: &[(&str, u16)]) -> Helper {
    let mut cmd = lab.on_server("python3");
    cmd.args(["-c", &helper::tcp_listeners(ports, false)]);
    Helper::start(cmd, "listening", "the decoy listeners")
}
