//! Test images: the real ones from `tests/images/build.sh` where built, stand-ins built here
//! from `tests/images/` and host binaries otherwise (see the parent module's docs).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use super::{docker, docker_ok, require_daemon, HASH_LABEL, IMAGE_LABEL, REAL_KEY_LABEL};

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
pub(super) struct Built {
    pub(super) tag: String,
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
pub(super) fn standin() -> &'static Built {
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
