//! docker-compose.yml equivalent to what selkie runs: the same images, networks, bindings, mounts
//! and labels, for operators who prefer compose and for comparing the two.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::plan::{self, Plan, Service, NETWORK, PROJECT};
use crate::preset::NetworkKind;

#[derive(Serialize)]
struct Compose {
    services: BTreeMap<String, ComposeService>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    networks: BTreeMap<String, Network>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    volumes: BTreeMap<String, Volume>,
}

#[derive(Serialize)]
struct ComposeService {
    image: String,
    container_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    network_mode: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    networks: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    command: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    environment: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    env_file: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    volumes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    healthcheck: Option<Healthcheck>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cap_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    devices: Vec<String>,
    restart: &'static str,
    labels: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Healthcheck {
    test: Vec<String>,
    interval: String,
    timeout: String,
    retries: i64,
    start_period: String,
}

#[derive(Serialize)]
struct Network {
    name: String,
}

#[derive(Serialize)]
struct Volume {
    name: String,
}

/// Compose interpolates `$`; a literal dollar is written `$$`.
fn escape(s: &str) -> String {
    s.replace('$', "$$")
}

fn service(s: &Service) -> ComposeService {
    let bridged = s.network == NetworkKind::Bridge;
    ComposeService {
        image: s.image.to_string(),
        container_name: s.container_name(),
        network_mode: (!bridged).then_some("host"),
        networks: if bridged {
            vec![NETWORK.to_string()]
        } else {
            Vec::new()
        },
        command: s.command.iter().map(|c| escape(c)).collect(),
        environment: s.env.iter().map(|(k, v)| (k.clone(), escape(v))).collect(),
        env_file: s.env_file.iter().map(|f| format!("./{f}")).collect(),
        ports: s
            .publish
            .iter()
            .map(|p| {
                let range = if p.end == p.port {
                    p.port.to_string()
                } else {
                    format!("{}-{}", p.port, p.end)
                };
                format!("{}:{range}:{range}/{}", p.host_ip, p.proto.as_str())
            })
            .collect(),
        volumes: s
            .mounts
            .iter()
            .map(|m| {
                let mode = if m.read_only { ":ro" } else { "" };
                format!("{}:{}{mode}", m.source, m.target)
            })
            .collect(),
        depends_on: s.depends_on.clone(),
        healthcheck: (!s.healthcheck.is_empty()).then(|| Healthcheck {
            test: std::iter::once("CMD".to_string())
                .chain(s.healthcheck.iter().cloned())
                .collect(),
            interval: format!("{}s", plan::HEALTH_INTERVAL_SECS),
            timeout: format!("{}s", plan::HEALTH_TIMEOUT_SECS),
            retries: plan::HEALTH_RETRIES,
            start_period: format!("{}s", plan::HEALTH_START_PERIOD_SECS),
        }),
        cap_add: s.cap_add.clone(),
        devices: s.devices.clone(),
        restart: "unless-stopped",
        labels: BTreeMap::from([
            ("io.selkie.project".to_string(), PROJECT.to_string()),
            ("io.selkie.service".to_string(), s.name.to_string()),
        ]),
    }
}

/// `.env` beside the compose file: pins the project name whatever the directory is called
/// (Compose v1, which Debian ships, has no top-level `name:`; both versions read this file).
pub fn env_file() -> String {
    format!("# Read by docker compose in this directory.\nCOMPOSE_PROJECT_NAME={PROJECT}\n")
}

/// The compose file.
pub fn compose(plan: &Plan) -> String {
    let services: BTreeMap<String, ComposeService> = plan
        .services
        .iter()
        .map(|s| (s.name.to_string(), service(s)))
        .collect();
    let networks = if plan
        .services
        .iter()
        .any(|s| s.network == NetworkKind::Bridge)
    {
        BTreeMap::from([(
            NETWORK.to_string(),
            Network {
                name: NETWORK.to_string(),
            },
        )])
    } else {
        BTreeMap::new()
    };
    let volumes: BTreeMap<String, Volume> = plan
        .services
        .iter()
        .flat_map(|s| &s.mounts)
        .filter_map(|m| m.source.volume())
        .map(|name| {
            (
                name.to_string(),
                Volume {
                    name: format!("{PROJECT}_{name}"),
                },
            )
        })
        .collect();
    let order: Vec<&str> = plan.services.iter().map(|s| s.name.as_str()).collect();
    let body = serde_saphyr::to_string(&Compose {
        services,
        networks,
        volumes,
    })
    // Plain structs of strings and numbers always serialise.
    .unwrap_or_else(|e| format!("# could not serialise the compose file: {e}\n"));
    format!(
        "# docker-compose.yml, written by selkie for the {} preset: the containers selkie runs.\n\
         # selkie starts them in this order: {}.\n\
         # LiveKit and the proxy use host networking (Docker would otherwise publish the UDP\n\
         # range one port at a time); other ports are published on 127.0.0.1 unless public.\n\
         # Use either this file or selkie, not both at once (the container names are the same):\n\
         # `selkie down` first, then from the deployment directory: docker compose up -d\n\
         {body}",
        plan.preset,
        order.join(", ")
    )
}
