//! What the plan refuses and what it warns about: a combination that cannot work is an error
//! before anything is derived; a risk the operator may accept is a warning the plan carries.

use crate::answers::{Address, Answers, ProxyMode};
use crate::error::Error;
use crate::host::HostFacts;
use crate::preset::Preset;
use crate::role::Role;

use super::{Exposure, Port, Service};

/// Refuse answers this preset and proxy mode cannot serve, naming the flag that fixes it.
pub(super) fn combination(answers: &Answers, preset: &Preset, addr: &Address) -> Result<(), Error> {
    if !preset.allows(answers.proxy) {
        let modes: Vec<&str> = preset.proxies.iter().map(|m| m.as_str()).collect();
        return Err(Error::invalid(
            format!(
                "the {} preset does not work with --proxy {}",
                preset.name, answers.proxy
            ),
            format!("choose one of: {}", modes.join(", ")),
        ));
    }
    if preset.vpn.is_some() && matches!(addr, Address::Domain(_)) {
        return Err(Error::invalid(
            format!(
                "the {} preset is reached over its VPN, so LiveKit must advertise the server's VPN address",
                preset.name
            ),
            "give the server's tailnet address with --ip (see `tailscale ip -4` once it has joined)",
        ));
    }
    if answers.proxy == ProxyMode::CaddyL4 && matches!(addr, Address::Ip(_)) {
        return Err(Error::invalid(
            "caddy-l4 routes TLS by server name, which needs a domain",
            "give --domain NAME, or use --proxy caddy with --ip",
        ));
    }
    if answers.proxy == ProxyMode::CaddyL4 {
        let paths: Vec<&str> = preset
            .services
            .iter()
            .flat_map(|s| &s.ports)
            .filter_map(|p| p.route.as_deref())
            .filter(|r| *r != "/")
            .collect();
        if !paths.is_empty() || preset.livekit.path.is_some() {
            return Err(Error::invalid(
                format!(
                    "caddy-l4 routes whole host names, but the {} preset serves paths on one site",
                    preset.name
                ),
                "choose --proxy caddy for this preset",
            ));
        }
    }
    if answers.proxy != ProxyMode::CaddyL4 && answers.hosts.turn.is_some() {
        return Err(Error::invalid(
            "a TURN host name is only used with --proxy caddy-l4",
            "remove the TURN host name, or choose --proxy caddy-l4",
        ));
    }
    Ok(())
}

/// The warnings about the finished port table and services, in the order the plan lists them.
pub(super) fn warnings(
    answers: &Answers,
    preset: &Preset,
    host: &HostFacts,
    ports: &[Port],
    services: &[Service],
) -> Vec<String> {
    let mut warnings: Vec<String> = ephemeral_overlap(host, ports).into_iter().collect();
    warnings.extend(proxy_warnings(answers, preset));
    warnings.extend(ssh_warnings(answers, preset, host, ports));
    warnings.extend(service_warnings(ports, services));
    warnings
}

/// Host ports inside the kernel's ephemeral range, which outgoing connections could take.
fn ephemeral_overlap(host: &HostFacts, ports: &[Port]) -> Option<String> {
    let (eph_lo, eph_hi) = host.ephemeral;
    let in_ephemeral: Vec<String> = ports
        .iter()
        .filter(|p| p.exposure.binds_host() && p.service != Role::Ssh)
        .filter(|p| p.port <= eph_hi && eph_lo <= p.end)
        .map(|p| format!("{}/{} ({})", p.label(), p.proto.as_str(), p.service))
        .collect();
    if in_ephemeral.is_empty() {
        return None;
    }
    Some(format!(
        "{} overlap{} the kernel's ephemeral range {eph_lo}-{eph_hi}: outgoing connections could take \
         {}; the sysctl drop-in reserves {} (net.ipv4.ip_local_reserved_ports)",
        in_ephemeral.join(", "),
        if in_ephemeral.len() == 1 { "s" } else { "" },
        if in_ephemeral.len() == 1 { "that port" } else { "those ports" },
        if in_ephemeral.len() == 1 { "it" } else { "them" },
    ))
}

