//! Running programs for the tests and finding what tests/images/build.sh built (the image cache
//! and its `paths.env`). Shared by the lab (tests/lab/net.rs), the lab's benches, and the tests
//! that use the built images without a lab (tests/docker_install.rs, tests/systemd_host.rs).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Where the images, binaries and the Python venv of tests/images/build.sh are.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("SELKIE_IMAGE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/selkie-images"))
}

/// A path that tests/images/build.sh wrote to `paths.env`, e.g. `SELKIE_LAB_PEBBLE`.
pub fn built(key: &str) -> PathBuf {
    let path = PathBuf::from(built_value(key));
    assert!(
        path.exists(),
        "{key}={} does not exist: rerun tests/images/build.sh",
        path.display()
    );
    path
}

/// A value that tests/images/build.sh wrote to `paths.env` (a path or an image reference).
pub fn built_value(key: &str) -> String {
    let env = cache_dir().join("paths.env");
    let text = fs::read_to_string(&env).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run tests/images/build.sh first (it builds the real \
             images and the lab's client; .ci/run does)",
            env.display()
        )
    });
    let value = text
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .next_back()
        .unwrap_or_else(|| {
            panic!(
                "{} names no {key}: rerun tests/images/build.sh",
                env.display()
            )
        });
    value.trim().trim_matches(['"', '\'']).to_string()
}

/// Runs a command and returns its output; panics when it cannot start.
pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "`{program} {}` failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command; `None` when it cannot start.
pub fn run_quiet(program: &str, args: &[&str]) -> Option<Output> {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()
}

/// The last `lines` lines of a file, for a failure message.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
