//! The real binary: exit codes, hints, what is written, `--resume`, hand edits, `plan --json`.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn selkie(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_selkie"))
        .args(args)
        .env_remove("SELKIE_DIR")
        .env_remove("SSH_CONNECTION")
        .output()
        .expect("the selkie binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn setup(dir: &Path, extra: &[&str]) -> Output {
    let d = dir.to_str().unwrap();
    let mut args = vec!["setup", "--non-interactive", "--no-start", "--dir", d];
    args.extend_from_slice(extra);
    selkie(&args)
}

/// Every file under `dir` (except backups) with its contents.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel.starts_with("backups") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn changed(before: &BTreeMap<String, Vec<u8>>, after: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut names: Vec<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    names.extend(before.keys().filter(|k| !after.contains_key(*k)).cloned());
    names.sort();
    names
}

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
    let out = Command::new(env!("CARGO_BIN_EXE_selkie"))
        .args(["setup", "--dir", dir.path().to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--non-interactive"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_first_setup_writes_the_deployment_with_private_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    let out = setup(
        &d,
        &["--domain", "meet.example.com", "--provider", "hetzner"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        stderr(&out).contains(&format!("Deployment directory: {}", d.display())),
        "{}",
        stderr(&out)
    );
    for file in [
        "selkie.toml",
        "secrets.toml",
        "manifest.toml",
        "livekit/livekit.yaml",
        "livekit/keys.yaml",
        "caddy/Caddyfile",
        "docker-compose.yml",
        "firewall/ufw.sh",
        "firewall/nftables.nft",
        "firewall/cloud-hetzner.sh",
        "dns.txt",
        "sysctl/99-selkie.conf",
    ] {
        assert!(d.join(file).is_file(), "{file} missing");
    }
    let secrets = std::fs::read_to_string(d.join("secrets.toml")).unwrap();
    let secret = secrets
        .lines()
        .find_map(|l| l.strip_prefix("livekit_api_secret = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    assert!(secret.len() >= 32);
    assert!(!text.contains(&secret), "the secret was printed");
    for (path, meta) in snapshot(&d)
        .keys()
        .map(|k| (k.clone(), std::fs::metadata(d.join(k)).unwrap()))
    {
        let contents = std::fs::read_to_string(d.join(&path)).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if contents.contains(&secret) || path == "secrets.toml" {
            assert_eq!(
                mode & 0o077,
                0,
                "{path} holds a secret and is mode {mode:o}"
            );
        }
    }
}

#[test]
fn resume_with_a_new_participant_count_changes_only_what_depends_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    assert!(
        setup(&d, &["--domain", "meet.example.com", "--provider", "aws"])
            .status
            .success()
    );
    let before = snapshot(&d);
    let out = setup(&d, &["--resume", "--participants", "400"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = snapshot(&d);
    let diff = changed(&before, &after);
    let allowed = [
        "selkie.toml",
        "manifest.toml",
        "livekit/livekit.yaml",
        "sysctl/99-selkie.conf",
        "firewall/clients.md",
        "firewall/ufw.sh",
        "firewall/firewalld.sh",
        "firewall/nftables.nft",
        "firewall/iptables.sh",
        "firewall/cloud-aws.sh",
    ];
    for f in &diff {
        assert!(
            allowed.contains(&f.as_str()),
            "{f} changed:\n{}",
            stdout(&out)
        );
    }
    assert!(diff.contains(&"livekit/livekit.yaml".to_string()));
    assert_eq!(
        before["secrets.toml"], after["secrets.toml"],
        "secrets are kept"
    );
    assert_eq!(before["livekit/keys.yaml"], after["livekit/keys.yaml"]);
    let yaml = String::from_utf8(after["livekit/livekit.yaml"].clone()).unwrap();
    assert!(yaml.contains("port_range_end: 50959"), "{yaml}");
    assert!(std::fs::read_dir(d.join("backups")).unwrap().count() == 1);

    // Running it again changes nothing at all.
    let out = setup(&d, &["--resume"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("nothing changed"), "{}", stdout(&out));
    assert_eq!(changed(&after, &snapshot(&d)), Vec::<String>::new());
}

#[test]
fn a_hand_edit_is_never_overwritten_silently() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    assert!(setup(&d, &["--ip", "203.0.113.7"]).status.success());
    let yaml = d.join("livekit/livekit.yaml");
    let edited = format!("{}# my own note\n", std::fs::read_to_string(&yaml).unwrap());
    std::fs::write(&yaml, &edited).unwrap();

    // A resume that does not touch livekit.yaml keeps the edit.
    let out = setup(&d, &["--resume", "--provider", "vultr"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("kept your edit"), "{}", stdout(&out));
    assert_eq!(std::fs::read_to_string(&yaml).unwrap(), edited);

    // One that changes it refuses, names the file, and writes nothing.
    let before = snapshot(&d);
    let out = setup(&d, &["--resume", "--participants", "200"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("livekit/livekit.yaml"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(changed(&before, &snapshot(&d)), Vec::<String>::new());

    // --force replaces it and keeps a copy.
    let out = setup(&d, &["--resume", "--participants", "200", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!std::fs::read_to_string(&yaml)
        .unwrap()
        .contains("my own note"));
    let backups: Vec<_> = std::fs::read_dir(d.join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let kept = backups.iter().any(|b| {
        std::fs::read_to_string(b.join("livekit/livekit.yaml"))
            .is_ok_and(|t| t.contains("my own note"))
    });
    assert!(kept, "the edited file is backed up");
    let mode = std::fs::metadata(d.join("backups"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn switching_proxy_mode_removes_files_that_no_longer_apply() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    assert!(setup(&d, &["--domain", "meet.example.com"])
        .status
        .success());
    assert!(d.join("caddy/Caddyfile").exists());
    let out = setup(&d, &["--resume", "--proxy", "external"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!d.join("caddy/Caddyfile").exists());
    assert!(d.join("proxy/nginx.conf").exists() && d.join("proxy/traefik.yml").exists());
}

#[test]
fn setup_refuses_to_start_over_an_existing_deployment_and_resume_needs_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    let out = setup(&d, &["--resume"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nothing to resume"));
    assert!(setup(&d, &["--domain", "meet.example.com"])
        .status
        .success());
    let out = setup(&d, &["--domain", "other.example.com"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--resume"), "{}", stderr(&out));
}

#[test]
fn plan_json_has_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    assert!(
        setup(&d, &["--domain", "meet.example.com", "--proxy", "caddy-l4"])
            .status
            .success()
    );
    let out = selkie(&["plan", "--dir", d.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["services", "ports", "dns", "firewall", "warnings"] {
        assert!(plan.get(key).is_some(), "missing {key}");
    }
    for port in plan["ports"].as_array().unwrap() {
        for key in [
            "port", "end", "proto", "exposure", "service", "purpose", "required",
        ] {
            assert!(port.get(key).is_some(), "port without {key}: {port}");
        }
        let exposure = port["exposure"].as_str().unwrap();
        assert!(["public", "proxied", "loopback", "internal", "vpn"].contains(&exposure));
    }
    let names: Vec<&str> = plan["dns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["meet.example.com", "turn.meet.example.com"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let secrets = std::fs::read_to_string(d.join("secrets.toml")).unwrap();
    for line in secrets.lines().filter(|l| l.contains("secret")) {
        if let Some(value) = line.split('"').nth(1) {
            assert!(!text.contains(value), "plan --json shows a secret");
        }
    }

    let human = selkie(&["plan", "--dir", d.to_str().unwrap()]);
    assert!(human.status.success());
    assert!(stderr(&human).contains("Deployment directory:"));
    let human = stdout(&human);
    assert!(human.contains("50 participants x 2 UDP ports"), "{human}");
}

#[test]
fn plan_without_a_deployment_says_to_run_setup() {
    let dir = tempfile::tempdir().unwrap();
    let out = selkie(&["plan", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("selkie setup"));
}

#[test]
fn selkie_dir_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("from-env");
    let out = Command::new(env!("CARGO_BIN_EXE_selkie"))
        .args([
            "setup",
            "--non-interactive",
            "--no-start",
            "--ip",
            "203.0.113.7",
        ])
        .env("SELKIE_DIR", &d)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(d.join("selkie.toml").exists());
}

#[test]
fn firewall_prints_provider_and_host_commands_or_client_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    assert!(setup(&d, &["--domain", "meet.example.com"])
        .status
        .success());
    let ds = d.to_str().unwrap();
    let out = selkie(&[
        "firewall",
        "--dir",
        ds,
        "--provider",
        "digitalocean",
        "--host",
        "ufw",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("doctl compute firewall"), "{text}");
    assert!(text.contains("ufw"), "{text}");
    let ssh = text.find("22").unwrap();
    assert!(ssh < text.find("50000").unwrap(), "SSH comes first");
    let out = selkie(&["firewall", "--dir", ds, "--clients"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("3478"));
    let out = selkie(&["firewall", "--dir", ds, "--host", "pf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ufw, firewalld, nftables, iptables"));
}

#[test]
fn ssh_session_port_and_client_shape_the_private_preset() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    let out = Command::new(env!("CARGO_BIN_EXE_selkie"))
        .args([
            "setup",
            "--non-interactive",
            "--no-start",
            "--dir",
            d.to_str().unwrap(),
            "--preset",
            "private",
            "--ip",
            "100.101.102.103",
        ])
        .env("SSH_CONNECTION", "198.51.100.4 50022 100.101.102.103 2222")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let saved = std::fs::read_to_string(d.join("selkie.toml")).unwrap();
    assert!(
        saved.contains("2222") && saved.contains("198.51.100.4/32"),
        "{saved}"
    );
    let plan = selkie(&["plan", "--dir", d.to_str().unwrap(), "--json"]);
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let public: Vec<String> = plan["ports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["exposure"] == "public")
        .map(|p| format!("{}/{}", p["port"], p["proto"].as_str().unwrap()))
        .collect();
    assert_eq!(
        public,
        ["2222/tcp", "41641/udp"],
        "only SSH and WireGuard are public"
    );
}

#[test]
fn a_preset_switch_on_resume_resets_what_the_old_preset_chose() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    let images = [
        "--image",
        "frontend=registry.example.com/f:1",
        "--image",
        "backend=registry.example.com/b:1",
    ];
    let mut args = vec!["--preset", "reflector", "--domain", "meet.example.com"];
    args.extend_from_slice(&images);
    assert!(setup(&d, &args).status.success());
    let out = setup(&d, &["--resume", "--preset", "livekit"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("note: preset reflector -> livekit"), "{text}");
    assert!(
        text.contains("image override for `frontend` removed"),
        "{text}"
    );
    let yaml = std::fs::read_to_string(d.join("livekit/livekit.yaml")).unwrap();
    assert!(yaml.contains("port_range_start: 50000"), "{yaml}");
    assert!(
        !d.join("env/backend.env").exists(),
        "the old preset's files are gone"
    );
}

#[test]
fn an_empty_value_clears_a_saved_answer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    let args = [
        "--domain",
        "meet.example.com",
        "--proxy",
        "caddy-l4",
        "--turn-host",
        "relay.example.com",
    ];
    assert!(setup(&d, &args).status.success());
    let out = setup(&d, &["--resume", "--proxy", "caddy"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the TURN host is only for caddy-l4"
    );
    let out = setup(&d, &["--resume", "--proxy", "caddy", "--turn-host", ""]);
    assert!(out.status.success(), "{}", stderr(&out));
    let saved = std::fs::read_to_string(d.join("selkie.toml")).unwrap();
    assert!(!saved.contains("relay.example.com"), "{saved}");
}

#[test]
fn a_failed_write_changes_nothing_and_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    assert!(setup(&d, &["--domain", "meet.example.com"])
        .status
        .success());
    // A file where the backup directory should be makes every backup fail.
    std::fs::write(d.join("backups"), "in the way").unwrap();
    let before = snapshot(&d);
    let out = setup(
        &d,
        &["--resume", "--participants", "300", "--proxy", "external"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(changed(&before, &snapshot(&d)), Vec::<String>::new());
    let leftovers: Vec<String> = snapshot(&d)
        .into_keys()
        .filter(|k| k.contains("selkie-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn selkie_toml_is_backed_up_and_secret_modes_are_restored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    assert!(setup(&d, &["--ip", "203.0.113.7"]).status.success());
    let original = std::fs::read_to_string(d.join("selkie.toml")).unwrap();
    let keys = d.join("livekit/keys.yaml");
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(setup(&d, &["--resume", "--participants", "80"])
        .status
        .success());
    assert_eq!(
        std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let backup = std::fs::read_dir(d.join("backups"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(
        std::fs::read_to_string(backup.join("selkie.toml")).unwrap(),
        original
    );
}

#[test]
fn an_email_reaches_the_certificate_issuer_and_caddy_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("deploy");
    let out = setup(
        &d,
        &["--domain", "meet.example.com", "--email", "ops@example.com"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let caddyfile = std::fs::read_to_string(d.join("caddy/Caddyfile")).unwrap();
    assert!(caddyfile.contains("email ops@example.com"), "{caddyfile}");
    let adapted = Command::new("caddy")
        .args([
            "adapt",
            "--config",
            d.join("caddy/Caddyfile").to_str().unwrap(),
            "--adapter",
            "caddyfile",
        ])
        .env("HOME", dir.path())
        .output()
        .expect("caddy is installed (apt-get install caddy)");
    assert!(adapted.status.success(), "{}", stderr(&adapted));
    assert!(String::from_utf8_lossy(&adapted.stdout).contains("ops@example.com"));
    let out = setup(&d, &["--resume", "--proxy", "caddy-l4"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("caddy/caddy.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["apps"]["tls"]["automation"]["policies"][0]["issuers"][0]["email"],
        "ops@example.com"
    );
}
