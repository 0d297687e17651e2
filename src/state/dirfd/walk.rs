//! Opening the deployment directory: a walk from `/`, one component at a time, that follows a
//! symbolic link only when root or this user owns it and checks who could have changed every
//! directory on the way.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Component, Path, PathBuf};

use super::sys::{
    cstr, fstat, is_dir, is_link, lstat_at, mkdir_at, open_at, read_link_at, trusted_owner,
};
use super::{io_err, untrusted, untrusted_dir, Dir, Missing};
use crate::error::{Error, Result};
use crate::state::error::{Looseness, Place, StateError};

/// How many links one walk follows before it gives up, as the kernel does.
const MAX_HOPS: u32 = 40;

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
        let mut walk = Walk {
            stack: vec![(root, PathBuf::from("/"))],
            queue: components(&abs),
            hops: 0,
        };
        while let Some(name) = walk.queue.pop_front() {
            if name == ".." {
                if walk.stack.len() > 1 {
                    walk.stack.pop();
                }
                continue;
            }
            if !walk.step(name, missing)? {
                return Ok(None);
            }
        }
        let (fd, _) = walk.stack.pop().expect("the root is never popped");
        if walk.stack.is_empty() {
            return Err(StateError::RootDirectory.into());
        }
        // The root directory itself, when `path` is `/`, falls through the loop without a check.
        Ok(Some(Dir { fd, path: abs }))
    }
}

/// A walk in progress: the directories entered so far (`/` first) and the names still to go.
struct Walk {
    stack: Vec<(OwnedFd, PathBuf)>,
    queue: VecDeque<OsString>,
    hops: u32,
}

impl Walk {
    /// Take one name: create it, follow it (a trusted link) or enter it (a trusted directory).
    /// `false` when it does not exist and `missing` is `Fail`.
    fn step(&mut self, name: OsString, missing: Missing) -> Result<bool> {
        let (cur_fd, cur_path) = self.stack.last().expect("the root is never popped");
        let cur = cur_fd.as_raw_fd();
        let here = cur_path.join(&name);
        let c = cstr(&name).map_err(|e| Error::io("cannot open", &here, e))?;
        let st = lstat_at(cur, &c).map_err(|e| Error::io("cannot read", &here, e))?;
        let Some(st) = st else {
            let Missing::Create(mode) = missing else {
                return Ok(false);
            };
            mkdir_at(cur, &c, mode).map_err(|e| Error::io("cannot create", &here, e))?;
            self.queue.push_front(name);
            return Ok(true);
        };
        if is_link(&st) {
            self.follow(cur, &c, &st, here)?;
            return Ok(true);
        }
        if !is_dir(&st) {
            return Err(StateError::NotADirectory { path: here }.into());
        }
        let fd = open_at(cur, &c, libc::O_DIRECTORY | libc::O_RDONLY, 0)
            .map_err(|e| io_err("cannot open", &here, e))?;
        let st = fstat(fd.as_raw_fd()).map_err(|e| Error::io("cannot read", &here, e))?;
        let last = self.queue.is_empty();
        if let Some(why) = untrusted_dir(&st, !last) {
            let place = if last {
                Place::Deployment
            } else {
                Place::Parent
            };
            return Err(untrusted(here, why, place));
        }
        self.stack.push((fd, here));
        Ok(true)
    }

    /// Continue the walk through the link `here` (named `c` in `cur`), if root or this user owns it.
    fn follow(
        &mut self,
        cur: RawFd,
        c: &std::ffi::CStr,
        st: &libc::stat,
        here: PathBuf,
    ) -> Result<()> {
        if !trusted_owner(st.st_uid) {
            return Err(untrusted(
                here,
                Looseness::LinkOwner(st.st_uid),
                Place::Link,
            ));
        }
        self.hops += 1;
        if self.hops > MAX_HOPS {
            return Err(Error::io(
                "cannot resolve",
                &here,
                io::Error::from_raw_os_error(libc::ELOOP),
            ));
        }
        let target = read_link_at(cur, c).map_err(|e| Error::io("cannot read", &here, e))?;
        let target = PathBuf::from(target);
        if target.is_absolute() {
            self.stack.truncate(1);
        }
        let mut more = components(&target);
        more.extend(self.queue.drain(..));
        self.queue = more;
        Ok(())
    }
}

fn components(path: &Path) -> VecDeque<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}
