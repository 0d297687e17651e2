//! The presets in the lab: `selkie setup --non-interactive --preset NAME` brings each one up
//! healthy with the real programs built by tests/images/build.sh (LiveKit, Caddy, Caddy with
//! layer 4, Garage, Hatchet, PocketBase, Tailscale, Debian's Postgres and Redis; the operators'
//! own apps are stand-ins answering on the seeds' ports and paths), and a real client uses it
//! the way the preset's seed says: LiveKit through the preset's proxy path, S3 through
//! Reflector's S3 name, PocketBase through Hearth's layer-4 route, the XR hub's own HTTPS, and
//! the private preset's exposure (the tailnet itself cannot be reached from here).
//!
//! Needs root and what tests/lab.rs needs; fails (never skips) without them.

mod lab {
    pub mod acme;
    #[allow(dead_code)]
    pub mod client;
    pub mod harness;
    pub mod helper;
    #[allow(dead_code)]
    pub mod net;
    pub mod presets;
    pub mod presets_reflector;
    pub mod tools;
}

use lab::client;
use lab::harness::*;
use lab::presets::*;
use lab::presets_reflector::{hatchet_works, s3_put_and_get};
use net::{Lab, CLIENT_IP, SERVER_IP};

use lab::net;

/// Reflector (seed 000): real Garage, Hatchet, Postgres, Redis, LiveKit and Caddy. The web app
/// and the API answer through Caddy; a real client joins LiveKit at `/lk-ws`; an object is put
/// and read back through S3's own name with the backend's credentials; Hatchet migrated its own
/// database, serves its API on the loopback dashboard port only, and makes a worker token with
/// the command the next steps print.
#[test]
fn reflector_runs_for_real() {
    let _one = one_lab();
    let site = "reflector.lab.test";
    let s3 = "s3.reflector.lab.test";
    let images = [
        LIVEKIT.to_string(),
        CADDY.to_string(),
        image("SELKIE_LAB_GARAGE_IMAGE"),
        image("SELKIE_LAB_HATCHET_IMAGE"),
        image("SELKIE_LAB_POSTGRES_IMAGE"),
        image("SELKIE_LAB_REDIS_IMAGE"),
        image("SELKIE_LAB_FRONTEND_IMAGE"),
        image("SELKIE_LAB_BACKEND_IMAGE"),
    ];
    let overrides = [
        format!("frontend={}", images[6]),
        format!("backend={}", images[7]),
        format!("hatchet={}", images[3]),
        format!("postgres={}", images[4]),
        format!("redis={}", images[5]),
    ];
    let mut args = Vec::new();
    for o in &overrides {
        args.extend(["--image", o.as_str()]);
    }
    let PresetDomain {
        lab,
        pebble: _pebble,
        dir,
        root,
    } = preset_with_pebble("reflector", site, &[site, s3], &images, &args);
    let cacert = root.to_str().unwrap();

    let (ok, page) = client_curl(&lab, &["--cacert", cacert, &format!("https://{site}/")]);
    assert!(
        ok && page.contains("reflector-frontend stand-in"),
        "the web app at /: {page}"
    );
    let (ok, api) = client_curl(
        &lab,
        &["--cacert", cacert, &format!("https://{site}/v1/rooms")],
    );
    assert!(
        ok && api.contains("\"standin\":\"reflector-backend\""),
        "the API at /v1: {api}"
    );

    let joined = client::join(
        &lab,
        &dir,
        &format!("wss://{site}/lk-ws"),
        Some(&root),
        false,
    );
    joined.assert_media_via("udp", 44200..=44300, "media on Reflector's 44200-44300/udp");

    s3_put_and_get(&lab, &root, s3);
    hatchet_works(&lab, &dir);
    // The backend reaches Hatchet's gRPC and Redis by their names on the stack's network.
    for target in ["hatchet:7077", "redis:6379", "postgres:5432", "garage:3900"] {
        let dial = lab.docker(&["exec", "selkie-backend", "/appstandin", "dial", target]);
        assert!(
            dial.status.success(),
            "backend -> {target}: {}",
            text(&dial)
        );
    }
}

/// Hearth (seed 002): Caddy's layer-4 app routes by SNI on 443. PocketBase (real, by the path
/// its documented image has) answers `/api/health` at the site's name; a real client joins
/// LiveKit at `lk.<domain>` once the room exists (Hearth's LiveKit creates no room on join).
#[test]
fn hearth_routes_pocketbase_and_livekit_by_sni() {
    let _one = one_lab();
    let site = "hearth.lab.test";
    let lk = "lk.hearth.lab.test";
    let pocketbase = image("SELKIE_LAB_POCKETBASE_IMAGE");
    let images = [
        LIVEKIT.to_string(),
        CADDY_L4.to_string(),
        pocketbase.clone(),
    ];
    let over = format!("pocketbase={pocketbase}");
    let PresetDomain {
        lab,
        pebble: _pebble,
        dir,
        root,
    } = preset_with_pebble(
        "hearth",
        site,
        &[site, lk, "turn.hearth.lab.test"],
        &images,
        &["--image", &over],
    );
    let cacert = root.to_str().unwrap();
    let (ok, health) = client_curl(
        &lab,
        &["--cacert", cacert, &format!("https://{site}/api/health")],
    );
    assert!(ok, "PocketBase's /api/health through layer 4: {health}");
    let json: serde_json::Value = serde_json::from_str(&health)
        .unwrap_or_else(|e| panic!("/api/health is not PocketBase's JSON ({e}): {health}"));
    assert_eq!(json["code"], 200, "{health}");

    create_room(&lab, &dir, &format!("https://{lk}"), "lab", &root);
    let joined = client::join(&lab, &dir, &format!("wss://{lk}"), Some(&root), false);
    joined.assert_media_via("udp", 50000..=60000, "media on Hearth's 50000-60000/udp");
}

