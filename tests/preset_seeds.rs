//! The presets against the documents they reproduce (`../shared/seeds/`): each seed's own port
//! tables, row by row, and the image pins every plan hands to Docker.
//!
//! Seed 000 (Reflector) has three tables: "With Caddy" (public), the ports proxied through
//! Caddy, "Without Caddy" (public) and "Internal-Only". Seed 001 (XR hub) has one table, seed 002
//! (Hearth) its "Firewall / Port Requirements" and the SNI routes of its architecture drawing,
//! seed 004 (private) its security group and its "Services Exposed via NGINX (8443)". Seed 003
//! is about client networks (egress), not the server: firewall/clients.md covers it.

mod common;

use std::collections::BTreeSet;

use selkie::answers::ProxyMode;
use selkie::host::HostFacts;
use selkie::plan::{self, Exposure, Plan};
use selkie::preset;
use selkie::transport::Proto;

/// One row of a seed's table: the port (or range) and protocol it names, and what the seed
/// says about it.
struct Row {
    table: &'static str,
    label: &'static str,
    proto: Proto,
    exposure: Exposure,
    service: &'static str,
}

const fn row(
    table: &'static str,
    label: &'static str,
    proto: Proto,
    exposure: Exposure,
    service: &'static str,
) -> Row {
    Row {
        table,
        label,
        proto,
        exposure,
        service,
    }
}

use Exposure::{Internal, Loopback, Proxied, Public, Vpn};
use Proto::{Tcp, Udp};

fn plan_for(preset: &str, proxy: ProxyMode, domain: bool) -> Plan {
    let preset = preset::find(preset).unwrap();
    let answers = common::answers(&preset, proxy, domain);
    plan::build(&answers, &preset, &HostFacts::default()).unwrap()
}

/// Every row is in the plan with the seed's exposure, and the plan opens nothing to the
/// internet that the seed's tables do not (SSH aside, which selkie always keeps open).
fn check(seed: &str, plan: &Plan, rows: &[Row]) {
    for r in rows {
        let found = plan
            .ports
            .iter()
            .find(|p| p.label() == r.label && p.proto == r.proto)
            .unwrap_or_else(|| {
                panic!(
                    "seed {seed}, table \"{}\", row {}/{} ({}): not in the {} plan's ports",
                    r.table,
                    r.label,
                    r.proto.as_str(),
                    r.service,
                    plan.proxy
                )
            });
        assert_eq!(
            (found.exposure, found.service.as_str()),
            (r.exposure, r.service),
            "seed {seed}, table \"{}\", row {}/{} ({})",
            r.table,
            r.label,
            r.proto.as_str(),
            r.service
        );
    }
    let seed_public: BTreeSet<(String, Proto)> = rows
        .iter()
        .filter(|r| r.exposure == Public)
        .map(|r| (r.label.to_string(), r.proto))
        .collect();
    for p in plan
        .public_ports()
        .filter(|p| p.service != selkie::role::Role::Ssh)
    {
        assert!(
            seed_public.contains(&(p.label(), p.proto)),
            "seed {seed}: the {} plan opens {}/{} ({}), which no public row of the seed names",
            plan.proxy,
            p.label(),
            p.proto.as_str(),
            p.service
        );
    }
}

#[test]
fn seed_000_reflector_with_caddy() {
    let plan = plan_for("reflector", ProxyMode::Caddy, true);
    let t = "With Caddy";
    let proxied = "proxied through Caddy";
    let internal = "Internal-Only Ports";
    check(
        "000",
        &plan,
        &[
            row(t, "443", Tcp, Public, "caddy"),
            row(t, "80", Tcp, Public, "caddy"),
            row(t, "44200-44300", Udp, Public, "livekit"),
            row(t, "7881", Tcp, Public, "livekit"),
            // The seed marks 8888 "Optional (admin only)" and plain HTTP; selkie never
            // publishes a plain-HTTP admin port: it is on 127.0.0.1, reached by SSH tunnel.
            row(t, "8888", Tcp, Loopback, "hatchet"),
            row(proxied, "1250", Tcp, Proxied, "backend"),
            row(proxied, "3000", Tcp, Proxied, "frontend"),
            row(proxied, "7880", Tcp, Proxied, "livekit"),
            // Proxied at the root of s3.<domain> (S3 signs the path, so no /s3 prefix).
            row(proxied, "3900", Tcp, Proxied, "garage"),
            row(internal, "5432", Tcp, Internal, "postgres"),
            row(internal, "6379", Tcp, Internal, "redis"),
            row(internal, "7077", Tcp, Internal, "hatchet"),
        ],
    );
    assert!(
        plan.routes.iter().any(|r| r.service.as_str() == "garage"
            && r.host == "s3.meet.example.com"
            && r.path.is_none()),
        "seed 000: Garage is proxied at the root of s3.<domain>: {:#?}",
        plan.routes
    );
    assert_eq!(plan.urls.livekit, "wss://meet.example.com/lk-ws");
}

