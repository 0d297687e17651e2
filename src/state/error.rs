//! What can go wrong with the deployment directory, each phrased for the operator with what to do
//! about it: an untrusted owner or mode on the way to it, a link or a strange file where selkie
//! reads or writes, another run holding the lock.

use std::fmt;
use std::path::PathBuf;

/// Why a directory cannot be trusted with what selkie (as root) writes into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Looseness {
    /// Owned by a user other than root and the one running selkie.
    Owner(u32),
    /// Writable by others than its owner (`everyone`: by every user, else by its group).
    Writable { everyone: bool, mode: u32 },
    /// A symbolic link owned by another user.
    LinkOwner(u32),
}

impl fmt::Display for Looseness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Looseness::Owner(uid) => write!(f, "is owned by uid {uid}"),
            Looseness::Writable { everyone, mode } => write!(
                f,
                "is writable by {} (mode {mode:o})",
                if *everyone { "every user" } else { "its group" }
            ),
            Looseness::LinkOwner(uid) => write!(f, "is a symbolic link owned by uid {uid}"),
        }
    }
}

/// Where in the walk to the deployment a loose directory (or link) was found; it decides the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A link on the way to the deployment directory.
    Link,
    /// A directory above the deployment directory.
    Parent,
    /// The deployment directory itself.
    Deployment,
    /// A folder inside the deployment directory.
    Inside,
}

/// Everything the deployment directory can refuse.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A directory (or link) another user could change lies on the way to what selkie writes.
    #[error("{} {why}, so another user could change what selkie (running as uid {uid}) writes there", path.display())]
    Untrusted {
        path: PathBuf,
        why: Looseness,
        place: Place,
        /// The user selkie runs as.
        uid: u32,
    },

    /// A symbolic link where selkie reads or writes inside the deployment directory.
    #[error("{} is a symbolic link; selkie does not follow links inside the deployment directory", path.display())]
    SymlinkRefused { path: PathBuf },

    /// Something other than a directory on the way to the deployment directory.
    #[error("{} is not a directory", path.display())]
    NotADirectory { path: PathBuf },

    /// `--dir /`.
    #[error("the deployment directory cannot be / itself")]
    RootDirectory,

    /// Something other than a regular file where selkie reads or writes one.
    #[error("{} is not a regular file", path.display())]
    NotAFile { path: PathBuf },

    /// A file owned by another user.
    #[error("{} is owned by uid {owner}, not by root or the user running selkie (uid {uid}): selkie does not use files another user could have written", path.display())]
    ForeignFile { path: PathBuf, owner: u32, uid: u32 },

    /// A file with more than one name: a chmod through it could reach a file elsewhere.
    #[error("{} has other hard links; selkie only uses files with one name", path.display())]
    HardLinked { path: PathBuf },

    /// A file far larger than any selkie writes.
    #[error("{} is larger than 64 MiB; selkie never writes a file that large", path.display())]
    TooLarge { path: PathBuf },

    /// A directory where selkie renames a file into place.
    #[error("{} is a directory where selkie writes a file", path.display())]
    DirectoryInTheWay { path: PathBuf },

    /// A log or lock file that selkie did not make (a link, another owner, more than one name).
    #[error("{} is not a file selkie wrote", path.display())]
    NotOurs { path: PathBuf },

    /// A path given to a write names a directory, not a file.
    #[error("{} names no file", path.display())]
    NoFileName { path: PathBuf },

    /// A directory that should have been created is not there.
    #[error("cannot create {what}")]
    CannotCreate { what: String },

    /// The OS random source failed while naming a temporary file.
    #[error("the operating system's random source failed: {0}")]
    RandomSource(getrandom::Error),

    /// Another selkie process holds the deployment's lock.
    #[error("another selkie run is working on {}", path.display())]
    Locked { path: PathBuf },

    /// The secrets to save do not pass their own check (the reason never shows a value).
    #[error("refusing to write secrets.toml: {reason}")]
    SecretsRefused { reason: String },

    /// A state file could not be encoded.
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: toml::ser::Error,
    },
}

impl StateError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        let p = |path: &PathBuf| path.display().to_string();
        match self {
            StateError::Untrusted {
                path, place, uid, ..
            } => Some(match place {
                Place::Link => format!(
                    "use the real path instead of the link, or remove the link {}",
                    p(path)
                ),
                Place::Parent => format!(
                    "choose a deployment directory whose parents only root (or you) can change, e.g. /opt/selkie, or fix {}'s owner and mode",
                    p(path)
                ),
                Place::Deployment => format!(
                    "make it yours and private to you: `sudo chown {}: {p} && sudo chmod 0755 {p}` (or choose another --dir)",
                    if *uid == 0 { "root".to_string() } else { uid.to_string() },
                    p = p(path)
                ),
                Place::Inside => format!(
                    "remove it, or `sudo chown root: {p} && sudo chmod go-w {p}`",
                    p = p(path)
                ),
            }),
            StateError::SymlinkRefused { path } => Some(format!(
                "remove the link (rm {}) and run again; selkie writes a real file there",
                p(path)
            )),
            StateError::NotADirectory { .. } => {
                Some("choose a directory with --dir (or SELKIE_DIR)".into())
            }
            StateError::RootDirectory => {
                Some("choose a directory with --dir, e.g. /opt/selkie".into())
            }
            StateError::NotAFile { path } | StateError::DirectoryInTheWay { path } => {
                Some(format!("move it away ({}) and run again", p(path)))
            }
            StateError::ForeignFile { path, .. } => Some(format!(
                "check its contents, then `sudo chown root: {}` if it is yours to trust, or remove it",
                p(path)
            )),
            StateError::HardLinked { path } | StateError::NotOurs { path } => {
                Some(format!("remove it (rm {}) and run again", p(path)))
            }
            StateError::TooLarge { .. } => Some("move it away and run again".into()),
            StateError::RandomSource(_) => {
                Some("check that /dev/urandom is available, then run again".into())
            }
            StateError::Locked { .. } => Some(
                "wait for it to finish and run again (the lock is freed when that run ends)".into(),
            ),
            StateError::NoFileName { .. }
            | StateError::CannotCreate { .. }
            | StateError::SecretsRefused { .. }
            | StateError::Encode { .. } => None,
        }
    }
}
