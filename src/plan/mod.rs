//! The plan: everything derived from the answers, the preset and the host. `build` is pure and
//! deterministic — the same inputs give the same plan, and so byte-identical files.

mod cert;
mod checks;
mod dns;
mod error;
mod media;
mod mount;
mod placeholders;
pub mod ports;
mod services;
mod steps;
mod types;
mod web;

use crate::answers::{Address, Answers, UdpMode};
use crate::error::Error;
use crate::host::HostFacts;
use crate::preset::Preset;
use crate::role::Role;

pub use cert::caddy_signs_itself;
pub use error::PlanError;
pub use media::{range_size, Media, DEFAULT_MUX_PORT, HEADROOM_PERCENT, PORTS_PER_PARTICIPANT};
pub use services::CADDY_CONFIG_DIR;
pub use types::{
    ConfigFile, DnsRecord, Exposure, Firewall, FirewallRule, Livekit, Mount, MountSource, Plan,
    Port, Publish, RecordKind, Route, Service, Sysctl, Turn, Urls, Web, ACME_CA_ROOT_FILE,
};

/// The Docker project name: containers are `selkie-<service>`, labels `io.selkie.project=selkie`.
pub const PROJECT: &str = "selkie";
/// The Docker network bridged services share (databases and apps that need no host networking).
pub const NETWORK: &str = "selkie";
/// The pinned LiveKit server: the newest release whose config keys match the reference list.
/// Not the newest (v1.13.11): tests/data/livekit-config-keys.txt, the lab's image and the audit
/// of every key selkie writes are of v1.13.5; v1.13.6-11 only add keys. Bump all three together.
pub const LIVEKIT_IMAGE: &str = "livekit/livekit-server:v1.13.5";
/// Stock Caddy for the `caddy` proxy mode. Not the newest (v2.11.9): every Caddyfile selkie
/// writes was validated with 2.10.2 and the lab builds this one (tests/images/caddy/go.mod);
/// 2.11 adds only options selkie does not write. Bump with tests/images/caddy.
pub const CADDY_IMAGE: &str = "caddy:2.10.2";
/// Caddy with the layer-4 module, as LiveKit's own deployment uses it: caddy-l4 v0.1.2, the
/// newest, requires exactly Caddy v2.11.4, which names this tag.
pub const CADDY_L4_IMAGE: &str = "livekit/caddyl4:v2.11.4";
/// Plain HTTP: ACME's HTTP-01 challenge and the redirect to HTTPS.
pub const HTTP_PORT: u16 = 80;
/// HTTPS, where a preset does not choose another port.
pub const HTTPS_PORT: u16 = 443;
/// LiveKit's signalling (HTTP + WebSocket) port.
pub const SIGNAL_PORT: u16 = 7880;
/// WebRTC over TCP, for clients whose networks block UDP.
pub const TCP_FALLBACK_PORT: u16 = 7881;
/// TURN over UDP.
pub const TURN_UDP_PORT: u16 = 3478;
/// TURN over TLS behind the layer-4 proxy (plain TCP on the host: the proxy terminates TLS).
pub const TURN_TLS_PORT: u16 = 5349;
/// Docker healthcheck timing, the same for selkie's containers and the compose export.
pub const HEALTH_INTERVAL_SECS: u64 = 5;
/// How long one healthcheck may take.
pub const HEALTH_TIMEOUT_SECS: u64 = 5;
/// Failed checks in a row before a container is unhealthy.
pub const HEALTH_RETRIES: i64 = 5;
/// Grace period after start during which failures do not count.
pub const HEALTH_START_PERIOD_SECS: u64 = 30;
/// The socket receive/send buffer LiveKit asks for.
pub const UDP_BUFFER_BYTES: u32 = 5_000_000;

