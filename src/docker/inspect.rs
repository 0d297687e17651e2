//! What Docker says about the plan's containers, for `selkie status`: the daemon's version, one
//! container's state, health, restarts, start time and bridge address, and a CPU and memory
//! sample. Plain selkie types come out; judging them is `health`'s work.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use bollard::models::{ContainerStatsResponse, NetworkSettings};
use bollard::query_parameters::{InspectContainerOptions, StatsOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;

use crate::plan::NETWORK;

/// The daemon's version, or why it did not say within `timeout`.
pub async fn version(docker: &Docker, timeout: Duration) -> Result<String, String> {
    match tokio::time::timeout(timeout, docker.version()).await {
        Ok(Ok(v)) => Ok(v.version.unwrap_or_default()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {}s", timeout.as_secs())),
    }
}

/// One container as `docker inspect` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// `running`, `exited`, `restarting` ...
    pub state: String,
    /// The Docker healthcheck's verdict (`healthy`, `starting` ...), when the image has one.
    pub health: Option<String>,
    /// Running, and not restarting.
    pub running: bool,
    pub restarts: i64,
    /// When it started, as Docker reports it.
    pub started: Option<SystemTime>,
    /// Its address on the project's bridge network.
    pub ip: Option<IpAddr>,
}

/// A container's address on selkie's network, from its inspect answer; `None` before it has one.
pub fn network_ip(settings: Option<NetworkSettings>) -> Option<IpAddr> {
    settings?
        .networks?
        .get(NETWORK)?
        .ip_address
        .as_ref()?
        .parse()
        .ok()
}

/// The container named `name`; `None` when there is none (or Docker could not say).
pub async fn container(docker: &Docker, name: &str) -> Option<Container> {
    let info = docker
        .inspect_container(name, None::<InspectContainerOptions>)
        .await
        .ok()?;
    let state = info.state.unwrap_or_default();
    let health = state
        .health
        .as_ref()
        .and_then(|h| h.status)
        .map(|h| h.to_string())
        .filter(|h| !h.is_empty() && h != "none");
    let ip = network_ip(info.network_settings);
    Some(Container {
        state: state.status.map(|s| s.to_string()).unwrap_or_default(),
        health,
        running: state.running.unwrap_or(false) && !state.restarting.unwrap_or(false),
        restarts: info.restart_count.unwrap_or(0),
        started: state
            .started_at
            .as_deref()
            .and_then(crate::utc::parse_rfc3339),
        ip,
    })
}

/// CPU time used so far, in nanoseconds: by the container, and by the whole host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuCounters {
    pub container: u64,
    pub system: u64,
}

/// One reading of a container's resources.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub cpu: Option<CpuCounters>,
    /// Docker's reading a moment before `cpu`; none in an instant sample.
    pub cpu_before: Option<CpuCounters>,
    /// How many CPUs the container may use.
    pub online_cpus: u32,
    /// Memory in use, without the page cache (as `docker stats` counts it).
    pub memory_bytes: Option<u64>,
}

/// A resource sample of the container named `name` within `timeout`: an instant one, or Docker's
/// two-sample reading (CPU over about a second, so `cpu_before` is set).
pub async fn sample(
    docker: &Docker,
    name: &str,
    instant: bool,
    timeout: Duration,
) -> Option<Sample> {
    let options = StatsOptionsBuilder::default()
        .stream(false)
        .one_shot(instant)
        .build();
    let mut stream = docker.stats(name, Some(options));
    let stats = tokio::time::timeout(timeout, stream.next())
        .await
        .ok()??
        .ok()?;
    Some(Sample {
        cpu: counters(stats.cpu_stats.as_ref()),
        cpu_before: counters(stats.precpu_stats.as_ref()),
        online_cpus: stats
            .cpu_stats
            .as_ref()
            .and_then(|c| c.online_cpus)
            .unwrap_or(1),
        memory_bytes: memory_bytes(&stats),
    })
}

fn counters(cpu: Option<&bollard::models::ContainerCpuStats>) -> Option<CpuCounters> {
    let cpu = cpu?;
    Some(CpuCounters {
        container: cpu.cpu_usage.as_ref()?.total_usage?,
        system: cpu.system_cpu_usage?,
    })
}

fn memory_bytes(stats: &ContainerStatsResponse) -> Option<u64> {
    let mem = stats.memory_stats.as_ref()?;
    let usage = mem.usage?;
    // Page cache counts as usage in the raw figure; `docker stats` subtracts it too.
    let cache = mem
        .stats
        .as_ref()
        .and_then(|s| {
            s.get("inactive_file")
                .or_else(|| s.get("total_inactive_file"))
        })
        .copied()
        .unwrap_or(0);
    Some(usage.saturating_sub(cache))
}
