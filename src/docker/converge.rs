//! Reconcile: compare the containers the plan wants with the labelled ones that exist, and change
//! only what differs. Every step is one Docker call that either happened or did not, so a run that
//! is interrupted leaves a state the next run converges from.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use bollard::models::{ContainerSummary, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::future::{join_all, try_join_all};
use indicatif::MultiProgress;

use super::launch::launch;
pub use super::reconcile::Change;
use super::reconcile::{reconcile, Actual};
use super::spec::{self, Probe, LABEL_HASH, LABEL_PROJECT, LABEL_SERVICE};
use super::wait::Failure;
use super::{pull, DockerError, PullPolicy};
use crate::error::Error;
use crate::plan::{self, Exposure, Plan, NETWORK, PROJECT};
use crate::preset::NetworkKind;
use crate::role::Role;
use crate::secrets::Secrets;
use crate::transport::Proto;

/// The outcome of a converge.
#[derive(Debug, Default)]
pub struct Outcome {
    pub changes: Vec<(String, Change)>,
    pub failures: Vec<Failure>,
}

/// The error of a converge's Docker call: `Docker could not {action} {what}: …`.
pub(super) fn call<'a>(
    action: &'static str,
    what: &'a str,
) -> impl FnOnce(bollard::errors::Error) -> DockerError + 'a {
    move |source| DockerError::Call {
        action,
        what: what.to_string(),
        source,
    }
}

