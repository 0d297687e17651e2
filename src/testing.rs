//! Fixtures for the crate's unit tests and, through tests/common, for the integration tests: one
//! place for the answers every test plans from. Paths name the crate as `selkie`, which both
//! kinds of test can.

use selkie::answers::{Answers, ExtraHosts, Provider, ProxyMode, SshAccess};
use selkie::preset::Preset;

/// The answers a non-interactive setup would save: `address` is a domain or an IP address, the
/// preset's defaults fill the rest, and services without a public image get a registry one.
pub fn answers(preset: &Preset, proxy: ProxyMode, address: &str) -> Answers {
    let is_ip = address.parse::<std::net::IpAddr>().is_ok();
    let d = &preset.defaults;
    Answers {
        preset: preset.name.clone(),
        domain: (!is_ip).then(|| address.parse().unwrap()),
        ip: is_ip.then(|| address.parse().unwrap()),
        proxy,
        participants: d.participants,
        udp: d.udp,
        udp_start: None,
        udp_end: d.udp_end,
        provider: Provider::None,
        email: None,
        acme: None,
        ip_cert: None,
        hosts: ExtraHosts::default(),
        ssh: SshAccess {
            ports: vec![22],
            allow_from: None,
        },
        images: preset
            .services
            .iter()
            .filter(|s| s.image.is_none())
            .map(|s| {
                let image = format!("registry.example.com/{}:1.0.0", s.name);
                (s.name.clone(), image.parse().unwrap())
            })
            .collect(),
        apply: Default::default(),
    }
}
