//! What a first setup writes, and what `plan`, `plan --json` and `firewall` print from it.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use super::run::{self, fresh_setup};
use super::{selkie, setup, snapshot, stderr, stdout};

#[test]
fn a_first_setup_writes_the_deployment_with_private_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    let out = setup(
        &d,
        &["--domain", "meet.example.com", "--provider", "hetzner"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        stderr(&out).contains(&format!("Deployment directory: {}", d.display())),
        "{}",
        stderr(&out)
    );
    for file in [
        "selkie.toml",
        "secrets.toml",
        "manifest.toml",
        "livekit/livekit.yaml",
        "livekit/keys.yaml",
        "caddy/Caddyfile",
        "docker-compose.yml",
        "firewall/ufw.sh",
        "firewall/nftables.nft",
        "firewall/cloud-hetzner.sh",
        "dns.txt",
        "sysctl/99-selkie.conf",
    ] {
        assert!(d.join(file).is_file(), "{file} missing");
    }
    let secrets = std::fs::read_to_string(d.join("secrets.toml")).unwrap();
    let secret = secrets
        .lines()
        .find_map(|l| l.strip_prefix("livekit_api_secret = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    assert!(secret.len() >= 32);
    assert!(!text.contains(&secret), "the secret was printed");
    for (path, meta) in snapshot(&d)
        .keys()
        .map(|k| (k.clone(), std::fs::metadata(d.join(k)).unwrap()))
    {
        let contents = std::fs::read_to_string(d.join(&path)).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if contents.contains(&secret) || path == "secrets.toml" {
            assert_eq!(
                mode & 0o077,
                0,
                "{path} holds a secret and is mode {mode:o}"
            );
        }
    }
}

#[test]
fn plan_json_has_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    assert!(
        setup(&d, &["--domain", "meet.example.com", "--proxy", "caddy-l4"])
            .status
            .success()
    );
    let out = selkie(&["plan", "--dir", d.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["services", "ports", "dns", "firewall", "warnings"] {
        assert!(plan.get(key).is_some(), "missing {key}");
    }
    for port in plan["ports"].as_array().unwrap() {
        for key in [
            "port", "end", "proto", "exposure", "service", "purpose", "required",
        ] {
            assert!(port.get(key).is_some(), "port without {key}: {port}");
        }
        let exposure = port["exposure"].as_str().unwrap();
        assert!(["public", "proxied", "loopback", "internal", "vpn"].contains(&exposure));
    }
    let names: Vec<&str> = plan["dns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["meet.example.com", "turn.meet.example.com"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let secrets = std::fs::read_to_string(d.join("secrets.toml")).unwrap();
    for line in secrets.lines().filter(|l| l.contains("secret")) {
        if let Some(value) = line.split('"').nth(1) {
            assert!(!text.contains(value), "plan --json shows a secret");
        }
    }

    let human = selkie(&["plan", "--dir", d.to_str().unwrap()]);
    assert!(human.status.success());
    assert!(stderr(&human).contains("Deployment directory:"));
    let human = stdout(&human);
    assert!(human.contains("50 participants x 2 UDP ports"), "{human}");
}

#[test]
fn plan_without_a_deployment_says_to_run_setup() {
    let dir = tempfile::tempdir().unwrap();
    let out = selkie(&["plan", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("selkie setup"));
}

#[test]
fn selkie_dir_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("from-env");
    let out = run::command(&run::FRESH_AT_IP, &[])
        .env("SELKIE_DIR", &d)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(d.join("selkie.toml").exists());
}

#[test]
fn firewall_prints_provider_and_host_commands_or_client_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    fresh_setup(&d);
    let ds = d.to_str().unwrap();
    let out = selkie(&[
        "firewall",
        "--dir",
        ds,
        "--provider",
        "digitalocean",
        "--host",
        "ufw",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("doctl compute firewall"), "{text}");
    assert!(text.contains("ufw"), "{text}");
    let ssh = text.find("22").unwrap();
    assert!(ssh < text.find("50000").unwrap(), "SSH comes first");
    let out = selkie(&["firewall", "--dir", ds, "--clients"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("3478"));
    let out = selkie(&["firewall", "--dir", ds, "--host", "pf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ufw, firewalld, nftables, iptables"));
}

#[test]
fn ssh_session_port_and_client_shape_the_private_preset() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    let args = [
        "setup",
        "--non-interactive",
        "--no-start",
        "--dir",
        d.to_str().unwrap(),
        "--preset",
        "private",
        "--ip",
        "100.101.102.103",
    ];
    let out = run::command(&args, &[])
        .env("SSH_CONNECTION", "198.51.100.4 50022 100.101.102.103 2222")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let saved = std::fs::read_to_string(d.join("selkie.toml")).unwrap();
    assert!(
        saved.contains("2222") && saved.contains("198.51.100.4/32"),
        "{saved}"
    );
    let plan = selkie(&["plan", "--dir", d.to_str().unwrap(), "--json"]);
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let public: Vec<String> = plan["ports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["exposure"] == "public")
        .map(|p| format!("{}/{}", p["port"], p["proto"].as_str().unwrap()))
        .collect();
    assert_eq!(
        public,
        ["2222/tcp", "41641/udp"],
        "only SSH and WireGuard are public"
    );
}

#[test]
fn an_email_reaches_the_certificate_issuer_and_caddy_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    let out = setup(
        &d,
        &["--domain", "meet.example.com", "--email", "ops@example.com"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let caddyfile = std::fs::read_to_string(d.join("caddy/Caddyfile")).unwrap();
    assert!(caddyfile.contains("email ops@example.com"), "{caddyfile}");
    let adapted = Command::new("caddy")
        .args([
            "adapt",
            "--config",
            d.join("caddy/Caddyfile").to_str().unwrap(),
            "--adapter",
            "caddyfile",
        ])
        .env("HOME", dir.path())
        .output()
        .expect("caddy is installed (apt-get install caddy)");
    assert!(adapted.status.success(), "{}", stderr(&adapted));
    assert!(String::from_utf8_lossy(&adapted.stdout).contains("ops@example.com"));
    let out = setup(&d, &["--resume", "--proxy", "caddy-l4"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("caddy/caddy.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["apps"]["tls"]["automation"]["policies"][0]["issuers"][0]["email"],
        "ops@example.com"
    );
}
