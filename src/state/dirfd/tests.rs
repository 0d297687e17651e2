//! The directory handle against links, loose modes and guessable names.

use super::*;
use std::os::unix::fs::{symlink, PermissionsExt};

#[test]
fn links_are_never_followed_inside() {
    let t = tempfile::tempdir().unwrap();
    let outside = t.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let dep = t.path().join("dep");
    std::fs::create_dir(&dep).unwrap();
    symlink(&outside, dep.join("sub")).unwrap();
    symlink(outside.join("f"), dep.join("f")).unwrap();
    let dir = Dir::open(&dep, Missing::Fail).unwrap().unwrap();
    assert!(dir.sub("sub", Missing::Create(0o755)).is_err());
    assert!(dir.read("f").is_err());
    assert!(dir.chmod("f", 0o600).is_err());
    let staged = dir.stage(b"x", 0o600).unwrap();
    dir.rename(&staged, "f").unwrap();
    assert!(
        !outside.join("f").exists(),
        "the link was replaced, not followed"
    );
    assert_eq!(std::fs::read(dep.join("f")).unwrap(), b"x");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[test]
fn loose_directories_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let dep = t.path().join("dep");
    std::fs::create_dir(&dep).unwrap();
    std::fs::set_permissions(&dep, std::fs::Permissions::from_mode(0o777)).unwrap();
    let e = Dir::open(&dep, Missing::Fail).unwrap_err();
    assert!(e.hint().unwrap().contains("chmod"), "{e}");
    std::fs::set_permissions(&dep, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(Dir::open(&dep, Missing::Fail).unwrap().is_some());
    assert!(Dir::open(&t.path().join("none"), Missing::Fail)
        .unwrap()
        .is_none());
    assert!(!t.path().join("none").exists());
}

#[test]
fn temporary_names_are_unpredictable_and_recognised() {
    let a = tmp_name().unwrap();
    assert_ne!(a, tmp_name().unwrap());
    assert!(is_tmp_name(&a));
    assert!(is_tmp_name(".livekit.yaml.selkie-tmp-123"));
    assert!(!is_tmp_name("livekit.yaml"));
}
