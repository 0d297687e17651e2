//! Prints how long `selkie setup` takes to converge a stack through the Docker API, next to
//! `docker-compose up -d` on selkie's own compose export, and how LiveKit's start time depends
//! on its UDP range. Figures only: shared machines are noisy, so nothing here passes or fails on
//! time (it does fail when a run does not do what is being timed).
//!
//! Needs what the Docker end-to-end tests need (a daemon, the stand-in images built by
//! `tests/common/docker.rs`) and Debian's docker-compose 1.29. selkie's container names are
//! fixed, so the bench cannot run next to a deployment or the Docker tests: it refuses to start
//! while any container labelled `io.selkie.project=selkie` exists, takes down every stack it
//! starts, checks at the end that nothing is left, and on a panic removes everything it may
//! have created (that label, its compose project's, its own).
//!
//! 1. The reflector preset (8 services) from scratch and as a no-op, with selkie and with
//!    `docker-compose -p selkie_bench up -d` (never at the same time: both use the container
//!    names `selkie-<service>`). selkie waits for health and compose does not, so compose is also
//!    timed until every container with a healthcheck reports healthy.
//! 2. LiveKit (livekit preset, host networking) recreated with a 100-port and a 10,000-port UDP
//!    range, and for contrast a container on the default bridge publishing 1,000 UDP ports.

#[allow(dead_code)]
#[path = "../tests/common/docker.rs"]
mod docker;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use selkie::answers::Participants;

const SELKIE: &str = env!("CARGO_BIN_EXE_selkie");
const FRONTEND: &str = "frontend=registry.example.com/reflector-frontend:1.0.0";
const BACKEND: &str = "backend=registry.example.com/reflector-backend:1.0.0";
/// The compose project name: its own labels, so its leftovers can be found and removed.
const COMPOSE_PROJECT: &str = "selkie_bench";
/// Label on the bridge-network contrast containers.
const BENCH_LABEL: &str = "io.selkie.bench=converge";
const BRIDGE_CONTAINER: &str = "selkie-bench-udp";
/// The 1,000-port range published on the bridge, and how long the bench waits for it.
const BRIDGE_PORTS: &str = "127.0.0.1:40000-40999:40000-40999/udp";
const BRIDGE_RUN_TIMEOUT: Duration = Duration::from_secs(120);
const BRIDGE_RM_TIMEOUT: Duration = Duration::from_secs(300);
/// How long compose's containers may take to report healthy (as `--health-timeout 60`).
const HEALTH_TIMEOUT: Duration = Duration::from_secs(60);

/// From-scratch rounds per tool (each takes several seconds: Docker's first healthcheck).
const SCRATCH_ROUNDS: usize = 3;
/// selkie no-op runs per from-scratch round.
const NOOP_PER_ROUND: usize = 4;
/// LiveKit recreations per range size.
const LIVEKIT_ROUNDS: usize = 3;
/// Participant counts planning exactly 100 and 10,000 UDP ports (checked against the plan).
const SMALL: u32 = 40;
const LARGE: u32 = 4166;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
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
    assert!(
        out.status.success(),
        "`{program} {}` failed ({}):\n{}",
        args.join(" "),
        out.status,
        text(&out)
    );
    (took, String::from_utf8_lossy(&out.stdout).to_string())
}

/// `selkie setup --non-interactive --dir DIR --health-timeout 60 --no-check EXTRA...`, timed:
/// the converge and the wait for health, as compose does them, without the media check setup
/// runs after a change (benches/check.rs times that).
fn setup(dir: &Path, extra: &[&str]) -> Duration {
    let mut args = vec![
        "setup",
        "--non-interactive",
        "--dir",
        dir.to_str().unwrap(),
        "--health-timeout",
        "60",
        "--no-check",
    ];
    args.extend_from_slice(extra);
    timed(SELKIE, &args, None).0
}

fn selkie_down(dir: &Path) {
    timed(
        SELKIE,
        &["down", "--dir", dir.to_str().unwrap(), "--volumes", "--yes"],
        None,
    );
}