/// Every container of the project, by service label.
pub async fn project_containers(
    docker: &Docker,
) -> Result<BTreeMap<String, ContainerSummary>, DockerError> {
    let filters = HashMap::from([("label", vec![format!("{LABEL_PROJECT}={PROJECT}")])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let list = docker
        .list_containers(Some(options))
        .await
        .map_err(call("list", "containers"))?;
    Ok(by_service(list))
}

/// The project's containers in `list`, by service label.
fn by_service(list: Vec<ContainerSummary>) -> BTreeMap<String, ContainerSummary> {
    list.into_iter()
        .filter(ours)
        .filter_map(|c| {
            let service = c.labels.as_ref()?.get(LABEL_SERVICE)?.clone();
            Some((service, c))
        })
        .collect()
}

fn ours(c: &ContainerSummary) -> bool {
    c.labels
        .as_ref()
        .and_then(|l| l.get(LABEL_PROJECT))
        .is_some_and(|p| p == PROJECT)
}

/// Containers in `list` that carry one of our names but not our labels: never touched.
fn foreign(list: &[ContainerSummary], plan: &Plan) -> Vec<String> {
    let names: Vec<String> = plan.services.iter().map(|s| s.container_name()).collect();
    list.iter()
        .filter(|c| !ours(c))
        .flat_map(|c| c.names.iter().flatten())
        .map(|n| n.trim_start_matches('/').to_string())
        .filter(|n| names.contains(n))
        .collect()
}

async fn ensure_images(
    docker: &Docker,
    plan: &Plan,
    policy: PullPolicy,
) -> Result<HashMap<String, String>, DockerError> {
    let mut images: Vec<String> = Vec::new();
    for service in &plan.services {
        let image = service.image.to_string();
        if !images.contains(&image) {
            images.push(image);
        }
    }
    // Looked up together; pulled one at a time, in plan order, each with its progress.
    let found = join_all(images.iter().map(|i| docker.inspect_image(i))).await;
    let bars = MultiProgress::new();
    let mut ids = HashMap::new();
    for (image, found) in images.into_iter().zip(found) {
        let inspect = match found {
            Ok(found) if policy == PullPolicy::Missing => found,
            _ => {
                pull::pull(docker, &image, &bars).await?;
                docker
                    .inspect_image(&image)
                    .await
                    .map_err(call("find the image", &image))?
            }
        };
        ids.insert(image, inspect.id.unwrap_or_default());
    }
    Ok(ids)
}

async fn ensure_network_and_volumes(docker: &Docker, plan: &Plan) -> Result<(), DockerError> {
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
                    return Err(DockerError::ForeignNetwork {
                        name: NETWORK.to_string(),
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
                    .map_err(call("create the network", NETWORK))?;
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
    // Creating an existing volume returns it unchanged: data is never touched here.
    let creates = volumes.into_iter().map(|v| async move {
        let name = spec::volume_name(v);
        let request = VolumeCreateRequest {
            name: Some(name.clone()),
            labels: Some(spec::project_labels(None)),
            ..Default::default()
        };
        docker
            .create_volume(request)
            .await
            .map_err(call("create the volume", &name))
            .map(|_| ())
    });
    try_join_all(creates).await?;
    Ok(())
}

/// Stops a container (giving it 10 seconds) and removes it.
pub(super) async fn remove(docker: &Docker, id: &str) -> Result<(), bollard::errors::Error> {
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
    // One list of every container: what must not be touched, and what exists.
    let list = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default().all(true).build(),
        ))
        .await
        .map_err(call("list", "containers"))?;
    let dir = ours_to_change(&list, plan, dir)?;
    let (ids, ()) = futures_util::future::try_join(
        ensure_images(docker, plan, policy),
        ensure_network_and_volumes(docker, plan),
    )
    .await?;

    let mut desired = Vec::new();
    for service in &plan.services {
        let image_id = ids
            .get(service.image.as_str())
            .map(String::as_str)
            .unwrap_or_default();
        let mut want = spec::desired(service, &dir, secrets, image_id)?;
        if service.name == Role::Proxy {
            want.probe = Some(Probe::Tcp(std::net::SocketAddr::from((
                [127, 0, 0, 1],
                plan.web.https_port,
            ))));
        } else if want.probe.is_none() {
            want.probe = app_probe(plan, service);
        }
        desired.push(want);
    }
    let actual = by_service(list)
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
    Ok(launch(docker, &desired, &steps, timeout).await?)
}

/// How an app without a healthcheck of its own shows it is ready, on its first required TCP
/// port (not a range): on selkie's network, by accepting connections at its own address; on
/// the host's network, by answering 200 on its health path at 127.0.0.1 when the plan gives one
/// and binds the port there (a bare connection could be anyone's). `None` for a service with a
/// healthcheck, which says more.
fn app_probe(plan: &Plan, service: &plan::Service) -> Option<Probe> {
    if !service.healthcheck.is_empty() {
        return None;
    }
    let port = plan.ports.iter().find(|p| {
        p.service == service.name && p.proto == Proto::Tcp && p.required && p.end == p.port
    })?;
    match (&service.network, &port.health_path, &port.exposure) {
        (NetworkKind::Bridge, _, _) => Some(Probe::OwnPort(port.port)),
        (_, Some(path), Exposure::Proxied | Exposure::Loopback) => {
            Some(Probe::Http(format!("http://127.0.0.1:{}{path}", port.port)))
        }
        _ => None,
    }
}

/// Refuse containers and stacks selkie must not touch (`list`: every container on the host);
/// the canonical deployment directory.
fn ours_to_change(
    list: &[ContainerSummary],
    plan: &Plan,
    dir: &Path,
) -> Result<std::path::PathBuf, DockerError> {
    let clashes = foreign(list, plan);
    if !clashes.is_empty() {
        return Err(DockerError::ForeignContainers { names: clashes });
    }
    // Labels carry the canonical directory: `./deployment` from two places is two places.
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    // One stack per host: the names, ports and network are shared, so another deployment
    // directory's containers are never replaced silently.
    let other = list
        .iter()
        .filter(|c| ours(c))
        .filter_map(|c| c.labels.as_ref()?.get(spec::LABEL_DIR))
        .find(|d| d.as_str() != dir.display().to_string());
    match other {
        Some(other) => Err(DockerError::AnotherDeployment {
            other: other.clone(),
        }),
        None => Ok(dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::host::HostFacts;
    use crate::preset;

    /// `service probe` for every service of `name`'s plan that has an app's probe.
    fn app_ports(name: &str, proxy: ProxyMode) -> Vec<String> {
        let preset = preset::find(name).unwrap();
        let answers = crate::testing::answers(&preset, proxy, "meet.example.com");
        let plan = plan::build(&answers, &preset, &HostFacts::default()).unwrap();
        plan.services
            .iter()
            .filter_map(|s| Some(format!("{} {:?}", s.name, app_probe(&plan, s)?)))
            .collect()
    }

    #[test]
    fn apps_without_a_healthcheck_are_ready_when_their_first_required_port_answers() {
        // Postgres, Redis, Garage and Hatchet have healthchecks; LiveKit and Caddy have probes
        // of their own; the XR hub runs on the host's network with no health path.
        let none = Vec::<String>::new();
        let reflector = ["backend OwnPort(1250)", "frontend OwnPort(3000)"];
        assert_eq!(app_ports("reflector", ProxyMode::Caddy), reflector);
        assert_eq!(app_ports("reflector", ProxyMode::None), reflector);
        assert_eq!(app_ports("livekit", ProxyMode::Caddy), none);
        assert_eq!(
            app_ports("hearth", ProxyMode::Caddy),
            ["pocketbase Http(\"http://127.0.0.1:8090/api/health\")"]
        );
        assert_eq!(app_ports("xr-hub", ProxyMode::None), none);
    }
}
