//! How browsers reach the services. The modes offered are those this preset and address
//! can use, each explained in one line; `caddy-l4` also asks for its extra host names, and keeps
//! the ones it shows as the default exactly as shown.

use crate::answers::{Address, Hostname, ProxyMode};
use crate::wizard::prompt::{self, choice, Asked, Stop};
use crate::wizard::Wizard;

/// One line on what a mode does for this kind of address (`own_ca`: for an IP address, Caddy
/// signs its certificate itself rather than getting a six-day one from a public CA).
pub fn explain(mode: ProxyMode, domain: bool, own_ca: bool) -> &'static str {
    match (mode, domain) {
        (ProxyMode::Caddy, true) => "Caddy serves HTTPS with automatic certificates (recommended)",
        (ProxyMode::Caddy, false) if own_ca => {
            "Caddy serves HTTPS with its own certificate (tls internal)"
        }
        (ProxyMode::Caddy, false) => {
            "Caddy serves HTTPS with a six-day public certificate for the address (recommended)"
        }
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
    if modes.len() <= 1 {
        settle(w);
        w.say(&format!(
            "Proxy: {}, the only mode the {} preset works with here.",
            w.answers.proxy, w.preset.name
        ));
        return Ok(());
    }
    let own_ca = match w.answers.address() {
        Ok(addr) => crate::plan::caddy_signs_itself(&w.answers, &w.preset, &addr),
        Err(_) => true,
    };
    let choices = modes
        .iter()
        .map(|m| {
            choice(
                format!(
                    "{:<9}  {}",
                    m.as_str(),
                    explain(*m, domain.is_some(), own_ca)
                ),
                *m,
            )
        })
        .collect();
    let current = if modes.contains(&w.answers.proxy) {
        w.answers.proxy
    } else {
        ProxyMode::Caddy
    };
    let mode = prompt::choose(
        "How should browsers reach the services?",
        choices,
        Some(&current),
        prompt::MENU_HELP,
    )?;
    let was_l4 = w.answers.proxy == ProxyMode::CaddyL4;
    w.answers.proxy = mode;
    match (mode, &domain) {
        (ProxyMode::CaddyL4, Some(d)) => match ask_hosts(w, d) {
            // Esc at the host names goes back to the proxy menu.
            Err(Stop::Back) => return ask(w),
            other => other?,
        },
        (_, Some(d)) if was_l4 => {
            // The names layer-4 mode gave are not carried into a mode that does not ask them.
            w.answers.hosts.turn = None;
            if w.answers.hosts.livekit == d.subdomain("lk").ok() {
                w.answers.hosts.livekit = None;
            }
        }
        _ => w.answers.hosts.turn = None,
    }
    w.log.note(format!("proxy: {mode}"));
    Ok(())
}

/// The proxy a preset with a single usable mode gets without being asked.
pub fn settle(w: &mut Wizard) {
    if let [only] = usable(w)[..] {
        w.answers.proxy = only;
    }
    if w.answers.proxy != ProxyMode::CaddyL4 {
        w.answers.hosts.turn = None;
    }
}

/// The modes the preset allows and the plan accepts with the current answers.
pub fn usable(w: &Wizard) -> Vec<ProxyMode> {
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

/// The host names of layer-4 mode: the ones shown (`lk.` and `turn.` under the domain, or the
/// saved ones) are kept as they are with one Enter, and saved as shown.
fn ask_hosts(w: &mut Wizard, domain: &Hostname) -> Asked<()> {
    w.say("Layer-4 routing gives LiveKit and TURN/TLS host names of their own (both need DNS).");
    let lk = match &w.answers.hosts.livekit {
        Some(h) => h.clone(),
        None => domain.subdomain("lk")?,
    };
    let turn = match &w.answers.hosts.turn {
        Some(h) => h.clone(),
        None => domain.subdomain("turn")?,
    };
    println!();
    let keep = prompt::choose(
        "Host names:",
        vec![
            choice(format!("LiveKit at {lk}, TURN/TLS at {turn}"), true),
            choice("Other names", false),
        ],
        Some(&true),
        prompt::MENU_HELP,
    )?;
    let (lk, turn) = if keep {
        (lk, turn)
    } else {
        let lk: Hostname = prompt::parsed("Host name for LiveKit signalling:", Some(lk.as_str()))?;
        let turn: Hostname = prompt::parsed("Host name for TURN over TLS:", Some(turn.as_str()))?;
        (lk, turn)
    };
    w.answers.hosts.livekit = Some(lk);
    w.answers.hosts.turn = Some(turn);
    Ok(())
}
