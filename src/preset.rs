//! Presets: which stack to run, as data. LiveKit and the reverse proxy are built into the core; a
//! preset adds the application services around them and tunes the defaults.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::answers::{ImageRef, Participants, ProxyMode, UdpMode, UdpStart};
use crate::error::Error;

/// The presets shipped inside the binary, in the order they are offered.
const EMBEDDED: &[(&str, &str)] = &[
    ("livekit", include_str!("../presets/livekit.toml")),
    ("reflector", include_str!("../presets/reflector.toml")),
    ("xr-hub", include_str!("../presets/xr-hub.toml")),
    ("hearth", include_str!("../presets/hearth.toml")),
    ("private", include_str!("../presets/private.toml")),
];

/// The default preset's name.
pub const DEFAULT: &str = "livekit";

/// A whole preset file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub name: String,
    /// One line for menus and help.
    pub description: String,
    /// The seed document this preset reproduces, if any.
    #[serde(default)]
    pub seed: Option<String>,
    /// Proxy modes this stack works with; all of them when empty.
    #[serde(default)]
    pub proxies: Vec<ProxyMode>,
    pub defaults: Defaults,
    #[serde(default)]
    pub web: WebOptions,
    #[serde(default)]
    pub livekit: LivekitOptions,
    #[serde(default)]
    pub vpn: Option<VpnOptions>,
    /// Secrets generated once and shared by the services' environments.
    #[serde(default, rename = "secret")]
    pub secrets: Vec<SecretSpec>,
    #[serde(default, rename = "service")]
    pub services: Vec<AppService>,
}

/// The answers a preset suggests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub proxy: ProxyMode,
    pub participants: Participants,
    pub udp: UdpMode,
    pub udp_start: UdpStart,
    /// A range end the preset's authors chose; used until the operator sets participants.
    #[serde(default)]
    pub udp_end: Option<u16>,
    /// Allow SSH only from the operator's address (taken from the SSH session) by default.
    #[serde(default)]
    pub restrict_ssh: bool,
}

/// The HTTPS front door.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebOptions {
    #[serde(default = "default_https_port")]
    pub https_port: u16,
    /// Listen on port 80 to redirect to HTTPS (and answer ACME HTTP challenges).
    #[serde(default = "yes")]
    pub redirect_http: bool,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions {
            https_port: default_https_port(),
            redirect_http: true,
        }
    }
}

fn default_https_port() -> u16 {
    443
}

fn yes() -> bool {
    true
}

/// How LiveKit sits in this stack.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivekitOptions {
    /// Path prefix for signalling on the main site (e.g. `/lk-ws`), when the app owns `/`.
    #[serde(default)]
    pub path: Option<String>,
    /// Signalling is reached only through the app (`loopback`), never through selkie's proxy.
    #[serde(default)]
    pub signal: Option<Expose>,
    /// What clients connect to when the app proxies signalling, with `{{host}}` for the address.
    #[serde(default)]
    pub client_url: Option<String>,
    /// Where LiveKit's media ports are reached from: `public` (default) or `vpn`.
    #[serde(default)]
    pub exposure: Option<Expose>,
    /// LiveKit's embedded TURN server.
    #[serde(default = "yes")]
    pub turn: bool,
    /// WebRTC over TCP on 7881 when UDP is blocked.
    #[serde(default = "yes")]
    pub tcp_fallback: bool,
    /// The app serves HTTPS itself, so running without selkie's proxy is not a warning.
    #[serde(default)]
    pub app_terminates_tls: bool,
    /// Go memory limit for the server (GOMEMLIMIT), for small machines.
    #[serde(default)]
    pub memory_limit: Option<String>,
    #[serde(default)]
    pub room: Option<RoomDefaults>,
    #[serde(default)]
    pub limit: Option<LimitDefaults>,
}

impl Default for LivekitOptions {
    fn default() -> Self {
        LivekitOptions {
            path: None,
            signal: None,
            client_url: None,
            exposure: None,
            turn: true,
            tcp_fallback: true,
            app_terminates_tls: false,
            memory_limit: None,
            room: None,
            limit: None,
        }
    }
}

/// livekit.yaml `room:` settings a preset may fix.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RoomDefaults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_create: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_timeout: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_participants: Option<u32>,
}

/// livekit.yaml `limit:` settings a preset may fix.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitDefaults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_tracks: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_per_sec: Option<f32>,
}

/// A VPN every non-public port is reached through.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpnOptions {
    /// The host interface the VPN creates, trusted by the host firewall.
    pub interface: String,
}

