//! Self-tests of the real-Docker test images and helpers in tests/common/docker.rs: the
//! stand-in, its failure mode, the Caddy images, the local registry, and that a real image from
//! tests/images/build.sh is never replaced by a stand-in.

#[path = "docker_images/caddy.rs"]
mod caddy;
mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use common::docker::{self, ImageKind};

/// Removes the containers a test labelled with its project when it ends, even by panic.
struct Project(String);

impl Project {
    fn new(name: &str) -> Self {
        docker::require_daemon();
        let project = format!("selkie-test-images-{name}-{}", std::process::id());
        docker::remove_project_containers(&project);
        Project(project)
    }

    /// A container name unique to this test process.
    fn container(&self, what: &str) -> String {
        format!("{}-{what}", self.0)
    }

    /// `docker run ARGS` with this project's label; returns the trimmed stdout.
    fn run(&self, args: &[&str]) -> String {
        let label = format!("{}={}", docker::PROJECT_LABEL, self.0);
        let mut all = vec!["run", "--label", &label];
        all.extend_from_slice(args);
        docker::docker_ok(&all)
    }

    /// The LiveKit stand-in, detached, as container `livekit` with `docker run` flags `extra`,
    /// reading `yaml` from /etc/livekit/livekit.yaml: the config's directory (keep it) and the
    /// container's name.
    fn run_livekit(&self, yaml: &str, extra: &[&str]) -> (tempfile::TempDir, String) {
        docker::ensure_images(&refs(&[LIVEKIT_STANDIN]));
        let config = tempfile::tempdir().unwrap();
        fs::write(config.path().join("livekit.yaml"), yaml).unwrap();
        let name = self.container("livekit");
        let mount = mount(config.path(), "/etc/livekit");
        let mut args = vec!["--detach", "--name", &name];
        args.extend_from_slice(extra);
        args.extend(["--mount", &mount, LIVEKIT_STANDIN]);
        args.extend(["--config", "/etc/livekit/livekit.yaml"]);
        self.run(&args);
        (config, name)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        docker::remove_project_containers(&self.0);
    }
}

/// The references the stand-ins' self-tests use: the repositories selkie pins, at a tag
/// `tests/images/build.sh` never builds, so the stand-ins are tested even where the real images
/// are present under the pinned tags.
const LIVEKIT_STANDIN: &str = "livekit/livekit-server:selkie-standin";
const CADDY_STANDIN: &str = "caddy:selkie-standin";
const CADDY_L4_STANDIN: &str = "livekit/caddyl4:selkie-standin";

fn refs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn image_id(reference: &str) -> String {
    docker::docker_ok(&["image", "inspect", "--format", "{{.Id}}", reference])
}

fn mount(dir: &Path, target: &str) -> String {
    format!(
        "type=bind,source={},target={target},readonly",
        dir.display()
    )
}

#[test]
fn references_map_to_the_right_test_image() {
    use ImageKind::*;
    for (reference, kind) in [
        ("caddy:2.10.2", Caddy),
        ("caddy", Caddy),
        ("docker.io/library/caddy:2", Caddy),
        ("livekit/caddyl4:v2.11.4", CaddyL4),
        ("livekit/livekit-server:v1.13.5", Standin),
        ("postgres:17.6-alpine", Standin),
        ("ghcr.io/hatchet-dev/hatchet/hatchet-lite:v0.73.10", Standin),
        ("registry.example.com/reflector-backend:1.0.0", Standin),
        ("127.0.0.1:5000/caddy-like:1", Standin),
        ("registry.example.com/reflector-backend-fail:1.0.0", Failing),
        ("127.0.0.1:5000/x-fail", Failing),
        ("127.0.0.1:5000/x:y-fail", Standin),
    ] {
        assert_eq!(docker::image_kind(reference), kind, "{reference}");
    }
}

