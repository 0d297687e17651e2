//! A commit as a transaction: every new file is staged (fsynced, under an unpredictable name)
//! beside its target, every file about to be replaced is copied into a backup folder that appears
//! whole or not at all, the intent is recorded in `.selkie-txn.toml`, and only then are the staged
//! files renamed into place. The next run finds an intent that was not cleared and completes it
//! before anything else, or, without an intent, removes what was staged: a file is never left
//! half written, so it can never be mistaken for an operator's edit.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::dirfd::{is_tmp_name, Dir, Kind, Missing, TMP_PREFIX};
use super::error::StateError;
use super::paths;
use crate::digest::sha256;
use crate::error::{Error, Result};
use crate::utc::timestamp;

/// The intent of a commit in progress.
pub const JOURNAL: &str = ".selkie-txn.toml";
/// Where replaced files are copied.
pub const BACKUPS_DIR: &str = "backups";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Journal {
    version: u32,
    #[serde(default)]
    rename: Vec<Rename>,
    #[serde(default)]
    remove: Vec<Remove>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    /// Relative path of the target.
    path: String,
    /// The staged file's name in the target's directory.
    tmp: String,
    /// SHA-256 of the staged bytes.
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Remove {
    path: String,
    /// The content selkie wrote; a file that no longer holds it is left alone.
    sha256: String,
}

/// One file to write: relative path, bytes, mode.
pub struct Write {
    pub path: String,
    pub bytes: Vec<u8>,
    pub mode: u32,
}

/// `(directory, name)` of a path the journal may name: a rendered file or a state file.
fn split(rel: &str) -> Result<(&str, &str)> {
    if paths::STATE_FILES.contains(&rel) {
        return Ok(("", rel));
    }
    paths::rendered(rel)
}

fn open_parent(root: &Dir, dir: &str, missing: Missing) -> Result<Option<Dir>> {
    root.descend(dir, missing)
}

/// Stage, back up, record, rename. `removals` are `(path, sha256 selkie recorded)`.
/// Returns the backup folder, when anything was replaced or removed.
pub fn commit(
    root: &Dir,
    writes: &[Write],
    removals: &[(String, String)],
) -> Result<Option<std::path::PathBuf>> {
    // Stage: nothing visible changes yet.
    let mut staged: Vec<(Dir, String, String, String)> = Vec::new(); // (dir, tmp, name, rel)
    let mut journal = Journal {
        version: 1,
        ..Journal::default()
    };
    let result = (|| {
        for w in writes {
            let (dir, name) = split(&w.path)?;
            let parent = open_parent(root, dir, Missing::Create(0o755))?.ok_or_else(|| {
                StateError::CannotCreate {
                    what: dir.to_string(),
                }
            })?;
            let tmp = parent.stage(&w.bytes, w.mode)?;
            journal.rename.push(Rename {
                path: w.path.clone(),
                tmp: tmp.clone(),
                sha256: sha256(&w.bytes),
            });
            staged.push((parent, tmp, name.to_string(), w.path.clone()));
        }
        Ok(())
    })();
    let discard = |staged: &[(Dir, String, String, String)]| {
        for (dir, tmp, _, _) in staged {
            let _ = dir.unlink(tmp);
        }
    };
    if let Err(e) = result {
        discard(&staged);
        return Err(e);
    }
    // Back up everything about to be replaced or removed, whole or not at all.
    let mut replaced: Vec<&str> = Vec::new();
    for rel in writes
        .iter()
        .map(|w| w.path.as_str())
        .chain(removals.iter().map(|(p, _)| p.as_str()))
    {
        let (dir, name) = split(rel)?;
        if let Some(parent) = open_parent(root, dir, Missing::Fail)? {
            if parent.stat_file(name)?.is_some() {
                replaced.push(rel);
            }
        }
    }
    let backup = match backup(root, &replaced) {
        Ok(b) => b,
        Err(e) => {
            discard(&staged);
            return Err(e);
        }
    };
    for (rel, sha) in removals {
        journal.remove.push(Remove {
            path: rel.clone(),
            sha256: sha.clone(),
        });
    }
    // Record the intent: from here on the commit is decided, and a later run completes it.
    if let Err(e) = write_journal(root, &journal) {
        discard(&staged);
        return Err(e);
    }
    apply(root, &journal)?;
    root.unlink(JOURNAL)?;
    root.sync()?;
    Ok(backup)
}

fn write_journal(root: &Dir, journal: &Journal) -> Result<()> {
    let text = toml::to_string(journal).map_err(|source| StateError::Encode {
        what: "the commit record",
        source,
    })?;
    let tmp = root.stage(text.as_bytes(), 0o600)?;
    root.rename(&tmp, JOURNAL)?;
    root.sync()
}

/// Carry out a recorded intent; every step can be repeated, so a run killed halfway through
/// this is completed by the next one as well.
fn apply(root: &Dir, journal: &Journal) -> Result<()> {
    for r in &journal.rename {
        let (dir, name) = split(&r.path)?;
        if !r.tmp.starts_with(TMP_PREFIX)
            || r.tmp.contains('/')
            || r.tmp.len() != TMP_PREFIX.len() + 32
        {
            return Err(Error::invalid(
                format!("{JOURNAL} names `{}` as a staged file, which selkie never does", r.tmp.escape_debug()),
                format!("remove {JOURNAL} (and any .selkie-tmp-* files) from the deployment directory and run again"),
            ));
        }
        let Some(parent) = open_parent(root, dir, Missing::Fail)? else {
            continue;
        };
        match parent.read(&r.tmp)? {
            // Staged and fsynced before the intent was recorded, so it is whole unless someone
            // changed it; a file that does not hold what was staged is not put in place.
            Some(bytes) if sha256(&bytes) == r.sha256 => parent.rename(&r.tmp, name)?,
            Some(_) => parent.unlink(&r.tmp)?,
            // Already renamed.
            None => {}
        }
        parent.sync()?;
    }
    for r in &journal.remove {
        let (dir, name) = paths::recorded(&r.path, &[])?;
        let Some(parent) = open_parent(root, dir, Missing::Fail)? else {
            continue;
        };
        if let Some(bytes) = parent.read(name)? {
            if sha256(&bytes) == r.sha256 {
                parent.unlink(name)?;
                parent.sync()?;
            }
        }
    }
    Ok(())
}

/// Before anything else in a run, under the lock: complete a commit whose intent was recorded,
/// then remove every temporary file and unfinished backup a killed run left. Returns whether an
/// unfinished commit was completed.
pub fn recover(root: &Dir) -> Result<bool> {
    let mut completed = false;
    if let Some(bytes) = root.read(JOURNAL)? {
        let text = String::from_utf8(bytes).map_err(|_| Error::State {
            path: root.path().join(JOURNAL),
            message: "it is not UTF-8 text".into(),
        })?;
        let journal: Journal = toml::from_str(&text).map_err(|e| Error::State {
            path: root.path().join(JOURNAL),
            message: e.message().to_string(),
        })?;
        apply(root, &journal)?;
        root.unlink(JOURNAL)?;
        root.sync()?;
        completed = true;
    }
    clean(root)?;
    Ok(completed)
}

/// Remove leftover temporary files (never following a link) in the directory and the folders
/// selkie writes to, and unfinished backup folders.
fn clean(root: &Dir) -> Result<()> {
    for (name, kind) in root.list()? {
        if is_tmp_name(&name) && kind != Kind::Dir {
            root.unlink(&name)?;
            continue;
        }
        if kind != Kind::Dir {
            continue;
        }
        // A folder selkie does not trust is left alone here; writing into it is refused.
        let Ok(Some(sub)) = root.sub(&name, Missing::Fail) else {
            continue;
        };
        for (entry, kind) in sub.list()? {
            if !is_tmp_name(&entry) {
                continue;
            }
            if kind == Kind::Dir && name == BACKUPS_DIR {
                sub.remove_tree(&entry)?;
            } else if kind != Kind::Dir {
                sub.unlink(&entry)?;
            }
        }
    }
    Ok(())
}

/// Copy `paths` into `backups/<timestamp>/`, all or nothing: the copy is built under a
/// temporary name (0700 throughout) and renamed when complete.
fn backup(root: &Dir, paths: &[&str]) -> Result<Option<std::path::PathBuf>> {
    if paths.is_empty() {
        return Ok(None);
    }
    // backups/ is 0700: it holds copies of secret files.
    let backups = root
        .sub(BACKUPS_DIR, Missing::Create(0o700))?
        .ok_or_else(|| StateError::CannotCreate {
            what: "backups/".into(),
        })?;
    backups.chmod_self(0o700)?;
    let partial = backups.stage_dir(0o700)?;
    let result = (|| {
        let folder =
            backups
                .sub(&partial, Missing::Fail)?
                .ok_or_else(|| StateError::CannotCreate {
                    what: "a backup folder".into(),
                })?;
        for rel in paths {
            let (dir, name) = split(rel)?;
            let Some(source_dir) = open_parent(root, dir, Missing::Fail)? else {
                continue;
            };
            let Some(bytes) = source_dir.read(name)? else {
                continue;
            };
            let mode = source_dir
                .stat_file(name)?
                .map(|st| st.st_mode & 0o777)
                .unwrap_or(0o600);
            let target = folder
                .descend(dir, Missing::Create(0o700))?
                .ok_or_else(|| StateError::CannotCreate {
                    what: format!("backups/{dir}"),
                })?;
            let tmp = target.stage(&bytes, mode)?;
            target.rename(&tmp, name)?;
            target.sync()?;
        }
        folder.sync()?;
        let base = timestamp(SystemTime::now());
        let mut name = base.clone();
        let mut n = 1;
        while backups.exists(&name)? {
            n += 1;
            name = format!("{base}-{n}");
        }
        backups.rename(&partial, &name)?;
        backups.sync()?;
        Ok(backups.path().join(name))
    })();
    match result {
        Ok(path) => Ok(Some(path)),
        Err(e) => {
            let _ = backups.remove_tree(&partial);
            Err(e)
        }
    }
}