/// Derive the whole plan. Pure: reads nothing, writes nothing.
pub fn build(answers: &Answers, preset: &Preset, host: &HostFacts) -> Result<Plan, Error> {
    let addr = answers.address()?;
    checks::combination(answers, preset, &addr)?;
    let mut warnings = Vec::new();
    if let Address::Ip(ip) = &addr {
        warnings.extend(ip.warning());
    }

    let (media, media_warnings) = media::size(
        answers.participants,
        answers.udp,
        udp_start(answers, preset),
        answers.udp_end,
    )?;
    warnings.extend(media_warnings);

    let admin_source = answers.ssh.allow_from;
    let hosts = web::hosts(answers, preset, &addr)?;
    let web = web::front_door(answers, preset, &addr)?;
    let urls = web::urls(answers, preset, &addr, &hosts, &web);
    let livekit = web::livekit(answers, preset, &addr, &hosts, host);
    let routes = web::routes(answers, preset, &hosts, web::turn_dial(&livekit, host));

    let port_table = ports::table(answers, preset, host, &media, &livekit, &web, admin_source)?;
    let services = services::all(answers, preset, &urls, &port_table)?;
    let files = services::files(answers, preset);
    let dns = dns::records(&hosts, &addr, host.public_ip);

    let firewall = firewall(answers, preset, &port_table);
    let sysctl = sysctl(&port_table, host);
    warnings.extend(checks::warnings(
        answers,
        preset,
        host,
        &port_table,
        &services,
    ));

    let secrets = secret_names(preset);
    let next_steps = steps::next_steps(answers, preset, &addr, &dns, &web);

    Ok(Plan {
        preset: preset.name.clone(),
        address: addr,
        proxy: answers.proxy,
        urls,
        web,
        media,
        livekit,
        services,
        files,
        ports: port_table,
        routes,
        dns,
        firewall,
        sysctl,
        secrets,
        warnings,
        next_steps,
        admin_source,
    })
}

/// The first media port: the operator's choice, else the preset's default for the same UDP mode,
/// else selkie's own default.
fn udp_start(answers: &Answers, preset: &Preset) -> u16 {
    answers
        .udp_start
        .map(|s| s.get())
        .unwrap_or(match answers.udp {
            UdpMode::Range if preset.defaults.udp == UdpMode::Range => {
                preset.defaults.udp_start.get()
            }
            UdpMode::Range => 50000,
            UdpMode::Mux if preset.defaults.udp == UdpMode::Mux => preset.defaults.udp_start.get(),
            UdpMode::Mux => DEFAULT_MUX_PORT,
        })
}

/// The public ports as firewall rules, SSH apart so every firewall can open it first.
fn firewall(answers: &Answers, preset: &Preset, port_table: &[Port]) -> Firewall {
    Firewall {
        provider: answers.provider,
        ssh: firewall_rules(port_table, |p| p.service == Role::Ssh),
        rules: firewall_rules(port_table, |p| p.service != Role::Ssh),
        trusted_interface: preset.vpn.as_ref().map(|v| v.interface.clone()),
    }
}

/// The kernel settings: LiveKit's socket buffers and the ports kept out of the ephemeral range.
fn sysctl(port_table: &[Port], host: &HostFacts) -> Sysctl {
    Sysctl {
        rmem_max: UDP_BUFFER_BYTES,
        wmem_max: UDP_BUFFER_BYTES,
        reserved_ports: ports::reserved(port_table, host.ephemeral),
        ephemeral: host.ephemeral,
    }
}

/// The secrets the deployment keeps: LiveKit's API secret, then the preset's.
fn secret_names(preset: &Preset) -> Vec<String> {
    let mut secrets = vec!["livekit_api_secret".to_string()];
    secrets.extend(preset.secrets.iter().map(|s| s.name.clone()));
    secrets
}

fn firewall_rules(ports: &[Port], keep: impl Fn(&Port) -> bool) -> Vec<FirewallRule> {
    ports
        .iter()
        .filter(|p| p.exposure == Exposure::Public && keep(p))
        .map(|p| FirewallRule {
            port: p.port,
            end: p.end,
            proto: p.proto,
            source: p.source,
            service: p.service.clone(),
            purpose: p.purpose.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