/// A secret generated once with the OS random source and kept across `--resume`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    pub name: String,
}

/// Where a preset port is reached from, before the proxy mode decides the final exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expose {
    /// Open to the internet.
    Public,
    /// A web service: behind the proxy when there is one, public when there is none.
    Web,
    /// Bound to 127.0.0.1 on the host.
    Loopback,
    /// Reached only by other containers.
    Internal,
    /// Reached only over the VPN.
    Vpn,
}

/// Container network of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkKind {
    /// The project's bridge network; ports published on 127.0.0.1 only.
    #[default]
    Bridge,
    /// The host's network stack (media, VPN, and apps that must see real client addresses).
    Host,
}

/// A transport protocol.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    #[default]
    Tcp,
    Udp,
}

impl Proto {
    /// `tcp` or `udp`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// One port of an application service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppPort {
    pub port: u16,
    /// Last port of a range (inclusive).
    #[serde(default)]
    pub end: Option<u16>,
    #[serde(default)]
    pub proto: Proto,
    pub expose: Expose,
    /// Path prefix on the main site for a web port (`/` for the site itself).
    #[serde(default)]
    pub route: Option<String>,
    pub purpose: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// Only part of the plan when there is no proxy.
    #[serde(default)]
    pub only_without_proxy: bool,
    /// Open only to the SSH admin network when one is set.
    #[serde(default)]
    pub admin: bool,
}

/// An application service the preset adds around LiveKit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppService {
    pub name: String,
    pub purpose: String,
    /// A public image; when absent the operator must give one (`--image NAME=REF`).
    #[serde(default)]
    pub image: Option<ImageRef>,
    /// What to give when there is no public image.
    #[serde(default)]
    pub image_hint: Option<String>,
    #[serde(default)]
    pub network: NetworkKind,
    #[serde(default)]
    pub command: Vec<String>,
    /// Environment; values may use `{{public_url}}`, `{{public_wss}}`, `{{livekit_url}}`,
    /// `{{service_url.NAME}}` / `{{service_wss.NAME}}` (where browsers reach service NAME),
    /// `{{livekit_api_key}}` and
    /// `{{secret.NAME}}`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// `volume-name:/path` for named volumes.
    #[serde(default)]
    pub volumes: Vec<String>,
    #[serde(default)]
    pub ports: Vec<AppPort>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// A command run inside the container to tell it is healthy.
    #[serde(default)]
    pub healthcheck: Vec<String>,
    #[serde(default)]
    pub cap_add: Vec<String>,
    #[serde(default)]
    pub devices: Vec<String>,
}

impl Preset {
    /// Parse and check a preset file's text.
    pub fn parse(source: &str, text: &str) -> Result<Preset, Error> {
        let preset: Preset = toml::from_str(text).map_err(|e| Error::Other {
            message: format!("preset {source} is not valid: {e}"),
            hint: Some("compare it with the presets in the presets/ folder".into()),
        })?;
        preset.check(source)?;
        Ok(preset)
    }

    /// Whether this stack works with a proxy mode.
    pub fn allows(&self, proxy: ProxyMode) -> bool {
        self.proxies.is_empty() || self.proxies.contains(&proxy)
    }

    /// Whether an app service owns the root of the main site.
    pub fn app_owns_root(&self) -> bool {
        self.services
            .iter()
            .flat_map(|s| &s.ports)
            .any(|p| p.expose == Expose::Web && p.route.as_deref() == Some("/"))
    }

