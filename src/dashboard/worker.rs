//! The dashboard's workers: probe rounds on a timer and on Docker events, log tails, restarts.
//! They never touch the terminal: everything reaches the screen as a dashboard `Event`, and
//! worker errors also go to `logs/status.log` in the deployment directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, Notify};

use super::{Command, DashboardError, Event};
use crate::docker::live::{self, try_connect};
use crate::docker::{wait as docker_wait, Docker};
use crate::error::Result;
use crate::health::{self, DockerState};
use crate::plan::{Plan, PROJECT};

/// Append a line to the status log; the screen belongs to the dashboard. Never through a link.
fn log(path: &Path, line: &str) {
    let stamp = crate::utc::timestamp(std::time::SystemTime::now());
    let _ = crate::state::append_line(path, &format!("{stamp} {line}"));
}

/// A probe round every `interval`, and at once when Docker reports a change or the operator asks.
async fn probe_loop(
    plan: Arc<Plan>,
    events: mpsc::Sender<Event>,
    refresh: Arc<Notify>,
    interval: Duration,
    timeout: Duration,
    log_path: PathBuf,
) {
    // The connection kept from round to round, or why there is none.
    let mut docker: Result<Docker, String> = Err(String::new());
    let mut cpu = health::containers::CpuHistory::new();
    // Why Docker was unreachable at the last round: the log gets a line when that changes, not
    // one a round (a daemon down for a day would otherwise add one every few seconds).
    let mut unreachable: Option<String> = None;
    loop {
        let started = tokio::time::Instant::now();
        if docker.is_err() {
            docker = try_connect(timeout).await;
        }
        let snapshot = health::collect(
            &plan,
            docker.as_ref().map_err(String::as_str),
            PathBuf::from("/proc"),
            timeout,
            health::Stats::Instant(&mut cpu),
        )
        .await;
        match &snapshot.docker {
            DockerState::Unreachable { reason } => {
                if unreachable.as_ref() != Some(reason) {
                    log(&log_path, &format!("docker unreachable: {reason}"));
                    unreachable = Some(reason.clone());
                }
                // Reconnect next round: the daemon may be restarting.
                docker = Err(reason.clone());
            }
            DockerState::Connected { .. } => {
                if unreachable.take().is_some() {
                    log(&log_path, "docker reachable again");
                }
            }
        }
        if events
            .send(Event::Snapshot(Box::new(snapshot)))
            .await
            .is_err()
        {
            return;
        }
        // Every `interval` from the start of a round, not after it: the round itself takes time.
        tokio::select! {
            _ = tokio::time::sleep_until(started + interval) => {}
            _ = refresh.notified() => {}
        }
    }
}

/// Docker's event stream for the project's containers; reconnects when it ends.
async fn watch_docker(events: mpsc::Sender<Event>, refresh: Arc<Notify>, log_path: PathBuf) {
    loop {
        if let Ok(docker) = try_connect(Duration::from_secs(2)).await {
            let mut stream = std::pin::pin!(live::events(&docker));
            while let Some(item) = stream.next().await {
                match item {
                    Ok(_) => {
                        refresh.notify_one();
                        if events.send(Event::DockerChanged).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        log(&log_path, &format!("docker events ended: {e}"));
                        break;
                    }
                }
            }
        }
        if events.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Carry out what the operator asked for on the dashboard.
async fn handle_commands(
    dir: PathBuf,
    plan: Arc<Plan>,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    refresh: Arc<Notify>,
    log_path: PathBuf,
) {
    let container = |service: &str| {
        plan.service(&crate::role::Role::from_name(service))
            .map(|s| s.container_name())
            .unwrap_or_else(|| format!("{PROJECT}-{service}"))
    };
    while let Some(command) = commands.recv().await {
        let event = match command {
            Command::FetchLogs(service) => {
                let lines = match try_connect(Duration::from_secs(2)).await {
                    Ok(d) => docker_wait::tail_logs(&d, &container(&service), 200).await,
                    Err(why) => vec![format!("No logs right now: {why}")],
                };
                Event::Logs { service, lines }
            }
            Command::Restart(service) => {
                let result = match try_connect(Duration::from_secs(2)).await {
                    Ok(d) => live::restart(&d, &container(&service)).await,
                    Err(why) => Err(why),
                };
                if let Err(e) = &result {
                    log(&log_path, &format!("restart of {service} failed: {e}"));
                }
                refresh.notify_one();
                Event::Restarted { service, result }
            }
            Command::Check => {
                let (dir, plan, events) = (dir.clone(), Arc::clone(&plan), events.clone());
                tokio::spawn(async move {
                    let report = crate::check::server::check(&dir, &plan)
                        .await
                        .map_err(|e| e.to_string());
                    let _ = events.send(Event::Checked(Box::new(report))).await;
                });
                continue;
            }
            Command::Refresh => {
                refresh.notify_one();
                continue;
            }
            Command::Quit => return,
        };
        if events.send(event).await.is_err() {
            return;
        }
    }
}

/// Run the live dashboard until the operator quits.
pub fn run(plan: Plan, dir: &Path, interval: Duration, timeout: Duration) -> Result<()> {
    let log_path = dir.join("logs").join("status.log");
    crate::setup::runtime()?.block_on(async move {
        let (events_tx, events_rx) = mpsc::channel(64);
        let (commands_tx, commands_rx) = mpsc::channel(16);
        let refresh = Arc::new(Notify::new());
        let plan = Arc::new(plan);
        let title = format!("{} at {}", plan.preset, plan.address);
        // Subscribed first: bollard's event stream is lazy, and a change during the first probe
        // round must still trigger a refresh.
        tokio::spawn(watch_docker(
            events_tx.clone(),
            refresh.clone(),
            log_path.clone(),
        ));
        tokio::spawn(probe_loop(
            plan.clone(),
            events_tx.clone(),
            refresh.clone(),
            interval,
            timeout,
            log_path.clone(),
        ));
        tokio::spawn(handle_commands(
            dir.to_path_buf(),
            plan,
            commands_rx,
            events_tx.clone(),
            refresh,
            log_path,
        ));
        super::run_terminal(title, events_rx, events_tx, commands_tx)
            .await
            .map_err(|source| DashboardError::Terminal { source }.into())
    })
}
