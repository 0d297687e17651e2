//! The containers of the plan as Docker reports them: state, health, restarts, uptime, CPU, memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

use super::{ServiceState, Status};
use crate::plan::Plan;
use crate::render::compose::NETWORK;

/// What Docker said about one container, before stats.
pub struct Inspected {
    /// What Docker said, without CPU and memory.
    pub state: ServiceState,
    ip: Option<IpAddr>,
}

/// Seconds since the epoch of an RFC 3339 UTC time such as `2026-11-21T23:37:30.264547110Z`.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let (date, time) = text.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.trim_end_matches('Z');
    let time = time.split(['.', '+']).next()?;
    let mut t = time.split(':').map(|p| p.parse::<i64>());
    let (hh, mm, ss) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    // Days from civil date (Howard Hinnant's algorithm), the inverse of state::timestamp.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

fn cpu_percent(stats: &ContainerStatsResponse) -> Option<f64> {
    let now = stats.cpu_stats.as_ref()?;
    let before = stats.precpu_stats.as_ref()?;
    let used = now.cpu_usage.as_ref()?.total_usage? as f64
        - before.cpu_usage.as_ref()?.total_usage? as f64;
    let system = now.system_cpu_usage? as f64 - before.system_cpu_usage? as f64;
    let cpus = f64::from(now.online_cpus.unwrap_or(1));
    (system > 0.0 && used >= 0.0).then(|| used / system * cpus * 100.0)
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

async fn inspect(docker: &Docker, service: &str, container: String) -> Inspected {
    let missing = ServiceState {
        service: service.into(),
        container: container.clone(),
        state: "missing".into(),
        health: None,
        restarts: 0,
        uptime: None,
        cpu_percent: None,
        memory_bytes: None,
        status: Status::Down,
    };
    let Ok(info) = docker
        .inspect_container(
            &container,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
    else {
        return Inspected {
            state: missing,
            ip: None,
        };
    };
    let state = info.state.clone().unwrap_or_default();
    let status_word = state.status.map(|s| s.to_string()).unwrap_or_default();
    let health = state
        .health
        .as_ref()
        .and_then(|h| h.status)
        .map(|h| h.to_string())
        .filter(|h| !h.is_empty() && h != "none");
    let running = state.running.unwrap_or(false) && !state.restarting.unwrap_or(false);
    let status = match (running, health.as_deref()) {
        (true, None | Some("healthy")) => Status::Healthy,
        (true, Some("starting")) => Status::Degraded,
        _ => Status::Down,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let uptime = running
        .then(|| state.started_at.as_deref().and_then(parse_rfc3339))
        .flatten()
        .map(|started| Duration::from_secs(now.saturating_sub(started)));
    let ip = info
        .network_settings
        .and_then(|n| n.networks)
        .and_then(|n| n.get(NETWORK).cloned())
        .and_then(|e| e.ip_address)
        .and_then(|ip| ip.parse().ok());
    Inspected {
        state: ServiceState {
            state: status_word,
            health,
            restarts: info.restart_count.unwrap_or(0),
            uptime,
            status,
            ..missing
        },
        ip,
    }
}

/// Every planned service's container in plan order, and the bridge addresses of the running
/// ones (for probes of internal ports). Fast: no stats yet.
pub async fn inspect_all(
    docker: &Docker,
    plan: &Plan,
) -> (Vec<Inspected>, HashMap<String, IpAddr>) {
    let inspected = futures_util::future::join_all(
        plan.services
            .iter()
            .map(|s| inspect(docker, s.name.as_str(), s.container_name())),
    )
    .await;
    let ips = inspected
        .iter()
        .filter_map(|i| Some((i.state.service.clone(), i.ip?)))
        .collect();
    (inspected, ips)
}

/// Add CPU and memory to the running ones; takes about a second (Docker samples twice).
/// CPU counters from the previous round, by container, so the dashboard can ask Docker for an
/// instant sample instead of waiting for its two-sample reading every round.
pub type CpuHistory = HashMap<String, (u64, u64)>;

fn counters(stats: &ContainerStatsResponse) -> Option<(u64, u64)> {
    let cpu = stats.cpu_stats.as_ref()?;
    Some((cpu.cpu_usage.as_ref()?.total_usage?, cpu.system_cpu_usage?))
}

/// Add CPU and memory to the running ones, within `timeout`. With a history (the dashboard),
/// one instant sample each and CPU from the previous round; without (`--once`), Docker's own
/// two-sample reading, which takes it about a second or two.
pub async fn with_stats(
    docker: &Docker,
    inspected: Vec<Inspected>,
    timeout: Duration,
    mut history: Option<&mut CpuHistory>,
) -> Vec<ServiceState> {
    let one_shot = history.is_some();
    let stats = futures_util::future::join_all(inspected.iter().map(|i| async move {
        if i.state.status == Status::Down {
            return None;
        }
        let options = StatsOptionsBuilder::default()
            .stream(false)
            .one_shot(one_shot)
            .build();
        let mut stream = docker.stats(&i.state.container, Some(options));
        tokio::time::timeout(timeout, stream.next())
            .await
            .ok()
            .flatten()
            .and_then(Result::ok)
    }))
    .await;
    inspected
        .into_iter()
        .zip(stats)
        .map(|(i, s)| {
            let cpu = match (history.as_deref_mut(), s.as_ref()) {
                (Some(h), Some(stats)) => {
                    let now = counters(stats);
                    let before = h.get(&i.state.container).copied();
                    if let Some(now) = now {
                        h.insert(i.state.container.clone(), now);
                    }
                    match (before, now) {
                        (Some((u0, s0)), Some((u1, s1))) if s1 > s0 && u1 >= u0 => {
                            let cpus = stats
                                .cpu_stats
                                .as_ref()
                                .and_then(|c| c.online_cpus)
                                .unwrap_or(1);
                            Some((u1 - u0) as f64 / (s1 - s0) as f64 * f64::from(cpus) * 100.0)
                        }
                        _ => None,
                    }
                }
                (None, Some(stats)) => cpu_percent(stats),
                _ => None,
            };
            ServiceState {
                cpu_percent: cpu,
                memory_bytes: s.as_ref().and_then(memory_bytes),
                ..i.state
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_rfc3339;

    #[test]
    fn docker_times_parse() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-11-21T23:01:02.264547110Z"),
            Some(1_795_302_062)
        );
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