#[test]
fn seed_000_reflector_without_caddy() {
    let plan = plan_for("reflector", ProxyMode::None, false);
    let t = "Without Caddy";
    let internal = "Internal-Only Ports";
    check(
        "000",
        &plan,
        &[
            row(t, "3000", Tcp, Public, "frontend"),
            row(t, "1250", Tcp, Public, "backend"),
            row(t, "7880", Tcp, Public, "livekit"),
            row(t, "7881", Tcp, Public, "livekit"),
            row(t, "44200-44300", Udp, Public, "livekit"),
            row(t, "40000-40100", Udp, Public, "backend"),
            row(t, "3900", Tcp, Public, "garage"),
            // "Optional" in the seed; kept on 127.0.0.1 (plain HTTP admin, see above).
            row(t, "8888", Tcp, Loopback, "hatchet"),
            row(internal, "5432", Tcp, Internal, "postgres"),
            row(internal, "6379", Tcp, Internal, "redis"),
            row(internal, "7077", Tcp, Internal, "hatchet"),
        ],
    );
}

#[test]
fn seed_001_xr_hub() {
    let plan = plan_for("xr-hub", ProxyMode::None, false);
    let t = "Networking and firewall";
    check(
        "001",
        &plan,
        &[
            row(t, "7880", Tcp, Loopback, "livekit"),
            row(t, "7881", Tcp, Public, "livekit"),
            row(t, "7882", Udp, Public, "livekit"),
            row(t, "8080", Tcp, Public, "hub"),
            row(t, "48322", Tcp, Public, "hub"),
        ],
    );
    // The SDKs add /rtc to the URL they are given; the hub proxies that path.
    assert_eq!(plan.urls.livekit, "wss://203.0.113.7:8080");
}

#[test]
fn seed_002_hearth() {
    let plan = plan_for("hearth", ProxyMode::CaddyL4, true);
    let t = "Firewall / Port Requirements";
    let sni = "Architecture Overview (SNI routes)";
    check(
        "002",
        &plan,
        &[
            row(t, "443", Tcp, Public, "caddy"),
            row(t, "80", Tcp, Public, "caddy"),
            row(t, "7881", Tcp, Public, "livekit"),
            row(t, "3478", Udp, Public, "livekit"),
            row(t, "50000-60000", Udp, Public, "livekit"),
            row(sni, "5349", Tcp, Proxied, "livekit"),
            row(sni, "7880", Tcp, Proxied, "livekit"),
            row(sni, "8090", Tcp, Proxied, "pocketbase"),
        ],
    );
    let hosts: Vec<&str> = plan.dns.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        hosts,
        [
            "meet.example.com",
            "lk.meet.example.com",
            "turn.meet.example.com"
        ],
        "seed 002, table \"DNS Configuration\""
    );
}

