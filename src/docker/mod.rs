//! The Docker edge: connect and negotiate, pull with progress, decide the steps to the plan's
//! containers (`reconcile`, pure, with the dependency gates), prepare them (`converge`) and
//! carry them out concurrently, each service once what it depends on is ready (`launch`), wait
//! for health (`wait`, reported by `failure`), events and restarts for the dashboard (`live`),
//! and take the stack down. Its errors are [`DockerError`]s.
//! Only this module talks to the daemon (and names bollard); `Docker` is re-exported as the
//! connection handle others pass around.

pub mod connect;
pub mod converge;
mod error;
mod failure;
pub mod inspect;
pub mod install;
mod launch;
pub mod live;
pub mod pull;
pub mod ready;
pub mod reconcile;
pub mod spec;
pub mod wait;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveVolumeOptions,
};
pub use bollard::Docker;
pub use error::DockerError;

use crate::error::Error;
use crate::plan::PROJECT;
use spec::LABEL_PROJECT;

/// When to pull images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    /// Only images not present yet.
    Missing,
    /// Every image, to pick up a moved tag.
    Always,
}

/// Stop and remove every container of the project, its network, and (if asked) its volumes.
/// Returns the names of what was removed.
/// Only the stack of `dir` (and containers from before selkie labelled directories) is removed;
/// another directory's stack is refused with a hint.
pub async fn down(docker: &Docker, dir: &Path, volumes: bool) -> Result<Vec<String>, Error> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let containers = converge::project_containers(docker).await?;
    if let Some(other) = containers
        .values()
        .filter_map(|c| c.labels.as_ref()?.get(spec::LABEL_DIR))
        .find(|d| d.as_str() != dir.display().to_string())
    {
        return Err(DockerError::NotThisStack {
            other: other.clone(),
            dir,
        }
        .into());
    }
    let mut removed = Vec::new();
    for (service, c) in containers {
        converge::remove(docker, &c.id.unwrap_or_default())
            .await
            .map_err(|source| DockerError::Remove {
                what: service.clone(),
                source,
            })?;
        removed.push(format!("container {PROJECT}-{service}"));
    }
    removed.extend(remove_networks(docker).await?);
    if volumes {
        removed.extend(remove_volumes(docker).await?);
    }
    Ok(removed)
}

fn project_filter() -> HashMap<&'static str, Vec<String>> {
    HashMap::from([("label", vec![format!("{LABEL_PROJECT}={PROJECT}")])])
}

fn removal(what: &str) -> impl FnOnce(bollard::errors::Error) -> DockerError + '_ {
    move |source| DockerError::Remove {
        what: what.to_string(),
        source,
    }
}

/// Removes the project's networks; their names as removed.
async fn remove_networks(docker: &Docker) -> Result<Vec<String>, DockerError> {
    let options = ListNetworksOptionsBuilder::default()
        .filters(&project_filter())
        .build();
    let networks = docker
        .list_networks(Some(options))
        .await
        .map_err(removal("networks"))?;
    let mut removed = Vec::new();
    for n in networks {
        let name = n.name.unwrap_or_default();
        docker.remove_network(&name).await.map_err(removal(&name))?;
        removed.push(format!("network {name}"));
    }
    Ok(removed)
}

/// Removes the project's volumes, and with them its data; their names as removed.
async fn remove_volumes(docker: &Docker) -> Result<Vec<String>, DockerError> {
    let options = ListVolumesOptionsBuilder::default()
        .filters(&project_filter())
        .build();
    let list = docker
        .list_volumes(Some(options))
        .await
        .map_err(removal("volumes"))?;
    let mut removed = Vec::new();
    for v in list.volumes.unwrap_or_default() {
        docker
            .remove_volume(&v.name, None::<RemoveVolumeOptions>)
            .await
            .map_err(removal(&v.name))?;
        removed.push(format!("volume {}", v.name));
    }
    Ok(removed)
}

/// The host pids of the init processes of selkie's running containers (label
/// `io.selkie.project=selkie`). Empty when Docker does not answer within `limit`.
pub async fn project_pids(docker: &Docker, limit: Duration) -> Vec<u32> {
    tokio::time::timeout(limit, async {
        let options = ListContainersOptionsBuilder::default()
            .filters(&project_filter())
            .build();
        let Ok(list) = docker.list_containers(Some(options)).await else {
            return Vec::new();
        };
        let mut pids = Vec::new();
        for id in list.into_iter().filter_map(|c| c.id) {
            let pid = docker
                .inspect_container(&id, None)
                .await
                .ok()
                .and_then(|c| c.state?.pid)
                .and_then(|p| u32::try_from(p).ok())
                .filter(|&p| p > 0);
            pids.extend(pid);
        }
        pids
    })
    .await
    .unwrap_or_default()
}
