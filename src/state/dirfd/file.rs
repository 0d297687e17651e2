//! Files in an open directory: read, staged, appended to and re-moded only through their own
//! descriptors, and only when they are regular files with one name and a trusted owner.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

use super::sys::{cstr, cvt, euid, fstat, is_file, is_link, lstat_at, open_at, trusted_owner};
use super::{io_err, tmp_name, Dir};
use crate::error::{Error, Result};
use crate::state::error::StateError;

/// The largest file selkie reads: state files are small, and a huge one is refused rather than
/// read into memory.
const READ_LIMIT: u64 = 64 << 20;

impl Dir {
    /// A regular file's metadata, or `None` when nothing is there. A link or anything that is not
    /// a regular file is refused.
    pub fn stat_file(&self, name: &str) -> Result<Option<libc::stat>> {
        let here = self.show(name);
        let c = cstr(OsStr::new(name)).map_err(|e| Error::io("cannot read", &here, e))?;
        let Some(st) = lstat_at(self.raw(), &c).map_err(|e| Error::io("cannot read", &here, e))?
        else {
            return Ok(None);
        };
        if is_link(&st) {
            return Err(io_err(
                "cannot read",
                &here,
                io::Error::from_raw_os_error(libc::ELOOP),
            ));
        }
        if !is_file(&st) {
            return Err(StateError::NotAFile { path: here }.into());
        }
        Ok(Some(st))
    }

    /// Open an existing regular file for reading: no link, owned by root or this user, one name
    /// only (a hard link could make a chmod reach a file elsewhere). `None` when absent.
    pub fn open_file(&self, name: &str) -> Result<Option<File>> {
        let here = self.show(name);
        let c = cstr(OsStr::new(name)).map_err(|e| Error::io("cannot read", &here, e))?;
        let fd = match open_at(self.raw(), &c, libc::O_RDONLY | libc::O_NONBLOCK, 0) {
            Ok(fd) => fd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("cannot read", &here, e)),
        };
        let st = fstat(fd.as_raw_fd()).map_err(|e| Error::io("cannot read", &here, e))?;
        if !is_file(&st) {
            return Err(StateError::NotAFile { path: here }.into());
        }
        if !trusted_owner(st.st_uid) {
            return Err(StateError::ForeignFile {
                path: here,
                owner: st.st_uid,
                uid: euid(),
            }
            .into());
        }
        if st.st_nlink > 1 {
            return Err(StateError::HardLinked { path: here }.into());
        }
        Ok(Some(File::from(fd)))
    }

    /// A file's bytes, or `None` when it does not exist. At most 64 MiB are read.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let Some(file) = self.open_file(name)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.take(READ_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("cannot read", self.show(name), e))?;
        if bytes.len() as u64 > READ_LIMIT {
            return Err(StateError::TooLarge {
                path: self.show(name),
            }
            .into());
        }
        Ok(Some(bytes))
    }

    /// Set a file's mode (through a descriptor of the file itself, never through a path).
    pub fn chmod(&self, name: &str, mode: u32) -> Result<()> {
        let Some(file) = self.open_file(name)? else {
            return Ok(());
        };
        // SAFETY: fchmod on a descriptor this function owns.
        cvt(unsafe { libc::fchmod(file.as_raw_fd(), mode as libc::mode_t) })
            .map_err(|e| Error::io("cannot set permissions of", self.show(name), e))?;
        Ok(())
    }

    /// Create a new file under an unpredictable name, exclusively (an existing name or a link is
    /// never reused), write `bytes` with exactly `mode`, and fsync it. Returns the name.
    pub fn stage(&self, bytes: &[u8], mode: u32) -> Result<String> {
        let name = tmp_name()?;
        let here = self.show(&name);
        let c = cstr(OsStr::new(&name)).map_err(|e| Error::io("cannot write", &here, e))?;
        let fd = open_at(
            self.raw(),
            &c,
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
            mode & 0o700,
        )
        .map_err(|e| io_err("cannot write", &here, e))?;
        let mut file = File::from(fd);
        let result = (|| {
            // The umask may have removed bits from `mode`; set it exactly (secrets stay 0600).
            // SAFETY: fchmod on a descriptor this function owns.
            cvt(unsafe { libc::fchmod(file.as_raw_fd(), mode as libc::mode_t) })?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        match result {
            Ok(()) => Ok(name),
            Err(e) => {
                let _ = self.unlink(&name);
                Err(Error::io("cannot write", self.show(&name), e))
            }
        }
    }

    /// Open (creating if needed) a file for appending, never through a link.
    pub fn append(&self, name: &str, mode: u32) -> Result<File> {
        let here = self.show(name);
        let c = cstr(OsStr::new(name)).map_err(|e| Error::io("cannot write", &here, e))?;
        let fd = open_at(
            self.raw(),
            &c,
            libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_NONBLOCK,
            mode,
        )
        .map_err(|e| io_err("cannot write", &here, e))?;
        let st = fstat(fd.as_raw_fd()).map_err(|e| Error::io("cannot read", &here, e))?;
        if !is_file(&st) || !trusted_owner(st.st_uid) || st.st_nlink > 1 {
            return Err(StateError::NotOurs { path: here }.into());
        }
        Ok(File::from(fd))
    }

    /// A raw descriptor for locking.
    pub fn lock_file(&self, name: &str) -> Result<File> {
        let file = self.append(name, 0o600)?;
        Ok(file)
    }
}
