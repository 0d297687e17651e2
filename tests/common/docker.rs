//! Helpers for tests against a real Docker daemon, without any image registry on the internet.
//!
//! * [`ensure_images`] makes image references exist locally. A reference whose local image
//!   carries [`REAL_KEY_LABEL`] is the real program, built from source by
//!   `tests/images/build.sh` (LiveKit, Caddy, Caddy + layer4), and is used as it is. Every other
//!   reference is tagged as a stand-in built here, once per test process, from `tests/images/`
//!   and host binaries:
//!   - `caddy:*`: FROM scratch with Debian's `/usr/bin/caddy` and the libraries `ldd` names;
//!     the command selkie gives the official image works unchanged.
//!   - `livekit/caddyl4:*`: the same with `ENTRYPOINT ["caddy"]`. Debian's caddy has no layer4
//!     module, so a caddy-l4 stack fails to start with this stand-in (`build.sh` makes the real
//!     one).
//!   - a repository name ending in `-fail` (e.g. `registry.example.com/backend-fail:1`): the
//!     stand-in with `STANDIN_FAIL=1`, which prints 40 numbered log lines and exits 3.
//!   - everything else: one stand-in (busybox + `/standin`, and Debian's coturn with the
//!     libraries `ldd` names), see `tests/images/standin/standin`. Given
//!     `--config .../livekit.yaml` it looks like LiveKit to `selkie status`: it answers `GET /`
//!     with `OK` on the yaml's port and first bind address, accepts TCP on `rtc.tcp_port`, runs
//!     coturn on UDP `turn.udp_port` when `turn.enabled` (so STUN binding requests get real
//!     answers) and binds UDP `rtc.udp_port` when set (mux mode). Otherwise it idles until
//!     SIGTERM. `pg_isready` and `redis-cli` exit 0.
//! * [`Registry`] runs Debian's `docker-registry` on 127.0.0.1 (the daemon allows plain HTTP
//!   to 127.0.0.0/8) to test pulls.
//! * [`serial`] keeps tests that use fixed host ports from running at the same time.
//!
//! A test makes a service fail by giving it a `-fail` image reference (`--image NAME=REF`), by
//! setting `STANDIN_FAIL=1` in its environment, or by bind-mounting any file at
//! [`FAIL_FILE`].
//!
//! Tagging a reference replaces a pulled image of that name on the developer's machine (it stays
//! in the store, untagged, and a warning names its ID); `docker pull REF` brings it back. Images
//! from `build.sh` are never replaced.
//!
//! Needs (Debian): docker.io, busybox-static, coturn, caddy, docker-registry.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

// Explicit paths: the bench includes this file by path, and they resolve the same from there.
#[path = "built.rs"]
pub mod built;
#[path = "docker/images.rs"]
mod images;
#[path = "docker/registry.rs"]
mod registry;

#[allow(unused_imports)]
pub use images::{ensure_images, image_kind, ImageKind};
#[allow(unused_imports)]
pub use registry::Registry;

/// The label selkie puts on every container, network and volume of a deployment.
pub const PROJECT_LABEL: &str = "io.selkie.project";
/// Label on every image built here: `standin`, `standin-fail`, `caddy` or `caddyl4`.
pub const IMAGE_LABEL: &str = "io.selkie.test.image";
/// Label holding the hash of everything an image was built from; a change rebuilds it.
pub const HASH_LABEL: &str = "io.selkie.test.hash";
/// Label on every image `tests/images/build.sh` builds from the real program's source: the key
/// (name, version, hash of the inputs) it was built from.
pub const REAL_KEY_LABEL: &str = "io.selkie.image.key";
/// Environment variable that makes the stand-in fail: `STANDIN_FAIL=1`.
pub const FAIL_ENV: &str = "STANDIN_FAIL";
/// A file whose presence (bind-mount anything there) makes the stand-in fail.
pub const FAIL_FILE: &str = "/etc/standin/fail";
/// How many numbered lines the stand-in prints before it fails.
pub const FAIL_LINES: usize = 40;
/// The stand-in's exit status when it fails on purpose.
pub const FAIL_STATUS: i64 = 3;

/// An image reference `tests/images/build.sh` wrote to its `paths.env`, such as
/// `SELKIE_LAB_FRONTEND_IMAGE`; panics, naming the script, when it has not run. The apps'
/// stand-ins there listen on the seeds' ports, which setup waits for.
pub fn built_image(key: &str) -> String {
    built::built_value(key)
}

/// Serialises tests that use fixed host ports (host networking, published ports) and selkie's
/// fixed container names: within one test binary (a mutex) and across processes on this
/// machine (an exclusive lock on [`SERIAL_LOCK_FILE`] in the temporary directory), so two
/// `cargo test` runs, or a test binary and the bench, do not tear down each other's
/// containers. Hold the guard for the whole test. A panic in another holder does not poison it;
/// a process that dies releases its lock.
pub fn serial() -> Serial {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let path = std::env::temp_dir().join(SERIAL_LOCK_FILE);
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        // Another user's file: a read-only descriptor can hold the lock too.
        .or_else(|_| fs::File::open(&path))
        .unwrap_or_else(|e| panic!("cannot open the test lock {}: {e}", path.display()));
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            eprintln!(
                "waiting for another process running selkie's Docker tests (lock {})",
                path.display()
            );
            file.lock()
                .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
        }
        Err(fs::TryLockError::Error(e)) => panic!("cannot lock {}: {e}", path.display()),
    }
    Serial {
        _file: file,
        _guard: guard,
    }
}

/// The file in the temporary directory that [`serial`] locks across processes.
pub const SERIAL_LOCK_FILE: &str = "selkie-docker-tests.lock";

