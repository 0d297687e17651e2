//! The deployment directory: `selkie.toml` (answers), `secrets.toml` (0600), `manifest.toml`
//! (hashes of written files), commits as transactions, timestamped backups, and hand-edit
//! detection. Every file is reached through the directory's handle without following links
//! (`dirfd`), every path a state file names is checked (`paths`), and the lock is taken before
//! anything is read (`lock`). The state files' formats are in `state_files`; a write classifies
//! every file first (`classify`, pure) and then commits (`write`, `txn`). What can be refused is
//! a `StateError` (`error`).

mod classify;
mod dirfd;
mod error;
mod files;
mod lock;
mod paths;
mod state_files;
mod txn;
mod write;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::render::RenderedFile;
use crate::secrets::Secrets;

use dirfd::{Dir, Missing};
use state_files::{parse_manifest, Manifest, ANSWERS_FILE, MANIFEST_FILE, SECRETS_FILE};

pub use classify::{FileAction, Report};
pub use error::{Looseness, Place, StateError};
pub use files::{append_line, read_nofollow, write_atomic};
pub use lock::{lock, lock_existing, no_deployment, Lock};
pub use state_files::{check_manifest, parse_answers, parse_secrets};

/// The state format written by this version.
pub const VERSION: u32 = 1;

/// The deployment directory: `--dir`, else `SELKIE_DIR`, else `/opt/selkie` as root and
/// `~/.local/share/selkie` otherwise. (`SELKIE_DIR` reaches here through the `--dir` flag.)
pub fn default_dir() -> PathBuf {
    let root = fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    if root {
        return PathBuf::from("/opt/selkie");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/selkie"),
        None => PathBuf::from("selkie"),
    }
}

/// A deployment directory on disk.
#[derive(Debug, Clone)]
pub struct Deployment {
    dir: PathBuf,
}

/// Take the lock when the directory exists (everything read afterwards is under it); a
/// directory that does not exist yet holds nothing to read, and is created and locked by the
/// commit.
pub fn lock_if_exists(dir: &Path) -> Result<Option<Lock>> {
    match Dir::open(dir, Missing::Fail)? {
        Some(root) => lock::take(&root).map(Some),
        None => Ok(None),
    }
}

impl Deployment {
    /// The deployment at `dir` (which may not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Deployment { dir: dir.into() }
    }

    /// The directory, opened safely, with a killed run's commit finished when no other run
    /// holds the lock; `None` when it does not exist.
    fn root(&self) -> Result<Option<Dir>> {
        let Some(root) = Dir::open(&self.dir, Missing::Fail)? else {
            return Ok(None);
        };
        lock::try_take(&root)?;
        Ok(Some(root))
    }

    /// A state file's text; `None` when absent. Not UTF-8 is a state error with a hint.
    fn read_text(root: &Dir, name: &str) -> Result<Option<String>> {
        let Some(bytes) = root.read(name)? else {
            return Ok(None);
        };
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::State {
                path: root.path().join(name),
                message: "it is not UTF-8 text".into(),
            })
    }

    /// The bytes of a rendered file; `None` when it (or its folder) does not exist.
    fn read_rendered(root: &Dir, rel: &str, now: &[&str]) -> Result<Option<Vec<u8>>> {
        let (dir, name) = paths::recorded(rel, now)?;
        match root.descend(dir, Missing::Fail)? {
            Some(parent) => parent.read(name),
            None => Ok(None),
        }
    }

    /// The saved answers, if any.
    pub fn load_answers(&self) -> Result<Option<Answers>> {
        let Some(root) = self.root()? else {
            return Ok(None);
        };
        let path = root.path().join(ANSWERS_FILE);
        let Some(text) = Self::read_text(&root, ANSWERS_FILE)? else {
            return Ok(None);
        };
        parse_answers(&text)
            .map(Some)
            .map_err(|message| Error::State { path, message })
    }

    /// The saved secrets, if any, each checked; tightens a file that has become readable by
    /// others (through the file's own descriptor).
    pub fn load_secrets(&self) -> Result<Option<Secrets>> {
        let Some(root) = self.root()? else {
            return Ok(None);
        };
        let path = root.path().join(SECRETS_FILE);
        let Some(text) = Self::read_text(&root, SECRETS_FILE)? else {
            return Ok(None);
        };
        tighten(&root, SECRETS_FILE)?;
        parse_secrets(&text)
            .map(Some)
            .map_err(|message| Error::State { path, message })
    }

    /// Whether the deployment has saved answers but its `secrets.toml` is gone: new secrets
    /// would silently change every client's API key, so setup stops and says so.
    pub fn secrets_missing(&self) -> Result<bool> {
        let Some(root) = self.root()? else {
            return Ok(false);
        };
        Ok(root.stat_file(ANSWERS_FILE)?.is_some() && root.stat_file(SECRETS_FILE)?.is_none())
    }

    fn load_manifest(&self, root: &Dir) -> Result<Manifest> {
        let path = root.path().join(MANIFEST_FILE);
        match Self::read_text(root, MANIFEST_FILE)? {
            None => Ok(Manifest::empty()),
            Some(text) => parse_manifest(&text).map_err(|message| Error::State { path, message }),
        }
    }

    /// What the directory holds now for each of `files`, read as the write reads them (no
    /// symbolic link followed), and whether the write would keep it as a hand edit the plan
    /// leaves alone. Reads only: the review's diffs come from it.
    pub fn current(&self, files: &[RenderedFile]) -> Result<Vec<Current>> {
        let Some(root) = self.root()? else {
            return Ok(files.iter().map(|_| Current::default()).collect());
        };
        let manifest = self.load_manifest(&root)?;
        let contents = write::contents(&root, files)?;
        let on_disk = write::hashes(files, &contents);
        let actions = classify::classify(files, &on_disk, &manifest, true).actions;
        Ok(contents
            .into_iter()
            .zip(actions)
            .map(|(bytes, (_, action, _))| Current {
                bytes,
                kept_edit: action == FileAction::KeptEdit,
            })
            .collect())
    }

    /// The files `write` would refuse to replace without `force`: edited by hand (or not written
    /// by selkie) and changed by the plan. Reads only; the wizard asks about each one.
    pub fn hand_edited(&self, files: &[RenderedFile]) -> Result<Vec<String>> {
        let Some(root) = self.root()? else {
            return Ok(Vec::new());
        };
        let manifest = self.load_manifest(&root)?;
        let on_disk = write::on_disk(&root, files, &manifest, false)?;
        Ok(classify::classify(files, &on_disk, &manifest, false).conflicts)
    }
}

/// One of the plan's files as the deployment directory holds it now.
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// Its bytes; `None` when it does not exist.
    pub bytes: Option<Vec<u8>>,
    /// Edited by hand, and the plan's version is what selkie wrote last: the write keeps it.
    pub kept_edit: bool,
}

/// Make a secret file 0600 again if something loosened it.
fn tighten(dir: &Dir, name: &str) -> Result<()> {
    if let Some(st) = dir.stat_file(name)? {
        if st.st_mode & 0o077 != 0 {
            dir.chmod(name, 0o600)?;
        }
    }
    Ok(())
}
