//! Prints the wall time of a whole `selkie plan` process (target: under 20 ms). Figures only:
//! shared machines are noisy, so nothing here passes or fails on time.

use std::process::Command;
use std::time::{Duration, Instant};

fn run(args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_selkie"))
        .args(args)
        .output()
        .expect("the selkie binary runs");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let p90 = times[times.len() * 9 / 10];
    println!(
        "{label:<34} min {:>6.2} ms  median {:>6.2} ms  p90 {:>6.2} ms  (target < 20 ms: {})",
        ms(times[0]),
        ms(median),
        ms(p90),
        if median < Duration::from_millis(20) {
            "met"
        } else {
            "NOT met"
        }
    );
}

fn main() {
    let dir = std::env::temp_dir().join(format!("selkie-bench-{}", std::process::id()));
    let d = dir.to_str().expect("temp paths are UTF-8 here");
    run(&[
        "setup",
        "--non-interactive",
        "--no-start",
        "--dir",
        d,
        "--preset",
        "reflector",
        "--domain",
        "bench.example.com",
        "--image",
        "frontend=registry.example.com/f:1",
        "--image",
        "backend=registry.example.com/b:1",
    ]);
    let rounds = 60;
    for _ in 0..5 {
        run(&["plan", "--dir", d]);
    }
    report(
        "selkie plan (reflector, 8 services)",
        (0..rounds).map(|_| run(&["plan", "--dir", d])).collect(),
    );
    report(
        "selkie plan --json",
        (0..rounds)
            .map(|_| run(&["plan", "--dir", d, "--json"]))
            .collect(),
    );
    report(
        "selkie --version (process floor)",
        (0..rounds).map(|_| run(&["--version"])).collect(),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
