//! Docker: is it there, which version, and may this user use it? Also which processes belong to
//! selkie's own containers, so that `--resume` does not count their ports as taken.

use std::path::Path;
use std::time::Duration;

use super::{Finding, Item, Mark, Options};
use crate::docker::connect::{self, Unreachable, MIN_API};
use crate::docker::Docker;

pub use crate::docker::project_pids as container_pids;

/// The Docker line and, when Docker answered, a client for further questions.
pub async fn check(options: &Options) -> (Item, Option<Docker>) {
    let endpoint = options
        .docker_host
        .clone()
        .unwrap_or_else(connect::endpoint);
    let limit = options.docker_timeout;
    let connected = match &options.docker_host {
        None => tokio::time::timeout(limit, connect::connect()).await,
        Some(host) => tokio::time::timeout(limit, connect::connect_to(host)).await,
    };
    let docker = match connected {
        Err(_) => return (timeout_item(&endpoint, limit), None),
        Ok(Err(why)) => return (unreachable_item(&why, &endpoint), None),
        Ok(Ok(docker)) => docker,
    };
    let (version, api) = connect::version(&docker, limit).await;
    let detail = format!(
        "{} (API {}) at {}; this user may use it",
        version
            .map(|v| format!("Docker {v}"))
            .unwrap_or_else(|| "Docker".to_string()),
        api.unwrap_or_else(|| "?".to_string()),
        endpoint
    );
    (Item::new(Mark::Ok, "Docker", detail), Some(docker))
}

/// The line for a daemon that did not answer within `limit`.
fn timeout_item(endpoint: &str, limit: Duration) -> Item {
    Item::new(
        Mark::Fail,
        "Docker",
        format!(
            "Docker at {endpoint} did not answer within {} s: check it with \
             `sudo systemctl status docker` (restart: `sudo systemctl restart docker`)",
            limit.as_secs().max(1)
        ),
    )
    .about(Finding::DockerUnusable)
}

/// The line for each way Docker can be out of reach, saying what to do.
pub fn unreachable_item(why: &Unreachable, endpoint: &str) -> Item {
    let detail = match why {
        Unreachable::NoSocket(path) => format!(
            "Docker is not installed or not running (no socket at {}): \
             `selkie setup --install-docker` installs it (or `sudo apt-get install docker.io`); \
             if it is installed, start it with `sudo systemctl start docker`",
            shown(path, endpoint)
        ),
        Unreachable::PermissionDenied(path) => format!(
            "this user may not use Docker ({}: permission denied): add yourself to the docker \
             group (`sudo usermod -aG docker $USER`, then log in again) or run selkie with sudo",
            shown(path, endpoint)
        ),
        Unreachable::TooOld(api) => format!(
            "Docker's API {api} is older than {}.{}, the oldest selkie drives (Docker 20.10): \
             upgrade Docker from your distribution or from Docker's own packages",
            MIN_API.0, MIN_API.1
        ),
        Unreachable::Other(text) => format!(
            "cannot reach Docker at {endpoint}: {text}; check that the daemon runs: `docker info`"
        ),
    };
    let finding = match why {
        Unreachable::NoSocket(_) => Finding::DockerMissing,
        _ => Finding::DockerUnusable,
    };
    Item::new(Mark::Fail, "Docker", detail).about(finding)
}

/// A socket path for messages, or the endpoint when the path is unknown.
fn shown(path: &Path, endpoint: &str) -> String {
    if path.as_os_str().is_empty() {
        endpoint.to_string()
    } else {
        path.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_way_out_of_reach_says_what_to_do() {
        let no = unreachable_item(&Unreachable::NoSocket("/x.sock".into()), "unix:///x.sock");
        assert_eq!(no.mark, Mark::Fail);
        assert!(no
            .detail
            .starts_with("Docker is not installed or not running (no socket at /x.sock)"));
        assert!(no.detail.contains("selkie setup --install-docker"));
        assert!(no.detail.contains("sudo apt-get install docker.io"));
        let perm = unreachable_item(
            &Unreachable::PermissionDenied(std::path::PathBuf::new()),
            "/d.sock",
        );
        assert!(perm.detail.contains("(/d.sock: permission denied)"));
        assert!(perm.detail.contains("usermod -aG docker") && perm.detail.contains("sudo"));
        let old = unreachable_item(&Unreachable::TooOld("1.40".into()), "/d.sock");
        assert!(old.detail.contains("older than 1.41"));
        let slow = timeout_item("/d.sock", Duration::from_secs(3));
        assert_eq!(slow.mark, Mark::Fail);
        assert!(slow.detail.contains("within 3 s"));
    }

    #[tokio::test]
    async fn a_missing_socket_is_not_installed_or_not_running() {
        let options = Options {
            docker_host: Some("unix:///nonexistent.sock".into()),
            ..Options::default()
        };
        let (item, client) = check(&options).await;
        assert!(client.is_none());
        assert_eq!(item.mark, Mark::Fail);
        assert!(
            item.detail.contains("not installed or not running"),
            "{item:?}"
        );
        assert!(item.detail.contains("/nonexistent.sock"));
    }

    #[tokio::test]
    async fn a_plain_file_is_not_a_docker_socket() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docker.sock");
        std::fs::write(&file, "").unwrap();
        let options = Options {
            docker_host: Some(format!("unix://{}", file.display())),
            ..Options::default()
        };
        let (item, _) = check(&options).await;
        assert_eq!(item.mark, Mark::Fail, "{item:?}");
        // Connecting to a file that is no socket is refused: the daemon is not running there.
        assert!(item.detail.contains("not running"), "{item:?}");
    }
}
