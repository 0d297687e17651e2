//! The containers: LiveKit and the proxy from the core, the application services from the preset.

use std::collections::{BTreeMap, BTreeSet};

use crate::answers::{Answers, ImageRef, ProxyMode};
use crate::error::Error;
use crate::preset::{AppService, NetworkKind, Preset};
use crate::role::Role;

use super::error::PlanError;
use super::placeholders::{expand, secret_names, service_urls};
use super::{
    ConfigFile, Exposure, Mount, MountSource, Port, Publish, Service, Urls, CADDY_IMAGE,
    CADDY_L4_IMAGE, LIVEKIT_IMAGE,
};

/// Where livekit.yaml and its key file are mounted in the container.
pub const LIVEKIT_CONFIG_DIR: &str = "/etc/livekit";
/// Where the Caddy config directory is mounted.
pub const CADDY_CONFIG_DIR: &str = "/etc/caddy";

fn image(answers: &Answers, role: &Role, default: &str) -> Result<ImageRef, Error> {
    match answers.images.get(role.as_str()) {
        Some(i) => Ok(i.clone()),
        None => default.parse(),
    }
}

fn mount(source: &str, target: &str, read_only: bool) -> Mount {
    Mount {
        source: MountSource::parse(source),
        target: target.into(),
        read_only,
    }
}

/// Every service, in start order: dependencies first, LiveKit, the apps, the proxy last.
pub(crate) fn all(
    answers: &Answers,
    preset: &Preset,
    urls: &Urls,
    ports: &[Port],
) -> Result<Vec<Service>, Error> {
    check_overrides(answers, preset)?;
    check_missing_images(answers, preset)?;
    let livekit = livekit_service(answers, preset)?;

    let mut apps = Vec::new();
    for app in order(&preset.services) {
        apps.push(app_service(answers, preset, app, urls, ports)?);
    }

    let mut out: Vec<Service> = Vec::new();
    // Apps nothing else depends on start after LiveKit; the rest (databases, caches) before it.
    let depended: BTreeSet<&str> = preset
        .services
        .iter()
        .flat_map(|s| s.depends_on.iter().map(String::as_str))
        .collect();
    let (deps, rest): (Vec<Service>, Vec<Service>) = apps
        .into_iter()
        .partition(|s| depended.contains(s.name.as_str()));
    out.extend(deps);
    out.push(livekit);
    out.extend(rest);

    if let Some(proxy) = proxy_service(answers)? {
        out.push(proxy);
    }
    Ok(out)
}

/// Refuse an image override for a service the preset does not have.
fn check_overrides(answers: &Answers, preset: &Preset) -> Result<(), Error> {
    let known: BTreeSet<&str> = preset
        .services
        .iter()
        .map(|s| s.name.as_str())
        .chain([Role::Livekit.as_str(), Role::Proxy.as_str()])
        .collect();
    if let Some(unknown) = answers.images.keys().find(|k| !known.contains(k.as_str())) {
        let names: Vec<&str> = known.iter().copied().collect();
        return Err(Error::invalid(
            format!("`{unknown}` is not a service of the {} preset", preset.name),
            format!("image overrides take one of: {}", names.join(", ")),
        ));
    }
    Ok(())
}

/// Refuse a plan whose preset has services without a public image the operator did not give one.
fn check_missing_images(answers: &Answers, preset: &Preset) -> Result<(), Error> {
    let missing: Vec<&AppService> = preset
        .services
        .iter()
        .filter(|s| s.image.is_none() && !answers.images.contains_key(&s.name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|s| s.name.as_str()).collect();
    let flags: Vec<String> = missing
        .iter()
        .map(|s| format!("--image {}=REF", s.name))
        .collect();
    let what: Vec<String> = missing
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s.name,
                s.image_hint.as_deref().unwrap_or("your image reference")
            )
        })
        .collect();
    Err(Error::invalid(
        format!(
            "the {} preset needs your image for {} (there is no public image to use)",
            preset.name,
            names.join(" and ")
        ),
        format!(
            "pass {} (or set them under [images] in selkie.toml); {}",
            flags.join(" "),
            what.join("; ")
        ),
    ))
}

