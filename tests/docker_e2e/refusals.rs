//! What selkie refuses to touch in Docker, and what it says (tests/docker_e2e.rs): a foreign
//! container with its name, a socket that is missing or forbidden, another deployment's stack.

use std::path::Path;
use std::process::Command;

use crate::common::docker::{self as d, docker_ok, Clean};
use crate::common::run;
use crate::{ids, selkie, setup, text};

#[test]
fn a_foreign_container_with_our_name_is_never_touched() {
    let _serial = d::serial();
    let _clean = Clean::new();
    d::ensure_images(&[
        selkie::plan::LIVEKIT_IMAGE.into(),
        selkie::plan::CADDY_IMAGE.into(),
    ]);
    let foreign = docker_ok(&[
        "run",
        "-d",
        "--name",
        "selkie-caddy",
        selkie::plan::LIVEKIT_IMAGE,
    ]);
    let foreign = foreign.trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = setup(dir.path(), &["--ip", "127.0.0.1"]);
    let t = text(&out);
    let _ = d::docker(&["rm", "-f", "selkie-caddy"]);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("selkie-caddy already exists without selkie's labels"),
        "{t}"
    );
    assert!(t.contains("docker rm -f selkie-caddy"), "{t}");
    assert!(ids().is_empty(), "nothing was created: {:?}", ids());
    assert!(foreign.len() >= 12);
}

/// `setup --non-interactive --dir DIR --ip 127.0.0.1`.
fn setup_at_localhost(dir: &Path) -> [&str; 6] {
    let dir = dir.to_str().unwrap();
    [
        "setup",
        "--non-interactive",
        "--dir",
        dir,
        "--ip",
        "127.0.0.1",
    ]
}

#[test]
fn a_missing_socket_and_a_forbidden_one_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = run::command(&setup_at_localhost(dir.path()), &[])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("cannot reach Docker at /nonexistent/docker.sock: no such socket"),
        "{t}"
    );
    assert!(t.contains("--install-docker"), "{t}");

    // Root may open any socket, so the test runs selkie as `nobody` against a socket only root may use.
    d::require_daemon();
    let work = tempfile::tempdir().unwrap();
    let socket_dir = work.path().join("sock");
    std::fs::create_dir(&socket_dir).unwrap();
    let socket = socket_dir.join("docker.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&socket_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A deployment directory that `nobody` owns, under parents only root may write (selkie
    // refuses one another user could change).
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let deploy = work.path().join("deploy");
    std::fs::create_dir(&deploy).unwrap();
    std::os::unix::fs::chown(&deploy, Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(&deploy, std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", run::BIN])
        .args(setup_at_localhost(&deploy))
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("permission denied"), "{t}");
    assert!(t.contains("usermod -aG docker"), "{t}");
}

#[test]
fn a_second_deployment_directory_never_replaces_the_running_stack() {
    let _serial = d::serial();
    let _clean = Clean::new();
    d::ensure_images(&[
        selkie::plan::LIVEKIT_IMAGE.into(),
        selkie::plan::CADDY_IMAGE.into(),
    ]);
    let first = tempfile::tempdir().unwrap();
    let out = setup(first.path(), &["--ip", "127.0.0.1"]);
    assert!(out.status.success(), "{}", text(&out));
    let running = ids();
    let second = tempfile::tempdir().unwrap();
    let out = setup(
        second.path(),
        &["--ip", "127.0.0.1", "--participants", "10"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("another selkie deployment"), "{t}");
    assert!(
        t.contains(&format!(
            "selkie down --dir {}",
            first.path().canonicalize().unwrap().display()
        )),
        "{t}"
    );
    assert_eq!(ids(), running, "the first stack is untouched");
    let out = selkie(&["down", "--dir", second.path().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "down refuses another directory's stack: {}",
        text(&out)
    );
    assert_eq!(ids(), running);
}
