//! What the preset scenarios of tests/lab_presets.rs share: the images tests/images/build.sh
//! built for the presets' applications, a preset set up with every container's log on failure,
//! HTTPS and raw UDP from the client, and counters of what the server's firewall let through.
//! Test scaffolding.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use super::acme;
use super::harness::{deployment, selkie, wait_for_certificate};
use super::helper::{self, Helper};
use super::net::{Lab, SERVER_IP};
use super::tools::built_value;

/// An image reference tests/images/build.sh wrote to `paths.env` (`SELKIE_LAB_HATCHET_IMAGE`…).
pub fn image(key: &str) -> String {
    built_value(key)
}

/// `docker logs` of every container in the lab, for a failure message.
pub fn all_logs(lab: &Lab) -> String {
    let names = lab.docker(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]);
    let mut text = String::from_utf8_lossy(&names.stdout).into_owned();
    for line in String::from_utf8_lossy(&names.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let logs = lab.docker(&["logs", "--tail", "30", name]);
        text.push_str(&format!(
            "\n--- {name}:\n{}{}",
            String::from_utf8_lossy(&logs.stdout),
            String::from_utf8_lossy(&logs.stderr)
        ));
    }
    text
}

/// `selkie setup --non-interactive --preset PRESET --dir DIR ARGS`, which must succeed with
/// every service healthy; on failure, every container's log.
pub fn setup_preset(lab: &Lab, dir: &Path, preset: &str, args: &[&str]) {
    let mut all = vec![
        "setup",
        "--non-interactive",
        "--preset",
        preset,
        "--dir",
        dir.to_str().unwrap(),
        "--provider",
        "none",
        "--health-timeout",
        "180",
    ];
    all.extend_from_slice(args);
    let out = selkie(lab, &all);
    assert!(
        out.status.success(),
        "selkie {} failed:\n{}{}\n{}",
        all.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        all_logs(lab)
    );
}

/// `curl -s ARGS` in the client namespace; (exit status success, body).
pub fn client_curl(lab: &Lab, args: &[&str]) -> (bool, String) {
    let out = lab
        .on_client("curl")
        .args(["-sS", "--max-time", "15"])
        .args(args)
        .output()
        .unwrap();
    (out.status.success(), text(&out))
}

/// stdout, then stderr.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One variable of a running container's environment, as the program in it sees it.
pub fn container_env(lab: &Lab, container: &str, key: &str) -> String {
    let out = lab.docker_ok(&["inspect", "-f", "{{json .Config.Env}}", container]);
    let env: Vec<String> = serde_json::from_str(out.trim()).unwrap();
    env.iter()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{container} has no {key} in its environment"))
        .to_string()
}

/// Creates `room` through LiveKit's API at `url` (https://…) from the client, with the
/// deployment's key: for a LiveKit that does not create rooms on join (`auto_create: false`).
pub fn create_room(lab: &Lab, deployment: &Path, url: &str, room: &str, ca: &Path) {
    let (key, secret) = super::client::keys(deployment);
    let script = "import asyncio, os, sys\nfrom livekit import api\n\
        async def main():\n    async with api.LiveKitAPI(sys.argv[1], os.environ['LAB_API_KEY'], \
        os.environ['LAB_API_SECRET']) as lk:\n        \
        r = await lk.room.create_room(api.CreateRoomRequest(name=sys.argv[2]))\n        \
        print('created', r.name)\nasyncio.run(main())\n";
    let out = lab
        .on_client(super::tools::built("SELKIE_LAB_PYTHON").to_str().unwrap())
        .args(["-c", script, url, room])
        .env("LAB_API_KEY", key)
        .env("LAB_API_SECRET", secret)
        .env("SSL_CERT_FILE", ca)
        .output()
        .unwrap();
    assert!(
        out.status.success() && text(&out).contains(&format!("created {room}")),
        "CreateRoom at {url}: {}",
        text(&out)
    );
}

