//! Waiting until every service is healthy, and saying precisely why one is not.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bollard::models::HealthStatusEnum;
use bollard::query_parameters::LogsOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

use super::spec::Desired;

/// How a service failed to become healthy.
#[derive(Debug, Clone)]
pub struct Failure {
    pub service: String,
    pub container: String,
    /// `running`, `exited (3)`, `restarting` …, with the health status when there is one.
    pub state: String,
    /// The last healthcheck outputs, newest last.
    pub health_log: Vec<String>,
    /// The container's last 30 log lines.
    pub logs: Vec<String>,
    pub reason: String,
}

impl Failure {
    /// The report printed for the operator.
    pub fn report(&self) -> String {
        let mut out = format!(
            "service {} ({}) is not healthy: {}\n  state: {}\n",
            self.service, self.container, self.reason, self.state
        );
        if !self.health_log.is_empty() {
            out.push_str("  healthcheck:\n");
            for line in &self.health_log {
                out.push_str(&format!("    {line}\n"));
            }
        }
        out.push_str(&format!("  last {} log lines:\n", self.logs.len()));
        for line in &self.logs {
            out.push_str(&format!("    | {line}\n"));
        }
        out
    }
}

/// `GET /` answers 200: LiveKit's readiness (406 means up but not ready).
pub async fn http_ready(addr: SocketAddr, timeout: Duration) -> bool {
    let Ok(client) = crate::http::client(timeout) else {
        return false;
    };
    let answer = client.get(format!("http://{addr}/")).send().await;
    matches!(answer, Ok(r) if r.status().as_u16() == 200)
}

/// The last `count` lines a container logged (stdout and stderr).
pub async fn tail_logs(docker: &Docker, container: &str, count: usize) -> Vec<String> {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(&count.to_string())
        .build();
    let mut stream = docker.logs(container, Some(options));
    let mut text = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        text.push_str(&chunk.to_string());
    }
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let skip = lines.len().saturating_sub(count);
    lines.into_iter().skip(skip).collect()
}

/// The command of the service's Docker healthcheck, for selkie to run itself.
fn healthcheck_command(want: &Desired) -> Option<Vec<String>> {
    let test = want.body.healthcheck.as_ref()?.test.as_ref()?;
    super::ready::command(test)
}

/// A container counts as up only after running this long without a restart.
const STABLE: Duration = Duration::from_secs(2);

async fn tcp_ready(addr: SocketAddr, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// Wait for one service: running, its healthcheck healthy (if any), its probe answering. A
/// container this run started (`fresh`) must also stay up for a moment, to catch a crash at start.
pub async fn wait(
    docker: &Docker,
    want: &Desired,
    fresh: bool,
    timeout: Duration,
) -> Result<(), Failure> {
    let deadline = Instant::now() + timeout;
    let mut running_since: Option<Instant> = None;
    loop {
        let last_reason: String;
        let inspect = docker
            .inspect_container(
                &want.container,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await;
        let mut state_text = String::from("missing");
        let mut health_log = Vec::new();
        let mut gave_up = false;
        if let Ok(info) = inspect {
            let restarts = info.restart_count.unwrap_or(0);
            let state = info.state.unwrap_or_default();
            let status = state.status.map(|s| s.to_string()).unwrap_or_default();
            let health = state.health.unwrap_or_default();
            health_log = health
                .log
                .unwrap_or_default()
                .iter()
                .rev()
                .take(3)
                .rev()
                .map(|r| {
                    format!(
                        "exit {}: {}",
                        r.exit_code.unwrap_or(-1),
                        r.output.clone().unwrap_or_default().trim()
                    )
                })
                .collect();
            let health_status = health.status;
            state_text = match (&health_status, state.exit_code) {
                (Some(h), _) if !matches!(h, HealthStatusEnum::EMPTY | HealthStatusEnum::NONE) => {
                    format!("{status}, {h}")
                }
                (_, Some(code)) if status == "exited" => format!("exited ({code})"),
                _ => status.clone(),
            };
            let running = state.running.unwrap_or(false) && !state.restarting.unwrap_or(false);
            // Docker's first check comes only after its interval: while it says `starting`,
            // selkie runs the same command itself.
            let healthy = !want.has_healthcheck
                || health_status == Some(HealthStatusEnum::HEALTHY)
                || (running
                    && health_status == Some(HealthStatusEnum::STARTING)
                    && match healthcheck_command(want) {
                        Some(cmd) => super::ready::passes(docker, &want.container, &cmd).await,
                        None => false,
                    });
            if running {
                running_since.get_or_insert_with(Instant::now);
            } else {
                running_since = None;
            }
            let stable = !fresh || running_since.is_some_and(|t| t.elapsed() >= STABLE);
            if running && healthy {
                let probe = Duration::from_secs(2);
                let waiting_for = if let Some(addr) = want.http_probe {
                    (!http_ready(addr, probe).await)
                        .then(|| format!("http://{addr}/ does not answer 200 yet"))
                } else if let Some(addr) = want.tcp_probe {
                    (!tcp_ready(addr, probe).await)
                        .then(|| format!("nothing accepts connections on {addr} yet"))
                } else {
                    None
                };
                match waiting_for {
                    Some(why) => last_reason = why,
                    None if stable => return Ok(()),
                    None => last_reason = "it has only just started".into(),
                }
            } else if health_status == Some(HealthStatusEnum::UNHEALTHY) {
                last_reason = "its healthcheck fails".into();
                gave_up = true;
            } else if status == "exited"
                || status == "dead"
                || state.restarting.unwrap_or(false)
                || restarts > 0
            {
                last_reason = "the container stopped".into();
                // Give the restart policy no second chance: a crash loop will not fix itself.
                gave_up = true;
            } else {
                last_reason = "it did not become healthy in time".into();
            }
        } else {
            last_reason = "the container does not exist".into();
        }
        if gave_up || Instant::now() >= deadline {
            return Err(Failure {
                service: want.service.clone(),
                container: want.container.clone(),
                state: state_text,
                health_log,
                logs: tail_logs(docker, &want.container, 30).await,
                reason: last_reason,
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
