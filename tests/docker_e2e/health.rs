//! When a service counts as healthy (tests/docker_e2e.rs): an app without a healthcheck only
//! once it listens on its port, and, while Docker's first healthcheck is still to come (Docker
//! says `starting` for one interval after each start), by status running the same command
//! itself instead of calling a service that setup has just called healthy degraded.

use std::path::Path;

use crate::common::docker::{self as d, docker_ok, Clean};
use crate::{inspect, reflector_images, reflector_within, running_reflector, selkie, text};

/// Docker's own health of `container`: `starting`, `healthy` …
fn docker_health(container: &str) -> String {
    docker_ok(&["inspect", "--format", "{{.State.Health.Status}}", container])
        .trim()
        .to_string()
}

/// Restarts `container` (its health goes back to `starting` for one interval), runs
/// `selkie status --once --json` and returns the entry of `service`, or `None` when Docker's
/// first check came before status finished (a slow machine: try again).
fn status_while_starting(dir: &Path, container: &str, service: &str) -> Option<serde_json::Value> {
    docker_ok(&["restart", "--time", "1", container]);
    assert_eq!(
        docker_health(container),
        "starting",
        "{container} restarted"
    );
    let out = selkie(&["status", "--once", "--json", "--dir", dir.to_str().unwrap()]);
    // Health leaves `starting` only forwards: still `starting` now means it was throughout.
    if docker_health(container) != "starting" {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("status --json printed JSON ({e}): {}", text(&out)));
    let entry = json["services"]
        .as_array()
        .expect("a list of services")
        .iter()
        .find(|s| s["service"] == service)
        .unwrap_or_else(|| panic!("{service} in {json}"))
        .clone();
    Some(entry)
}

/// [`status_while_starting`], three tries.
fn starting_entry(dir: &Path, container: &str, service: &str) -> serde_json::Value {
    (0..3)
        .find_map(|_| status_while_starting(dir, container, service))
        .unwrap_or_else(|| {
            panic!("Docker checked {container} before every status run ended: a slow machine")
        })
}

#[test]
fn status_runs_a_pending_healthcheck_itself_and_judges_by_it() {
    let up = running_reflector();
    let dir = &up.dir;

    // The command passes: healthy, shown as `passing` (not Docker's `starting`).
    let postgres = starting_entry(dir.path(), "selkie-postgres", "postgres");
    assert_eq!(postgres["health"], "passing", "{postgres}");
    assert_eq!(postgres["status"], "healthy", "{postgres}");

    // The command fails (the stand-in's pg_isready is gone): degraded, as Docker's `starting`.
    docker_ok(&[
        "exec",
        "selkie-postgres",
        "rm",
        "/bin/pg_isready",
        "/usr/local/bin/pg_isready",
    ]);
    let postgres = starting_entry(dir.path(), "selkie-postgres", "postgres");
    assert_eq!(postgres["health"], "starting", "{postgres}");
    assert_eq!(postgres["status"], "degraded", "{postgres}");
}

/// Reflector's backend has no healthcheck: setup waits until it listens on 1250 at its own
/// address. The busybox stand-in runs but never listens, so the backend is not healthy, and the
/// frontend, which depends on it, is not started.
#[test]
fn an_app_that_never_listens_is_not_healthy_and_what_needs_it_waits() {
    let _serial = d::serial();
    let _clean = Clean::new();
    let silent = "registry.example.com/reflector-backend:1.0.0";
    let mut images = reflector_images();
    images.push(silent.to_string());
    d::ensure_images(&images);
    let dir = tempfile::tempdir().unwrap();
    let out = reflector_within(dir.path(), silent, "8");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("service backend (selkie-backend) is not healthy"),
        "{t}"
    );
    assert!(
        t.contains("nothing accepts connections on its port 1250"),
        "{t}"
    );
    assert!(
        t.contains("frontend: not started (backend is not healthy)"),
        "{t}"
    );
    assert_eq!(inspect("selkie-backend")["State"]["Running"], true, "{t}");
    assert_eq!(
        inspect("selkie-frontend")["State"]["Status"],
        "created",
        "{t}"
    );
}

/// Hearth's PocketBase runs on the host's network with a health path: setup waits until
/// `GET /api/health` answers 200 on 127.0.0.1:8090. The busybox stand-in runs but never answers.
#[test]
fn a_host_app_is_healthy_only_once_its_health_path_answers() {
    let _serial = d::serial();
    let _clean = Clean::new();
    let silent = "registry.example.com/hearth-pocketbase:1.0.0";
    d::ensure_images(&[
        silent.to_string(),
        selkie::plan::LIVEKIT_IMAGE.to_string(),
        selkie::plan::CADDY_IMAGE.to_string(),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let pocketbase = format!("pocketbase={silent}");
    let out = selkie(&[
        "setup",
        "--non-interactive",
        "--dir",
        dir.path().to_str().unwrap(),
        "--health-timeout",
        "8",
        "--preset",
        "hearth",
        "--proxy",
        "caddy",
        "--ip",
        "127.0.0.1",
        "--image",
        &pocketbase,
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("service pocketbase (selkie-pocketbase) is not healthy"),
        "{t}"
    );
    assert!(
        t.contains("http://127.0.0.1:8090/api/health does not answer 200 yet"),
        "{t}"
    );
    assert_eq!(
        inspect("selkie-pocketbase")["State"]["Running"],
        true,
        "{t}"
    );
}
