//! What can go wrong between selkie and the Docker daemon, each phrased for the operator with
//! what to do about it ([`DockerError::hint`]).

use std::path::PathBuf;

use super::connect::MIN_API;

/// An error of the Docker edge: reaching the daemon, pulling, converging, taking the stack
/// down, installing Docker.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// No socket: Docker is not installed or not running.
    #[error("cannot reach Docker at {}: no such socket (Docker is not installed, or not running)", path.display())]
    NoSocket { path: PathBuf },

    /// The socket exists but this user may not use it.
    #[error("cannot reach Docker at {}: permission denied", path.display())]
    PermissionDenied { path: PathBuf },

    /// The daemon answered but is older than [`MIN_API`].
    #[error("Docker's API {version} is older than {}.{}, the oldest selkie drives (Docker 20.10)", MIN_API.0, MIN_API.1)]
    TooOld { version: String },

    /// The daemon could not be reached for another reason, in bollard's words.
    #[error("cannot reach Docker at {endpoint}: {why}")]
    Unreachable { endpoint: String, why: String },

    /// A call of a converge failed (`action` is `create`, `start`, `list` ...); running selkie
    /// again continues from there.
    #[error("Docker could not {action} {what}: {source}")]
    Call {
        action: &'static str,
        what: String,
        #[source]
        source: bollard::errors::Error,
    },

    /// `selkie down` could not remove a container, network or volume.
    #[error("Docker could not remove {what}: {source}")]
    Remove {
        what: String,
        #[source]
        source: bollard::errors::Error,
    },

    /// Pulling an image failed; `cause` is [`super::pull::cause`] of the registry's words.
    #[error("cannot pull {image}: {cause} ({raw})")]
    Pull {
        image: String,
        cause: &'static str,
        raw: String,
    },

    /// Containers with the plan's names exist without selkie's labels.
    #[error("{} already exist{} without selkie's labels; selkie never touches containers it did not create", names.join(", "), if names.len() == 1 { "s" } else { "" })]
    ForeignContainers { names: Vec<String> },

    /// A network with the stack's name exists without selkie's label.
    #[error("a Docker network named `{name}` exists and is not selkie's")]
    ForeignNetwork { name: String },

    /// Setup found the stack of another deployment directory running.
    #[error("another selkie deployment, in {other}, runs on this host")]
    AnotherDeployment { other: String },

    /// `selkie down` was asked for a directory whose stack is not the one running.
    #[error("the selkie stack on this host belongs to {other}, not to {}", dir.display())]
    NotThisStack { other: String, dir: PathBuf },

    /// A container spec could not be encoded to hash it.
    #[error("cannot encode the container spec of {service}: {source}")]
    Encode {
        service: String,
        #[source]
        source: serde_json::Error,
    },

    /// Installing Docker needs a package manager selkie knows.
    #[error("no apt-get or dnf on this host to install Docker with")]
    NoPackageManager,

    /// An install step had no program to run.
    #[error("an empty install command")]
    EmptyCommand,

    /// An install step failed: the last lines of its output, and the fix they point to.
    #[error("{failure}; the last lines of its output:\n{tail}")]
    InstallFailed {
        failure: String,
        tail: String,
        fix: String,
        log: PathBuf,
    },
}

impl DockerError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            DockerError::NoSocket { .. } => {
                "install it with `selkie setup --install-docker` (or `sudo apt-get install docker.io`), \
                 or start it with `sudo systemctl start docker`; then run selkie again"
                    .into()
            }
            DockerError::PermissionDenied { .. } => {
                "add your user to the docker group (sudo usermod -aG docker $USER, then log in again) or run with sudo"
                    .into()
            }
            DockerError::TooOld { .. } => {
                "upgrade Docker from your distribution or from Docker's own packages".into()
            }
            DockerError::Unreachable { .. } => {
                "check that the Docker daemon is running: `docker info`".into()
            }
            DockerError::Call { .. } => "run `docker info` to check the daemon, then run selkie again: it continues where it stopped".into(),
            DockerError::Remove { .. } => {
                "run `docker info` to check the daemon, then run `selkie down` again".into()
            }
            DockerError::Pull { image, .. } => format!(
                "fix the reference with `selkie setup --resume --image SERVICE=REF`, or load the image yourself (`docker load`) and run again; {image} is not pulled again once present"
            ),
            DockerError::ForeignContainers { names } => format!(
                "if it is an old copy of this stack, remove it yourself (docker rm -f {}), then run again",
                names.join(" ")
            ),
            DockerError::ForeignNetwork { name } => format!(
                "rename or remove it (docker network rm {name}) if nothing uses it, then run again"
            ),
            DockerError::AnotherDeployment { other } => format!(
                "selkie runs one stack per host: change that one with `selkie setup --resume --dir {other}`, \
                 or remove it first with `selkie down --dir {other}`"
            ),
            DockerError::NotThisStack { other, .. } => {
                format!("run `selkie down --dir {other}` to remove it")
            }
            DockerError::Encode { .. } | DockerError::EmptyCommand => return None,
            DockerError::NoPackageManager => {
                "install Docker by hand (docs.docker.com/engine/install), then run selkie again"
                    .into()
            }
            DockerError::InstallFailed { fix, log, .. } => format!(
                "{fix} (the whole output is in {}); then run `selkie setup --resume --install-docker`",
                log.display()
            ),
        })
    }
}
