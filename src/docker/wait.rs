//! Waiting until a service is healthy, and saying precisely why one is not.
//!
//! A service is *ready* once its container runs and selkie's own checks pass: the image's
//! healthcheck command (run by selkie as soon as the container runs, not on Docker's schedule),
//! LiveKit's `GET /`, the proxy's HTTPS port, an app's own port at its address on selkie's
//! network or its health path (an app without a healthcheck; [`Probe`]). Services that depend
//! on it may start then. A container this run started is *healthy* only once it has also run
//! for [`STABLE`] without stopping or being restarted: that catches a program that crashes
//! right after it starts.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bollard::models::{ContainerInspectResponse, HealthStatusEnum};
use bollard::Docker;

pub use super::failure::{tail_logs, Failure};
use super::spec::{Desired, Probe};
use crate::plan::NETWORK;

/// How long a container this run started must keep running, counted from its start, before it
/// counts as healthy. A program that cannot start (bad configuration, a port in use, a missing
/// file or peer) exits within milliseconds, and Docker shows it as exited or restarting from
/// that moment until its restart policy's first restart (100 ms later) bumps the restart count;
/// a crash later than this is not "at start" and is what `selkie status` watches for. Polling
/// every [`POLL`], a crash in the first second is seen; the window runs while the services that
/// depend on this one start, so it delays the end of a run once, not once per dependency level.
pub const STABLE: Duration = Duration::from_secs(1);

/// How often a container's state is read while waiting.
const POLL: Duration = Duration::from_millis(50);

/// How long one probe of LiveKit's `GET /`, an app's port or the proxy's port may take.
const PROBE: Duration = Duration::from_secs(2);

/// `url` answers 200: LiveKit's readiness at `GET /` (406 means up but not ready), an app's
/// health path.
async fn http_ready(url: &str, timeout: Duration) -> bool {
    let Ok(client) = crate::http::client(timeout) else {
        return false;
    };
    let answer = client.get(url).send().await;
    matches!(answer, Ok(r) if r.status().as_u16() == 200)
}

async fn tcp_ready(addr: SocketAddr, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// What one look at a container found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Docker's status: `running`, `exited`, `restarting`, `created` …
    pub status: String,
    /// Running and not being restarted.
    pub running: bool,
    pub restarting: bool,
    pub restart_count: i64,
    pub health: Option<HealthStatusEnum>,
    /// `running, healthy`, `exited (3)` …: the state as the operator reads it.
    pub text: String,
    /// The last three healthcheck results, newest last.
    pub health_log: Vec<String>,
    /// When its last run ended (Docker's `FinishedAt`), if it ever ended.
    pub finished_at: Option<String>,
    /// Its address on selkie's network, once it has one.
    pub ip: Option<IpAddr>,
}

impl Seen {
    fn from_inspect(info: ContainerInspectResponse) -> Seen {
        let state = info.state.unwrap_or_default();
        let status = state.status.map(|s| s.to_string()).unwrap_or_default();
        let health = state.health.unwrap_or_default();
        let log = health.log.unwrap_or_default();
        let health_log = log[log.len().saturating_sub(3)..]
            .iter()
            .map(|r| {
                format!(
                    "exit {}: {}",
                    r.exit_code.unwrap_or(-1),
                    r.output.clone().unwrap_or_default().trim()
                )
            })
            .collect();
        let text = match (&health.status, state.exit_code) {
            (Some(h), _) if !matches!(h, HealthStatusEnum::EMPTY | HealthStatusEnum::NONE) => {
                format!("{status}, {h}")
            }
            (_, Some(code)) if status == "exited" => format!("exited ({code})"),
            _ => status.clone(),
        };
        let restarting = state.restarting.unwrap_or(false);
        let ip = super::inspect::network_ip(info.network_settings);
        // Docker gives the zero time for a container that never stopped.
        let finished_at = state.finished_at.filter(|t| !t.starts_with("0001-"));
        Seen {
            finished_at,
            ip,
            running: state.running.unwrap_or(false) && !restarting,
            restarting,
            restart_count: info.restart_count.unwrap_or(0),
            health: health.status,
            status,
            text,
            health_log,
        }
    }
}

