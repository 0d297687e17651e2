//! The built selkie binary as the tests run it, and a fresh deployment made with it. Uses nothing
//! else of tests/common, so a test binary can include just this file
//! (`#[path = "common/run.rs"] mod run;`).
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

/// The built binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_selkie");

/// The caller's deployment directory and SSH session, which most runs leave out.
pub const CALLER_ENV: &[&str] = &["SELKIE_DIR", "SSH_CONNECTION"];

/// A fresh non-interactive setup at meet.example.com that starts nothing; `--dir` follows.
pub const FRESH: [&str; 5] = [
    "setup",
    "--non-interactive",
    "--no-start",
    "--domain",
    "meet.example.com",
];

/// A fresh non-interactive setup at the documentation address 203.0.113.7 that starts nothing.
pub const FRESH_AT_IP: [&str; 5] = [
    "setup",
    "--non-interactive",
    "--no-start",
    "--ip",
    "203.0.113.7",
];

/// Removes each variable of `names` from `cmd`'s environment.
pub fn unset<'a>(cmd: &'a mut Command, names: &[&str]) -> &'a mut Command {
    for name in names {
        cmd.env_remove(name);
    }
    cmd
}

/// The binary with `args`, each variable of `names` removed from its environment.
pub fn command<S: AsRef<OsStr>>(args: &[S], names: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    unset(c.args(args), names);
    c
}

/// [`command`] run to its end (stdin null, stdout and stderr captured).
pub fn output<S: AsRef<OsStr>>(args: &[S], names: &[&str]) -> Output {
    command(args, names)
        .output()
        .expect("the selkie binary runs")
}

/// `selkie ARGS` without [`CALLER_ENV`].
pub fn selkie<S: AsRef<OsStr>>(args: &[S]) -> Output {
    output(args, CALLER_ENV)
}

/// [`FRESH`] with `--dir DIR`.
pub fn fresh_args(dir: &str) -> Vec<&str> {
    let mut args = FRESH.to_vec();
    args.extend(["--dir", dir]);
    args
}

/// A fresh deployment in `dir`; panics with selkie's stderr when setup fails.
pub fn fresh_setup(dir: &Path) {
    let out = selkie(&fresh_args(dir.to_str().unwrap()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// stdout, a newline, then stderr, as text.
pub fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