/// The XR hub (seed 001): the hub terminates HTTPS on 8080 with its own self-signed
/// certificate (the stand-in serves it at /cert, as the hub does for phones) and proxies
/// LiveKit's /rtc to 127.0.0.1:7880; a real client joins at the plan's URL, media on the
/// single mux port 7882/udp; LiveKit's 7880 is not reachable from the client.
#[test]
fn xr_hub_serves_livekit_through_its_own_https() {
    let _one = one_lab();
    let hub = image("SELKIE_LAB_HUB_IMAGE");
    let mut lab = Lab::new();
    lab.start_docker(&[LIVEKIT, &hub]);
    let dir = deployment(&lab, "xr-hub");
    let over = format!("hub={hub}");
    setup_preset(&lab, &dir, "xr-hub", &["--ip", SERVER_IP, "--image", &over]);
    let url = plan_json(&lab, &dir)["urls"]["livekit"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(url, format!("wss://{SERVER_IP}:8080"));

    // As a phone installs it: fetched from the hub without verification, then trusted.
    let (ok, cert) = client_curl(&lab, &["-k", &format!("https://{SERVER_IP}:8080/cert")]);
    assert!(
        ok && cert.contains("BEGIN CERTIFICATE"),
        "the hub's /cert: {cert}"
    );
    let ca = scratch(&lab, "hub-ca.pem", cert.as_bytes());
    let (ok, page) = client_curl(
        &lab,
        &[
            "--cacert",
            ca.to_str().unwrap(),
            &format!("https://{SERVER_IP}:8080/"),
        ],
    );
    assert!(
        ok && page.contains("xr-hub stand-in"),
        "the hub's page over HTTPS: {page}"
    );
    let (ok, cloudxr) = client_curl(&lab, &["-k", &format!("https://{SERVER_IP}:48322/")]);
    assert!(ok && cloudxr.contains("CloudXR"), "48322: {cloudxr}");
    assert!(
        !lab.client_reaches_tcp(7880),
        "LiveKit's 7880 stays on 127.0.0.1"
    );

    let joined = client::join(&lab, &dir, &url, Some(&ca), false);
    joined.assert_media_via("udp", 7882..=7882, "media on the mux port");
}

/// Private (seed 004): the real tailscaled (containerboot, as the official image) binds
/// 41641/udp, the port the firewall opens; with selkie's nftables firewall applied, only SSH
/// and 41641/udp get through from the internet, and HTTPS on 8443, LiveKit and TURN do not.
/// The tailnet itself cannot be reached from the lab (no coordination server), so joining over
/// the VPN address is not tested here.
#[test]
fn private_exposes_only_ssh_and_wireguard() {
    let _one = one_lab();
    let tailscale = image("SELKIE_LAB_TAILSCALE_IMAGE");
    let mut lab = Lab::new();
    lab.start_docker(&[LIVEKIT, CADDY, &tailscale]);
    let dir = deployment(&lab, "private");
    // The tailnet address the operator would give, on the server's loopback in place of
    // tailscale0's (which needs a tailnet), so the plan's address is one of the server's own.
    let vpn_ip = "100.100.7.1";
    let cidr = format!("{vpn_ip}/32");
    let out = lab
        .on_server("ip")
        .args(["addr", "add", &cidr, "dev", "lo"])
        .output()
        .unwrap();
    assert!(out.status.success(), "ip addr add {cidr}: {}", text(&out));
    setup_preset(
        &lab,
        &dir,
        "private",
        &["--ip", vpn_ip, "--ssh-port", "22", "--ssh-from", CLIENT_IP],
    );

    // tailscaled itself holds 41641/udp.
    let owner = wait_for_udp_owner(&lab, 41641, "tailscaled");
    assert!(
        owner.contains("tailscaled"),
        "41641/udp is bound by tailscaled: {owner:?}\n{}",
        all_logs(&lab)
    );

    let _ssh = listeners(&lab, &[22]);
    let tcp_closed = [8443u16, 7881, 7880, 80, 443];
    let udp = ["41641", "3478", "50000-50099"];
    count_udp(&lab, &udp);
    send_udp(&lab, &[41641, 3478, 50000]);
    let before = udp_counts(&lab);
    assert!(
        before.iter().all(|(_, n)| *n >= 3),
        "without a firewall every UDP probe arrives (the counters work): {before:?}"
    );
    assert!(
        lab.client_reaches_tcp(8443),
        "without a firewall Caddy's 8443 answers"
    );
    assert!(
        lab.client_reaches_tcp(7881),
        "without a firewall LiveKit's 7881 answers"
    );

    let out = lab
        .on_server("nft")
        .arg("-f")
        .arg(dir.join("firewall/nftables.nft"))
        .output()
        .unwrap();
    assert!(out.status.success(), "nft -f nftables.nft: {}", text(&out));
    count_udp(&lab, &udp);
    send_udp(&lab, &[41641, 3478, 50000]);
    let after = udp_counts(&lab);
    for (port, packets) in &after {
        if port == "41641" {
            assert!(*packets >= 3, "41641/udp is open: {after:?}");
        } else {
            assert_eq!(
                *packets, 0,
                "{port}/udp is closed to the internet: {after:?}"
            );
        }
    }
    assert!(lab.client_reaches_tcp(22), "SSH stays reachable");
    for port in tcp_closed {
        assert!(
            !lab.client_reaches_tcp(port),
            "{port}/tcp is closed to the internet"
        );
    }
}
