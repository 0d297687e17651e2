//! The containers of the plan as Docker reports them (`docker::inspect`), judged: state, health,
//! restarts, uptime, CPU, memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use super::{ServiceState, Status};
use crate::docker::inspect::{self, CpuCounters, Sample};
use crate::docker::ready;
use crate::docker::Docker;
use crate::plan::Plan;

/// What Docker said about one container, before stats.
pub struct Inspected {
    /// What Docker said, without CPU and memory.
    pub state: ServiceState,
    ip: Option<IpAddr>,
}

/// How a container is doing: up when it runs and its healthcheck (if any) passes, degraded while
/// Docker's healthcheck is still starting ([`inspect_all`] then runs the command itself).
fn judge(service: &str, container: String, seen: Option<inspect::Container>) -> Inspected {
    let missing = ServiceState {
        service: service.into(),
        container,
        state: "missing".into(),
        health: None,
        restarts: 0,
        uptime: None,
        cpu_percent: None,
        memory_bytes: None,
        status: Status::Down,
    };
    let Some(c) = seen else {
        return Inspected {
            state: missing,
            ip: None,
        };
    };
    let status = match (c.running, c.health.as_deref()) {
        (true, None | Some("healthy")) => Status::Healthy,
        (true, Some("starting")) => Status::Degraded,
        _ => Status::Down,
    };
    let now = SystemTime::now();
    let uptime = c
        .started
        .filter(|_| c.running)
        .map(|started| now.duration_since(started).unwrap_or(Duration::ZERO));
    Inspected {
        state: ServiceState {
            state: c.state,
            health: c.health,
            restarts: c.restarts,
            uptime,
            status,
            ..missing
        },
        ip: c.ip,
    }
}

/// The health shown for a container whose first Docker healthcheck is still to come (Docker
/// says `starting` for one interval after each start) when selkie ran the same command in it and
/// it passed, as setup does before it calls a service ready.
pub const PASSING: &str = "passing";

/// Every planned service's container in plan order, and the bridge addresses of the running
/// ones (for probes of internal ports). Fast: no stats yet. While Docker's first healthcheck is
/// pending, the service's healthcheck command runs once, within `timeout`: setup has just called
/// the service healthy on that command, so status does not show it degraded for five seconds.
pub async fn inspect_all(
    docker: &Docker,
    plan: &Plan,
    timeout: Duration,
) -> (Vec<Inspected>, HashMap<String, IpAddr>) {
    let inspected = futures_util::future::join_all(plan.services.iter().map(|s| async move {
        let name = s.container_name();
        let seen = inspect::container(docker, &name).await;
        let mut judged = judge(s.name.as_str(), name, seen);
        let state = &mut judged.state;
        if state.status == Status::Degraded && !s.healthcheck.is_empty() {
            let check = ready::passes(docker, &state.container, &s.healthcheck);
            if tokio::time::timeout(timeout, check).await == Ok(true) {
                state.health = Some(PASSING.into());
                state.status = Status::Healthy;
            }
        }
        judged
    }))
    .await;
    let ips = inspected
        .iter()
        .filter_map(|i| Some((i.state.service.clone(), i.ip?)))
        .collect();
    (inspected, ips)
}

/// CPU counters from the previous round, by container, so the dashboard can ask Docker for an
/// instant sample instead of waiting for its two-sample reading every round.
pub type CpuHistory = HashMap<String, CpuCounters>;

/// CPU use between two readings, in percent of one CPU (so up to `cpus` x 100).
fn cpu_percent(before: CpuCounters, now: CpuCounters, cpus: u32) -> Option<f64> {
    (now.system > before.system && now.container >= before.container).then(|| {
        (now.container - before.container) as f64 / (now.system - before.system) as f64
            * f64::from(cpus)
            * 100.0
    })
}

