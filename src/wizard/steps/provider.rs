//! The cloud provider, whose firewall commands selkie writes; defaulted to the one
//! detected offline from DMI, or "none / bare metal".

use crate::answers::Provider;
use crate::wizard::prompt::{self, choice, Asked};
use crate::wizard::Wizard;

/// Ask for the provider (default: the current answer, which starts as the detected one).
pub fn ask(w: &mut Wizard) -> Asked<()> {
    match w.host.provider {
        Some(p) => w.say(&format!(
            "Detected from this machine's DMI data: {}. selkie writes the commands that open \
             the plan's ports in its cloud firewall.",
            p.title()
        )),
        None => w.say(
            "No cloud provider was detected. selkie writes the commands that open the plan's \
             ports in the cloud firewall of the one you choose.",
        ),
    }
    println!();
    let choices = Provider::ALL
        .iter()
        .map(|p| {
            let title = match p {
                Provider::None => "none / bare metal (no cloud firewall)",
                other => other.title(),
            };
            let detected = if w.host.provider == Some(*p) {
                " (detected)"
            } else {
                ""
            };
            choice(format!("{:<12}  {title}{detected}", p.as_str()), *p)
        })
        .collect();
    let current = w.answers.provider;
    w.answers.provider = prompt::choose(
        "Where does this server run?",
        choices,
        Some(&current),
        prompt::MENU_HELP,
    )?;
    w.log.note(format!("provider: {}", w.answers.provider));
    Ok(())
}