/// `docker-compose -p selkie_bench ARGS` in `dir`, timed.
fn compose(dir: &Path, args: &[&str]) -> Duration {
    let mut all = vec!["-p", COMPOSE_PROJECT];
    all.extend_from_slice(args);
    timed("docker-compose", &all, Some(dir)).0
}

/// The saved plan as JSON.
fn plan(dir: &Path) -> serde_json::Value {
    let (_, out) = timed(
        SELKIE,
        &["plan", "--dir", dir.to_str().unwrap(), "--json"],
        None,
    );
    serde_json::from_str(&out).expect("selkie plan --json prints JSON")
}

/// Every image the saved plan runs.
fn plan_images(dir: &Path) -> Vec<String> {
    plan(dir)["services"]
        .as_array()
        .expect("the plan lists its services")
        .iter()
        .map(|s| s["image"].as_str().unwrap().to_string())
        .collect()
}

/// `(name, "id state")` of every container matching the label `filter`, sorted by name.
fn containers(filter: &str) -> Vec<(String, String)> {
    let out = docker::docker_ok(&[
        "ps",
        "-a",
        "--filter",
        &format!("label={filter}"),
        "--format",
        "{{.Names}} {{.ID}} {{.State}}",
    ]);
    let mut rows: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(' ')?;
            Some((name.to_string(), rest.to_string()))
        })
        .collect();
    rows.sort();
    rows
}

fn selkie_containers() -> Vec<(String, String)> {
    containers("io.selkie.project=selkie")
}

fn compose_containers() -> Vec<(String, String)> {
    containers(&format!("com.docker.compose.project={COMPOSE_PROJECT}"))
}

fn assert_running(rows: &[(String, String)], count: usize, who: &str) {
    assert_eq!(rows.len(), count, "{who}: {rows:?}");
    assert!(
        rows.iter().all(|(_, s)| s.ends_with(" running")),
        "{who}: {rows:?}"
    );
}

