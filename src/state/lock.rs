//! The deployment's lock file: one selkie run per directory, released by the kernel however the
//! run ends.

use std::fs::{self, OpenOptions};
use std::path::Path;

use crate::error::{Error, Result};

/// Holds the deployment's lock file for as long as it lives; the kernel frees it when the process
/// ends, even when it is killed.
#[derive(Debug)]
pub struct Lock(#[allow(dead_code)] fs::File);

/// Take the deployment's lock, so two selkie runs never work on one directory at once.
pub fn lock(dir: &Path) -> Result<Lock> {
    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    let path = dir.join(".selkie.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("cannot open", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(Lock(file)),
        Err(fs::TryLockError::WouldBlock) => Err(Error::Other {
            message: format!("another selkie run is working on {}", dir.display()),
            hint: Some(
                "wait for it to finish and run again (the lock is freed when that run ends)".into(),
            ),
        }),
        Err(fs::TryLockError::Error(e)) => Err(Error::io("cannot lock", &path, e)),
    }
}