#[test]
fn seed_004_private() {
    let plan = plan_for("private", ProxyMode::Caddy, false);
    let sg = "AWS Security Group Configuration";
    check(
        "004",
        &plan,
        &[
            row(sg, "22", Tcp, Public, "sshd"),
            row(sg, "41641", Udp, Public, "tailscale"),
            row(sg, "8443", Tcp, Vpn, "caddy"),
        ],
    );
    let ssh = plan.public_ports().find(|p| p.port == 22).unwrap();
    assert_eq!(
        ssh.source.map(|s| s.to_string()).as_deref(),
        Some(common::ADMIN),
        "seed 004, table \"{sg}\", row 22/tcp: Source \"My IP\""
    );
    let public: Vec<String> = plan
        .public_ports()
        .map(|p| format!("{}/{}", p.label(), p.proto.as_str()))
        .collect();
    assert_eq!(
        public,
        ["22/tcp", "41641/udp"],
        "seed 004: \"Only port 22 and 41641 should be open to the internet\""
    );
    let tailscale = plan
        .service(&selkie::role::Role::from_name("tailscale"))
        .unwrap();
    assert_eq!(
        tailscale
            .env
            .get("TS_TAILSCALED_EXTRA_ARGS")
            .map(String::as_str),
        Some("--port=41641"),
        "seed 004, row 41641/udp: tailscaled must listen there, not on a random port"
    );
}

/// A tag that names a release: not `latest`, not a branch-like word, with a digit in it.
fn pinned(image: &str) -> bool {
    let Some((_, tag)) = image.rsplit('/').next().unwrap_or(image).split_once(':') else {
        return image.contains("@sha256:");
    };
    let floating = [
        "latest", "stable", "edge", "main", "master", "nightly", "dev",
    ];
    !floating.contains(&tag) && tag.chars().any(|c| c.is_ascii_digit())
}

#[test]
fn no_plan_hands_docker_a_moving_image_reference() {
    let cases = common::cases();
    assert!(cases.len() >= 15, "only {} fixture plans", cases.len());
    let mut seen = BTreeSet::new();
    for case in &cases {
        for service in &case.plan.services {
            let image = service.image.as_str();
            assert!(
                !service.image.is_floating() && pinned(image),
                "{}: service {} would run {image}, which is not a pinned release",
                case.name,
                service.name
            );
            seen.insert(image.to_string());
        }
    }
    for constant in [plan::LIVEKIT_IMAGE, plan::CADDY_IMAGE, plan::CADDY_L4_IMAGE] {
        assert!(seen.contains(constant), "no plan uses {constant}");
    }
    for image in ["latest", "postgres", "redis:latest", "caddy:stable"] {
        assert!(!pinned(image), "{image} counts as pinned");
    }
}

/// The image script builds the exact references the presets pin: `NAME_VERSION=` in build.sh
/// against the tag of the image selkie runs.
#[test]
fn the_image_script_builds_what_the_presets_pin() {
    let script = include_str!("images/build.sh");
    let version = |name: &str| -> String {
        script
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("build.sh sets no {name}"))
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    let images: BTreeSet<String> = common::cases()
        .iter()
        .flat_map(|c| c.plan.services.iter().map(|s| s.image.as_str().to_string()))
        .collect();
    let expect = [
        format!("livekit/livekit-server:{}", version("LIVEKIT_VERSION")),
        format!("caddy:{}", version("CADDY_VERSION").trim_start_matches('v')),
        format!("livekit/caddyl4:{}", version("CADDY_L4_CADDY_VERSION")),
        format!("dxflrs/garage:{}", version("GARAGE_VERSION")),
        format!("tailscale/tailscale:{}", version("TAILSCALE_VERSION")),
        // Built as selkie-lab/hatchet-lite (no dashboard frontend), at the pinned version.
        format!(
            "ghcr.io/hatchet-dev/hatchet/hatchet-lite:{}",
            version("HATCHET_VERSION")
        ),
    ];
    for image in expect {
        assert!(
            images.contains(&image),
            "build.sh builds {image}, which no plan runs: {images:#?}"
        );
    }
}

/// Every image a preset pins says why that version, on the comment lines right above it (the
/// newest stable release, or the reason it is not).
#[test]
fn every_preset_pin_says_why_that_version() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets");
    let mut pins = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.starts_with("image = ") {
                continue;
            }
            pins += 1;
            let reason: Vec<&str> = lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.starts_with('#'))
                .copied()
                .collect();
            let said = reason.join(" ").to_lowercase();
            assert!(
                [
                    "newest",
                    "reason",
                    "because",
                    "not the newest",
                    "requires",
                    "tag"
                ]
                .iter()
                .any(|w| said.contains(w)),
                "{}: `{line}` has no comment above it saying why that version",
                path.display()
            );
        }
    }
    assert!(pins >= 5, "only {pins} pinned images in presets/");
}
