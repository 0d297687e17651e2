//! Load in the lab: 10, 25 and 50 real participants (LiveKit's Python SDK, audio and video each)
//! join the real LiveKit that selkie set up for 50 participants; prints the UDP ports LiveKit
//! actually opened against the plan's range, ports per participant, and LiveKit's CPU and
//! memory. Figures, not a gate. Needs root and tests/images/build.sh, like the lab tests.

#[allow(dead_code)]
#[path = "../tests/lab/client.rs"]
mod client;
#[allow(dead_code)]
#[path = "../tests/lab/net.rs"]
mod net;
#[path = "../tests/lab/tools.rs"]
mod tools;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use net::{Lab, SERVER_IP};
use tools::built;

const LIVEKIT: &str = "livekit/livekit-server:v1.13.5";

fn main() {
    let mut lab = Lab::new();
    lab.start_docker(&[LIVEKIT]);
    let dir = lab.run.join("deploy-load");
    let out = lab
        .on_server(env!("CARGO_BIN_EXE_selkie"))
        .args(["setup", "--non-interactive", "--dir", dir.to_str().unwrap()])
        .args(["--ip", SERVER_IP, "--proxy", "none", "--participants", "50"])
        .args(["--provider", "none", "--health-timeout", "90"])
        .env("DOCKER_HOST", lab.docker_host())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "setup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = std::fs::read_to_string(dir.join("livekit/livekit.yaml")).unwrap();
    let field = |key: &str| -> u16 {
        yaml.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("livekit.yaml has no {key}"))
    };
    let (start, end) = (field("port_range_start"), field("port_range_end"));
    let addresses = lab
        .on_server("ip")
        .args(["-4", "-o", "addr"])
        .output()
        .unwrap();
    let addresses: Vec<String> = String::from_utf8_lossy(&addresses.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3).map(str::to_string))
        .filter(|a| !a.starts_with("127."))
        .collect();
    println!(
        "load: selkie planned {} UDP ports ({start}-{end}) for 50 participants; the server's \
         non-loopback IPv4 addresses: {}",
        end - start + 1,
        addresses.join(", ")
    );
    println!("load: participants  peer-conns  udp-ports-open  ports/participant  livekit-cpu  livekit-mem  joined");
    let (key, secret) = client::keys(&dir);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lab/load.py");
    for (n, dual) in [(10, false), (25, false), (50, false), (10, true)] {
        let mut child = lab
            .on_client(built("SELKIE_LAB_PYTHON").to_str().unwrap())
            .arg(script)
            .args(["--url", &format!("ws://{SERVER_IP}:7880")])
            .args(["--participants", &n.to_string(), "--seconds", "120"])
            .args(if dual { vec!["--dual"] } else { vec![] })
            .env("LAB_API_KEY", &key)
            .env("LAB_API_SECRET", &secret)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let joined = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("joined ").map(str::to_string))
            .unwrap_or_else(|| "?".into());
        std::thread::sleep(Duration::from_secs(3));
        let open = udp_ports_in(&lab, start, end);
        let stats = lab.docker_ok(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.CPUPerc}} {{.MemUsage}}",
            "selkie-livekit",
        ]);
        let mut stats = stats.split_whitespace();
        let (cpu, mem) = (
            stats.next().unwrap_or("?").to_string(),
            stats.next().unwrap_or("?").to_string(),
        );
        println!(
            "load: {n:>12}  {:>10}  {open:>14}  {:>17.2}  {cpu:>11}  {mem:>11}  {joined}",
            if dual { 2 } else { 1 },
            open as f64 / n as f64
        );
        let _ = child.stdin.take().map(|mut s| s.write_all(b"\n"));
        let _ = child.wait();
        std::thread::sleep(Duration::from_secs(3));
    }
}

/// UDP sockets bound in the server namespace with a local port in start..=end.
fn udp_ports_in(lab: &Lab, start: u16, end: u16) -> usize {
    let out = lab
        .on_server("cat")
        .args(["/proc/net/udp", "/proc/net/udp6"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter_map(|local| local.rsplit(':').next())
        .filter_map(|port| u16::from_str_radix(port, 16).ok())
        .filter(|p| (start..=end).contains(p))
        .count()
}
