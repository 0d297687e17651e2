//! How a service failed to become healthy, with what the operator needs to see why: its state,
//! its last healthcheck results and its last log lines.

use bollard::query_parameters::LogsOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

use super::spec::Desired;
use super::wait::Seen;

/// How many log lines a failure report shows.
const LOG_LINES: usize = 30;

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
    /// The failure of `want`, last seen as `seen` (`None`: it does not exist), with its logs.
    pub async fn of(docker: &Docker, want: &Desired, seen: Option<Seen>, reason: String) -> Self {
        let seen = seen.unwrap_or_else(|| Seen {
            text: "missing".into(),
            ..Seen::default()
        });
        Failure {
            service: want.service.clone(),
            container: want.container.clone(),
            state: seen.text,
            health_log: seen.health_log,
            logs: tail_logs(docker, &want.container, LOG_LINES).await,
            reason,
        }
    }

    /// A service that was not started because `dependency`, which it needs, is not healthy.
    pub fn not_started(want: &Desired, dependency: &str) -> Self {
        Failure {
            service: want.service.clone(),
            container: want.container.clone(),
            state: "not started".into(),
            health_log: Vec::new(),
            logs: Vec::new(),
            reason: format!("it depends on {dependency}, which is not healthy"),
        }
    }

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
        if self.logs.is_empty() && self.state == "not started" {
            return out;
        }
        out.push_str(&format!("  last {} log lines:\n", self.logs.len()));
        for line in &self.logs {
            out.push_str(&format!("    | {line}\n"));
        }
        out
    }
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
