//! selkie as root against deployment directories an unprivileged user prepared: symbolic links at
//! every level, paths in state files that point outside, planted temporary names, loose
//! ownership and modes, tampered secrets and commit records. Whatever selkie does with each, it
//! writes nothing and changes no mode outside the deployment directory.
//!
//! Each case runs twice: as the user left it (owned by them: selkie refuses the directory), and
//! after `chown -hR root:` (as an operator who adopted it would have it: the links stay, and the
//! no-follow opens alone must hold).

#[path = "state_attacks/planted.rs"]
mod planted;
#[path = "state_attacks/refusals.rs"]
mod refusals;
#[path = "common/run.rs"]
mod run;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use run::selkie;

const NOBODY: u32 = 65534;

/// These tests prepare directories as an unprivileged user and run selkie as root: without
/// root they fail (never skip) and say how to run them.
fn require_root() {
    let root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    assert!(
        root,
        "state_attacks needs root (an unprivileged user prepares the directories, selkie runs \
         as root): run `sudo -E cargo test --test state_attacks`"
    );
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
        run::fresh_setup(&base);
        World {
            _t: t,
            root,
            outside,
            base,
        }
    }

    /// A copy of the base deployment at `name` (a path under the world's root), made by root, who
    /// then runs `then` (none if empty) with the copy's path in `$d`.
    fn copy(&self, name: &str, then: &str) -> PathBuf {
        let dir = self.root.join(name);
        let mut script = format!("d={}; cp -a {} $d", dir.display(), self.base.display());
        if !then.is_empty() {
            script = format!("{script} && {then}");
        }
        sh(&script, &self.root, false);
        dir
    }

    /// A copy of the base deployment handed to the unprivileged user, who then runs `plant`.
    fn prepared(&self, name: &str, plant: &str) -> PathBuf {
        let dir = self.copy(name, &format!("chown -R {NOBODY}:{NOBODY} $d"));
        let script = plant.replace("OUT", self.outside.to_str().unwrap());
        sh(&script, &dir, true);
        dir
    }
}
