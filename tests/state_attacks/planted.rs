//! The planted cases: every trap a user can set inside a deployment directory, run as prepared
//! and as adopted by root, and what each one gets.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::{require_root, resume, sh, state_of, World, NOBODY};

/// The planting scripts, run as the unprivileged user inside a copy of a deployment. `OUT` is
/// the outside directory.
const CASES: &[(&str, &str)] = &[
    ("manifest-absolute-path", "printf '[files.\"OUT/victim.txt\"]\\nsha256 = \"%s\"\\n' $(sha256sum OUT/victim.txt | cut -d' ' -f1) >>manifest.toml"),
    ("manifest-dotdot-path", "printf '[files.\"../outside/victim.txt\"]\\nsha256 = \"%s\"\\n' $(sha256sum OUT/victim.txt | cut -d' ' -f1) >>manifest.toml"),
    ("manifest-dotdot-inside", "printf '[files.\"livekit/../../outside/victim.txt\"]\\nsha256 = \"%s\"\\n' $(sha256sum OUT/victim.txt | cut -d' ' -f1) >>manifest.toml"),
    ("secrets-link", "rm secrets.toml && ln -s OUT/victim.txt secrets.toml"),
    ("selkie-toml-link", "rm selkie.toml && ln -s OUT/victim.txt selkie.toml"),
    ("manifest-link", "rm manifest.toml && ln -s OUT/victim.txt manifest.toml"),
    ("keys-link", "rm livekit/keys.yaml && ln -s OUT/victim.txt livekit/keys.yaml"),
    ("livekit-yaml-link", "rm livekit/livekit.yaml && ln -s OUT/victim.txt livekit/livekit.yaml"),
    ("livekit-dir-link", "rm -r livekit && ln -s OUT/dir livekit"),
    ("firewall-dir-link", "rm -r firewall && ln -s OUT/dir firewall"),
    ("sysctl-dir-link", "rm -r sysctl && ln -s OUT/dir sysctl"),
    ("backups-link", "rm -rf backups && ln -s OUT/dir backups"),
    ("backups-absent-link", "rm -rf backups && ln -s OUT/nothing-here backups"),
    ("lock-link", "rm -f .selkie.lock && ln -s OUT/victim.txt .selkie.lock"),
    ("lock-link-to-new-file", "rm -f .selkie.lock && ln -s OUT/created-by-root .selkie.lock"),
    ("env-file-link", "rm .env && ln -s OUT/victim.txt .env"),
    ("planted-temp-names", "for p in $(seq 1 3000); do ln -s OUT/victim.txt livekit/.livekit.yaml.selkie-tmp-$p; ln -s OUT/victim.txt .selkie.toml.selkie-tmp-$p; done"),
    ("planted-temp-dir", "mkdir -p backups/.selkie-tmp-0123 && ln -s OUT/dir backups/.selkie-tmp-0123/x"),
    ("journal-outside", "printf 'version = 1\\n[[remove]]\\npath = \"../outside/victim.txt\"\\nsha256 = \"%s\"\\n' $(sha256sum OUT/victim.txt | cut -d' ' -f1) >.selkie-txn.toml"),
    ("journal-rename-outside", "cp OUT/victim.txt livekit/.selkie-tmp-00000000000000000000000000000000 && printf 'version = 1\\n[[rename]]\\npath = \"/etc/selkie-evil\"\\ntmp = \".selkie-tmp-00000000000000000000000000000000\"\\nsha256 = \"x\"\\n' >.selkie-txn.toml"),
    ("journal-tmp-outside", "printf 'version = 1\\n[[rename]]\\npath = \"livekit/keys.yaml\"\\ntmp = \"../../outside/victim.txt\"\\nsha256 = \"%s\"\\n' $(sha256sum OUT/victim.txt | cut -d' ' -f1) >.selkie-txn.toml"),
    ("secrets-short", "sed -i 's/^livekit_api_secret = .*/livekit_api_secret = \"short\"/' secrets.toml"),
    ("secrets-empty", "sed -i 's/^livekit_api_secret = .*/livekit_api_secret = \"\"/' secrets.toml"),
    ("secrets-yaml-injection", "sed -i 's/^livekit_api_secret = .*/livekit_api_secret = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \\\\\" #x\\\\nAPIevil: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"/' secrets.toml"),
    ("secrets-template-loop", "sed -i 's/^livekit_api_secret = .*/livekit_api_secret = \"{{secret.livekit_api_secret}}aaaaaaaaaaaaaaaaaaaaaaaaaaaa\"/' secrets.toml"),
    ("selkie-toml-not-utf8", "printf 'version = 1\\npreset = \"\\xff\\xfe\"\\n' >selkie.toml"),
    ("ssh-port-zero", "sed -i '/^\\[ssh\\]/a ports = [0]' selkie.toml && grep -q 'ports = \\[0\\]' selkie.toml"),
    ("world-writable-dir", "chmod 0777 ."),
    ("group-writable-subdir", "chmod 0775 livekit"),
    ("fifo-instead-of-file", "rm dns.txt && mkfifo dns.txt"),
    ("dir-instead-of-file", "rm dns.txt && mkdir dns.txt"),
    ("huge-manifest-path", "printf '[files.\"%s\"]\\nsha256 = \"00\"\\n' $(head -c 5000 /dev/zero | tr '\\\\0' a) >>manifest.toml"),
];

#[test]
fn nothing_outside_the_deployment_is_written_or_chmodded() {
    require_root();
    let world = World::new();
    let before = state_of(&world.outside);
    let mut runs = 0;
    let mut refused_as_prepared = 0;
    for (name, plant) in CASES {
        let dir = world.prepared(name, plant);
        // As the user left it: owned by them, so it is refused outright.
        let out = resume(&dir);
        runs += 1;
        assert!(
            !out.status.success(),
            "{name}: a directory owned by another user was used"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("hint:"), "{name}: no hint in {err}");
        refused_as_prepared += 1;
        assert_eq!(
            state_of(&world.outside),
            before,
            "{name} (as prepared) changed the outside"
        );
        // Adopted by root with every link kept: the opens themselves must refuse the links.
        sh(
            &format!("chown -hR 0:0 {}", dir.display()),
            &world.root,
            false,
        );
        let out = resume(&dir);
        runs += 1;
        assert_eq!(
            state_of(&world.outside),
            before,
            "{name} (adopted) changed the outside: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A second run after whatever the first did: still nothing outside.
        let _ = resume(&dir);
        runs += 1;
        assert_eq!(
            state_of(&world.outside),
            before,
            "{name} (second run) changed the outside"
        );
        assert!(!world.outside.join("created-by-root").exists(), "{name}");
        assert!(!Path::new("/etc/selkie-evil").exists(), "{name}");
    }
    println!(
        "{} cases, {runs} runs as root: {refused_as_prepared} refused as prepared by uid {NOBODY}; 0 writes or mode changes outside",
        CASES.len()
    );
}

#[test]
fn what_each_attack_gets_as_adopted_by_root() {
    require_root();
    let world = World::new();
    let expect: &[(&str, i32, &str)] = &[
        ("manifest-absolute-path", 2, "not a path selkie writes"),
        ("manifest-dotdot-path", 2, "not a path selkie writes"),
        ("secrets-link", 1, "symbolic link"),
        ("keys-link", 1, "symbolic link"),
        ("firewall-dir-link", 1, "symbolic link"),
        ("backups-link", 1, "symbolic link"),
        ("lock-link", 1, "symbolic link"),
        ("journal-outside", 2, "not a path selkie writes"),
        ("journal-tmp-outside", 2, "never does"),
        ("secrets-short", 2, "32 to 512 letters and digits"),
        ("secrets-empty", 2, "livekit_api_secret must be"),
        ("secrets-yaml-injection", 2, "letters and digits"),
        ("secrets-template-loop", 2, "letters and digits"),
        ("selkie-toml-not-utf8", 2, "not UTF-8"),
        ("ssh-port-zero", 2, "SSH port 0"),
        ("world-writable-dir", 1, "chmod"),
        ("group-writable-subdir", 1, "writable by its group"),
    ];
    for (name, code, says) in expect {
        let plant = CASES.iter().find(|(n, _)| n == name).unwrap().1;
        let dir = world.prepared(name, plant);
        sh(
            &format!("chown -hR 0:0 {}", dir.display()),
            &world.root,
            false,
        );
        let out = resume(&dir);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{name}: {err}");
        assert!(err.contains(says), "{name}: wanted `{says}` in {err}");
        assert!(err.contains("hint:"), "{name}: no hint in {err}");
        // Never a secret in what is printed.
        let secrets = std::fs::read_to_string(world.base.join("secrets.toml")).unwrap();
        for line in secrets.lines().filter(|l| l.contains("secret")) {
            let value = line.split('"').nth(1).unwrap_or_default();
            if value.len() >= 16 {
                assert!(
                    !err.contains(value) && !String::from_utf8_lossy(&out.stdout).contains(value)
                );
            }
        }
    }
    // The world-writable directory was refused, not "fixed" behind the operator's back.
    let mode = std::fs::metadata(world.root.join("world-writable-dir"))
        .unwrap()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o777);
    // Planted temporary names are removed (the links themselves), never followed.
    let dir = world.prepared(
        "planted",
        CASES
            .iter()
            .find(|(n, _)| *n == "planted-temp-names")
            .unwrap()
            .1,
    );
    sh(
        &format!("chown -hR 0:0 {}", dir.display()),
        &world.root,
        false,
    );
    let out = resume(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left = std::fs::read_dir(dir.join("livekit"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("selkie-tmp")
        })
        .count();
    assert_eq!(left, 0, "leftover temporary names are cleaned up");
    assert_eq!(
        std::fs::read_to_string(world.outside.join("victim.txt")).unwrap(),
        "root's file\n"
    );
}
