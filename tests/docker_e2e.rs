//! `selkie setup` and `selkie down` against the real Docker daemon, with stand-in images built by
//! the tests and tagged with the references the plan uses (nothing is pulled from the internet).
//! These tests fail, never skip, when the daemon is missing.

mod common;
#[path = "docker_e2e/health.rs"]
mod health;
#[path = "docker_e2e/postgres.rs"]
mod postgres;
#[path = "docker_e2e/refusals.rs"]
mod refusals;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::docker::{self as d, docker_ok};

/// The apps' stand-ins from tests/images/build.sh: setup waits until an app without a
/// healthcheck listens on its port, and these listen on the seeds' ports.
fn frontend() -> String {
    d::built_image("SELKIE_LAB_FRONTEND_IMAGE")
}

fn backend() -> String {
    d::built_image("SELKIE_LAB_BACKEND_IMAGE")
}

const BACKEND_FAIL: &str = "registry.example.com/reflector-backend-fail:1.0.0";

use common::docker::Clean;
use common::run::{self, text};

/// `selkie ARGS` without `SELKIE_DIR` and `DOCKER_HOST` (Docker's default socket).
fn selkie(args: &[&str]) -> Output {
    run::output(args, &["SELKIE_DIR", "DOCKER_HOST"])
}

fn setup(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "setup",
        "--non-interactive",
        "--dir",
        dir.to_str().unwrap(),
        "--health-timeout",
        "60",
    ];
    args.extend_from_slice(extra);
    selkie(&args)
}

fn reflector(dir: &Path, backend: &str) -> Output {
    reflector_within(dir, backend, "60")
}

