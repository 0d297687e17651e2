//! A trusted certificate for a bare IP address, for real: selkie sets up the livekit preset at
//! the server's address behind Caddy with Pebble (Let's Encrypt's test CA, on the lab's internet
//! side) as its ACME CA. Caddy orders the certificate for the IP identifier under the
//! `shortlived` profile, Pebble validates it over the link, and the client, which trusts only
//! Pebble's root, joins a room with media flowing. Needs what tests/lab.rs needs.

// Each lab binary uses part of the shared scaffolding.
#[allow(dead_code)]
mod lab {
    pub mod acme;
    pub mod client;
    pub mod harness;
    pub mod net;
    pub mod tools;
}

use std::net::IpAddr;
use std::time::{Duration, Instant};

use lab::harness::*;
use lab::{acme, client, net};
use net::{Lab, SERVER_IP};

#[test]
fn an_ip_address_gets_a_six_day_certificate_from_the_acme_ca_and_a_client_joins() {
    let _one = one_lab();
    let mut lab = Lab::new();
    lab.start_docker(&[LIVEKIT, CADDY]);
    let pebble = acme::Pebble::start(&lab);
    let dir = deployment(&lab, "ip-acme");
    setup_at_ip(&lab, &dir, &pebble);
    // The default for a public address: no `--ip-cert` was given.
    let plan = plan_json(&lab, &dir);
    assert_eq!(plan["web"]["acme_profile"], acme::SHORTLIVED, "{plan:#}");
    assert_eq!(plan["web"]["internal_tls"], false, "{plan:#}");
    let says = plan["web"]["certificate"].as_str().unwrap_or_default();
    assert!(
        says.contains("six-day"),
        "the plan says what it costs: {says}"
    );

    let root = pebble.issuing_root(&lab);
    let url = format!("https://{SERVER_IP}/");
    wait_for_certificate(&lab, &url, &root, Some(&pebble));

    // The certificate a browser gets (no server name is sent to an address): for the IP, from
    // Pebble, for exactly the profile's lifetime.
    let served = served_certificate(&lab);
    let (_, cert) = x509_parser::parse_x509_certificate(&served).expect("an X.509 certificate");
    let ips: Vec<IpAddr> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::IPAddress(b) => ip_from(b),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ips, vec![SERVER_IP.parse::<IpAddr>().unwrap()], "SAN");
    let lifetime = cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp();
    // Pebble's default profile would give 90 days: this lifetime means the order named the
    // shortlived profile.
    assert_eq!(
        lifetime as u64,
        acme::SHORTLIVED_SECS - 1,
        "Pebble issues for the shortlived profile's period"
    );

    // A real participant, trusting only Pebble's root, joins at the plan's URL; media flows.
    let livekit_url = plan["urls"]["livekit"].as_str().unwrap().to_string();
    assert_eq!(livekit_url, format!("wss://{SERVER_IP}"));
    let joined = client::join(&lab, &dir, &livekit_url, Some(&root), false);
    assert!(!joined.assert_media().is_empty());

    // selkie's own view judges the certificate as the client does: all healthy but sshd's
    // port, since no sshd runs in the lab.
    let status = status_json(&lab, &dir, &root);
    let bad = failing_checks(&status);
    assert_eq!(bad, vec!["22/tcp".to_string()], "status:\n{status:#}");
}

#[test]
fn when_the_ca_cannot_check_the_server_status_says_why_from_caddys_log() {
    let _one = one_lab();
    let mut lab = Lab::new();
    lab.start_docker(&[LIVEKIT, CADDY]);
    // Pebble checks ports nothing listens on: every validation fails with a connection
    // problem, as when a firewall keeps the CA out.
    let pebble = acme::Pebble::validating_on(&lab, 81, 444);
    let dir = deployment(&lab, "ip-acme-refused");
    let said = setup_at_ip(&lab, &dir, &pebble);
    // Setup says why at once instead of waiting out its minute for the certificate.
    assert!(
        said.contains(&format!(
            "No certificate for {SERVER_IP} yet. Caddy's last order"
        )),
        "{said}"
    );
    let started = Instant::now();
    let message = loop {
        let status = status_json(&lab, &dir, &pebble.endpoint_root);
        let tls = status["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["kind"] == "tls")
            .cloned()
            .unwrap_or_else(|| panic!("no TLS check:\n{status:#}"));
        let message = tls["message"].as_str().unwrap_or_default().to_string();
        // certmagic logs the failed order, then when it tries again.
        if message.contains("Caddy's last order") && message.contains("Caddy tries again in") {
            assert_eq!(tls["status"], "down", "{tls:#}");
            assert_eq!(tls["cause"], "no_certificate", "{tls:#}");
            break message;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "status never named Caddy's failed order: {tls:#}\nPebble:\n{}",
            pebble.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    println!("status: {message}");
    assert!(
        message.starts_with(&format!("no certificate for {SERVER_IP} yet")),
        "{message}"
    );
    // Pebble's own problem, as Caddy logged it (it names the port it tried: 81 for http-01,
    // 444 for tls-alpn-01, whichever Caddy chose), and what to do about it.
    assert!(
        [81, 444]
            .iter()
            .any(|port| message.contains(&format!("{SERVER_IP}:{port}"))),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "the CA could not check this server: open ports 80 and 443 to the internet for {SERVER_IP}"
        )),
        "{message}"
    );
    assert!(
        message.contains("or at once when restarted (`docker restart selkie-caddy`)"),
        "{message}"
    );
}

/// The livekit preset at the server's address behind Caddy, with `pebble` as its ACME CA (no
/// `--ip-cert`: a public address defaults to an ACME certificate): what setup printed.
fn setup_at_ip(lab: &Lab, dir: &std::path::Path, pebble: &acme::Pebble) -> String {
    setup(
        lab,
        dir,
        &[
            "--ip",
            SERVER_IP,
            "--proxy",
            "caddy",
            "--acme-ca",
            &acme::directory(),
            "--acme-ca-root",
            pebble.endpoint_root.to_str().unwrap(),
        ],
    )
}

/// The leaf certificate served on 443 to a client that sends no server name, as DER.
fn served_certificate(lab: &Lab) -> Vec<u8> {
    let out = lab
        .on_client("bash")
        .args([
            "-c",
            &format!(
                "openssl s_client -connect {SERVER_IP}:443 -noservername </dev/null 2>/dev/null \
                 | openssl x509 -outform DER"
            ),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success() && !out.stdout.is_empty(),
        "no certificate on {SERVER_IP}:443: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => None,
    }
}
