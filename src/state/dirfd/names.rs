//! Names in an open directory: renamed, removed and listed without following a link.

use std::ffi::{CStr, OsStr};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;

use super::sys::{cstr, cvt, is_dir, is_file, lstat_at};
use super::{tmp_name, Dir, Kind, Missing};
use crate::error::{Error, Result};
use crate::state::error::StateError;

impl Dir {
    /// Make a new directory under an unpredictable name, exclusively, with `mode`.
    pub fn stage_dir(&self, mode: u32) -> Result<String> {
        let name = tmp_name()?;
        let c =
            cstr(OsStr::new(&name)).map_err(|e| Error::io("cannot create", self.show(&name), e))?;
        // SAFETY: `c` is NUL-terminated.
        cvt(unsafe { libc::mkdirat(self.raw(), c.as_ptr(), mode) })
            .map_err(|e| Error::io("cannot create", self.show(&name), e))?;
        Ok(name)
    }

    /// Rename `from` to `to`, both in this directory, replacing `to` if it is a file.
    pub fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.rename_to(from, self, to)
    }

    /// Rename `from` in this directory to `to` in `other`.
    pub fn rename_to(&self, from: &str, other: &Dir, to: &str) -> Result<()> {
        let target = other.show(to);
        let f = cstr(OsStr::new(from)).map_err(|e| Error::io("cannot write", &target, e))?;
        let t = cstr(OsStr::new(to)).map_err(|e| Error::io("cannot write", &target, e))?;
        // A directory at the target means something is wrong: it is never replaced. (A link
        // there is replaced itself; renameat never follows it.)
        if let Some(st) =
            lstat_at(other.raw(), &t).map_err(|e| Error::io("cannot read", &target, e))?
        {
            if is_dir(&st) {
                return Err(StateError::DirectoryInTheWay { path: target }.into());
            }
        }
        // SAFETY: both names are NUL-terminated; renameat never follows links in the last
        // component of either name.
        cvt(unsafe { libc::renameat(self.raw(), f.as_ptr(), other.raw(), t.as_ptr()) })
            .map_err(|e| Error::io("cannot write", &target, e))?;
        Ok(())
    }

    /// Remove a name (a file or a link itself, never what a link points at); absent is fine.
    pub fn unlink(&self, name: &str) -> Result<()> {
        self.unlink_at(name, 0)
    }

    /// `unlinkat` with `flags`; a name already gone is fine.
    fn unlink_at(&self, name: &str, flags: libc::c_int) -> Result<()> {
        let c =
            cstr(OsStr::new(name)).map_err(|e| Error::io("cannot remove", self.show(name), e))?;
        // SAFETY: `c` is NUL-terminated.
        match cvt(unsafe { libc::unlinkat(self.raw(), c.as_ptr(), flags) }) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("cannot remove", self.show(name), e)),
        }
    }

    /// Remove a directory and everything in it, never following a link.
    pub fn remove_tree(&self, name: &str) -> Result<()> {
        let Some(sub) = (match self.sub(name, Missing::Fail) {
            Ok(s) => s,
            // Not a trusted directory: only the name goes (unlinkat on a link or file).
            Err(_) => return self.unlink(name),
        }) else {
            return Ok(());
        };
        for (entry, kind) in sub.list()? {
            if kind == Kind::Dir {
                sub.remove_tree(&entry)?;
            } else {
                sub.unlink(&entry)?;
            }
        }
        drop(sub);
        self.unlink_at(name, libc::AT_REMOVEDIR)
    }

    /// The names in this directory (without `.` and `..`) and what each is, never following links.
    pub fn list(&self) -> Result<Vec<(String, Kind)>> {
        let dup = self
            .fd
            .try_clone()
            .map_err(|e| Error::io("cannot read", &self.path, e))?;
        // SAFETY: fdopendir takes ownership of the duplicated descriptor; closedir frees both.
        let dirp = unsafe { libc::fdopendir(dup.as_raw_fd()) };
        if dirp.is_null() {
            return Err(Error::io(
                "cannot read",
                &self.path,
                io::Error::last_os_error(),
            ));
        }
        std::mem::forget(dup);
        // SAFETY: rewinddir on a valid stream (the duplicate shares the offset with other reads).
        unsafe { libc::rewinddir(dirp) };
        let mut out = Vec::new();
        loop {
            // SAFETY: readdir on a valid stream; the entry is copied before the next call.
            let entry = unsafe { libc::readdir(dirp) };
            if entry.is_null() {
                break;
            }
            // SAFETY: d_name is NUL-terminated within the entry.
            let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
            let name = OsStr::from_bytes(name.to_bytes());
            if name == "." || name == ".." {
                continue;
            }
            let Ok(c) = cstr(name) else { continue };
            let kind = match lstat_at(self.raw(), &c) {
                Ok(Some(st)) if is_dir(&st) => Kind::Dir,
                Ok(Some(st)) if is_file(&st) => Kind::File,
                Ok(Some(_)) => Kind::Other,
                _ => continue,
            };
            out.push((name.to_string_lossy().into_owned(), kind));
        }
        // SAFETY: closes the stream opened above.
        unsafe { libc::closedir(dirp) };
        out.sort();
        Ok(out)
    }
}
