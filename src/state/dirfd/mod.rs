//! The deployment directory as an open directory handle: every file is reached from it with
//! `openat`-style calls that never follow a symbolic link, so nothing selkie writes (as root) can
//! be redirected outside the directory. The directory itself is reached by a walk from `/` that
//! checks who could have changed each step on the way (`walk`); files are read and written
//! through their own descriptors (`file`), names renamed, removed and listed (`names`), all over
//! a few raw system calls (`sys`).

mod file;
mod names;
mod sys;
mod walk;

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use sys::{cstr, cvt, euid, fstat, is_link, lstat_at, mkdir_at, open_at, trusted_owner};

use super::error::{Looseness, Place, StateError};
use crate::error::{Error, Result};

/// Prefix of every temporary name selkie creates: staged files and unfinished backups.
pub const TMP_PREFIX: &str = ".selkie-tmp-";

/// Why a directory on the way to (or inside) the deployment cannot be trusted, if it cannot.
fn untrusted_dir(st: &libc::stat, sticky_ok: bool) -> Option<Looseness> {
    if !trusted_owner(st.st_uid) {
        return Some(Looseness::Owner(st.st_uid));
    }
    let writable = st.st_mode & 0o022 != 0;
    let sticky = st.st_mode & libc::S_ISVTX != 0;
    if writable && !(sticky_ok && sticky) {
        return Some(Looseness::Writable {
            everyone: st.st_mode & 0o002 != 0,
            mode: st.st_mode & 0o7777,
        });
    }
    None
}

/// The refusal of a directory (or link) another user could change.
fn untrusted(path: PathBuf, why: Looseness, place: Place) -> Error {
    StateError::Untrusted {
        path,
        why,
        place,
        uid: euid(),
    }
    .into()
}

/// A failed call on `path`; a link where none is followed (`ELOOP`) is said as such.
fn io_err(action: &'static str, path: &Path, e: io::Error) -> Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return StateError::SymlinkRefused {
            path: path.to_path_buf(),
        }
        .into();
    }
    Error::io(action, path, e)
}

/// A directory opened once and trusted: owned by root or this user, not writable by others.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

/// What to do when the directory does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Create it (and the directories leading to it) with this mode.
    Create(u32),
    /// Report that it does not exist.
    Fail,
}

/// What a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    File,
    Dir,
    /// A link, a socket, a device: never followed, never written through.
    Other,
}

impl Dir {
    /// The path this directory was opened at, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn show(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// A subdirectory, which must be a real directory owned by root or this user and not
    /// writable by others; `None` when it does not exist and `missing` is `Fail`.
    pub fn sub(&self, name: &str, missing: Missing) -> Result<Option<Dir>> {
        let here = self.show(name);
        let c = cstr(OsStr::new(name)).map_err(|e| Error::io("cannot open", &here, e))?;
        let st = lstat_at(self.raw(), &c).map_err(|e| Error::io("cannot read", &here, e))?;
        match (st, missing) {
            (None, Missing::Fail) => return Ok(None),
            (None, Missing::Create(mode)) => {
                mkdir_at(self.raw(), &c, mode).map_err(|e| Error::io("cannot create", &here, e))?;
            }
            (Some(st), _) if is_link(&st) => {
                return Err(io_err(
                    "cannot open",
                    &here,
                    io::Error::from_raw_os_error(libc::ELOOP),
                ))
            }
            (Some(_), _) => {}
        }
        let fd = open_at(self.raw(), &c, libc::O_DIRECTORY | libc::O_RDONLY, 0)
            .map_err(|e| io_err("cannot open", &here, e))?;
        let st = fstat(fd.as_raw_fd()).map_err(|e| Error::io("cannot read", &here, e))?;
        if let Some(why) = untrusted_dir(&st, false) {
            return Err(untrusted(here, why, Place::Inside));
        }
        Ok(Some(Dir { fd, path: here }))
    }

    /// Open a directory below this one along `rel` (`a/b`), creating missing ones.
    pub fn descend(&self, rel: &str, missing: Missing) -> Result<Option<Dir>> {
        let mut parts = rel.split('/').filter(|p| !p.is_empty());
        let Some(first) = parts.next() else {
            return self.try_clone().map(Some);
        };
        let Some(mut dir) = self.sub(first, missing)? else {
            return Ok(None);
        };
        for part in parts {
            match dir.sub(part, missing)? {
                Some(d) => dir = d,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }

    fn try_clone(&self) -> Result<Dir> {
        Ok(Dir {
            fd: self
                .fd
                .try_clone()
                .map_err(|e| Error::io("cannot open", &self.path, e))?,
            path: self.path.clone(),
        })
    }

    /// Set this directory's own mode (through its descriptor).
    pub fn chmod_self(&self, mode: u32) -> Result<()> {
        // SAFETY: fchmod on an owned descriptor.
        cvt(unsafe { libc::fchmod(self.raw(), mode as libc::mode_t) })
            .map(|_| ())
            .map_err(|e| Error::io("cannot set permissions of", &self.path, e))
    }

    /// Identity of the directory (device, inode), to recognise it however it was reached.
    pub fn id(&self) -> Result<(u64, u64)> {
        let st = fstat(self.raw()).map_err(|e| Error::io("cannot read", &self.path, e))?;
        Ok((st.st_dev, st.st_ino))
    }

    /// Flush the directory's entries (renames, removals) to disk.
    pub fn sync(&self) -> Result<()> {
        // SAFETY: fsync on an owned descriptor.
        cvt(unsafe { libc::fsync(self.raw()) })
            .map(|_| ())
            .map_err(|e| Error::io("cannot sync", &self.path, e))
    }

    /// Whether `name` exists at all (a file, a link, a directory).
    pub fn exists(&self, name: &str) -> Result<bool> {
        let c = cstr(OsStr::new(name)).map_err(|e| Error::io("cannot read", self.show(name), e))?;
        Ok(lstat_at(self.raw(), &c)
            .map_err(|e| Error::io("cannot read", self.show(name), e))?
            .is_some())
    }
}

/// `.selkie-tmp-` and 32 hex digits from the OS random source: nobody can plant a file or link
/// under a name they cannot guess, and creation is exclusive anyway.
fn tmp_name() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(StateError::RandomSource)?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{TMP_PREFIX}{hex}"))
}

/// Whether a name is one of selkie's temporary files (this version's, or the PID-named ones
/// older versions left beside their targets).
pub fn is_tmp_name(name: &str) -> bool {
    name.starts_with(TMP_PREFIX) || (name.starts_with('.') && name.contains(".selkie-tmp-"))
}

#[cfg(test)]
mod tests;
