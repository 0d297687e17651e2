//! Docker: is it there, which version, and may this user use it?

use std::path::Path;

use super::{Finding, Item, Mark};
use crate::host::{DockerFacts, DockerState};

/// The Docker line, saying what to do when Docker cannot be used.
pub fn item(docker: &DockerFacts) -> Item {
    let endpoint = docker.endpoint.as_str();
    let detail = match &docker.state {
        DockerState::Usable { version, api, .. } => {
            let detail = format!(
                "{} (API {}) at {endpoint}; this user may use it",
                version
                    .as_ref()
                    .map(|v| format!("Docker {v}"))
                    .unwrap_or_else(|| "Docker".to_string()),
                api.as_deref().unwrap_or("?"),
            );
            return Item::new(Mark::Ok, "Docker", detail);
        }
        DockerState::Unknown => {
            return Item::new(Mark::Warn, "Docker", "not checked").about(Finding::DockerUnusable)
        }
        DockerState::NoSocket(path) => format!(
            "Docker is not installed or not running (no socket at {}): \
             `selkie setup --install-docker` installs it (or `sudo apt-get install docker.io`); \
             if it is installed, start it with `sudo systemctl start docker`",
            shown(path, endpoint)
        ),
        DockerState::PermissionDenied(path) => format!(
            "this user may not use Docker ({}: permission denied): add yourself to the docker \
             group (`sudo usermod -aG docker $USER`, then log in again) or run selkie with sudo",
            shown(path, endpoint)
        ),
        DockerState::TooOld { api, oldest } => format!(
            "Docker's API {api} is older than {oldest}, the oldest selkie drives (Docker 20.10): \
             upgrade Docker from your distribution or from Docker's own packages"
        ),
        DockerState::NoAnswer(limit) => format!(
            "Docker at {endpoint} did not answer within {} s: check it with \
             `sudo systemctl status docker` (restart: `sudo systemctl restart docker`)",
            limit.as_secs().max(1)
        ),
        DockerState::Failed(text) => format!(
            "cannot reach Docker at {endpoint}: {text}; check that the daemon runs: `docker info`"
        ),
    };
    let finding = match docker.state {
        DockerState::NoSocket(_) => Finding::DockerMissing,
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
    use std::time::Duration;

    use super::*;

    fn at(endpoint: &str, state: DockerState) -> Item {
        item(&DockerFacts {
            endpoint: endpoint.into(),
            state,
        })
    }

    #[test]
    fn a_usable_docker_is_named_with_its_version() {
        let ok = at(
            "unix:///var/run/docker.sock",
            DockerState::Usable {
                version: Some("27.1.1".into()),
                api: Some("1.46".into()),
                project_pids: Vec::new(),
            },
        );
        assert_eq!(
            ok,
            Item::new(
                Mark::Ok,
                "Docker",
                "Docker 27.1.1 (API 1.46) at unix:///var/run/docker.sock; this user may use it"
            )
        );
    }

    #[test]
    fn each_way_out_of_reach_says_what_to_do() {
        let no = at("unix:///x.sock", DockerState::NoSocket("/x.sock".into()));
        assert_eq!((no.mark, no.finding), (Mark::Fail, Finding::DockerMissing));
        assert!(no
            .detail
            .starts_with("Docker is not installed or not running (no socket at /x.sock)"));
        assert!(no.detail.contains("selkie setup --install-docker"));
        assert!(no.detail.contains("sudo apt-get install docker.io"));
        let perm = at("/d.sock", DockerState::PermissionDenied(Default::default()));
        assert_eq!(perm.finding, Finding::DockerUnusable);
        assert!(perm.detail.contains("(/d.sock: permission denied)"));
        assert!(perm.detail.contains("usermod -aG docker") && perm.detail.contains("sudo"));
        let old = at(
            "/d.sock",
            DockerState::TooOld {
                api: "1.40".into(),
                oldest: "1.41".into(),
            },
        );
        assert!(old.detail.contains("API 1.40 is older than 1.41"));
        let slow = at("/d.sock", DockerState::NoAnswer(Duration::from_secs(3)));
        assert_eq!(
            (slow.mark, slow.finding),
            (Mark::Fail, Finding::DockerUnusable)
        );
        assert!(slow.detail.contains("within 3 s"));
        let other = at("tcp://h:2375", DockerState::Failed("reset".into()));
        assert!(other
            .detail
            .starts_with("cannot reach Docker at tcp://h:2375: reset"));
    }
}
