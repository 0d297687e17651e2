//! Links above the deployment, foreign owners, hard links and a held lock, refused; and everyday
//! state mistakes that stop with what to do.

use std::os::unix::fs::MetadataExt;

use super::run::{fresh_args, fresh_setup};
use super::{require_root, resume, selkie, sh, state_of, World, NOBODY};

#[test]
fn links_above_the_deployment_and_foreign_owners_are_refused() {
    require_root();
    let world = World::new();
    links_and_a_directory_the_user_owns(&world);
    foreign_secrets_a_hard_link_and_a_held_lock(&world);
}

/// Links the user made above the deployment, and a deployment inside a directory the user owns:
/// refused, and nothing outside changes.
fn links_and_a_directory_the_user_owns(world: &World) {
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
    world.copy("evil/inside", "");
    for dir in [
        evil.join("deploy-link"),
        evil.join("parent-link/dir"),
        evil.join("parent-link/new"),
        evil.join("new-deployment"),
    ] {
        let out = selkie(&fresh_args(dir.to_str().unwrap()));
        assert!(!out.status.success(), "{} was used", dir.display());
        assert!(String::from_utf8_lossy(&out.stderr).contains("hint:"));
    }
    let out = resume(&evil.join("inside"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("owned by uid 65534"));
    assert_eq!(state_of(&world.outside), before);
    assert!(!evil.join("new-deployment").exists());
}

/// A secrets.toml the user owns, a hard link to a file of root's, another run's lock: each refused.
fn foreign_secrets_a_hard_link_and_a_held_lock(world: &World) {
    // secrets.toml owned by the user in a root-owned deployment: the user could choose root's
    // LiveKit secret, so it is refused.
    let dir = world.copy(
        "foreign-secrets",
        &format!("chown {NOBODY} $d/secrets.toml"),
    );
    let out = resume(&dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("owned by uid 65534"));

    // A hard link to root's file where keys.yaml belongs: chmod 0600 would reach root's file.
    let dir = world.copy(
        "hardlink",
        &format!(
            "rm $d/livekit/keys.yaml && ln {}/victim.txt $d/livekit/keys.yaml",
            world.outside.display()
        ),
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
    let dir = world.copy("locked", "");
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
    fresh_setup(&dir);
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
}
