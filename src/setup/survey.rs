//! The survey before the questions: every fact preflight judges, gathered once into
//! [`HostFacts`]. The host's files are read on the blocking pool while Docker is asked over its
//! socket and public STUN servers for this server's address, so the whole survey takes well
//! under a second on a healthy host and at most the longer of the two timeouts otherwise.
//! Nothing here changes the host.

use std::path::PathBuf;
use std::time::Duration;

use crate::docker::connect::{self, Unreachable};
use crate::health::probes::outbound_stun;
use crate::health::Status;
use crate::host::{self, DockerFacts, DockerState, HostFacts, Sources, Stun};

/// Where to look and how long to wait.
#[derive(Debug, Clone)]
pub struct Survey {
    /// Where the deployment will be written: the free space is measured there (or at its
    /// nearest existing parent).
    pub deploy_dir: PathBuf,
    /// Reach Docker here (`unix:///path.sock`, a bare socket path, or `tcp://host:port`) instead
    /// of `DOCKER_HOST` / the default socket; lets tests point at a socket without touching the
    /// process environment.
    pub docker_host: Option<String>,
    /// How long Docker may take to answer before the survey gives up on it.
    pub docker_timeout: Duration,
    /// The STUN servers LiveKit asks for this server's address; empty asks none (and keeps the
    /// survey off the network).
    pub stun_servers: Vec<String>,
    /// How long the STUN servers may take to answer.
    pub stun_timeout: Duration,
}

impl Default for Survey {
    /// A first run: the default deployment directory, Docker where `DOCKER_HOST` (or the default
    /// socket) says, three seconds for it to answer, and LiveKit's default STUN servers with two.
    fn default() -> Self {
        Survey {
            deploy_dir: crate::state::default_dir(),
            docker_host: None,
            docker_timeout: Duration::from_secs(3),
            stun_servers: crate::health::spec::LIVEKIT_STUN_SERVERS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            stun_timeout: Duration::from_secs(2),
        }
    }
}

/// `facts` (from `host::detect`) with everything preflight judges added: the host's files
/// (`host::survey`), Docker, and outbound STUN.
pub async fn survey(facts: HostFacts, src: &Sources, how: &Survey) -> HostFacts {
    let local = {
        let (src, dir) = (src.clone(), how.deploy_dir.clone());
        move |facts: HostFacts| host::survey(facts, &src, &dir)
    };
    let on_pool = {
        let (local, facts) = (local.clone(), facts.clone());
        tokio::task::spawn_blocking(move || local(facts))
    };
    let (surveyed, docker, stun) = tokio::join!(
        on_pool,
        docker(how),
        stun(&how.stun_servers, how.stun_timeout)
    );
    // A panic in the pool would only repeat here; surveying again keeps the facts complete.
    let surveyed = surveyed.unwrap_or_else(|_| local(facts));
    HostFacts {
        docker,
        stun,
        ..surveyed
    }
}

/// Docker: its version, or why it cannot be used; and the pids of selkie's own containers.
async fn docker(how: &Survey) -> DockerFacts {
    let endpoint = how.docker_host.clone().unwrap_or_else(connect::endpoint);
    let limit = how.docker_timeout;
    let connected = match &how.docker_host {
        None => tokio::time::timeout(limit, connect::connect()).await,
        Some(host) => tokio::time::timeout(limit, connect::connect_to(host)).await,
    };
    let state = match connected {
        Err(_) => DockerState::NoAnswer(limit),
        Ok(Err(why)) => match why {
            Unreachable::NoSocket(path) => DockerState::NoSocket(path),
            Unreachable::PermissionDenied(path) => DockerState::PermissionDenied(path),
            Unreachable::TooOld(api) => DockerState::TooOld {
                api,
                oldest: format!("{}.{}", connect::MIN_API.0, connect::MIN_API.1),
            },
            Unreachable::Other(text) => DockerState::Failed(text),
        },
        Ok(Ok(client)) => {
            let (version, api) = connect::version(&client, limit).await;
            DockerState::Usable {
                version,
                api,
                project_pids: crate::docker::project_pids(&client, limit).await,
            }
        }
    };
    DockerFacts { endpoint, state }
}

/// Outbound STUN to `servers` within `timeout`; `None` when there are none to ask.
async fn stun(servers: &[String], timeout: Duration) -> Option<Stun> {
    if servers.is_empty() {
        return None;
    }
    let outcome = outbound_stun(servers, timeout).await;
    Some(Stun {
        answered: outcome.status == Status::Healthy,
        message: outcome.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offline(docker_host: &str) -> Survey {
        Survey {
            docker_host: Some(docker_host.into()),
            stun_servers: Vec::new(),
            ..Survey::default()
        }
    }

    async fn docker_at(docker_host: &str) -> DockerState {
        docker(&offline(docker_host)).await.state
    }

    #[tokio::test]
    async fn a_missing_socket_is_no_socket() {
        let state = docker_at("unix:///nonexistent.sock").await;
        assert_eq!(state, DockerState::NoSocket("/nonexistent.sock".into()));
    }

    #[tokio::test]
    async fn a_plain_file_is_not_a_docker_socket() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docker.sock");
        std::fs::write(&file, "").unwrap();
        let state = docker_at(&format!("unix://{}", file.display())).await;
        // Connecting to a file that is no socket is refused: the daemon is not running there.
        assert!(matches!(state, DockerState::NoSocket(_)), "{state:?}");
    }

    #[tokio::test]
    async fn no_servers_means_no_stun_fact_and_no_traffic() {
        assert_eq!(stun(&[], Duration::from_secs(1)).await, None);
    }

    #[tokio::test]
    async fn an_unanswered_stun_server_is_recorded_as_silent() {
        // A UDP socket of this test that never answers stands in for a blocked STUN server.
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let server = silent.local_addr().unwrap().to_string();
        let got = stun(std::slice::from_ref(&server), Duration::from_millis(300))
            .await
            .unwrap();
        assert!(!got.answered);
        assert!(
            got.message
                .starts_with(&format!("no STUN server answered within 300ms ({server})")),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn the_survey_adds_what_preflight_judges() {
        let scratch = tempfile::tempdir().unwrap();
        let src = Sources {
            dmi_dir: scratch.path().join("dmi"),
            proc_dir: "/proc".into(),
            sshd_config: scratch.path().join("sshd_config"),
            ssh_connection: None,
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let how = Survey {
            deploy_dir: scratch.path().join("selkie"),
            ..offline("unix:///nonexistent.sock")
        };
        let facts = survey(host::detect(&src), &src, &how).await;
        assert!(facts.memory.is_some_and(|m| m > 0));
        assert_eq!(facts.disk.on.as_deref(), Some(scratch.path()));
        assert!(facts
            .sockets
            .iter()
            .any(|s| s.port == port && s.holders.iter().any(|h| h.pid == std::process::id())));
        assert!(matches!(facts.docker.state, DockerState::NoSocket(_)));
        assert_eq!(facts.docker.endpoint, "unix:///nonexistent.sock");
        assert_eq!(facts.stun, None);
        drop(listener);
    }
}
