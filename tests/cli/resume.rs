//! `setup --resume`: what changes and what is kept, hand edits, backups, failed writes.

use std::os::unix::fs::PermissionsExt;

use super::run::fresh_setup;
use super::{changed, setup, snapshot, stderr, stdout};

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
    fresh_setup(&d);
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
    fresh_setup(&d);
    let out = setup(&d, &["--domain", "other.example.com"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--resume"), "{}", stderr(&out));
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
    fresh_setup(&d);
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
