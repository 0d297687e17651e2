//! Scenario 5 of the lab (tests/lab.rs): selkie's host firewalls (nftables, iptables, ufw),
//! applied in the server namespace, open exactly the plan's public ports.

use std::path::Path;

use crate::lab::harness::*;
use crate::lab::net::{Lab, SERVER_IP};
use crate::lab::{client, tools};
use crate::{caddy_internal_root, decoys};

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
    let (lab, dir) = at_ip(
        "firewall",
        "caddy",
        &["--ssh-port", "22", "--ip-cert", "internal"],
    );
    let root = caddy_internal_root(&lab);
    let url = format!("wss://{SERVER_IP}");
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
        let joined = client::join(&lab, &dir, &url, Some(&root), false);
        joined.assert_media_via("udp", .., &format!("{kind}: media over UDP"));
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
