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
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, UNIX_EPOCH};

use sha2::{Digest, Sha256};

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

const BUSYBOX: &str = "/bin/busybox";
const CADDY: &str = "/usr/bin/caddy";
const TURNSERVER: &str = "/usr/bin/turnserver";
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Which test image a reference gets from [`ensure_images`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// The busybox stand-in.
    Standin,
    /// The stand-in with `STANDIN_FAIL=1`: a repository name ending in `-fail`.
    Failing,
    /// Debian's caddy with the official image's layout (`caddy:*`).
    Caddy,
    /// Debian's caddy with `ENTRYPOINT ["caddy"]` (`livekit/caddyl4:*`).
    CaddyL4,
}

/// The test image [`ensure_images`] tags as `reference`.
pub fn image_kind(reference: &str) -> ImageKind {
    let repo = repository(reference);
    let repo = repo.strip_prefix("docker.io/").unwrap_or(repo);
    let repo = repo.strip_prefix("library/").unwrap_or(repo);
    match repo {
        "caddy" => ImageKind::Caddy,
        "livekit/caddyl4" => ImageKind::CaddyL4,
        r if r.ends_with("-fail") => ImageKind::Failing,
        _ => ImageKind::Standin,
    }
}

/// The reference without its tag or digest: `127.0.0.1:5000/a/b:1` gives `127.0.0.1:5000/a/b`.
fn repository(reference: &str) -> &str {
    let name = reference.split('@').next().unwrap_or(reference);
    let last = name.rfind('/').map_or(0, |i| i + 1);
    match name[last..].find(':') {
        Some(i) => &name[..last + i],
        None => name,
    }
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

/// Makes every reference exist locally: a real image built by `tests/images/build.sh` (one
/// labelled [`REAL_KEY_LABEL`]) is left as it is; any other reference becomes its test image
/// (see [`image_kind`]). Each test image is built at most once per process, and not at all when
/// an image built from the same inputs (same [`HASH_LABEL`]) already exists; references already
/// pointing at it are left alone. Digest references (`name@sha256:...`) cannot be tagged and
/// panic.
pub fn ensure_images(refs: &[String]) {
    require_daemon();
    for reference in refs {
        assert!(
            !reference.contains('@'),
            "cannot make the digest reference {reference} exist locally: a test image can only \
             be tagged, so use a tag"
        );
        let local = inspect(reference);
        if local.as_ref().is_some_and(|info| info.real_key.is_some()) {
            continue;
        }
        let built = match image_kind(reference) {
            ImageKind::Standin => standin(),
            ImageKind::Failing => failing(),
            ImageKind::Caddy => &caddy().0,
            ImageKind::CaddyL4 => &caddy().1,
        };
        match local {
            Some(info) if info.id == built.id => continue,
            Some(info) if info.kind.is_none() => eprintln!(
                "warning: replacing the local image {reference} ({}) with a test image; \
                 `docker pull {reference}` brings it back",
                info.id
            ),
            _ => {}
        }
        docker_ok(&["tag", &built.tag, reference]);
    }
}

/// A test image built here: its canonical tag and its ID.
struct Built {
    tag: String,
    id: String,
}

/// What [`ensure_images`] needs to know of a local image.
struct ImageInfo {
    id: String,
    kind: Option<String>,
    hash: Option<String>,
    /// [`REAL_KEY_LABEL`]: set on a real image from `tests/images/build.sh`.
    real_key: Option<String>,
}

/// The local image `reference`, if there is one.
fn inspect(reference: &str) -> Option<ImageInfo> {
    let out = docker(&["image", "inspect", reference]);
    if !out.status.success() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("`docker image inspect {reference}` printed no JSON: {e}"));
    let image = &json[0];
    let label = |name: &str| image["Config"]["Labels"][name].as_str().map(str::to_string);
    Some(ImageInfo {
        id: image["Id"].as_str()?.to_string(),
        kind: label(IMAGE_LABEL),
        hash: label(HASH_LABEL),
        real_key: label(REAL_KEY_LABEL),
    })
}

/// The busybox stand-in (with coturn in `rootfs/`), built on first use.
fn standin() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let src = images_dir().join("standin");
        let busybox = static_binary(BUSYBOX, "busybox-static");
        let turnserver = PathBuf::from(TURNSERVER);
        assert!(
            turnserver.is_file(),
            "{TURNSERVER} is missing: the LiveKit stand-in runs Debian's coturn as its STUN/TURN \
             server; install it with `apt-get install coturn`"
        );
        let mut rootfs = vec![turnserver.clone()];
        rootfs.extend(libraries(&turnserver));
        let mut hash = Hasher::new();
        hash.dir(&src);
        hash.host_file(&busybox);
        for f in &rootfs {
            hash.host_file(f);
        }
        let hash = hash.finish();
        build("standin", &hash, |ctx| {
            copy_dir(&src, ctx);
            copy(&busybox, &ctx.join("busybox"));
            let root = ctx.join("rootfs");
            for f in &rootfs {
                copy(f, &root.join(f.strip_prefix("/").unwrap()));
            }
            (ctx.join("Dockerfile"), Vec::new())
        })
    })
}

