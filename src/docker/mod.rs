//! The Docker edge: connect and negotiate, pull with progress, decide the steps to the plan's
//! containers (`reconcile`, pure) and carry them out (`converge`), wait for health, events and
//! restarts for the dashboard (`live`), and take the stack down.
//! Only this module talks to the daemon (and names bollard); `Docker` is re-exported as the
//! connection handle others pass around.

pub mod connect;
pub mod converge;
pub mod inspect;
pub mod install;
pub mod live;
pub mod pull;
mod ready;
pub mod reconcile;
pub mod spec;
pub mod wait;

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, RemoveVolumeOptions,
};
pub use bollard::Docker;

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
pub async fn down(
    docker: &Docker,
    dir: &std::path::Path,
    volumes: bool,
) -> Result<Vec<String>, Error> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let containers = converge::project_containers(docker).await?;
    if let Some(other) = containers
        .values()
        .filter_map(|c| c.labels.as_ref()?.get(spec::LABEL_DIR))
        .find(|d| d.as_str() != dir.display().to_string())
    {
        return Err(Error::Other {
            message: format!(
                "the selkie stack on this host belongs to {other}, not to {}",
                dir.display()
            ),
            hint: Some(format!("run `selkie down --dir {other}` to remove it")),
        });
    }
    let fail = |what: &str, e: bollard::errors::Error| Error::Other {
        message: format!("Docker could not remove {what}: {e}"),
        hint: Some("run `docker info` to check the daemon, then run `selkie down` again".into()),
    };
    let mut removed = Vec::new();
    for (service, c) in containers {
        let id = c.id.unwrap_or_default();
        let _ = docker
            .stop_container(
                &id,
                Some(
                    bollard::query_parameters::StopContainerOptionsBuilder::default()
                        .t(10)
                        .build(),
                ),
            )
            .await;
        docker
            .remove_container(
                &id,
                Some(
                    bollard::query_parameters::RemoveContainerOptionsBuilder::default()
                        .force(true)
                        .build(),
                ),
            )
            .await
            .map_err(|e| fail(&service, e))?;
        removed.push(format!("container {PROJECT}-{service}"));
    }
    let label = HashMap::from([("label", vec![format!("{}={PROJECT}", spec::LABEL_PROJECT)])]);
    let networks = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&label)
                .build(),
        ))
        .await
        .map_err(|e| fail("networks", e))?;
    for n in networks {
        let name = n.name.unwrap_or_default();
        docker
            .remove_network(&name)
            .await
            .map_err(|e| fail(&name, e))?;
        removed.push(format!("network {name}"));
    }
    if volumes {
        let list = docker
            .list_volumes(Some(
                bollard::query_parameters::ListVolumesOptionsBuilder::default()
                    .filters(&label)
                    .build(),
            ))
            .await
            .map_err(|e| fail("volumes", e))?;
        for v in list.volumes.unwrap_or_default() {
            docker
                .remove_volume(&v.name, None::<RemoveVolumeOptions>)
                .await
                .map_err(|e| fail(&v.name, e))?;
            removed.push(format!("volume {}", v.name));
        }
    }
    Ok(removed)
}

/// The host pids of the init processes of selkie's running containers (label
/// `io.selkie.project=selkie`). Empty when Docker does not answer within `limit`.
pub async fn project_pids(docker: &Docker, limit: Duration) -> Vec<u32> {
    tokio::time::timeout(limit, async {
        let filters = HashMap::from([("label", vec![format!("{LABEL_PROJECT}={PROJECT}")])]);
        let options = ListContainersOptionsBuilder::default()
            .filters(&filters)
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