#[test]
fn every_non_caddy_reference_is_tagged_as_the_one_stand_in() {
    let all = refs(&[
        LIVEKIT_STANDIN,
        "postgres:17.6-alpine",
        "redis:7.4.5-alpine",
        "registry.example.com/reflector-backend:1.0.0",
    ]);
    docker::ensure_images(&all);
    let id = image_id(&all[0]);
    for r in &all {
        assert_eq!(image_id(r), id, "{r} is not the stand-in");
    }
    let labels = docker::docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &all[0],
    ]);
    assert!(
        labels.contains(r#""io.selkie.test.image":"standin""#),
        "{labels}"
    );

    // A removed tag (as after `docker image rm` or a pull of the real image) is put back.
    docker::docker_ok(&["image", "rm", &all[3]]);
    docker::ensure_images(&all);
    assert_eq!(image_id(&all[3]), id);
}

#[test]
fn the_livekit_stand_in_serves_ok_on_its_configured_port_and_stops_promptly() {
    let _serial = docker::serial();
    let project = Project::new("livekit");
    let (_config, name) = project.run_livekit(
        "# livekit.yaml for the stand-in self-test\n\
         port: 17880\n\
         bind_addresses:\n- \"127.0.0.1\"\n\
         rtc:\n  tcp_port: 17881\n  port_range_start: 50000\n  port_range_end: 50119\n  use_external_ip: false\n\
         key_file: /etc/livekit/keys.yaml\n\
         turn:\n  enabled: true\n  domain: meet.example.com\n  udp_port: 3478\n\
         logging:\n  level: info\n",
        &["--network", "host"],
    );

    let body = docker::wait_for_http("127.0.0.1:17880", "/", Duration::from_secs(10));
    assert_eq!(body, "OK");
    let logs = docker::container_logs(&name);
    assert!(logs.contains("signalling on 127.0.0.1:17880"), "{logs}");
    assert!(logs.contains("port_range_start: 50000"), "{logs}");
    assert!(logs.contains("port_range_end: 50119"), "{logs}");
    assert!(
        !logs.contains("key_file"),
        "only the rtc section is logged: {logs}"
    );

    let started = Instant::now();
    docker::docker_ok(&["stop", "--time", "10", &name]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "docker stop took {took:?}");
    assert_eq!(docker::wait_for_exit(&name, Duration::from_secs(5)), 0);
    assert!(
        docker::http_get("127.0.0.1:17880", "/").is_err(),
        "still serving after docker stop"
    );
}