/// CPU from a sample: against the previous round's counters when there is a history (which
/// then keeps this round's), else against Docker's own earlier reading.
fn cpu_of(container: &str, sample: &Sample, history: Option<&mut CpuHistory>) -> Option<f64> {
    let now = sample.cpu?;
    let before = match history {
        Some(h) => h.insert(container.to_string(), now)?,
        None => sample.cpu_before?,
    };
    cpu_percent(before, now, sample.online_cpus)
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
    let instant = history.is_some();
    let samples = futures_util::future::join_all(inspected.iter().map(|i| async move {
        if i.state.status == Status::Down {
            return None;
        }
        inspect::sample(docker, &i.state.container, instant, timeout).await
    }))
    .await;
    inspected
        .into_iter()
        .zip(samples)
        .map(|(i, sample)| ServiceState {
            cpu_percent: sample
                .as_ref()
                .and_then(|s| cpu_of(&i.state.container, s, history.as_deref_mut())),
            memory_bytes: sample.and_then(|s| s.memory_bytes),
            ..i.state
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(container: u64, system: u64) -> CpuCounters {
        CpuCounters { container, system }
    }

    fn seen(running: bool, health: Option<&str>) -> inspect::Container {
        inspect::Container {
            state: if running { "running" } else { "exited" }.into(),
            health: health.map(str::to_string),
            running,
            restarts: 2,
            started: Some(SystemTime::now() - Duration::from_secs(90)),
            ip: Some(IpAddr::from([172, 18, 0, 3])),
        }
    }

    #[test]
    fn a_container_is_judged_by_running_and_its_healthcheck() {
        let status = |c| judge("livekit", "selkie-livekit".into(), c).state.status;
        assert_eq!(status(Some(seen(true, None))), Status::Healthy);
        assert_eq!(status(Some(seen(true, Some("healthy")))), Status::Healthy);
        assert_eq!(status(Some(seen(true, Some("starting")))), Status::Degraded);
        assert_eq!(status(Some(seen(true, Some("unhealthy")))), Status::Down);
        assert_eq!(status(Some(seen(false, None))), Status::Down);
        let missing = judge("livekit", "selkie-livekit".into(), None);
        assert_eq!(missing.state.state, "missing");
        assert_eq!(missing.state.status, Status::Down);
        let up = judge("livekit", "selkie-livekit".into(), Some(seen(true, None)));
        let uptime = up.state.uptime.unwrap().as_secs();
        assert!((90..100).contains(&uptime), "{uptime}");
        assert_eq!(up.state.restarts, 2);
        assert_eq!(up.ip, Some(IpAddr::from([172, 18, 0, 3])));
        let exited = judge("livekit", "selkie-livekit".into(), Some(seen(false, None)));
        assert_eq!(exited.state.uptime, None, "no uptime when not running");
    }

    #[test]
    fn cpu_is_the_containers_share_of_the_host_times_its_cpus() {
        assert_eq!(
            cpu_percent(counters(100, 1000), counters(150, 2000), 2),
            Some(10.0)
        );
        // Counters that went backwards (a restarted container) or a host that did not move.
        assert_eq!(
            cpu_percent(counters(150, 1000), counters(100, 2000), 2),
            None
        );
        assert_eq!(
            cpu_percent(counters(100, 1000), counters(150, 1000), 2),
            None
        );
    }

    #[test]
    fn with_a_history_cpu_is_measured_from_the_previous_round() {
        let sample = |now, before| Sample {
            cpu: Some(now),
            cpu_before: before,
            online_cpus: 1,
            memory_bytes: None,
        };
        let mut history = CpuHistory::new();
        let first = sample(counters(100, 1000), None);
        assert_eq!(
            cpu_of("c", &first, Some(&mut history)),
            None,
            "no round before"
        );
        let second = sample(counters(300, 2000), None);
        assert_eq!(cpu_of("c", &second, Some(&mut history)), Some(20.0));
        assert_eq!(history["c"], counters(300, 2000));
        // Without a history, Docker's earlier reading is the one before.
        let sampled = sample(counters(300, 2000), Some(counters(200, 1000)));
        assert_eq!(cpu_of("c", &sampled, None), Some(10.0));
    }
}
