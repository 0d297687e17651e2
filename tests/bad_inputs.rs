//! A table of bad inputs — flags, clap-level mistakes, and tampered state files — each of which
//! must exit 2, print a hint that says what to enter, and write nothing.

#[path = "bad_inputs/flags.rs"]
mod flags;
#[path = "common/run.rs"]
mod run;
#[path = "bad_inputs/state_files.rs"]
mod state_files;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Output;

use flags::{fresh_cases, RESUME_CASES};
use run::selkie;
use state_files::state_cases;

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// `setup [--resume] --non-interactive --no-start --dir DIR`; more arguments may follow.
fn setup_args(resume: bool, dir: &str) -> Vec<OsString> {
    let mut args = os(&["setup"]);
    if resume {
        args.push("--resume".into());
    }
    args.extend(os(&["--non-interactive", "--no-start", "--dir", dir]));
    args
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

/// The cases run so far and the ones that failed.
#[derive(Default)]
struct Tally {
    total: usize,
    failures: Vec<String>,
}

impl Tally {
    /// One case: exit 2, a hint on stderr, and nothing written.
    fn check(&mut self, what: String, out: &Output, nothing_written: bool) {
        self.total += 1;
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2) {
            self.failures
                .push(format!("{what}: exit {:?}\n{err}", out.status.code()));
        } else if !err.contains("hint: ") {
            self.failures.push(format!("{what}: no hint\n{err}"));
        } else if !nothing_written {
            self.failures.push(format!("{what}: something was written"));
        }
    }
}

/// New deployments under `t`: the directory is never created.
fn new_deployments(t: &Path, tally: &mut Tally) {
    for (i, case) in fresh_cases().iter().enumerate() {
        let dir = t.join(format!("fresh-{i}"));
        let mut args = setup_args(false, dir.to_str().unwrap());
        if !case.iter().any(|a| *a == "--domain" || *a == "--ip")
            && !case.contains(&"--resume")
            && !case.contains(&"--proxy")
        {
            args.extend(os(&["--domain", "meet.example.com"]));
        }
        args.extend(os(case));
        let out = selkie(&args);
        tally.check(format!("setup {case:?}"), &out, !dir.exists());
    }
    // Setup without a terminal and without --non-interactive.
    let dir = t.join("no-tty");
    let out = selkie(&[
        "setup",
        "--domain",
        "meet.example.com",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    tally.check("setup without a terminal".into(), &out, !dir.exists());
    // Text that is not UTF-8, in each kind of value.
    for flag in ["--domain", "--ip", "--email", "--participants", "--image"] {
        let dir = t.join(format!("utf8{flag}"));
        let mut args = setup_args(false, dir.to_str().unwrap());
        args.push(flag.into());
        args.push(OsString::from_vec(b"meet\xff.example.com".to_vec()));
        let out = selkie(&args);
        tally.check(format!("setup {flag} <not UTF-8>"), &out, !dir.exists());
    }
    // Other commands.
    let missing = t.join("missing");
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
        let out = selkie(&case);
        tally.check(format!("{case:?}"), &out, !missing.exists());
    }
}

/// The deployment `dir`, set up: nothing in it changes.
fn an_existing_deployment(dir: &Path, tally: &mut Tally) {
    let d = dir.to_str().unwrap();
    let before = state_of(dir);
    for case in RESUME_CASES {
        let mut args = setup_args(true, d);
        args.extend(os(case));
        let out = selkie(&args);
        tally.check(
            format!("setup --resume {case:?}"),
            &out,
            state_of(dir) == before,
        );
    }
    for case in [
        run::fresh_args(d),
        vec!["firewall", "--dir", d, "--provider", "azzure"],
        vec!["firewall", "--dir", d, "--host", "pf"],
        vec!["status", "--dir", d, "--once", "--interval", "0"],
        vec!["status", "--dir", d, "--once", "--timeout", "abc"],
    ] {
        let out = selkie(&case);
        tally.check(format!("{case:?}"), &out, state_of(dir) == before);
    }
}

/// Broken state files in the deployment `dir`: refused, and nothing else in the directory
/// changes.
fn broken_state_files(dir: &Path, tally: &mut Tally) {
    let secrets = std::fs::read_to_string(dir.join("secrets.toml")).unwrap();
    let key = secrets
        .lines()
        .find_map(|l| l.strip_prefix("livekit_api_key = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    let mut cases: Vec<(&str, Vec<u8>, String)> = state_cases(&key)
        .into_iter()
        .map(|(file, text)| {
            let what = format!("{file} holding {:?}", text.escape_debug().to_string());
            (file, text.into_bytes(), what)
        })
        .collect();
    cases.push((
        "selkie.toml",
        b"version = 1\npreset = \"\xff\"\n".to_vec(),
        "selkie.toml not UTF-8".into(),
    ));
    for (file, bytes, what) in cases {
        let original = std::fs::read(dir.join(file)).unwrap();
        std::fs::write(dir.join(file), &bytes).unwrap();
        let tampered = state_of(dir);
        let out = selkie(&setup_args(true, dir.to_str().unwrap()));
        let unchanged = state_of(dir) == tampered;
        tally.check(what, &out, unchanged);
        // The value of a secret is never printed.
        if file == "secrets.toml" {
            assert!(!String::from_utf8_lossy(&out.stderr).contains(&"a".repeat(40)));
        }
        std::fs::write(dir.join(file), original).unwrap();
    }
}

#[test]
fn every_bad_input_exits_2_with_a_hint_and_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let mut tally = Tally::default();
    new_deployments(t.path(), &mut tally);
    let dir = t.path().join("deployment");
    run::fresh_setup(&dir);
    an_existing_deployment(&dir, &mut tally);
    broken_state_files(&dir, &mut tally);

    let Tally { total, failures } = tally;
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