/// The stand-in with `STANDIN_FAIL=1`, built on first use.
fn failing() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let base = standin();
        let dockerfile = images_dir().join("standin/Dockerfile.fail");
        let mut hash = Hasher::new();
        hash.bytes(base.id.as_bytes());
        hash.file(&dockerfile);
        let hash = hash.finish();
        build("standin-fail", &hash, |ctx| {
            copy(&dockerfile, &ctx.join("Dockerfile"));
            (
                ctx.join("Dockerfile"),
                vec!["--build-arg".into(), format!("BASE={}", base.tag)],
            )
        })
    })
}

/// The `caddy:*` and `livekit/caddyl4:*` images, built on first use.
fn caddy() -> &'static (Built, Built) {
    static BUILT: OnceLock<(Built, Built)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let src = images_dir().join("caddy");
        let caddy = PathBuf::from(CADDY);
        assert!(
            caddy.is_file(),
            "{CADDY} is missing: install Debian's caddy (apt-get install caddy)"
        );
        let mut host_files = vec![caddy.clone()];
        host_files.extend(libraries(&caddy));
        if Path::new(CA_BUNDLE).is_file() {
            host_files.push(PathBuf::from(CA_BUNDLE));
        }
        let mut hash = Hasher::new();
        hash.dir(&src);
        for f in &host_files {
            hash.host_file(f);
        }
        let hash = hash.finish();
        let context = |ctx: &Path, target: &str| {
            copy_dir(&src, ctx);
            let root = ctx.join("rootfs");
            for f in &host_files {
                copy(f, &root.join(f.strip_prefix("/").unwrap()));
            }
            for dir in ["data", "config", "tmp", "root", "srv", "etc/caddy"] {
                fs::create_dir_all(root.join(dir)).unwrap();
            }
            set_mode(&root.join("tmp"), 0o1777);
            (
                ctx.join("Dockerfile"),
                vec!["--target".to_string(), target.to_string()],
            )
        };
        let plain = build("caddy", &hash, |ctx| context(ctx, "plain"));
        let layer4 = build("caddyl4", &hash, |ctx| context(ctx, "layer4"));
        (plain, layer4)
    })
}

/// `selkie-test/NAME:HASH`, built with `prepare` (which fills the context directory and
/// returns the Dockerfile and extra build arguments) unless it already exists.
fn build(name: &str, hash: &str, prepare: impl FnOnce(&Path) -> (PathBuf, Vec<String>)) -> Built {
    let tag = format!("selkie-test/{name}:{hash}");
    if let Some(info) = inspect(&tag) {
        if info.hash.as_deref() == Some(hash) && info.kind.as_deref() == Some(name) {
            return Built { tag, id: info.id };
        }
    }
    let ctx = tempfile::tempdir().expect("a temporary build context");
    let (dockerfile, extra) = prepare(ctx.path());
    let kind_label = format!("{IMAGE_LABEL}={name}");
    let hash_label = format!("{HASH_LABEL}={hash}");
    let mut args = vec![
        "build",
        "--quiet",
        "--tag",
        &tag,
        "--label",
        &kind_label,
        "--label",
        &hash_label,
        "--file",
        dockerfile.to_str().unwrap(),
    ];
    args.extend(extra.iter().map(String::as_str));
    args.push(ctx.path().to_str().unwrap());
    docker_ok(&args);
    let id = inspect(&tag)
        .unwrap_or_else(|| panic!("`docker build` succeeded but {tag} does not exist"))
        .id;
    // Untag builds from older inputs; their images go once no reference uses them.
    let repo = format!("selkie-test/{name}");
    let tags = docker(&["image", "ls", &repo, "--format", "{{.Tag}}"]);
    for old in String::from_utf8_lossy(&tags.stdout).split_whitespace() {
        if old != hash {
            let _ = docker(&["image", "rm", &format!("{repo}:{old}")]);
        }
    }
    Built { tag, id }
}

/// `tests/images` in this crate.
fn images_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/images")
}

/// `path`, after checking that it is a statically linked executable (from `package`).
fn static_binary(path: &str, package: &str) -> PathBuf {
    let p = PathBuf::from(path);
    assert!(
        p.is_file(),
        "{path} is missing: install Debian's {package} (apt-get install {package})"
    );
    assert!(
        libraries(&p).is_empty(),
        "{path} is dynamically linked, but the stand-in image has no libraries: install \
         Debian's {package} (apt-get install {package})"
    );
    p
}

/// The shared libraries `ldd` names for `binary`, the program interpreter included; empty
/// for a static binary.
fn libraries(binary: &Path) -> Vec<PathBuf> {
    let out = Command::new("ldd")
        .arg(binary)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ldd (Debian's libc-bin): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() || text.contains("statically linked") {
        return Vec::new();
    }
    let mut libs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let path = match line.split_once("=>") {
            Some((name, target)) => {
                let target = target.trim();
                assert!(
                    !target.starts_with("not found"),
                    "ldd {}: the library {} is not installed",
                    binary.display(),
                    name.trim()
                );
                target.split_whitespace().next().unwrap_or("")
            }
            None => line.split_whitespace().next().unwrap_or(""),
        };
        if path.starts_with('/') {
            libs.push(PathBuf::from(path));
        }
    }
    libs
}

