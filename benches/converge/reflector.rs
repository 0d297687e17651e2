//! The reflector preset (8 services) converged from scratch and as a no-op, by selkie and by
//! `docker-compose -p selkie_bench up -d` on selkie's own compose export (never at the same time:
//! both use the container names `selkie-<service>`). selkie waits for health and compose does
//! not, so compose is also timed until every container with a healthcheck reports healthy.
//!
//! Twice: with busybox stand-ins for Postgres, Redis and Hatchet (Docker's own cost: each is
//! ready the moment it runs), and with every real program tests/images/build.sh makes
//! (Postgres, Redis, Hatchet, Garage, LiveKit, Caddy), where the programs' own start decides.
//! The two apps are the operators' own: both runs use their stand-ins from build.sh.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use crate::docker;
use crate::run::{
    assert_running, compose, compose_label, images, line, met, ratio, secs, selkie_down, setup,
    wait_compose_healthy, SELKIE_LABEL,
};

/// From-scratch rounds per tool, and selkie no-op runs per round.
const SCRATCH_ROUNDS: usize = 3;
const NOOP_PER_ROUND: usize = 4;

/// The apps' stand-ins (tests/images/build.sh: they listen on the seeds' ports, which setup
/// waits for); the other services get the Docker tests' busybox stand-in where no image is built.
pub fn stand_in_images() -> Vec<String> {
    vec![
        format!(
            "frontend={}",
            docker::built_image("SELKIE_LAB_FRONTEND_IMAGE")
        ),
        format!(
            "backend={}",
            docker::built_image("SELKIE_LAB_BACKEND_IMAGE")
        ),
    ]
}

/// `SERVICE=REF` for each image tests/images/build.sh made in place of one the preset pins
/// (Debian's Postgres and Redis, Hatchet without its dashboard, the apps' stand-ins). LiveKit,
/// Caddy and Garage are built under their pinned references already.
pub fn real_images() -> Vec<String> {
    [
        ("frontend", "SELKIE_LAB_FRONTEND_IMAGE"),
        ("backend", "SELKIE_LAB_BACKEND_IMAGE"),
        ("hatchet", "SELKIE_LAB_HATCHET_IMAGE"),
        ("postgres", "SELKIE_LAB_POSTGRES_IMAGE"),
        ("redis", "SELKIE_LAB_REDIS_IMAGE"),
    ]
    .iter()
    .map(|(service, key)| format!("{service}={}", docker::built_image(key)))
    .collect()
}

/// Panics unless every image of the saved plan is one tests/images/build.sh built.
fn require_built(dir: &Path) {
    for service in crate::run::plan(dir)["services"].as_array().unwrap() {
        let image = service["image"].as_str().unwrap();
        let format = format!(
            "{{{{index .Config.Labels \"{}\"}}}}",
            docker::REAL_KEY_LABEL
        );
        let key = docker::docker(&["image", "inspect", "--format", &format, image]);
        let key = String::from_utf8_lossy(&key.stdout).trim().to_string();
        assert!(
            !key.is_empty() && key != "<no value>",
            "{image} is not built from source here: run tests/images/build.sh"
        );
    }
}

/// selkie from scratch and as a no-op, then compose the same way; `times` gets each figure.
/// Returns when each of selkie's containers started, counted from the start of its run, and
/// which of compose's containers Docker restarted before they were all healthy.
fn reflector_round(
    d: &Path,
    services: usize,
    times: &mut [Vec<Duration>; 5],
) -> (Vec<(String, Duration)>, Vec<String>) {
    selkie_down(d);
    let began = SystemTime::now();
    times[0].push(setup(d, &["--resume"]));
    let running = docker::labelled(SELKIE_LABEL);
    assert_running(&running, services, "selkie from scratch");
    let starts = started_after(&running, began);
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
    let restarted = running
        .iter()
        .filter_map(|(name, _)| {
            let count = docker::docker_ok(&["inspect", "--format", "{{.RestartCount}}", name]);
            (count.trim() != "0").then(|| format!("{name} ({} times)", count.trim()))
        })
        .collect();
    times[4].push(compose(d, &["up", "-d"]));
    let now = docker::labelled(&compose_label());
    assert_eq!(now, running, "compose's no-op recreated nothing");
    compose(d, &["down", "-v"]);
    (starts, restarted)
}

/// Each container's start (Docker's `State.StartedAt`) after `began`, earliest first.
fn started_after(rows: &[(String, String)], began: SystemTime) -> Vec<(String, Duration)> {
    let mut starts: Vec<(String, Duration)> = rows
        .iter()
        .map(|(name, _)| {
            let at = docker::docker_ok(&["inspect", "--format", "{{.State.StartedAt}}", name]);
            let at = selkie::utc::parse_rfc3339_exact(at.trim()).expect("Docker's StartedAt");
            let after = at.duration_since(began).unwrap_or_default();
            (name.trim_start_matches("selkie-").to_string(), after)
        })
        .collect();
    starts.sort_by_key(|(_, at)| *at);
    starts
}

/// Section `number`: the reflector preset with `overrides` (`SERVICE=REF`, for `--image`).
pub fn converge_reflector(number: u32, what: &str, overrides: &[String], real: bool) {
    let dir = tempfile::tempdir().expect("a temporary deployment directory");
    let d = dir.path();
    let mut args = vec!["--no-start", "--preset", "reflector", "--ip", "127.0.0.1"];
    for o in overrides {
        args.extend(["--image", o.as_str()]);
    }
    setup(d, &args);
    let services = images(d);
    if real {
        require_built(d);
    }
    let mut times: [Vec<Duration>; 5] = Default::default();
    let (mut starts, mut restarted) = (Vec::new(), Vec::new());
    for _ in 0..SCRATCH_ROUNDS {
        let (s, r) = reflector_round(d, services, &mut times);
        starts = s;
        restarted.extend(r);
    }
    let [scratch, noop, c_up, c_healthy, c_noop] = &times;

    println!(
        "{number}. Converge the reflector preset, {services} services, --health-timeout 60, \
         {what}"
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
    let order: Vec<String> = starts
        .iter()
        .map(|(name, at)| format!("{name} {}", secs(*at)))
        .collect();
    println!(
        "  selkie's last run started, after the command began: {}",
        order.join(", ")
    );
    // The chain each service of which waits for the one before to be ready: no scheduler can
    // start the frontend before it has run through.
    let at = |name: &str| starts.iter().find(|(n, _)| n == name).map(|(_, at)| *at);
    if let (Some(first), Some(last)) = (at("postgres"), at("frontend")) {
        println!(
            "  postgres > hatchet > backend > frontend: {} from the first start to the last \
             (each waits for the one before to be ready); at most 0.5x would be {} for the \
             whole run",
            secs(last.saturating_sub(first)),
            secs(h.mul_f64(0.5))
        );
    }
    println!(
        "  compose's containers that Docker restarted before all were healthy: {}",
        if restarted.is_empty() {
            "none".to_string()
        } else {
            restarted.join(", ")
        }
    );
    let n = line("selkie setup --resume, nothing changed (no-op)", noop);
    line("docker-compose up -d, nothing changed (no-op)", c_noop);
    println!(
        "  ratio no-op / compose up -d + health:  {:.2}x   target: under 0.1x: {}",
        ratio(n, h),
        met(ratio(n, h) < 0.1)
    );
}
