//! selkie as root against deployment directories an unprivileged user prepared: symbolic links at
//! every level, paths in state files that point outside, planted temporary names, loose
//! ownership and modes, tampered secrets and commit records. Whatever selkie does with each, it
//! writes nothing and changes no mode outside the deployment directory.
//!
//! Each case runs twice: as the user left it (owned by them: selkie refuses the directory), and
//! after `chown -hR root:` (as an operator who adopted it would have it: the links stay, and the
//! no-follow opens alone must hold).

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn selkie(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_selkie"))
        .args(args)
        .env_remove("SELKIE_DIR")
        .env_remove("SSH_CONNECTION")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn resume(dir: &Path) -> Output {
    selkie(&[
        "setup",
        "--resume",
        "--non-interactive",
        "--no-start",
        "--participants",
        "70",
        "--dir",
        dir.to_str().unwrap(),
    ])
}

fn sh(script: &str, cwd: &Path, as_nobody: bool) {
    let mut c = if as_nobody {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "bash",
            "-euc",
            script,
        ]);
        c
    } else {
        let mut c = Command::new("bash");
        c.args(["-euc", script]);
        c
    };
    let out = c.current_dir(cwd).output().unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Everything about a tree that a write or a chmod would change: per entry its type, mode,
/// owner, size, modification time, contents (files) or target (links).
fn state_of(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let extra = if m.file_type().is_symlink() {
            format!("-> {}", std::fs::read_link(&p).unwrap().display())
        } else if m.is_file() {
            format!("{:?}", std::fs::read(&p).unwrap())
        } else {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
            String::new()
        };
        out.insert(
            p.clone(),
            format!(
                "{:o} {}:{} {} {} {extra}",
                m.mode(),
                m.uid(),
                m.gid(),
                m.len(),
                m.mtime_nsec() + m.mtime() * 1_000_000_000
            ),
        );
    }
    out
}

/// The world of one test: `outside/` (root's files, what an attacker would like root to write
/// to or chmod), `base/` (a real deployment), and room for the cases.
struct World {
    _t: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    base: PathBuf,
}

