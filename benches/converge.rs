//! Prints how long `selkie setup` takes to converge a stack through the Docker API, next to
//! `docker-compose up -d` on selkie's own compose export, and how LiveKit's start time depends
//! on its UDP range. Figures only: shared machines are noisy, so nothing here passes or fails on
//! time (it does fail when a run does not do what is being timed).
//!
//! Needs what the Docker end-to-end tests need (a daemon; images from `tests/images/build.sh`
//! where built, else the stand-ins `tests/common/docker.rs` builds) and Debian's
//! docker-compose 1.29. It holds the Docker tests' lock (selkie's container names are fixed),
//! refuses to start next to a deployment (any container labelled `io.selkie.project=selkie`),
//! removes everything it created when it ends or panics, and checks that nothing is left.
//!
//! 1. The reflector preset (8 services) from scratch and as a no-op, with selkie and with
//!    `docker-compose -p selkie_bench up -d` (never at the same time: both use the container
//!    names `selkie-<service>`). selkie waits for health and compose does not, so compose is also
//!    timed until every container with a healthcheck reports healthy.
//! 2. LiveKit (livekit preset, host networking) recreated with a 100-port and a 10,000-port UDP
//!    range: host networking publishes nothing, so the range costs nothing to start.

#[allow(dead_code)]
#[path = "../tests/common/docker.rs"]
mod docker;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use selkie::answers::Participants;

const SELKIE: &str = env!("CARGO_BIN_EXE_selkie");
const FRONTEND: &str = "frontend=registry.example.com/reflector-frontend:1.0.0";
const BACKEND: &str = "backend=registry.example.com/reflector-backend:1.0.0";
/// The compose project name: its own labels, so its leftovers can be found and removed.
const COMPOSE_PROJECT: &str = "selkie_bench";
const SELKIE_LABEL: &str = "io.selkie.project=selkie";
/// How long compose's containers may take to report healthy (as `--health-timeout 60`).
const HEALTH_TIMEOUT: Duration = Duration::from_secs(60);
/// From-scratch rounds per tool, and selkie no-op runs per round.
const SCRATCH_ROUNDS: usize = 3;
const NOOP_PER_ROUND: usize = 4;
/// LiveKit recreations per range size.
const LIVEKIT_ROUNDS: usize = 3;
/// Participant counts planning exactly 100 and 10,000 UDP ports (checked against the plan).
const SMALL: u32 = 40;
const LARGE: u32 = 4166;

fn compose_label() -> String {
    format!("com.docker.compose.project={COMPOSE_PROJECT}")
}

