//! The Caddy test images (tests/docker_images.rs): both run the commands selkie gives Caddy, with
//! Debian's Caddy inside, so a layer-4 config fails in the layer-4 stand-in.

use std::fs;
use std::time::{Duration, Instant};

use crate::common::docker;
use crate::{image_id, mount, refs, Project, CADDY_L4_STANDIN, CADDY_STANDIN};

#[test]
fn the_caddy_images_run_selkies_commands_with_debians_caddy() {
    let _serial = docker::serial();
    let project = Project::new("caddy");
    let (caddy, l4) = (CADDY_STANDIN, CADDY_L4_STANDIN);
    docker::ensure_images(&refs(&[caddy, l4]));
    assert_ne!(image_id(caddy), image_id(l4));

    let version = project.run(&["--rm", caddy, "caddy", "version"]);
    assert!(
        version.starts_with('2') || version.starts_with("v2"),
        "{version}"
    );
    let entrypoint = docker::docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Entrypoint}}",
        l4,
    ]);
    assert_eq!(entrypoint, r#"["caddy"]"#);
    assert_eq!(project.run(&["--rm", l4, "version"]), version);

    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Caddyfile"),
        "{\n\tadmin off\n\tauto_https off\n}\n\n\
         :18081 {\n\trespond /health \"caddy stand-in OK\"\n\treverse_proxy 127.0.0.1:17880\n}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("caddy.json"),
        r#"{"admin":{"disabled":true},"apps":{"http":{"servers":{"s":{"listen":[":18082"],
        "routes":[{"handle":[{"handler":"static_response","body":"caddy json OK"}]}]}}}}}"#,
    )
    .unwrap();
    let conf = mount(dir.path(), "/etc/caddy");

    let adapted = project.run(&[
        "--rm",
        "--mount",
        &conf,
        caddy,
        "caddy",
        "adapt",
        "--config",
        "/etc/caddy/Caddyfile",
        "--adapter",
        "caddyfile",
    ]);
    assert!(
        adapted.contains("reverse_proxy") && adapted.contains(":18081"),
        "{adapted}"
    );

    // The command selkie gives caddy:*, with host networking and writable /data and /config.
    let plain = project.container("caddy");
    project.run(&[
        "--detach",
        "--name",
        &plain,
        "--network",
        "host",
        "--mount",
        &conf,
        caddy,
        "caddy",
        "run",
        "--config",
        "/etc/caddy/Caddyfile",
        "--adapter",
        "caddyfile",
    ]);
    let body = docker::wait_for_http("127.0.0.1:18081", "/health", Duration::from_secs(10));
    assert_eq!(body, "caddy stand-in OK");

    // The layer-4 image's own command (selkie passes the same one).
    let layer4 = project.container("caddyl4");
    project.run(&[
        "--detach",
        "--name",
        &layer4,
        "--network",
        "host",
        "--mount",
        &conf,
        l4,
        "run",
        "--config",
        "/etc/caddy/caddy.json",
    ]);
    let body = docker::wait_for_http("127.0.0.1:18082", "/", Duration::from_secs(10));
    assert_eq!(body, "caddy json OK");

    for name in [&plain, &layer4] {
        let started = Instant::now();
        docker::docker_ok(&["stop", "--time", "10", name]);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{name}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_caddy_l4_config_fails_with_debians_caddy() {
    let project = Project::new("caddyl4-fails");
    let l4 = CADDY_L4_STANDIN;
    docker::ensure_images(&refs(&[l4]));
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("caddy.json"),
        r#"{"apps":{"layer4":{"servers":{"s":{"listen":[":18443"],"routes":[]}}}}}"#,
    )
    .unwrap();
    let name = project.container("l4");
    project.run(&[
        "--detach",
        "--name",
        &name,
        "--mount",
        &mount(dir.path(), "/etc/caddy"),
        l4,
    ]);
    assert_ne!(docker::wait_for_exit(&name, Duration::from_secs(10)), 0);
    let logs = docker::container_logs(&name);
    assert!(logs.contains("layer4"), "{logs}");
}
