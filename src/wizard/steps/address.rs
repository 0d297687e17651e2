//! The domain or IP address clients use. A domain is resolved (with a short timeout,
//! never required) and compared with this server's address: a mismatch explains that HTTPS
//! certificates will fail until DNS points here, and the operator continues or re-enters.

use std::net::{IpAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use crate::answers::{Address, ExtraHosts, Hostname, ProxyMode, PublicAddress};
use crate::error::Error;
use crate::wizard::prompt::{self, choice, Asked, Stop};
use crate::wizard::Wizard;

/// How long a DNS lookup may take before the wizard goes on without it.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// Parse what the operator typed: an address if it is one, else a host name.
pub fn parse(input: &str) -> Result<Address, Error> {
    if let Ok(ip) = input.parse::<PublicAddress>() {
        return Ok(Address::Ip(ip));
    }
    input.parse::<Hostname>().map(Address::Domain)
}

/// What a domain costs, in one sentence.
const DOMAIN_COST: &str = "A domain (e.g. meet.example.com): a certificate every device trusts, \
     but a DNS record must point it at this server first.";
/// What an IP address costs, in one sentence.
const IP_COST: &str =
    "An IP address: no DNS needed, but unless a public CA issues certificates for \
     it, every device must import Caddy's own root certificate.";

/// Ask for the address until the operator accepts one.
pub fn ask(w: &mut Wizard) -> Asked<()> {
    let vpn = w.preset.vpn.is_some();
    if vpn {
        w.say("This preset is reached over its VPN: enter the server's VPN (tailnet) address.");
    } else {
        w.say(DOMAIN_COST);
        w.say(IP_COST);
    }
    if let Some(ip) = w.host.public_ip {
        w.say(&format!("This server's public address: {ip}"));
    }
    println!();
    loop {
        let current = w.answers.address().ok().map(|a| a.to_string());
        let preset = w.preset.name.clone();
        let address =
            prompt::text(
                "Domain name or IP address:",
                current.as_deref(),
                move |s| match parse(s)? {
                    Address::Domain(_) if vpn => Err(Error::invalid(
                        format!("the {preset} preset is reached over its VPN, not by a domain"),
                        "enter the server's VPN address (see `tailscale ip -4`)",
                    )),
                    other => Ok(other),
                },
            )?;
        let accepted = match &address {
            Address::Domain(name) => check_dns(w, name)?,
            Address::Ip(ip) => {
                if let Some(warning) = ip.warning() {
                    w.say(&format!("! {warning}"));
                }
                true
            }
        };
        if accepted {
            set(w, address);
            return Ok(());
        }
    }
}

/// Record the address; an IP address cannot use name-based routing or extra host names. Host
/// names that were `lk.` and `turn.` under the old domain follow the new one.
fn set(w: &mut Wizard, address: Address) {
    let a = &mut w.answers;
    match address {
        Address::Domain(d) => {
            if let Some(old) = a.domain.take() {
                follow(&mut a.hosts.livekit, &old, &d, "lk");
                follow(&mut a.hosts.turn, &old, &d, "turn");
            }
            a.domain = Some(d);
            a.ip = None;
        }
        Address::Ip(ip) => {
            a.ip = Some(ip);
            a.domain = None;
            a.hosts = ExtraHosts::default();
            if a.proxy == ProxyMode::CaddyL4 {
                a.proxy = if w.preset.allows(ProxyMode::Caddy) {
                    ProxyMode::Caddy
                } else {
                    w.preset.defaults.proxy
                };
            }
        }
    }
    w.log.note(format!(
        "address: {}",
        w.answers
            .address()
            .map(|a| a.to_string())
            .unwrap_or_default()
    ));
}

/// `host` moved from `label.old` to `label.new`, when it was that.
fn follow(host: &mut Option<Hostname>, old: &Hostname, new: &Hostname, label: &str) {
    if host.is_some() && host.as_ref() == old.subdomain(label).ok().as_ref() {
        *host = new.subdomain(label).ok();
    }
}

/// Whether `name` may be used: it points here, or the operator goes on knowing it does not.
fn check_dns(w: &mut Wizard, name: &Hostname) -> Asked<bool> {
    let found = resolve(name.as_str(), LOOKUP_TIMEOUT);
    let here = w.host.public_ip;
    let problem = match (&found, here) {
        (Some(ips), Some(here)) if ips.contains(&here) => None,
        (Some(ips), _) if !ips.is_empty() => {
            let list: Vec<String> = ips.iter().map(|i| i.to_string()).collect();
            Some(format!(
                "{name} points at {}, not at this server ({}).",
                list.join(", "),
                here.map(|h| h.to_string())
                    .unwrap_or_else(|| "its address is unknown".into())
            ))
        }
        _ => Some(format!(
            "{name} does not resolve yet (no A/AAAA record answered within {} s).",
            LOOKUP_TIMEOUT.as_secs()
        )),
    };
    let Some(problem) = problem else {
        w.say(&format!("ok: {name} points at this server."));
        return Ok(true);
    };
    let target = here
        .map(|h| h.to_string())
        .unwrap_or_else(|| "this server's public address".into());
    w.say(&format!(
        "{problem} HTTPS certificates will fail until DNS points here: create an A (or AAAA) \
         record {name} -> {target}, then start the stack."
    ));
    w.log.note(format!("dns: {problem}"));
    let go_on = prompt::choose(
        "Use this name anyway?",
        vec![
            choice(format!("Continue with {name} (I will fix DNS)"), true),
            choice("Enter another domain or IP address", false),
        ],
        Some(&true),
        prompt::MENU_HELP,
    );
    match go_on {
        // Esc goes back to the address itself.
        Err(Stop::Back) => Ok(false),
        other => other,
    }
}

/// The A/AAAA addresses of `name`, or `None` when the lookup fails or takes longer than `timeout`.
pub fn resolve(name: &str, timeout: Duration) -> Option<Vec<IpAddr>> {
    let (tx, rx) = mpsc::channel();
    let target = format!("{name}:443");
    // The resolver cannot be cancelled; a thread that outlives the timeout is simply abandoned.
    std::thread::spawn(move || {
        let ips = target
            .to_socket_addrs()
            .ok()
            .map(|it| it.map(|a| a.ip()).collect::<Vec<_>>());
        let _ = tx.send(ips);
    });
    rx.recv_timeout(timeout).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_or_a_name_is_accepted_and_a_url_refused() {
        assert!(matches!(parse("203.0.113.7"), Ok(Address::Ip(_))));
        assert!(matches!(parse("meet.example.com"), Ok(Address::Domain(_))));
        let e = parse("https://x.com/").unwrap_err();
        assert!(e.hint().unwrap_or_default().contains("x.com"));
    }
}
