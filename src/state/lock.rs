//! The deployment's lock file: one selkie run per directory, taken before anything is read and
//! released by the kernel however the run ends. Taking it completes (or rolls back) a commit a
//! killed run left unfinished, so everything read afterwards is whole.

use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use super::dirfd::{Dir, Missing};
use super::error::StateError;
use super::txn;
use crate::error::{Error, Result};

const LOCK_FILE: &str = ".selkie.lock";

/// Holds the deployment's lock for as long as any clone of it lives; the kernel frees it when
/// the process ends, even when it is killed.
#[derive(Debug, Clone)]
pub struct Lock(#[allow(dead_code)] Arc<Held>);

#[derive(Debug)]
struct Held {
    id: (u64, u64),
    _file: fs::File,
}

/// Locks this process holds, by directory identity: a second `lock` of the same directory in
/// the same run shares the first (flock would otherwise refuse it as "another run").
static HELD: Mutex<Vec<Weak<Held>>> = Mutex::new(Vec::new());

/// Take the deployment's lock, creating the directory if needed, so two selkie runs never work
/// on one directory at once; then finish what a killed run left.
pub fn lock(dir: &Path) -> Result<Lock> {
    let root = Dir::open(dir, Missing::Create(0o755))?.ok_or_else(|| StateError::CannotCreate {
        what: dir.display().to_string(),
    })?;
    take(&root)
}

/// Take the lock of a deployment directory that must already exist (`down`, readers): a
/// mistyped `--dir` creates nothing.
pub fn lock_existing(dir: &Path) -> Result<Lock> {
    let root = Dir::open(dir, Missing::Fail)?.ok_or_else(|| no_deployment(dir))?;
    take(&root)
}

/// The error for a directory that is not there.
pub fn no_deployment(dir: &Path) -> Error {
    Error::invalid(
        format!("there is no deployment directory {}", dir.display()),
        "check the path, or point --dir (or SELKIE_DIR) at the directory `selkie setup` wrote",
    )
}

/// Whether this process already holds the lock of `root`.
pub(super) fn held(root: &Dir) -> Result<Option<Lock>> {
    let id = root.id()?;
    let held = HELD.lock().unwrap_or_else(|p| p.into_inner());
    Ok(held
        .iter()
        .filter_map(Weak::upgrade)
        .find(|h| h.id == id)
        .map(Lock))
}

pub(super) fn take(root: &Dir) -> Result<Lock> {
    if let Some(lock) = held(root)? {
        return Ok(lock);
    }
    let file = root.lock_file(LOCK_FILE)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(StateError::Locked {
                path: root.path().to_path_buf(),
            }
            .into())
        }
        Err(fs::TryLockError::Error(e)) => {
            return Err(Error::io("cannot lock", root.path().join(LOCK_FILE), e))
        }
    }
    let held = Arc::new(Held {
        id: root.id()?,
        _file: file,
    });
    {
        let mut all = HELD.lock().unwrap_or_else(|p| p.into_inner());
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(&held));
    }
    txn::recover(root)?;
    Ok(Lock(held))
}

/// For readers: take the lock when it is free (finishing a killed run's commit), and read
/// anyway when another run holds it — its files are replaced by rename, so each is whole.
pub(super) fn try_take(root: &Dir) -> Result<Option<Lock>> {
    match take(root) {
        Ok(l) => Ok(Some(l)),
        Err(Error::StateDir(StateError::Locked { .. })) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_go_on_while_another_run_holds_the_lock() {
        let t = tempfile::tempdir().unwrap();
        let root = Dir::open(t.path(), Missing::Fail).unwrap().unwrap();
        // Another run: its own open file description of the lock file, locked.
        let other = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(t.path().join(LOCK_FILE))
            .unwrap();
        other.try_lock().unwrap();
        let e = take(&root).unwrap_err();
        assert!(
            matches!(e, Error::StateDir(StateError::Locked { .. })),
            "{e:?}"
        );
        assert!(e
            .to_string()
            .starts_with("another selkie run is working on"));
        assert!(try_take(&root).unwrap().is_none());
        drop(other);
        assert!(try_take(&root).unwrap().is_some());
    }
}