/// Waits until compose's `count` containers run and every one with a healthcheck is healthy.
fn wait_compose_healthy(count: usize) {
    let deadline = Instant::now() + HEALTH_TIMEOUT;
    loop {
        let ids: Vec<String> = compose_containers()
            .into_iter()
            .map(|(_, s)| s.split(' ').next().unwrap().to_string())
            .collect();
        let mut states = format!("{} containers of {count}", ids.len());
        if ids.len() == count {
            let mut args = vec![
                "inspect",
                "--format",
                "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
            ];
            args.extend(ids.iter().map(String::as_str));
            let out = docker::docker(&args);
            states = String::from_utf8_lossy(&out.stdout).to_string();
            let ready = out.status.success()
                && states.lines().count() == count
                && states
                    .lines()
                    .all(|l| l == "running none" || l == "running healthy");
            if ready {
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

/// Removes the containers, networks and volumes labelled `filter`; never panics.
fn remove_labelled(filter: &str) {
    let filter = format!("label={filter}");
    let list = |args: &[&str]| -> Vec<String> {
        String::from_utf8_lossy(&docker::docker(args).stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let remove = |base: &[&str], ids: Vec<String>| {
        if ids.is_empty() {
            return;
        }
        let mut args = base.to_vec();
        args.extend(ids.iter().map(String::as_str));
        let out = docker::docker(&args);
        if !out.status.success() {
            eprintln!(
                "cleanup: `docker {}` failed: {}",
                args.join(" "),
                text(&out)
            );
        }
    };
    remove(
        &["rm", "--force", "--volumes"],
        list(&["ps", "-aq", "--filter", &filter]),
    );
    remove(
        &["network", "rm"],
        list(&["network", "ls", "-q", "--filter", &filter]),
    );
    remove(
        &["volume", "rm", "--force"],
        list(&["volume", "ls", "-q", "--filter", &filter]),
    );
}

/// What only the bench creates: its compose project and the contrast containers.
fn clean_own() {
    remove_labelled(BENCH_LABEL);
    remove_labelled(&format!("com.docker.compose.project={COMPOSE_PROJECT}"));
}

/// Set while a stack the bench started may be up: a panic then removes selkie's label too.
static STACK_UP: AtomicBool = AtomicBool::new(false);
/// Every container and network (`container ID`, `network ID`, full IDs) and volume
/// (`volume NAME CREATED`) the bench's stacks had: what it checks is gone at the end, without
/// mistaking another selkie run on the same daemon for its own leftovers.
static CREATED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// selkie's containers, the `selkie` network and the `selkie_*` volumes that exist now.
fn stack_objects(only_labelled: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut ps = vec!["ps", "-aq", "--no-trunc"];
    if only_labelled {
        ps.extend(["--filter", "label=io.selkie.project=selkie"]);
    }
    for id in docker::docker_ok(&ps).split_whitespace() {
        out.insert(format!("container {id}"));
    }
    let networks = docker::docker_ok(&[
        "network",
        "ls",
        "--no-trunc",
        "--format",
        "{{.ID}} {{.Name}}",
    ]);
    for (id, _) in networks
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, name)| *name == "selkie")
    {
        out.insert(format!("network {id}"));
    }
    let volumes = docker::docker_ok(&["volume", "ls", "--format", "{{.Name}}"]);
    let mut args = vec!["volume", "inspect", "--format", "{{.Name}} {{.CreatedAt}}"];
    args.extend(
        volumes
            .split_whitespace()
            .filter(|v| v.starts_with("selkie_")),
    );
    if args.len() > 4 {
        // A volume removed meanwhile makes inspect fail for it alone; the rest still print.
        let out_text = String::from_utf8_lossy(&docker::docker(&args).stdout).to_string();
        for line in out_text.lines() {
            out.insert(format!("volume {line}"));
        }
    }
    out
}

/// Remembers the stack that runs now as the bench's own.
fn record_stack() {
    let objects = stack_objects(true);
    CREATED.lock().unwrap().extend(objects);
}

/// The bench's recorded objects that still exist.
fn remaining() -> Vec<String> {
    let now = stack_objects(false);
    let created = CREATED.lock().unwrap_or_else(|p| p.into_inner());
    created.intersection(&now).cloned().collect()
}

/// Removes the bench's recorded objects that still exist; never panics.
fn remove_recorded() {
    let left = remaining();
    for kind in ["container", "network", "volume"] {
        for obj in left.iter().filter_map(|o| o.strip_prefix(kind)) {
            let id = obj.split_whitespace().next().unwrap_or_default();
            let args: Vec<&str> = match kind {
                "container" => vec!["rm", "--force", "--volumes", id],
                "network" => vec!["network", "rm", id],
                _ => vec!["volume", "rm", "--force", id],
            };
            let out = docker::docker(&args);
            if !out.status.success() {
                eprintln!(
                    "cleanup: `docker {}` failed: {}",
                    args.join(" "),
                    text(&out)
                );
            }
        }
    }
}

/// On a panic, removes what the bench created: its own labels' objects, every recorded one, and
/// while one of its stacks may be up, all of selkie's label (it checked none existed when it
/// started). A run that ends normally has taken its stacks down itself.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        if std::thread::panicking() {
            clean_own();
            if STACK_UP.load(Ordering::SeqCst) {
                docker::remove_project_containers("selkie");
            }
            remove_recorded();
        }
    }
}

/// What the bench left: anything with its own labels, and any container, network or volume
/// its stacks had that still exists.
fn leftovers() -> Vec<String> {
    let mut left = BTreeSet::new();
    for filter in [
        format!("com.docker.compose.project={COMPOSE_PROJECT}"),
        BENCH_LABEL.to_string(),
    ] {
        let f = format!("label={filter}");
        for (kind, mut args) in [
            ("container", vec!["ps", "-a", "--format", "{{.Names}}"]),
            ("network", vec!["network", "ls", "--format", "{{.Name}}"]),
            ("volume", vec!["volume", "ls", "--format", "{{.Name}}"]),
        ] {
            args.extend(["--filter", f.as_str()]);
            for name in docker::docker_ok(&args).split_whitespace() {
                left.insert(format!("{kind} {name}"));
            }
        }
    }
    left.extend(remaining());
    left.into_iter().collect()
}

/// Median, min and max.
fn stats(times: &[Duration]) -> (Duration, Duration, Duration) {
    let mut t = times.to_vec();
    t.sort();
    (t[t.len() / 2], t[0], t[t.len() - 1])
}

fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.0} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn line(label: &str, times: &[Duration]) -> Duration {
    let (median, min, max) = stats(times);
    println!(
        "  {label:<52} median {:>8}  (min {}, max {}, n={})",
        secs(median),
        secs(min),
        secs(max),
        times.len()
    );
    median
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

fn converge_reflector() {
    let dir = tempfile::tempdir().expect("a temporary deployment directory");
    let d = dir.path();
    setup(
        d,
        &[
            "--no-start",
            "--preset",
            "reflector",
            "--ip",
            "127.0.0.1",
            "--image",
            FRONTEND,
            "--image",
            BACKEND,
        ],
    );
    let images = plan_images(d);
    let services = images.len();
    docker::ensure_images(&images);
    assert!(d.join("docker-compose.yml").is_file());

    let (mut scratch, mut noop) = (Vec::new(), Vec::new());
    let (mut c_up, mut c_healthy, mut c_noop) = (Vec::new(), Vec::new(), Vec::new());
    STACK_UP.store(true, Ordering::SeqCst);
    for _ in 0..SCRATCH_ROUNDS {
        // selkie: nothing exists, then `setup --resume` creates and waits for all of it.
        selkie_down(d);
        assert!(selkie_containers().is_empty());
        scratch.push(setup(d, &["--resume"]));
        record_stack();
        let running = selkie_containers();
        assert_running(&running, services, "selkie from scratch");
        for _ in 0..NOOP_PER_ROUND {
            noop.push(setup(d, &["--resume"]));
            assert_eq!(selkie_containers(), running, "a no-op recreated nothing");
        }
        selkie_down(d);

        // docker-compose on the file selkie wrote, with the same images and names.
        compose(d, &["down", "-v"]);
        assert!(selkie_containers().is_empty());
        let start = Instant::now();
        compose(d, &["up", "-d"]);
        c_up.push(start.elapsed());
        wait_compose_healthy(services);
        c_healthy.push(start.elapsed());
        record_stack();
        let running = compose_containers();
        assert_running(&running, services, "compose from scratch");
        c_noop.push(compose(d, &["up", "-d"]));
        assert_eq!(
            compose_containers(),
            running,
            "compose's no-op recreated nothing"
        );
        compose(d, &["down", "-v"]);
    }
    STACK_UP.store(false, Ordering::SeqCst);

    println!(
        "1. Converge the reflector preset, {services} services (selkie has no five-service \
         preset; reflector is used instead), stand-in images, --health-timeout 60"
    );
    let s = line("selkie setup --resume, from scratch (to healthy)", &scratch);
    let u = line("docker-compose up -d, from scratch (returns)", &c_up);
    let h = line(
        "docker-compose up -d, from scratch + until healthy",
        &c_healthy,
    );
    println!(
        "  ratio selkie / compose up -d:          {:.2}x   \
         (selkie waits for health, up -d does not)",
        ratio(s, u)
    );
    println!(
        "  ratio selkie / compose up -d + health: {:.2}x   target: selkie no slower than compose \
         from scratch: {} (against up -d alone: {})",
        ratio(s, h),
        met(s <= h),
        met(s <= u)
    );
    println!(
        "  Docker runs a container's first healthcheck one interval ({} s) after it starts, so \
         both waits for health take at least that.",
        selkie::plan::HEALTH_INTERVAL_SECS
    );
    let n = line("selkie setup --resume, nothing changed (no-op)", &noop);
    line("docker-compose up -d, nothing changed (no-op)", &c_noop);
    println!(
        "  target: a no-op under 0.5 s: {}",
        met(n < Duration::from_millis(500))
    );
    println!(
        "  (each from-scratch run follows `selkie down --volumes --yes` or \
         `docker-compose down -v`; the two never run at the same time)"
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
    assert_eq!(
        size(LARGE),
        10_000,
        "{LARGE} participants plan 10,000 ports"
    );

    let dir = tempfile::tempdir().expect("a temporary deployment directory");
    let d = dir.path();
    let small = SMALL.to_string();
    let large = LARGE.to_string();
    setup(
        d,
        &[
            "--no-start",
            "--preset",
            "livekit",
            "--ip",
            "127.0.0.1",
            "--participants",
            &small,
        ],
    );
    docker::ensure_images(&plan_images(d));
    STACK_UP.store(true, Ordering::SeqCst);
    setup(d, &["--resume"]);
    record_stack();
    let services = selkie_containers().len();

    let (mut t_small, mut t_large, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    let mut ranges = [String::new(), String::new()];
    for _ in 0..LIVEKIT_ROUNDS {
        for (n, times, slot) in [(&large, &mut t_large, 1), (&small, &mut t_small, 0)] {
            let before = selkie_containers();
            times.push(setup(d, &["--resume", "--participants", n]));
            record_stack();
            let after = selkie_containers();
            assert_running(&after, services, "livekit preset");
            for ((name, was), (_, now)) in before.iter().zip(&after) {
                if name == "selkie-livekit" {
                    assert_ne!(was, now, "a new range recreates LiveKit");
                } else {
                    assert_eq!(was, now, "a new range leaves {name} alone");
                }
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
    STACK_UP.store(false, Ordering::SeqCst);

    println!();
    println!(
        "2. LiveKit's start with a small and a large UDP range (livekit preset, {services} \
         services, host networking): `selkie setup --resume --participants N` recreates LiveKit \
         only and waits until it answers; alternated, {LIVEKIT_ROUNDS} rounds each"
    );
    let a = line(&format!("LiveKit recreated, {}", ranges[0]), &t_small);
    let b = line(&format!("LiveKit recreated, {}", ranges[1]), &t_large);
    line("selkie setup --resume, nothing changed (floor)", &floor);
    println!(
        "  ratio 10,000 / 100 ports: {:.2}x   target: does not grow with the range \
         (host networking publishes nothing; within 25%): {}",
        ratio(b, a),
        met(ratio(b, a) < 1.25)
    );
    println!(
        "  About 2 s of each recreation is selkie's own check that a freshly started container \
         stays up (src/docker/wait.rs, STABLE); the stand-in binds none of the range's UDP \
         ports."
    );
    println!(
        "  Participants: {SMALL} -> {} ports, {LARGE} -> {} (2 x participants + {}%, rounded up \
         to ten, at least 100; 4167 would give {})",
        size(SMALL),
        size(LARGE),
        selkie::plan::HEADROOM_PERCENT,
        size(4167)
    );
}

/// Runs `docker ARGS`, giving up after `timeout` (the docker CLI is killed; the daemon may
/// still be working, which the removal after it waits for). `Err` says why it did not succeed.
fn docker_timed(args: &[&str], timeout: Duration) -> (Duration, Result<(), String>) {
    let start = Instant::now();
    let mut child = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the docker CLI runs");
    loop {
        if let Some(status) = child.try_wait().expect("waiting for docker") {
            let took = start.elapsed();
            let out = child.wait_with_output().expect("docker's output");
            return if status.success() {
                (took, Ok(()))
            } else {
                (took, Err(text(&out).trim().to_string()))
            };
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return (start.elapsed(), Err(format!("gave up after {timeout:?}")));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How many docker-proxy processes forward UDP ports 40000-40999 now (with Docker's userland
/// proxy, one per published port); other containers' proxies are not counted.
fn docker_proxies() -> usize {
    let forwards_ours = |cmdline: &str| {
        let args: Vec<&str> = cmdline.split('\0').collect();
        let value = |flag: &str| {
            args.iter()
                .position(|a| *a == flag)
                .and_then(|i| args.get(i + 1))
                .copied()
        };
        value("-proto") == Some("udp")
            && value("-host-port")
                .and_then(|p| p.parse::<u16>().ok())
                .is_some_and(|p| (40000..=40999).contains(&p))
    };
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_to_string(e.path().join("comm"))
                        .is_ok_and(|c| c.trim() == "docker-proxy")
                        && std::fs::read_to_string(e.path().join("cmdline"))
                            .is_ok_and(|c| forwards_ours(&c))
                })
                .count()
        })
        .unwrap_or(0)
}

/// `docker run -d` of the stand-in with `extra` options, then its removal, both timed.
fn run_contrast(label: &str, extra: &[&str]) {
    let image = selkie::plan::LIVEKIT_IMAGE;
    let mut args = vec![
        "run",
        "-d",
        "--name",
        BRIDGE_CONTAINER,
        "--label",
        BENCH_LABEL,
    ];
    args.extend_from_slice(extra);
    args.push(image);
    let (run, result) = docker_timed(&args, BRIDGE_RUN_TIMEOUT);
    let proxies = docker_proxies();
    let (rm, removed) = docker_timed(&["rm", "-f", BRIDGE_CONTAINER], BRIDGE_RM_TIMEOUT);
    let started = match &result {
        Ok(()) => secs(run),
        Err(e) => format!("{} (failed: {e})", secs(run)),
    };
    println!(
        "  {label:<40} docker run -d {started:>8}, docker rm -f {:>8}, \
         docker-proxy processes: {proxies}",
        secs(rm)
    );
    if let Err(e) = removed {
        panic!(
            "cannot remove {BRIDGE_CONTAINER}: {e}; remove it with \
             `docker rm -f {BRIDGE_CONTAINER}`"
        );
    }
}

fn bridge_contrast() {
    println!();
    println!(
        "3. For contrast, `docker run -d` of the stand-in (one run each; each capped at {} s, \
         its removal at {} s):",
        BRIDGE_RUN_TIMEOUT.as_secs(),
        BRIDGE_RM_TIMEOUT.as_secs()
    );
    run_contrast("host network", &["--network", "host"]);
    run_contrast("default bridge, nothing published", &[]);
    run_contrast("default bridge, -p 40000-40999/udp", &["-p", BRIDGE_PORTS]);
    println!(
        "  Docker starts one docker-proxy process and sets up NAT rules for each published port, \
         and undoes them one by one on removal, so a bridge container's start and every \
         recreation grow with the UDP range. That is why selkie runs LiveKit with host \
         networking, where a 10,000-port range costs nothing to start. (That one removal is \
         most of this bench's run time.)"
    );
}

fn main() {
    docker::require_daemon();
    let compose_version = Command::new("docker-compose")
        .arg("version")
        .arg("--short")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|e| {
            panic!(
                "cannot run docker-compose: {e}; install it with `apt-get install docker-compose`"
            )
        });
    let daemon = docker::docker_ok(&["version", "--format", "{{.Server.Version}}"]);
    // The bench's own leftovers go; a stack it did not start is never touched.
    clean_own();
    let existing = selkie_containers();
    assert!(
        existing.is_empty(),
        "selkie containers already exist ({}): the bench uses the same fixed names \
         (selkie-<service>), so it cannot run next to a deployment or the Docker tests. Remove \
         them with `selkie down --dir DIR` (or `docker rm -f $(docker ps -aq --filter \
         label=io.selkie.project=selkie)`) and run it again.",
        existing
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _cleanup = Cleanup;
    let started = Instant::now();
    println!(
        "selkie converge bench: Docker {daemon}, docker-compose {compose_version}, {} CPUs \
         (figures only; nothing passes or fails on time)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    converge_reflector();
    livekit_range();
    bridge_contrast();
    clean_own();
    let left = leftovers();
    println!();
    if left.is_empty() {
        println!(
            "Left behind: nothing (every container, network and volume the bench created is \
             gone). Total {}.",
            secs(started.elapsed())
        );
    } else {
        panic!("left behind: {}", left.join(", "));
    }
}