/// Runs `program ARGS` in `dir`, timed, with its stdout; panics with its output when it fails.
fn timed(program: &str, args: &[&str], dir: Option<&Path>) -> (Duration, String) {
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
fn selkie(dir: &Path, args: &[&str]) -> (Duration, String) {
    let mut all = args.to_vec();
    all.extend(["--dir", dir.to_str().expect("a UTF-8 temporary path")]);
    timed(SELKIE, &all, None)
}

/// `selkie setup --non-interactive --health-timeout 60 --no-check EXTRA...`, timed: the
/// converge and the wait for health, as compose does them, without the media check setup runs
/// after a change (benches/check.rs times that).
fn setup(dir: &Path, extra: &[&str]) -> Duration {
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

fn selkie_down(dir: &Path) {
    selkie(dir, &["down", "--volumes", "--yes"]);
    assert!(docker::labelled(SELKIE_LABEL).is_empty());
}

/// `docker-compose -p selkie_bench ARGS` in `dir`, timed.
fn compose(dir: &Path, args: &[&str]) -> Duration {
    let mut all = vec!["-p", COMPOSE_PROJECT];
    all.extend_from_slice(args);
    timed("docker-compose", &all, Some(dir)).0
}

/// The saved plan as JSON.
fn plan(dir: &Path) -> serde_json::Value {
    let out = selkie(dir, &["plan", "--json"]).1;
    serde_json::from_str(&out).expect("selkie plan --json prints JSON")
}

/// Makes every image of the saved plan exist; returns how many services it has.
fn images(dir: &Path) -> usize {
    let images: Vec<String> = plan(dir)["services"]
        .as_array()
        .expect("the plan lists its services")
        .iter()
        .map(|s| s["image"].as_str().expect("an image").to_string())
        .collect();
    docker::ensure_images(&images);
    images.len()
}

fn assert_running(rows: &[(String, String)], count: usize, who: &str) {
    assert_eq!(rows.len(), count, "{who}: {rows:?}");
    let running = rows.iter().all(|(_, s)| s.ends_with(" running"));
    assert!(running, "{who}: {rows:?}");
}

/// Waits until compose's `count` containers run and every one with a healthcheck is healthy.
fn wait_compose_healthy(count: usize) {
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
fn line(label: &str, times: &[Duration]) -> Duration {
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

fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.0} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

/// selkie from scratch and as a no-op, then compose the same way; `times` gets each figure.
fn reflector_round(d: &Path, services: usize, times: &mut [Vec<Duration>; 5]) {
    selkie_down(d);
    times[0].push(setup(d, &["--resume"]));
    let running = docker::labelled(SELKIE_LABEL);
    assert_running(&running, services, "selkie from scratch");
    for _ in 0..NOOP_PER_ROUND {
        times[1].push(setup(d, &["--resume"]));
        let now = docker::labelled(SELKIE_LABEL);
        assert_eq!(now, running, "a no-op recreated nothing");
    }
    selkie_down(d);

    // docker-compose on the file selkie wrote, with the same images and names.
    compose(d, &["down", "-v"]);
    let start = Instant::now();
    compose(d, &["up", "-d"]);
    times[2].push(start.elapsed());
    wait_compose_healthy(services);
    times[3].push(start.elapsed());
    let running = docker::labelled(&compose_label());
    assert_running(&running, services, "compose from scratch");
    times[4].push(compose(d, &["up", "-d"]));
    let now = docker::labelled(&compose_label());
    assert_eq!(now, running, "compose's no-op recreated nothing");
    compose(d, &["down", "-v"]);
}

fn converge_reflector() {
    let dir = tempfile::tempdir().expect("a temporary deployment directory");
    let d = dir.path();
    let preset = ["--preset", "reflector", "--ip", "127.0.0.1"];
    let pins = ["--image", FRONTEND, "--image", BACKEND];
    setup(d, &[&["--no-start"][..], &preset[..], &pins[..]].concat());
    let services = images(d);
    let mut times: [Vec<Duration>; 5] = Default::default();
    for _ in 0..SCRATCH_ROUNDS {
        reflector_round(d, services, &mut times);
    }
    let [scratch, noop, c_up, c_healthy, c_noop] = &times;

    println!(
        "1. Converge the reflector preset, {services} services, --health-timeout 60 (images \
         from tests/images/build.sh where built, stand-ins for the rest)"
    );
    let s = line("selkie setup --resume, from scratch (to healthy)", scratch);
    let u = line("docker-compose up -d, from scratch (returns)", c_up);
    let h = line(
        "docker-compose up -d, from scratch + until healthy",
        c_healthy,
    );
    println!(
        "  ratio selkie / compose up -d:          {:.2}x   (selkie waits for health, up -d \
         does not)",
        ratio(s, u)
    );
    println!(
        "  ratio selkie / compose up -d + health: {:.2}x   target: at most 0.5x: {}",
        ratio(s, h),
        met(ratio(s, h) <= 0.5)
    );
    println!(
        "  Docker runs a container's first healthcheck one interval ({} s) after it starts; \
         selkie runs the same command itself as soon as the container runs, and starts each \
         service as soon as what it depends on is ready.",
        selkie::plan::HEALTH_INTERVAL_SECS
    );
    let n = line("selkie setup --resume, nothing changed (no-op)", noop);
    line("docker-compose up -d, nothing changed (no-op)", c_noop);
    println!(
        "  ratio no-op / compose up -d + health:  {:.2}x   target: under 0.1x: {}",
        ratio(n, h),
        met(ratio(n, h) < 0.1)
    );
}

/// The saved plan's UDP range: (ports, "start-end").
fn media(dir: &Path) -> (u64, String) {
    let m = &plan(dir)["media"];
    let (start, end) = (m["start"].as_u64().unwrap(), m["end"].as_u64().unwrap());
    (end - start + 1, format!("{start}-{end}"))
}

fn livekit_range() {
    let size = |n: u32| selkie::plan::range_size(Participants::try_from(n).unwrap());
    assert_eq!(size(SMALL), 100, "{SMALL} participants plan 100 ports");
    assert_eq!(size(LARGE), 10_000, "{LARGE} participants: 10,000 ports");
    let dir = tempfile::tempdir().expect("a temporary deployment directory");
    let d = dir.path();
    let (small, large) = (SMALL.to_string(), LARGE.to_string());
    let preset = ["--preset", "livekit", "--ip", "127.0.0.1"];
    setup(
        d,
        &[&["--no-start", "--participants", &small][..], &preset[..]].concat(),
    );
    images(d);
    setup(d, &["--resume"]);
    let services = docker::labelled(SELKIE_LABEL).len();

    let (mut times, mut floor) = ([Vec::new(), Vec::new()], Vec::new());
    let mut ranges = [String::new(), String::new()];
    for _ in 0..LIVEKIT_ROUNDS {
        for (slot, n) in [(1, &large), (0, &small)] {
            let before = docker::labelled(SELKIE_LABEL);
            times[slot].push(setup(d, &["--resume", "--participants", n]));
            let after = docker::labelled(SELKIE_LABEL);
            assert_running(&after, services, "livekit preset");
            for ((name, was), (_, now)) in before.iter().zip(&after) {
                let recreated = was != now;
                assert_eq!(
                    recreated,
                    name == "selkie-livekit",
                    "{name}: {was} -> {now}"
                );
            }
            let (count, range) = media(d);
            assert_eq!(count, size(n.parse().unwrap()) as u64);
            ranges[slot] = format!("{count:>5} UDP ports ({range})");
        }
    }
    for _ in 0..LIVEKIT_ROUNDS {
        floor.push(setup(d, &["--resume"]));
    }
    selkie_down(d);

    println!();
    println!(
        "2. LiveKit's start with a small and a large UDP range (livekit preset, {services} \
         services, host networking): `selkie setup --resume --participants N` recreates LiveKit \
         only and waits until it answers; alternated, {LIVEKIT_ROUNDS} rounds each"
    );
    let a = line(&format!("LiveKit recreated, {}", ranges[0]), &times[0]);
    let b = line(&format!("LiveKit recreated, {}", ranges[1]), &times[1]);
    line("selkie setup --resume, nothing changed (floor)", &floor);
    println!(
        "  ratio 10,000 / 100 ports: {:.2}x   target: does not grow with the range (within \
         25%): {}",
        ratio(b, a),
        met(ratio(b, a) < 1.25)
    );
    println!(
        "  {} of each recreation is selkie's check that a freshly started container stays up \
         (src/docker/wait.rs, STABLE). Participants: {SMALL} -> {} ports, {LARGE} -> {} \
         (2 x participants + {}%, rounded up to ten, at least 100).",
        secs(selkie::docker::wait::STABLE),
        size(SMALL),
        size(LARGE),
        selkie::plan::HEADROOM_PERCENT,
    );
}

/// Removes what the bench may have created: selkie's stack and the compose project's.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        docker::remove_labelled(SELKIE_LABEL);
        docker::remove_labelled(&compose_label());
    }
}

fn main() {
    let _serial = docker::serial();
    docker::require_daemon();
    let compose_version = Command::new("docker-compose")
        .args(["version", "--short"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|e| {
            panic!(
                "cannot run docker-compose: {e}; install it with `apt-get install docker-compose`"
            )
        });
    let daemon = docker::docker_ok(&["version", "--format", "{{.Server.Version}}"]);
    docker::remove_labelled(&compose_label());
    let existing = docker::labelled(SELKIE_LABEL);
    assert!(
        existing.is_empty(),
        "selkie containers already exist ({existing:?}): the bench uses the same fixed names \
         (selkie-<service>), so it cannot run next to a deployment. Remove them with \
         `selkie down --dir DIR` and run it again."
    );
    let cleanup = Cleanup;
    let started = Instant::now();
    println!(
        "selkie converge bench: Docker {daemon}, docker-compose {compose_version}, {} CPUs \
         (figures only; nothing passes or fails on time)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    converge_reflector();
    livekit_range();
    drop(cleanup);
    let mut left = docker::labelled_objects(SELKIE_LABEL);
    left.extend(docker::labelled_objects(&compose_label()));
    assert!(left.is_empty(), "left behind: {}", left.join(", "));
    println!("\nLeft behind: nothing. Total {}.", secs(started.elapsed()));
}
