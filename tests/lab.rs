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

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lab::harness::*;
use lab::helper::{self, Helper};
use lab::{client, net, tools};
use net::{Lab, SERVER_IP};

/// Scenarios 1 and 2: the livekit preset with a domain behind Caddy, certificate from Pebble.
/// All paths open: media on UDP inside the planned range. UDP dropped on the link: media over
/// ICE/TCP on 7881.
#[test]
fn domain_behind_caddy_media_over_udp_then_tcp() {
    let _one = one_lab();
    let Domain {
        lab,
        pebble: _pebble,
        dir,
        root,
        url,
    } = domain_with_pebble("caddy", CADDY, &["meet.lab.test"]);
    assert_eq!(url, "wss://meet.lab.test");
    assert_eq!(livekit_root(&lab), "OK", "LiveKit's GET / on 7880");
    // sshd's port, which status checks like any public port (no sshd runs in the lab).
    let _ssh = decoys(&lab, &[("0.0.0.0", 22)]);

    let joined = client::join(&lab, &dir, &url, Some(&root), false);
    for pair in joined.assert_media() {
        let (proto, port, _) = client::remote(pair);
        assert_eq!(proto, "udp", "media over UDP: {pair}");
        assert!(
            (50000..=50119).contains(&port),
            "the server's media port {port} is inside the planned 50000-50119: {pair}"
        );
    }

    // selkie's own view agrees: everything healthy, judged at the public address with the
    // certificate verified; a port closed on the server turns exactly its check down.
    let healthy = status_json(&lab, &dir, &root);
    let bad: Vec<String> = failing_checks(&healthy);
    assert!(
        bad.is_empty(),
        "status against the real stack: {bad:?}\n{healthy:#}"
    );
    lab.nft(
        &lab.server,
        "table inet lab_block {\n  chain input {\n    type filter hook input priority -10;\n    tcp dport 7881 drop\n  }\n}\n",
    );
    let blocked = status_json(&lab, &dir, &root);
    assert_eq!(
        failing_checks(&blocked),
        vec!["7881/tcp".to_string()],
        "only the blocked port is down: {blocked:#}"
    );
    lab.nft(&lab.server, "delete table inet lab_block\n");

    lab.block_on_link(&["meta l4proto udp"]);
    let joined = client::join(&lab, &dir, &url, Some(&root), false);
    for pair in joined.assert_media() {
        let (proto, port, _) = client::remote(pair);
        assert_eq!(
            (proto.as_str(), port),
            ("tcp", 7881),
            "with UDP blocked, media goes over ICE/TCP 7881: {pair}"
        );
    }
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
    let Domain {
        lab,
        pebble: _pebble,
        dir,
        root,
        url,
    } = domain_with_pebble(
        "caddy-l4",
        CADDY_L4,
        &["meet.lab.test", "turn.meet.lab.test"],
    );
    let joined = client::join(&lab, &dir, &url, Some(&root), false);
    for pair in joined.assert_media() {
        assert_eq!(client::remote(pair).0, "udp", "media over UDP: {pair}");
    }

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
    let url = format!("https://{SERVER_IP}/");
    wait_for_certificate(&lab, &url, &root, None);
    let joined = client::join(
        &lab,
        &dir,
        &format!("wss://{SERVER_IP}"),
        Some(&root),
        false,
    );
    for pair in joined.assert_media() {
        let (proto, port, _) = client::remote(pair);
        assert!(
            proto == "udp" && (50000..=50119).contains(&port),
            "media on the planned UDP range: {pair}"
        );
    }

    let out = selkie(
        &lab,
        &[
            "setup",
            "--resume",
            "--non-interactive",
            "--dir",
            dir.to_str().unwrap(),
            "--udp",
            "mux",
            "--health-timeout",
            "90",
        ],
    );
    assert!(
        out.status.success(),
        "resume with --udp mux: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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
    let joined = client::join(
        &lab,
        &dir,
        &format!("wss://{SERVER_IP}"),
        Some(&root),
        false,
    );
    for pair in joined.assert_media() {
        assert_eq!(
            client::remote(pair).1,
            mux,
            "media on the single mux port: {pair}"
        );
    }
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

/// Runs one of selkie's host firewall outputs in the server namespace, in a mount namespace of
/// its own so nothing it saves reaches the machine's files (ufw gets a pristine /etc/ufw).
fn apply_firewall(lab: &Lab, dir: &Path, kind: &str) {
    let fw = dir.join("firewall");
    let etc = lab.run.join(format!("etc-{kind}"));
    std::fs::create_dir_all(&etc).unwrap();
    if Path::new("/etc/ufw").is_dir() {
        tools::ok("cp", &["-a", "/etc/ufw", etc.to_str().unwrap()]);
    }
    std::fs::create_dir_all(etc.join("ufw")).unwrap();
    for file in ["user.rules", "user6.rules", "ufw.conf"] {
        let pristine = Path::new("/usr/share/ufw").join(file);
        if pristine.exists() {
            std::fs::copy(&pristine, etc.join("ufw").join(file)).unwrap();
        }
    }
    let apply = match kind {
        "nftables" => format!("nft -f {}/nftables.nft", fw.display()),
        "iptables" => format!("bash {}/iptables.sh", fw.display()),
        "ufw" => format!("bash {}/ufw.sh", fw.display()),
        other => panic!("no firewall {other}"),
    };
    let script = format!(
        "set -euo pipefail\nmount --make-rprivate /\n\
         for d in /etc/iptables /etc/sysconfig; do if [[ -d $d ]]; then mount -t tmpfs none $d; fi; done\n\
         if [[ -d /etc/ufw ]]; then mount --bind {} /etc/ufw; fi\n{apply}\n",
        etc.join("ufw").display()
    );
    let out = lab
        .on_server("unshare")
        .args(["-m", "bash", "-c", &script])
        .env("SELKIE_FORCE", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "applying {kind} in the server namespace failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Scenario 5: with each of selkie's host firewalls (nftables, iptables, ufw) applied in the
/// server namespace, every public TCP port of the plan is reachable from the client, SSH stays
/// reachable, every other listening port is not, and a client still joins with media over UDP.
#[test]
fn host_firewalls_open_exactly_the_public_ports() {
    let _one = one_lab();
    let mut lab = Lab::new();
    lab.start_docker(&[LIVEKIT, CADDY]);
    let dir = deployment(&lab, "firewall");
    setup(
        &lab,
        &dir,
        &[
            "--ip",
            SERVER_IP,
            "--proxy",
            "caddy",
            "--ssh-port",
            "22",
            "--ip-cert",
            "internal",
        ],
    );
    let root = caddy_internal_root(&lab);
    let plan = plan_json(&lab, &dir);
    let public_tcp: Vec<u16> = plan["ports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["exposure"] == "public" && p["proto"] == "tcp")
        .map(|p| p["port"].as_u64().unwrap() as u16)
        .collect();
    assert!(public_tcp.contains(&22) && public_tcp.contains(&443) && public_tcp.contains(&7881));
    let closed = [7880u16, 5349, 6789, 9999];
    let _decoys = decoys(
        &lab,
        &[
            ("0.0.0.0", 22),
            (SERVER_IP, 7880),
            ("0.0.0.0", 5349),
            ("0.0.0.0", 6789),
            ("0.0.0.0", 9999),
        ],
    );
    let snapshot = lab.run.join("iptables-before");
    tools::ok(
        "bash",
        &[
            "-c",
            &format!(
                "ip netns exec {} iptables-save > {}",
                lab.server,
                snapshot.display()
            ),
        ],
    );
    for kind in ["nftables", "iptables", "ufw"] {
        for port in closed {
            assert!(
                lab.client_reaches_tcp(port),
                "before {kind}: the decoy on {port} answers (the check itself works)"
            );
        }
        apply_firewall(&lab, &dir, kind);
        for port in &public_tcp {
            assert!(
                lab.client_reaches_tcp(*port),
                "{kind}: public port {port}/tcp is reachable from the client"
            );
        }
        for port in closed {
            assert!(
                !lab.client_reaches_tcp(port),
                "{kind}: {port}/tcp, not a public port of the plan, is closed to the client"
            );
        }
        let joined = client::join(
            &lab,
            &dir,
            &format!("wss://{SERVER_IP}"),
            Some(&root),
            false,
        );
        for pair in joined.assert_media() {
            assert_eq!(
                client::remote(pair).0,
                "udp",
                "{kind}: media over UDP: {pair}"
            );
        }
        // Back to no firewall for the next kind.
        let reset = format!(
            "nft delete table inet selkie 2>/dev/null || true\n\
             iptables-restore < {0}\nip6tables -P INPUT ACCEPT; ip6tables -F INPUT || true\n",
            snapshot.display()
        );
        let out = lab.on_server("bash").args(["-c", &reset]).output().unwrap();
        assert!(out.status.success(), "reset after {kind}");
    }
}

/// Scenario 6: the real LiveKit server accepts the livekit.yaml selkie writes for every preset
/// and proxy mode (its config loader refuses unknown keys), and starts on it.
#[test]
fn livekit_starts_on_every_generated_config() {
    let _one = one_lab();
    let work = tempfile::tempdir().unwrap();
    let mut configs: Vec<(String, PathBuf)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut refused = 0;
    // The operator's own images, which selkie asks for (never pulled here: --no-start).
    let images = |preset: &str| -> Vec<&'static str> {
        match preset {
            "reflector" => vec![
                "--image",
                "frontend=registry.example.com/f:1",
                "--image",
                "backend=registry.example.com/b:1",
            ],
            "hearth" => vec!["--image", "pocketbase=registry.example.com/p:1"],
            "xr-hub" => vec!["--image", "hub=registry.example.com/h:1"],
            _ => Vec::new(),
        }
    };
    for preset in ["livekit", "reflector", "xr-hub", "hearth", "private"] {
        for proxy in ["caddy", "caddy-l4", "external", "none"] {
            for (addr_flag, addr, udp) in [
                ("--domain", "meet.example.com", "range"),
                ("--ip", "203.0.113.7", "range"),
                ("--domain", "meet.example.com", "mux"),
            ] {
                let name = format!("{preset}-{proxy}-{addr_flag}-{udp}");
                let dir = work.path().join(&name);
                let mut args = vec![
                    "setup",
                    "--non-interactive",
                    "--no-start",
                    "--dir",
                    dir.to_str().unwrap(),
                    "--preset",
                    preset,
                    "--proxy",
                    proxy,
                    addr_flag,
                    addr,
                    "--udp",
                    udp,
                    "--provider",
                    "none",
                ];
                args.extend(images(preset));
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_selkie"))
                    .args(&args)
                    .env_remove("SELKIE_DIR")
                    .output()
                    .unwrap();
                if out.status.code() == Some(2) && !(preset == "livekit" && proxy == "caddy") {
                    refused += 1;
                    continue; // a combination the preset refuses, with a hint
                }
                assert!(
                    out.status.success(),
                    "{name}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let yaml = std::fs::read_to_string(dir.join("livekit/livekit.yaml")).unwrap();
                if seen.insert(yaml) {
                    configs.push((name, dir));
                }
            }
        }
    }
    eprintln!(
        "{} distinct livekit.yaml files; {refused} combinations refused",
        configs.len()
    );
    assert!(configs.len() >= 10, "distinct configs: {}", configs.len());
    // Each in a container of its own without a network: the loader, then the start.
    let mut started = Vec::new();
    for (name, dir) in &configs {
        let livekit = dir.join("livekit");
        let id = tools::ok(
            "docker",
            &[
                "run",
                "-d",
                "--network",
                "none",
                "-v",
                &format!("{}:/etc/livekit:ro", livekit.display()),
                LIVEKIT,
                "--config",
                "/etc/livekit/livekit.yaml",
            ],
        );
        started.push((name.clone(), id.trim().to_string()));
    }
    std::thread::sleep(Duration::from_secs(6));
    let mut failures = Vec::new();
    for (name, id) in &started {
        let running = tools::ok("docker", &["inspect", "-f", "{{.State.Running}}", id]);
        let logs = tools::run("docker", &["logs", id]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&logs.stdout),
            String::from_utf8_lossy(&logs.stderr)
        );
        if running.trim() != "true" || !text.contains("starting LiveKit server") {
            failures.push(format!("{name}: running={}\n{text}", running.trim()));
        }
        let _ = tools::run("docker", &["rm", "-f", id]);
    }
    assert!(
        failures.is_empty(),
        "LiveKit refused selkie's config:\n{}",
        failures.join("\n\n")
    );
}
