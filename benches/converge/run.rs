//! What every section of the converge bench shares: running selkie and docker-compose timed,
//! waiting for compose's containers to report healthy, and printing figures.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::docker;

pub const SELKIE: &str = env!("CARGO_BIN_EXE_selkie");
/// The compose project name: its own labels, so its leftovers can be found and removed.
pub const COMPOSE_PROJECT: &str = "selkie_bench";
pub const SELKIE_LABEL: &str = "io.selkie.project=selkie";
/// How long compose's containers may take to report healthy (as `--health-timeout 60`).
const HEALTH_TIMEOUT: Duration = Duration::from_secs(60);

pub fn compose_label() -> String {
    format!("com.docker.compose.project={COMPOSE_PROJECT}")
}

/// Runs `program ARGS` in `dir`, timed, with its stdout; panics with its output when it fails.
pub fn timed(program: &str, args: &[&str], dir: Option<&Path>) -> (Duration, String) {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let start = Instant::now();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let took = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "`{program} {}` failed ({}):\n{stdout}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (took, stdout)
}

/// `selkie ARGS --dir DIR`, timed.
pub fn selkie(dir: &Path, args: &[&str]) -> (Duration, String) {
    let mut all = args.to_vec();
    all.extend(["--dir", dir.to_str().expect("a UTF-8 temporary path")]);
    timed(SELKIE, &all, None)
}

/// `selkie setup --non-interactive --health-timeout 60 --no-check EXTRA...`, timed: the
/// converge and the wait for health, as compose does them, without the media check setup runs
/// after a change (benches/check.rs times that).
pub fn setup(dir: &Path, extra: &[&str]) -> Duration {
    let mut args = vec![
        "setup",
        "--non-interactive",
        "--health-timeout",
        "60",
        "--no-check",
    ];
    args.extend_from_slice(extra);
    selkie(dir, &args).0
}

pub fn selkie_down(dir: &Path) {
    selkie(dir, &["down", "--volumes", "--yes"]);
    assert!(docker::labelled(SELKIE_LABEL).is_empty());
}

/// `docker-compose -p selkie_bench ARGS` in `dir`, timed.
pub fn compose(dir: &Path, args: &[&str]) -> Duration {
    let mut all = vec!["-p", COMPOSE_PROJECT];
    all.extend_from_slice(args);
    timed("docker-compose", &all, Some(dir)).0
}

/// The saved plan as JSON.
pub fn plan(dir: &Path) -> serde_json::Value {
    let out = selkie(dir, &["plan", "--json"]).1;
    serde_json::from_str(&out).expect("selkie plan --json prints JSON")
}

/// Makes every image of the saved plan exist; returns how many services it has.
pub fn images(dir: &Path) -> usize {
    let images: Vec<String> = plan(dir)["services"]
        .as_array()
        .expect("the plan lists its services")
        .iter()
        .map(|s| s["image"].as_str().expect("an image").to_string())
        .collect();
    docker::ensure_images(&images);
    images.len()
}

pub fn assert_running(rows: &[(String, String)], count: usize, who: &str) {
    assert_eq!(rows.len(), count, "{who}: {rows:?}");
    let running = rows.iter().all(|(_, s)| s.ends_with(" running"));
    assert!(running, "{who}: {rows:?}");
}

/// Waits until compose's `count` containers run and every one with a healthcheck is healthy.
pub fn wait_compose_healthy(count: usize) {
    let deadline = Instant::now() + HEALTH_TIMEOUT;
    loop {
        let rows = docker::labelled(&compose_label());
        let mut states = format!("{} containers of {count}", rows.len());
        if rows.len() == count {
            let mut args = vec![
                "inspect",
                "--format",
                "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
            ];
            args.extend(rows.iter().filter_map(|(_, s)| s.split(' ').next()));
            let out = docker::docker(&args);
            states = String::from_utf8_lossy(&out.stdout).to_string();
            let ready = |l: &str| l == "running none" || l == "running healthy";
            if out.status.success() && states.lines().filter(|l| ready(l)).count() == count {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "compose's containers were not all healthy within {HEALTH_TIMEOUT:?}: {states}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Median, min and max, printed; returns the median.
pub fn line(label: &str, times: &[Duration]) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    let (median, min, max) = (t[t.len() / 2], t[0], t[t.len() - 1]);
    println!(
        "  {label:<52} median {:>8}  (min {}, max {}, n={})",
        secs(median),
        secs(min),
        secs(max),
        times.len()
    );
    median
}

pub fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.0} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

pub fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}
