//! Reconcile: compare the containers the plan wants with the labelled ones that exist, and change
//! only what differs. Every step is one Docker call that either happened or did not, so a run that
//! is interrupted leaves a state the next run converges from.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use bollard::models::{ContainerSummary, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use bollard::Docker;
use indicatif::MultiProgress;

pub use super::reconcile::Change;
use super::reconcile::{reconcile, Actual, Step};
use super::spec::{self, Desired, LABEL_HASH, LABEL_PROJECT, LABEL_SERVICE};
use super::wait::{self, Failure};
use super::{pull, PullPolicy};
use crate::error::Error;
use crate::plan::{Plan, PROJECT};
use crate::preset::NetworkKind;
use crate::render::compose::NETWORK;
use crate::role::Role;
use crate::secrets::Secrets;

/// The outcome of a converge.
#[derive(Debug, Default)]
pub struct Outcome {
    pub changes: Vec<(String, Change)>,
    pub failures: Vec<Failure>,
}

fn docker_error(action: &str, what: &str, e: bollard::errors::Error) -> Error {
    Error::Other {
        message: format!("Docker could not {action} {what}: {e}"),
        hint: Some("run `docker info` to check the daemon, then run selkie again: it continues where it stopped".into()),
    }
}

/// Every container of the project, by service label.
pub async fn project_containers(
    docker: &Docker,
) -> Result<BTreeMap<String, ContainerSummary>, Error> {
    let filters = HashMap::from([("label", vec![format!("{LABEL_PROJECT}={PROJECT}")])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let list = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| docker_error("list", "containers", e))?;
    Ok(list
        .into_iter()
        .filter_map(|c| {
            let service = c.labels.as_ref()?.get(LABEL_SERVICE)?.clone();
            Some((service, c))
        })
        .collect())
}

/// Containers that carry one of our names but not our labels: never touched, so we stop.
async fn foreign(docker: &Docker, plan: &Plan) -> Result<Vec<String>, Error> {
    let options = ListContainersOptionsBuilder::default().all(true).build();
    let list = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| docker_error("list", "containers", e))?;
    let ours: Vec<String> = plan.services.iter().map(|s| s.container_name()).collect();
    Ok(list
        .into_iter()
        .filter(|c| {
            let labelled = c
                .labels
                .as_ref()
                .and_then(|l| l.get(LABEL_PROJECT))
                .is_some_and(|p| p == PROJECT);
            let named = c
                .names
                .iter()
                .flatten()
                .any(|n| ours.contains(&n.trim_start_matches('/').to_string()));
            named && !labelled
        })
        .flat_map(|c| c.names.unwrap_or_default())
        .map(|n| n.trim_start_matches('/').to_string())
        .collect())
}

async fn ensure_images(
    docker: &Docker,
    plan: &Plan,
    policy: PullPolicy,
) -> Result<HashMap<String, String>, Error> {
    let bars = MultiProgress::new();
    let mut ids = HashMap::new();
    for service in &plan.services {
        let image = service.image.to_string();
        if ids.contains_key(&image) {
            continue;
        }
        let present = docker.inspect_image(&image).await.ok();
        if present.is_none() || policy == PullPolicy::Always {
            pull::pull(docker, &image, &bars).await?;
        }
        let inspect = docker
            .inspect_image(&image)
            .await
            .map_err(|e| docker_error("find the image", &image, e))?;
        ids.insert(image, inspect.id.unwrap_or_default());
    }
    Ok(ids)
}

async fn ensure_network_and_volumes(docker: &Docker, plan: &Plan) -> Result<(), Error> {
    if plan
        .services
        .iter()
        .any(|s| s.network == NetworkKind::Bridge)
    {
        match docker
            .inspect_network(
                NETWORK,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
            .await
        {
            Ok(network) => {
                let ours = network
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(LABEL_PROJECT))
                    .is_some_and(|p| p == PROJECT);
                if !ours {
                    return Err(Error::Other {
                        message: format!("a Docker network named `{NETWORK}` exists and is not selkie's"),
                        hint: Some(format!("rename or remove it (docker network rm {NETWORK}) if nothing uses it, then run again")),
                    });
                }
            }
            Err(_) => {
                let request = NetworkCreateRequest {
                    name: NETWORK.to_string(),
                    driver: Some("bridge".into()),
                    labels: Some(spec::project_labels(None)),
                    ..Default::default()
                };
                docker
                    .create_network(request)
                    .await
                    .map_err(|e| docker_error("create the network", NETWORK, e))?;
            }
        }
    }
    let mut volumes: Vec<&str> = plan
        .services
        .iter()
        .flat_map(|s| &s.mounts)
        .filter_map(|m| m.source.volume())
        .collect();
    volumes.sort_unstable();
    volumes.dedup();
    for v in volumes {
        let name = spec::volume_name(v);
        // Creating an existing volume returns it unchanged: data is never touched here.
        let request = VolumeCreateRequest {
            name: Some(name.clone()),
            labels: Some(spec::project_labels(None)),
            ..Default::default()
        };
        docker
            .create_volume(request)
            .await
            .map_err(|e| docker_error("create the volume", &name, e))?;
    }
    Ok(())
}

