//! `selkie cloud-init`, `selkie completions` and `selkie man`, checked by the real tools that
//! read them: Debian's cloud-init (`cloud-init schema`), shellcheck on the first-boot script,
//! bash on the completion script, groff on the manual page. Fails (never skips) without them.

#[path = "common/run.rs"]
mod run;

use std::path::Path;
use std::process::{Command, Output, Stdio};

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn selkie(args: &[&str]) -> Output {
    run::output(args, &["SELKIE_DIR"])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tool(name: &str, package: &str) -> String {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path.display().to_string();
        }
    }
    panic!("this test needs `{name}`: apt-get install {package}");
}

fn user_data(extra: &[&str]) -> String {
    let mut args = vec![
        "cloud-init",
        "--selkie-url",
        "https://downloads.example.com/selkie/v0.1.0/selkie-x86_64-linux",
        "--selkie-sha256",
        SHA,
    ];
    args.extend_from_slice(extra);
    let out = selkie(&args);
    assert!(
        out.status.success(),
        "selkie {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The first-boot script inside the user-data, read by a YAML parser (Python's, which cloud-init
/// itself uses).
fn first_boot_script(user_data: &str, dir: &Path) -> std::path::PathBuf {
    let yaml = dir.join("user-data");
    std::fs::write(&yaml, user_data).unwrap();
    let script = dir.join("first-boot.sh");
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, yaml\nd = yaml.safe_load(open(sys.argv[1]))\n\
             f = [w for w in d['write_files'] if w['path'].endswith('first-boot.sh')][0]\n\
             open(sys.argv[2], 'w').write(f['content'])",
        ])
        .arg(&yaml)
        .arg(&script)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    script
}

fn schema_check(user_data: &str, dir: &Path) {
    let file = dir.join("user-data.yaml");
    std::fs::write(&file, user_data).unwrap();
    let out = Command::new(tool("cloud-init", "cloud-init"))
        .args(["schema", "--config-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cloud-init schema refused the user-data:\n{}{}\n{user_data}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn user_data_passes_cloud_inits_schema_and_the_script_passes_shellcheck() {
    let tmp = tempfile::tempdir().unwrap();
    for extra in [
        vec!["--", "--domain", "meet.example.com", "--proxy", "caddy-l4"],
        vec![
            "--status-timer",
            "--",
            "--ip",
            "203.0.113.7",
            "--email",
            "ops@example.com",
            "--dir",
            "/srv/livekit",
        ],
    ] {
        let data = user_data(&extra);
        assert!(data.starts_with("#cloud-config\n"), "{data}");
        schema_check(&data, tmp.path());
        let script = first_boot_script(&data, tmp.path());
        let body = std::fs::read_to_string(&script).unwrap();
        // The flags as given, plus what an unattended first boot needs.
        let setup_line = body
            .lines()
            .find(|l| l.contains("exec /usr/local/bin/selkie setup"))
            .unwrap_or_else(|| panic!("no setup line:\n{body}"));
        for word in &extra[extra.iter().position(|a| *a == "--").unwrap() + 1..] {
            let plain = word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-./".contains(c));
            if plain {
                assert!(setup_line.contains(word), "{word} missing: {setup_line}");
            }
        }
        assert!(setup_line.contains("--non-interactive"), "{setup_line}");
        assert!(setup_line.contains("--install-docker"), "{setup_line}");
        assert!(body.contains(&format!("sha256={SHA}")), "{body}");
        let check = Command::new(tool("shellcheck", "shellcheck"))
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "shellcheck:\n{}\n{body}",
            text(&check.stdout)
        );
        if extra.contains(&"--status-timer") {
            assert!(
                data.contains("ExecStart=/usr/local/bin/selkie status --once --dir /srv/livekit"),
                "{data}"
            );
        } else {
            assert!(setup_line.contains("--dir /opt/selkie"), "{setup_line}");
            assert!(!data.contains("selkie-status"), "{data}");
        }
    }
}

#[test]
fn cloud_init_refuses_what_would_fail_on_the_server_with_exit_2() {
    for (extra, says) in [
        (vec!["--", "--domian", "meet.example.com"], "--domian"),
        (vec!["--", "--proxy", "caddy"], "--domain"),
        (
            vec!["--", "--domain", "meet.example.com", "--resume"],
            "--resume",
        ),
        (
            vec![
                "--",
                "--domain",
                "meet.example.com",
                "--acme-ca",
                "https://ca.example.com/directory",
                "--acme-ca-root",
                "/tmp/x.pem",
            ],
            "--acme-ca-root",
        ),
    ] {
        let mut args = vec![
            "cloud-init",
            "--selkie-url",
            "https://example.com/selkie",
            "--selkie-sha256",
            SHA,
        ];
        args.extend_from_slice(&extra);
        let out = selkie(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert!(err.contains(says) && err.contains("hint:"), "{err}");
    }
    let out = selkie(&[
        "cloud-init",
        "--selkie-url",
        "http://example.com/selkie",
        "--selkie-sha256",
        SHA,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("https://"));
}

#[test]
fn bash_completion_loads_and_knows_every_subcommand() {
    let out = selkie(&["completions", "bash"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    let mut bash = Command::new("bash")
        .args(["-c", "source /dev/stdin && complete -p selkie"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    bash.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let loaded = bash.wait_with_output().unwrap();
    assert!(
        loaded.status.success() && text(&loaded.stdout).contains("selkie"),
        "bash could not load the completion: {}",
        text(&loaded.stderr)
    );
    for sub in [
        "setup",
        "status",
        "check",
        "cloud-init",
        "completions",
        "man",
    ] {
        assert!(script.contains(sub), "{sub} missing from the completion");
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = selkie(&["completions", shell]);
        assert!(out.status.success() && !out.stdout.is_empty(), "{shell}");
    }
    let bad = selkie(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_manual_page_renders_with_groff_without_warnings() {
    let out = selkie(&["man"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut groff = Command::new(tool("groff", "groff-base"))
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    groff.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let checked = groff.wait_with_output().unwrap();
    assert!(
        checked.status.success() && checked.stderr.is_empty(),
        "groff: {}",
        text(&checked.stderr)
    );
    let page = text(&out.stdout);
    assert!(
        page.contains(".TH selkie 1"),
        "{}",
        &page[..page.len().min(200)]
    );
    assert!(page.contains("cloud\\-init") || page.contains("cloud-init"));
}
