//! Running programs for the tests and finding what tests/images/build.sh built (the image cache
//! and its `paths.env`). Shared by the lab (tests/lab/net.rs), the lab's benches, and the tests
//! that use the built images without a lab (tests/docker_install.rs, tests/systemd_host.rs).
//! Each binary uses part of it.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[path = "../common/built.rs"]
mod built;
#[allow(unused_imports)]
pub use built::{built_value, cache_dir};

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

/// `selkie setup` applying the host firewall `kind` (and the kernel settings) with the
/// operator's consent, waiting `within` seconds for confirmation, containers left unstarted: a
/// first run at `ip`, or (`first` false) a `--resume`, which takes the saved consent.
pub fn apply_args(dir: &str, ip: &str, kind: &str, within: u64, first: bool) -> Vec<String> {
    let within = format!("{within}s");
    let mut args = vec![
        "setup",
        "--non-interactive",
        "--dir",
        dir,
        "--no-start",
        "--confirm-within",
        &within,
    ];
    if first {
        args.extend([
            "--ip",
            ip,
            "--provider",
            "none",
            "--ssh-port",
            "22",
            "--apply-firewall",
            "--apply-sysctl",
            "--host-firewall",
            kind,
        ]);
    } else {
        args.push("--resume");
    }
    args.into_iter().map(str::to_string).collect()
}

/// Removes the network namespaces named `PREFIX<pid>…` whose test process `pid` is gone (a
/// killed run cannot clean up after itself), with every process still in them. Returns the
/// pids of the runs swept.
pub fn sweep_dead_namespaces(prefix: &str) -> Vec<u32> {
    let Some(list) = run_quiet("ip", &["netns", "list"]) else {
        return Vec::new();
    };
    let mut swept = Vec::new();
    for line in String::from_utf8_lossy(&list.stdout).lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        let Some(pid) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if let Some(out) = run_quiet("ip", &["netns", "pids", name]) {
            for p in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = run_quiet("kill", &["-9", p]);
            }
        }
        let _ = run_quiet("ip", &["netns", "delete", name]);
        eprintln!("removed {name}, left by a run whose process ({pid}) is gone");
        swept.push(pid);
    }
    swept
}
