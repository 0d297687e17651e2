//! A table of bad inputs — flags, clap-level mistakes, and tampered state files — each of which
//! must exit 2, print a hint that says what to enter, and write nothing.

#[path = "bad_inputs/flags.rs"]
mod flags;
#[path = "bad_inputs/state_files.rs"]
mod state_files;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use flags::{fresh_cases, RESUME_CASES};
use state_files::state_cases;

fn run(args: &[OsString]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_selkie"))
        .args(args)
        .env_remove("SELKIE_DIR")
        .env_remove("SSH_CONNECTION")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// Every entry under `dir` with its mode and contents.
fn state_of(dir: &Path) -> BTreeMap<String, (u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let bytes = if m.is_file() {
            std::fs::read(&p).unwrap()
        } else {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
            Vec::new()
        };
        out.insert(p.display().to_string(), (m.mode(), bytes));
    }
    out
}

#[test]
fn every_bad_input_exits_2_with_a_hint_and_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let mut total = 0;
    let mut failures = Vec::new();
    let mut check = |what: String, out: &Output, nothing_written: bool| {
        total += 1;
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2) {
            failures.push(format!("{what}: exit {:?}\n{err}", out.status.code()));
        } else if !err.contains("hint: ") {
            failures.push(format!("{what}: no hint\n{err}"));
        } else if !nothing_written {
            failures.push(format!("{what}: something was written"));
        }
    };

    // New deployments: the directory is never created.
    for (i, case) in fresh_cases().iter().enumerate() {
        let dir = t.path().join(format!("fresh-{i}"));
        let mut args = os(&[
            "setup",
            "--non-interactive",
            "--no-start",
            "--dir",
            dir.to_str().unwrap(),
        ]);
        if !case.iter().any(|a| *a == "--domain" || *a == "--ip")
            && !case.contains(&"--resume")
            && !case.contains(&"--proxy")
        {
            args.extend(os(&["--domain", "meet.example.com"]));
        }
        args.extend(os(case));
        let out = run(&args);
        check(format!("setup {case:?}"), &out, !dir.exists());
    }
    // Setup without a terminal and without --non-interactive.
    let dir = t.path().join("no-tty");
    let out = run(&os(&[
        "setup",
        "--domain",
        "meet.example.com",
        "--dir",
        dir.to_str().unwrap(),
    ]));
    check("setup without a terminal".into(), &out, !dir.exists());
    // Text that is not UTF-8, in each kind of value.
    for flag in ["--domain", "--ip", "--email", "--participants", "--image"] {
        let dir = t.path().join(format!("utf8{flag}"));
        let mut args = os(&[
            "setup",
            "--non-interactive",
            "--no-start",
            "--dir",
            dir.to_str().unwrap(),
            flag,
        ]);
        args.push(OsString::from_vec(b"meet\xff.example.com".to_vec()));
        let out = run(&args);
        check(format!("setup {flag} <not UTF-8>"), &out, !dir.exists());
    }
    // Other commands.
    let missing = t.path().join("missing");
    let m = missing.to_str().unwrap();
    for case in [
        vec!["down", "--dir", m],
        vec!["down", "--dir", m, "--volumes", "--yes"],
        vec!["plan", "--dir", m],
        vec!["plan", "--dir", m, "--json"],
        vec!["firewall", "--dir", m],
        vec!["status", "--dir", m, "--once"],
        vec!["bogus-command"],
        vec!["setup", "--non-interactive", "--dir", m, "--domain"],
    ] {
        let out = run(&os(&case));
        check(format!("{case:?}"), &out, !missing.exists());
    }

    // An existing deployment: nothing in it changes.
    let dir = t.path().join("deployment");
    let d = dir.to_str().unwrap();
    let first = run(&os(&[
        "setup",
        "--non-interactive",
        "--no-start",
        "--domain",
        "meet.example.com",
        "--dir",
        d,
    ]));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = state_of(&dir);
    for case in RESUME_CASES {
        let mut args = os(&[
            "setup",
            "--resume",
            "--non-interactive",
            "--no-start",
            "--dir",
            d,
        ]);
        args.extend(os(case));
        let out = run(&args);
        check(
            format!("setup --resume {case:?}"),
            &out,
            state_of(&dir) == before,
        );
    }
    for case in [
        vec![
            "setup",
            "--non-interactive",
            "--no-start",
            "--domain",
            "meet.example.com",
            "--dir",
            d,
        ],
        vec!["firewall", "--dir", d, "--provider", "azzure"],
        vec!["firewall", "--dir", d, "--host", "pf"],
        vec!["status", "--dir", d, "--once", "--interval", "0"],
        vec!["status", "--dir", d, "--once", "--timeout", "abc"],
    ] {
        let out = run(&os(&case));
        check(format!("{case:?}"), &out, state_of(&dir) == before);
    }

    // Broken state files: refused, and nothing else in the directory changes.
    let secrets = std::fs::read_to_string(dir.join("secrets.toml")).unwrap();
    let key = secrets
        .lines()
        .find_map(|l| l.strip_prefix("livekit_api_key = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    for (file, text) in state_cases(&key) {
        let original = std::fs::read(dir.join(file)).unwrap();
        std::fs::write(dir.join(file), &text).unwrap();
        let tampered = state_of(&dir);
        let out = run(&os(&[
            "setup",
            "--resume",
            "--non-interactive",
            "--no-start",
            "--dir",
            d,
        ]));
        let unchanged = state_of(&dir) == tampered;
        check(
            format!("{file} holding {:?}", text.escape_debug().to_string()),
            &out,
            unchanged,
        );
        // The value of a secret is never printed.
        if file == "secrets.toml" {
            assert!(!String::from_utf8_lossy(&out.stderr).contains(&"a".repeat(40)));
        }
        std::fs::write(dir.join(file), original).unwrap();
    }
    let original = std::fs::read(dir.join("selkie.toml")).unwrap();
    std::fs::write(dir.join("selkie.toml"), b"version = 1\npreset = \"\xff\"\n").unwrap();
    let tampered = state_of(&dir);
    let out = run(&os(&[
        "setup",
        "--resume",
        "--non-interactive",
        "--no-start",
        "--dir",
        d,
    ]));
    check(
        "selkie.toml not UTF-8".into(),
        &out,
        state_of(&dir) == tampered,
    );
    std::fs::write(dir.join("selkie.toml"), original).unwrap();

    println!(
        "{total} bad inputs: {} refused with exit 2, a hint and nothing written",
        total - failures.len()
    );
    assert!(
        total >= 150,
        "the table has {total} cases; it should have at least 150"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
