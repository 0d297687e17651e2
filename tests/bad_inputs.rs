//! A table of bad inputs — flags, clap-level mistakes, and tampered state files — each of which
//! must exit 2, print a hint that says what to enter, and write nothing.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

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

/// Flags for a new deployment (`--domain meet.example.com` is added unless the case gives an
/// address); each must be refused without creating the directory.
fn fresh_cases() -> Vec<Vec<&'static str>> {
    let mut v: Vec<Vec<&str>> = Vec::new();
    for d in [
        "https://x.com/",
        "x.com:443",
        "203.0.113.7",
        "localhost",
        "-bad.example.com",
        "-bad",
        "a..b.com",
        "under_score.example",
        "example.com/path",
        "",
        " ",
        "exa mple.com",
        "ex*ample.com",
        "example.123",
        "münchen.de",
        "[::1]",
        "2001:db8::1",
        ".example.com",
        "http://",
        "bad-.example.com",
        "x.-y.com",
        "a;b.example.com",
        "meet.example.com:",
        "--",
    ] {
        v.push(vec!["--domain", d]);
    }
    for ip in [
        "300.1.2.3",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "0.1.2.3",
        "::",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:203.0.113.7",
        "::127.0.0.1",
        "[2001:db8::1",
        "2001:db8::1]",
        "1.2.3",
        "1.2.3.4.5",
        "example.com",
        "1.2.3.4/24",
        "-1.2.3.4",
        "fe80::1%eth0",
        "",
        "1.2.3.4:80",
    ] {
        v.push(vec!["--ip", ip]);
    }
    let with_domain: &[(&str, &[&str])] = &[
        (
            "--participants",
            &[
                "0",
                "-1",
                "10001",
                "lots",
                "1.5",
                "",
                "1e3",
                "99999999999",
                "-0",
            ],
        ),
        (
            "--udp-start",
            &["-5", "0", "1023", "65536", "abc", "50000-60000", "", "-1"],
        ),
        ("--udp", &["ranges", "both", "", "-mux"]),
        ("--proxy", &["nginx", "traefik", "", "CADDY4", "-caddy"]),
        ("--provider", &["azzure", "gce", "aws2", "", "-aws"]),
        (
            "--preset",
            &["nope", "../livekit", "", "/etc/passwd", "-livekit"],
        ),
        (
            "--email",
            &[
                "nobody",
                "#x@example.com",
                "`id`@example.com",
                "{$HOME}@example.com",
                "a b@example.com",
                "a@localhost",
                "a..b@example.com",
                ".a@example.com",
                "a@b@example.com",
                "\"q\"@example.com",
                "a@example",
                "@example.com",
                "a@",
                "a\\b@example.com",
                "a'b@example.com",
                "a$b@example.com",
                "a{b}@example.com",
                "a@exa mple.com",
                "-a@",
            ],
        ),
        (
            "--image",
            &[
                "livekit=foo@sha256:zzz",
                "livekit=foo:bar:baz",
                "livekit=a/../b:1",
                "livekit=My/App:1",
                "livekit=app name",
                "livekit",
                "livekit=app:",
                "livekit=app:.x",
                "livekit=-app",
                "livekit=a__-b",
                "livekit=host:99999/app",
                "livekit=app@md5",
                "livekit=a@b@c",
                "livekit=a//b",
                "caddy=caddy:2.10@sha256:abc",
                "-x",
            ],
        ),
        ("--ssh-port", &["0", "-1", "65536", "ssh", "22x", ""]),
        (
            "--ssh-from",
            &[
                "10.0.0.0/33",
                "2001:db8::/129",
                "nowhere",
                "1.2.3.4/",
                "/24",
                "1.2.3.4/-1",
                "-1",
            ],
        ),
        (
            "--livekit-host",
            &[
                "https://lk.example.com",
                "lk_x.example.com",
                "-lk.example.com",
                "lk",
            ],
        ),
        (
            "--turn-host",
            &["turn.example.com:3478", "203.0.113.7", "-t"],
        ),
        ("--pull", &["sometimes", ""]),
        ("--health-timeout", &["0", "3601", "abc", "-5", ""]),
    ];
    for (flag, values) in with_domain {
        for value in *values {
            v.push(vec!["--domain", "meet.example.com", flag, value]);
        }
    }
    // Usage mistakes clap finds first.
    v.push(vec!["--domain", "meet.example.com", "--ip", "203.0.113.7"]);
    v.push(vec!["--domain", "meet.example.com", "--participants"]);
    v.push(vec!["--domain", "meet.example.com", "--bogus"]);
    v.push(vec!["--domain", "meet.example.com", "--ssh-port"]);
    // No address at all.
    v.push(vec!["--proxy", "caddy"]);
    // Resuming a deployment that is not there.
    v.push(vec!["--resume"]);
    // A preset whose private images were not given.
    v.push(vec![
        "--domain",
        "meet.example.com",
        "--preset",
        "reflector",
    ]);
    v
}

