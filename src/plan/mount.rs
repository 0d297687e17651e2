//! What a container mounts: a directory of the deployment or a named volume.

use serde::Serialize;

/// What a mount brings into a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountSource {
    /// A directory of the deployment, relative to it: `livekit`, written `./livekit`.
    Dir(String),
    /// A named volume: `caddy-data`.
    Volume(String),
}

impl MountSource {
    /// `./dir` is a directory of the deployment; anything else names a volume.
    pub fn parse(source: &str) -> MountSource {
        match source.strip_prefix("./") {
            Some(dir) => MountSource::Dir(dir.to_string()),
            None => MountSource::Volume(source.to_string()),
        }
    }

    /// The volume's name, when this is one.
    pub fn volume(&self) -> Option<&str> {
        match self {
            MountSource::Volume(name) => Some(name),
            MountSource::Dir(_) => None,
        }
    }
}

/// As compose files write it: `./livekit` or `caddy-data`.
impl std::fmt::Display for MountSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MountSource::Dir(dir) => write!(f, "./{dir}"),
            MountSource::Volume(name) => f.write_str(name),
        }
    }
}

impl Serialize for MountSource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A named volume or a directory of the deployment mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    pub source: MountSource,
    pub target: String,
    pub read_only: bool,
}