/// Copies `from` (following symbolic links) to `to`, creating its parent directories.
fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(from, to)
        .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", from.display(), to.display()));
}

/// Copies the files directly in `from` into `to`.
fn copy_dir(from: &Path, to: &Path) {
    for f in files(from) {
        copy(&f, &to.join(f.file_name().unwrap()));
    }
}

/// The files directly in `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Hashes what an image is built from: file contents, and host binaries by path, size and
/// modification time (a package upgrade changes those; hashing 40 MB of caddy would not pay).
struct Hasher(Sha256);

impl Hasher {
    fn new() -> Self {
        Hasher(Sha256::new())
    }

    fn bytes(&mut self, b: &[u8]) {
        self.0.update((b.len() as u64).to_le_bytes());
        self.0.update(b);
    }

    fn file(&mut self, path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        let meta =
            fs::metadata(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        self.bytes(path.file_name().unwrap().as_encoded_bytes());
        self.bytes(&meta.permissions().mode().to_le_bytes());
        self.bytes(&fs::read(path).unwrap());
    }

    fn dir(&mut self, dir: &Path) {
        for f in files(dir) {
            self.file(&f);
        }
    }

    fn host_file(&mut self, path: &Path) {
        let meta =
            fs::metadata(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        self.bytes(path.as_os_str().as_encoded_bytes());
        self.bytes(&meta.len().to_le_bytes());
        self.bytes(&mtime.to_le_bytes());
    }

    fn finish(self) -> String {
        self.0.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Removes every container, network and volume labelled `io.selkie.project=<project>`, for
/// test cleanup. Never panics (it runs from guards' `Drop`); failures are printed.
pub fn remove_project_containers(project: &str) {
    let filter = format!("label={PROJECT_LABEL}={project}");
    let list = |args: &[&str]| -> Vec<String> {
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
    let remove = |base: &[&str], ids: Vec<String>| {
        if ids.is_empty() {
            return;
        }
        let mut args: Vec<&str> = base.to_vec();
        args.extend(ids.iter().map(String::as_str));
        let out = docker(&args);
        if !out.status.success() {
            eprintln!(
                "cleanup: `docker {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    };
    // Containers first: networks and volumes in use cannot be removed.
    remove(
        &["rm", "--force", "--volumes"],
        list(&["ps", "--all", "--quiet", "--filter", &filter]),
    );
    remove(
        &["network", "rm"],
        list(&["network", "ls", "--quiet", "--filter", &filter]),
    );
    remove(
        &["volume", "rm", "--force"],
        list(&["volume", "ls", "--quiet", "--filter", &filter]),
    );
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

/// Debian's `docker-registry` (not a container) serving plain HTTP on 127.0.0.1 and a free
/// port, storing into a temporary directory; killed on drop.
pub struct Registry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts the registry and waits until `/v2/` answers; panics (with its log) if it
    /// does not within 15 s.
    pub fn start() -> Registry {
        require_daemon();
        let dir = tempfile::tempdir().expect("a temporary directory for the registry");
        let mut last = String::new();
        // A port found free can be taken before the registry binds it: try a few.
        for _ in 0..3 {
            let port = free_port();
            let config = dir.path().join("config.yml");
            fs::write(
                &config,
                format!(
                    "version: 0.1\n\
                     log:\n  level: warn\n  accesslog:\n    disabled: true\n\
                     storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                     http:\n  addr: 127.0.0.1:{port}\n",
                    dir.path().join("storage").display()
                ),
            )
            .unwrap();
            let log_path = dir.path().join("registry.log");
            let log = fs::File::create(&log_path).unwrap();
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot run docker-registry: {e}; install Debian's registry with \
                         `apt-get install docker-registry`"
                    )
                });
            let host = format!("127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if let Ok((200, _)) = http_get(&host, "/v2/") {
                    return Registry { child, port, dir };
                }
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!(
                        "docker-registry exited ({status}):\n{}",
                        fs::read_to_string(&log_path).unwrap_or_default()
                    );
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "docker-registry did not answer http://{host}/v2/ within 15 s; its log:\n{}",
                        fs::read_to_string(&log_path).unwrap_or_default()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("docker-registry would not start: {last}");
    }

    /// `127.0.0.1:PORT`, the registry's host part of image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Pushes the stand-in as `127.0.0.1:PORT/NAME` (`NAME` may carry a tag) and removes that
    /// local tag, so using the returned reference needs a pull from this registry.
    pub fn push_standin(&self, name: &str) -> String {
        let reference = format!("{}/{name}", self.host());
        docker_ok(&["tag", &standin().tag, &reference]);
        let out = docker(&["push", &reference]);
        if !out.status.success() {
            panic!(
                "`docker push {reference}` failed: {}{}\nThe daemon must allow plain HTTP to \
                 127.0.0.0/8 (its default; see `docker info` under Insecure Registries). \
                 Registry log:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
            );
        }
        docker_ok(&["image", "rm", &reference]);
        reference
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
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