/// Flags that change an existing deployment: each must be refused with nothing changed.
const RESUME_CASES: &[&[&str]] = &[
    &["--participants", "0"],
    &["--participants", "-1"],
    &["--ip", "255.255.255.255"],
    &["--ip", "::ffff:127.0.0.1"],
    &["--ip", "[2001:db8::1"],
    &["--email", "#x@example.com"],
    &["--email", "{$HOME}@example.com"],
    &["--image", "livekit=foo:bar:baz"],
    &["--image", "livekit=foo@sha256:zzz"],
    &["--ssh-port", "0"],
    &["--udp-start", "1023"],
    &["--udp-start", "-5"],
    &["--domain", "-bad"],
    &["--proxy", "nginx"],
    &["--preset", "nope"],
    &["--ssh-from", "10.0.0.0/33"],
];

/// State files an operator (or anyone) broke: `(file, text)`. Each must be refused.
fn state_cases(key: &str) -> Vec<(&'static str, String)> {
    let answers = |extra: &str| {
        format!(
            "version = 1\npreset = \"livekit\"\ndomain = \"meet.example.com\"\nproxy = \"caddy\"\n\
             participants = 50\nudp = \"range\"\nprovider = \"none\"\n{extra}"
        )
    };
    let secret = |value: &str| {
        format!(
            "livekit_api_key = \"{key}\"\nlivekit_api_secret = {}\n",
            toml::Value::String(value.into())
        )
    };
    let hash = "0".repeat(64);
    let manifest = |path: &str| format!("version = 1\n[files.\"{path}\"]\nsha256 = \"{hash}\"\n");
    vec![
        ("selkie.toml", answers("[ssh]\nports = [0]\n")),
        ("selkie.toml", answers("email = \"`id`@example.com\"\n")),
        ("selkie.toml", answers("email = \"{$HOME}@example.com\"\n")),
        (
            "selkie.toml",
            answers("[images]\nlivekit = \"foo:bar:baz\"\n"),
        ),
        ("selkie.toml", answers("[images]\nlivekit = \"a/../b:1\"\n")),
        (
            "selkie.toml",
            answers("[ssh]\nallow_from = \"10.0.0.0/33\"\n"),
        ),
        ("selkie.toml", answers("udp_start = 80\n")),
        ("selkie.toml", answers("bogus = 1\n")),
        (
            "selkie.toml",
            answers("").replace("participants = 50", "participants = 0"),
        ),
        (
            "selkie.toml",
            answers("").replace("domain = \"meet.example.com\"", "ip = \"255.255.255.255\""),
        ),
        (
            "selkie.toml",
            answers("").replace("domain = \"meet.example.com\"", "ip = \"[2001:db8::1\""),
        ),
        (
            "selkie.toml",
            answers("").replace("version = 1", "version = 2"),
        ),
        ("selkie.toml", answers("").replace("version = 1\n", "")),
        ("selkie.toml", "version = 1\npreset = \"\u{0}\"\n".into()),
        ("selkie.toml", "[[[".into()),
        ("secrets.toml", secret("short")),
        ("secrets.toml", secret("")),
        (
            "secrets.toml",
            secret(&format!(
                "{}\" #x\nAPIevil: {}",
                "a".repeat(40),
                "b".repeat(40)
            )),
        ),
        (
            "secrets.toml",
            secret(&format!("{}{{{{secret.x}}}}", "a".repeat(40))),
        ),
        (
            "secrets.toml",
            secret(&"a".repeat(40)).replace(key, "API: x"),
        ),
        (
            "secrets.toml",
            format!("{}bogus = 1\n", secret(&"a".repeat(40))),
        ),
        (
            "secrets.toml",
            format!(
                "{}[extra]\n\"Bad Name\" = \"{}\"\n",
                secret(&"a".repeat(40)),
                "c".repeat(40)
            ),
        ),
        (
            "secrets.toml",
            format!("{}[extra]\ndb = \"x\\ny\"\n", secret(&"a".repeat(40))),
        ),
        ("manifest.toml", manifest("/etc/passwd")),
        ("manifest.toml", manifest("../outside")),
        ("manifest.toml", manifest("livekit/../../x")),
        ("manifest.toml", manifest("selkie.toml")),
        ("manifest.toml", manifest("a/b/c")),
        (
            "manifest.toml",
            "version = 1\n[files.\"dns.txt\"]\nsha256 = \"zz\"\n".to_string(),
        ),
        ("manifest.toml", "version = 7\n".into()),
    ]
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