#[test]
fn the_livekit_stand_in_defaults_to_port_7880_on_every_address() {
    let project = Project::new("livekit-default");
    // Its own network namespace: port 7880 there cannot clash with anything on the host.
    let (_config, name) = project.run_livekit("rtc:\n  udp_port: 7882\n", &[]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let logs = loop {
        let logs = docker::container_logs(&name);
        if logs.contains("serving") || Instant::now() > deadline {
            break logs;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(logs.contains("signalling on 0.0.0.0:7880"), "{logs}");
    assert!(logs.contains("udp_port: 7882"), "{logs}");
    let got = docker::docker_ok(&["exec", &name, "wget", "-qO-", "http://127.0.0.1:7880/"]);
    assert_eq!(got, "OK");
}

#[test]
fn an_idle_stand_in_stops_within_two_seconds_and_passes_preset_healthchecks() {
    let project = Project::new("idle");
    docker::ensure_images(&refs(&["postgres:17.6-alpine", "redis:7.4.5-alpine"]));
    let pg = project.container("postgres");
    project.run(&[
        "--detach",
        "--name",
        &pg,
        "--health-cmd",
        "pg_isready -U reflector",
        "--health-interval",
        "200ms",
        "postgres:17.6-alpine",
    ]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let health = docker::docker_ok(&["inspect", "--format", "{{.State.Health.Status}}", &pg]);
        if health == "healthy" {
            break;
        }
        assert!(Instant::now() < deadline, "postgres stand-in is {health}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The exec form selkie uses for healthchecks.
    for cmd in [
        &["pg_isready", "-U", "reflector"][..],
        &["redis-cli", "ping"],
    ] {
        let mut args = vec!["exec", &pg];
        args.extend_from_slice(cmd);
        docker::docker_ok(&args);
    }
    let logs = docker::container_logs(&pg);
    assert!(logs.contains("standin: started"), "{logs}");
    assert!(logs.contains("idle until SIGTERM"), "{logs}");

    let started = Instant::now();
    docker::docker_ok(&["stop", "--time", "10", &pg]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "docker stop took {took:?}");
    assert_eq!(docker::wait_for_exit(&pg, Duration::from_secs(5)), 0);
    assert!(docker::container_logs(&pg).contains("got SIGTERM"));
}

/// The 40 numbered lines and exit 3 of the failure mode.
fn assert_failed(name: &str) {
    assert_eq!(
        docker::wait_for_exit(name, Duration::from_secs(10)),
        docker::FAIL_STATUS
    );
    let logs = docker::container_logs(name);
    let lines: Vec<&str> = logs.lines().collect();
    assert_eq!(lines.len(), docker::FAIL_LINES, "{logs}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(
            *line,
            format!("standin: failing on purpose, log line {:02} of 40", i + 1)
        );
    }
}

#[test]
fn the_failure_mode_prints_40_lines_and_exits_3() {
    let project = Project::new("fail");
    let image = "registry.example.com/reflector-backend:1.0.0";
    let failing = "registry.example.com/reflector-backend-fail:1.0.0";
    docker::ensure_images(&refs(&[image, failing]));

    let by_env = project.container("env");
    let env = format!("{}=1", docker::FAIL_ENV);
    project.run(&["--detach", "--name", &by_env, "--env", &env, image]);
    assert_failed(&by_env);

    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("fail"), "").unwrap();
    let by_file = project.container("file");
    let file = format!(
        "type=bind,source={},target={},readonly",
        dir.path().join("fail").display(),
        docker::FAIL_FILE
    );
    project.run(&["--detach", "--name", &by_file, "--mount", &file, image]);
    assert_failed(&by_file);

    let by_image = project.container("image");
    project.run(&["--detach", "--name", &by_image, failing, "serve"]);
    assert_failed(&by_image);
}

#[test]
fn a_pushed_stand_in_can_be_pulled_back_from_the_local_registry() {
    let _serial = docker::serial();
    let registry = docker::Registry::start();
    let reference = registry.push_standin("selkie-test/roundtrip:1.0.0");
    assert_eq!(
        reference,
        format!("{}/selkie-test/roundtrip:1.0.0", registry.host())
    );
    assert!(
        !docker::docker(&["image", "inspect", &reference])
            .status
            .success(),
        "{reference} is still tagged locally after the push"
    );
    let pulled = docker::docker_ok(&["pull", &reference]);
    assert!(pulled.contains("Downloaded newer image"), "{pulled}");
    docker::ensure_images(&refs(&["postgres:17.6-alpine"]));
    assert_eq!(image_id(&reference), image_id("postgres:17.6-alpine"));
    docker::docker_ok(&["image", "rm", &reference]);

    let host = registry.host();
    drop(registry);
    assert!(
        docker::http_get(&host, "/v2/").is_err(),
        "the registry still answers after drop"
    );
}

#[test]
fn a_real_image_from_build_sh_is_never_replaced_by_a_stand_in() {
    let reference = format!("selkie-test/real-image:{}", std::process::id());
    // A stand-in first, then an image built from it with build.sh's label, as a real one has.
    docker::ensure_images(&refs(&[&reference]));
    let standin = image_id(&reference);
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), format!("FROM {standin}\n")).unwrap();
    let label = format!("{}=selkie-test-real-1", docker::REAL_KEY_LABEL);
    docker::docker_ok(&[
        "build",
        "--quiet",
        "--label",
        &label,
        "--tag",
        &reference,
        ctx.path().to_str().unwrap(),
    ]);
    let real = image_id(&reference);
    assert_ne!(real, standin);

    docker::ensure_images(&refs(&[&reference]));
    assert_eq!(
        image_id(&reference),
        real,
        "the labelled image was replaced"
    );
    docker::docker_ok(&["image", "rm", &reference]);
}