    fn check(&self, source: &str) -> Result<(), Error> {
        let fail = |message: String| {
            Error::Other {
            message: format!("preset {source}: {message}"),
            hint: Some("fix the preset file; each service needs a unique name, ports need routes when exposed as web".into()),
        }
        };
        // These strings reach file names, shell scripts and proxy configs: keep them plain.
        let plain_name = |n: &str| {
            !n.is_empty()
                && n.len() <= 40
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !n.starts_with('-')
        };
        let plain_path = |p: &str| {
            p.starts_with('/')
                && !p.contains("..")
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c))
        };
        if let Some(vpn) = &self.vpn {
            let ok = !vpn.interface.is_empty()
                && vpn.interface.len() <= 15
                && vpn
                    .interface
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !ok {
                return Err(fail(format!(
                    "`{}` is not an interface name",
                    vpn.interface
                )));
            }
        }
        if let Some(path) = &self.livekit.path {
            if !plain_path(path) || path == "/" {
                return Err(fail(format!(
                    "`{path}` is not a plain path prefix such as /lk-ws"
                )));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for reserved in ["livekit", "proxy"] {
            names.insert(reserved.to_string());
        }
        for service in &self.services {
            if !plain_name(&service.name) {
                return Err(fail(format!(
                    "`{}` is not a service name (lower-case letters, digits and hyphens)",
                    service.name
                )));
            }
            if let Some(route) = service
                .ports
                .iter()
                .filter_map(|p| p.route.as_deref())
                .find(|r| !plain_path(r))
            {
                return Err(fail(format!("`{route}` is not a plain path such as /v1")));
            }
            if !names.insert(service.name.clone()) {
                return Err(fail(format!(
                    "the service name `{}` is used twice or reserved",
                    service.name
                )));
            }
            if service.image.is_none() && service.image_hint.is_none() {
                return Err(fail(format!(
                    "service `{}` needs an image or an image_hint",
                    service.name
                )));
            }
            for port in &service.ports {
                if port.end.is_some_and(|end| end < port.port) {
                    return Err(fail(format!(
                        "service `{}`: range {}-{:?} ends before it starts",
                        service.name, port.port, port.end
                    )));
                }
                if port.expose == Expose::Web && port.route.is_none() {
                    return Err(fail(format!(
                        "service `{}`: web port {} needs a route",
                        service.name, port.port
                    )));
                }
            }
        }
        for service in &self.services {
            for dep in &service.depends_on {
                if !names.contains(dep) {
                    return Err(fail(format!(
                        "service `{}` depends on unknown `{dep}`",
                        service.name
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Every embedded preset, parsed.
pub fn all() -> Vec<Preset> {
    EMBEDDED
        .iter()
        // The embedded presets are checked by the test suite, so a parse failure here is a build defect.
        .filter_map(|(name, text)| Preset::parse(name, text).ok())
        .collect()
}

/// The names of every embedded preset.
pub fn names() -> Vec<&'static str> {
    EMBEDDED.iter().map(|(n, _)| *n).collect()
}

/// Find an embedded preset by name.
pub fn find(name: &str) -> Result<Preset, Error> {
    let wanted = name.trim().to_ascii_lowercase();
    match EMBEDDED.iter().find(|(n, _)| *n == wanted) {
        Some((n, text)) => Preset::parse(n, text),
        None => Err(Error::invalid(
            format!("`{}` is not a known preset", name.trim()),
            format!("choose one of: {}", names().join(", ")),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_preset_parses_and_is_named_after_its_file() {
        for (file, text) in EMBEDDED {
            let preset = Preset::parse(file, text).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(&preset.name, file);
            assert!(
                preset.allows(preset.defaults.proxy),
                "{file}: default proxy not allowed"
            );
        }
        assert_eq!(all().len(), EMBEDDED.len());
    }

    #[test]
    fn unknown_preset_lists_the_choices() {
        let err = find("jitsi").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err
            .hint()
            .unwrap()
            .contains("livekit, reflector, xr-hub, hearth, private"));
    }

    #[test]
    fn preset_strings_that_reach_scripts_and_paths_are_plain() {
        let base = "name = \"x\"\ndescription = \"x\"\n[defaults]\nproxy = \"caddy\"\nparticipants = 5\nudp = \"range\"\nudp_start = 50000\n";
        for (extra, why) in [
            ("[vpn]\ninterface = \"tun0; rm -rf /\"\n", "interface"),
            ("[livekit]\npath = \"/lk ws\"\n", "path prefix"),
            ("[[service]]\nname = \"../etc\"\npurpose = \"x\"\nimage = \"a/b:1\"\n", "service name"),
            ("[[service]]\nname = \"app\"\npurpose = \"x\"\nimage = \"a/b:1\"\nports = [{ port = 1, expose = \"web\", route = \"/a/../b\", purpose = \"x\" }]\n", "plain path"),
        ] {
            let err = Preset::parse("x", &format!("{base}{extra}")).unwrap_err();
            assert!(err.to_string().contains(why), "{err}");
        }
    }

    #[test]
    fn a_preset_with_a_duplicate_service_is_refused() {
        let text = r#"
            name = "x"
            description = "x"
            [defaults]
            proxy = "caddy"
            participants = 5
            udp = "range"
            udp_start = 50000
            [[service]]
            name = "livekit"
            purpose = "clash"
            image = "a/b:1"
        "#;
        let err = Preset::parse("x", text).unwrap_err();
        assert!(err.to_string().contains("used twice or reserved"), "{err}");
    }
}