fn livekit_service(answers: &Answers, preset: &Preset) -> Result<Service, Error> {
    let mut env = BTreeMap::new();
    if let Some(limit) = &preset.livekit.memory_limit {
        env.insert("GOMEMLIMIT".to_string(), limit.clone());
    }
    Ok(Service {
        name: Role::Livekit,
        purpose: "LiveKit server: signalling, WebRTC media and TURN".into(),
        image: image(answers, &Role::Livekit, LIVEKIT_IMAGE)?,
        network: NetworkKind::Host,
        command: vec![
            "--config".into(),
            format!("{LIVEKIT_CONFIG_DIR}/livekit.yaml"),
        ],
        env,
        secret_env: BTreeMap::new(),
        env_file: None,
        publish: Vec::new(),
        mounts: vec![mount("./livekit", LIVEKIT_CONFIG_DIR, true)],
        depends_on: Vec::new(),
        healthcheck: Vec::new(),
        cap_add: Vec::new(),
        devices: Vec::new(),
    })
}

fn proxy_service(answers: &Answers) -> Result<Option<Service>, Error> {
    let (default_image, command) = match answers.proxy {
        ProxyMode::Caddy => (
            CADDY_IMAGE,
            vec![
                "caddy".to_string(),
                "run".into(),
                "--config".into(),
                format!("{CADDY_CONFIG_DIR}/Caddyfile"),
                "--adapter".into(),
                "caddyfile".into(),
            ],
        ),
        // The layer-4 image's entrypoint is `caddy` itself.
        ProxyMode::CaddyL4 => (
            CADDY_L4_IMAGE,
            vec![
                "run".to_string(),
                "--config".into(),
                format!("{CADDY_CONFIG_DIR}/caddy.json"),
            ],
        ),
        ProxyMode::External | ProxyMode::None => return Ok(None),
    };
    Ok(Some(Service {
        name: Role::Proxy,
        purpose: "Caddy: HTTPS with automatic certificates, reverse proxy".into(),
        image: image(answers, &Role::Proxy, default_image)?,
        network: NetworkKind::Host,
        command,
        env: BTreeMap::new(),
        secret_env: BTreeMap::new(),
        env_file: None,
        publish: Vec::new(),
        mounts: vec![
            mount("./caddy", CADDY_CONFIG_DIR, true),
            mount("caddy-data", "/data", false),
            mount("caddy-config", "/config", false),
        ],
        depends_on: Vec::new(),
        healthcheck: Vec::new(),
        cap_add: Vec::new(),
        devices: Vec::new(),
    }))
}

/// Preset services with every dependency before its dependents; ties keep the preset's order.
fn order(services: &[AppService]) -> Vec<&AppService> {
    let mut placed: Vec<&AppService> = Vec::new();
    let mut names: BTreeSet<&str> = BTreeSet::new();
    // The preset check refuses unknown dependencies, so each pass places at least one service
    // unless there is a cycle; a cycle leaves the rest in preset order.
    while placed.len() < services.len() {
        let before = placed.len();
        for s in services {
            if !names.contains(s.name.as_str())
                && s.depends_on.iter().all(|d| {
                    names.contains(d.as_str())
                        || matches!(Role::from_name(d), Role::Livekit | Role::Proxy)
                })
            {
                placed.push(s);
                names.insert(&s.name);
            }
        }
        if placed.len() == before {
            placed.extend(services.iter().filter(|s| !names.contains(s.name.as_str())));
            break;
        }
    }
    placed
}

