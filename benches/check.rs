//! `selkie check` wall time in the lab, against the real LiveKit selkie set up (no proxy): with
//! every path open, and with every media path dropped by the server's firewall (UDP range, TURN's
//! 3478, 7881). Prints figures, not a gate: the first should be well under 10 s, the second about
//! one ICE timeout (the paths run concurrently), not the sum of them. Needs root and
//! tests/images/build.sh, like the lab tests.

#[allow(dead_code)]
#[path = "../tests/lab/net.rs"]
mod net;
#[path = "../tests/lab/tools.rs"]
mod tools;

use std::time::{Duration, Instant};

use net::{Lab, SERVER_IP};

const LIVEKIT: &str = "livekit/livekit-server:v1.13.5";
const RUNS: usize = 3;

fn main() {
    let mut lab = Lab::new();
    lab.start_docker(&[LIVEKIT]);
    let dir = lab.run.join("deploy-check-bench");
    let out = lab
        .on_server(env!("CARGO_BIN_EXE_selkie"))
        .args(["setup", "--non-interactive", "--dir", dir.to_str().unwrap()])
        .args(["--ip", SERVER_IP, "--proxy", "none", "--provider", "none"])
        .args(["--health-timeout", "90"])
        .env("DOCKER_HOST", lab.docker_host())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "setup: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let open = time(&lab, &dir.to_string_lossy(), 0);
    lab.nft(
        &lab.server,
        "table inet bench_block {\n  chain input {\n    type filter hook input priority -10;\n    \
         udp dport { 3478, 50000-50119 } drop\n    tcp dport 7881 drop\n  }\n}\n",
    );
    let blocked = time(&lab, &dir.to_string_lossy(), 1);
    println!(
        "check: all paths open {} (median of {RUNS}); every media path blocked {} (one ICE \
         timeout is {} s)",
        secs(open),
        secs(blocked),
        selkie::check::PATH_TIMEOUT.as_secs()
    );
}

/// The median wall time of `selkie check`, which must exit with `code`.
fn time(lab: &Lab, dir: &str, code: i32) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let out = lab
                .on_server(env!("CARGO_BIN_EXE_selkie"))
                .args(["check", "--json", "--dir", dir])
                .output()
                .unwrap();
            let took = started.elapsed();
            assert_eq!(
                out.status.code(),
                Some(code),
                "selkie check: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            took
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
