//! The container selkie wants for each service of the plan, and the hash that tells a changed one.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointSettings, HealthConfig, HostConfig,
    NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};

use super::DockerError;
use crate::digest::sha256;
use crate::error::Error;
use crate::plan::{self, MountSource, Service, NETWORK, PROJECT, SIGNAL_PORT};
use crate::preset::NetworkKind;
use crate::role::Role;
use crate::secrets::Secrets;

/// Label naming the project every selkie object belongs to.
pub const LABEL_PROJECT: &str = "io.selkie.project";
/// Label naming the service a container runs.
pub const LABEL_SERVICE: &str = "io.selkie.service";
/// Label holding the hash of everything that defines the container.
pub const LABEL_HASH: &str = "io.selkie.config-hash";
/// Label naming the deployment directory a container belongs to (one stack per host).
pub const LABEL_DIR: &str = "io.selkie.dir";

/// One container as selkie wants it.
#[derive(Debug, Clone)]
pub struct Desired {
    pub service: String,
    pub container: String,
    pub image: String,
    pub body: ContainerCreateBody,
    pub hash: String,
    /// The services that must be healthy before this one starts (the plan's `depends_on`).
    pub depends_on: Vec<String>,
    /// The image defines a Docker healthcheck to wait for.
    pub has_healthcheck: bool,
    /// What else must answer before the service is ready.
    pub probe: Option<Probe>,
}

/// How selkie sees that a service is ready, besides its healthcheck command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// This URL answers 200: LiveKit's `GET /` (406 means up but not ready), an app's health
    /// path.
    Http(String),
    /// This address accepts TCP connections: the proxy's HTTPS port.
    Tcp(SocketAddr),
    /// This port accepts TCP connections at the container's own address on selkie's network:
    /// an app without a healthcheck listens. (Only the container itself answers there, where a
    /// published port on 127.0.0.1 is answered by Docker's proxy before the app listens.)
    OwnPort(u16),
}

/// The labels every object of the project carries.
pub fn project_labels(service: Option<&str>) -> HashMap<String, String> {
    let mut labels = HashMap::from([(LABEL_PROJECT.to_string(), PROJECT.to_string())]);
    if let Some(s) = service {
        labels.insert(LABEL_SERVICE.to_string(), s.to_string());
    }
    labels
}

/// The Docker name of a named volume of the plan (`caddy-data` -> `selkie_caddy-data`).
pub fn volume_name(source: &str) -> String {
    format!("{PROJECT}_{source}")
}

/// Hash of every file under a bind-mounted directory, so an edited config recreates its container.
fn tree_hash(dir: &Path) -> Result<String, Error> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>) -> Result<(), Error> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("cannot read", dir, e)),
        };
        for entry in entries {
            let path = entry.map_err(|e| Error::io("cannot read", dir, e))?.path();
            if path.is_dir() {
                walk(&path, base, out)?;
            } else {
                let bytes = std::fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))?;
                let rel = path
                    .strip_prefix(base)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                out.insert(rel, sha256(&bytes));
            }
        }
        Ok(())
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files)?;
    Ok(sha256(format!("{files:?}").as_bytes()))
}

fn health(service: &Service) -> Option<HealthConfig> {
    if service.healthcheck.is_empty() {
        return None;
    }
    let ns = |secs: u64| i64::try_from(secs * 1_000_000_000).ok();
    Some(HealthConfig {
        test: Some(
            std::iter::once("CMD".to_string())
                .chain(service.healthcheck.iter().cloned())
                .collect(),
        ),
        interval: ns(plan::HEALTH_INTERVAL_SECS),
        timeout: ns(plan::HEALTH_TIMEOUT_SECS),
        retries: Some(plan::HEALTH_RETRIES),
        start_period: ns(plan::HEALTH_START_PERIOD_SECS),
        ..Default::default()
    })
}

/// The exposed ports and their host bindings (`"7881/tcp"` -> `127.0.0.1:7881`).
type Published = (Vec<String>, HashMap<String, Option<Vec<PortBinding>>>);

fn published(service: &Service) -> Published {
    let mut exposed = Vec::new();
    let mut bindings = HashMap::new();
    for p in &service.publish {
        for port in p.port..=p.end {
            let key = format!("{port}/{}", p.proto.as_str());
            exposed.push(key.clone());
            bindings.insert(
                key,
                Some(vec![PortBinding {
                    host_ip: Some(p.host_ip.clone()),
                    host_port: Some(port.to_string()),
                }]),
            );
        }
    }
    (exposed, bindings)
}