/// What the waiting makes of one look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Keep waiting, for this reason (reported if time runs out).
    Waiting(String),
    /// Running and its checks pass: dependents may start.
    Ready,
    /// Ready, and stable if this run started it: done.
    Healthy,
    /// It will not become healthy by waiting.
    Failed(String),
}

/// Judges one look, without Docker. `fresh_since`: when this run started the container, with
/// its restart count then (`None` for a container left as it was); `checks`: why selkie's own
/// checks do not pass yet (`None` when they pass, or once they have passed).
pub fn judge(
    seen: &Seen,
    fresh_since: Option<(Instant, i64)>,
    checks: Option<String>,
    now: Instant,
) -> Verdict {
    let restarted = fresh_since.is_some_and(|(_, count)| seen.restart_count > count);
    if fresh_since.is_some() && (restarted || seen.restarting) {
        // Give the restart policy no second chance: a crash loop will not fix itself.
        return Verdict::Failed("the container stopped".into());
    }
    if seen.running {
        if seen.health == Some(HealthStatusEnum::UNHEALTHY) {
            return Verdict::Failed("its healthcheck fails".into());
        }
        return match (checks, fresh_since) {
            (Some(why), _) => Verdict::Waiting(why),
            (None, Some((started, _))) if now.duration_since(started) < STABLE => Verdict::Ready,
            (None, _) => Verdict::Healthy,
        };
    }
    if seen.health == Some(HealthStatusEnum::UNHEALTHY) {
        Verdict::Failed("its healthcheck fails".into())
    } else if matches!(seen.status.as_str(), "exited" | "dead")
        || seen.restarting
        || seen.restart_count > 0
    {
        Verdict::Failed("the container stopped".into())
    } else {
        Verdict::Waiting("it did not become healthy in time".into())
    }
}

/// Why selkie's own checks of a running container do not pass yet; `None` when they pass.
async fn checks(docker: &Docker, want: &Desired, seen: &Seen) -> Option<String> {
    // Docker's first check comes only after its interval: while it says `starting`, selkie
    // runs the same command itself.
    let healthy = !want.has_healthcheck
        || seen.health == Some(HealthStatusEnum::HEALTHY)
        || (seen.health == Some(HealthStatusEnum::STARTING)
            && match healthcheck_command(want) {
                Some(cmd) => super::ready::passes(docker, &want.container, &cmd).await,
                None => false,
            });
    if !healthy {
        return Some("it did not become healthy in time".into());
    }
    match &want.probe {
        Some(Probe::Http(url)) if !http_ready(url, PROBE).await => {
            Some(format!("{url} does not answer 200 yet"))
        }
        Some(Probe::Tcp(addr)) if !tcp_ready(*addr, PROBE).await => {
            Some(format!("nothing accepts connections on {addr} yet"))
        }
        Some(Probe::OwnPort(port)) => match seen.ip {
            None => Some(format!("it has no address on the {NETWORK} network yet")),
            Some(ip) if !tcp_ready(SocketAddr::from((ip, *port)), PROBE).await => Some(format!(
                "nothing accepts connections on its port {port} ({ip}:{port}) yet"
            )),
            Some(_) => None,
        },
        _ => None,
    }
}

/// The command of the service's Docker healthcheck, for selkie to run itself.
fn healthcheck_command(want: &Desired) -> Option<Vec<String>> {
    let test = want.body.healthcheck.as_ref()?.test.as_ref()?;
    super::ready::command(test)
}

