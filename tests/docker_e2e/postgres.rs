//! The reflector preset's Postgres healthcheck against the real program (Debian's PostgreSQL in
//! the official image's layout, from tests/images/build.sh). On a fresh volume the entrypoint
//! runs the init scripts on a temporary server that listens on its Unix socket only, then
//! restarts it on TCP. Services that depend on Postgres connect over TCP, so the check must not
//! pass before that: `pg_isready` over the socket passes during the init scripts.

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::common::docker::{self as d, docker, docker_ok, Clean};

/// The preset's healthcheck for Postgres, as selkie runs it (exec form).
fn preset_check() -> Vec<String> {
    let preset = selkie::preset::find("reflector").unwrap();
    let postgres = preset.services.iter().find(|s| s.name == "postgres");
    postgres
        .expect("reflector has postgres")
        .healthcheck
        .clone()
}

fn exec_passes(container: &str, cmd: &[&str]) -> bool {
    let mut args = vec!["exec", container];
    args.extend_from_slice(cmd);
    docker(&args).status.success()
}

fn tcp_open(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
}

#[test]
fn the_postgres_check_passes_only_once_the_server_takes_tcp_connections() {
    let _serial = d::serial();
    let _clean = Clean::new();
    let image = d::built_image("SELKIE_LAB_POSTGRES_IMAGE");
    let init = tempfile::tempdir().unwrap();
    // An init script that takes a while, as a large postgres-init/ would.
    fs::write(init.path().join("slow.sh"), "sleep 4\n").unwrap();
    let mount = format!("{}:/docker-entrypoint-initdb.d:ro", init.path().display());
    let name = "selkie-test-postgres-init";
    docker_ok(&[
        "run",
        "--detach",
        "--name",
        name,
        "--label",
        "io.selkie.project=selkie",
        "--env",
        "POSTGRES_USER=reflector",
        "--env",
        "POSTGRES_PASSWORD=lab",
        "--env",
        "POSTGRES_DB=reflector",
        "--volume",
        &mount,
        &image,
    ]);
    let check = preset_check();
    let check: Vec<&str> = check.iter().map(String::as_str).collect();
    let deadline = Instant::now() + Duration::from_secs(60);

    // The init scripts run: the socket answers, TCP does not, and the check fails.
    while !exec_passes(name, &["pg_isready", "-U", "reflector"]) {
        assert!(
            Instant::now() < deadline,
            "the temporary server never answered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let ip = docker_ok(&[
        "inspect",
        "--format",
        "{{.NetworkSettings.IPAddress}}",
        name,
    ]);
    let addr = SocketAddr::new(ip.trim().parse().expect("an address"), 5432);
    assert!(!tcp_open(addr), "the temporary server listens on TCP");
    assert!(
        !exec_passes(name, &check),
        "{check:?} passed while only the temporary server ran"
    );

    // Once it passes, TCP connections are taken.
    while !exec_passes(name, &check) {
        assert!(Instant::now() < deadline, "{check:?} never passed");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        tcp_open(addr),
        "{check:?} passed before Postgres took TCP connections"
    );
}
