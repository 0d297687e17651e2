//! Bad flags and usage mistakes: exit 2, a hint, nothing written.

use super::run;
use super::{selkie, setup, stderr, stdout};

#[test]
fn bad_input_exits_2_with_a_hint_and_writes_nothing() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--domain", "https://x.com/"],
            "enter just the host name, e.g. x.com",
        ),
        (&["--domain", "x.com:443"], "without the port"),
        (&["--domain", "203.0.113.7"], "--ip 203.0.113.7"),
        (&["--ip", "300.1.2.3"], "IPv4 address like"),
        (
            &["--domain", "meet.example.com", "--participants", "0"],
            "from 1 to 10000",
        ),
        (
            &["--domain", "meet.example.com", "--participants", "10001"],
            "from 1 to 10000",
        ),
        (
            &["--domain", "meet.example.com", "--participants", "many"],
            "whole number",
        ),
        (
            &["--domain", "meet.example.com", "--udp-start", "80"],
            "1024 to 65535",
        ),
        (
            &["--domain", "meet.example.com", "--udp-start", "65500"],
            "no higher than",
        ),
        (
            &["--domain", "meet.example.com", "--proxy", "nginx"],
            "caddy, caddy-l4, external, none",
        ),
        (
            &["--domain", "meet.example.com", "--provider", "azzure"],
            "choose one of",
        ),
        (
            &["--domain", "meet.example.com", "--preset", "jitsi"],
            "livekit, reflector",
        ),
        (
            &["--ip", "203.0.113.7", "--proxy", "caddy-l4"],
            "give --domain NAME",
        ),
        (
            &["--domain", "meet.example.com", "--preset", "reflector"],
            "--image frontend=REF",
        ),
        (
            &["--domain", "meet.example.com", "--image", "nope"],
            "SERVICE=REF",
        ),
        (
            &["--domain", "meet.example.com", "--image", "ghost=a/b:1"],
            "image overrides take one of",
        ),
        (
            &["--domain", "meet.example.com", "--udp-start", "3400"],
            "--udp-start",
        ),
        (&[], "give --domain NAME"),
    ];
    for (args, hint) in cases {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("deploy");
        let out = setup(&target, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("error:") && err.contains(hint),
            "{args:?}: wanted {hint:?} in:\n{err}"
        );
        assert!(!target.exists(), "{args:?} wrote {}", target.display());
        assert!(
            err.contains(&format!("Deployment directory: {}", target.display())),
            "{err}"
        );
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let out = selkie(&["setup", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--bogus"));
    let out = selkie(&[
        "setup",
        "--non-interactive",
        "--domain",
        "a.example.com",
        "--ip",
        "203.0.113.7",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = selkie(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    for cmd in ["setup", "plan", "firewall"] {
        assert!(stdout(&out).contains(cmd));
    }
}

#[test]
fn bad_durations_are_refused_by_the_parser_with_the_flag_s_hint() {
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["status", "--interval", "0"],
            "`0` is not a number of seconds",
            "give seconds from 0.1 to 3600",
        ),
        (
            &["status", "--timeout", "abc"],
            "`abc` is not a number of seconds",
            "give seconds from 0.1 to 3600",
        ),
        (
            &["status", "--timeout", "NaN"],
            "`NaN` is not a number of seconds",
            "give seconds from 0.1 to 3600",
        ),
        (
            &["token", "--ttl", "2d"],
            "unknown unit",
            "give a duration such as 15m",
        ),
        (
            &["token", "--ttl", "30s"],
            "outside 1m to 24h",
            "give a duration such as 15m",
        ),
    ];
    for (args, problem, hint) in cases {
        // The directory does not exist: only the parser can be the one refusing.
        let mut all = args.to_vec();
        all.extend(["--dir", "/nonexistent/selkie"]);
        let out = selkie(&all);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(problem),
            "{args:?}: wanted {problem:?} in:\n{err}"
        );
        assert!(
            err.contains(&format!("hint: {hint}")),
            "{args:?}: wanted {hint:?} in:\n{err}"
        );
        assert!(
            !err.contains("Deployment directory"),
            "{args:?}: not the parser:\n{err}"
        );
    }
}

#[test]
fn setup_without_non_interactive_and_without_a_terminal_points_at_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = run::output(&["setup", "--dir", dir.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--non-interactive"),
        "{}",
        stderr(&out)
    );
}
