//! Live health: what to probe (`spec/`, derived from the plan, pure), running the probes
//! concurrently with their own timeouts (`probes/`), where public ports are judged from
//! (`vantage.rs`), why Caddy holds no certificate yet (`acme.rs`), the plan's containers as
//! Docker reports them (`containers.rs`, over `docker::inspect`), and the `Snapshot` that
//! `selkie status`, `--once`, `--json` and the dashboard all show.

pub mod acme;
pub mod containers;
pub mod probes;
pub mod spec;
pub mod vantage;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::docker::Docker;
use crate::plan::Plan;
use crate::role::Role;

use serde::Serialize;

pub use spec::{probes_for, Check, ProbeKind, Target};
pub use vantage::Vantage;

/// How a check or a service is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Works as planned.
    Healthy,
    /// Works, but something needs attention (TLS expiring soon, LiveKit "Not Ready", DNS elsewhere).
    Degraded,
    /// Does not work.
    Down,
    /// Cannot be told now (Docker unreachable, a UDP range idle between calls).
    Unknown,
}

impl Status {
    /// The word shown in tables.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
            Status::Down => "down",
            Status::Unknown => "unknown",
        }
    }
}

/// What one probe found: how the check is doing, why in a few words, and how long it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub status: Status,
    /// What the probe saw, in a few words (`OK`, `connection refused`, `expires in 9 days` …).
    pub message: String,
    /// How long the probe took, when it got an answer.
    #[serde(skip_serializing_if = "Option::is_none", with = "millis")]
    pub latency: Option<Duration>,
    /// What a failure is about, where that changes what to do (`--json` carries it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

/// What a failing check is about, where its fix is not the network's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The TLS server answered but holds no certificate for the name yet (Caddy before its CA
    /// issued one): status explains it from Caddy's log.
    NoCertificate,
}

impl Verdict {
    /// A result with no latency.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Verdict {
            status,
            message: message.into(),
            latency: None,
            cause: None,
        }
    }

    /// The same, about `cause`.
    pub fn because(self, cause: Cause) -> Self {
        Verdict {
            cause: Some(cause),
            ..self
        }
    }
}

/// One row of the ports panel: a check of the plan and what it found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    #[serde(flatten)]
    pub check: Check,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// One container of the plan as Docker reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceState {
    pub service: String,
    pub container: String,
    /// `running`, `exited`, `restarting`, or `missing` when there is no container.
    pub state: String,
    /// The Docker healthcheck's verdict, when the image has one: `starting`, `healthy`,
    /// `unhealthy`, or [`containers::PASSING`] while Docker's first check is still to come and
    /// selkie's own run of the same command passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    pub restarts: i64,
    #[serde(skip_serializing_if = "Option::is_none", with = "secs")]
    pub uptime: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    pub status: Status,
}

/// Whether the Docker daemon answered this round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum DockerState {
    Connected { version: String },
    Unreachable { reason: String },
}

/// Everything one probe round found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub docker: DockerState,
    /// Where public ports were probed from: the server's public address(es).
    pub judged_from: Vantage,
    pub services: Vec<ServiceState>,
    pub checks: Vec<CheckResult>,
}

impl Snapshot {
    /// Healthy when every required check and every service is healthy; the exit code of
    /// `selkie status --once` (0 when healthy, 1 otherwise) follows it.
    pub fn overall(&self) -> Status {
        let mut worst = Status::Healthy;
        if matches!(self.docker, DockerState::Unreachable { .. }) {
            return Status::Down;
        }
        for s in &self.services {
            worst = worst.max(match s.status {
                Status::Unknown => Status::Degraded,
                other => other,
            });
        }
        for c in self.checks.iter().filter(|c| c.check.required) {
            worst = worst.max(match c.verdict.status {
                // An idle UDP range between calls is normal, not a failure.
                Status::Unknown => Status::Healthy,
                other => other,
            });
        }
        worst
    }
}

/// How a probe round gets CPU and memory figures from Docker.
pub enum Stats<'a> {
    /// Docker's two-sample reading: CPU and memory, about two seconds (`status --once`).
    Sampled,
    /// One instant sample, CPU from the previous round's (the dashboard).
    Instant(&'a mut containers::CpuHistory),
    /// None: the round takes as long as its slowest probe (setup's closing table).
    Skip,
}

/// Services as they look when Docker cannot be asked.
fn unknown_services(plan: &Plan) -> Vec<ServiceState> {
    plan.services
        .iter()
        .map(|s| ServiceState {
            service: s.name.to_string(),
            container: s.container_name(),
            state: "unknown".into(),
            health: None,
            restarts: 0,
            uptime: None,
            cpu_percent: None,
            memory_bytes: None,
            status: Status::Unknown,
        })
        .collect()
}

/// One probe round: containers (when Docker answers) and every check of the plan, concurrently.
/// `docker`: the connection, or why there is none (shown as Docker's state). Each probe has
/// `timeout`, so the round takes about that long whatever is down.
pub async fn collect(
    plan: &Plan,
    docker: Result<&Docker, &str>,
    proc_dir: PathBuf,
    timeout: Duration,
    stats: Stats<'_>,
) -> Snapshot {
    let checks = probes_for(plan);
    let vantage = vantage::detect(plan);
    let ctx = probes::Context {
        container_ips: HashMap::new(),
        proc_dir,
        timeout,
        vantage: vantage.clone(),
        // Caddy (host networking) serves the CA of `tls internal` on its admin API.
        own_ca: (plan.web.internal_tls && plan.service(&Role::Proxy).is_some())
            .then_some(probes::CADDY_ADMIN),
        roots: Arc::clone(&probes::system_roots()),
    };
    let connected = match docker {
        Ok(d) => crate::docker::inspect::version(d, timeout)
            .await
            .map(|version| (d, version)),
        Err(why) => Err(why.to_string()),
    };
    match connected {
        Ok((d, version)) => {
            let (inspected, container_ips) = containers::inspect_all(d, plan, timeout).await;
            let ctx = probes::Context {
                container_ips,
                ..ctx
            };
            let (services, checks) = tokio::join!(
                async {
                    match stats {
                        Stats::Sampled => containers::with_stats(d, inspected, timeout, None).await,
                        Stats::Instant(history) => {
                            containers::with_stats(d, inspected, timeout, Some(history)).await
                        }
                        Stats::Skip => inspected.into_iter().map(|i| i.state).collect(),
                    }
                },
                async {
                    let mut results = probes::run_all(&checks, &ctx).await;
                    acme::explain_missing(d, plan, &mut results, timeout).await;
                    results
                }
            );
            Snapshot {
                docker: DockerState::Connected { version },
                judged_from: vantage,
                services,
                checks,
            }
        }
        Err(reason) => Snapshot {
            docker: DockerState::Unreachable { reason },
            judged_from: vantage,
            services: unknown_services(plan),
            checks: probes::run_all(&checks, &ctx).await,
        },
    }
}

mod millis {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_f64((d.as_secs_f64() * 10_000.0).round() / 10.0),
            None => s.serialize_none(),
        }
    }
}

mod secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_u64(d.as_secs()),
            None => s.serialize_none(),
        }
    }
}