async fn look(docker: &Docker, container: &str) -> Option<Seen> {
    docker
        .inspect_container(
            container,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .ok()
        .map(Seen::from_inspect)
}

/// A container this run started: when, and its restart count then (`None`: read at the first
/// look, for a container that existed before).
#[derive(Debug, Clone, Copy)]
pub struct Started {
    pub at: Instant,
    pub restarts: Option<i64>,
}

/// Wait for one service until it is healthy; `on_ready` is called once, as soon as it is
/// ready. `started`: set when this run started its container (`None` when it was left running).
pub async fn wait(
    docker: &Docker,
    want: &Desired,
    mut started: Option<Started>,
    timeout: Duration,
    mut on_ready: impl FnMut(),
) -> Result<(), Failure> {
    let deadline = Instant::now() + timeout;
    let mut passed = false;
    loop {
        let seen = look(docker, &want.container).await;
        let verdict = match &seen {
            None => Verdict::Waiting("the container does not exist".into()),
            Some(seen) => {
                let fresh = started
                    .as_mut()
                    .map(|s| (s.at, *s.restarts.get_or_insert(seen.restart_count)));
                let why = match passed || !seen.running {
                    true => None,
                    false => checks(docker, want, seen).await,
                };
                judge(seen, fresh, why, Instant::now())
            }
        };
        match verdict {
            Verdict::Healthy | Verdict::Ready if !passed => {
                passed = true;
                on_ready();
            }
            _ => {}
        }
        match verdict {
            Verdict::Healthy => return Ok(()),
            Verdict::Ready => {}
            Verdict::Waiting(_) if Instant::now() < deadline => {}
            Verdict::Waiting(why) | Verdict::Failed(why) => {
                return Err(Failure::of(docker, want, seen, why).await)
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(status: &str, restart_count: i64) -> Seen {
        Seen {
            status: status.into(),
            running: status == "running",
            restarting: status == "restarting",
            restart_count,
            text: status.into(),
            ..Seen::default()
        }
    }

    #[test]
    fn a_container_that_crash_loops_right_after_start_fails_even_after_its_checks_passed() {
        let start = Instant::now();
        let fresh = Some((start, 0));
        let soon = start + Duration::from_millis(150);
        // It runs and answers at first: dependents may start, but it is not healthy yet.
        assert_eq!(
            judge(&seen("running", 0), fresh, None, soon),
            Verdict::Ready
        );
        // Then it exits and Docker's restart policy takes over: seen restarting, or running
        // again with a higher restart count.
        let stopped = Verdict::Failed("the container stopped".into());
        assert_eq!(judge(&seen("restarting", 0), fresh, None, soon), stopped);
        assert_eq!(judge(&seen("exited", 1), fresh, None, soon), stopped);
        let later = start + STABLE * 3;
        assert_eq!(judge(&seen("running", 1), fresh, None, later), stopped);
        // One that keeps running for the window is healthy.
        assert_eq!(
            judge(&seen("running", 0), fresh, None, start + STABLE),
            Verdict::Healthy
        );
    }

    #[test]
    fn a_container_left_running_is_judged_by_its_state_and_checks_alone() {
        let now = Instant::now();
        // Restarted once, long ago, and running now: healthy, no window.
        assert_eq!(
            judge(&seen("running", 3), None, None, now),
            Verdict::Healthy
        );
        let waiting = judge(&seen("running", 0), None, Some("probe".into()), now);
        assert_eq!(waiting, Verdict::Waiting("probe".into()));
        let mut unhealthy = seen("running", 0);
        unhealthy.health = Some(HealthStatusEnum::UNHEALTHY);
        assert_eq!(
            judge(&unhealthy, None, None, now),
            Verdict::Failed("its healthcheck fails".into())
        );
        assert_eq!(
            judge(&seen("restarting", 3), None, None, now),
            Verdict::Failed("the container stopped".into())
        );
    }

    #[test]
    fn a_started_container_counts_restarts_from_its_own_start() {
        let start = Instant::now();
        // Started again by this run with two restarts from before: those do not count.
        let fresh = Some((start, 2));
        assert_eq!(
            judge(&seen("running", 2), fresh, None, start + STABLE),
            Verdict::Healthy
        );
        // Created, not running yet: keep waiting.
        assert!(matches!(
            judge(&seen("created", 0), Some((start, 0)), None, start),
            Verdict::Waiting(_)
        ));
        // Checks that do not pass yet hold a fresh container too.
        assert_eq!(
            judge(
                &seen("running", 0),
                Some((start, 0)),
                Some("no".into()),
                start
            ),
            Verdict::Waiting("no".into())
        );
    }
}