async fn remove(docker: &Docker, id: &str, what: &str) -> Result<(), Error> {
    let _ = docker
        .stop_container(
            id,
            Some(StopContainerOptionsBuilder::default().t(10).build()),
        )
        .await;
    docker
        .remove_container(
            id,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await
        .map_err(|e| docker_error("remove", what, e))
}

async fn create_and_start(docker: &Docker, want: &Desired) -> Result<(), Error> {
    let options = CreateContainerOptionsBuilder::default()
        .name(&want.container)
        .build();
    docker
        .create_container(Some(options), want.body.clone())
        .await
        .map_err(|e| docker_error("create", &want.container, e))?;
    docker
        .start_container(
            &want.container,
            None::<bollard::query_parameters::StartContainerOptions>,
        )
        .await
        .map_err(|e| docker_error("start", &want.container, e))
}

/// Bring the running containers to the plan, then wait until each is healthy.
pub async fn converge(
    docker: &Docker,
    plan: &Plan,
    dir: &Path,
    secrets: &Secrets,
    policy: PullPolicy,
    timeout: Duration,
) -> Result<Outcome, Error> {
    let dir = ours_to_change(docker, plan, dir).await?;
    let ids = ensure_images(docker, plan, policy).await?;
    ensure_network_and_volumes(docker, plan).await?;

    let mut desired = Vec::new();
    for service in &plan.services {
        let image_id = ids
            .get(service.image.as_str())
            .map(String::as_str)
            .unwrap_or_default();
        let mut want = spec::desired(service, &dir, secrets, image_id)?;
        if service.name == Role::Proxy {
            want.tcp_probe = Some(std::net::SocketAddr::from((
                [127, 0, 0, 1],
                plan.web.https_port,
            )));
        }
        desired.push(want);
    }
    let actual = project_containers(docker)
        .await?
        .into_iter()
        .map(|(service, c)| {
            let found = Actual {
                id: c.id.clone().unwrap_or_default(),
                hash: c.labels.as_ref().and_then(|l| l.get(LABEL_HASH)).cloned(),
                running: c.state.as_ref().map(|s| s.to_string()).as_deref() == Some("running"),
            };
            (service, found)
        })
        .collect();
    let steps = reconcile(&desired, &actual);
    let mut outcome = Outcome {
        changes: apply(docker, &desired, &steps).await?,
        failures: Vec::new(),
    };

    let waits = steps.iter().filter_map(|step| {
        let index = step.index()?;
        let fresh = step.change() != Change::Unchanged;
        Some(wait::wait(docker, &desired[index], fresh, timeout))
    });
    for result in futures_util::future::join_all(waits).await {
        if let Err(failure) = result {
            outcome.failures.push(failure);
        }
    }
    Ok(outcome)
}

/// Refuse containers and stacks selkie must not touch; the canonical deployment directory.
async fn ours_to_change(
    docker: &Docker,
    plan: &Plan,
    dir: &Path,
) -> Result<std::path::PathBuf, Error> {
    let clashes = foreign(docker, plan).await?;
    if !clashes.is_empty() {
        return Err(Error::Other {
            message: format!(
                "{} already exist{} without selkie's labels; selkie never touches containers it did not create",
                clashes.join(", "),
                if clashes.len() == 1 { "s" } else { "" }
            ),
            hint: Some(format!(
                "if it is an old copy of this stack, remove it yourself (docker rm -f {}), then run again",
                clashes.join(" ")
            )),
        });
    }
    // Labels carry the canonical directory: `./deployment` from two places is two places.
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    // One stack per host: the names, ports and network are shared, so another deployment
    // directory's containers are never replaced silently.
    let others: Vec<String> = project_containers(docker)
        .await?
        .values()
        .filter_map(|c| c.labels.as_ref()?.get(spec::LABEL_DIR).cloned())
        .filter(|d| d.as_str() != dir.display().to_string())
        .collect();
    if let Some(other) = others.first() {
        return Err(Error::Other {
            message: format!("another selkie deployment, in {other}, runs on this host"),
            hint: Some(format!(
                "selkie runs one stack per host: change that one with `selkie setup --resume --dir {other}`, \
                 or remove it first with `selkie down --dir {other}`"
            )),
        });
    }
    Ok(dir)
}

/// Carry out the steps in order, one Docker call each, saying what happened to each service.
pub async fn apply(
    docker: &Docker,
    desired: &[Desired],
    steps: &[Step],
) -> Result<Vec<(String, Change)>, Error> {
    let mut changes = Vec::new();
    for step in steps {
        let service = match step {
            Step::Remove { service, id } => {
                remove(docker, id, service).await?;
                service.clone()
            }
            Step::Create { index } => {
                create_and_start(docker, &desired[*index]).await?;
                desired[*index].service.clone()
            }
            Step::Recreate { index, id } => {
                let want = &desired[*index];
                remove(docker, id, &want.container).await?;
                create_and_start(docker, want).await?;
                want.service.clone()
            }
            Step::Start { index, id } => {
                let want = &desired[*index];
                docker
                    .start_container(id, None::<bollard::query_parameters::StartContainerOptions>)
                    .await
                    .map_err(|e| docker_error("start", &want.container, e))?;
                want.service.clone()
            }
            Step::Keep { index } => desired[*index].service.clone(),
        };
        eprintln!("  {service}: {}", step.change().word());
        changes.push((service, step.change()));
    }
    Ok(changes)
}
