//! Plan -> files. Pure: every function here takes the plan (and, for the few secret files, the
//! secrets) and returns text; writing is the state module's job.

pub mod cloud_init;
pub mod compose;
pub mod firewall;
pub mod livekit;
pub mod proxy;
mod text;

use crate::answers::{HostFirewall, Provider, ProxyMode};
use crate::error::Error;
use crate::plan::Plan;
use crate::secrets::Secrets;

/// One file of the deployment directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Path relative to the deployment directory, with `/` separators.
    pub path: String,
    pub contents: String,
    /// Holds a secret: written 0600, never shown, never in snapshots.
    pub secret: bool,
    /// A script the operator runs: written 0755 (it holds no secret).
    pub executable: bool,
}

impl RenderedFile {
    fn public(path: impl Into<String>, contents: String) -> Self {
        RenderedFile {
            path: path.into(),
            contents,
            secret: false,
            executable: false,
        }
    }

    fn script(path: impl Into<String>, contents: String) -> Self {
        RenderedFile {
            executable: true,
            ..RenderedFile::public(path, contents)
        }
    }
}

/// The file name of a host firewall's output.
pub fn host_firewall_path(kind: HostFirewall) -> String {
    match kind {
        HostFirewall::Nftables => "firewall/nftables.nft".into(),
        other => format!("firewall/{}.sh", other.as_str()),
    }
}

/// The file name of a provider's cloud firewall commands.
pub fn cloud_firewall_path(provider: Provider) -> String {
    format!("firewall/cloud-{}.sh", provider.as_str())
}

/// Every file without a secret in it, in a stable order.
pub fn public_files(plan: &Plan) -> Vec<RenderedFile> {
    let mut files = vec![RenderedFile::public(
        "livekit/livekit.yaml",
        livekit::yaml(plan),
    )];
    match plan.proxy {
        ProxyMode::Caddy => files.push(RenderedFile::public(
            "caddy/Caddyfile",
            proxy::caddyfile(plan),
        )),
        ProxyMode::CaddyL4 => files.push(RenderedFile::public(
            "caddy/caddy.json",
            proxy::layer4_json(plan),
        )),
        ProxyMode::External => {
            files.push(RenderedFile::public("proxy/nginx.conf", proxy::nginx(plan)));
            files.push(RenderedFile::public(
                "proxy/traefik.yml",
                proxy::traefik(plan),
            ));
        }
        ProxyMode::None => {}
    }
    if let (Some(pem), ProxyMode::Caddy | ProxyMode::CaddyL4) = (&plan.web.acme_ca_root, plan.proxy)
    {
        files.push(RenderedFile::public(
            format!("caddy/{}", crate::plan::ACME_CA_ROOT_FILE),
            pem.clone(),
        ));
    }
    for file in &plan.files {
        files.push(RenderedFile::public(
            file.path.clone(),
            file.contents.clone(),
        ));
    }
    files.push(RenderedFile::public(
        "docker-compose.yml",
        compose::compose(plan),
    ));
    files.push(RenderedFile::public(".env", compose::env_file()));
    for kind in HostFirewall::ALL {
        let contents = firewall::host(plan, *kind);
        files.push(match kind {
            HostFirewall::Nftables => RenderedFile::public(host_firewall_path(*kind), contents),
            _ => RenderedFile::script(host_firewall_path(*kind), contents),
        });
    }
    if let Some(cloud) = firewall::cloud(plan, plan.firewall.provider) {
        files.push(RenderedFile::script(
            cloud_firewall_path(plan.firewall.provider),
            cloud,
        ));
    }
    files.push(RenderedFile::public(
        "firewall/clients.md",
        firewall::clients(plan),
    ));
    files.push(RenderedFile::public("dns.txt", text::dns(plan)));
    files.push(RenderedFile::public(
        "sysctl/99-selkie.conf",
        text::sysctl(plan),
    ));
    files
}

/// The files that hold secrets: LiveKit's key file and the services' env files.
pub fn secret_files(plan: &Plan, secrets: &Secrets) -> Result<Vec<RenderedFile>, Error> {
    let mut files = vec![RenderedFile {
        path: "livekit/keys.yaml".into(),
        contents: livekit::keys(secrets),
        secret: true,
        executable: false,
    }];
    for service in &plan.services {
        if let Some(path) = &service.env_file {
            let mut contents = String::from("# Written by selkie; holds secrets (mode 0600).\n");
            for (key, template) in &service.secret_env {
                contents.push_str(&format!("{key}={}\n", secrets.fill(template)?));
            }
            files.push(RenderedFile {
                path: path.clone(),
                contents,
                secret: true,
                executable: false,
            });
        }
    }
    Ok(files)
}

/// Every file of the deployment.
pub fn all(plan: &Plan, secrets: &Secrets) -> Result<Vec<RenderedFile>, Error> {
    let mut files = public_files(plan);
    files.extend(secret_files(plan, secrets)?);
    Ok(files)
}
