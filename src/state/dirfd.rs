//! The deployment directory as an open directory handle: every file is reached from it with
//! `openat`-style calls that never follow a symbolic link, so nothing selkie writes (as root) can
//! be redirected outside the directory. The directory itself is reached by a walk from `/` that
//! checks who could have changed each step on the way.

use std::ffi::{CStr, CString, OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Prefix of every temporary name selkie creates: staged files and unfinished backups.
pub const TMP_PREFIX: &str = ".selkie-tmp-";

/// The user this process acts as; owners other than this one and root are not trusted.
pub fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

fn cstr(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// `fstatat` without following a final symbolic link; `None` when nothing is there.
fn lstat_at(dir: RawFd, name: &CStr) -> io::Result<Option<libc::stat>> {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `name` is NUL-terminated and `st` is a valid out-pointer.
    let ret = unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) };
    match cvt(ret) {
        Ok(_) => Ok(Some(st)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn fstat(fd: RawFd) -> io::Result<libc::stat> {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid out-pointer.
    cvt(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(st)
}

fn open_at(dir: RawFd, name: &CStr, flags: libc::c_int, mode: u32) -> io::Result<OwnedFd> {
    let flags = flags | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: `name` is NUL-terminated; the returned descriptor is owned by the OwnedFd.
    let fd = cvt(unsafe { libc::openat(dir, name.as_ptr(), flags, mode as libc::c_uint) })?;
    // SAFETY: `fd` was just returned by openat and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn is_dir(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFDIR
}

fn is_link(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFLNK
}

fn is_file(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFREG
}

fn trusted_owner(uid: u32) -> bool {
    uid == 0 || uid == euid()
}

/// Why a directory on the way to (or inside) the deployment cannot be trusted, if it cannot.
fn untrusted_dir(st: &libc::stat, sticky_ok: bool) -> Option<String> {
    if !trusted_owner(st.st_uid) {
        return Some(format!("is owned by uid {}", st.st_uid));
    }
    let writable = st.st_mode & 0o022 != 0;
    let sticky = st.st_mode & libc::S_ISVTX != 0;
    if writable && !(sticky_ok && sticky) {
        return Some(format!(
            "is writable by {} (mode {:o})",
            if st.st_mode & 0o002 != 0 {
                "every user"
            } else {
                "its group"
            },
            st.st_mode & 0o7777
        ));
    }
    None
}

fn unsafe_dir(path: &Path, why: &str, fix: String) -> Error {
    Error::Other {
        message: format!(
            "{} {why}, so another user could change what selkie (running as uid {}) writes there",
            path.display(),
            euid()
        ),
        hint: Some(fix),
    }
}

fn io_err(action: &'static str, path: &Path, e: io::Error) -> Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return Error::Other {
            message: format!("{} is a symbolic link; selkie does not follow links inside the deployment directory", path.display()),
            hint: Some(format!("remove the link (rm {}) and run again; selkie writes a real file there", path.display())),
        };
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

impl Dir {
    /// Walk from `/` to `path`, one component at a time and never through a symbolic link that
    /// an untrusted user owns or could have placed; every directory on the way must be owned by
    /// root or this user and not writable by others (a sticky directory such as /tmp excepted).
    /// The deployment directory itself must not be writable by its group or others.
    /// `Ok(None)` when it does not exist and `missing` is `Fail`.
    pub fn open(path: &Path, missing: Missing) -> Result<Option<Dir>> {
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|e| Error::io("cannot resolve", path, e))?
                .join(path)
        };
        let root = open_at(libc::AT_FDCWD, c"/", libc::O_DIRECTORY | libc::O_RDONLY, 0)
            .map_err(|e| Error::io("cannot open", "/", e))?;
        let mut stack: Vec<(OwnedFd, PathBuf)> = vec![(root, PathBuf::from("/"))];
        let mut queue: std::collections::VecDeque<OsString> = components(&abs);
        let mut hops = 0;
        while let Some(name) = queue.pop_front() {
            if name == ".." {
                if stack.len() > 1 {
                    stack.pop();
                }
                continue;
            }
            let (cur_fd, cur_path) = stack.last().expect("the root is never popped");
            let here = cur_path.join(&name);
            let c = cstr(&name).map_err(|e| Error::io("cannot open", &here, e))?;
            let st =
                lstat_at(cur_fd.as_raw_fd(), &c).map_err(|e| Error::io("cannot read", &here, e))?;
            let st = match st {
                None => match missing {
                    Missing::Fail => return Ok(None),
                    Missing::Create(mode) => {
                        // SAFETY: `c` is NUL-terminated.
                        let made =
                            cvt(unsafe { libc::mkdirat(cur_fd.as_raw_fd(), c.as_ptr(), mode) });
                        match made {
                            Ok(_) => {}
                            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                            Err(e) => return Err(Error::io("cannot create", &here, e)),
                        }
                        queue.push_front(name);
                        continue;
                    }
                },
                Some(st) => st,
            };
            if is_link(&st) {
                if !trusted_owner(st.st_uid) {
                    return Err(unsafe_dir(
                        &here,
                        &format!("is a symbolic link owned by uid {}", st.st_uid),
                        format!(
                            "use the real path instead of the link, or remove the link {}",
                            here.display()
                        ),
                    ));
                }
                hops += 1;
                if hops > 40 {
                    return Err(Error::io(
                        "cannot resolve",
                        &here,
                        io::Error::from_raw_os_error(libc::ELOOP),
                    ));
                }
                let target = read_link_at(cur_fd.as_raw_fd(), &c)
                    .map_err(|e| Error::io("cannot read", &here, e))?;
                let target = PathBuf::from(target);
                if target.is_absolute() {
                    stack.truncate(1);
                }
                let mut more = components(&target);
                more.extend(queue.drain(..));
                queue = more;
                continue;
            }
            if !is_dir(&st) {
                return Err(Error::Other {
                    message: format!("{} is not a directory", here.display()),
                    hint: Some("choose a directory with --dir (or SELKIE_DIR)".into()),
                });
            }
            let fd = open_at(
                cur_fd.as_raw_fd(),
                &c,
                libc::O_DIRECTORY | libc::O_RDONLY,
                0,
            )
            .map_err(|e| io_err("cannot open", &here, e))?;
            let st = fstat(fd.as_raw_fd()).map_err(|e| Error::io("cannot read", &here, e))?;
            let last = queue.is_empty();
            if let Some(why) = untrusted_dir(&st, !last) {
                let fix = if last {
                    format!(
                        "make it yours and private to you: `sudo chown {}: {p} && sudo chmod 0755 {p}` (or choose another --dir)",
                        if euid() == 0 { "root".to_string() } else { euid().to_string() },
                        p = here.display()
                    )
                } else {
                    format!(
                        "choose a deployment directory whose parents only root (or you) can change, e.g. /opt/selkie, or fix {}'s owner and mode",
                        here.display()
                    )
                };
                return Err(unsafe_dir(&here, &why, fix));
            }
            stack.push((fd, here));
        }
        let (fd, _) = stack.pop().expect("the root is never popped");
        if stack.is_empty() {
            return Err(Error::Other {
                message: "the deployment directory cannot be / itself".into(),
                hint: Some("choose a directory with --dir, e.g. /opt/selkie".into()),
            });
        }
        // The root directory itself, when `path` is `/`, falls through the loop without a check.
        Ok(Some(Dir { fd, path: abs }))
    }

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
                // SAFETY: `c` is NUL-terminated.
                match cvt(unsafe { libc::mkdirat(self.raw(), c.as_ptr(), mode) }) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(Error::io("cannot create", &here, e)),
                }
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
            return Err(unsafe_dir(
                &here,
                &why,
                format!(
                    "remove it, or `sudo chown root: {p} && sudo chmod go-w {p}`",
                    p = here.display()
                ),
            ));
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
            return Err(Error::Other {
                message: format!("{} is not a regular file", here.display()),
                hint: Some(format!("move it away ({}) and run again", here.display())),
            });
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
            return Err(Error::Other {
                message: format!("{} is not a regular file", here.display()),
                hint: Some(format!("move it away ({}) and run again", here.display())),
            });
        }
        if !trusted_owner(st.st_uid) {
            return Err(Error::Other {
                message: format!(
                    "{} is owned by uid {}, not by root or the user running selkie (uid {}): selkie does not use files another user could have written",
                    here.display(),
                    st.st_uid,
                    euid()
                ),
                hint: Some(format!(
                    "check its contents, then `sudo chown root: {}` if it is yours to trust, or remove it",
                    here.display()
                )),
            });
        }
        if st.st_nlink > 1 {
            return Err(Error::Other {
                message: format!(
                    "{} has other hard links; selkie only uses files with one name",
                    here.display()
                ),
                hint: Some(format!("remove it (rm {}) and run again", here.display())),
            });
        }
        Ok(Some(File::from(fd)))
    }

    /// A file's bytes, or `None` when it does not exist. At most `limit` bytes are read: state
    /// files are small, and a huge one is refused rather than read into memory.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        const LIMIT: u64 = 64 << 20;
        let Some(file) = self.open_file(name)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.take(LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("cannot read", self.show(name), e))?;
        if bytes.len() as u64 > LIMIT {
            return Err(Error::Other {
                message: format!(
                    "{} is larger than 64 MiB; selkie never writes a file that large",
                    self.show(name).display()
                ),
                hint: Some("move it away and run again".into()),
            });
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
                return Err(Error::Other {
                    message: format!(
                        "{} is a directory where selkie writes a file",
                        target.display()
                    ),
                    hint: Some(format!("move it away ({}) and run again", target.display())),
                });
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
        let c =
            cstr(OsStr::new(name)).map_err(|e| Error::io("cannot remove", self.show(name), e))?;
        // SAFETY: `c` is NUL-terminated.
        match cvt(unsafe { libc::unlinkat(self.raw(), c.as_ptr(), 0) }) {
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
        let c =
            cstr(OsStr::new(name)).map_err(|e| Error::io("cannot remove", self.show(name), e))?;
        // SAFETY: `c` is NUL-terminated.
        match cvt(unsafe { libc::unlinkat(self.raw(), c.as_ptr(), libc::AT_REMOVEDIR) }) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("cannot remove", self.show(name), e)),
        }
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
            return Err(Error::Other {
                message: format!("{} is not a file selkie wrote", here.display()),
                hint: Some(format!("remove it (rm {}) and run again", here.display())),
            });
        }
        Ok(File::from(fd))
    }

    /// A raw descriptor for locking.
    pub fn lock_file(&self, name: &str) -> Result<File> {
        let file = self.append(name, 0o600)?;
        Ok(file)
    }
}

/// What a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    File,
    Dir,
    /// A link, a socket, a device: never followed, never written through.
    Other,
}

fn components(path: &Path) -> std::collections::VecDeque<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

fn read_link_at(dir: RawFd, name: &CStr) -> io::Result<OsString> {
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: `buf` is writable for its length; readlinkat never writes past it.
    let n = unsafe { libc::readlinkat(dir, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(OsString::from_vec(buf))
}

/// `.selkie-tmp-` and 32 hex digits from the OS random source: nobody can plant a file or link
/// under a name they cannot guess, and creation is exclusive anyway.
fn tmp_name() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Other {
        message: format!("the operating system's random source failed: {e}"),
        hint: Some("check that /dev/urandom is available, then run again".into()),
    })?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{TMP_PREFIX}{hex}"))
}

/// Whether a name is one of selkie's temporary files (this version's, or the PID-named ones
/// older versions left beside their targets).
pub fn is_tmp_name(name: &str) -> bool {
    name.starts_with(TMP_PREFIX) || (name.starts_with('.') && name.contains(".selkie-tmp-"))
}

#[cfg(test)]
mod tests {
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
}
