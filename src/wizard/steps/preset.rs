//! Which stack to run. Switching presets resets what the old preset chose (UDP sizing,
//! an incompatible proxy) and asks for any image the new preset cannot ship.

use crate::preset::{self, Preset};
use crate::wizard::prompt::{self, choice, Asked};
use crate::wizard::Wizard;

/// Ask for the preset (default: the current one).
pub fn ask(w: &mut Wizard, all: bool) -> Asked<()> {
    let presets = preset::all();
    let choices = presets
        .iter()
        .map(|p| choice(format!("{:<9}  {}", p.name, p.description), p.name.clone()))
        .collect();
    let current = w.preset.name.clone();
    let name = prompt::choose(
        "Which stack should this server run?",
        choices,
        Some(&current),
        prompt::MENU_HELP,
    )?;
    if name != current {
        let chosen = preset::find(&name)?;
        switch(w, chosen);
    }
    ask_images(w, all)?;
    w.log.note(format!("preset: {}", w.answers.preset));
    Ok(())
}

/// Take `p`'s defaults for what the old preset decided; keep what the operator chose.
fn switch(w: &mut Wizard, p: Preset) {
    let a = &mut w.answers;
    let d = &p.defaults;
    a.preset = p.name.clone();
    a.udp = d.udp;
    a.udp_start = None;
    a.udp_end = d.udp_end;
    if !w.resume {
        a.participants = d.participants;
        a.ssh.allow_from = d
            .restrict_ssh
            .then_some(w.host.ssh_client.map(crate::answers::Cidr::host))
            .flatten();
    }
    if !p.allows(a.proxy) {
        a.proxy = d.proxy;
    }
    let known: Vec<&str> = p.services.iter().map(|s| s.name.as_str()).collect();
    a.images
        .retain(|k, _| known.contains(&k.as_str()) || k == "livekit" || k == "caddy");
    w.preset = p;
}

/// A service without a public image needs the operator's reference: asked unless one was given
/// already (`all`: asked anyway, with the given one as the default).
fn ask_images(w: &mut Wizard, all: bool) -> Asked<()> {
    let needed: Vec<(String, String)> = w
        .preset
        .services
        .iter()
        .filter(|s| s.image.is_none())
        .filter(|s| all || !w.answers.images.contains_key(&s.name))
        .map(|s| {
            let hint = s
                .image_hint
                .clone()
                .unwrap_or_else(|| "your image reference".into());
            (s.name.clone(), hint)
        })
        .collect();
    for (service, hint) in needed {
        let current = w.answers.images.get(&service).map(|i| i.to_string());
        w.say(&format!(
            "The {} preset has no public image for `{service}`: {hint}",
            w.preset.name
        ));
        let image = prompt::parsed(&format!("Image for {service}:"), current.as_deref())?;
        w.answers.images.insert(service, image);
    }
    Ok(())
}
