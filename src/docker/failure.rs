//! How a service failed to become healthy, with what the operator needs to see why: its state,
//! its last healthcheck results and its last log lines.

use bollard::query_parameters::LogsOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

use std::time::SystemTime;

use super::spec::Desired;
use super::wait::Seen;
use crate::utc::parse_rfc3339_exact;

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
        let logs = failed_run_logs(docker, &want.container, &seen).await;
        Failure {
            service: want.service.clone(),
            container: want.container.clone(),
            state: seen.text,
            health_log: seen.health_log,
            logs,
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

/// The last lines of the run that failed. A crash-looping container may already be in its next
/// run, whose first lines would hide how the last one ended: when it has stopped or restarted,
/// only what it logged up to its last exit counts.
async fn failed_run_logs(docker: &Docker, container: &str, seen: &Seen) -> Vec<String> {
    let stopped = !seen.running || seen.restarting || seen.restart_count > 0;
    let Some(until) = seen.finished_at.as_deref().filter(|_| stopped) else {
        return tail_logs(docker, container, LOG_LINES).await;
    };
    let Some(until) = parse_rfc3339_exact(until) else {
        return tail_logs(docker, container, LOG_LINES).await;
    };
    // Enough of the newest lines to hold the failed run's end behind a next run's start.
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .timestamps(true)
        .tail(&(LOG_LINES * 40).to_string())
        .build();
    let text = collect(docker.logs(container, Some(options))).await;
    up_to(&text, until, LOG_LINES)
}

/// The last `count` lines of timestamped log `text` logged no later than `until`, without their
/// timestamps.
fn up_to(text: &str, until: SystemTime, count: usize) -> Vec<String> {
    let lines: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let (stamp, rest) = line.split_once(' ')?;
            (parse_rfc3339_exact(stamp)? <= until).then(|| rest.to_string())
        })
        .collect();
    let skip = lines.len().saturating_sub(count);
    lines.into_iter().skip(skip).collect()
}

async fn collect<S, E>(mut stream: S) -> String
where
    S: futures_util::Stream<Item = Result<bollard::container::LogOutput, E>> + Unpin,
{
    let mut text = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        text.push_str(&chunk.to_string());
    }
    text
}

/// The last `count` lines a container logged (stdout and stderr).
pub async fn tail_logs(docker: &Docker, container: &str, count: usize) -> Vec<String> {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(&count.to_string())
        .build();
    let text = collect(docker.logs(container, Some(options))).await;
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let skip = lines.len().saturating_sub(count);
    lines.into_iter().skip(skip).collect()
}

#[cfg(test)]
mod tests {
    use super::up_to;
    use crate::utc::parse_rfc3339_exact as instant;

    #[test]
    fn times_order_whatever_the_length_of_their_fraction() {
        let a = instant("2026-11-30T11:10:01.5Z").unwrap();
        let b = instant("2026-11-30T11:10:01.400000000Z").unwrap();
        let c = instant("2026-11-30T11:10:02Z").unwrap();
        assert!(b < a && a < c);
        assert_eq!(
            instant("2026-11-30T12:10:01.5+01:00"),
            instant("2026-11-30T11:10:01.5Z")
        );
        assert_eq!(instant("yesterday"), None);
    }

    #[test]
    fn a_restarted_containers_next_run_is_cut_off_at_the_last_exit() {
        let log = "2026-11-30T11:10:01.100000000Z run 1 line 1\n\
                   2026-11-30T11:10:01.200000000Z run 1 line 2\n\
                   2026-11-30T11:10:01.300000000Z run 1 line 3\n\
                   2026-11-30T11:10:01.600000000Z run 2 line 1\n";
        let exit = instant("2026-11-30T11:10:01.35Z").unwrap();
        assert_eq!(up_to(log, exit, 2), ["run 1 line 2", "run 1 line 3"]);
        assert_eq!(up_to(log, exit, 30).len(), 3);
    }
}
