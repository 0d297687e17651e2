//! The state of a firewall apply, kept in `applied/firewall/` of the deployment directory:
//! `pending.toml` (what was applied, when it reverts, by which timer), the markers `confirmed`
//! and `reverted`, and a lock that the revert script and `selkie confirm` both take, so a
//! confirmation and a revert never both happen.

use super::ApplyError;
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::session::Session;
use super::timer::Timer;
use crate::answers::HostFirewall;
use crate::error::{Error, Result};
use crate::state;

/// Where a deployment keeps its firewall apply state.
pub fn state_dir(dir: &Path) -> PathBuf {
    dir.join("applied").join("firewall")
}

/// One apply, as `pending.toml` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    /// The apply's time stamp, e.g. `20261130T071233Z`.
    pub id: String,
    pub kind: HostFirewall,
    /// Unix seconds: the earliest the revert runs (an `at` job may run up to two minutes later).
    pub reverts_after: u64,
    /// The SSH connection that applied it, as `SSH_CONNECTION` has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The armed revert; none when the operator chose to keep the firewall unconfirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<Timer>,
    /// The hash of the applied firewall file.
    pub sha256: String,
}

/// What became of the newest apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Nothing was ever applied here.
    None,
    /// Live, waiting for `selkie confirm`.
    Waiting(Pending),
    /// Kept: the marker holds the file hash that was confirmed.
    Confirmed(Pending),
    /// The revert ran.
    Reverted(Pending),
}

impl Pending {
    /// The applying session, parsed.
    pub fn session(&self) -> Option<Session> {
        self.session.as_deref().and_then(Session::parse)
    }
}

/// Read the state; a record that does not parse is reported, never guessed at.
pub fn status(dir: &Path) -> Result<Status> {
    let base = state_dir(dir);
    let path = base.join("pending.toml");
    let Some(bytes) = state::read_nofollow(&path)? else {
        return Ok(Status::None);
    };
    let text = String::from_utf8(bytes).map_err(|_| bad(&path, "not UTF-8".into()))?;
    let pending: Pending = toml::from_str(&text).map_err(|e| bad(&path, e.to_string()))?;
    if let Some(timer) = &pending.timer {
        timer.check().map_err(|m| bad(&path, m))?;
    }
    if state::read_nofollow(&base.join("reverted"))?.is_some() {
        return Ok(Status::Reverted(pending));
    }
    if state::read_nofollow(&base.join("confirmed"))?.is_some() {
        return Ok(Status::Confirmed(pending));
    }
    Ok(Status::Waiting(pending))
}

fn bad(path: &Path, message: String) -> Error {
    Error::State {
        path: path.to_path_buf(),
        message,
    }
}

/// Record an apply (its markers of an earlier one removed first).
pub fn record(dir: &Path, pending: &Pending) -> Result<()> {
    let base = state_dir(dir);
    for marker in ["confirmed", "reverted"] {
        remove(&base.join(marker))?;
    }
    let text = toml::to_string(pending).map_err(|e| ApplyError::Record { why: e.to_string() })?;
    state::write_atomic(&base.join("pending.toml"), text.as_bytes(), 0o600)
}

/// Write a marker (`confirmed` or `reverted`) with a line of text.
pub fn mark(dir: &Path, marker: &str, text: &str) -> Result<()> {
    state::write_atomic(&state_dir(dir).join(marker), text.as_bytes(), 0o600)
}

/// Remove a file of the state directory if it is there (a link is removed, never followed).
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io("cannot remove", path, e))
        }
        _ => Ok(()),
    }
}

/// The lock the revert script takes with flock(1): held while it lives.
pub struct Held {
    _file: File,
}

/// Take the state directory's lock, waiting for a revert that is running.
pub fn lock(dir: &Path) -> Result<Held> {
    let path = state_dir(dir).join("lock");
    // Creates the directory through the checked walk; the lock file holds nothing.
    if state::read_nofollow(&path)?.is_none() {
        state::write_atomic(&path, b"", 0o600)?;
    }
    let file = std::fs::OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&path)
        .map_err(|e| Error::io("cannot open", &path, e))?;
    // SAFETY: flock on a descriptor this function owns; it blocks until the lock is free.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    if rc != 0 {
        return Err(Error::io(
            "cannot lock",
            &path,
            std::io::Error::last_os_error(),
        ));
    }
    Ok(Held { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Pending {
        Pending {
            id: "20261130T071233Z".into(),
            kind: HostFirewall::Nftables,
            reverts_after: 1_795_302_062,
            session: Some("198.51.100.4 50000 203.0.113.1 22".into()),
            timer: Some(Timer::Detached { pid: 4242 }),
            sha256: "ab".repeat(32),
        }
    }

    #[test]
    fn the_record_reads_back_and_markers_decide_the_status() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(status(dir.path()).unwrap(), Status::None);
        record(dir.path(), &pending()).unwrap();
        assert_eq!(status(dir.path()).unwrap(), Status::Waiting(pending()));
        mark(dir.path(), "confirmed", "x").unwrap();
        assert_eq!(status(dir.path()).unwrap(), Status::Confirmed(pending()));
        mark(dir.path(), "reverted", "x").unwrap();
        assert_eq!(status(dir.path()).unwrap(), Status::Reverted(pending()));
        // A new apply starts with no marker.
        record(dir.path(), &pending()).unwrap();
        assert_eq!(status(dir.path()).unwrap(), Status::Waiting(pending()));
        assert_eq!(
            pending().session(),
            Session::parse("198.51.100.4 50000 203.0.113.1 22")
        );
    }

    #[test]
    fn a_tampered_record_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_dir(dir.path()).join("pending.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = toml::to_string(&pending()).unwrap();
        std::fs::write(&path, text.replace("4242", "0")).unwrap();
        assert!(matches!(status(dir.path()), Err(Error::State { .. })));
        std::fs::write(&path, text.replace("Z\"", "Z\"\nextra = 1")).unwrap();
        assert!(matches!(status(dir.path()), Err(Error::State { .. })));
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &path).unwrap();
        std::fs::write(dir.path().join("elsewhere"), text).unwrap();
        assert!(status(dir.path()).is_err(), "a link is never followed");
    }

    #[test]
    fn the_lock_is_exclusive_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).unwrap();
        let path = state_dir(dir.path()).join("lock");
        let other = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        // SAFETY: a non-blocking flock on a descriptor the test owns.
        let busy = unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        assert_eq!(busy, -1);
        drop(held);
        // SAFETY: as above.
        let free = unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        assert_eq!(free, 0);
    }
}
