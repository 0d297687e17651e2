//! The table of bad flags: for a new deployment, and for `--resume` of an existing one.

/// Flags for a new deployment (`--domain meet.example.com` is added unless the case gives an
/// address); each must be refused without creating the directory.
pub(super) fn fresh_cases() -> Vec<Vec<&'static str>> {
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
pub(super) const RESUME_CASES: &[&[&str]] = &[
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
