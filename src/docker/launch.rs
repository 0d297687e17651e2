//! Carrying out a converge's steps concurrently: every service starts as soon as the services it
//! depends on are ready ([`super::reconcile::gates`]), so independent services are created and
//! started together and the run waits out one dependency chain, not the sum of all services.
//! Among the services that need nothing, the head of the longest chain is started first
//! ([`super::reconcile::chain_below`]). A service whose dependency fails is not started, and is
//! reported with the reason.

use std::time::{Duration, Instant};

use bollard::query_parameters::{CreateContainerOptionsBuilder, StartContainerOptions};
use bollard::Docker;
use futures_util::future::{join_all, try_join_all};
use tokio::sync::watch;

use super::converge::{call, remove, Outcome};
use super::reconcile::{chain_below, gates, Change, Step};
use super::spec::Desired;
use super::wait::{self, Failure, Started};
use super::DockerError;

/// One service's step, its readiness to tell its dependents, and what it waits for.
struct Service<'a> {
    want: &'a Desired,
    step: &'a Step,
    /// Set to true once the service is ready; dropped without that when it failed.
    ready: watch::Sender<bool>,
    /// The dependencies it waits for, by name.
    after: Vec<(&'a str, watch::Receiver<bool>)>,
    /// Set once its start call returned (or it needed none); dropped when that call failed.
    started: watch::Sender<bool>,
    /// The services that need nothing and head a longer chain than this one: it is started
    /// after their start calls return (a container it replaces is removed meanwhile).
    behind: Vec<watch::Receiver<bool>>,
}

/// Removes what left the plan (first, so it frees its ports), then brings every other service
/// to its step and waits until it is healthy.
pub async fn launch(
    docker: &Docker,
    desired: &[Desired],
    steps: &[Step],
    timeout: Duration,
) -> Result<Outcome, DockerError> {
    let removals = steps.iter().filter_map(|step| match step {
        Step::Remove { service, id } => Some(async move {
            remove(docker, id).await.map_err(call("remove", service))?;
            progress(service, step.change().word());
            Ok::<_, DockerError>((service.clone(), step.change()))
        }),
        _ => None,
    });
    let mut outcome = Outcome {
        changes: try_join_all(removals).await?,
        failures: Vec::new(),
    };

    // New containers are all created up front, together: creating starts nothing, so the
    // starts keep their dependency order, and a chain of dependencies waits on starts alone.
    let creates = steps.iter().filter_map(|step| match step {
        Step::Create { index } => Some(create(docker, &desired[*index])),
        _ => None,
    });
    try_join_all(creates).await?;

    let mut by_index: Vec<Option<&Step>> = vec![None; desired.len()];
    for step in steps {
        if let Some(i) = step.index() {
            by_index[i] = Some(step);
        }
    }
    let (senders, receivers): (Vec<_>, Vec<_>) =
        desired.iter().map(|_| watch::channel(false)).unzip();
    let (start_senders, start_receivers): (Vec<_>, Vec<_>) =
        desired.iter().map(|_| watch::channel(false)).unzip();
    let gates = gates(desired);
    let below = chain_below(&gates);
    let root = |i: usize| gates[i].is_empty() && by_index[i].is_some();
    // Each service holds its own senders: a dependency that ends without being ready closes its
    // channel, and its dependents are not started.
    let services: Vec<Service> = gates
        .iter()
        .zip(senders.into_iter().zip(start_senders))
        .enumerate()
        .filter_map(|(i, (after, (ready, started)))| {
            let behind = match root(i) {
                true => (0..desired.len())
                    .filter(|&j| root(j) && below[j] > below[i])
                    .map(|j| start_receivers[j].clone())
                    .collect(),
                false => Vec::new(),
            };
            Some(Service {
                want: &desired[i],
                step: by_index[i]?,
                ready,
                after: after
                    .iter()
                    .map(|&d| (desired[d].service.as_str(), receivers[d].clone()))
                    .collect(),
                started,
                behind,
            })
        })
        .collect();
    let results = try_join_all(services.into_iter().map(|s| bring_up(docker, s, timeout))).await?;
    for (service, change, failure) in results {
        outcome.changes.extend(change.map(|c| (service, c)));
        outcome.failures.extend(failure);
    }
    Ok(outcome)
}

fn progress(service: &str, what: &str) {
    eprintln!("  {service}: {what}");
}

/// One service: wait for its dependencies, carry out its step, wait until it is healthy.
/// Returns the change made (none when it was not started) and how it failed, if it did.
async fn bring_up(
    docker: &Docker,
    service: Service<'_>,
    timeout: Duration,
) -> Result<(String, Option<Change>, Option<Failure>), DockerError> {
    let Service {
        want,
        step,
        ready,
        after,
        started,
        behind,
    } = service;
    let name = want.service.clone();
    if !matches!(step, Step::Keep { .. }) {
        let waits = after.into_iter().map(|(dep, mut rx)| async move {
            rx.wait_for(|ready| *ready)
                .await
                .is_ok()
                .then_some(())
                .ok_or(dep)
        });
        if let Some(Err(dep)) = join_all(waits).await.into_iter().find(Result::is_err) {
            progress(&name, &format!("not started ({dep} is not healthy)"));
            return Ok((name, None, Some(Failure::not_started(want, dep))));
        }
    }
    let since = carry_out(docker, want, step, behind).await?;
    let _ = started.send(true);
    progress(&name, step.change().word());
    let result = wait::wait(docker, want, since, timeout, || {
        let _ = ready.send(true);
    })
    .await;
    Ok((name, Some(step.change()), result.err()))
}

/// One step's Docker calls (a new container was created up front), its start only once the
/// start calls of `behind` returned; when it started the container, when and with which restart
/// count.
async fn carry_out(
    docker: &Docker,
    want: &Desired,
    step: &Step,
    behind: Vec<watch::Receiver<bool>>,
) -> Result<Option<Started>, DockerError> {
    let (id, restarts) = match step {
        Step::Remove { .. } | Step::Keep { .. } => return Ok(None),
        Step::Create { .. } => (want.container.as_str(), Some(0)),
        Step::Recreate { id, .. } => {
            remove(docker, id)
                .await
                .map_err(call("remove", &want.container))?;
            create(docker, want).await?;
            (want.container.as_str(), Some(0))
        }
        // The count it has from before is read at the first look.
        Step::Start { id, .. } => (id.as_str(), None),
    };
    // Whether the chains ahead started or failed to, this one goes next.
    join_all(behind.into_iter().map(|mut rx| async move {
        let _ = rx.wait_for(|started| *started).await;
    }))
    .await;
    docker
        .start_container(id, None::<StartContainerOptions>)
        .await
        .map_err(call("start", &want.container))?;
    Ok(Some(Started {
        at: Instant::now(),
        restarts,
    }))
}

async fn create(docker: &Docker, want: &Desired) -> Result<(), DockerError> {
    let options = CreateContainerOptionsBuilder::default()
        .name(&want.container)
        .build();
    docker
        .create_container(Some(options), want.body.clone())
        .await
        .map_err(call("create", &want.container))?;
    Ok(())
}