fn app_service(
    answers: &Answers,
    preset: &Preset,
    app: &AppService,
    urls: &Urls,
    ports: &[Port],
) -> Result<Service, Error> {
    let image = match (answers.images.get(&app.name), &app.image) {
        (Some(i), _) => i.clone(),
        (None, Some(i)) => i.clone(),
        // `all` refuses a plan with missing images before any service is built.
        (None, None) => {
            return Err(Error::invalid(
                format!("no image for `{}`", app.name),
                format!("pass --image {}=REF", app.name),
            ))
        }
    };
    let (env, secret_env) = environment(answers, preset, app, urls)?;
    let publish = if app.network == NetworkKind::Bridge {
        published(app, ports)
    } else {
        Vec::new()
    };
    let mounts = app.volumes.iter().filter_map(|v| parse_volume(v)).collect();
    Ok(Service {
        name: Role::from_name(&app.name),
        purpose: app.purpose.clone(),
        image,
        network: app.network,
        command: app.command.clone(),
        env,
        env_file: (!secret_env.is_empty()).then(|| format!("env/{}.env", app.name)),
        secret_env,
        publish,
        mounts,
        depends_on: app.depends_on.clone(),
        healthcheck: app.healthcheck.clone(),
        cap_add: app.cap_add.clone(),
        devices: app.devices.clone(),
    })
}

/// Environment variables by name.
type Env = BTreeMap<String, String>;

/// The app's environment with the plan's placeholders filled in: plain values, and the values
/// that carry a secret (they go to the service's 0600 env file).
fn environment(
    answers: &Answers,
    preset: &Preset,
    app: &AppService,
    urls: &Urls,
) -> Result<(Env, Env), Error> {
    let mut env = BTreeMap::new();
    let mut secret_env = BTreeMap::new();
    for (key, value) in &app.env {
        let resolved =
            expand(value, urls, &service_urls(answers, preset, urls)).map_err(|placeholder| {
                PlanError::UnknownPlaceholder {
                    preset: preset.name.clone(),
                    service: app.name.clone(),
                    placeholder,
                    key: key.clone(),
                }
            })?;
        if value.contains("{{secret") || value.contains("{{livekit_api_key}}") {
            check_secrets(preset, app, value)?;
            secret_env.insert(key.clone(), resolved);
        } else {
            env.insert(key.clone(), resolved);
        }
    }
    Ok((env, secret_env))
}

/// Refuse a value that names a secret the preset does not declare.
fn check_secrets(preset: &Preset, app: &AppService, value: &str) -> Result<(), PlanError> {
    let names = secret_names(value);
    let unknown = names
        .iter()
        .find(|n| **n != "livekit_api_secret" && !preset.secrets.iter().any(|s| s.name == **n));
    match unknown {
        Some(n) => Err(PlanError::UndeclaredSecret {
            preset: preset.name.clone(),
            service: app.name.clone(),
            secret: n.to_string(),
        }),
        None => Ok(()),
    }
}

/// A bridge-network app's ports as Docker publishes them.
fn published(app: &AppService, ports: &[Port]) -> Vec<Publish> {
    ports
        .iter()
        .filter(|p| p.service.as_str() == app.name)
        .filter(|p| {
            matches!(
                p.exposure,
                Exposure::Proxied | Exposure::Loopback | Exposure::Public | Exposure::Vpn
            )
        })
        .map(|p| Publish {
            // Published ports bypass host firewalls, so only ports meant for everyone use all addresses.
            host_ip: if p.exposure == Exposure::Public {
                "0.0.0.0".into()
            } else {
                "127.0.0.1".into()
            },
            port: p.port,
            end: p.end,
            proto: p.proto,
        })
        .collect()
}

/// `name:/path`, `./dir:/path` or either with `:ro`.
fn parse_volume(spec: &str) -> Option<Mount> {
    let (spec, read_only) = match spec.strip_suffix(":ro") {
        Some(rest) => (rest, true),
        None => (spec, false),
    };
    let (source, target) = spec.split_once(':')?;
    Some(mount(source, target, read_only))
}

/// The preset's config files, with `{{host}}` filled in.
pub(crate) fn files(answers: &Answers, preset: &Preset) -> Vec<ConfigFile> {
    let host = answers.address().map(|a| a.url_host()).unwrap_or_default();
    preset
        .services
        .iter()
        .flat_map(|s| {
            s.files.iter().map(|f| ConfigFile {
                path: f.path.clone(),
                contents: f.contents.replace("{{host}}", &host),
                service: Role::from_name(&s.name),
            })
        })
        .collect()
}
