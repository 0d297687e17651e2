//! The shape of a preset file: the options a stack may set and the services it adds. Unknown keys
//! are refused, so a typo in a preset fails loudly instead of being ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::answers::{ImageRef, Participants, ProxyMode, UdpMode, UdpStart};
use crate::transport::Proto;

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

/// A secret generated once with the OS random source and kept across `--resume`. Templates use
/// it as `{{secret.NAME}}`; `{{secret_hex.NAME}}` (64 hex digits) and `{{secret_hex24.NAME}}`
/// (24) are derived from it (SHA-256) for programs that want hexadecimal keys.
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
    /// A path that answers 200 when the service is healthy, probed by `selkie status`.
    #[serde(default)]
    pub health: Option<String>,
    /// A web port served at the root of its own host name, `NAME.<domain>` (e.g. `s3` for an
    /// S3 API, whose signatures cover the path, so it cannot live under a prefix).
    #[serde(default)]
    pub subdomain: Option<String>,
}

/// A config file of a service, written into the deployment directory (and mounted with a
/// `./DIR:/path:ro` volume). Its text may use `{{host}}`; secrets go in the environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppFile {
    /// Path relative to the deployment directory, such as `garage/garage.toml`.
    pub path: String,
    pub contents: String,
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
    /// `volume-name:/path` for named volumes, `./dir:/path[:ro]` for a directory of the
    /// deployment.
    #[serde(default)]
    pub volumes: Vec<String>,
    /// Config files written into the deployment directory.
    #[serde(default, rename = "file")]
    pub files: Vec<AppFile>,
    /// What the operator does once the service runs, in order; may use `{{host}}`.
    #[serde(default)]
    pub next_steps: Vec<String>,
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
