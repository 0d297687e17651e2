//! The expected peak number of people in calls, asked where it sizes LiveKit's UDP range (not
//! where a preset fixes the range or uses the single multiplexed port), and the UDP ports that
//! follow. The arithmetic is shown; the ports are asked about only when no range fits, and stay
//! on the summary's "change" menu otherwise.

use crate::answers::{Participants, UdpMode, UdpStart};
use crate::plan::{DEFAULT_MUX_PORT, HEADROOM_PERCENT, PORTS_PER_PARTICIPANT};
use crate::wizard::prompt::{self, choice, reason, Asked, Stop};
use crate::wizard::Wizard;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Accept,
    Start,
    Mux,
    Range,
}

/// Ask for the participant count; the range follows from it.
pub fn ask(w: &mut Wizard) -> Asked<()> {
    w.say(&format!(
        "LiveKit's media uses about {PORTS_PER_PARTICIPANT} UDP ports per participant (a \
         publisher and a subscriber connection); selkie adds {HEADROOM_PERCENT}% headroom."
    ));
    if let Ok(plan) = crate::plan::build(&w.answers, &w.preset, w.host) {
        w.say(&format!("Now: {}", plan.media.explanation));
    }
    println!();
    let current = w.answers.participants.get().to_string();
    let count: Participants = prompt::parsed(
        "Expected peak number of people in calls at once:",
        Some(&current),
    )?;
    if count != w.answers.participants {
        w.answers.participants = count;
        // A range end the preset pinned no longer fits a new count: size it from the count.
        w.answers.udp_end = None;
    }
    w.log.note(format!("participants: {}", count.get()));
    Ok(())
}

/// Whether the UDP ports need a decision: no plan can be made with them. (An overlap with the
/// kernel's ephemeral range needs none: the sysctl drop-in reserves the ports.)
pub fn trouble(w: &Wizard) -> bool {
    match crate::plan::build(&w.answers, &w.preset, w.host) {
        Ok(_) => false,
        Err(e) => {
            let text = reason(&e);
            text.contains("UDP") || text.contains("start port")
        }
    }
}

/// Settle the UDP ports: accept them, move their start, or switch between a range and the
/// single multiplexed port.
pub fn ask_ports(w: &mut Wizard) -> Asked<()> {
    loop {
        let plan = crate::plan::build(&w.answers, &w.preset, w.host);
        let mut choices = Vec::new();
        match &plan {
            Ok(plan) => {
                let m = &plan.media;
                w.say(&format!("UDP media: {}", m.explanation));
                for warning in plan.warnings.iter().filter(|x| x.contains("ephemeral")) {
                    w.say(&format!("! {}", crate::wizard::terms::speak(warning)));
                }
                let label = match m.mode {
                    UdpMode::Range => {
                        format!("Accept UDP {}-{} ({} ports)", m.start, m.end, m.count())
                    }
                    UdpMode::Mux => format!("Accept one UDP port, {} (mux)", m.start),
                };
                choices.push(choice(label, Next::Accept));
            }
            Err(e) => w.say(&format!("! {}", reason(e))),
        }
        choices.extend(other_choices(w.answers.udp));
        println!();
        let next = prompt::choose(
            "UDP ports:",
            choices,
            Some(&Next::Accept),
            prompt::MENU_HELP,
        )?;
        match next {
            Next::Accept => break,
            Next::Start => {
                let now = plan
                    .as_ref()
                    .map(|p| p.media.start.to_string())
                    .unwrap_or_else(|_| "50000".into());
                match prompt::parsed::<UdpStart>("First UDP port:", Some(&now)) {
                    Ok(start) => {
                        w.answers.udp_start = Some(start);
                        w.answers.udp_end = None;
                    }
                    // Esc at the port goes back to this menu.
                    Err(Stop::Back) => {}
                    Err(e) => return Err(e),
                }
            }
            Next::Mux | Next::Range => {
                w.answers.udp = if w.answers.udp == UdpMode::Mux {
                    UdpMode::Range
                } else {
                    UdpMode::Mux
                };
                w.answers.udp_start = None;
                w.answers.udp_end = None;
            }
        }
        println!();
    }
    w.log.note(format!(
        "udp: {} (start {})",
        w.answers.udp,
        w.answers
            .udp_start
            .map(|s| s.get().to_string())
            .unwrap_or_else(|| "default".into())
    ));
    Ok(())
}

/// The menu's other choices for the current mode.
fn other_choices(mode: UdpMode) -> Vec<prompt::Choice<Next>> {
    match mode {
        UdpMode::Range => vec![
            choice("Change the start port", Next::Start),
            choice(
                format!("Use one multiplexed UDP port instead (mux, {DEFAULT_MUX_PORT})"),
                Next::Mux,
            ),
        ],
        UdpMode::Mux => vec![
            choice("Change the port", Next::Start),
            choice(
                "Use a port range instead (sized from the participants)",
                Next::Range,
            ),
        ],
    }
}