impl World {
    fn new() -> World {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().to_path_buf();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let outside = root.join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("victim.txt"), "root's file\n").unwrap();
        std::fs::set_permissions(
            outside.join("victim.txt"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::create_dir(outside.join("dir")).unwrap();
        std::fs::write(outside.join("dir/keep"), "x").unwrap();
        let base = root.join("base");
        let out = selkie(&[
            "setup",
            "--non-interactive",
            "--no-start",
            "--domain",
            "meet.example.com",
            "--dir",
            base.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        World {
            _t: t,
            root,
            outside,
            base,
        }
    }

    /// A copy of the base deployment handed to the unprivileged user, who then runs `plant`.
    fn prepared(&self, name: &str, plant: &str) -> PathBuf {
        let dir = self.root.join(name);
        sh(
            &format!(
                "cp -a {} {d} && chown -R {NOBODY}:{NOBODY} {d}",
                self.base.display(),
                d = dir.display()
            ),
            &self.root,
            false,
        );
        let script = plant.replace("OUT", self.outside.to_str().unwrap());
        sh(&script, &dir, true);
        dir
    }
}

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
    if !is_root() {
        eprintln!("state_attacks: needs root (an unprivileged user prepares the directories); run `sudo cargo test --test state_attacks`");
        return;
    }
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
    if !is_root() {
        eprintln!("state_attacks: needs root");
        return;
    }
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

#[test]
fn links_above_the_deployment_and_foreign_owners_are_refused() {
    if !is_root() {
        eprintln!("state_attacks: needs root");
        return;
    }
    let world = World::new();
    let before = state_of(&world.outside);
    let evil = world.root.join("evil");
    std::fs::create_dir(&evil).unwrap();
    sh(
        &format!("chown {NOBODY}:{NOBODY} {}", evil.display()),
        &world.root,
        false,
    );
    // The deployment directory itself a link the user made, to a directory of root's.
    sh(
        "ln -s OUT/dir deploy-link"
            .replace("OUT", world.outside.to_str().unwrap())
            .as_str(),
        &evil,
        true,
    );
    // A parent that is a link the user made.
    sh(
        "ln -s OUT parent-link"
            .replace("OUT", world.outside.to_str().unwrap())
            .as_str(),
        &evil,
        true,
    );
    // A root-owned deployment inside a directory the user owns (they could swap it).
    sh(
        &format!("cp -a {} {}/inside", world.base.display(), evil.display()),
        &world.root,
        false,
    );
    let fresh = |dir: &str| {
        selkie(&[
            "setup",
            "--non-interactive",
            "--no-start",
            "--domain",
            "meet.example.com",
            "--dir",
            dir,
        ])
    };
    for dir in [
        evil.join("deploy-link"),
        evil.join("parent-link/dir"),
        evil.join("parent-link/new"),
        evil.join("new-deployment"),
    ] {
        let out = fresh(dir.to_str().unwrap());
        assert!(!out.status.success(), "{} was used", dir.display());
        assert!(String::from_utf8_lossy(&out.stderr).contains("hint:"));
    }
    let out = resume(&evil.join("inside"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("owned by uid 65534"));
    assert_eq!(state_of(&world.outside), before);
    assert!(!evil.join("new-deployment").exists());

    // secrets.toml owned by the user in a root-owned deployment: the user could choose root's
    // LiveKit secret, so it is refused.
    let dir = world.root.join("foreign-secrets");
    sh(
        &format!(
            "cp -a {} {d} && chown {NOBODY} {d}/secrets.toml",
            world.base.display(),
            d = dir.display()
        ),
        &world.root,
        false,
    );
    let out = resume(&dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("owned by uid 65534"));

    // A hard link to root's file where keys.yaml belongs: chmod 0600 would reach root's file.
    let dir = world.root.join("hardlink");
    sh(
        &format!(
            "cp -a {} {d} && rm {d}/livekit/keys.yaml && ln {}/victim.txt {d}/livekit/keys.yaml",
            world.base.display(),
            world.outside.display(),
            d = dir.display()
        ),
        &world.root,
        false,
    );
    let before_link = std::fs::metadata(world.outside.join("victim.txt"))
        .unwrap()
        .mode();
    let out = resume(&dir);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("hard links"));
    assert_eq!(
        std::fs::metadata(world.outside.join("victim.txt"))
            .unwrap()
            .mode(),
        before_link
    );

    // Another run holding the lock: refused before anything is read, nothing changes.
    let dir = world.root.join("locked");
    sh(
        &format!("cp -a {} {}", world.base.display(), dir.display()),
        &world.root,
        false,
    );
    let held = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join(".selkie.lock"))
        .unwrap();
    held.try_lock().unwrap();
    let snapshot = state_of(&dir);
    let out = resume(&dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another selkie run"));
    assert_eq!(state_of(&dir), snapshot);
    drop(held);
}

#[test]
fn state_mistakes_stop_with_what_to_do() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("d");
    let d = dir.to_str().unwrap();
    let out = selkie(&[
        "setup",
        "--non-interactive",
        "--no-start",
        "--domain",
        "meet.example.com",
        "--dir",
        d,
    ]);
    assert!(out.status.success());
    // Backups are 0700 all the way down.
    let out = resume(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut stack = vec![dir.join("backups")];
    let mut folders = 0;
    while let Some(p) = stack.pop() {
        assert_eq!(
            std::fs::metadata(&p).unwrap().mode() & 0o777,
            0o700,
            "{}",
            p.display()
        );
        folders += 1;
        for e in std::fs::read_dir(&p).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    assert!(folders >= 3, "backups/, a dated folder and its subfolders");

    // A deleted secrets.toml is not silently replaced.
    let keys = std::fs::read(dir.join("livekit/keys.yaml")).unwrap();
    std::fs::remove_file(dir.join("secrets.toml")).unwrap();
    let out = resume(&dir);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no secrets.toml") && err.contains("--new-secrets"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.join("livekit/keys.yaml")).unwrap(), keys);
    assert!(!dir.join("secrets.toml").exists());
    let out = selkie(&[
        "setup",
        "--resume",
        "--non-interactive",
        "--no-start",
        "--new-secrets",
        "--dir",
        d,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(std::fs::read(dir.join("livekit/keys.yaml")).unwrap(), keys);

    // `down --dir` with a typo creates nothing.
    let typo = t.path().join("typo");
    let out = selkie(&["down", "--dir", typo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hint:"));
    assert!(!typo.exists());

    // The status log is never written through a link.
    let outside = t.path().join("outside.txt");
    std::fs::write(&outside, "keep").unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("logs/status.log")).unwrap();
    assert!(selkie::state::append_line(&dir.join("logs/status.log"), "x").is_err());
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
}
