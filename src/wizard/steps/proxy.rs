//! Step 3: how browsers reach the services. The modes offered are those this preset and address
//! can use, each explained in one line; `caddy-l4` also asks for its extra host names.

use crate::answers::{Address, Hostname, ProxyMode};
use crate::wizard::prompt::{self, choice, Asked};
use crate::wizard::Wizard;

/// One line on what a mode does for this kind of address.
pub fn explain(mode: ProxyMode, domain: bool) -> &'static str {
    match (mode, domain) {
        (ProxyMode::Caddy, true) => "Caddy serves HTTPS with automatic certificates (recommended)",
        (ProxyMode::Caddy, false) => "Caddy serves HTTPS with its own certificate (tls internal)",
        (ProxyMode::CaddyL4, _) => "Caddy routes TLS by name on 443: site, LiveKit, TURN/TLS",
        (ProxyMode::External, _) => "your own nginx/Traefik in front; configs for both written",
        (ProxyMode::None, _) => "no proxy: services reached directly (trusted networks only)",
    }
}

/// Ask for the proxy mode (default: the current one, else Caddy).
pub fn ask(w: &mut Wizard) -> Asked<()> {
    let domain = match w.answers.address() {
        Ok(Address::Domain(d)) => Some(d),
        _ => None,
    };
    let modes = usable(w);
    let mode = if modes.len() == 1 {
        let only = modes[0];
        w.say(&format!(
            "Proxy: {only}, the only mode the {} preset works with ({}).",
            w.preset.name,
            explain(only, domain.is_some())
        ));
        only
    } else {
        let choices = modes
            .iter()
            .map(|m| {
                choice(
                    format!("{:<9} {}", m.as_str(), explain(*m, domain.is_some())),
                    *m,
                )
            })
            .collect();
        let current = if modes.contains(&w.answers.proxy) {
            w.answers.proxy
        } else {
            ProxyMode::Caddy
        };
        prompt::choose(
            "How should browsers reach the services?",
            choices,
            Some(&current),
            prompt::MENU_HELP,
        )?
    };
    w.answers.proxy = mode;
    match (mode, domain) {
        (ProxyMode::CaddyL4, Some(d)) => ask_hosts(w, &d)?,
        _ => w.answers.hosts.turn = None,
    }
    w.log.note(format!("proxy: {mode}"));
    Ok(())
}

/// The modes the preset allows and the plan accepts with the current answers.
fn usable(w: &Wizard) -> Vec<ProxyMode> {
    let allowed: Vec<ProxyMode> = ProxyMode::ALL
        .iter()
        .copied()
        .filter(|m| w.preset.allows(*m))
        .collect();
    let works: Vec<ProxyMode> = allowed
        .iter()
        .copied()
        .filter(|m| {
            let mut a = w.answers.clone();
            a.proxy = *m;
            if *m == ProxyMode::CaddyL4 {
                a.hosts.turn = None;
            }
            crate::plan::build(&a, &w.preset, w.host).is_ok()
        })
        .collect();
    if works.is_empty() {
        allowed
    } else {
        works
    }
}

/// The host names of layer-4 mode, defaulted to `lk.` and `turn.` under the domain.
fn ask_hosts(w: &mut Wizard, domain: &Hostname) -> Asked<()> {
    w.say("Layer-4 routing gives LiveKit and TURN/TLS host names of their own (both need DNS).");
    let lk_default = domain.subdomain("lk")?;
    let turn_default = domain.subdomain("turn")?;
    let lk_now = w
        .answers
        .hosts
        .livekit
        .clone()
        .unwrap_or(lk_default.clone());
    let turn_now = w.answers.hosts.turn.clone().unwrap_or(turn_default.clone());
    let lk: Hostname = prompt::parsed(
        "Host name for LiveKit signalling:",
        Some(lk_now.as_str()),
        prompt::TEXT_HELP,
    )?;
    let turn: Hostname = prompt::parsed(
        "Host name for TURN over TLS:",
        Some(turn_now.as_str()),
        prompt::TEXT_HELP,
    )?;
    w.answers.hosts.livekit = (lk != lk_default).then_some(lk);
    w.answers.hosts.turn = (turn != turn_default).then_some(turn);
    Ok(())
}
