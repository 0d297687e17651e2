//! livekit.yaml as typed structs serialised to YAML, using only keys the pinned server knows.

use serde::Serialize;

use crate::answers::UdpMode;
use crate::plan::{Plan, SIGNAL_PORT};
use crate::preset::{LimitDefaults, RoomDefaults};
use crate::secrets::Secrets;

/// The key file's path inside the container; livekit-server refuses one readable by others.
pub const KEY_FILE: &str = "/etc/livekit/keys.yaml";

#[derive(Serialize)]
struct Config<'a> {
    port: u16,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bind_addresses: Vec<String>,
    rtc: Rtc,
    key_file: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    turn: Option<Turn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    room: Option<&'a RoomDefaults>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<&'a LimitDefaults>,
    logging: Logging,
}

#[derive(Serialize)]
struct Rtc {
    #[serde(skip_serializing_if = "Option::is_none")]
    tcp_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port_range_start: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port_range_end: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    udp_port: Option<u16>,
    use_external_ip: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ips: Option<IpFilter>,
}

#[derive(Serialize)]
struct IpFilter {
    includes: Vec<String>,
}

#[derive(Serialize)]
struct Turn {
    enabled: bool,
    domain: String,
    udp_port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_tls: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allow_restricted_peer_cidrs: Vec<String>,
}

#[derive(Serialize)]
struct Logging {
    level: &'static str,
}

/// livekit.yaml for the plan. The API keys live in the 0600 key file, so this file holds no secret.
pub fn yaml(plan: &Plan) -> String {
    let lk = &plan.livekit;
    let media = &plan.media;
    let (port_range_start, port_range_end, udp_port) = match media.mode {
        UdpMode::Range => (Some(media.start), Some(media.end), None),
        UdpMode::Mux => (None, None, Some(media.start)),
    };
    let config = Config {
        port: SIGNAL_PORT,
        bind_addresses: if lk.loopback_only {
            vec!["127.0.0.1".into()]
        } else {
            Vec::new()
        },
        rtc: Rtc {
            tcp_port: lk.tcp_port,
            port_range_start,
            port_range_end,
            udp_port,
            use_external_ip: lk.use_external_ip,
            node_ip: lk.node_ip.map(|ip| ip.to_string()),
            // One socket per media connection, on the address clients reach, not one on every
            // address of the host.
            ips: lk.gather_on.map(|ip| IpFilter {
                includes: vec![match ip {
                    std::net::IpAddr::V4(v4) => format!("{v4}/32"),
                    std::net::IpAddr::V6(v6) => format!("{v6}/128"),
                }],
            }),
        },
        key_file: KEY_FILE,
        turn: lk.turn.as_ref().map(|t| Turn {
            enabled: true,
            domain: t.domain.clone(),
            udp_port: t.udp_port,
            tls_port: t.tls_port,
            // The layer-4 proxy terminates TLS and forwards plain TCP, so no certificate path
            // has to be shared between Caddy and LiveKit.
            external_tls: t.tls_port.map(|_| true),
            // TURN relays only to LiveKit itself, at node_ip: a private one must be allowed.
            allow_restricted_peer_cidrs: t.allow_restricted_peer_cidrs.clone(),
        }),
        room: lk.room.as_ref(),
        limit: lk.limit.as_ref(),
        logging: Logging { level: "info" },
    };
    let body = serde_saphyr::to_string(&config)
        // Serialising plain structs of strings, numbers and booleans cannot fail.
        .unwrap_or_else(|e| format!("# could not serialise livekit.yaml: {e}\n"));
    format!(
        "# livekit.yaml, written by selkie for the {} preset.\n\
         # Change selkie.toml (or run `selkie setup --resume`) rather than this file: selkie keeps\n\
         # hand edits, but refuses to overwrite them without --force.\n\
         # {}\n{body}",
        plan.preset, media.explanation
    )
}

/// The key file: `api_key: api_secret`, mounted read-only and kept 0600.
pub fn keys(secrets: &Secrets) -> String {
    format!(
        "{}: {}\n",
        secrets.livekit_api_key, secrets.livekit_api_secret
    )
}