/// What the proxy mode cannot give: HTTPS, TURN/TLS, or a host name per service.
fn proxy_warnings(answers: &Answers, preset: &Preset) -> Vec<String> {
    let mut warnings = Vec::new();
    if answers.proxy == ProxyMode::None && !preset.livekit.app_terminates_tls {
        warnings.push(
            "without a proxy everything is plain HTTP: browsers only grant camera and microphone on HTTPS (or on localhost); \
             use this only on a trusted network, or choose --proxy caddy"
                .into(),
        );
    }
    // LiveKit offers `turns:` only on 443 behind an SNI router (it hard-codes the port it
    // advertises), which a Caddyfile site cannot be: caddy-l4 is the mode that has it.
    if answers.proxy == ProxyMode::Caddy && preset.livekit.turn && preset.vpn.is_none() {
        let hint = if preset.allows(ProxyMode::CaddyL4) {
            "choose --proxy caddy-l4 with a domain for TURN/TLS on 443"
        } else {
            "this preset has no layer-4 mode"
        };
        warnings.push(format!(
            "no TURN/TLS in caddy mode: a client network that lets out only TCP 443 (no UDP, no 7881) \
             cannot carry media; {hint} (firewall/clients.md lists what a client network must allow)"
        ));
    }
    let domain = matches!(answers.address(), Ok(Address::Domain(_)));
    if answers.proxy != ProxyMode::None && !domain {
        for service in &preset.services {
            if let Some(sub) = service.ports.iter().find_map(|p| p.subdomain.as_deref()) {
                warnings.push(format!(
                    "{} needs a host name of its own ({sub}.<domain>), which a bare IP address cannot give: \
                     it stays on 127.0.0.1 and browsers cannot reach it (give --domain NAME)",
                    service.name
                ));
            }
        }
    }
    warnings
}

/// SSH left open wider than it should be, and admin ports open to everyone.
fn ssh_warnings(
    answers: &Answers,
    preset: &Preset,
    host: &HostFacts,
    ports: &[Port],
) -> Vec<String> {
    let mut warnings = Vec::new();
    if host.ssh_guessed && answers.ssh.ports.is_empty() {
        warnings.push(
            "the SSH port could not be read (no SSH session, no readable sshd_config): the firewall keeps 22 open; \
             give --ssh-port PORT if sshd listens elsewhere"
                .into(),
        );
    }
    if preset.defaults.restrict_ssh && answers.ssh.allow_from.is_none() {
        warnings.push(
            "SSH stays open to every address because your own address is unknown (no SSH session); \
             restrict it with --ssh-from YOUR_IP"
                .into(),
        );
    }
    for p in ports
        .iter()
        .filter(|p| p.admin && p.exposure == Exposure::Public && p.source.is_none())
    {
        warnings.push(format!(
            "{}/{} ({}) is for you only but open to everyone: restrict it with --ssh-from YOUR_IP",
            p.port,
            p.proto.as_str(),
            p.purpose
        ));
    }
    warnings
}

/// Ports Docker publishes past the host firewall, and images without a fixed version.
fn service_warnings(ports: &[Port], services: &[Service]) -> Vec<String> {
    let mut warnings = Vec::new();
    for service in services {
        for publish in service.publish.iter().filter(|p| p.host_ip == "0.0.0.0") {
            let restricted = ports
                .iter()
                .any(|p| p.service == service.name && p.port == publish.port && p.source.is_some());
            warnings.push(format!(
                "{}/{} of `{}` is published by Docker, which bypasses host firewalls (ufw, nftables){}",
                publish.port,
                publish.proto.as_str(),
                service.name,
                if restricted {
                    ": only a cloud firewall can restrict who reaches it"
                } else {
                    ""
                }
            ));
        }
        if service.image.is_floating() {
            warnings.push(format!(
                "the image of `{}` ({}) has no fixed version: pin a tag so upgrades happen when you choose",
                service.name, service.image
            ));
        }
    }
    warnings
}
