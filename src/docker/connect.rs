//! Reaching the Docker daemon: bollard's local defaults (honouring `DOCKER_HOST`), version
//! negotiation, and errors that say what to do.

use std::path::{Path, PathBuf};

use bollard::Docker;

use super::DockerError;
use crate::error::Error;

/// The oldest Engine API selkie drives: Docker 20.10, as Debian 12 ships it.
pub const MIN_API: (u32, u32) = (1, 41);
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Where the daemon is expected, for messages: the unix socket path or the `DOCKER_HOST` URL.
pub fn endpoint() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.is_empty() => host,
        _ => DEFAULT_SOCKET.to_string(),
    }
}

fn socket_path(endpoint: &str) -> Option<PathBuf> {
    if endpoint.contains("://") {
        endpoint.strip_prefix("unix://").map(PathBuf::from)
    } else {
        Some(PathBuf::from(endpoint))
    }
}

/// Why the daemon could not be reached, phrased for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// No socket: Docker is not installed or not running.
    NoSocket(PathBuf),
    /// The socket exists but this user may not use it.
    PermissionDenied(PathBuf),
    /// The daemon answered but is older than API 1.41.
    TooOld(String),
    /// Anything else, with bollard's own words.
    Other(String),
}

impl Unreachable {
    /// Why, with what to do, in one line: what `selkie status` shows as Docker's state.
    pub fn reason(&self) -> String {
        match self {
            Unreachable::NoSocket(path) => format!(
                "no socket at {}: Docker is not running (`sudo systemctl start docker`) or not \
                 installed",
                path.display()
            ),
            Unreachable::PermissionDenied(path) => format!(
                "permission denied on {}: run selkie as root or in the docker group",
                path.display()
            ),
            Unreachable::TooOld(api) => format!(
                "its API {api} is older than {}.{} (Docker 20.10), the oldest selkie drives",
                MIN_API.0, MIN_API.1
            ),
            Unreachable::Other(why) => format!("{}: {why}", endpoint()),
        }
    }

    /// The error selkie reports (exit 1) with its hint.
    pub fn into_error(self) -> Error {
        DockerError::from(self).into()
    }
}

impl From<Unreachable> for DockerError {
    fn from(why: Unreachable) -> Self {
        match why {
            Unreachable::NoSocket(path) => DockerError::NoSocket { path },
            Unreachable::PermissionDenied(path) => DockerError::PermissionDenied { path },
            Unreachable::TooOld(version) => DockerError::TooOld { version },
            Unreachable::Other(why) => DockerError::Unreachable {
                endpoint: endpoint(),
                why,
            },
        }
    }
}

fn classify(err: &bollard::errors::Error, socket: Option<&Path>) -> Unreachable {
    let text = err.to_string();
    let path = socket.map(Path::to_path_buf).unwrap_or_default();
    if let bollard::errors::Error::SocketNotFoundError(p) = err {
        return Unreachable::NoSocket(PathBuf::from(p));
    }
    // hyper wraps the socket's io::Error several layers deep: walk the whole chain.
    let mut io_kind = None;
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
            break;
        }
        source = s.source();
    }
    if io_kind == Some(std::io::ErrorKind::PermissionDenied) || text.contains("ermission denied") {
        return Unreachable::PermissionDenied(path);
    }
    if io_kind == Some(std::io::ErrorKind::NotFound)
        || io_kind == Some(std::io::ErrorKind::ConnectionRefused)
        || text.contains("No such file")
        || text.contains("onnection refused")
    {
        return Unreachable::NoSocket(path);
    }
    Unreachable::Other(text)
}

/// `1.41` -> (1, 41).
pub fn parse_api(version: &str) -> Option<(u32, u32)> {
    let (major, minor) = version.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Connect with bollard's local defaults, negotiate the API version, and check it is new enough.
pub async fn connect() -> Result<Docker, Unreachable> {
    connect_to(&endpoint()).await
}

/// The daemon's version and API version, as far as it tells them within `limit`.
pub async fn version(
    docker: &Docker,
    limit: std::time::Duration,
) -> (Option<String>, Option<String>) {
    match tokio::time::timeout(limit, docker.version()).await {
        Ok(Ok(v)) => (v.version, v.api_version),
        _ => (None, None),
    }
}

/// Like [`connect`], to `endpoint` (`unix:///x.sock`, `/x.sock` or `tcp://host:port`).
pub async fn connect_to(endpoint: &str) -> Result<Docker, Unreachable> {
    let socket = socket_path(endpoint);
    // Checked first so that a missing or forbidden socket gets its own message, not a transport error.
    if let Some(path) = &socket {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Unreachable::NoSocket(path.clone()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(Unreachable::PermissionDenied(path.clone()))
            }
            _ => {}
        }
    }
    let docker = match &socket {
        Some(path) if !endpoint.contains("://") => {
            Docker::connect_with_unix(&path.to_string_lossy(), 120, bollard::API_DEFAULT_VERSION)
        }
        _ => Docker::connect_with_host(endpoint),
    }
    .map_err(|e| classify(&e, socket.as_deref()))?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| classify(&e, socket.as_deref()))?;
    let version = docker
        .version()
        .await
        .map_err(|e| classify(&e, socket.as_deref()))?;
    let api = version.api_version.unwrap_or_default();
    match parse_api(&api) {
        Some(v) if v >= MIN_API => Ok(docker),
        Some(_) => Err(Unreachable::TooOld(api)),
        None => Err(Unreachable::Other(format!(
            "the daemon reported API version `{api}`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_compare_numerically() {
        assert_eq!(parse_api("1.41"), Some((1, 41)));
        assert!(parse_api("1.9").unwrap() < MIN_API);
        assert!(parse_api("1.100").unwrap() > MIN_API);
        assert_eq!(parse_api("latest"), None);
    }

    #[test]
    fn socket_paths_come_from_docker_host() {
        assert_eq!(
            socket_path("unix:///run/x.sock"),
            Some(PathBuf::from("/run/x.sock"))
        );
        assert_eq!(socket_path("tcp://127.0.0.1:2375"), None);
        assert_eq!(
            socket_path("/var/run/docker.sock"),
            Some(PathBuf::from("/var/run/docker.sock"))
        );
    }

    #[test]
    fn each_failure_says_what_to_do() {
        let no = Unreachable::NoSocket("/nope.sock".into()).into_error();
        assert!(
            no.to_string().contains("no such socket")
                && no.hint().unwrap().contains("--install-docker")
        );
        let perm = Unreachable::PermissionDenied("/s".into()).into_error();
        assert!(perm.hint().unwrap().contains("usermod -aG docker"));
        let old = Unreachable::TooOld("1.40".into()).into_error();
        assert!(old.to_string().contains("older than 1.41"));
    }

    #[test]
    fn status_shows_each_failure_in_one_line_with_what_to_do() {
        assert_eq!(
            Unreachable::NoSocket("/nope.sock".into()).reason(),
            "no socket at /nope.sock: Docker is not running (`sudo systemctl start docker`) \
             or not installed"
        );
        assert_eq!(
            Unreachable::PermissionDenied("/s".into()).reason(),
            "permission denied on /s: run selkie as root or in the docker group"
        );
        assert!(Unreachable::TooOld("1.40".into())
            .reason()
            .starts_with("its API 1.40 is older than 1.41"));
    }
}