/// The reflector preset at 127.0.0.1 with the apps' images, each service given `secs` to
/// become healthy.
fn reflector_within(dir: &Path, backend: &str, secs: &str) -> Output {
    let args = reflector_args(dir, backend, secs);
    selkie(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `setup` of the reflector preset at 127.0.0.1 in `dir` with the frontend's stand-in and
/// `backend`, each service given `secs` to become healthy.
fn reflector_args(dir: &Path, backend: &str, secs: &str) -> Vec<String> {
    let dir = dir.to_str().unwrap();
    let frontend = format!("frontend={}", frontend());
    let backend = format!("backend={backend}");
    [
        "setup",
        "--non-interactive",
        "--dir",
        dir,
        "--health-timeout",
        secs,
        "--preset",
        "reflector",
        "--ip",
        "127.0.0.1",
        "--image",
        &frontend,
        "--image",
        &backend,
    ]
    .map(String::from)
    .to_vec()
}

fn reflector_images() -> Vec<String> {
    // The preset's own pins, so a moved pin moves the test with it.
    let preset = selkie::preset::find("reflector").unwrap();
    let mut images: Vec<String> = vec![frontend(), backend(), BACKEND_FAIL.to_string()];
    images.extend(
        preset
            .services
            .iter()
            .filter_map(|s| s.image.as_ref().map(|i| i.to_string())),
    );
    images.push(selkie::plan::LIVEKIT_IMAGE.to_string());
    images.push(selkie::plan::CADDY_IMAGE.to_string());
    images
}

/// `name -> "id state"` of the selkie containers.
fn ids() -> Vec<(String, String)> {
    d::labelled("io.selkie.project=selkie")
}

/// A reflector stack setup brought up healthy with the apps' stand-ins, and the Docker tests'
/// guards, which go last (fields drop in order: the directory, then the containers, then the
/// lock).
struct Running {
    dir: tempfile::TempDir,
    /// What setup printed.
    said: String,
    _clean: Clean,
    _serial: d::Serial,
}

fn running_reflector() -> Running {
    let serial = d::serial();
    let clean = Clean::new();
    d::ensure_images(&reflector_images());
    let dir = tempfile::tempdir().unwrap();
    let out = reflector(dir.path(), &backend());
    assert!(out.status.success(), "{}", text(&out));
    Running {
        dir,
        said: text(&out),
        _clean: clean,
        _serial: serial,
    }
}

fn inspect(name: &str) -> serde_json::Value {
    let out = docker_ok(&["inspect", name]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

/// When Docker started a container.
fn started_at(name: &str) -> std::time::SystemTime {
    let at = inspect(name)["State"]["StartedAt"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    selkie::utc::parse_rfc3339_exact(&at).unwrap_or_else(|| panic!("{name} started at {at:?}"))
}

/// Each service started after what it depends on, and Postgres, heading the longest chain
/// (postgres > hatchet > backend > frontend), before the services that need nothing and have
/// nothing waiting on them (LiveKit, Caddy).
fn assert_started_in_order() {
    let chain = ["postgres", "hatchet", "backend", "frontend"];
    for pair in chain.windows(2) {
        let (a, b) = (format!("selkie-{}", pair[0]), format!("selkie-{}", pair[1]));
        assert!(started_at(&a) < started_at(&b), "{a} started before {b}");
    }
    for later in ["selkie-livekit", "selkie-caddy"] {
        assert!(
            started_at("selkie-postgres") < started_at(later),
            "Postgres starts before {later}"
        );
    }
}

/// One container of the reflector stack as planned: running, labelled, restarted unless
/// stopped, on its network, publishing only what the plan makes public, configs read-only.
fn assert_container_as_planned(name: &str, state: &str) {
    assert!(state.ends_with("running"), "{name}: {state}");
    let c = inspect(name);
    let labels = &c["Config"]["Labels"];
    assert_eq!(labels["io.selkie.project"], "selkie");
    assert_eq!(
        labels["io.selkie.service"],
        name.trim_start_matches("selkie-")
    );
    assert_eq!(labels["io.selkie.config-hash"].as_str().unwrap().len(), 64);
    assert_eq!(
        c["HostConfig"]["RestartPolicy"]["Name"], "unless-stopped",
        "{name}"
    );
    let mode = c["HostConfig"]["NetworkMode"].as_str().unwrap();
    let host_net = name == "selkie-livekit" || name == "selkie-caddy";
    assert_eq!(mode, if host_net { "host" } else { "selkie" }, "{name}");
    // Published ports: loopback only, except what the plan makes public (Hatchet's dashboard).
    if let Some(bindings) = c["HostConfig"]["PortBindings"].as_object() {
        for (port, binds) in bindings {
            for b in binds.as_array().unwrap() {
                let ip = b["HostIp"].as_str().unwrap();
                let public = name == "selkie-hatchet" && port == "8888/tcp";
                assert!(
                    ip == "127.0.0.1" || public,
                    "{name} publishes {port} on {ip}"
                );
                assert!(
                    !["5432/tcp", "6379/tcp", "7077/tcp"].contains(&port.as_str()),
                    "{name} publishes internal {port}"
                );
            }
        }
    }
    for m in c["Mounts"].as_array().unwrap() {
        if m["Destination"] == "/etc/livekit" || m["Destination"] == "/etc/caddy" {
            assert_eq!(m["RW"], false, "{name}: config directories are read-only");
        }
    }
}

#[test]
fn a_fresh_apply_runs_every_planned_container_as_planned_and_a_second_changes_nothing() {
    let up = running_reflector();
    let dir = &up.dir;
    assert!(
        up.said.contains("All 8 services are healthy"),
        "{}",
        up.said
    );

    let running = ids();
    let names: Vec<&str> = running.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "selkie-backend",
            "selkie-caddy",
            "selkie-frontend",
            "selkie-garage",
            "selkie-hatchet",
            "selkie-livekit",
            "selkie-postgres",
            "selkie-redis"
        ]
    );
    for (name, state) in &running {
        assert_container_as_planned(name, state);
    }
    assert_started_in_order();
    let backend = inspect("selkie-backend");
    let aliases = &backend["NetworkSettings"]["Networks"]["selkie"]["Aliases"];
    assert!(
        aliases.as_array().unwrap().iter().any(|a| a == "backend"),
        "{aliases}"
    );
    let network = docker_ok(&[
        "network",
        "inspect",
        "selkie",
        "--format",
        "{{index .Labels \"io.selkie.project\"}}",
    ]);
    assert_eq!(network.trim(), "selkie");
    assert!(docker_ok(&["volume", "ls", "-q"]).contains("selkie_postgres-data"));
    assert_eq!(
        d::http_get("127.0.0.1:7880", "/")
            .map(|(code, body)| (code, body.trim().to_string()))
            .unwrap(),
        (200, "OK".to_string())
    );

    // A second apply with no change touches nothing.
    let start = Instant::now();
    let out = setup(dir.path(), &["--resume"]);
    let took = start.elapsed();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(ids(), running, "no container was recreated");
    assert!(!text(&out).contains("recreated"), "{}", text(&out));
    eprintln!("no-op converge of 8 services: {took:?}");

    // A changed participant count recreates LiveKit only.
    let out = setup(dir.path(), &["--resume", "--participants", "300"]);
    assert!(out.status.success(), "{}", text(&out));
    let after = ids();
    for ((name, before), (_, now)) in running.iter().zip(after.iter()) {
        if name == "selkie-livekit" {
            assert_ne!(before, now, "LiveKit is recreated");
        } else {
            assert_eq!(before, now, "{name} is left alone");
        }
    }
}

#[test]
fn a_run_killed_halfway_converges_on_the_next_run() {
    let _serial = d::serial();
    let _clean = Clean::new();
    d::ensure_images(&reflector_images());
    let dir = tempfile::tempdir().unwrap();
    let mut child = run::command(&reflector_args(dir.path(), &backend(), "120"), &[])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it as soon as the first container exists: the rest is left undone (new containers
    // are created together, then started in dependency order).
    let deadline = Instant::now() + Duration::from_secs(60);
    while ids().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = ids();
    let running = partial
        .iter()
        .filter(|(_, s)| s.ends_with(" running"))
        .count();
    assert!(
        !partial.is_empty() && running < 8,
        "killed halfway: {partial:?}"
    );

    let out = setup(dir.path(), &["--resume"]);
    assert!(out.status.success(), "{}", text(&out));
    let all = ids();
    assert_eq!(all.len(), 8, "{all:?}");
    assert!(all.iter().all(|(_, s)| s.ends_with("running")), "{all:?}");
}

#[test]
fn a_failed_service_is_reported_and_the_healthy_ones_keep_running() {
    let _serial = d::serial();
    let _clean = Clean::new();
    d::ensure_images(&reflector_images());
    let dir = tempfile::tempdir().unwrap();
    let out = reflector(dir.path(), BACKEND_FAIL);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("service backend (selkie-backend) is not healthy"),
        "{t}"
    );
    assert!(t.contains("state: "), "{t}");
    assert!(t.contains("last 30 log lines"), "{t}");
    assert!(t.contains("log line 40 of 40"), "{t}");
    assert!(
        !t.contains("log line 10 of 40"),
        "only the last 30 lines: {t}"
    );
    assert!(t.contains("selkie setup --resume"), "{t}");
    for name in [
        "selkie-postgres",
        "selkie-redis",
        "selkie-livekit",
        "selkie-caddy",
    ] {
        assert_eq!(
            inspect(name)["State"]["Running"],
            true,
            "{name} keeps running"
        );
    }
}

#[test]
fn images_are_pulled_with_progress_and_a_failed_pull_names_the_cause() {
    let _serial = d::serial();
    let _clean = Clean::new();
    d::ensure_images(&[selkie::plan::CADDY_IMAGE.into()]);
    let registry = d::Registry::start();
    let reference = registry.push_standin("selkie-test/livekit");
    let dir = tempfile::tempdir().unwrap();
    let image = format!("livekit={reference}");
    let out = setup(dir.path(), &["--ip", "127.0.0.1", "--image", &image]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains(&format!("pulled {reference}")), "{t}");
    assert!(d::docker(&["image", "inspect", &reference])
        .status
        .success());

    let missing = format!("livekit={}/selkie-test/nothing:9", registry.host());
    let out = setup(dir.path(), &["--resume", "--image", &missing]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("cannot pull") && t.contains("not found"), "{t}");
}

#[test]
fn down_removes_containers_and_keeps_data_unless_asked() {
    let up = running_reflector();
    let ds = up.dir.path().to_str().unwrap();
    let out = selkie(&["down", "--dir", ds]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(ids().is_empty());
    assert!(!d::docker(&["network", "inspect", "selkie"])
        .status
        .success());
    assert!(
        docker_ok(&["volume", "ls", "-q"]).contains("selkie_postgres-data"),
        "data stays"
    );
    let out = selkie(&["down", "--dir", ds, "--volumes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !docker_ok(&["volume", "ls", "-q"]).contains("selkie_"),
        "volumes removed"
    );
}