/// The binds (`source:target[:ro]`), and the hash of every bind-mounted directory's files.
fn binds(service: &Service, dir: &Path) -> Result<(Vec<String>, BTreeMap<String, String>), Error> {
    let mut binds = Vec::new();
    let mut mounted_files = BTreeMap::new();
    for m in &service.mounts {
        let source = match &m.source {
            MountSource::Dir(rel) => {
                let path = dir.join(rel);
                mounted_files.insert(m.source.to_string(), tree_hash(&path)?);
                path.display().to_string()
            }
            MountSource::Volume(name) => volume_name(name),
        };
        let mode = if m.read_only { ":ro" } else { "" };
        binds.push(format!("{source}:{}{mode}", m.target));
    }
    Ok((binds, mounted_files))
}

fn devices(service: &Service) -> Vec<DeviceMapping> {
    service
        .devices
        .iter()
        .filter_map(|d| d.split_once(':'))
        .map(|(host, container)| DeviceMapping {
            path_on_host: Some(host.to_string()),
            path_in_container: Some(container.to_string()),
            cgroup_permissions: Some("rwm".into()),
        })
        .collect()
}

fn host_config(
    service: &Service,
    binds: Vec<String>,
    bindings: HashMap<String, Option<Vec<PortBinding>>>,
) -> HostConfig {
    let devices = devices(service);
    HostConfig {
        network_mode: Some(if service.network == NetworkKind::Bridge {
            NETWORK.to_string()
        } else {
            "host".to_string()
        }),
        binds: Some(binds),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
            maximum_retry_count: None,
        }),
        cap_add: (!service.cap_add.is_empty()).then(|| service.cap_add.clone()),
        devices: (!devices.is_empty()).then_some(devices),
        ..Default::default()
    }
}

/// The bridge network's settings: other containers reach this one by its service name, as
/// under compose. None with host networking.
fn networking(service: &Service) -> Option<NetworkingConfig> {
    (service.network == NetworkKind::Bridge).then(|| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(
            NETWORK.to_string(),
            EndpointSettings {
                aliases: Some(vec![service.name.to_string()]),
                ..Default::default()
            },
        )])),
    })
}

/// The container for one service. `image_id` is the local image's ID, so a re-pulled tag that
/// moved recreates the container.
pub fn desired(
    service: &Service,
    dir: &Path,
    secrets: &Secrets,
    image_id: &str,
) -> Result<Desired, Error> {
    let mut env: BTreeMap<String, String> = service.env.clone();
    for (key, template) in &service.secret_env {
        env.insert(key.clone(), secrets.fill(template)?);
    }
    let (exposed, bindings) = published(service);
    let (binds, mounted_files) = binds(service, dir)?;
    let mut labels = project_labels(Some(service.name.as_str()));
    labels.insert(LABEL_DIR.to_string(), dir.display().to_string());
    let mut body = ContainerCreateBody {
        image: Some(service.image.to_string()),
        cmd: (!service.command.is_empty()).then(|| service.command.clone()),
        env: Some(env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        healthcheck: health(service),
        labels: Some(labels),
        host_config: Some(host_config(service, binds, bindings)),
        networking_config: networking(service),
        ..Default::default()
    };

    // Through a JSON value: its maps are sorted, while the body's HashMaps iterate in random order.
    let canonical = serde_json::to_value(&body)
        .map(|v| v.to_string())
        .map_err(|source| DockerError::Encode {
            service: service.name.to_string(),
            source,
        })?;
    let hash = sha256(format!("{canonical}\n{image_id}\n{mounted_files:?}").as_bytes());
    if let Some(labels) = body.labels.as_mut() {
        labels.insert(LABEL_HASH.to_string(), hash.clone());
    }
    let probe = (service.name == Role::Livekit)
        .then(|| Probe::Http(format!("http://127.0.0.1:{SIGNAL_PORT}/")));
    Ok(Desired {
        service: service.name.to_string(),
        container: service.container_name(),
        image: service.image.to_string(),
        has_healthcheck: body.healthcheck.is_some(),
        body,
        hash,
        depends_on: service.depends_on.clone(),
        probe,
    })
}