/// Counters in the server namespace on the input hook *after* every host firewall's chain
/// (priority 100): a packet a firewall dropped never reaches them.
pub fn count_udp(lab: &Lab, ports: &[&str]) {
    let rules: Vec<String> = ports
        .iter()
        .map(|p| format!("udp dport {p} counter"))
        .collect();
    lab.nft_chain(&lab.server, "lab_count", "input", 100, &rules);
}

/// The packets each counter of [`count_udp`] saw, by port expression.
pub fn udp_counts(lab: &Lab) -> Vec<(String, u64)> {
    let out = lab
        .on_server("nft")
        .args(["list", "table", "inet", "lab_count"])
        .output()
        .unwrap();
    text(&out)
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let port = l.strip_prefix("udp dport ")?.split(" counter").next()?;
            let packets = l.split("packets ").nth(1)?.split_whitespace().next()?;
            Some((port.to_string(), packets.parse().ok()?))
        })
        .collect()
}

/// Sends three UDP datagrams from the client to each of the server's `ports`.
pub fn send_udp(lab: &Lab, ports: &[u16]) {
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    let script = format!(
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         for p in [{}]:\n    for _ in range(3):\n        s.sendto(b'selkie-lab', ('{SERVER_IP}', p))\n",
        list.join(", ")
    );
    let out = lab
        .on_client("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "sending UDP: {}", text(&out));
}

/// The processes bound to UDP `port` in the server namespace (`ss`'s users field).
pub fn udp_owner(lab: &Lab, port: u16) -> String {
    let out = lab
        .on_server("ss")
        .args(["-Hulpn", &format!("sport = :{port}")])
        .output()
        .unwrap();
    text(&out)
}

/// [`udp_owner`] once it names `program`, or after 30 s whatever it says.
pub fn wait_for_udp_owner(lab: &Lab, port: u16, program: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let owner = udp_owner(lab, port);
        if owner.contains(program) || started.elapsed().as_secs() > 30 {
            return owner;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// Writes `contents` to a scratch file in the lab's run directory.
pub fn scratch(lab: &Lab, name: &str, contents: &[u8]) -> PathBuf {
    let path = lab.run.join(name);
    fs::write(&path, contents).unwrap();
    path
}

/// TCP listeners on 0.0.0.0 in the server namespace (SSH's port, which no sshd serves in the
/// lab), so the firewall, not a missing listener, decides what the client reaches. Stopped
/// when dropped.
pub fn listeners(lab: &Lab, ports: &[u16]) -> Helper {
    let mut cmd = lab.on_server("python3");
    cmd.args([
        "-c",
        &helper::tcp_listeners(&helper::any_address(ports), false),
    ]);
    Helper::start(cmd, "listening", "the lab's listeners")
}

/// A preset at a domain whose certificates come from Pebble: the lab, Pebble, the deployment
/// directory and Pebble's issuing root.
pub struct PresetDomain {
    pub pebble: acme::Pebble,
    pub lab: Lab,
    pub dir: PathBuf,
    pub root: PathBuf,
}

/// Sets `preset` up at `domain` behind `proxy` with Pebble as its CA and `images` loaded;
/// `names` resolve to the server; `args` are more setup flags.
pub fn preset_with_pebble(
    preset: &str,
    domain: &str,
    names: &[&str],
    images: &[String],
    args: &[&str],
) -> PresetDomain {
    let mut lab = Lab::new();
    let refs: Vec<&str> = images.iter().map(String::as_str).collect();
    lab.start_docker(&refs);
    lab.client_hosts(names);
    let pebble = acme::Pebble::start(&lab);
    let dir = deployment(&lab, preset);
    let ca = acme::directory();
    let mut all = vec![
        "--domain",
        domain,
        "--acme-ca",
        &ca,
        "--acme-ca-root",
        pebble.endpoint_root.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    setup_preset(&lab, &dir, preset, &all);
    let root = pebble.issuing_root(&lab);
    // TURN's name carries TURN/TLS, not HTTPS.
    for name in names.iter().filter(|n| !n.starts_with("turn.")) {
        wait_for_certificate(&lab, &format!("https://{name}/"), &root, Some(&pebble));
    }
    PresetDomain {
        pebble,
        lab,
        dir,
        root,
    }
}