/// Held for a test that must not run next to another: see [`serial`]. Dropping it unlocks.
pub struct Serial {
    // Closing the file releases the process-wide lock; the mutex is released after it.
    _file: fs::File,
    _guard: MutexGuard<'static, ()>,
}

/// Runs `docker ARGS` and returns its output, whatever its status.
pub fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `docker {}`: {e}; install Docker's CLI (apt-get install docker.io)",
                args.join(" ")
            )
        })
}

/// Runs `docker ARGS` and returns its trimmed stdout; panics with its output when it fails.
pub fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    if !out.status.success() {
        panic!(
            "`docker {}` failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Panics, saying how to start one, unless a Docker daemon answers `docker info`.
pub fn require_daemon() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let out = Command::new("docker")
            .args(["info", "--format", "{{.ServerVersion}}"])
            .stdin(Stdio::null())
            .output();
        let why = match out {
            Ok(o) if o.status.success() => return,
            Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
            Err(e) => format!("cannot run the docker CLI: {e}"),
        };
        panic!(
            "these tests need a running Docker daemon, but `docker info` failed: {why}\n\
             Start one with `sudo systemctl start docker`, or where there is no systemd \
             (containers, CI sandboxes) with `sudo dockerd >/tmp/dockerd.log 2>&1 &`; install it \
             with `sudo apt-get install docker.io`. Run the tests as a user that may use \
             /var/run/docker.sock (root or the docker group)."
        );
    });
}

/// Removes every container, network and volume labelled `io.selkie.project=<project>`, for
/// test cleanup. Never panics (it runs from guards' `Drop`); failures are printed.
pub fn remove_project_containers(project: &str) {
    remove_labelled(&format!("{PROJECT_LABEL}={project}"));
}

/// Removes every container, network and volume with the label `filter` (`key=value`). Never
/// panics; failures are printed.
pub fn remove_labelled(filter: &str) {
    let filter = format!("label={filter}");
    let run = |args: &[&str]| -> Vec<String> {
        let out = docker(args);
        if !out.status.success() {
            eprintln!(
                "cleanup: `docker {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    // Containers first: networks and volumes in use cannot be removed.
    for (list, remove) in [
        (
            ["ps", "--all", "--quiet"],
            &["rm", "--force", "--volumes"][..],
        ),
        (["network", "ls", "--quiet"], &["network", "rm"][..]),
        (
            ["volume", "ls", "--quiet"],
            &["volume", "rm", "--force"][..],
        ),
    ] {
        let mut args = list.to_vec();
        args.extend(["--filter", &filter]);
        let ids = run(&args);
        if !ids.is_empty() {
            let mut args = remove.to_vec();
            args.extend(ids.iter().map(String::as_str));
            run(&args);
        }
    }
}

/// `(name, "id state")` of every container with the label `filter` (`key=value`), by name.
pub fn labelled(filter: &str) -> Vec<(String, String)> {
    let out = docker_ok(&[
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

/// Every container, network and volume with the label `filter`, as `kind name`.
pub fn labelled_objects(filter: &str) -> Vec<String> {
    let filter = format!("label={filter}");
    let mut out = Vec::new();
    for (kind, list) in [
        ("container", ["ps", "-a", "--format", "{{.Names}}"]),
        ("network", ["network", "ls", "--format", "{{.Name}}"]),
        ("volume", ["volume", "ls", "--format", "{{.Name}}"]),
    ] {
        let mut args = list.to_vec();
        args.extend(["--filter", &filter]);
        out.extend(
            docker_ok(&args)
                .split_whitespace()
                .map(|name| format!("{kind} {name}")),
        );
    }
    out
}

/// Kills the running container `name` with SIGKILL, as a crash would; panics if it cannot.
pub fn kill_container(name: &str) {
    docker_ok(&["kill", "--signal", "KILL", name]);
}

/// Everything container `name` has written to stdout and stderr.
pub fn container_logs(name: &str) -> String {
    let out = docker(&["logs", name]);
    assert!(
        out.status.success(),
        "`docker logs {name}` failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Waits up to `timeout` for container `name` to stop and returns its exit status; panics
/// with its logs if it is still running then.
pub fn wait_for_exit(name: &str, timeout: Duration) -> i64 {
    let deadline = Instant::now() + timeout;
    loop {
        let state = docker_ok(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            name,
        ]);
        if let Some(("exited" | "dead", code)) = state.split_once(' ') {
            return code.parse().unwrap();
        }
        if Instant::now() > deadline {
            panic!(
                "container {name} is still {state} after {timeout:?}; its logs:\n{}",
                container_logs(name)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A plain HTTP/1.0 `GET path` to `addr` (`127.0.0.1:7880`): the status code and the body.
pub fn http_get(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_string();
    Ok((status, body))
}

/// Polls `GET path` on `addr` until it answers 200 and returns the body; panics after
/// `timeout` with the last error.
pub fn wait_for_http(addr: &str, path: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match http_get(addr, path) {
            Ok((200, body)) => return body,
            Ok((status, body)) => format!("status {status}, body {body:?}"),
            Err(e) => e.to_string(),
        };
        if Instant::now() > deadline {
            panic!("http://{addr}{path} did not answer 200 within {timeout:?}: {last}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Removes every selkie container, network and volume when made and again when dropped, so each
/// end-to-end test starts from and leaves a clean daemon.
pub struct Clean;

impl Clean {
    /// Check the daemon answers, then clean up.
    pub fn new() -> Clean {
        require_daemon();
        remove_project_containers("selkie");
        Clean
    }
}

impl Drop for Clean {
    fn drop(&mut self) {
        remove_project_containers("selkie");
    }
}
